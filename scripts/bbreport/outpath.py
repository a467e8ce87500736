"""Safe output, the one place every script writes a file or a report folder through.

An output path names what it names: a symlink is followed and stays a link (the new content goes
to its target), and the target must be a regular file or absent. A device (`/dev/null` as
root), a FIFO, a socket or a directory is refused up front (`bad_output`), as is an output that
is also one of the inputs (a results file, a baseline, a history): renaming over those would
destroy them. A file is written to a temp file in the target's own directory and renamed over
it, so a reader, a full disk or a kill never sees half a file; a report folder is rendered
into a temp folder and swapped in (staged_dir), so a failed render leaves the old report whole.
Every refusal is an OutputError (exit 2, `error: bad_output: ...`) before any work is done."""
import contextlib
import errno
import os
import shutil
import stat
import tempfile

RULE = "bad_output"


class OutputError(Exception):
    rule = RULE


def _kind(mode):
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def ensure_dir(path):
    """Create directory `path` (and parents) if missing; refuse what is not a writable dir."""
    path = os.fspath(path)
    if os.path.lexists(path) and not os.path.isdir(path):
        raise OutputError(f"{path}: cannot create output directory: something that is not a "
                          f"directory has that name")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{path}: cannot create output directory: {e.strerror or e}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: output directory is not writable")
    return path


def _same(a, b):
    """Whether paths a and b name one file (after links); False when either is absent."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_inputs(out, inputs):
    """OutputError when `out` is one of `inputs` (paths): the output would replace an input."""
    for i in inputs:
        if i is not None and _same(out, i):
            raise OutputError(f"{out}: is also an input ({i}); writing it would destroy that "
                              f"input: name another output")


def target(path, inputs=()):
    """The real file an output `path` names (symlinks followed; a dangling link names its
    target), checked: a regular file or absent, its directory created if missing, not one of
    `inputs`. Returns that real path."""
    path = os.fspath(path)
    real = os.path.realpath(path)
    try:
        mode = os.stat(real).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as e:
        raise OutputError(f"{path}: cannot be written: {e.strerror or e}") from None
    if mode is not None and not stat.S_ISREG(mode):
        what = _kind(mode)
        via = f" (via the link to {real})" if real != os.path.abspath(path) else ""
        raise OutputError(f"{path}: is {what}{via}, not a regular file: outputs are written to "
                          f"a temp file and renamed over the target, which would replace it")
    ensure_dir(os.path.dirname(real) or ".")
    refuse_inputs(path, inputs)
    return real


def ensure_parent(file_path, inputs=()):
    """Checks an output file path up front (target()); returns the path as given."""
    target(file_path, inputs)
    return file_path


def _sweep_stale(directory, prefix):
    """Removes `prefix<pid>.*` temp files and folders that a process no longer alive left in
    `directory` (killed mid-write); a live writer's are kept (same host, same pid space)."""
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix):].split(".", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            _remove(os.path.join(directory, name))
        except OSError:
            pass


def write_atomic(path, data, inputs=()):
    """Writes `data` (str or bytes) to what `path` names: a temp file beside the real target,
    flushed, then renamed over it (an existing file's permissions kept). On any error the temp
    file is removed, the old file is untouched, and OutputError says why. Returns `path`."""
    real = target(path, inputs)
    directory, name = os.path.split(real)
    _sweep_stale(directory, f".{name}.tmp.")
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.tmp.{os.getpid()}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(real).st_mode))
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, real)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
    return path


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _swap_in(stage, out_dir, names):
    old = os.path.join(stage, ".old")
    os.mkdir(old)
    here = os.path.realpath(out_dir)
    for name in names:
        new, dest = os.path.join(stage, name), os.path.join(out_dir, name)
        if not os.path.lexists(new):
            continue
        if os.path.isdir(new):
            if os.path.lexists(dest):
                os.rename(dest, os.path.join(old, name))
            os.rename(new, dest)
        elif os.path.dirname(os.path.realpath(dest)) == here:
            os.replace(new, os.path.realpath(dest))
        else:   # a link to elsewhere (maybe another file system): written there, atomically
            with open(new, "rb") as f:
                write_atomic(dest, f.read())


@contextlib.contextmanager
def staged_dir(out_dir, names, inputs=()):
    """Render a report into a temp folder inside `out_dir` (yielded), then swap each of `names`
    (files, or a folder such as plots/) from it into `out_dir`, each by one rename: readers see
    the old entry or the new one, never half of one. On any error while rendering (a full disk
    included) the temp folder is removed, `out_dir` keeps its old report untouched, and an
    OutputError says why. Each name must be a regular file, a folder or absent in `out_dir`,
    and not one of `inputs`."""
    ensure_dir(out_dir)
    for name in names:
        dest = os.path.join(out_dir, name)
        if os.path.isdir(dest) and not os.path.islink(dest):
            inside = [i for i in inputs if os.path.realpath(i).startswith(
                os.path.realpath(dest) + os.sep)]
            if inside:
                raise OutputError(f"{dest}: is replaced by the new report, and holds an input "
                                  f"({inside[0]}): name another output directory")
            continue
        target(dest, inputs)
    _sweep_stale(out_dir, ".report.tmp.")
    stage = tempfile.mkdtemp(prefix=f".report.tmp.{os.getpid()}.", dir=out_dir)
    try:
        try:
            yield stage
        except OSError as e:
            where = f" ({e.filename})" if getattr(e, "filename", None) else ""
            hint = " (the disk is full)" if e.errno in (errno.ENOSPC, errno.EDQUOT) else ""
            raise OutputError(f"{out_dir}: cannot render the report{hint}: "
                              f"{e.strerror or e}{where}; the earlier report is untouched") \
                from None
        try:
            _swap_in(stage, out_dir, names)
        except OSError as e:
            raise OutputError(f"{out_dir}: cannot move the new report in: {e.strerror or e}") \
                from None
    finally:
        _remove(stage)

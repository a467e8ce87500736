"""Output locations: a missing directory is created; one that cannot be is refused up front,
as a one-line error (exit 2), before any work is done, never a traceback after it."""
import os


class OutputError(Exception):
    pass


def ensure_dir(path):
    """Create directory `path` (and parents) if missing; refuse what is not a writable dir."""
    path = os.fspath(path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{path}: cannot create output directory: {e.strerror or e}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: output directory is not writable")
    return path


def ensure_parent(file_path):
    """The directory a file will be written into, created if missing."""
    parent = os.path.dirname(os.path.abspath(os.fspath(file_path)))
    ensure_dir(parent)
    if os.path.isdir(file_path):
        raise OutputError(f"{file_path}: is a directory, not a file")
    return file_path

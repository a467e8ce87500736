"""Outputs respect what they name (issue 20, item 1): compare.py --out, history.py export
--out and report.py --out-dir write to the real target (a symlink is followed and stays a link),
atomically in the target's directory; a device, FIFO or directory is refused up front as
bad_output, and so is an output that is one of the inputs; report.py renders into a temp
folder and swaps it in, so a full disk leaves the earlier report whole."""
import os
import resource
import stat
import subprocess
import sys

from conftest import SAMPLE_A, SAMPLE_B, SAMPLE_HOST, SCRIPTS, run_script


def _bad_output(res, what):
    assert res.returncode == 2, res.stdout + res.stderr
    assert "error: bad_output: " in res.stderr and what in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_compare_out_follows_a_symlink_and_it_stays_a_link(tmp_path):
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "cmp.md"
    real.write_text("old\n")
    link = tmp_path / "latest.md"
    link.symlink_to(real)
    res = run_script("compare.py", SAMPLE_A, SAMPLE_B, "--out", link)
    assert res.returncode == 0, res.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("# bridgebench comparison")
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["cmp.md"]   # no temp file left
    # a dangling link: its target is created, the link stays
    dangling = tmp_path / "dangling.md"
    dangling.symlink_to(tmp_path / "runs" / "new.md")
    assert run_script("compare.py", SAMPLE_A, SAMPLE_B, "--out", dangling).returncode == 0
    assert dangling.is_symlink() and (tmp_path / "runs" / "new.md").read_text().startswith("#")


def test_compare_out_refuses_devices_fifos_directories_and_inputs(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    _bad_output(run_script("compare.py", SAMPLE_A, SAMPLE_B, "--out", fifo), "is a FIFO")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    _bad_output(run_script("compare.py", SAMPLE_A, SAMPLE_B, "--out", "/dev/null"),
                "is a character device")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    _bad_output(run_script("compare.py", SAMPLE_A, SAMPLE_B, "--out", tmp_path), "a directory")
    link = tmp_path / "to_null"
    link.symlink_to("/dev/null")
    _bad_output(run_script("compare.py", SAMPLE_A, SAMPLE_B, "--out", link), "via the link")
    # the output is the baseline (directly, or through a link): refused, the baseline kept
    base = tmp_path / "base.json"
    base.write_bytes(open(SAMPLE_A, "rb").read())
    before = base.read_bytes()
    _bad_output(run_script("compare.py", base, SAMPLE_B, "--out", base), "is also an input")
    alias = tmp_path / "alias.json"
    alias.symlink_to(base)
    _bad_output(run_script("compare.py", base, SAMPLE_B, "--out", alias), "is also an input")
    assert base.read_bytes() == before


def test_history_outputs(tmp_path):
    db = tmp_path / "h.db"
    assert run_script("history.py", "append", db, SAMPLE_A).returncode == 0
    _bad_output(run_script("history.py", "export", db, "--out", db), "is also an input")
    _bad_output(run_script("history.py", "export", db, "--out", "/dev/null"), "character device")
    _bad_output(run_script("history.py", "append", tmp_path, SAMPLE_A), "a directory")
    results = tmp_path / "r.json"
    results.write_bytes(open(SAMPLE_A, "rb").read())
    _bad_output(run_script("history.py", "append", results, results), "is also an input")
    assert results.read_bytes() == open(SAMPLE_A, "rb").read()
    real = tmp_path / "bench.json"
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    assert run_script("history.py", "export", db, "--out", link).returncode == 0
    assert link.is_symlink() and real.read_text().startswith("[")


def test_report_refuses_bad_outputs_and_inputs_among_its_names(tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    os.mkfifo(out / "report.md")
    _bad_output(run_script("report.py", SAMPLE_HOST, "--out-dir", out), "is a FIFO")
    os.unlink(out / "report.md")
    inside = out / "report.html"
    inside.write_bytes(open(SAMPLE_HOST, "rb").read())
    _bad_output(run_script("report.py", inside, "--out-dir", out), "is also an input")
    assert inside.read_bytes() == open(SAMPLE_HOST, "rb").read()
    (out / "plots").mkdir()
    kept = out / "plots" / "mine.json"
    kept.write_bytes(open(SAMPLE_HOST, "rb").read())
    _bad_output(run_script("report.py", kept, "--out-dir", out), "holds an input")
    assert kept.exists()
    afile = tmp_path / "afile"
    afile.write_text("x")
    _bad_output(run_script("report.py", SAMPLE_HOST, "--out-dir", afile), "not a directory")


def _limit_file_size(nbytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return apply


def test_report_on_a_full_disk_keeps_the_old_report_whole(tmp_path):
    """A render that cannot be written (RLIMIT_FSIZE: every write past 8 KB fails with EFBIG,
    as a full disk fails with ENOSPC): exit 2, one line, no traceback, and the earlier report,
    its HTML and every plot, byte for byte as it was; no temp folder left behind."""
    out = tmp_path / "rep"
    assert run_script("report.py", SAMPLE_HOST, "--out-dir", out).returncode == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert any(str(p).startswith("plots") for p in before) and len(before) > 3
    res = subprocess.run([sys.executable, os.path.join(SCRIPTS, "report.py"), SAMPLE_A,
                          "--out-dir", str(out)], capture_output=True, text=True, timeout=300,
                         preexec_fn=_limit_file_size(8192))
    assert res.returncode == 2, res.stdout + res.stderr
    assert "error: bad_output: " in res.stderr and "the earlier report is untouched" in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_report_swaps_in_a_new_report_whole(tmp_path):
    """A second render replaces the first: plots of the old report that the new one lacks are
    gone (the folder is swapped, not merged), a symlinked report.md stays a link."""
    out = tmp_path / "rep"
    assert run_script("report.py", SAMPLE_A, "--out-dir", out).returncode == 0
    stale = out / "plots" / "stale.png"
    stale.write_bytes(b"old")
    elsewhere = tmp_path / "kept.md"
    (out / "report.md").unlink()
    (out / "report.md").symlink_to(elsewhere)
    assert run_script("report.py", SAMPLE_HOST, "--out-dir", out).returncode == 0
    assert not stale.exists() and any((out / "plots").iterdir())
    assert (out / "report.md").is_symlink() and "host" in elsewhere.read_text()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_temp_files_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    """A render or write killed midway (SIGKILL) leaves its temp folder or file; the next one
    removes those of processes no longer alive, never a live writer's."""
    out = tmp_path / "rep"
    dead = out / ".report.tmp.999999999.abc"          # above any pid_max: no such process
    dead.mkdir(parents=True)
    (dead / "report.md").write_text("half")
    live = out / f".report.tmp.{os.getpid()}.xyz"
    live.mkdir()
    stale_file = tmp_path / ".cmp.md.tmp.999999999.q"
    stale_file.write_text("half")
    assert run_script("report.py", SAMPLE_HOST, "--out-dir", out).returncode == 0
    assert not dead.exists() and live.exists()
    assert run_script("compare.py", SAMPLE_A, SAMPLE_B, "--out", tmp_path / "cmp.md").returncode == 0
    assert not stale_file.exists() and (tmp_path / "cmp.md").exists()

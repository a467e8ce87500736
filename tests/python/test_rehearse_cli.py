"""scripts/rehearse.sh refuses bad input before it launches anything (exit 2, `error: <rule>: ...`),
on a machine without a GPU: the process count, the launcher, a backend other than nccl, a missing
binary, a missing launcher, and --mps without the MPS control daemon. PATH is narrowed to a folder
of the few tools the script needs (and a stub mpirun where the case needs one), so the result does
not depend on what this machine has installed."""
import os
import shutil
import subprocess

import pytest

from conftest import ROOT

SCRIPT = os.path.join(ROOT, "scripts", "rehearse.sh")
TOOLS = ("bash", "sh", "id", "dirname", "mktemp", "mkdir", "rm", "cat")


@pytest.fixture
def narrow_path(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found:
            os.symlink(found, bin_dir / tool)
    return bin_dir


def rehearse(bin_dir, *args, stub_mpirun=False):
    if stub_mpirun:
        stub = bin_dir / "mpirun"
        stub.write_text("#!/bin/sh\necho 'stub mpirun ran' >&2\nexit 0\n")
        stub.chmod(0o755)
    env = {"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([shutil.which("bash"), SCRIPT, *args], capture_output=True, text=True, env=env,
                          timeout=30)


@pytest.mark.parametrize("args, rule, words", [
    (["-n", "1", "--bin", "/bin/true"], "bad_flag", "2..64 processes"),
    (["-n", "abc", "--bin", "/bin/true"], "bad_flag", "2..64 processes"),
    (["-n", "65", "--bin", "/bin/true"], "bad_flag", "2..64 processes"),
    (["-n"], "bad_flag", "-n needs a number"),
    (["--launcher", "srun", "--bin", "/bin/true"], "bad_flag", "--launcher: mpirun or torchrun"),
    (["--bin", "/bin/true", "--", "--backend=host"], "bad_flag", "--backend=nccl only"),
    (["--bin", "/nonexistent/bridge_bench"], "missing_binary", "is not built"),
    (["--bin", "/bin/true"], "missing_launcher", "mpirun is not installed"),
    (["--launcher", "torchrun", "--bin", "/bin/true"], "missing_launcher", "torchrun is not on PATH"),
])
def test_refusals(narrow_path, args, rule, words):
    r = rehearse(narrow_path, *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith(f"error: {rule}: ") and words in r.stderr, r.stderr


def test_mps_without_its_daemon_is_refused_before_launch(narrow_path):
    r = rehearse(narrow_path, "--mps", "--bin", "/bin/true", stub_mpirun=True)
    assert r.returncode == 2 and "error: missing_launcher: --mps: nvidia-cuda-mps-control" in r.stderr, r.stderr
    assert "stub mpirun ran" not in r.stderr


def test_a_good_launch_reaches_the_launcher(narrow_path):
    # The same arguments with everything present: the stub launcher runs (proving the refusals
    # above are the script's own checks, not a broken environment).
    r = rehearse(narrow_path, "-n", "4", "--bin", "/bin/true", "--", "--layouts=seeds", stub_mpirun=True)
    assert r.returncode == 0 and "stub mpirun ran" in r.stderr, (r.stdout, r.stderr)

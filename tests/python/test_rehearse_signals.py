"""scripts/rehearse.sh under mpirun: a SIGTERM to it (Slurm's time limit, `timeout`) reaches every
rank at once, the ranks finish and write, and the script ends with them; a rank that ignores it
is ended after BB_REHEARSAL_GRACE_S. Stand-in ranks (a shell script) take bridge_bench's place, so
this runs without a GPU; it needs Open MPI's mpirun (scripts/setup.sh installs it).

Why: Open MPI 4.1's mpirun, on SIGTERM, sleeps odls_base_sigkill_timeout before it signals the
ranks and as long again before SIGKILL; with 30 s (session 6's attempt at a grace period) the
ranks ran on, never saw the signal, and mpirun ended 60 s late (the rehearsal's fault d)."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import ROOT

SCRIPT = os.path.join(ROOT, "scripts", "rehearse.sh")
pytestmark = pytest.mark.skipif(shutil.which("mpirun") is None,
                                reason="Open MPI's mpirun is not installed (scripts/setup.sh installs openmpi-bin)")

RANK = """#!/bin/bash
# A stand-in rank: steps of 0.1 s; on SIGTERM it ends its step, writes, exits 143 (bridge_bench's way).
r=${OMPI_COMM_WORLD_RANK:-x}
stop=0; trap 'stop=1' TERM
[ "${IGNORE:-}" = "$r" ] && trap '' TERM
echo "rank $r up" > "$OUT.$r.up"
for i in $(seq 300); do
  sleep 0.1
  if [ $stop = 1 ]; then echo "rank $r interrupted" > "$OUT.$r"; exit 143; fi
done
echo "rank $r finished" > "$OUT.$r"
"""


def start(tmp_path, n, **env):
    rank = tmp_path / "rank.sh"
    rank.write_text(RANK)
    rank.chmod(0o755)
    e = dict(os.environ, OUT=str(tmp_path / "out"), **env)
    p = subprocess.Popen(["bash", SCRIPT, "-n", str(n), "--bin", str(rank)], env=e,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    end = time.monotonic() + 60
    while time.monotonic() < end and len(list(tmp_path.glob("out.*.up"))) < n:
        time.sleep(0.1)
    assert len(list(tmp_path.glob("out.*.up"))) == n, "the ranks did not start"
    return p


def finish(p, limit):
    try:
        out, _ = p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        pytest.fail(f"rehearse.sh still running {limit} s after the signal:\n{out}")
    return out


def test_sigterm_reaches_every_rank_and_the_script_ends_with_them(tmp_path):
    p = start(tmp_path, 3)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)  # to the script only, as Slurm or `timeout` would
    out = finish(p, 20)
    took = time.monotonic() - t0
    assert p.returncode != 0, out
    for r in range(3):
        assert (tmp_path / f"out.{r}").read_text().strip() == f"rank {r} interrupted", out
    assert took < 10, f"ended {took:.1f} s after the signal:\n{out}"


def test_a_rank_that_ignores_sigterm_is_ended_after_the_grace(tmp_path):
    p = start(tmp_path, 2, IGNORE="1", BB_REHEARSAL_GRACE_S="2")
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    out = finish(p, 25)
    took = time.monotonic() - t0
    assert p.returncode != 0, out
    assert (tmp_path / "out.0").read_text().strip() == "rank 0 interrupted", out
    assert not (tmp_path / "out.1").exists(), "the rank that ignored SIGTERM was not ended before it finished"
    assert 2 <= took < 15, f"ended {took:.1f} s after the signal:\n{out}"


def test_a_bad_grace_is_refused_before_launch(tmp_path):
    e = dict(os.environ, BB_REHEARSAL_GRACE_S="soon")
    r = subprocess.run(["bash", SCRIPT, "-n", "2", "--bin", "/bin/true"], env=e, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and r.stderr.startswith("error: bad_flag: BB_REHEARSAL_GRACE_S"), r.stderr

"""The rehearsal's delay check (scripts/rehearsal_faults.py, fault c) on the CPU: its judgement,
judge_delay, on real host-backend runs whose iterations alternate delayed and undelayed
(--inject-delay=1:MS:2). The isolated cadence keeps the delay out of every phase (PASS); the
streaming cadence lets it in (FAIL: the fault the check exists to catch); a run in which no
iteration was delayed is refused rather than passed. On the GPU the same judgement runs over
NCCL's sockets (reports/rehearsal-h200/faults-s8/, tested below)."""
import json
import os
import subprocess

import pytest

from conftest import ROOT
import rehearsal_faults as rf

BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
BENCH = os.path.join(BUILD, "bench", "bridge_bench")
DELAY = 5.0
FLAGS = ["--backend=host", "--world=2", "--layouts=tp1dp2-tp2dp1,tp2dp1-tp1cp2dp1",
         "--strategies=reference,p2p", "--mem=bsh", "--shapes=2x512x256", "--iters=20", "--warmup=1",
         "--collectives=off", f"--inject-delay=1:{DELAY:g}:2"]


def host_run(tmp_path, cadence, name):
    if not os.access(BENCH, os.X_OK):
        pytest.fail(f"{BENCH} is not built (the suite builds it before the Python tests)")
    out = tmp_path / f"{name}.json"
    res = subprocess.run([BENCH, *FLAGS, f"--cadence={cadence}", f"--json={out}"], capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    with open(out) as f:
        return json.load(f)


def test_isolated_cadence_keeps_the_alternating_delay_out(tmp_path):
    # Host timings on a shared 2-core machine are noisy; a leak is systematic (the delay, 5 ms,
    # in every delayed iteration), noise is not: one clean attempt of three proves the method.
    seen = []
    for attempt in range(3):
        ok, rows = rf.judge_delay(host_run(tmp_path, "isolated", f"iso{attempt}"), DELAY)
        skews = [r for r in rows if r[1] == "launch skew"]
        assert len(skews) == 4 and all(r[4] and r[5] >= 9 and r[6] >= 9 for r in skews), skews
        assert all(r[3] >= 0.8 * DELAY > 0.5 * DELAY > r[2] for r in skews), skews
        if ok:
            return
        seen.append([r for r in rows if not r[4]])
    pytest.fail(f"the delay leaked in 3 of 3 attempts: {seen}")


def test_streaming_cadence_is_caught(tmp_path):
    ok, rows = rf.judge_delay(host_run(tmp_path, "streaming", "stream"), DELAY)
    assert not ok
    out = [r for r in rows if r[1] != "launch skew" and not r[4]]
    assert out, rows
    # the delay itself, not noise: some phase of every config grew by most of it
    for cid in {r[0] for r in rows}:
        grew = max(r[3] - r[2] for r in rows if r[0] == cid and r[1] != "launch skew")
        assert grew > 0.5 * DELAY, (cid, rows)


def test_a_run_without_the_delay_is_not_a_pass():
    cfg = {"id": "x", "launch_skew": {"samples_ms": [0.1] * 20},
           "phases": [{"name": "fwd_comm", "samples_ms": [1.0] * 20}]}
    ok, rows = rf.judge_delay({"configs": [cfg]}, DELAY)
    assert not ok and rows[0][1] == "launch skew" and not rows[0][4]
    cfg["launch_skew"]["samples_ms"] = [DELAY if i % 2 == 0 else 0.1 for i in range(20)]
    assert rf.judge_delay({"configs": [cfg]}, DELAY)[0]
    cfg["phases"][0]["samples_ms"] = [1.2 if i % 2 == 0 else 1.0 for i in range(20)]  # +20%
    assert not rf.judge_delay({"configs": [cfg]}, DELAY)[0]


GPU = os.path.join(ROOT, "reports", "rehearsal-h200", "faults-s8")


@pytest.mark.parametrize("run, delay, passes", [("c_isolated_20", 20.0, True), ("c_isolated_5", 5.0, True),
                                                ("c_streaming_20", 20.0, False)])
def test_the_recorded_gpu_runs(run, delay, passes):
    """The judgement on what two processes over NCCL's sockets recorded on an H200 (session 8):
    isolated passes at 5 and 20 ms (one undelayed iteration of 40 was 3 ms late by itself, a
    host hiccup the 90% rule allows); streaming fails twice over, the late rank's lag carried
    from iteration to iteration (launch skew 150-180 ms), and in three of the four configs the
    collective phase grew by 4.7 to 8.4 ms in the late iterations."""
    with open(os.path.join(GPU, run, "delay_alternate.json")) as f:
        ok, rows = rf.judge_delay(json.load(f), delay)
    assert ok is passes, rows
    if not passes:
        skews = [r for r in rows if r[1] == "launch skew"]
        assert skews and not any(r[4] for r in skews)
        grown = {r[0] for r in rows if r[1] != "launch skew" and not r[4] and r[3] - r[2] > 4.0}
        assert len(grown) >= 3, rows

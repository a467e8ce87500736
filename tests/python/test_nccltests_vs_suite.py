"""scripts/nccltests_vs_suite.py on the recorded one-GPU rehearsal (H100, NET/Socket): the suite's
bare collectives pair with nccl-tests rows at equal bytes and agree; a planted 10% slower suite
median is caught; a log that is not nccl-tests output and a file with nothing to pair are refused."""
import json
import os

from conftest import ROOT, run_script

REC = os.path.join(ROOT, "reports", "rehearsal-h100")
RESULTS = os.path.join(REC, "suite_bare_np2.json")
LOGS = [os.path.join(REC, f"nccltests_{op}_np2.log") for op in ("all_gather", "all_reduce")]


def test_recorded_pairs_agree_within_tolerance():
    r = run_script("nccltests_vs_suite.py", RESULTS, *LOGS)
    assert r.returncode == 0, r.stderr
    rows = [l for l in r.stdout.splitlines() if l.startswith("| all_")]
    assert len(rows) == 6  # 64-256 MiB all_gather, 32-128 MiB all_reduce
    assert "within 5%" in r.stdout


def test_planted_slowdown_is_caught(tmp_path):
    with open(RESULTS) as f:
        doc = json.load(f)
    target = doc["collectives"][0]
    key = "in_place_median_ms" if target.get("suite_in_place") else "median_ms"
    target[key] *= 1.10
    p = tmp_path / "slow.json"
    p.write_text(json.dumps(doc))
    r = run_script("nccltests_vs_suite.py", p, *LOGS)
    assert r.returncode == 1
    assert "OUTSIDE 5%" in r.stdout


def test_bad_inputs_are_refused(tmp_path):
    junk = tmp_path / "junk.log"
    junk.write_text("hello\n")
    r = run_script("nccltests_vs_suite.py", RESULTS, junk)
    assert r.returncode == 2 and "bad_input" in r.stderr and "not an nccl-tests log" in r.stderr
    r = run_script("nccltests_vs_suite.py", RESULTS, *LOGS, "--min-mib", "100000")
    assert r.returncode == 2 and "nothing_paired" in r.stderr

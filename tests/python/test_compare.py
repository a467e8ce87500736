import os
import sys

import pytest

from conftest import DATA, SAMPLE_A, SAMPLE_B, load, run_script

from bbreport.compare import TOTAL, compare, judge, spread_pct

sys.path.insert(0, DATA)
import make_samples as planted  # noqa: E402  (the ids the sample files plant changes on)


def _rows(stdout):
    """{(id, phase): verdict} from the Markdown table compare.py prints."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 7 and cells[0] not in ("id", "---"):
            rows[(cells[0], cells[1])] = cells[6].strip("*")
    return rows


def test_flags_exactly_the_planted_regression():
    res = run_script("compare.py", SAMPLE_A, SAMPLE_B)
    assert res.returncode == 0, res.stderr
    rows = _rows(res.stdout)
    regressed = {k for k, v in rows.items() if v == "regressed"}
    improved = {k for k, v in rows.items() if v == "improved"}
    assert regressed == {(planted.REGRESSED, TOTAL), (planted.REGRESSED, "fwd_comm")}
    assert improved == {(planted.IMPROVED, TOTAL), (planted.IMPROVED, "bwd_comm")}
    # the noisy config moved by ~7% (> the 5% threshold) but inside its own scatter
    noisy = {k: v for k, v in rows.items() if k[0] == planted.NOISY}
    assert noisy and set(noisy.values()) == {"noise"}
    # every matched config is in the table, total plus each phase
    a, b = load(SAMPLE_A), load(SAMPLE_B)
    common = {c["id"] for c in a["configs"]} & {c["id"] for c in b["configs"]}
    assert {k[0] for k in rows} == common
    assert len(rows) == sum(1 + len(c["phases"]) for c in a["configs"] if c["id"] in common)
    assert f"- `{planted.ONLY_A}`" in res.stdout.split("## Only in base")[1].split("##")[0]
    assert f"- `{planted.ONLY_B}`" in res.stdout.split("## Only in new")[1]


def test_exit_codes_and_out_file(tmp_path):
    out = tmp_path / "cmp.md"
    # as a real process once: the exit status is what CI sees
    res = run_script("compare.py", SAMPLE_A, SAMPLE_B, "--fail-on-regression", "--out", out,
                     subprocess_=True)
    assert res.returncode == 1
    assert planted.REGRESSED in out.read_text()
    # reversed, the planted regression becomes an improvement and vice versa
    res = run_script("compare.py", SAMPLE_B, SAMPLE_A, "--fail-on-regression", "--only-changes")
    assert res.returncode == 1
    assert {k for k, v in _rows(res.stdout).items() if v == "regressed"} == \
        {(planted.IMPROVED, TOTAL), (planted.IMPROVED, "bwd_comm")}
    # a file against itself: nothing changes
    res = run_script("compare.py", SAMPLE_A, SAMPLE_A, "--fail-on-regression")
    assert res.returncode == 0
    assert set(_rows(res.stdout).values()) == {"noise"}
    # a huge threshold hides the regression
    res = run_script("compare.py", SAMPLE_A, SAMPLE_B, "--fail-on-regression",
                     "--threshold-pct", "50")
    assert res.returncode == 0


def test_new_failure_counts_as_regression(write_json):
    b = load(SAMPLE_B)
    b["failures"].append({"id": "seed_fan_in_cp1/sbh/bf16/b4.s4096.h4096/fused",
                          "rule": "oracle_mismatch", "error": "rank 0 forward"})
    res = run_script("compare.py", SAMPLE_A, write_json("b.json", b), "--threshold-pct", "50",
                     "--fail-on-regression")
    assert res.returncode == 1
    assert "## New failures" in res.stdout and "rank 0 forward" in res.stdout


def test_unknown_schema_or_version_exits_2(write_json):
    for change in ({"schema_version": 99}, {"schema": "someone-else/results"}):
        res = run_script("compare.py", SAMPLE_A, write_json("x.json", {**load(SAMPLE_B), **change}))
        assert res.returncode == 2, res.stdout
        assert "compare.py:" in res.stderr and res.stdout == ""
    res = run_script("compare.py", SAMPLE_A, os.path.join(DATA, "does_not_exist.json"))
    assert res.returncode == 2 and "cannot read" in res.stderr


def test_noise_rule_units():
    tight = {"median_ms": 1.0, "samples_ms": [0.99, 1.0, 1.01, 1.0, 1.0, 0.995, 1.005]}
    assert abs(spread_pct(tight) - 1.2) < 0.5
    # one stray sample does not blow up the spread (10-90 percentile band) ...
    hiccup = dict(tight, samples_ms=tight["samples_ms"] * 3 + [5.0])
    assert spread_pct(hiccup) < 5
    # ... but with few samples the full range is used, and min/max when there are none
    assert spread_pct({"median_ms": 1.0, "samples_ms": [0.9, 1.0, 1.2]}) == pytest.approx(30.0)
    assert spread_pct({"median_ms": 2.0, "min_ms": 1.0, "max_ms": 3.0}) == pytest.approx(100.0)
    assert spread_pct({"median_ms": None}) is None
    # verdicts: threshold and noise must both be exceeded
    assert judge(tight, {**tight, "median_ms": 1.04}, 5)[2] == "noise"        # under threshold
    assert judge(tight, {**tight, "median_ms": 1.10}, 5)[2] == "regressed"
    assert judge(tight, {**tight, "median_ms": 0.90}, 5)[2] == "improved"
    wide = {"median_ms": 1.0, "samples_ms": [0.8, 0.9, 1.0, 1.1, 1.2, 1.0]}
    assert judge(wide, {**wide, "median_ms": 1.10}, 5)[2] == "noise"          # inside noise
    assert judge({"median_ms": 0.0}, tight, 5)[2] == "n/a"


def test_compare_function_reports_phase_mismatch():
    a, b = load(SAMPLE_A), load(SAMPLE_A)
    b["configs"][0]["phases"] = b["configs"][0]["phases"][:-1]
    result = compare(a, b)
    assert result.phase_mismatch == [(a["configs"][0]["id"], a["configs"][0]["phases"][-1]["name"],
                                      "base")]

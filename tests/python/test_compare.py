import copy
import json
import math
import os
import random
import sys

import pytest

from conftest import DATA, SAMPLE_A, SAMPLE_B, SAMPLE_HOST, load, run_script

from bbreport import stats
from bbreport.compare import TOTAL, compare

sys.path.insert(0, DATA)
import make_samples as planted  # noqa: E402  (the ids the sample files plant changes on)


def _rows(stdout):
    """{(id, phase): verdict} from the Markdown table compare.py prints."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 9 and cells[0] not in ("id", "---"):
            rows[(cells[0], cells[1])] = cells[8].strip("*").split(" (")[0]
    return rows


def _noisy(rng, n, center=1.0, noise=0.01):
    return [center * (1 + rng.gauss(0, noise)) for _ in range(n)]


# ---- the statistical rule on synthetic samples ----------------------------------------------

def test_each_verdict_from_synthetic_samples():
    rng = random.Random(7)
    base = _noisy(rng, 30)
    assert stats.decide(base, _noisy(rng, 30, 1.10)).verdict == stats.SLOWER
    assert stats.decide(base, _noisy(rng, 30, 0.90)).verdict == stats.FASTER
    same = stats.decide(base, _noisy(rng, 30, 1.0))
    assert same.verdict == stats.SAME and same.needed is None
    unsure = stats.decide(base[:3], _noisy(rng, 3, 1.10))
    assert unsure.verdict == stats.UNSURE and unsure.needed >= 5
    # significant but below the minimum effect: real, too small to matter
    tiny = stats.decide(_noisy(rng, 400, 1.0, 0.002), _noisy(rng, 400, 1.005, 0.002))
    assert tiny.p_value < stats.ALPHA and tiny.verdict == stats.SAME


def test_three_percent_shift_caught_with_30_samples_unsure_with_3():
    rng = random.Random(11)
    caught = [stats.decide(_noisy(rng, 30), _noisy(rng, 30, 1.03)) for _ in range(50)]
    assert all(v.verdict == stats.SLOWER for v in caught)
    assert all(v.n_base == v.n_new == 30 and v.p_value < 1e-6 for v in caught)
    few = [stats.decide(_noisy(rng, 3), _noisy(rng, 3, 1.03)) for _ in range(50)]
    assert all(v.verdict == stats.UNSURE for v in few)
    # it says how many would settle it (3 samples estimate the noise roughly), and that many do
    needed = sorted(v.needed for v in few)[len(few) // 2]
    assert 5 <= needed <= 60
    settled = stats.decide(_noisy(rng, needed), _noisy(rng, needed, 1.03))
    assert settled.verdict == stats.SLOWER


def test_a_a_false_positives_within_the_test_rate():
    rng = random.Random(5)
    trials = 400
    # the bare test (no minimum effect): FASTER+SLOWER at about alpha, bounded by 3 sigma
    alpha = 0.05
    hits = sum(stats.decide(_noisy(rng, 20), _noisy(rng, 20), alpha, 0.0).verdict
               in (stats.FASTER, stats.SLOWER) for _ in range(trials))
    assert hits <= trials * alpha + 3 * math.sqrt(trials * alpha * (1 - alpha))
    # the default rule (alpha 0.01 and a 2% minimum effect) on 1% noise: essentially never
    hits = sum(stats.decide(_noisy(rng, 20), _noisy(rng, 20)).verdict
               in (stats.FASTER, stats.SLOWER) for _ in range(trials))
    assert hits <= trials * stats.ALPHA


def test_min_samples_and_needed():
    assert stats.min_samples_for_alpha(0.01) == 5      # 2/C(10,5) = 0.0079
    assert stats.min_samples_for_alpha(0.05) == 4      # 2/C(8,4)  = 0.029
    assert stats.samples_needed(None, 2.0) == 5
    assert stats.samples_needed(4.0, 2.0) > stats.samples_needed(1.0, 2.0)
    # identical samples on both sides: no difference, not an error
    v = stats.decide([1.0] * 10, [1.0] * 10)
    assert v.verdict == stats.SAME and v.p_value == 1.0


def test_a_a_of_every_repetition_in_a_real_shaped_file(tmp_path, write_json):
    """Two runs of the same code: all samples drawn from one distribution, spread over three
    repetitions with a small shift between repetitions, like a real machine."""
    rng = random.Random(3)
    doc = load(SAMPLE_A)

    def fill(d):
        for c in d["configs"]:
            c["repetitions"] = 3
            for st in [c["total"]] + c["phases"]:
                m = st["median_ms"]
                st["samples_ms"] = [x for rep in range(3)
                                    for x in _noisy(rng, 20, m * (1 + rng.gauss(0, 0.003)), 0.01)]
                st["median_ms"] = stats.median(st["samples_ms"])
        return d
    a, b = fill(copy.deepcopy(doc)), fill(copy.deepcopy(doc))
    res = run_script("compare.py", write_json("a.json", a), write_json("b.json", b),
                     "--fail-on-regression")
    assert res.returncode == 0, res.stdout + res.stderr
    rows = _rows(res.stdout)
    assert rows and not {v for v in rows.values()} & {"SLOWER", "FASTER"}
    assert "60/60" in res.stdout                    # every repetition's samples are used


# ---- the CLI on the sample files ------------------------------------------------------------

def test_flags_the_planted_changes_and_shows_p_and_counts():
    res = run_script("compare.py", SAMPLE_A, SAMPLE_B)
    assert res.returncode == 0, res.stderr
    rows = _rows(res.stdout)
    slower = {k for k, v in rows.items() if v == "SLOWER"}
    faster = {k for k, v in rows.items() if v == "FASTER"}
    assert {(planted.REGRESSED, TOTAL), (planted.REGRESSED, "fwd_comm")} <= slower
    assert faster == {(planted.IMPROVED, TOTAL), (planted.IMPROVED, "bwd_comm")}
    # configs that drifted by under 1.5% are never called SLOWER or FASTER
    moved = {planted.REGRESSED, planted.IMPROVED, planted.NOISY}
    assert all(v in ("SAME", "UNSURE") for k, v in rows.items() if k[0] not in moved)
    assert "| 20/20 |" in res.stdout and "p-value" in res.stdout
    assert "UNSURE (needs" in res.stdout
    a, b = load(SAMPLE_A), load(SAMPLE_B)
    common = {c["id"] for c in a["configs"]} & {c["id"] for c in b["configs"]}
    assert {k[0] for k in rows} == common
    assert f"- `{planted.ONLY_A}`" in res.stdout.split("## Missing in new")[1].split("##")[0]
    assert f"- `{planted.ONLY_B}`" in res.stdout.split("## Only in new")[1]


def test_fail_on_regression_fails_on_slower_only(tmp_path, write_json):
    a = load(SAMPLE_A)
    out = tmp_path / "deeper" / "dir" / "cmp.md"          # a missing directory is created
    res = run_script("compare.py", SAMPLE_A, SAMPLE_B, "--fail-on-regression", "--out", out,
                     subprocess_=True)
    assert res.returncode == 1
    assert planted.REGRESSED in out.read_text()
    assert f"{planted.REGRESSED} TOTAL: SLOWER" in res.stderr
    # only FASTER rows (the sample b's improvement, reversed roles minus the regression): exit 0
    b = load(SAMPLE_B)
    for c in b["configs"]:
        if c["id"] == planted.REGRESSED:
            c.update(copy.deepcopy(next(x for x in a["configs"] if x["id"] == c["id"])))
    b["configs"].append(copy.deepcopy(next(c for c in a["configs"] if c["id"] == planted.ONLY_A)))
    res = run_script("compare.py", SAMPLE_A, write_json("b.json", b), "--fail-on-regression")
    rows = _rows(res.stdout)
    assert "FASTER" in rows.values()
    assert res.returncode == (1 if "SLOWER" in rows.values() else 0), res.stderr
    # UNSURE passes the regression gate, fails --fail-on-unsure, with what it needs
    assert "UNSURE" in rows.values()
    res2 = run_script("compare.py", SAMPLE_A, write_json("b.json", b), "--fail-on-unsure")
    assert res2.returncode == 1 and "UNSURE (needs" in res2.stderr
    # a file against itself: never FASTER/SLOWER; where 20 samples are too noisy to rule out a
    # 2% change it stays UNSURE, which only --fail-on-unsure fails on
    res = run_script("compare.py", SAMPLE_A, SAMPLE_A, "--fail-on-regression")
    assert res.returncode == 0, res.stderr
    assert set(_rows(res.stdout).values()) <= {"SAME", "UNSURE"}
    assert "SAME" in _rows(res.stdout).values()


def test_failed_or_missing_in_new_counts_as_regression(write_json):
    a = load(SAMPLE_A)
    victim = a["configs"][0]["id"]
    # failed in new
    b = copy.deepcopy(a)
    b["configs"] = b["configs"][1:]
    b["failures"].append({"id": victim, "rule": "oracle_mismatch", "error": "rank 0 forward"})
    res = run_script("compare.py", SAMPLE_A, write_json("b.json", b), "--fail-on-regression")
    assert res.returncode == 1 and "## New failures" in res.stdout and "rank 0 forward" in res.stdout
    assert f"{victim}: failed in new" in res.stderr
    # missing in new (not run, or skipped)
    b = copy.deepcopy(a)
    b["configs"] = b["configs"][1:]
    res = run_script("compare.py", SAMPLE_A, write_json("b.json", b), "--fail-on-regression")
    assert res.returncode == 1 and f"{victim}: measured in base, missing in new" in res.stderr
    # without the flag it is listed, exit 0
    res = run_script("compare.py", SAMPLE_A, write_json("b.json", b))
    assert res.returncode == 0 and "## Missing in new (count as regressions)" in res.stdout


def test_new_with_no_configs_fails_the_gate(write_json):
    b = load(SAMPLE_A)
    b["configs"], b["failures"] = [], []
    res = run_script("compare.py", SAMPLE_A, write_json("empty.json", b), "--fail-on-regression")
    assert res.returncode == 1
    assert "new has no configs" in res.stderr and "nothing was measured" in res.stdout


@pytest.mark.parametrize("bad, what", [
    ("fast", "'fast' is not a finite number"), (float("nan"), "nan is not a finite number"),
    (0.0, "0.0 is not positive"), (-1.0, "-1.0 is not positive"), (None, "None is not")])
@pytest.mark.parametrize("where", ["total", "phase"])
def test_bad_medians_are_bad_input(tmp_path, bad, what, where):
    b = load(SAMPLE_B)
    cfg = b["configs"][3]
    target = cfg["total"] if where == "total" else cfg["phases"][1]
    target["median_ms"] = bad
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(b))          # NaN is written as the JSON token NaN, as C++ would
    for args in ((SAMPLE_A, path), (path, SAMPLE_A)):
        res = run_script("compare.py", *args, "--fail-on-regression")
        assert res.returncode == 2, res.stdout
        assert f"config {cfg['id']!r}" in res.stderr and what in res.stderr
        assert res.stdout == ""


def test_bad_sample_is_bad_input(tmp_path):
    b = load(SAMPLE_B)
    b["configs"][0]["phases"][0]["samples_ms"][4] = "x"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(b))
    res = run_script("compare.py", SAMPLE_A, path)
    assert res.returncode == 2 and "sample 'x' is not a finite number" in res.stderr


def test_different_platforms_refused_unless_allowed(write_json):
    host = load(SAMPLE_HOST)
    res = run_script("compare.py", SAMPLE_A, SAMPLE_HOST, "--fail-on-regression")
    assert res.returncode == 2 and res.stdout == ""
    assert "backend 'emulate' vs 'host'" in res.stderr and "--allow-different" in res.stderr
    res = run_script("compare.py", SAMPLE_A, SAMPLE_HOST, "--allow-different")
    assert res.returncode == 0 and "DIFFERENT PLATFORMS" in res.stdout
    as_host = load(SAMPLE_A)
    as_host["environment"].update(backend="host", gpus=[])
    res = run_script("compare.py", SAMPLE_A, write_json("as_host.json", as_host),
                     "--allow-different")
    assert res.returncode == 0
    assert "DIFFERENT PLATFORMS (--allow-different)" in res.stdout
    assert "verdict (platforms differ)" in res.stdout
    # same backend and device, another world size
    a = load(SAMPLE_A)
    for c in a["configs"]:
        c["world"] = 16
    res = run_script("compare.py", SAMPLE_A, write_json("w16.json", a))
    assert res.returncode == 2 and "world 8 vs 16" in res.stderr
    # another device
    d = load(SAMPLE_A)
    d["environment"]["gpus"][0]["name"] = "NVIDIA A100-SXM4-80GB"
    res = run_script("compare.py", SAMPLE_A, write_json("a100.json", d))
    assert res.returncode == 2 and "A100" in res.stderr
    assert host["environment"]["backend"] == "host"


def test_unknown_schema_version_and_unwritable_out(tmp_path, write_json):
    for change in ({"schema_version": 99}, {"schema": "someone-else/results"}):
        res = run_script("compare.py", SAMPLE_A, write_json("x.json", {**load(SAMPLE_B), **change}))
        assert res.returncode == 2, res.stdout
        assert "compare.py:" in res.stderr and res.stdout == ""
    v2 = {**load(SAMPLE_B), "schema_version": 2}
    assert run_script("compare.py", SAMPLE_A, write_json("v2.json", v2)).returncode == 0
    res = run_script("compare.py", SAMPLE_A, os.path.join(DATA, "does_not_exist.json"))
    assert res.returncode == 2 and "cannot read" in res.stderr
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = run_script("compare.py", SAMPLE_A, SAMPLE_B, "--out", blocker / "sub" / "cmp.md")
    assert res.returncode == 2 and "cannot create output directory" in res.stderr
    assert res.stdout == ""


def test_compare_function_reports_phase_mismatch():
    a, b = load(SAMPLE_A), load(SAMPLE_A)
    b["configs"][0]["phases"] = b["configs"][0]["phases"][:-1]
    result = compare(a, b)
    assert result.phase_mismatch == [(a["configs"][0]["id"], a["configs"][0]["phases"][-1]["name"],
                                      "base")]


def test_change_within_repetition_drift_is_not_called(tmp_path, write_json):
    """Each side's three repetitions sit ±4% apart (a run-level effect: clocks, neighbours);
    NEW is 3% slower overall. Sample by sample that is significant, but it is inside the drift
    the repetitions show, so it is not SLOWER; the same shift with steady repetitions is."""
    rng = random.Random(8)

    def side(center, offsets):
        return [x for o in offsets for x in _noisy(rng, 20, center * (1 + o), 0.005)]
    doc = load(SAMPLE_HOST)
    cfg = doc["configs"][0]
    cfg["phases"] = []
    for drifting, expect in ((True, {"SAME", "UNSURE"}), (False, {"SLOWER"})):
        offsets = (-0.04, 0.0, 0.04) if drifting else (0.0, 0.0, 0.0)
        a, b = copy.deepcopy(doc), copy.deepcopy(doc)
        for d, center in ((a, 1.0), (b, 1.03)):
            c = d["configs"][0]
            c["repetitions"] = 3
            c["total"]["samples_ms"] = side(center, offsets)
            c["total"]["median_ms"] = stats.median(c["total"]["samples_ms"])
        res = run_script("compare.py", write_json("a.json", a), write_json("b.json", b))
        verdict = _rows(res.stdout)[(cfg["id"], TOTAL)]
        assert verdict in expect, res.stdout
        (row,) = [l for l in res.stdout.splitlines() if l.startswith(f"| {cfg['id']} |")]
        assert ("(reps ±" in row) == drifting
        if drifting:   # the bare sample test alone would have called it
            assert stats.decide(a["configs"][0]["total"]["samples_ms"],
                                b["configs"][0]["total"]["samples_ms"]).verdict == stats.SLOWER

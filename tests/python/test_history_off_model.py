"""history.py check's "off the model" finding (issue 22 item 4): a round trip or collective
phase far from its own run's calibrated prediction, beyond max(25%, 3 x its IQR / median)."""
import copy
import os
import sqlite3

from conftest import DATA, SAMPLE_A, load, run_script

from bbreport import history_store as store
from bbreport import off_model

FIXTURE = os.path.join(DATA, "fixtures", "host_isolated.json")


def _on_model(doc, error=0.05):
    """The fixture with every calibrated prediction moved to within `error` of its measured
    median (round trip and phases), as a run whose model explains its numbers."""
    d = copy.deepcopy(doc)
    for c in d["configs"]:
        p = c["predicted"]
        assert p["calibrated"] is True     # the fixture is a calibrated run: the test means it
        p["total_ms"] = c["total"]["median_ms"] * (1 + error)
        p["residual"] = error
        measured = {ph["name"]: ph["median_ms"] for ph in c["phases"]}
        for ph in p["phases"]:
            ph["predicted_ms"] = measured[ph["name"]] * (1 + error)
            ph["residual"] = error
    return d


def _off(res):
    return [line for line in res.stdout.splitlines() if line.startswith("OFF-MODEL")]


def test_small_residuals_give_no_finding(tmp_path, write_json):
    db = tmp_path / "h.db"
    assert run_script("history.py", "append", db, write_json("on.json", _on_model(load(FIXTURE)))
                      ).returncode == 0
    con = sqlite3.connect(db)
    stored = con.execute("SELECT count(*) FROM results WHERE predicted_ms IS NOT NULL").fetchone()
    assert stored[0] > len(load(FIXTURE)["configs"])    # every TOTAL and some collective phases
    res = run_script("history.py", "check", db)
    assert res.returncode == 0, res.stdout + res.stderr
    assert _off(res) == [] and "off the model" not in res.stdout


def test_planted_round_trip_far_from_its_prediction_is_the_one_finding(tmp_path, write_json):
    doc = _on_model(load(FIXTURE))
    victim = next(c for c in doc["configs"] if c["phases"])
    victim["predicted"]["total_ms"] = victim["total"]["median_ms"] * 4     # +300%, bytes say 4x
    db = tmp_path / "h.db"
    for night in ("n1.json", "n2.json"):            # with an earlier run, and without one
        assert run_script("history.py", "append", db, write_json(night, doc)).returncode == 0
        res = run_script("history.py", "check", db)
        # not a regression: the exit status stays 0, as for FASTER and UNSURE
        assert res.returncode == 0, res.stdout + res.stderr
        assert len(_off(res)) == 1
        assert _off(res)[0].startswith(f"OFF-MODEL {victim['id']} TOTAL: measured ")
        assert "error +300.0%" in _off(res)[0] and "REGRESSION" not in res.stdout
        assert "1 off the model" in res.stdout


def test_planted_collective_phase_is_named_with_its_phase(tmp_path, write_json):
    doc = _on_model(load(FIXTURE))
    victim = next(c for c in doc["configs"]
                  if any(ph["kind"] == "collective" for ph in c["phases"]))
    phase = next(ph for ph in victim["phases"] if ph["kind"] == "collective")
    for ph in victim["phases"]:
        if ph["name"] == phase["name"]:
            ph["samples_ms"] = [s * 10 for s in ph["samples_ms"]]   # measured 10x its prediction
            ph["median_ms"] *= 10
            ph["min_ms"] *= 10
            ph["max_ms"] *= 10
    db = tmp_path / "h.db"
    assert run_script("history.py", "append", db, write_json("p.json", doc)).returncode == 0
    res = run_script("history.py", "check", db)
    assert res.returncode == 0
    assert [line.split(":")[0] for line in _off(res)] == \
        [f"OFF-MODEL {victim['id']} {phase['name']}"]


def test_older_results_without_predictions_give_no_finding(tmp_path, write_json):
    db = tmp_path / "h.db"
    stripped = load(FIXTURE)
    for c in stripped["configs"]:
        c.pop("predicted")
    stripped.pop("model")
    for path in (SAMPLE_A, write_json("nopred.json", stripped)):    # version 1, and 4 without
        assert run_script("history.py", "append", db, path).returncode == 0
        res = run_script("history.py", "check", db)
        assert res.returncode in (0, 1) and not res.stderr, res.stderr
        assert _off(res) == []
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM results WHERE predicted_ms IS NOT NULL"
                       ).fetchone() == (0,)


def test_history_of_version_3_opens_and_is_upgraded_on_append(tmp_path, write_json):
    db = tmp_path / "v3.db"
    con = sqlite3.connect(db, isolation_level=None)
    for stmt in filter(str.strip, store.SCHEMA.split(";")):
        con.execute(stmt.replace(", predicted_ms REAL", ""))
    con.execute("INSERT INTO meta VALUES ('history_version', '3')")
    con.close()
    assert run_script("history.py", "check", db).returncode == 0
    assert run_script("history.py", "append", db, SAMPLE_A).returncode == 0    # read as is
    assert run_script("history.py", "check", db).returncode == 0
    con = sqlite3.connect(db)
    assert con.execute("SELECT value FROM meta WHERE key='history_version'").fetchone() == \
        (str(store.STORE_VERSION),)
    rows = store.results(store.open_store(str(db)), 1)
    assert rows and all(r["predicted_ms"] is None for r in rows.values())  # the old run has none
    planted = _on_model(load(FIXTURE))
    victim = planted["configs"][4]
    victim["predicted"]["total_ms"] *= 10
    assert run_script("history.py", "append", db, write_json("p.json", planted)).returncode == 0
    res = run_script("history.py", "check", db)
    assert res.returncode == 0
    assert [line.split(":")[0] for line in _off(res)] == [f"OFF-MODEL {victim['id']} TOTAL"]


def test_a_residual_inside_the_rows_own_spread_is_not_off_the_model():
    """The limit is max(25%, 3 x IQR / median): a noisy row needs a larger miss."""
    noisy = [1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0]         # IQR / median = 2 / 2 = 1.0
    point = {"config_id": "c", "phase": "TOTAL", "median_ms": 2.0, "samples": noisy,
             "predicted_ms": 2.0 * 3.5}                       # +250%, inside 300%
    assert off_model.spread(noisy) == 1.0
    assert off_model.judge(point) is None
    assert off_model.judge({**point, "predicted_ms": 2.0 * 4.5}).limit == 3.0
    tight = {**point, "samples": [2.0] * 8, "predicted_ms": 2.0 * 1.3}   # +30% beyond 25%
    assert abs(off_model.judge(tight).residual - 0.3) < 1e-12
    assert off_model.judge(tight).limit == off_model.TOLERANCE
    assert off_model.judge({**tight, "predicted_ms": 2.0 * 0.85}) is None  # measured 1.18x, inside 25%
    assert off_model.judge({**tight, "predicted_ms": 2.0 * 0.75}) is not None  # measured 1.33x, beyond
    assert off_model.judge({**tight, "predicted_ms": 0.0}) is None        # the model moves nothing


def test_render_lists_what_check_finds_off_the_model(tmp_path, write_json):
    doc = _on_model(load(FIXTURE))
    victim = doc["configs"][4]
    victim["predicted"]["total_ms"] = victim["total"]["median_ms"] * 4
    db = tmp_path / "h.db"
    assert run_script("history.py", "append", db, write_json("p.json", doc)).returncode == 0
    assert run_script("history.py", "render", db, "--out", tmp_path / "r").returncode == 0
    md = (tmp_path / "r" / "history.md").read_text()
    assert "1 of the newest run's round trips and collective phases" in md
    assert victim["id"] in md.split("Off the model")[1].split("Trends by layout")[0]


def test_a_measured_value_far_above_its_prediction_is_off_the_model_on_a_noisy_row():
    """The miss is the ratio either way: a residual of -90% (measured 10x the prediction) passes
    a noisy row's limit of 150%, which no residual below the prediction could."""
    noisy = [1.0, 1.0, 1.0, 2.0, 2.0, 2.5, 2.5, 2.5]          # IQR / median = 1.5 / 2 = 0.75
    point = {"config_id": "c", "phase": "bwd_cp", "median_ms": 2.0, "samples": noisy,
             "predicted_ms": 0.2}                              # measured 10x its prediction
    found = off_model.judge(point)
    assert found is not None and abs(found.residual + 0.9) < 1e-12 and found.limit == 2.25
    assert off_model.judge({**point, "predicted_ms": 2.0 / 3.0}) is None   # 3x: inside 225%

"""The report's "Predicted against measured" section (issue 22 item 4): shown from each config's
"predicted" (results schema version 4), left out for files without it."""
import copy
import json

from conftest import SAMPLE_A, load, run_script


def _report(tmp_path, doc):
    src = tmp_path / "r.json"
    src.write_text(json.dumps(doc))
    res = run_script("report.py", src, "--out-dir", tmp_path / "rep")
    assert res.returncode == 0, res.stderr
    return (tmp_path / "rep" / "report.md").read_text()


def test_predicted_against_measured_section(tmp_path):
    doc = copy.deepcopy(load(SAMPLE_A))
    doc["model"] = {"medium": "shared", "gpus_per_node": 1, "calibration": {"sources": [], "fits": []}}
    for k, c in enumerate(doc["configs"]):
        meas = c["total"]["median_ms"]
        pred = meas * (1.1 if k == 0 else 0.95)
        c["predicted"] = {"total_ms": pred, "residual": pred / meas - 1, "calibrated": True,
                          "phases": [{"name": "fwd_comm", "predicted_ms": 1.0, "measured_ms": 2.0, "residual": -0.5}]}
    md = _report(tmp_path, doc)
    assert "Predicted against measured" in md
    assert f"predicted {len(doc['configs'])} round trips" in md
    assert "worst 10.0%" in md
    assert "+10.0%" in md and "fwd_comm (-50.0%)" in md


def test_no_section_without_predictions(tmp_path):
    md = _report(tmp_path, load(SAMPLE_A))
    assert "Predicted against measured" not in md

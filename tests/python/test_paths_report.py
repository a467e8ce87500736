"""The NCCL-path / contention section of the report (scripts/bbreport/paths.py)."""
import copy
import json

from conftest import SAMPLE_A, load, run_script


def _with_paths(doc):
    d = copy.deepcopy(doc)
    cfgs = []
    for path, lost in (("default", 0.40), ("zero-cta", 0.05)):
        for c in copy.deepcopy(doc["configs"][:2]):
            c["id"] = c["id"] + ("" if path == "default" else f"/path={path}")
            c["nccl_path"] = {"requested": path, "registered": path != "default",
                              "setup_ms": None if path == "default" else 12.5, "activity_measured": True}
            idle = c["total"]["median_ms"]
            c["contention"] = {"load": "gemm", "median_ms": idle * 1.3, "min_ms": idle, "samples_ms": [idle],
                               "ratio_to_idle": 1.3, "gemm_alone_tflops": 700.0,
                               "gemm_under_bridge_tflops": 650.0, "gemm_window_ms": 100.0,
                               "gemm_lost_ms_per_round_trip": lost}
            for p in c["phases"]:
                if p["kind"] == "collective":
                    p["path_requested"] = path
                    p["path_used"] = "zero-cta" if path == "zero-cta" else "default"
                    p["sm_free"] = path == "zero-cta"
                    p["path_evidence"] = "synthetic"
                    p["under_gemm"] = {"median_ms": p["median_ms"] * 1.2, "ratio_to_idle": 1.2}
            cfgs.append(c)
    d["configs"] = cfgs
    return d


def test_paths_section_shows_used_paths_under_gemm_and_plot(tmp_path):
    src = tmp_path / "paths.json"
    src.write_text(json.dumps(_with_paths(load(SAMPLE_A))))
    out = tmp_path / "rep"
    res = run_script("report.py", src, "--out-dir", out)
    assert res.returncode == 0, res.stderr
    md = (out / "report.md").read_text()
    assert "## NCCL paths and GEMM contention" in md
    assert "| config | phase | op | group | path requested | path used | SM-free |" in md
    assert "### Strategy comparison under GEMM" in md
    assert "GEMM lost ms / round trip" in md
    assert "/path=zero-cta" in md and "| zero-cta | zero-cta | yes |" in md
    assert "0.050" in md or "0.05" in md
    assert (out / "plots" / "gemm_lost.png").exists()


def test_paths_section_absent_for_files_without_paths(report_a):
    md, _, _ = report_a
    assert "NCCL paths and GEMM contention" not in md


def test_paths_table_script(tmp_path):
    src = tmp_path / "paths.json"
    src.write_text(json.dumps(_with_paths(load(SAMPLE_A))))
    res = run_script("paths_table.py", src, subprocess_=True)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("| config | strategy | path | mode | idle ms | path used")
    assert any("/path=zero-cta" in ln and "(SM-free)" in ln and "| 0.0500 |" in ln for ln in lines), res.stdout

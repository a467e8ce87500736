import base64
import copy
import re

from conftest import SAMPLE_A, SAMPLE_HOST, load, run_script

from bbreport.schema import SchemaError, check_results


def _report(tmp_path, *files, title=None):
    out = tmp_path / "rep"
    args = list(files) + ["--out-dir", out] + (["--title", title] if title else [])
    res = run_script("report.py", *args)
    assert res.returncode == 0, res.stderr
    return (out / "report.md").read_text(), (out / "report.html").read_text(), out


def test_report_lists_every_config_phase_table_failure_and_skip(report_a):
    md, html, out = report_a
    doc = load(SAMPLE_A)
    assert md.startswith("# Nightly emulate")
    for cfg in doc["configs"]:
        assert f"| {cfg['id']} |" in md                      # row of the config table
        assert f"### {cfg['id']}" in md                      # its per-phase table
    # one per-phase table per config, each ending in the round-trip row
    assert md.count("| TOTAL (round trip) |") == len(doc["configs"])
    for header in ("| id | layout | shape | dtype | strategy |", "| phase | op | group | median ms",
                   "algbw GB/s | busbw GB/s | floor ms | floor basis | floor ratio | gpu_busy ms"):
        assert header in md
    assert doc["failures"][0]["id"] in md and "oracle_mismatch" in md
    assert doc["skipped"][0]["id"] in md and "batch_not_divisible" in md
    assert "flat topology" in md
    # environment
    for text in ("NVIDIA H100 80GB HBM3", "580.159.04", "0837878", "bridge_bench --layouts seeds",
                 "| emulated | yes |"):
        assert text in md
    # the misrouted non-canonical layout is called out, with its sample ranges
    assert "rank 2 gets 8–15, owns 0–7" in md
    # phases whose gpu_busy_ms is null print a dash, not "None"
    assert "None" not in md and "nan" not in md.lower().replace("nanosec", "")
    # plots written for the Markdown and referenced from it
    for name in ("bandwidth_vs_size", "phase_breakdown", "layout_heatmap", "floor_ratio"):
        assert f"(plots/{name}.png)" in md
        assert (out / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_html_is_self_contained(report_a):
    _, html, _ = report_a
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<link" not in html and "<script" not in html and "@import" not in html
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 6      # the two overview figures, then the four detail plots
    assert all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    assert "<style>" in html and "<table>" in html
    for cfg in load(SAMPLE_A)["configs"]:
        assert cfg["id"] in html


def test_host_backend_without_gpus_or_cupti(tmp_path):
    md, html, _ = _report(tmp_path, SAMPLE_HOST)
    assert "| GPUs | none |" in md
    assert "| backend | host |" in md and "| emulated | NO |" in md
    assert "| CUPTI | off |" in md and "| driver | — |" in md
    assert "gpu_busy_ms: not measured" in md
    assert "data:image/png;base64," in html


def test_several_files_are_labelled_by_run(tmp_path, write_json):
    a = load(SAMPLE_A)
    a["configs"] = a["configs"][-2:]  # a few configs keep the plots quick
    md, _, _ = _report(tmp_path, write_json("a.json", a), SAMPLE_HOST)
    assert "| run 1 | run 2 |" in md
    assert "### [2] seed_fan_in_cp2/bsh/fp32/b2.s256.h1024/reference" in md
    assert "| [1] dp_tp_order/bsh/bf16/b2.s1024.h4096/reference |" in md


def test_missing_optional_fields_and_empty_runs(tmp_path, write_json):
    doc = load(SAMPLE_HOST)
    cfg = doc["configs"][0]
    for p in cfg["phases"]:
        for key in ("gpu_busy_ms", "floor_ms", "floor_ratio", "algbw_GBps", "busbw_GBps"):
            p.pop(key)
    cfg["total"].pop("samples_ms")
    cfg.pop("audit")
    del doc["failures"], doc["skipped"]
    env = doc["environment"]
    for key in ("gpus", "cupti", "topology", "command_line"):
        env.pop(key)
    empty = copy.deepcopy(doc)
    empty["configs"] = []
    md, html, _ = _report(tmp_path, write_json("partial.json", doc))
    assert cfg["id"] in md and "None" not in md
    md, html, _ = _report(tmp_path, write_json("empty.json", empty))
    assert "No configs were measured." in md and "data:image" not in html


def test_writer_extras_are_shown(tmp_path, write_json):
    """Keys the C++ writer adds beyond the schema text: config floor_ratio, phase floor_basis,
    check.failing_ranks."""
    doc = load(SAMPLE_HOST)
    cfg = doc["configs"][0]
    cfg["floor_ratio"] = 0.5
    cfg["correct"] = False
    cfg["check"] = {"failing_ranks": [3, 1, 2]}
    for p in cfg["phases"]:
        p["floor_basis"] = "memcpy"
    md, html, _ = _report(tmp_path, write_json("extras.json", doc))
    row = next(line for line in md.splitlines() if line.startswith(f"| {cfg['id']} |"))
    assert "| 0.50 | NO (ranks 1–3) |" in row
    assert md.count("| memcpy |") == len(cfg["phases"])
    assert '<td class="bad">NO (ranks 1–3)</td>' in html


def test_unknown_schema_version_is_refused(tmp_path, write_json):
    doc = load(SAMPLE_A)
    doc["schema_version"] = 5   # one past what the scripts know (schema.SUPPORTED_VERSIONS)
    res = run_script("report.py", write_json("v5.json", doc), "--out-dir", tmp_path / "o",
                     subprocess_=True)
    assert res.returncode == 2
    assert "schema_version 5 is not supported" in res.stderr
    assert not (tmp_path / "o").exists()


def test_check_results_rejects_lookalikes():
    good = load(SAMPLE_HOST)
    for bad in ({**good, "schema": "other/results"}, {**good, "schema_version": True},
                {**good, "schema_version": "1"}, {**good, "configs": {}}, [good]):
        try:
            check_results(bad)
        except SchemaError:
            continue
        raise AssertionError(f"accepted {str(bad)[:60]}")
    assert check_results(copy.deepcopy(good))["configs"]


def test_output_directory_created_or_refused(tmp_path):
    out = tmp_path / "a" / "b"
    assert run_script("report.py", SAMPLE_HOST, "--out-dir", out).returncode == 0
    assert (out / "report.html").exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = run_script("report.py", SAMPLE_HOST, "--out-dir", blocker / "rep")
    assert res.returncode == 2 and "cannot create output directory" in res.stderr

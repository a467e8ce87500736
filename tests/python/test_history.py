import json

from conftest import SAMPLE_A, SAMPLE_B, SAMPLE_HOST, load, run_script


def test_append_writes_one_compact_line_per_run(tmp_path):
    hist = tmp_path / "h.jsonl"
    for f in (SAMPLE_A, SAMPLE_B):
        res = run_script("history.py", "append", hist, f)
        assert res.returncode == 0, res.stderr
    lines = hist.read_text().splitlines()
    assert len(lines) == 2 and all(", " not in l and ": " not in l for l in lines)
    first, second = (json.loads(l) for l in lines)
    a = load(SAMPLE_A)
    assert first["commit"] == "0837878" and second["commit"] == "1a2b3c4"
    assert first["time"] == a["environment"]["time_utc"]
    assert first["device"] == "NVIDIA H100 80GB HBM3" and first["backend"] == "emulate"
    assert set(first["configs"]) == {c["id"] for c in a["configs"]}
    c0 = a["configs"][0]
    entry = first["configs"][c0["id"]]
    assert entry["median_ms"] == c0["total"]["median_ms"]
    floor = sum(p["floor_ms"] for p in c0["phases"]) / c0["total"]["median_ms"]
    assert abs(entry["floor_ratio"] - floor) < 1e-3
    assert first["failures"] == [f["id"] for f in a["failures"]]


def test_render_trend_per_config(tmp_path):
    hist = tmp_path / "h.jsonl"
    for f in (SAMPLE_HOST, SAMPLE_HOST):
        run_script("history.py", "append", hist, f)
    out = tmp_path / "hist"
    res = run_script("history.py", "render", hist, "--out", out)
    assert res.returncode == 0, res.stderr
    md = (out / "history.md").read_text()
    html = (out / "history.html").read_text()
    cid = load(SAMPLE_HOST)["configs"][0]["id"]
    assert f"### {cid}" in md and f"| {cid} | 2 |" in md     # one trend, two points
    assert "(plots/trend_000.png)" in md and (out / "plots" / "trend_000.png").exists()
    assert html.count("data:image/png;base64,") == 1 and "http" not in html


def test_render_splits_platforms(tmp_path):
    from bbreport import history
    a, host = load(SAMPLE_A), load(SAMPLE_HOST)
    a["configs"] = a["configs"][:1]  # one config keeps the rendering quick
    host["configs"][0]["id"] = a["configs"][0]["id"]
    entries = [history.summarize(history_doc) for history_doc in
               (history_check(a), history_check(host))]
    doc = history.build(entries)
    keys = [b[2] for b in doc.blocks if b[0] == "h" and b[1] == 3]
    assert f"{a['configs'][0]['id']} @ no GPU, host" in keys
    assert f"{a['configs'][0]['id']} @ NVIDIA H100 80GB HBM3, emulate" in keys


def history_check(doc):
    from bbreport.schema import check_results
    return check_results(doc)


def test_bad_history_line_and_bad_results(tmp_path, write_json):
    hist = tmp_path / "h.jsonl"
    hist.write_text('{"history_version":1,"configs":{}}\nnot json\n')
    res = run_script("history.py", "render", hist, "--out", tmp_path / "o")
    assert res.returncode == 2 and "h.jsonl:2" in res.stderr
    bad = load(SAMPLE_HOST)
    bad["schema_version"] = 7
    res = run_script("history.py", "append", hist, write_json("v7.json", bad))
    assert res.returncode == 2 and "schema_version 7" in res.stderr

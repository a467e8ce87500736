import copy
import json
import random
import sqlite3
import subprocess
import sys

import pytest

from conftest import SAMPLE_A, SAMPLE_HOST, SCRIPTS, load, run_script

from bbreport import history_store as store
from bbreport.schema import check_results


def _night(doc, commit, rng, shift=None, noise=0.01, day=1):
    """A fresh night of `doc`: new samples around each median (1% noise), optionally one
    (config, phase) shifted by a factor; totals and medians kept consistent."""
    d = copy.deepcopy(doc)
    d["environment"]["git_commit"] = commit
    d["environment"]["time_utc"] = f"2026-11-{day:02d}T03:20:00Z"
    for c in d["configs"]:
        for st in [c["total"]] + c["phases"]:
            name = "TOTAL" if st is c["total"] else st["name"]
            f = shift[2] if shift and (c["id"], name) == shift[:2] else 1.0
            st["samples_ms"] = [st["median_ms"] * f * (1 + rng.gauss(0, noise)) for _ in range(20)]
            st["median_ms"] = sorted(st["samples_ms"])[10]
    return d


def _legacy_line(doc):
    env = doc["environment"]
    return json.dumps({
        "history_version": 1, "time": env["time_utc"], "commit": env["git_commit"],
        "host": env["host"], "device": (env["gpus"] or [{"name": "no GPU"}])[0]["name"],
        "gpu_count": len(env["gpus"]), "backend": env["backend"],
        "configs": {c["id"]: {"median_ms": c["total"]["median_ms"], "floor_ratio": 0.5}
                    for c in doc["configs"]},
        "failures": [], "skipped": 0}, separators=(",", ":"))


@pytest.fixture
def nights(tmp_path, write_json):
    """Paths of four nights of sample a (one planted +10% fwd_comm regression in the last)."""
    rng = random.Random(4)
    a = load(SAMPLE_A)
    victim = a["configs"][2]["id"]
    paths = [write_json(f"n{i}.json", _night(a, f"c{i}aaaa", rng, day=i + 1)) for i in range(3)]
    paths.append(write_json("n3.json", _night(a, "c3regress", rng, (victim, "fwd_comm", 1.10),
                                              day=4)))
    return paths, victim


def test_append_stores_every_sample_per_config_and_phase(tmp_path):
    db = tmp_path / "sub" / "h.db"          # a missing directory is created
    res = run_script("history.py", "append", db, SAMPLE_A)
    assert res.returncode == 0, res.stderr
    assert "as run 1" in res.stdout
    a = load(SAMPLE_A)
    con = sqlite3.connect(db)
    (n_runs,) = con.execute("SELECT count(*) FROM runs").fetchone()
    commit, backend, device, world = con.execute(
        "SELECT git_commit, backend, device, world FROM runs").fetchone()
    assert n_runs == 1 and commit == "0837878" and backend == "emulate"
    assert device == "NVIDIA H100 80GB HBM3" and world == "8"
    rows = con.execute("SELECT config_id, phase, median_ms, n_samples, samples FROM results")
    got = {(cid, ph): (m, n, store.unpack(blob, "t")) for cid, ph, m, n, blob in rows}
    assert len(got) == sum(1 + len(c["phases"]) for c in a["configs"])
    c0 = a["configs"][0]
    m, n, samples = got[(c0["id"], "TOTAL")]
    assert m == c0["total"]["median_ms"] and n == 20
    assert samples == pytest.approx(c0["total"]["samples_ms"], rel=1e-6)
    ph = c0["phases"][1]
    assert got[(c0["id"], ph["name"])][2] == pytest.approx(ph["samples_ms"], rel=1e-6)
    # compact: 4 bytes a sample
    (blob_bytes,) = con.execute("SELECT sum(length(samples)) FROM results").fetchone()
    assert blob_bytes == 4 * sum(20 * (1 + len(c["phases"])) for c in a["configs"])


def test_concurrent_appends_lose_no_row(tmp_path, write_json):
    db = tmp_path / "h.db"
    rng = random.Random(9)
    files = [write_json(f"r{i}.json", _night(load(SAMPLE_HOST), f"p{i}", rng)) for i in range(8)]
    procs = [subprocess.Popen([sys.executable, f"{SCRIPTS}/history.py", "append", str(db), str(f)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, outs
    con = sqlite3.connect(db)
    commits = sorted(r[0] for r in con.execute("SELECT git_commit FROM runs"))
    assert commits == sorted(f"p{i}" for i in range(8))
    per_run = 1 + len(load(SAMPLE_HOST)["configs"][0]["phases"])
    assert con.execute("SELECT count(*) FROM results").fetchone()[0] == 8 * per_run
    assert con.execute("SELECT count(DISTINCT run_id) FROM results").fetchone()[0] == 8


def test_check_names_a_synthetic_regression(tmp_path, nights):
    paths, victim = nights
    db = tmp_path / "h.db"
    for p in paths[:3]:
        assert run_script("history.py", "append", db, p).returncode == 0
    res = run_script("history.py", "check", db)
    assert res.returncode == 0, res.stdout
    assert "vs the 2 previous run(s)" in res.stdout and "0 SLOWER" in res.stdout
    assert res.stdout.strip().endswith("ok")
    run_script("history.py", "append", db, paths[3])
    res = run_script("history.py", "check", db, "--previous", "3", subprocess_=True)
    assert res.returncode == 1
    lines = [l for l in res.stdout.splitlines() if l.startswith("REGRESSION")]
    assert any(l.startswith(f"REGRESSION {victim} fwd_comm: +") and "p=" in l
               and "samples 60 vs 20" in l for l in lines), res.stdout
    # only the planted phase (and possibly the total it feeds) regress
    assert {l.split()[1] for l in lines} == {victim}
    assert "c3regress" in res.stdout and res.stdout.strip().endswith("REGRESSION")


def test_check_compares_only_the_same_platform_and_counts_missing(tmp_path, nights, write_json):
    paths, _ = nights
    db = tmp_path / "h.db"
    for p in paths[:2]:
        run_script("history.py", "append", db, p)
    run_script("history.py", "append", db, SAMPLE_HOST)
    res = run_script("history.py", "check", db)
    assert res.returncode == 0 and "no earlier run on the same platform" in res.stdout
    a = load(paths[1])
    gone = a["configs"].pop(0)["id"]
    run_script("history.py", "append", db, write_json("fewer.json", a))
    res = run_script("history.py", "check", db)
    assert res.returncode == 1
    assert f"REGRESSION {gone}: measured before, missing in the newest run" in res.stdout


def test_render_plots_grouped_by_layout_with_commits(tmp_path, nights):
    paths, _ = nights
    db = tmp_path / "h.db"
    for p in paths:
        run_script("history.py", "append", db, p)
    out = tmp_path / "new" / "hist"
    res = run_script("history.py", "render", db, "--out", out)
    assert res.returncode == 0, res.stderr
    md, html = (out / "history.md").read_text(), (out / "history.html").read_text()
    layouts = sorted({c["layout"] for c in check_results(load(SAMPLE_A))["configs"]})
    pngs = sorted((out / "plots").glob("trend_*.png"))
    assert len(pngs) == len(layouts)                     # one image per layout, not per config
    for layout in layouts:
        assert f"### {layout} (emulate on NVIDIA H100 80GB HBM3, world 8)" in md
    assert "c3regres" in md and "SLOWER" in md           # the check table
    assert "commit" in md and "10th to 90th percentile" in md
    assert html.count("data:image/png;base64,") == len(layouts)
    assert "http://" not in html and "https://" not in html


def test_export_custom_smaller_is_better(tmp_path, nights):
    paths, victim = nights
    db = tmp_path / "h.db"
    for p in paths:
        run_script("history.py", "append", db, p)
    out = tmp_path / "x" / "bench.json"
    res = run_script("history.py", "export", db, "--out", out)
    assert res.returncode == 0, res.stderr
    entries = json.loads(out.read_text())
    newest = load(paths[3])
    assert [e["name"] for e in entries] == sorted(c["id"] for c in newest["configs"])
    for e in entries:
        assert set(e) == {"name", "unit", "value", "range", "extra"} and e["unit"] == "ms"
        assert isinstance(e["value"], float) and e["range"].startswith("± ")
        assert "commit c3regress" in e["extra"] and "20 samples" in e["extra"]
    c = next(c for c in newest["configs"] if c["id"] == victim)
    assert next(e for e in entries if e["name"] == victim)["value"] == \
        pytest.approx(c["total"]["median_ms"], rel=1e-6)
    res = run_script("history.py", "export", db, "--out", out, "--phases", "--run", "1")
    entries = json.loads(out.read_text())
    assert any(e["name"] == f"{victim} fwd_comm" for e in entries)
    assert all("commit c0aaaa" in e["extra"] for e in entries)
    assert run_script("history.py", "export", db, "--out", out, "--run", "99").returncode == 2


def test_json_lines_history_imports_and_reads_directly(tmp_path):
    a, host = load(SAMPLE_A), load(SAMPLE_HOST)
    old = tmp_path / "old.jsonl"
    old.write_text(_legacy_line(a) + "\n" + _legacy_line(host) + "\n")
    db = tmp_path / "h.db"
    res = run_script("history.py", "import", db, old)
    assert res.returncode == 0 and "imported 2 runs" in res.stdout, res.stderr
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM results").fetchone()[0] == \
        len(a["configs"]) + len(host["configs"])
    # a new night appends after the imported ones and is checked against them (medians only:
    # one sample a night, so UNSURE, never a false alarm)
    run_script("history.py", "append", db, SAMPLE_A)
    res = run_script("history.py", "check", db)
    assert res.returncode == 0 and "0 SLOWER" in res.stdout and "UNSURE" in res.stdout
    # render reads the JSON-lines file itself
    res = run_script("history.py", "render", old, "--out", tmp_path / "r")
    assert res.returncode == 0, res.stderr
    assert "2 runs" in (tmp_path / "r" / "history.md").read_text()


def test_damaged_json_lines_refused_with_file_line_never_appended(tmp_path):
    a = load(SAMPLE_A)
    old = tmp_path / "old.jsonl"
    good = _legacy_line(a) + "\n"
    old.write_text(good + good + good[: len(good) // 2])    # last write cut short
    before = old.read_bytes()
    res = run_script("history.py", "import", tmp_path / "h.db", old)
    assert res.returncode == 2 and "old.jsonl:3: truncated last line" in res.stderr
    assert not (tmp_path / "h.db").exists()
    res = run_script("history.py", "append", old, SAMPLE_A)
    assert res.returncode == 2 and "JSON-lines history" in res.stderr
    assert old.read_bytes() == before
    old.write_text(good + "not json\n" + good)
    res = run_script("history.py", "render", old, "--out", tmp_path / "o")
    assert res.returncode == 2 and "old.jsonl:2: not a JSON line" in res.stderr
    old.write_text(good.replace('"median_ms":', '"median_ms":"fast","x":'))
    res = run_script("history.py", "check", old)
    assert res.returncode == 2 and "old.jsonl:1: config" in res.stderr and "'fast'" in res.stderr


def test_damaged_sqlite_refused_never_appended(tmp_path):
    db = tmp_path / "h.db"
    for _ in range(2):
        run_script("history.py", "append", db, SAMPLE_A)
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])                  # cut short (a crashed copy)
    cut = db.read_bytes()
    res = run_script("history.py", "append", db, SAMPLE_A)
    assert res.returncode == 2 and "damaged SQLite history" in res.stderr, res.stderr
    assert db.read_bytes() == cut
    # a SQLite file that is not ours
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    res = run_script("history.py", "append", other, SAMPLE_A)
    assert res.returncode == 2 and "not a bridgebench history" in res.stderr
    # a stored samples blob that is not float32 values
    good = tmp_path / "g.db"
    run_script("history.py", "append", good, SAMPLE_A)
    con = sqlite3.connect(good)
    con.execute("UPDATE results SET samples = x'0102' WHERE rowid = 1")
    con.commit()
    res = run_script("history.py", "export", good, "--out", tmp_path / "x.json")
    assert res.returncode == 2 and "samples blob of 2 bytes" in res.stderr


def test_bad_numbers_and_outputs_are_bad_input(tmp_path, write_json):
    db = tmp_path / "h.db"
    run_script("history.py", "append", db, SAMPLE_A)
    for bad in (float("nan"), 0, -2.0, "fast"):
        b = load(SAMPLE_A)
        b["configs"][1]["phases"][0]["median_ms"] = bad
        res = run_script("history.py", "append", db, write_json("bad.json", b))
        assert res.returncode == 2 and repr(b["configs"][1]["id"]) in res.stderr, res.stderr
    assert sqlite3.connect(db).execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    blocker = tmp_path / "file"
    blocker.write_text("")
    for args in (("append", blocker / "h.db", SAMPLE_A),
                 ("render", db, "--out", blocker / "out"),
                 ("export", db, "--out", blocker / "x.json")):
        res = run_script("history.py", *args)
        assert res.returncode == 2 and "cannot create output directory" in res.stderr, args
    res = run_script("history.py", "check", tmp_path / "missing.db")
    assert res.returncode == 2 and "no such history" in res.stderr
    v7 = load(SAMPLE_HOST)
    v7["schema_version"] = 7
    res = run_script("history.py", "append", db, write_json("v7.json", v7))
    assert res.returncode == 2 and "schema_version 7" in res.stderr

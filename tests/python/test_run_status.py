"""Reports say what happened (issue 20, item 3) and the scripts' bad input (item 5): an aborted
run and a run that measured nothing are headed in red in the report, fail compare.py's gate and
history.py check; report.py validates numbers and types as compare.py and history.py do; a
duplicate id is refused everywhere; the statistical flags are range-checked; a locked history
is "locked", random bytes are not a history. Case ids are issue 20's."""
import copy
import json
import math
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import SAMPLE_A, SAMPLE_B, SAMPLE_HOST, load, run_script

from bbreport import history_store

INTERRUPTED = {"rule": "interrupted", "signal": "SIGTERM",
               "error": "interrupted by SIGTERM after 3 of 9 configs"}


def _error(res, rule, *words):
    assert res.returncode == 2, res.stdout + res.stderr
    assert f"error: {rule}: " in res.stderr and "Traceback" not in res.stderr, res.stderr
    for w in words:
        assert w in res.stderr, (w, res.stderr)


# ---- aborted and nothing measured (Y13, Y14, H19, R04, Y07) ---------------------------------

def test_report_heads_an_aborted_run_in_red(tmp_path, write_json):
    doc = load(SAMPLE_HOST)
    doc["aborted"] = INTERRUPTED
    out = tmp_path / "rep"
    res = run_script("report.py", write_json("r.json", doc), "--out-dir", out)
    assert res.returncode == 0, res.stderr
    md, html = (out / "report.md").read_text(), (out / "report.html").read_text()
    first = md.split("**Contents:**")[0]
    assert "ABORTED (interrupted, SIGTERM): interrupted by SIGTERM after 3 of 9 configs" in first
    assert "run ABORTED" in first and "all correct, run ABORTED" in first
    assert '<p class="alert">ABORTED (interrupted, SIGTERM)' in html


def test_report_of_nothing_measured_says_so(tmp_path, write_json):
    doc = load(SAMPLE_HOST)
    doc["configs"], doc["collectives"] = [], []
    doc["skipped"] = [{"id": "x", "rule": "too_large", "reason": "100000x100000x1000"}]
    out = tmp_path / "rep"
    res = run_script("report.py", write_json("r.json", doc), "--out-dir", out)
    assert res.returncode == 0, res.stderr
    first = (out / "report.md").read_text().split("**Contents:**")[0]
    assert "NOTHING MEASURED" in first and "0 configs, nothing measured" in first
    assert "all correct" not in first


def test_compare_gate_fails_on_an_aborted_new_run(write_json):
    doc = load(SAMPLE_A)
    doc["aborted"] = INTERRUPTED
    res = run_script("compare.py", SAMPLE_A, write_json("new.json", doc), "--fail-on-regression")
    assert res.returncode == 1
    assert "new run ABORTED (interrupted, SIGTERM)" in res.stderr
    assert "**new run ABORTED (interrupted, SIGTERM)" in res.stdout


def test_history_stores_an_aborted_run_and_check_reports_it(tmp_path, write_json):
    db = tmp_path / "h.db"
    assert run_script("history.py", "append", db, SAMPLE_A).returncode == 0
    doc = load(SAMPLE_A)
    doc["aborted"] = INTERRUPTED
    assert run_script("history.py", "append", db, write_json("ab.json", doc)).returncode == 0
    runs = history_store.runs(history_store.open_store(str(db)))
    assert runs[0]["aborted"] is None and runs[1]["aborted"] == INTERRUPTED
    res = run_script("history.py", "check", db)
    assert res.returncode == 1
    assert "REGRESSION newest run ABORTED (interrupted, SIGTERM)" in res.stdout
    empty = load(SAMPLE_A)
    empty["configs"] = []
    assert run_script("history.py", "append", db, write_json("e.json", empty)).returncode == 0
    res = run_script("history.py", "check", db)
    assert res.returncode == 1 and "NOTHING MEASURED" in res.stdout


def test_history_of_version_2_is_read_and_upgraded_on_append(tmp_path):
    """A store written before version 3 (no aborted, no rep_medians columns) is still read, and
    an append upgrades it in one transaction."""
    db = tmp_path / "old.db"
    con = sqlite3.connect(db, isolation_level=None)
    for stmt in filter(str.strip, history_store.SCHEMA.split(";")):
        con.execute(stmt.replace(", aborted TEXT", "").replace(", rep_medians BLOB", "")
                    .replace(", predicted_ms REAL", ""))
    con.execute("INSERT INTO meta VALUES ('history_version', '2')")
    con.close()
    assert run_script("history.py", "check", db).returncode == 0
    assert run_script("history.py", "append", db, SAMPLE_A).returncode == 0
    con = sqlite3.connect(db)
    assert con.execute("SELECT value FROM meta WHERE key='history_version'").fetchone() == \
        (str(history_store.STORE_VERSION),)
    assert run_script("history.py", "check", db).returncode == 0


# ---- report.py validates numbers and types (Y04-Y12) ----------------------------------------

def _cfg(doc, i=1):
    return doc["configs"][i]


CASES = [
    ("Y04 NaN median", lambda d: _cfg(d)["total"].update(median_ms=math.nan), "not a finite"),
    ("Y05 Infinity median", lambda d: _cfg(d)["phases"][0].update(median_ms=math.inf),
     "not a finite"),
    ("Y06 negative median", lambda d: _cfg(d)["total"].update(median_ms=-0.0197),
     "is not positive"),
    ("Y08 no total", lambda d: _cfg(d).pop("total"), "no 'total' object"),
    ("Y09 total a string", lambda d: _cfg(d).update(total="fast"), "no 'total' object"),
    ("Y10 shape a string", lambda d: _cfg(d).update(shape="b2.s8"), "'shape' is str"),
    ("Y10 phases an object", lambda d: _cfg(d).update(phases={"a": 1}), "'phases' is dict"),
    ("Y11 samples a string", lambda d: _cfg(d)["total"].update(samples_ms="1,2"),
     "samples_ms is not a list"),
    ("Y11 a NaN sample", lambda d: _cfg(d)["total"]["samples_ms"].append(math.nan),
     "sample nan is not a finite"),
    ("Y12 a config a list", lambda d: d["configs"].append([1, 2]), "is list, not an object"),
    ("Y12 id a number", lambda d: _cfg(d).update(id=7), "'id' 7"),
    ("Y12 audit a string", lambda d: _cfg(d).update(audit="ok"), "'audit' is str"),
    ("Y12 min a string", lambda d: _cfg(d)["total"].update(min_ms="0"), "min_ms '0'"),
]


@pytest.mark.parametrize("case,change,words", CASES, ids=[c[0] for c in CASES])
def test_report_refuses_bad_numbers_and_types_naming_the_config(tmp_path, case, change, words):
    doc = load(SAMPLE_A)
    cid = _cfg(doc)["id"]
    change(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))   # NaN and Infinity as Python writes them
    res = run_script("report.py", path, "--out-dir", tmp_path / "o")
    _error(res, "bad_results", words)
    if "configs[" not in res.stderr:
        assert repr(cid) in res.stderr or "'id' 7" in res.stderr
    assert not (tmp_path / "o" / "report.md").exists()


def test_duplicate_ids_are_refused_everywhere(tmp_path, write_json):
    """Y12, duplicate ids: one id twice would be counted twice (report), matched once
    (compare) and refused by SQLite's key (history)."""
    doc = load(SAMPLE_A)
    doc["configs"].append(copy.deepcopy(doc["configs"][0]))
    bad = write_json("dup.json", doc)
    dup = repr(doc["configs"][0]["id"])
    _error(run_script("report.py", bad, "--out-dir", tmp_path / "o"), "duplicate_id", dup)
    _error(run_script("compare.py", SAMPLE_A, bad), "duplicate_id", dup)
    _error(run_script("compare.py", bad, SAMPLE_A), "duplicate_id", dup)
    _error(run_script("history.py", "append", tmp_path / "h.db", bad), "duplicate_id", dup)
    assert not (tmp_path / "h.db").exists()


# ---- the statistical flags (Y27-Y36) --------------------------------------------------------

FLAGS = [("--alpha", "0", "--alpha is 0;"), ("--alpha", "-0.1", "--alpha is -0.1;"),
         ("--alpha", "nan", "--alpha is nan;"), ("--alpha", "1.5", "--alpha is 1.5;"),
         ("--alpha", "1", "--alpha is 1;"), ("--min-effect-pct", "-5", "--min-effect-pct is -5;"),
         ("--min-effect-pct", "inf", "--min-effect-pct is inf;"),
         ("--noise-floor-pct", "-1", "--noise-floor-pct is -1;")]


@pytest.mark.parametrize("flag,value,words", FLAGS, ids=[f"{f}={v}" for f, v, _ in FLAGS])
def test_statistical_flags_out_of_range_are_bad_flag(tmp_path, flag, value, words):
    res = run_script("compare.py", SAMPLE_A, SAMPLE_B, flag, value)
    _error(res, "bad_flag", words)
    assert res.stdout == ""
    db = tmp_path / "h.db"
    run_script("history.py", "append", db, SAMPLE_A)
    _error(run_script("history.py", "check", db, flag, value), "bad_flag", words)


# ---- the history file (H01, H13) ------------------------------------------------------------

def test_random_bytes_are_not_a_history(tmp_path):
    """H01: 1 MB of random bytes was "a JSON-lines history"."""
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(1 << 20))
    before = junk.read_bytes()
    for args in (("check", junk), ("append", junk, SAMPLE_A), ("render", junk, "--out",
                                                                tmp_path / "o")):
        res = run_script("history.py", *args)
        _error(res, "bad_history", "neither a SQLite history nor a JSON-lines one")
        assert "JSON-lines history (version" not in res.stderr
    assert junk.read_bytes() == before


def test_a_history_locked_by_another_process_is_locked_not_damaged(tmp_path, monkeypatch):
    """H13: another process holds the database (an exclusive transaction) past the busy
    timeout: "locked", exit 2, and the history is intact and usable once it lets go."""
    db = tmp_path / "h.db"
    assert run_script("history.py", "append", db, SAMPLE_A).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "con.execute('BEGIN EXCLUSIVE')\n"
         "print('held', flush=True)\n"
         "sys.stdin.readline()\n", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(history_store, "BUSY_TIMEOUT_S", 0.5)
        for args in (("check", db), ("append", db, SAMPLE_B)):
            t0 = time.monotonic()
            res = run_script("history.py", *args)
            _error(res, "history_locked", "locked by another process for more than 0.5 s",
                   "not damaged")
            assert "damaged SQLite" not in res.stderr and time.monotonic() - t0 < 30
    finally:
        holder.communicate("\n", timeout=30)
    res = run_script("history.py", "check", db)
    assert res.returncode == 0 and "has no earlier run" in res.stdout, res.stderr


# ---- the first screen says what the times are and how far to trust them ----------------------

def test_first_screen_says_what_the_times_are_and_flags_noise(tmp_path):
    from conftest import DATA
    out = tmp_path / "host"
    res = run_script("report.py", os.path.join(DATA, "aa_host_2.json"), "--out-dir", out)
    assert res.returncode == 0, res.stderr
    first = (out / "report.md").read_text().split("**Contents:**")[0]
    assert "**Times:** host simulation: host memory copies by threads sharing this machine's " \
           "CPU cores, not GPU or NVLink times" in first
    assert "median of 20 iterations after" in first and "5 repetition(s): 100 samples" in first
    assert "Spread (interquartile range over the median, round trip):" in first
    assert "Noise-dominated figures:" in first and "slowest sample above 3×" in first
    assert "their ranking is noise" in first
    out = tmp_path / "emu"
    assert run_script("report.py", SAMPLE_A, "--out-dir", out).returncode == 0
    first = (out / "report.md").read_text().split("**Contents:**")[0]
    assert "**Times:** emulation: every rank on one shared GPU" in first


def test_side_by_side_scripts_warn_of_an_aborted_run(write_json):
    doc = load(SAMPLE_HOST)
    doc["aborted"] = INTERRUPTED
    res = run_script("phase_vs_bare.py", write_json("ab.json", doc), "--label", "night")
    assert res.returncode in (0, None), res.stderr
    assert "warning: night: ABORTED (interrupted, SIGTERM)" in res.stderr
    res = run_script("paths_table.py", write_json("ab.json", doc), subprocess_=True)
    assert "ABORTED (interrupted, SIGTERM)" in res.stdout, res.stdout + res.stderr

"""Every axis kept apart (issue 21): results are grouped and matched by their "key" object
(scripts/bbreport/keys.py), never by taking the id apart. Inputs: fixtures the current
bridge_bench wrote (host backend: every strategy and layout of world 2, under each cadence;
tests/data/make_fixtures.sh, held to the writer by the ctest results_fixtures_match_writer), and,
for what the host cannot run, a real record of four NCCL paths under GEMM contention
(reports/nccl-paths-h200/world1_eager.json, schema version 2: its keys come from the upgrade)."""
import copy
import json
import os
import re
import subprocess

from conftest import DATA, ROOT, run_script

from bbreport import compare as cmpmod
from bbreport import history_check, keys, overview, schema, verdict
from bbreport import history_store as store

PATHS = os.path.join(ROOT, "reports", "nccl-paths-h200", "world1_eager.json")
ISO = os.path.join(DATA, "fixtures", "host_isolated.json")
STREAM = os.path.join(DATA, "fixtures", "host_streaming.json")
SUMMARY_BIN = os.path.join(os.environ.get("BUILD_DIR") or os.path.join(ROOT, "build"), "bench",
                           "results_summary")


def raw(path):
    with open(path) as f:
        return json.load(f)


def idle_twin():
    """The real paths record as a --contention=none run of the same configs would write it
    (no load; every time 1.5x, so a mix-up with the loaded run shows), upgraded as any file."""
    doc = raw(PATHS)
    for c in doc["configs"]:
        c["contention"] = {"load": "none"}
        for st in [c["total"]] + c["phases"]:
            st["median_ms"] *= 1.5
            st["samples_ms"] = [x * 1.5 for x in st["samples_ms"]]
    return schema.check_results(doc, "idle twin")


def expected_speedups(doc):
    """{id: speedup} from the configs' own fields as written (any version), not from keys: the
    reference of the same shape, NCCL path and contention over this config."""
    def point(c):
        s = c["shape"]
        return (c.get("layout", c.get("layout_name")), s["b"], s["s"], s["h"],
                s.get("mem", s.get("layout")), s["dtype"],
                (c.get("nccl_path") or {}).get("requested", "default"),
                (c.get("contention") or {}).get("load", "none"), c.get("mode"), c.get("cadence"))
    ref = {point(c): c["total"]["median_ms"] for c in doc["configs"]
           if c["strategy"] == "reference"}
    return {c["id"]: ref[point(c)] / c["total"]["median_ms"] for c in doc["configs"]
            if point(c) in ref}


# ---- the key object ---------------------------------------------------------------------------

def test_the_upgrade_gives_an_old_config_the_key_of_its_own_fields():
    doc = schema.load_results(PATHS)
    assert doc["schema_version"] == 2
    seen = set()
    for c in doc["configs"]:
        k = c["key"]
        assert tuple(k) == schema.CONFIG_AXES
        assert k["nccl_path"] == c["nccl_path"]["requested"]
        assert k["contention"] == "gemm" and k["mode"] == "timed" and k["cadence"] == "isolated"
        assert (k["strategy"], k["b"], k["world"]) == (c["strategy"], c["shape"]["b"], 1)
        seen.add(keys.match_key(k))
    assert len(seen) == len(doc["configs"]) == 16, "the four paths are four keys"
    again = schema.check_results(copy.deepcopy(doc))
    assert [c["key"] for c in again["configs"]] == [c["key"] for c in doc["configs"]]


def test_fixtures_carry_the_writers_keys_and_ids_name_every_non_default_axis():
    for path, cadence in ((ISO, "isolated"), (STREAM, "streaming")):
        written = raw(path)
        assert written["schema_version"] == schema.SCHEMA_VERSION == 6
        doc = schema.load_results(path)
        # the upgrade leaves a version 4 file's keys as written
        assert [c["key"] for c in doc["configs"]] == [c["key"] for c in written["configs"]]
        assert {c["key"]["strategy"] for c in doc["configs"]} >= {"reference", "fused", "p2p",
                                                                  "alltoall"}
        for c in doc["configs"]:
            assert tuple(c["key"]) == schema.CONFIG_AXES
            assert c["key"]["cadence"] == cadence
            assert c["id"].endswith("/cadence=streaming") == (cadence == "streaming"), c["id"]
        for c in doc["collectives"]:
            assert tuple(c["key"]) == schema.COLLECTIVE_AXES
        assert len({c["id"] for c in doc["configs"]}) == len(doc["configs"])
    assert raw(ISO)["configs"][0]["repetitions"] == 2


def test_one_grouping_helper_groups_by_every_axis_but_those_left_out():
    doc = schema.load_results(ISO)
    groups = keys.group(doc["configs"], without=("strategy",))
    assert len(groups) == len(doc["configs"]) // 4
    for members in groups.values():
        assert sorted(c["key"]["strategy"] for c in members) == \
            ["alltoall", "fused", "p2p", "reference"]
    both = doc["configs"] + schema.load_results(STREAM)["configs"]
    assert len(keys.group(both, without=("strategy",))) == 2 * len(groups), \
        "the cadence keeps two runs' configs apart"


# ---- speedups and the report --------------------------------------------------------------------

def test_every_speedup_is_against_the_reference_of_the_same_path():
    doc = schema.load_results(PATHS)
    want = expected_speedups(raw(PATHS))
    got = dict(zip((c["id"] for c in doc["configs"]), keys.speedups(doc["configs"])))
    assert set(want) == set(got) and len(want) == 16
    for cid, x in want.items():
        assert abs(got[cid] - x) < 1e-12, cid
    # the bug: a registered-path reference against the zero-cta one (0.99x), fused rows blank
    assert all(got[c["id"]] == 1.0 for c in doc["configs"] if c["strategy"] == "reference")


def test_strategy_tables_give_every_path_its_own_labelled_column():
    doc = schema.load_results(PATHS)
    want = expected_speedups(raw(PATHS))
    tables = overview.strategy_tables([("paths", doc)])
    assert len(tables) == 2, "one table per shape"
    for heading, t in tables:
        heads = t.headers[1:]
        assert len(set(heads)) == len(heads) == 8, heads
        assert "contention=gemm" in heading
        for st in ("reference", "fused"):
            for path in ("default", "registered", "symmetric", "zero-cta"):
                assert f"{st} · path={path}" in heads
        shape = re.search(r"b(\d+)·s(\d+)·h(\d+)", heading).groups()
        speed = dict(zip(heads, t.rows[3][1:]))
        for head, cell in speed.items():
            st, path = re.match(r"(\w+) · path=([\w-]+)", head).groups()
            cid = (f"tp1dp1-tp1dp1/bsh/bf16/b{shape[0]}.s{shape[1]}.h{shape[2]}/{st}"
                   + ("" if path == "default" else f"/path={path}"))
            assert cell == f"{want[cid]:.2f}x", (head, cell)


def test_report_on_the_real_paths_file_labels_every_path(tmp_path):
    res = run_script("report.py", PATHS, "--out-dir", tmp_path)
    assert res.returncode == 0, res.stderr
    md = (tmp_path / "report.md").read_text()
    assert "| reference | reference | reference | reference |" not in md
    assert "|  | reference · path=default | fused · path=default | reference · path=registered" in md
    # the verdict's winner is named with its path, its speedup over that path's reference
    line = next(ln for ln in md.splitlines() if "**tp1dp1-tp1dp1**" in ln)
    assert re.search(r"\*\*fused · path=[\w-]+\*\* wins", line), line


def test_verdicts_and_heat_map_rows_keep_paths_apart():
    doc = schema.load_results(PATHS)
    (v,) = verdict.layout_verdicts([("paths", doc)])
    assert len(v.strategies) == 8
    want = expected_speedups(raw(PATHS))
    for label in v.strategies:
        st, path = re.match(r"(\w+) · path=([\w-]+)", label).groups()
        ids = [c["id"] for c in doc["configs"]
               if c["strategy"] == st and c["nccl_path"]["requested"] == path]
        assert sorted(v.speedups[label]) == sorted(want[i] for i in ids)
    assert set(v.rows[("bsh", "bf16")]) == set(v.strategies)


def test_a_phase_meets_the_bare_collective_of_its_own_path():
    doc = schema.load_results(ISO)
    cfg = next(c for c in doc["configs"] if c["key"]["strategy"] == "reference"
               and any(p["kind"] == "collective" for p in c["phases"]))
    ph = next(p for p in cfg["phases"] if p["kind"] == "collective")
    mine = overview.match_collective(cfg, ph, doc["collectives"])
    assert mine is not None
    other = copy.deepcopy(mine)
    other["key"]["nccl_path"] = "zero-cta"
    other["median_ms"] = 99.0
    assert overview.match_collective(cfg, ph, [other] + doc["collectives"]) is mine
    assert overview.match_collective(cfg, ph, [other]) is None


# ---- compare and history --------------------------------------------------------------------

def test_compare_matches_by_the_whole_key():
    same = cmpmod.compare(schema.load_results(PATHS), schema.load_results(PATHS))
    totals = [r for r in same.rows if r.phase == cmpmod.TOTAL]
    assert len(totals) == 16 and not same.only_base and not same.only_new
    assert {r.verdict for r in totals} == {"SAME"} or all(r.v.change_pct == 0 for r in totals)
    # loaded against idle: the same ids, different keys: nothing matched, nothing compared
    apart = cmpmod.compare(schema.load_results(PATHS), idle_twin())
    assert not apart.rows
    assert len(apart.only_base) == 16 and len(apart.only_new) == 16
    # isolated against streaming cadence (the writer's own files)
    cad = cmpmod.compare(schema.load_results(ISO), schema.load_results(STREAM))
    assert not cad.rows
    assert len(cad.only_base) == len(raw(ISO)["configs"])


def test_compare_cli_refuses_to_call_a_cadence_change_a_speedup(tmp_path):
    res = run_script("compare.py", ISO, STREAM, "--fail-on-regression")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "measured in base, missing in new" in res.stderr
    assert "**0 SLOWER, 0 FASTER**, 0 SAME" in res.stdout


def test_history_keeps_the_cadence_apart(tmp_path):
    db = str(tmp_path / "h.db")
    store.append(db, schema.load_results(ISO), source="iso")
    store.append(db, schema.load_results(STREAM), source="stream")
    con = store.open_any(db)
    r1, r2 = store.runs(con)
    ids1 = {k[0] for k in store.results(con, r1["run_id"])}
    ids2 = {k[0] for k in store.results(con, r2["run_id"])}
    assert ids1 and ids2 and not ids1 & ids2
    c = history_check.check(con)
    assert not c.rows, "an isolated run is never a base for a streaming one"
    assert sorted(c.missing) == sorted(ids1)
    # layout and strategy come from the key, whatever the id's suffixes
    pts = store.results(con, r2["run_id"])
    assert {p["strategy"] for p in pts.values()} == {"reference", "fused", "p2p", "alltoall"}
    assert all(p["layout"] == p["config_id"].split("/")[0] for p in pts.values())


# ---- the stdout summary ---------------------------------------------------------------------

def _summary_rows(text):
    """{id: vs-ref cell} of results_summary's table."""
    out = {}
    for line in text.splitlines():
        cols = line.split()
        if len(cols) == 10 and "/" in cols[0]:
            out[cols[0]] = cols[8]
    return out


def test_summary_of_the_real_paths_file_compares_each_path_with_its_reference():
    assert os.access(SUMMARY_BIN, os.X_OK), f"{SUMMARY_BIN}: build the results_summary target"
    res = run_script("summary.py", PATHS, "--bin", SUMMARY_BIN, subprocess_=True)
    assert res.returncode == 0, res.stderr
    rows = _summary_rows(res.stdout)
    want = expected_speedups(raw(PATHS))
    assert set(rows) == set(want), res.stdout
    for cid, x in want.items():
        assert rows[cid] == f"{x:.2f}x", (cid, rows[cid], res.stdout)
    assert f"results: {PATHS} (16 configs" in res.stdout


def test_summary_binary_refuses_a_file_without_keys(tmp_path):
    assert os.access(SUMMARY_BIN, os.X_OK), f"{SUMMARY_BIN}: build the results_summary target"
    res = subprocess.run([SUMMARY_BIN, PATHS], capture_output=True, text=True)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith("error: bad_results: ") and "scripts/summary.py" in res.stderr
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    res = subprocess.run([SUMMARY_BIN, str(bad)], capture_output=True, text=True)
    assert res.returncode == 2 and res.stderr.startswith("error: bad_results: ")


def test_summary_of_a_fixture_matches_the_report_speedups():
    doc = schema.load_results(ISO)
    res = subprocess.run([SUMMARY_BIN, ISO], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    rows = _summary_rows(res.stdout)
    for c, x in zip(doc["configs"], keys.speedups(doc["configs"])):
        assert rows[c["id"]] == (f"{x:.2f}x" if x is not None else "-"), c["id"]


def test_launch_table_lines_up_an_eager_and_a_graph_run_of_each_config():
    graph = os.path.join(ROOT, "reports", "nccl-paths-h200", "world1_graph.json")
    res = run_script("launch_table.py", PATHS, graph, "--label", "eager", "--label", "graph")
    assert res.returncode == 0, res.stderr
    row = next(ln for ln in res.stdout.splitlines()
               if ln.startswith("| tp1dp1-tp1dp1/bsh/bf16/b4.s8192.h4096/reference/path=zero-cta "
                                "| total |"))
    cells = [c.strip() for c in row.strip("|").split("|")][2:]
    assert len(cells) == 4 and "-" not in cells, row


def test_summary_py_without_the_binary_says_so(tmp_path):
    res = run_script("summary.py", PATHS, "--bin", tmp_path / "nope", subprocess_=True)
    assert res.returncode == 2 and res.stdout == ""
    assert "error: no_binary: " in res.stderr

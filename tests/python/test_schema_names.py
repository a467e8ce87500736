"""Schema version 3's names (docs/results-schema.md, "Changes in version 3"): a config's parallel
layout is "layout" (was "layout_name"), its shape's memory order "mem" (was shape "layout"), a
bare collective's layout "layout" (was "layout_name"). Files of versions 1 and 2 are upgraded
in memory by one step (bbreport.schema.upgrade_names), so every script reads an old file as it
reads a new one: these tests fail if either is misread.

The truth is taken from the raw files' own keys: the version-1 sample's layout_name and
shape.layout, the v3 twin's (tests/data/sample_results_a_v3.json, written by make_samples.py
without bbreport) layout and shape.mem."""
import copy
import os
import sqlite3

import pytest
from conftest import DATA, SAMPLE_A, load, run_script

from bbreport import history_store as store
from bbreport import overview, overview_plots, plots, verdict
from bbreport.schema import SCHEMA_VERSION, check_results, upgrade_names

SAMPLE_A_V3 = os.path.join(DATA, "sample_results_a_v3.json")
LAYOUTS = {"seed_fan_in_cp2", "seed_fan_out_cp2", "seed_fan_in_cp1", "dp_tp_order"}


def _v2():
    doc = load(SAMPLE_A)
    doc["schema_version"] = 2
    return doc


def _truth(raw):
    """{config id: (parallel layout, memory order)} from a raw file's own keys."""
    if raw["schema_version"] >= 3:
        return {c["id"]: (c["layout"], c["shape"]["mem"]) for c in raw["configs"]}
    return {c["id"]: (c["layout_name"], c["shape"]["layout"]) for c in raw["configs"]}


@pytest.fixture(params=["v1", "v2", "v3"])
def raw(request):
    make = {"v1": lambda: load(SAMPLE_A), "v2": _v2, "v3": lambda: load(SAMPLE_A_V3)}
    return make[request.param]()


def test_the_v3_twin_is_the_old_sample_renamed():
    old, new = load(SAMPLE_A), load(SAMPLE_A_V3)
    assert new["schema_version"] == 3 < SCHEMA_VERSION
    assert _truth(old) == _truth(new)
    assert {lay for lay, _ in _truth(new).values()} == LAYOUTS
    assert {mem for _, mem in _truth(new).values()} == {"bsh", "sbh"}
    assert "layout_name" not in open(SAMPLE_A_V3).read()


def test_every_version_reads_as_version_3_names(raw):
    truth = _truth(raw)
    doc = check_results(copy.deepcopy(raw))
    assert doc["schema_version"] == raw["schema_version"]    # the file's own version is kept
    for c in doc["configs"]:
        assert (c["layout"], c["shape"]["mem"]) == truth[c["id"]]
        assert "layout_name" not in c and "layout" not in c["shape"]
    for coll in doc["collectives"]:
        assert coll["layout"] in LAYOUTS and "layout_name" not in coll
        assert coll["id"].startswith(coll["layout"] + "/")


def test_the_three_versions_read_the_same():
    docs = [check_results(d) for d in (load(SAMPLE_A), _v2(), load(SAMPLE_A_V3))]
    for d in docs:
        d.pop("schema_version")
    assert docs[0] == docs[1] == docs[2]


def test_upgrading_twice_changes_nothing_and_v3_is_never_renamed():
    once = check_results(_v2())
    assert check_results(copy.deepcopy(once)) == once
    # In version 3 "layout" is the parallel layout: the version decides, not the keys present,
    # so a v3 config is left alone even where a v2 reader's key would match.
    v3 = load(SAMPLE_A_V3)
    v3["configs"][0]["shape"]["layout"] = "stray"
    got = upgrade_names(copy.deepcopy(v3))
    assert got["configs"][0]["layout"] == v3["configs"][0]["layout"] in LAYOUTS
    assert got["configs"][0]["shape"]["mem"] == v3["configs"][0]["shape"]["mem"]


def test_v3_collectives_with_the_old_key_still_match():
    """bridge_bench's bare-collective writer may still say "layout_name" in a version 3 file."""
    doc = load(SAMPLE_A_V3)
    for coll in doc["collectives"]:
        coll["layout_name"] = coll.pop("layout")
    doc = check_results(doc)
    matched = 0
    for cfg in doc["configs"]:
        for ph in cfg["phases"]:
            c = overview.match_collective(cfg, ph, doc["collectives"])
            if c is not None:
                assert c["id"].startswith(cfg["layout"] + "/") and c["phase"] == ph["name"]
                matched += 1
    assert matched > 20


def _with_bsh_twins(raw):
    """raw plus a bsh twin of every sbh config of seed_fan_in_cp2 (same layout, shape, dtype
    and strategy; 10% slower), written under the raw file's own key for the memory order: a
    reader that loses the memory order merges each twin into the sbh config's table."""
    key = "mem" if raw["schema_version"] >= 3 else "layout"
    twins = []
    for c in raw["configs"]:
        if c["id"].startswith("seed_fan_in_cp2/sbh/"):
            t = copy.deepcopy(c)
            t["id"] = c["id"].replace("/sbh/", "/bsh/")
            t["shape"][key] = "bsh"
            t["total"]["median_ms"] *= 1.1
            twins.append(t)
    raw["configs"] += twins
    return raw, len(twins)


def test_report_groups_and_labels_by_layout_and_mem(raw, tmp_path, write_json):
    raw, n_twins = _with_bsh_twins(raw)
    assert n_twins == 6
    truth = _truth(raw)
    out = tmp_path / "rep"
    res = run_script("report.py", write_json("r.json", raw), "--out-dir", out)
    assert res.returncode == 0, res.stderr
    md = (out / "report.md").read_text()
    overview_md = md.split("## Overview\n", 1)[1].split("**Contents:**", 1)[0]
    for layout in LAYOUTS:
        assert f"- **{layout}** (" in overview_md
    strategy = md.split("## Strategy comparison", 1)[1].split("\n## ", 1)[0]
    headings = [line for line in strategy.splitlines() if line.startswith("### ")]
    # one table per (layout, mem, dtype, shape): 9 sbh bf16 pairs, two bsh references alone,
    # and the 3 bsh twin pairs
    assert len(headings) == len({cid.rsplit("/", 1)[0] for cid in truth}) == 14
    for cid, (layout, mem) in truth.items():
        s = cid.split("/")[3]                      # b2.s1024.h4096
        b, sq, h = (x[1:] for x in s.split("."))
        assert any(h_.startswith(f"### {layout}: ") and f"b{b}·s{sq}·h{h} {mem} " in h_
                   for h_ in headings), (cid, headings)
        row = next(line for line in md.splitlines() if line.startswith(f"| {cid} |"))
        assert f"| b{b}·s{sq}·h{h} {mem} |" in row
    assert "None" not in md and " ? |" not in md


def test_report_is_the_same_for_an_old_and_a_new_file(tmp_path, write_json):
    mds = []
    for name, doc in (("old.json", _v2()), ("new.json", load(SAMPLE_A_V3))):
        out = tmp_path / name[:-5]
        assert run_script("report.py", write_json(name, doc), "--out-dir", out).returncode == 0
        mds.append((out / "report.md").read_text().replace(name, "RESULTS.json"))
    assert mds[0] == mds[1]


def test_plot_labels_name_layout_and_mem(raw, monkeypatch):
    truth = _truth(raw)
    doc = check_results(copy.deepcopy(raw))
    labelled = [(c["id"], c) for c in doc["configs"]]
    figs = []
    real = plots._png

    def record(fig):
        figs.append(fig)
        return real(fig)
    monkeypatch.setattr(plots, "_png", record)
    overview_plots.time_vs_size(labelled)
    legend = {t.get_text() for t in figs[-1].legends[0].get_texts()}
    assert legend == {f"{lay} · {mem} {cid.split('/')[2]}" for cid, (lay, mem) in truth.items()}
    plots.bandwidth_vs_size(labelled)
    legend = {t.get_text() for t in figs[-1].legends[0].get_texts()}
    assert legend == {f"{lay} · {cid.split('/')[2]}/{mem}" for cid, (lay, mem) in truth.items()}
    overview_plots.speedup_heatmap(verdict.layout_verdicts([("a", doc)]))
    rows = {t.get_text() for t in figs[-1].axes[0].get_yticklabels()}
    assert rows == {f"{lay} · {mem} {cid.split('/')[2]}" for cid, (lay, mem) in truth.items()}


def test_history_keeps_the_layout_of_old_and_new_files(tmp_path, write_json):
    db = tmp_path / "h.db"
    for name, doc in (("old.json", _v2()), ("new.json", load(SAMPLE_A_V3))):
        res = run_script("history.py", "append", db, write_json(name, doc))
        assert res.returncode == 0, res.stderr
    con = store.open_any(str(db))
    runs = store.runs(con)
    assert [r["schema_version"] for r in runs] == [2, 3]
    truth = _truth(load(SAMPLE_A_V3))
    for r in runs:
        got = {cid: p["layout"] for (cid, phase), p in store.results(con, r["run_id"]).items()
               if phase == store.TOTAL}
        assert got == {cid: lay for cid, (lay, _) in truth.items()}
    con.close()
    # the store's own table keeps its column name (stores written before version 3 open as before)
    cols = [row[1] for row in sqlite3.connect(db).execute("PRAGMA table_info(results)")]
    assert "layout_name" in cols
    out = tmp_path / "hist"
    assert run_script("history.py", "render", db, "--out", out).returncode == 0
    md = (out / "history.md").read_text()
    for layout in LAYOUTS:
        assert f"### {layout} (" in md
    assert "### None" not in md


def test_phase_vs_bare_reads_old_and_new_alike(write_json):
    outs = [run_script("phase_vs_bare.py", write_json(n, d)) for n, d in
            (("old.json", _v2()), ("new.json", load(SAMPLE_A_V3)))]
    assert all(o.returncode == 0 for o in outs), [o.stderr for o in outs]
    assert outs[0].stdout == outs[1].stdout
    assert outs[0].stdout.count("| seed_fan_") > 20   # phases matched to their bare collective


def test_compare_old_against_new_is_no_change(write_json):
    res = run_script("compare.py", write_json("old.json", _v2()),
                     write_json("new.json", load(SAMPLE_A_V3)), "--fail-on-regression")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "**0 SLOWER, 0 FASTER**" in res.stdout
    assert "0 configs missing in new, 0 only in new" in res.stdout


def test_torch_bridge_says_mem_for_the_memory_order(capsys):
    import torch_bridge                      # needs no torch until a run starts
    assert torch_bridge.TORCH_SCHEMA_VERSION == 2
    assert torch_bridge.parse_args(["--mem", "bsh,sbh"]).mem == "bsh,sbh"
    assert torch_bridge.parse_args([]).mem == "bsh"
    assert torch_bridge.parse_args(["--layout", "sbh"]).mem == "sbh"     # the old name still works
    assert "--layout is the old name of --mem" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        torch_bridge.parse_args(["--mem", "hsb"])

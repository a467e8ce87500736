"""A phase is one row of the C++ phase table (harness/measure/phases.hpp), which every results
file carries as "phase_table": the scripts order, colour and classify phases from the file's own
table, so a phase they have never seen (here "bwd_unpack", placed last) reads right everywhere;
a file without a table (version 1) reads with the frozen V1_PHASE_TABLE exactly as before."""
import copy

import pytest
from matplotlib.axes import Axes

from conftest import SAMPLE_A, load, run_script

from bbreport import history_check, history_store, nsys, overview, plots, report, verdict
from bbreport.compare import TOTAL, compare
from bbreport.schema import (V1_PHASE_TABLE, SchemaError, check_results, fallback_disagreements, is_comm,
                             merge_phase_tables, phase_colors, phase_names, phase_table)

V1_NAMES = ["fwd_local", "fwd_comm", "cp_shard", "cp_adjoint", "bwd_cp", "bwd_comm", "bwd_local"]
V1_COLORS = {"fwd_local": "#66BB6A", "fwd_comm": "#FFA726", "cp_shard": "#AB47BC",
             "cp_adjoint": "#7E57C2", "bwd_cp": "#EF5350", "bwd_comm": "#FF7043",
             "bwd_local": "#42A5F5"}
NEW, NEW_COLOR = "bwd_unpack", "#26C6DA"


def _v1():
    return check_results(load(SAMPLE_A))


def _with_new_phase(role="local"):
    """Sample a, as a file whose C++ table has one more phase, last: every config runs it (a copy
    of its bwd_local entry), and a bare collective matches the first config's new phase."""
    doc = load(SAMPLE_A)
    doc["schema_version"] = 2
    doc["phase_table"] = [dict(p) for p in V1_PHASE_TABLE] + [
        {"name": NEW, "role": role, "color": NEW_COLOR}]
    for c in doc["configs"]:
        ph = copy.deepcopy(next(p for p in c["phases"] if p["name"] == "bwd_local"))
        ph.update(name=NEW, kind="collective" if role == "comm" else "local",
                  op="all_gather" if role == "comm" else "copy")
        c["phases"].append(ph)
    first = doc["configs"][0]
    bare = copy.deepcopy(next(b for b in doc["collectives"]
                              if overview.match_collective(first, first["phases"][1],
                                                           doc["collectives"]) is b))
    bare.update(id=bare["id"] + "-unpack", phase=NEW, op=first["phases"][-1]["op"],
                strategies=first["strategy"])
    doc["collectives"].append(bare)
    return check_results(doc)


def test_the_document_table_names_orders_and_colours_the_phases():
    doc = _with_new_phase()
    assert phase_names(doc) == V1_NAMES + [NEW]
    assert phase_colors(doc) == dict(V1_COLORS, **{NEW: NEW_COLOR})
    # a version 1 file gets the frozen table, unchanged
    v1 = _v1()
    assert v1["phase_table"] == list(V1_PHASE_TABLE) and phase_names(v1) == V1_NAMES
    assert phase_colors(v1) == V1_COLORS
    # merged with an old file, the new phase keeps its place (after bwd_local; a middle one
    # after the phase it follows)
    assert phase_names([v1, doc]) == phase_names([doc, v1]) == V1_NAMES + [NEW]
    mid = [p for p in V1_PHASE_TABLE if p["name"] in ("fwd_local", "cp_shard")]
    mid.insert(1, {"name": "fwd_pack", "role": "local", "color": "#000000"})
    names = [p["name"] for p in merge_phase_tables([V1_PHASE_TABLE, mid])]
    assert names == ["fwd_local", "fwd_pack"] + V1_NAMES[1:]


def test_is_comm_reads_kind_then_the_table_role():
    assert is_comm({"name": NEW, "kind": "collective"})
    assert not is_comm({"name": NEW, "kind": "local"})
    comm_table = phase_table(_with_new_phase("comm"))
    assert is_comm({"name": NEW}, comm_table) and not is_comm({"name": NEW})
    assert [n for n in V1_NAMES if is_comm({"name": n})] == ["fwd_comm", "bwd_cp", "bwd_comm"]


def test_a_malformed_phase_table_is_bad_input():
    doc = load(SAMPLE_A)
    doc["phase_table"] = [{"name": NEW, "role": "elsewhere", "color": NEW_COLOR}]
    with pytest.raises(SchemaError, match="phase_table"):
        check_results(doc)


def test_fallback_agrees_with_a_table_that_adds_a_phase_not_with_one_that_changes_one():
    table = list(V1_PHASE_TABLE) + [{"name": NEW, "role": "local", "color": NEW_COLOR}]
    assert fallback_disagreements(table) == []
    recoloured = [dict(p, color="#000000") if p["name"] == "bwd_cp" else p for p in table]
    assert fallback_disagreements(recoloured) == [
        "bwd_cp: color '#000000' in the C++ table, '#EF5350' in V1_PHASE_TABLE"]
    swapped = [table[1], table[0]] + table[2:]
    assert "order of the shared phases" in fallback_disagreements(swapped)[0]
    assert fallback_disagreements([dict(table[1], role="local")])[0].startswith("fwd_comm: role")


def test_report_phase_table_and_full_report(tmp_path, write_json):
    doc = _with_new_phase()
    cfg = doc["configs"][0]
    table, unknown = report.phase_table(cfg, doc)
    assert unknown == [] and [r[0] for r in table.rows][-2:] == [NEW, "TOTAL (round trip)"]
    # the same config read with the frozen table only: the phase is outside it
    assert report.phase_table(cfg)[1] == [NEW]
    res = run_script("report.py", write_json("new.json", doc), "--out-dir", tmp_path / "rep")
    assert res.returncode == 0, res.stderr
    md = (tmp_path / "rep" / "report.md").read_text()
    assert NEW in md and "outside the schema vocabulary" not in md


@pytest.fixture
def drawn(monkeypatch):
    """What the phase plots draw: (label, colour) per stacked bar, and the heat map's columns."""
    bars, ticks = [], []
    barh, set_xticks = Axes.barh, Axes.set_xticks

    def rec_barh(self, *a, **k):
        bars.append((k.get("label"), k.get("color")))
        return barh(self, *a, **k)

    def rec_ticks(self, t, labels=None, **k):
        ticks.append(list(labels) if labels is not None else None)
        return set_xticks(self, t, labels, **k)
    monkeypatch.setattr(Axes, "barh", rec_barh)
    monkeypatch.setattr(Axes, "set_xticks", rec_ticks)
    return bars, ticks


def test_plots_order_and_colour_from_the_table(drawn):
    bars, ticks = drawn
    doc = _with_new_phase()
    labelled = [(c["id"], c) for c in doc["configs"]]
    assert plots.phase_breakdown(labelled, [doc]) is not None
    present = [n for n in V1_NAMES if any(p["name"] == n for c in doc["configs"]
                                          for p in c["phases"])]
    assert bars == [(n, V1_COLORS[n]) for n in present] + [(NEW, NEW_COLOR)]
    assert plots.floor_ratio_per_phase(labelled, [doc]) is not None
    assert ticks[-1] == present + [NEW, "TOTAL"]
    # version 1: the seven phases in their order and colours, as before
    bars.clear()
    v1 = _v1()
    plots.phase_breakdown([(c["id"], c) for c in v1["configs"]], [v1])
    assert bars == [(n, V1_COLORS[n]) for n in present]


def test_compare_orders_the_new_phase_and_flags_it_against_an_old_base():
    doc = _with_new_phase()
    cid = doc["configs"][0]["id"]
    phases = [r.phase for r in compare(doc, copy.deepcopy(doc)).rows if r.id == cid]
    assert phases == [TOTAL] + [p["name"] for p in doc["configs"][0]["phases"]]
    assert phases[-1] == NEW
    out = compare(_v1(), doc)
    assert (cid, NEW, "new") in out.phase_mismatch
    assert [r.phase for r in out.rows if r.id == cid][-1] == "bwd_local"


def _skews(runs):
    return sum(len(s) for v in verdict.layout_verdicts(runs) for s in v.skews.values())


def _overhead_phases(doc):
    runs = [("x", doc)]
    labelled = [(c["id"], c) for c in doc["configs"]]
    return [row[1] for row in overview.overhead_table(overview._labelled_runs(runs, labelled)).rows]


def test_verdict_and_overview_count_the_phase_by_its_role():
    base = _skews([("a", _v1())])
    local, comm = _with_new_phase("local"), _with_new_phase("comm")
    assert _skews([("a", local)]) == base          # a local phase is no collective wait
    assert _skews([("a", comm)]) == base + 1       # the one config with a matching bare
    assert NEW not in _overhead_phases(local)
    assert _overhead_phases(comm).count(NEW) == 1
    assert _overhead_phases(_v1()) == _overhead_phases(local)


def test_nsys_takes_an_unknown_phase_of_its_domain_after_the_known_ones():
    proj = [{"Range": f"bridgebench:{n}", "Total Proj Time (ns)": "1000", "Range Instances": "1"}
            for n in (NEW, "bwd_local", "fwd_local")]
    proj += [{"Range": "bridgebench:config a/b/c", "Total Proj Time (ns)": "9",
              "Range Instances": "1"},
             {"Range": "other_phase", "Total Proj Time (ns)": "9", "Range Instances": "1"}]
    assert list(nsys.phase_times(proj)) == ["fwd_local", "bwd_local", NEW]
    doc = _with_new_phase()
    assert list(nsys.phase_times(proj, docs=[doc])) == ["fwd_local", "bwd_local", NEW]


def test_history_orders_the_new_phase_from_the_stored_rows(tmp_path):
    path = tmp_path / "h.sqlite"
    doc = _with_new_phase()
    history_store.append(path, doc)
    con = history_store.open_any(path)
    out = history_check.export_benchmark_action(con, phases=True)
    cid = doc["configs"][0]["id"]
    names = [TOTAL if e["name"] == cid else e["name"][len(cid) + 1:] for e in out
             if e["name"] == cid or e["name"].startswith(cid + " ")]
    assert names == [TOTAL] + [p["name"] for p in doc["configs"][0]["phases"]]
    key = history_store.phase_key(history_store.results(con, 1))
    assert sorted([NEW, "bwd_local", TOTAL, "fwd_local"], key=key) == \
        [TOTAL, "fwd_local", "bwd_local", NEW]

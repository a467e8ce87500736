"""Headline, strategy comparison, bare collectives / suite overhead and repetition spread."""
import copy
import os
import re

import pytest
from conftest import DATA, SAMPLE_A, SAMPLE_HOST, load, run_script

from bbreport.overview import match_collective
from bbreport.schema import check_results, fmt_ms

REAL_HOST = os.path.join(DATA, "real_host_results.json")   # written by bridge_bench --backend=host
OVERHEAD = "seed_fan_out_cp2/sbh/bf16/b2.s4096.h4096/reference"   # planted in make_samples.py
SPREAD_BAD = "seed_fan_in_cp1/sbh/bf16/b2.s1024.h4096/reference"


def _render(tmp_path, path):
    out = tmp_path / "rep"
    res = run_script("report.py", path, "--out-dir", out)
    assert res.returncode == 0, res.stderr
    return (out / "report.md").read_text(), (out / "report.html").read_text()


@pytest.fixture(scope="module")
def report_real(tmp_path_factory):
    return _render(tmp_path_factory.mktemp("real"), REAL_HOST)


def _section(md, heading):
    """The text under a `##` heading up to the next `##`; under a `###` heading up to the next
    heading of either level."""
    if f"\n### {heading}\n" in md:
        return re.split(r"\n#{2,3} ", md.split(f"\n### {heading}\n", 1)[1], 1)[0]
    return md.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def _rows(section, first_cell):
    return [line for line in section.splitlines() if line.startswith(f"| {first_cell} |")]


def test_headline_is_first_line(report_a):
    md, html, _ = report_a
    assert md.splitlines()[2] == (
        "**20 configs, NOT all correct (1 wrong or misrouted, 1 failed)** · backend: emulate"
        " · device: NVIDIA H100 80GB HBM3"
        " · EMULATED: collective times are device-to-device copies, not NVLink")
    assert "<strong>20 configs, NOT all correct" in html


def test_strategy_comparison_near_top_with_speedups(report_a):
    md, html, _ = report_a
    assert md.index("## Strategy comparison") < md.index("## Environment")
    section = _section(md, "Strategy comparison")
    by_id = {c["id"]: c for c in check_results(load(SAMPLE_A))["configs"]}
    pairs = [(c, by_id.get(c["id"][:-len("reference")] + "fused")) for c in by_id.values()
             if c["strategy"] == "reference"]
    assert sum(f is not None for _, f in pairs) == 9
    for ref, fused in pairs:
        if fused is None:   # a reference-only group: no speedup in its heading
            assert "| speedup over reference | 1.00x |\n" in section
            continue
        r, f = ref["total"]["median_ms"], fused["total"]["median_ms"]
        block = section.split(f"b{ref['shape']['b']}·s{ref['shape']['s']}·h4096 sbh bf16 — "
                              f"fused {r / f:.2f}x\n")
        assert len(block) > 1 and ref["layout"] in block[0].rsplit("###", 1)[1]
        table = block[1].split("###", 1)[0]
        assert "|  | reference | fused |" in table
        assert f"| total median ms | {fmt_ms(r)} | {fmt_ms(f)} |" in table
        assert f"| speedup over reference | 1.00x | {r / f:.2f}x |" in table
        assert "| bytes/rank |" in table and "| floor ratio |" in table
    assert "fused" in html and "speedup over reference" in html


def test_collectives_and_suite_overhead(report_a):
    md, html, _ = report_a
    doc = load(SAMPLE_A)
    coll = _section(md, "Collectives alone")
    for c in doc["collectives"]:
        (row,) = _rows(coll, c["id"])
        assert f"| {c['op']} | {c['phase']} | {c['group_size']} × {c['groups']} |" in row
        stats = (fmt_ms(c[k]) for k in ("median_ms", "min_ms", "max_ms"))
        assert "| {} | {} | {} |".format(*stats) in row
    over = _section(md, "Collective phases in the round trip vs alone")
    # every comm phase of every config has its bare collective in the samples
    n_comm = sum(p["name"] in ("fwd_comm", "bwd_cp", "bwd_comm")
                 for c in doc["configs"] for p in c["phases"])
    assert over.count("\n| seed_") + over.count("\n| dp_tp_order") == n_comm
    # planted: +25% on OVERHEAD's bwd_cp; its bwd_comm is the collective's first user: +4.0%
    assert [r.split(" | ")[1:] for r in _rows(over, OVERHEAD)] == [
        ["bwd_cp", "all_reduce", "0.1357", "0.1085", "+25.0%", "missed |"],
        ["bwd_comm", "all_gather", "0.1235", "0.1187", "+4.0%", "met |"]]
    # fused bwd_cp is matched to the all_gather, reference to the all_reduce
    fused = _rows(over, "seed_fan_in_cp2/sbh/bf16/b2.s4096.h4096/fused")
    assert [r.split(" | ")[1:3] for r in fused] == [["fwd_comm", "all_gather"],
                                                  ["bwd_cp", "all_gather"]]
    assert over.count("| +4.0% | met |") >= 20
    assert "target ±5%" in over and "memory copies, not NVLink" in over
    assert '<td>missed</td>' in html and '<p class="note">Note: a collective phase' in html
    # the harness's own overhead: the same collective through the suite's phase recorder
    assert coll.count("| +2.0% | met |") == len(doc["collectives"]) - 1
    assert coll.count("| +8.0% | missed |") == 1
    assert "through the suite's own phase recorder" in coll


def test_repetition_spread(report_a, tmp_path):
    md, _, _ = report_a
    spread = _section(md, "Repetition spread")
    (bad,) = _rows(spread, SPREAD_BAD)
    assert bad.endswith("| 16.0 MiB | 3 | 0.1362, 0.1471, 0.1416 | 1.080 | missed |")
    assert spread.count("| 1.014 | met |") == len(load(SAMPLE_A)["configs"]) - 1
    host_md, _ = _render(tmp_path, SAMPLE_HOST)   # 2 MiB per rank: under 16 MiB, no target
    assert "| 2.0 MiB | 3 |" in host_md and "| 1.100 | no target (small) |" in host_md


def test_old_file_without_collectives_or_repetitions(tmp_path, write_json):
    doc = load(SAMPLE_A)
    del doc["collectives"]
    doc["configs"] = doc["configs"][:4]   # a few configs keep the plots quick
    for c in doc["configs"]:
        del c["repetition_medians_ms"], c["repetition_spread"]
    md, _ = _render(tmp_path, write_json("old.json", doc))
    assert "No bare collectives in this results file" in md
    assert "No config phase has a matching bare collective." in md
    assert "No repetition spread" in md
    assert "## Strategy comparison" in md and "None" not in md


def test_real_host_results_render(report_real):
    md, html = report_real
    assert md.splitlines()[2] == "**12 configs, all correct** · backend: host · device: no GPU"
    assert "EMULATED" not in md.split("## Environment")[0]
    strat = _section(md, "Strategy comparison")
    assert strat.count("### ") == 6
    assert ("### seed_fan_in_cp2: TP2·DP4 → TP2·CP2·DP2, b2·s256·h1024 bsh bf16"
            " — fused 3.95x") in strat
    assert "| total median ms | 8.959 | 2.268 |" in strat
    coll = _section(md, "Collectives alone")
    assert coll.count("| 2 × 4 |") == 7
    over = _section(md, "Collective phases in the round trip vs alone")
    assert over.count("\n| seed_") == 20
    (ref_cp,) = [r for r in _rows(over, "seed_fan_in_cp2/bsh/bf16/b2.s256.h1024/reference")
                 if "| bwd_cp |" in r]
    assert ref_cp.endswith("| all_reduce | 8.044 | 7.797 | +3.2% | met |")
    assert "No repetition spread" in md   # one repetition in this run
    assert "None" not in md and "data:image/png;base64," in html


def test_match_collective_rules():
    doc = check_results(load(REAL_HOST))
    colls = doc["collectives"]
    for cfg in doc["configs"]:
        for p in cfg["phases"]:
            c = match_collective(cfg, p, colls)
            if p["kind"] == "local":
                assert c is None
                continue
            assert c["phase"] == p["name"] and c["op"] == p["op"]
            assert cfg["strategy"] in c["strategies"].split(",")
            assert c["id"].startswith(f"{cfg['layout']}/bf16/b2.s256.h1024/")
    cfg = doc["configs"][0]
    bwd_cp = next(p for p in cfg["phases"] if p["name"] == "bwd_cp")
    other = copy.deepcopy(colls)
    for c in other:   # another shape in the collective's key (version 4; derived for older files)
        c["key"].update(b=4, s=256, h=1024)
    assert match_collective(cfg, bwd_cp, other) is None
    assert match_collective({**cfg, "strategy": "fused"}, bwd_cp, colls) is None  # op differs

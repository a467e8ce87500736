"""The report's first screen (verdict per layout, speedup heat map, time vs size), the collapsed
details after a table of contents, plot labels and captions, and labels that agree with numbers
(no capping at 1.0; targets apart from correctness)."""
import copy
import math
import re

import pytest

from conftest import SAMPLE_A, SAMPLE_HOST, load, run_script

from bbreport import plots, verdict
from bbreport.doc import to_markdown
from bbreport.report import build
from bbreport.schema import SchemaError, check_numbers, check_results


def _geo(xs):
    return math.exp(sum(map(math.log, xs)) / len(xs))


def test_verdict_line_per_layout_matches_the_numbers(report_a):
    md, _, _ = report_a
    doc = check_results(load(SAMPLE_A))
    overview = md.split("## Overview\n", 1)[1].split("**Contents:**", 1)[0]
    lines = [l for l in overview.splitlines() if l.startswith("- **")]
    layouts = list(dict.fromkeys(c["layout"] for c in doc["configs"]))
    assert [re.match(r"- \*\*([^*]+)\*\*", l).group(1) for l in lines] == layouts
    for layout in ("seed_fan_in_cp2", "seed_fan_out_cp2", "seed_fan_in_cp1"):
        cfgs = [c for c in doc["configs"] if c["layout"] == layout]
        ref = {c["id"].rsplit("/", 1)[0]: c["total"]["median_ms"] for c in cfgs
               if c["strategy"] == "reference"}
        sp = [ref[c["id"].rsplit("/", 1)[0]] / c["total"]["median_ms"] for c in cfgs
              if c["strategy"] == "fused" and c["id"].rsplit("/", 1)[0] in ref]
        (line,) = [l for l in lines if l.startswith(f"- **{layout}**")]
        assert f"**fused** wins, **{_geo(sp):.2f}x** over `reference`" in line
        assert f"{len(sp)} shapes, {min(sp):.2f}–{max(sp):.2f}x" in line
        assert "floor ratio" in line and "over the same collective alone" in line
    assert "only `reference` measured (1 shape)" in overview


def test_overview_then_contents_then_collapsed_details(report_a):
    md, html, _ = report_a
    assert md.index("## Overview") < md.index("overview_speedup.png") < \
        md.index("overview_time_vs_size.png") < md.index("**Contents:**") < \
        md.index("## Strategy comparison")
    head, rest = html.split('<nav class="toc">', 1)
    assert "<details" not in head and 'id="overview"' in head
    assert 'id="overview_speedup"' in head and 'id="overview_time_vs_size"' in head
    toc = rest.split("</nav>", 1)[0]
    anchors = re.findall(r'href="#([^"]+)"', toc)
    sections = re.findall(r'<details id="([^"]+)"', rest)
    assert anchors == sections and len(sections) >= 8
    assert rest.count("<details") == rest.count("</details>")
    for table_head in ("<th>id</th><th>layout</th>", "<th>phase</th><th>op</th>"):
        assert table_head not in head          # detail tables are collapsed, after the TOC
        assert table_head in rest


def test_every_plot_has_axis_labels_with_units_and_a_caption(monkeypatch):
    figs = []
    real_png = plots._png

    def record(fig):
        figs.append([(ax.get_xlabel(), ax.get_ylabel(), ax.get_label()) for ax in fig.axes])
        return real_png(fig)
    monkeypatch.setattr(plots, "_png", record)
    doc = build([("a.json", check_results(load(SAMPLE_A)))], "t")
    images = doc.images()
    assert len(figs) == len(images) == 6
    for axes in figs:
        main = [a for a in axes if a[2] != "<colorbar>"]
        # side-by-side panels share the y axis: its label sits on the first panel
        assert main and all(x for x, _, _ in main) and main[0][1], axes
        labels = " ".join(x + " " + y for x, y, _ in axes)
        assert re.search(r"\((ms|bytes|x|GB/s)[,;)]| \(ms", labels) or "(x)" in labels, labels
        colorbars = [a for a in axes if a[2] == "<colorbar>"]
        assert all(x or y for x, y, _ in colorbars), axes
    assert all(len(i.caption) > 40 for i in images)


def test_html_figures_carry_captions(report_a):
    _, html, _ = report_a
    assert html.count("<figure>") == html.count("<figcaption>") == html.count("<img ") == 6


def test_floor_ratio_above_one_is_shown_as_measured(monkeypatch, tmp_path, write_json):
    doc = load(SAMPLE_HOST)
    cfg = doc["configs"][0]
    cfg["floor_ratio"] = 1.46
    cfg["phases"][0]["floor_ratio"] = 1.31
    norms = []
    real = plots._annotated_heatmap

    def spy(ax, data, fmt, cmap, vmin=None, vmax=None):
        norms.append((vmax, float(max(v for v in data.flat if not math.isnan(v)))))
        return real(ax, data, fmt, cmap, vmin, vmax)
    monkeypatch.setattr(plots, "_annotated_heatmap", spy)
    out = tmp_path / "rep"
    assert run_script("report.py", write_json("r.json", doc), "--out-dir", out).returncode == 0
    md = (out / "report.md").read_text()
    assert "floor ratio 1.46 (max 1.46)" in md                 # the verdict line
    assert "| 1.31 |" in md and "| 1.46 |" in md               # phase and config tables
    ratio_scales = [vmax for vmax, top in norms if vmax is not None and vmax != 1.0]
    assert ratio_scales and min(ratio_scales) >= 1.31           # colour bars reach the values
    assert all(vmax is None or vmax >= top for vmax, top in norms)
    assert "at the hardware limit" not in md


def test_targets_are_reported_apart_from_correctness(report_a):
    md, html, _ = report_a
    first = md.split("## Overview", 1)[0]
    assert first.count("Targets (performance goals, not correctness") == 1
    assert "30 of 32 collective phases within ±5%" in first
    assert "19 of 20 configs with repetition spread < 1.05" in first
    targets = md.split("## Targets (performance, not correctness)\n", 1)[1].split("\n## ", 1)[0]
    assert "| missed |" in targets and "| met |" in targets and "| NO |" not in targets
    # a missed target never reads as a wrong result
    assert '<td class="bad">missed</td>' not in html


def test_all_correct_run_with_missed_targets(tmp_path, write_json):
    doc = load(SAMPLE_HOST)
    doc["configs"][0]["repetition_spread"] = 1.5
    doc["configs"][0]["shape"]["src_bytes_per_rank"] = 64 << 20
    out = tmp_path / "rep"
    assert run_script("report.py", write_json("h.json", doc), "--out-dir", out).returncode == 0
    md = (out / "report.md").read_text()
    assert md.splitlines()[2].startswith("**1 configs, all correct**")
    assert "0 of 1 configs with repetition spread < 1.05" in md.split("## Overview")[0]


def test_verdict_when_reference_wins_or_is_missing():
    a = check_results(load(SAMPLE_A))
    slow = copy.deepcopy(a)
    for c in slow["configs"]:
        if c["strategy"] == "fused":
            c["total"]["median_ms"] *= 3
    lines = [verdict.verdict_line(v) for v in verdict.layout_verdicts([("a", slow)])]
    assert any("**reference** is fastest (others: fused 0.5" in l for l in lines)
    nofer = copy.deepcopy(a)
    nofer["configs"] = [c for c in nofer["configs"] if c["strategy"] != "reference"]
    lines = [verdict.verdict_line(v) for v in verdict.layout_verdicts([("a", nofer)])]
    assert lines and all("no `reference` config to compare against" in l for l in lines)


@pytest.mark.parametrize("n_files", [2])
def test_several_files_get_run_prefixes(tmp_path, write_json, n_files):
    a = load(SAMPLE_A)
    a["configs"] = a["configs"][:4]
    files = [write_json(f"a{i}.json", a) for i in range(n_files)]
    out = tmp_path / "rep"
    assert run_script("report.py", *files, "--out-dir", out).returncode == 0
    md = (out / "report.md").read_text()
    assert "- [1] **seed_fan_in_cp2**" in md and "- [2] **seed_fan_in_cp2**" in md


def test_launch_skew_and_cadence_are_reported(tmp_path):
    """Schema version 2: the cadence and the host launch skew show in the headline, in each
    layout's verdict and in the Launch skew table; a fault-injected run says so."""
    doc = copy.deepcopy(load(SAMPLE_A))
    doc["schema_version"] = 2
    doc["environment"]["cadence"] = "isolated"
    doc["environment"]["injected_delay"] = {"rank": 7, "ms": 2.0}
    for k, c in enumerate(doc["configs"]):
        c["cadence"] = "isolated"
        c["launch_skew"] = {"median_ms": 2.0 + k * 1e-3, "max_ms": 2.5 + k * 1e-3, "samples_ms": [2.0]}
        c["launch"] = {"median_ms": 0.25, "samples_ms": [0.25]}
        c["gate_expiries"] = 0
    check_results(doc)
    md = to_markdown(build([("v2.json", doc)], "skew"))
    head = next(l for l in md.splitlines() if l.startswith("**"))
    assert "cadence: isolated" in head and "launch skew over ranks" in head and "FAULT INJECTED" in head
    top = max(c["launch_skew"]["max_ms"] for c in doc["configs"])
    assert f"max {top:.3f} ms" in head
    overview = md.split("## Overview\n", 1)[1].split("**Contents:**", 1)[0]
    assert all("launch skew median" in l for l in overview.splitlines() if l.startswith("- **"))
    assert "### Launch skew" in md and "gate expiries" in md
    assert "GATE EXPIRED" not in head
    doc["configs"][1]["gate_expiries"] = 1
    head = next(l for l in to_markdown(build([("v2.json", doc)], "skew")).splitlines() if l.startswith("**"))
    assert "GATE EXPIRED in 1 config(s)" in head


def test_planted_slowdown_is_said_in_the_headline_and_in_compare(tmp_path, write_json):
    """A run with bridge_bench's test-only --test-phase-delay is slower on purpose: the report's
    headline and compare.py's header both say so (a planted run never passes for a real one)."""
    doc = copy.deepcopy(load(SAMPLE_A))
    doc["environment"]["injected_phase_delay"] = {"phase": "fwd_comm", "pct": 5.0}
    for c in doc["configs"]:
        c["injected_phase_delay_us"] = [12.5]
    check_results(doc)
    md = to_markdown(build([("planted.json", doc)], "planted"))
    head = next(l for l in md.splitlines() if l.startswith("**"))
    assert "SLOWDOWN PLANTED: +5.0% of fwd_comm in every config" in head
    plain = to_markdown(build([("a.json", load(SAMPLE_A))], "plain"))
    assert "SLOWDOWN PLANTED" not in plain
    r = run_script("compare.py", SAMPLE_A, write_json("planted.json", doc))
    assert r.returncode == 0, r.stderr
    assert "**new run SLOWDOWN PLANTED: +5.0% of fwd_comm in every config, on purpose (--test-phase-delay).**" \
        in r.stdout
    assert "base run SLOWDOWN" not in r.stdout
    bad = copy.deepcopy(doc)
    bad["environment"]["injected_phase_delay"] = "fwd_comm:5"
    with pytest.raises(SchemaError, match="'injected_phase_delay' is str, not an object"):
        check_numbers(bad)

"""scripts/report.py --parity: per layout, what an upstream parity record (scripts/upstream_parity.py,
docs/upstream-parity.md) says, read from its JSON alone."""
import copy
import json

from conftest import SAMPLE_HOST, load, run_script

ORDER = ["tp", "cp", "pp", "dp"]


def case(src, dest, up, tb="agree", mem="bsh", dtype="fp32", world=8):
    row = {"layout": "x", "world": world, "mem": mem, "dtype": dtype, "src": src, "dest": dest,
           "src_order": ORDER, "dest_order": ORDER, "upstream": {"result": up},
           "torch_bridge": {"result": tb}}
    if up == "differ":
        row["upstream"]["first_difference"] = {"tensor": "encoder gradient", "rank": 3}
    return row


def record(cases):
    return {"schema": "bridgebench/upstream-parity", "version": 1, "backend": "gloo",
            "torch": "2.15.0", "doc": "docs/upstream-parity.md",
            "upstream": {"package": "megatron-core", "version": "0.19.2",
                         "class": "ColocatedBridgeCommunicator"}, "cases": cases}


def results_three_layouts(tmp_path):
    """The host sample (a dest CP 2 seed) plus two CP=1 layouts, one naming cp=1 as
    --layouts=all writes it."""
    doc = load(SAMPLE_HOST)
    for name, dest in (("tp2dp4-tp4dp2", {"tp": 4, "cp": 1, "dp": 2}),
                       ("tp2dp4-tp8dp1", {"tp": 8, "dp": 1})):
        extra = copy.deepcopy(doc["configs"][0])
        extra.update(id=f"{name}/bsh/fp32/b2.s256.h1024/reference", layout_name=name, dest=dest,
                     cp=1)
        doc["configs"].append(extra)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    return path


def test_each_layout_says_agree_refused_differs_or_unchecked(tmp_path):
    cp2 = ({"tp": 2, "dp": 4}, {"tp": 2, "cp": 2, "dp": 2})
    cp1 = ({"tp": 2, "dp": 4}, {"tp": 4, "dp": 2})  # cp absent: the same layout as cp=1
    par = tmp_path / "parity.json"
    par.write_text(json.dumps(record([case(*cp2, "refused"), case(*cp1, "agree"),
                                      case(*cp1, "agree", mem="sbh")])))
    out = tmp_path / "rep"
    r = run_script("report.py", results_three_layouts(tmp_path), "--out-dir", out, "--parity", par)
    assert r.returncode == 0, r.stderr
    md = (out / "report.md").read_text().split("## Upstream parity", 1)[1].split("\n## ", 1)[0]
    lines = {ln.split("|")[1].strip(): ln for ln in md.splitlines() if ln.startswith("| ")}
    assert "agrees with upstream megatron-core 0.19.2 (bsh/fp32, sbh/fp32)" in lines["tp2dp4-tp4dp2"]
    assert ("not comparable: upstream megatron-core 0.19.2 refuses dest CP > 1 "
            "(scripts/torch_bridge.py agrees, bsh/fp32)") in lines["seed_fan_in_cp2"]
    assert "not checked against upstream megatron-core 0.19.2" in lines["tp2dp4-tp8dp1"]


def test_a_difference_names_the_doc():
    from bbreport.parity import layout_verdict
    cp1 = ({"tp": 2, "dp": 4}, {"tp": 4, "dp": 2})
    line = layout_verdict([case(*cp1, "agree"), case(*cp1, "differ", dtype="bf16")], "0.19.2",
                          "docs/upstream-parity.md")
    assert line == "differs from upstream megatron-core 0.19.2 (bsh/bf16): see docs/upstream-parity.md"
    line = layout_verdict([case(*cp1, "agree", tb="differ")], "0.19.2", "docs/upstream-parity.md")
    assert line.endswith("; scripts/torch_bridge.py differs: see docs/upstream-parity.md")


def test_a_bad_record_is_refused_before_writing(tmp_path):
    for bad in ({"schema": "bridgebench/results"}, dict(record([]), version=9),
                record([{"world": 8}])):
        par = tmp_path / "bad.json"
        par.write_text(json.dumps(bad))
        r = run_script("report.py", SAMPLE_HOST, "--out-dir", tmp_path / "rep", "--parity", par)
        assert r.returncode == 2 and "parity" in r.stderr, r.stderr
        assert not (tmp_path / "rep" / "report.md").exists()


def test_without_parity_there_is_no_section(report_a):
    assert "Upstream parity" not in report_a[0]

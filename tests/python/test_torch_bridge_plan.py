"""scripts/bridge_plan_ref.py (the torch-free plan behind scripts/torch_bridge.py) against every
case of tests/data/plans.json. Needs neither torch nor pytest: `python3 THIS_FILE` runs the same
checks without pytest (for machines whose python lacks it)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import bridge_plan_ref as bp  # noqa: E402

KEYS = ("direction", "scale", "rank_to_src_pos", "rank_to_dest_coords", "gather_groups",
        "cp_groups", "slices")


def cases():
    with open(os.path.join(ROOT, "tests", "data", "plans.json")) as f:
        doc = json.load(f)
    assert doc["format"] == 1
    return doc["cases"]


def check_case(case):
    if "expect_error" in case:
        try:
            plan, batch = bp.plan_from_case(case)
            plan.to_json(batch)
        except bp.PlanError as e:
            assert e.rule == case["expect_error"], (case["name"], e.rule, str(e))
            return
        raise AssertionError(f"{case['name']}: expected {case['expect_error']}, got a plan")
    plan, batch = bp.plan_from_case(case)
    got = plan.to_json(batch)
    for key in KEYS:
        if key in case["expect"]:
            assert got[key] == case["expect"][key], (case["name"], key, got[key],
                                                      case["expect"][key])


def test_plan_module_needs_no_torch():
    with open(bp.__file__) as f:
        src = f.read()
    assert "import torch" not in src and "import numpy" not in src


def test_golden_cases_cover_every_key_and_rule():
    cs = cases()
    assert len(cs) >= 10
    seen = {c["expect_error"] for c in cs if "expect_error" in c}
    assert {"src_cp_not_one", "dp_not_divisible", "cp_after_dp", "pp_not_one",
            "batch_not_divisible", "grid_exceeds_world"} <= seen


def test_every_golden_case():
    failures = []
    for case in cases():
        try:
            check_case(case)
        except AssertionError as e:
            failures.append(str(e))
    assert not failures, "\n".join(failures)


def test_rank_enum_order():
    g = bp.Grid([2, 2, 1, 2], ["tp", "cp", "pp", "dp"])
    # groups in (dp, pp, cp) order, cp fastest; each lists tp = 0..1
    assert g.rank_enum(["tp"]) == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert g.rank_enum(["cp"]) == [[0, 2], [1, 3], [4, 6], [5, 7]]
    assert g.rank_enum(["cp", "tp"]) == g.rank_enum(["tp", "cp"]) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert g.rank([1, 0, 0, 1]) == 5 and g.coords(5) == [1, 0, 0, 1]


def test_gather_groups_keep_concatenation_order():
    # src dim_names [dp, tp]: the gather group lists src dp in order, which is not rank order
    src = bp.Grid.from_sizes({"tp": 2, "dp": 4}, ["dp", "tp"])
    dest = bp.Grid.from_sizes({"tp": 4, "dp": 2}, ["tp", "dp"])
    plan = bp.build_plan(8, src, dest)
    assert plan.direction == "fan_in" and plan.scale == 2
    for g in plan.gather_groups:
        assert [plan.src_pos[r][0] % 2 for r in g] == [0, 1]


def test_slice_errors_and_equal():
    plan, _ = bp.plan_from_case({"world": 8, "src": {"tp": 4, "dp": 2},
                                 "dest": {"tp": 2, "dp": 4}})
    assert plan.slice(2, 4) == (2, 2)
    try:
        plan.slice(0, 3)
    except bp.PlanError as e:
        assert e.rule == "batch_not_divisible"
    else:
        raise AssertionError("batch 3, scale 2 must fail")
    eq, _ = bp.plan_from_case({"world": 1, "src": {"tp": 1, "dp": 1}, "dest": {"tp": 1, "dp": 1}})
    assert eq.direction == "equal" and eq.gather_groups == [] and eq.slice(0, 5) == (0, 5)


def test_parse_sizes():
    assert bp.parse_sizes("tp=2, cp=2,dp=2") == {"tp": 2, "cp": 2, "dp": 2}


if __name__ == "__main__":
    n = 0
    for name, fn in sorted(globals().items()):
        if name.startswith("test_") and callable(fn):
            fn()
            n += 1
    print(f"{n} tests passed (without pytest)")

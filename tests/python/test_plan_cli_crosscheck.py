"""The C++ bridge-plan CLI against the independent Python reading of semantics §2-3
(scripts/bridge_plan_ref.py), over many layouts the golden file does not hold: every valid
canonical layout of several worlds, every order of the present dims, rank offsets, and invalid
layouts (same rule id). The CLI comes from BB_PLAN_CLI or build/tools/bridge-plan, which
scripts/test.sh builds before it runs pytest."""
import itertools
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import bridge_plan_ref as ref  # noqa: E402

CLI = os.environ.get("BB_PLAN_CLI") or os.path.join(os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")),
                                                     "tools", "bridge-plan")


def cli(world, src, dest, src_order, dest_order, offset, batch):
    args = [CLI, "--world", str(world), "--offset", str(offset),
            "--src", ",".join(f"{k}={v}" for k, v in src.items()),
            "--dest", ",".join(f"{k}={v}" for k, v in dest.items()),
            "--src-order", ",".join(src_order), "--dest-order", ",".join(dest_order)]
    if batch is not None:
        args += ["--batch", str(batch)]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode == 0:
        out = json.loads(r.stdout)
        out.pop("audit")
        return out, None
    assert r.returncode == 2, r.stderr
    return None, r.stderr.split(":")[1].strip()


def expected(world, src, dest, src_order, dest_order, offset, batch):
    try:
        plan = ref.build_plan(world, ref.Grid.from_sizes(src, src_order, offset),
                              ref.Grid.from_sizes(dest, dest_order, offset))
        return json.loads(json.dumps(plan.to_json(batch))), None
    except ref.PlanError as e:
        return None, e.rule


def cases():
    out = []
    for world in (1, 2, 4, 6, 8, 12):
        for stp in (d for d in range(1, world + 1) if world % d == 0):
            for dtp, dcp in itertools.product(range(1, world + 1), repeat=2):
                if world % (dtp * dcp):
                    continue
                src = {"tp": stp, "dp": world // stp}
                dest = {"tp": dtp, "cp": dcp, "dp": world // (dtp * dcp)}
                for so in (["tp", "dp"], ["dp", "tp"]):
                    for do in (["tp", "cp", "dp"], ["cp", "tp", "dp"], ["cp", "dp", "tp"],
                               ["tp", "dp", "cp"]):
                        out.append((world, src, dest, so, do, 0, 2 * world))
    # offsets inside a larger world, and grids that do not fit
    out += [(8, {"tp": 2, "dp": 2}, {"tp": 1, "cp": 2, "dp": 2}, ["tp", "dp"], ["tp", "cp", "dp"], off, 4)
            for off in range(0, 6)]
    # batches that do not divide, pp > 1, src cp > 1
    out += [(8, {"tp": 4, "dp": 2}, {"tp": 2, "dp": 4}, ["tp", "dp"], ["tp", "dp"], 0, 3),
            (8, {"tp": 2, "pp": 2, "dp": 2}, {"tp": 2, "dp": 4}, ["tp", "pp", "dp"], ["tp", "dp"], 0, 4),
            (8, {"tp": 2, "cp": 2, "dp": 2}, {"tp": 2, "dp": 4}, ["tp", "cp", "dp"], ["tp", "dp"], 0, 4)]
    return out


def test_cli_is_built():
    assert os.access(CLI, os.X_OK), f"{CLI} not built: run scripts/test.sh (or set BB_PLAN_CLI)"


def test_cli_matches_independent_reading():
    all_cases = cases()
    assert len(all_cases) > 300
    errors = ok = 0
    for c in all_cases:
        got, want = cli(*c), expected(*c)
        assert got == want, f"case {c}:\n  cli {got}\n  ref {want}"
        ok += want[1] is None
        errors += want[1] is not None
    assert ok > 200 and errors > 30  # both valid plans and every kind of refusal were compared

"""scripts/model_check.py's best-strategy figure (issue 22): over the (layout, shape) points where the
measured best beats the runner-up by more than 5%, how often the model names it, printed as a count
and a percentage. A stand-in for bridge-plan --predict gives a known answer: it ranks fused first
except at s=1024, so on sample A (fused measured best by far at all 9 sbh points, 3 of them at
s=1024; the bsh points have one strategy each and do not count) the model is right 6 times of 9."""
import json
import os
import stat

from conftest import SAMPLE_A, run_script

FAKE_PLAN = r'''#!/usr/bin/env python3
import json, sys
a = sys.argv
seq = int(a[a.index("--seq") + 1])
fused_first = seq != 1024
ms = {"reference": 2.0, "fused": 1.0} if fused_first else {"reference": 1.0, "fused": 2.0}
print(json.dumps({"strategies": [{"strategy": k, "predicted_ms": v, "phases": []} for k, v in ms.items()]}))
'''


def test_best_strategy_named_with_its_share(tmp_path):
    plan = tmp_path / "bridge-plan"
    plan.write_text(FAKE_PLAN)
    plan.chmod(plan.stat().st_mode | stat.S_IXUSR)
    out = tmp_path / "table.md"
    res = run_script("model_check.py", "--plan", plan, SAMPLE_A, "--out", out, subprocess_=True)
    assert res.returncode == 0, res.stderr
    text = out.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| best strategy named"))
    assert "| 6/9 (67%) | >= 90% |" in row, row
    assert "| configs | 20 |" in text

"""scripts/torch_bridge.py as a user runs it, on CPU with gloo (issue 19, item 2): the semantics §9
seeds at 8 ranks, bsh and sbh, bf16 and fp32, under its own exact oracle; and a planted bug
(the CP all-reduce skipped) must fail it. torch comes from scripts/requirements-upstream.txt
(scripts/setup.sh installs it): without it these tests fail, they never skip. Its outputs
against the suite's and upstream's, element for element: tests/python/test_upstream_parity.py."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "torch_bridge.py")
SMALL = ["--b", "2", "--s", "16", "--h", "8", "--iters", "1", "--warmup", "0"]


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, "--backend", "gloo", *args], capture_output=True,
                          text=True, timeout=600, cwd=ROOT)


def test_the_seeds_pass_the_oracle_on_gloo(tmp_path):
    out = tmp_path / "tb.json"
    r = run("--spawn", "8", "--mem", "bsh,sbh", "--dtype", "bf16,fp32", *SMALL, "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr[-4000:]
    doc = json.loads(out.read_text())
    assert doc["backend"] == "gloo" and doc["world_size"] == 8 and not doc["timing_meaningful"]
    assert sorted(c["layout"] for c in doc["configs"]) == sorted(
        ["fan-in-cp2", "fan-out-cp2", "fan-in-cp1"] * 4)
    assert all(c["oracle"] == "pass" for c in doc["configs"])


def test_a_skipped_cp_reduce_fails_the_oracle():
    r = run("--spawn", "4", "--src", "tp=1,dp=4", "--dest", "tp=1,cp=2,dp=2", "--mem", "sbh",
            *SMALL, "--fault", "skip-cp-reduce")
    assert r.returncode != 0 and "ORACLE MISMATCH" in r.stderr, r.stdout + r.stderr[-4000:]

"""The real upstream bridge as an external oracle (issue 19): Megatron-LM's
ColocatedBridgeCommunicator (megatron-core, pinned in scripts/requirements-upstream.txt, as
installed: never a copy) and scripts/torch_bridge.py, fed the suite's own tensors and compared,
element for element, with the suite's host simulation (scripts/upstream_parity.py).

The suite's side is its real host simulation: bridge_bench --backend=host --dump-tensors writes
every rank's input, LLM gradient, forward output and encoder gradient of every strategy; upstream
and torch_bridge run on gloo, one process per rank. Cases: every layout of --layouts=all at world 8
(upstream: every CP=1 one; it must refuse CP>1), all of worlds 2 and 4, a sample at 12 and 16;
bsh and sbh (upstream's dim_mapping), bf16 and fp32. Each case is its own test, so a difference
shows per layout with its first differing element; docs/upstream-parity.md says which side
follows the Megatron semantics. The record (BUILD_DIR/upstream_parity.json) is what
`scripts/report.py --parity` reads.

torch and megatron-core are installed by scripts/setup.sh: if they are missing, these tests
fail (they never skip)."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import bridge_plan_ref as bp  # noqa: E402
BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
BENCH = os.path.join(BUILD, "bench", "bridge_bench")
SCRIPT = os.path.join(ROOT, "scripts", "upstream_parity.py")
RECORD = os.path.join(BUILD, "upstream_parity.json")
UPSTREAM_VERSION = "0.19.2"  # scripts/requirements-upstream.txt

MEMS = ("bsh", "sbh")
DTYPES = ("bf16", "fp32")
# Worlds run whole, and a sample of the larger ones (fan-in, fan-out, equal, extremes, and a
# CP>1 layout that only torch_bridge runs), as bridge_bench names them.
WORLDS_ALL = (2, 4, 8)
SAMPLES = {
    12: ["tp2dp6-tp6dp2", "tp4dp3-tp1dp12", "tp1dp12-tp12dp1", "tp3dp4-tp3dp4",
         "tp4dp3-tp2cp2dp3"],
    16: ["tp2dp8-tp4dp4", "tp8dp2-tp1dp16", "tp16dp1-tp1dp16", "tp1dp16-tp16dp1",
         "tp2dp8-tp2cp2dp4", "tp8dp2-tp1cp4dp4"],
}
# Non-canonical dimension orders at world 8 (the suite's audit calls most of them misrouted:
# both sides must still move the same data).
ORDERS = os.path.join(ROOT, "tests", "data", "parity_orders.json")
SEQ, HIDDEN = 16, 6  # s divisible by 2*cp for every cp here; h small and not a power of two


def all_layouts(world):
    """--layouts=all (scripts/bridge_plan_ref.all_layouts, a Python enumeration apart from the
    C++ one, so the test notices a layout the suite stopped running)."""
    return [name for name, _, _ in bp.all_layouts(world)]


def order_layouts():
    with open(ORDERS) as f:
        return [entry["name"] for entry in json.load(f)["layouts"]]


def expected_cases():
    layouts = {w: all_layouts(w) for w in WORLDS_ALL}
    layouts.update(SAMPLES)
    layouts[8] = layouts[8] + order_layouts()
    return [(w, lay, m, d) for w in sorted(layouts) for lay in layouts[w] for m in MEMS
            for d in DTYPES]


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    """Runs the suite's host simulation with the dump, then upstream_parity.py over it, once."""
    tmp = tmp_path_factory.mktemp("parity")
    dump = tmp / "dump"
    results = []
    for world in sorted(set(WORLDS_ALL) | set(SAMPLES)):
        layouts = "all" if world in WORLDS_ALL else ",".join(SAMPLES[world])
        out = tmp / f"results_w{world}.json"
        cmd = [BENCH, "--backend=host", f"--world={world}", f"--layouts={layouts}",
               f"--shapes={world}x{SEQ}x{HIDDEN}", "--mem=" + ",".join(MEMS),
               "--dtypes=" + ",".join(DTYPES), "--strategies=all", "--iters=1", "--warmup=0",
               "--collectives=off", f"--json={out}", f"--dump-tensors={dump}"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stderr[-4000:]}"
        results.append(str(out))
    out = tmp / "results_orders.json"
    r = subprocess.run([BENCH, "--backend=host", f"--layouts={ORDERS}", "--iters=1", "--warmup=0",
                        "--collectives=off", f"--json={out}", f"--dump-tensors={dump}"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    results.append(str(out))
    if os.path.exists(RECORD):
        os.remove(RECORD)  # a failed run must not leave the last run's record to be read
    r = subprocess.run([sys.executable, SCRIPT, "--results", *results, "--dump", str(dump),
                        "--json", RECORD], capture_output=True, text=True, timeout=1200,
                       cwd=ROOT)
    # Exit 1 means a difference, which the per-case tests report; anything else is a failure
    # of the run itself (a missing install included: no skip).
    assert r.returncode in (0, 1), r.stdout + r.stderr[-6000:]
    with open(RECORD) as f:
        doc = json.load(f)
    doc["_stderr"] = r.stderr
    return doc


def rows_by_case(doc):
    return {(c["world"], c["layout"], c["mem"], c["dtype"]): c for c in doc["cases"]}


def test_record_names_the_pinned_upstream_and_covers_every_case(record):
    assert record["schema"] == "bridgebench/upstream-parity" and record["version"] == 1
    assert record["upstream"]["package"] == "megatron-core"
    assert record["upstream"]["version"] == UPSTREAM_VERSION
    assert record["backend"] == "gloo"
    got = set(rows_by_case(record))
    want = set(expected_cases())
    assert got == want, f"missing {sorted(want - got)[:5]}, unexpected {sorted(got - want)[:5]}"
    # world 8: every CP=1 layout of --layouts=all (4 src x 4 dest TP sizes) ran against upstream
    cp1_w8 = {c["layout"] for c in record["cases"] if c["world"] == 8 and c["dest_cp"] == 1
              and c["layout"] in all_layouts(8)}
    assert len(cp1_w8) == 16
    for row in record["cases"]:
        assert row["inputs_identical"], row
        assert len(row["strategies"]) >= 2, row  # reference and the others, all compared


@pytest.mark.parametrize("world,layout,mem,dtype", expected_cases())
def test_upstream_agrees_with_the_suite(record, world, layout, mem, dtype):
    row = rows_by_case(record)[(world, layout, mem, dtype)]
    up = row["upstream"]
    if row["dest_cp"] > 1:
        # upstream 0.19.2 accepts dest CP = 1 only: it must refuse, before any collective
        assert up["result"] == "refused" and "CP must be 1" in up["reason"], up
        return
    assert up["result"] == "agree", (
        f"{layout} world {world} {mem} {dtype}: upstream megatron-core differs from the suite: "
        f"{up.get('first_difference')} (see docs/upstream-parity.md)")
    assert row["upstream_vs_torch_bridge"]["result"] == "agree", row["upstream_vs_torch_bridge"]


@pytest.mark.parametrize("world,layout,mem,dtype", expected_cases())
def test_torch_bridge_agrees_with_the_suite(record, world, layout, mem, dtype):
    tb = rows_by_case(record)[(world, layout, mem, dtype)]["torch_bridge"]
    assert tb["result"] == "agree", (
        f"{layout} world {world} {mem} {dtype}: scripts/torch_bridge.py differs from the suite: "
        f"{tb.get('first_difference')}")


def test_a_planted_difference_is_reported_with_its_first_element(tmp_path):
    """The comparison can fail: one element of one rank's encoder gradient, changed in a copy
    of the dump, is reported for upstream and torch_bridge with that rank and coordinates."""
    import shutil
    world, layout = 2, "tp1dp2-tp2dp1"  # fan-in x2
    dump = tmp_path / "dump"
    out = tmp_path / "r.json"
    r = subprocess.run([BENCH, "--backend=host", "--world=2", f"--layouts={layout}",
                        f"--shapes=2x{SEQ}x{HIDDEN}", "--mem=sbh", "--dtypes=fp32",
                        "--strategies=reference", "--iters=1", "--warmup=0", "--collectives=off",
                        f"--json={out}", f"--dump-tensors={dump}"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    cfg = json.loads(out.read_text())["configs"][0]
    folder = dump / cfg["id"]
    grad = folder / "rank1.src_grad.bin"
    raw = bytearray(grad.read_bytes())
    # sbh [s][b][h], fp32: element (s 3, b 1, h 2) -> flip its sign bit
    i = (3 * 2 + 1) * HIDDEN + 2
    raw[4 * i + 3] ^= 0x80
    grad.write_bytes(bytes(raw))
    rec = tmp_path / "parity.json"
    r = subprocess.run([sys.executable, SCRIPT, "--results", str(out), "--dump", str(dump),
                        "--json", str(rec)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 1, r.stdout + r.stderr
    row = json.loads(rec.read_text())["cases"][0]
    for side in ("upstream", "torch_bridge"):
        d = row[side]["first_difference"]
        assert row[side]["result"] == "differ" and d["rank"] == 1, row[side]
        assert (d["s"], d["b"], d["h"], d["mismatches"]) == (3, 1, 2, 1), d
        assert d["got"] == -d["expected"] and "encoder gradient" in d["tensor"], d
    assert "upstream differs" in r.stderr and "rank 1 first at (b 1, s 3, h 2)" in r.stderr

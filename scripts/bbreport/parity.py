"""Upstream parity in the report: per layout, what the parity record (scripts/upstream_parity.py,
docs/upstream-parity.md) says of upstream Megatron-LM's ColocatedBridgeCommunicator against the
suite: "agrees with upstream megatron-core X.Y", "differs: see docs/...", or that upstream
refuses the layout (dest CP > 1). Reads only the record's JSON."""
from .doc import Table
from .schema import DASH, SchemaError, grid_label, read_json

PARITY_SCHEMA = "bridgebench/upstream-parity"
PARITY_VERSIONS = (1,)


def load_parity(path):
    doc = read_json(path, "parity")
    if not isinstance(doc, dict) or doc.get("schema") != PARITY_SCHEMA:
        raise SchemaError(f"{path}: not a parity record (schema {PARITY_SCHEMA})")
    if doc.get("version") not in PARITY_VERSIONS:
        raise SchemaError(f"{path}: parity record version {doc.get('version')!r} is not "
                          f"supported (supported: {', '.join(map(str, PARITY_VERSIONS))})")
    for i, c in enumerate(doc.get("cases") or []):
        for key in ("world", "src", "dest", "src_order", "dest_order", "mem", "dtype", "upstream",
                    "torch_bridge"):
            if key not in c:
                raise SchemaError(f"{path}: parity record cases[{i}] has no {key!r}")
    return doc


def _key(c):
    """A parallel layout as a config or a parity case names it: world, grids and orders."""
    return (c.get("world"), tuple(sorted((c.get("src") or {}).items())),
            tuple(sorted((c.get("dest") or {}).items())), tuple(c.get("src_order") or ()),
            tuple(c.get("dest_order") or ()))


def _norm(c):
    """Sizes of 1 are the same as absent (a config may name cp=1, a case not)."""
    d = dict(c)
    for side in ("src", "dest"):
        d[side] = {k: v for k, v in (c.get(side) or {}).items() if v != 1 or k in ("tp", "dp")}
    return d


def layout_verdict(cases, version, doc_path):
    """One line for the cases of one layout (all its memory orders and dtypes)."""
    up = [c["upstream"]["result"] for c in cases]
    tb = [c["torch_bridge"]["result"] for c in cases]
    checked = ", ".join(sorted({f"{c['mem']}/{c['dtype']}" for c in cases}))
    if "differ" in up:
        bad = next(c for c in cases if c["upstream"]["result"] == "differ")
        line = (f"differs from upstream megatron-core {version} ({bad['mem']}/{bad['dtype']}): "
                f"see {doc_path}")
    elif all(r == "refused" for r in up):
        line = f"not comparable: upstream megatron-core {version} refuses dest CP > 1"
        if all(r == "agree" for r in tb):
            line += f" (scripts/torch_bridge.py agrees, {checked})"
    else:
        line = f"agrees with upstream megatron-core {version} ({checked})"
    if "differ" in tb:
        line += f"; scripts/torch_bridge.py differs: see {doc_path}"
    return line


def layout_lines(parity, configs):
    """(layout name, world, line) for each distinct layout of the configs, in their order."""
    version = parity["upstream"].get("version") or "?"
    doc_path = parity.get("doc") or "docs/upstream-parity.md"
    by_key = {}
    for c in parity["cases"]:
        by_key.setdefault(_key(_norm(c)), []).append(c)
    out, seen = [], set()
    for cfg in configs:
        k = _key(_norm(cfg))
        if k in seen:
            continue
        seen.add(k)
        cases = by_key.get(k)
        line = layout_verdict(cases, version, doc_path) if cases else \
            f"not checked against upstream megatron-core {version} (no case in the parity record)"
        out.append((cfg.get("layout", DASH), cfg.get("world", DASH), cfg, line))
    return out


def add_parity_section(doc, runs, parity, path):
    doc.section("Upstream parity")
    up = parity["upstream"]
    doc.para(f"Each layout against upstream Megatron-LM's `{up.get('class')}` "
             f"(`{up.get('package')}` {up.get('version')}, {parity.get('backend')}, torch "
             f"{parity.get('torch')}), fed the suite's own tensors and compared element for "
             f"element: record `{path}`, method and differences in `{parity.get('doc')}`.")
    t = Table(["layout", "grids", "world", "upstream parity"])
    for name, world, cfg, line in layout_lines(parity, [c for _, d in runs for c in d["configs"]]):
        t.rows.append([name, f"{grid_label(cfg.get('src', {}))} → {grid_label(cfg.get('dest', {}))}",
                       str(world), line])
    doc.table(t)

"""Loading results JSON (docs/results-schema.md) and the small helpers every script shares."""
import json
import math
import re

SCHEMA = "bridgebench/results"
SCHEMA_VERSION = 6  # what bridge_bench writes now (harness/results/results.hpp kSchemaVersion)
# 2, 3 and 4: docs/results-schema.md, "Changes in version 2", "... 3" and "... 4"
SUPPORTED_VERSIONS = (1, 2, 3, 4, 5, 6)

# The phase table: one {"name", "role", "color"} per phase, in execution order; the same names
# are NVTX ranges, CUPTI buckets, JSON keys and report columns. Its source is the C++ table
# (harness/measure/phases.hpp, BB_PHASE_TABLE), which results files carry as "phase_table";
# scripts read a document's own table (phase_table(doc)), so a new phase is one C++ row and no
# edit here. V1_PHASE_TABLE is frozen: the phases that files WITHOUT a "phase_table" key
# (version 1 and early version 2) were written with. Never edit it; the ctest
# `phase_table_fallback_agrees` holds it to the C++ table on the phases both have (role, colour,
# relative order), so old and new files render alike.
V1_PHASE_TABLE = (
    {"name": "fwd_local", "role": "local", "color": "#66BB6A"},
    {"name": "fwd_comm", "role": "comm", "color": "#FFA726"},
    {"name": "cp_shard", "role": "local", "color": "#AB47BC"},
    {"name": "cp_adjoint", "role": "local", "color": "#7E57C2"},
    {"name": "bwd_cp", "role": "comm", "color": "#EF5350"},
    {"name": "bwd_comm", "role": "comm", "color": "#FF7043"},
    {"name": "bwd_local", "role": "local", "color": "#42A5F5"},
)
PHASE_ROLES = ("local", "comm")

# The "key" object's axes (docs/results-schema.md, "Config key"), in the writer's order
# (harness/config/config_key.hpp; a config's axes are the rows of harness/config/axes.cpp): a
# config's (ConfigKey) and a bare collective's (CollectiveKey). keys.py groups and matches by them.
CONFIG_AXES = ("layout", "world", "mem", "dtype", "b", "s", "h", "strategy", "mode", "cadence",
               "nccl_path", "contention")
COLLECTIVE_AXES = ("layout", "world", "dtype", "b", "s", "h", "op", "phase", "bytes_per_rank",
                   "nccl_path")
# What a run setting was when a file does not say (what the writer did before it could say).
KEY_DEFAULTS = {"mode": "timed", "cadence": "isolated", "nccl_path": "default",
                "contention": "none"}


def _docs(docs):
    return [docs] if isinstance(docs, dict) else list(docs or ())


def merge_phase_tables(tables):
    """Phase tables (or lists of {"name"}) merged: the first one's phases in order, then each
    phase a later one adds, placed right after the phase it follows there, so an old and a new
    file together keep execution order. Where two disagree on a phase the first wins."""
    out, names = [], []
    for table in tables:
        pos = 0
        for p in table:
            if p["name"] in names:
                pos = names.index(p["name"]) + 1
            else:
                out.insert(pos, dict(p))
                names.insert(pos, p["name"])
                pos += 1
    return out


def phase_table(docs):
    """The phase table of a results document (its own "phase_table", else V1_PHASE_TABLE), or
    of several merged (merge_phase_tables); no documents: V1_PHASE_TABLE."""
    tables = [d.get("phase_table") or V1_PHASE_TABLE for d in _docs(docs)]
    return merge_phase_tables(tables or [V1_PHASE_TABLE])


def phase_names(docs, seen=()):
    """Phase names in execution order: the documents' table (phase_table), then any name in
    `seen` outside it, in first-seen order."""
    names = [p["name"] for p in phase_table(docs)]
    for name in seen:
        if name not in names:
            names.append(name)
    return names


def phase_colors(docs):
    """{phase name: "#RRGGBB"} of the documents' table."""
    return {p["name"]: p["color"] for p in phase_table(docs)}


def is_comm(phase, table=None):
    """Whether a config's phase entry is a collective phase: its "kind" ("collective" or
    "local"), else its role in `table` (a phase table; V1_PHASE_TABLE when None)."""
    if phase.get("kind") in ("collective", "local"):
        return phase["kind"] == "collective"
    roles = {p["name"]: p["role"] for p in (table or V1_PHASE_TABLE)}
    return roles.get(phase.get("name")) == "comm"


def fallback_disagreements(table):
    """How V1_PHASE_TABLE disagrees with `table` (the C++ table a results file carries) on the
    phases both have: a different role or colour, or a different relative order; [] when it
    agrees, so old and new files render alike. A phase only `table` has (one the C++ added
    later) is no disagreement: the frozen table never needs editing for it."""
    mine = {p["name"]: p for p in V1_PHASE_TABLE}
    shared = [p for p in table if p["name"] in mine]
    out = [f"{p['name']}: {what} {p[what]!r} in the C++ table, {mine[p['name']][what]!r} in "
           f"V1_PHASE_TABLE" for p in shared for what in ("role", "color")
           if str(p[what]).upper() != str(mine[p["name"]][what]).upper()]
    order = [p["name"] for p in shared]
    frozen = [n for n in mine if n in order]
    if order != frozen:
        out.append(f"order of the shared phases: {order} in the C++ table, {frozen} in "
                   f"V1_PHASE_TABLE")
    return out


def _check_phase_table(doc, where):
    table = doc.get("phase_table")
    if table is None:
        return
    if not isinstance(table, list) or not all(
            isinstance(p, dict) and isinstance(p.get("name"), str) and p.get("role") in PHASE_ROLES
            and isinstance(p.get("color"), str) for p in table):
        raise SchemaError(f"{where}: 'phase_table' is not a list of {{name, role, color}} "
                          f"with role one of {', '.join(PHASE_ROLES)}")


DASH = "—"


class SchemaError(Exception):
    """The file is not a results document these scripts understand (exit 2, `error: <rule>:`)."""

    def __init__(self, message, rule="bad_results"):
        super().__init__(message)
        self.rule = rule


def check_results(doc, where="results"):
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise SchemaError(f"{where}: not a {SCHEMA} document (schema={got!r})")
    version = doc.get("schema_version")
    # bool is an int in Python; a JSON `true` must not pass as version 1.
    if type(version) is not int or version not in SUPPORTED_VERSIONS:
        known = ", ".join(map(str, SUPPORTED_VERSIONS))
        raise SchemaError(f"{where}: schema_version {version!r} is not supported "
                          f"(these scripts know version {known}); update scripts/bbreport")
    if not isinstance(doc.get("environment"), dict) or not isinstance(doc.get("configs"), list):
        raise SchemaError(f"{where}: missing 'environment' object or 'configs' list")
    doc.setdefault("failures", [])
    doc.setdefault("skipped", [])
    for key in ("failures", "skipped"):
        if not isinstance(doc[key], list) or not all(isinstance(e, dict) for e in doc[key]):
            raise SchemaError(f"{where}: '{key}' is not a list of objects")
    _check_phase_table(doc, where)
    _check_aborted(doc, where)
    _check_unique_ids(doc, where)
    return upgrade_names(doc)


def _rename(d, old, new):
    if isinstance(d, dict) and old in d:
        value = d.pop(old)
        d.setdefault(new, value)


def _config_key(cfg, env):
    """A config's key object from its own fields (version 1-3 files)."""
    # Wrong types are check_numbers' to name (bad_results, the config named): derive no key from them.
    def obj(x):
        return x if isinstance(x, dict) else {}
    shape = obj(cfg.get("shape"))
    path = cfg.get("nccl_path")
    key = {"layout": cfg.get("layout"), "world": cfg.get("world", env.get("world")),
           **{a: shape.get(a) for a in ("mem", "dtype", "b", "s", "h")},
           "strategy": cfg.get("strategy"),
           "mode": cfg.get("mode") or KEY_DEFAULTS["mode"],
           "cadence": cfg.get("cadence") or env.get("cadence") or KEY_DEFAULTS["cadence"],
           "nccl_path": (path.get("requested") if isinstance(path, dict) else path)
           or KEY_DEFAULTS["nccl_path"],
           "contention": obj(cfg.get("contention")).get("load") or KEY_DEFAULTS["contention"]}
    return {a: key[a] for a in CONFIG_AXES}


_OLD_COLLECTIVE_SIZE = re.compile(r"/b(\d+)\.s(\d+)\.h(\d+)/")


def _collective_key(coll, env):
    """A bare collective's key object (version 1-3 files). Its b, s and h were in no field of
    their own then, only in the id ("layout/dtype/bB.sS.hH/op.phase"): this is the one place a
    script reads them from an id, and only for those files."""
    m = _OLD_COLLECTIVE_SIZE.search(str(coll.get("id", "")))
    b, s, h = map(int, m.groups()) if m else (None, None, None)
    path = coll.get("nccl_path")
    key = {"layout": coll.get("layout"), "world": env.get("world"), "dtype": coll.get("dtype"),
           "b": b, "s": s, "h": h, "op": coll.get("op"), "phase": coll.get("phase"),
           "bytes_per_rank": coll.get("bytes_per_rank"),
           "nccl_path": (path.get("requested") if isinstance(path, dict) else path)
           or KEY_DEFAULTS["nccl_path"]}
    return {a: key[a] for a in COLLECTIVE_AXES}


def upgrade_names(doc):
    """The one place old key names are read: renames a version 1 or 2 document's keys, in
    memory, to version 3's, so every script reads only version 3 names (docs/results-schema.md,
    "Changes in version 3"): a config's parallel layout "layout_name" -> "layout", its shape's
    memory order "layout" -> "mem". The version decides, never the keys present: in version 3
    a config's "layout" is the parallel layout. A bare collective's "layout_name" -> "layout" in
    every version (no version had both). A document without "phase_table" gets (a copy of)
    V1_PHASE_TABLE, the phases it was written with, so every script reads a document's own
    table. A version 1-3 config or bare collective gets the "key" object of version 4 (docs/
    results-schema.md, "Config key"), derived from its own fields (_config_key, _collective_key),
    so every script groups and matches by keys alone. "schema_version" stays the file's own;
    running this twice changes nothing."""
    if doc["schema_version"] < 3:
        for cfg in doc["configs"]:
            _rename(cfg, "layout_name", "layout")
            _rename(cfg.get("shape") if isinstance(cfg, dict) else None, "layout", "mem")
    for coll in doc.get("collectives") or []:
        _rename(coll, "layout_name", "layout")
    if doc["schema_version"] < 4:
        env = doc["environment"]
        for cfg in doc["configs"]:
            if isinstance(cfg, dict) and "key" not in cfg:
                cfg["key"] = _config_key(cfg, env)
        for coll in doc.get("collectives") or []:
            if isinstance(coll, dict) and "key" not in coll:
                coll["key"] = _collective_key(coll, env)
    if not doc.get("phase_table"):
        doc["phase_table"] = [dict(p) for p in V1_PHASE_TABLE]
    return doc


def read_json(path, what):
    """The JSON document at path, or SchemaError naming `what` it should have been."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise SchemaError(f"{path}: cannot read {what} JSON: {e}") from None


def load_results(path, numbers=False):
    """A checked results document (check_results; with numbers=True check_numbers too)."""
    doc = check_results(read_json(path, "results"), str(path))
    return check_numbers(doc, str(path)) if numbers else doc


def _bad_number(x, allow_zero=False):
    """Why x is not a usable time, or None when it is."""
    if not is_num(x):
        return f"{x!r} is not a finite number"
    if x < 0 or (x == 0 and not allow_zero):
        return f"{x!r} is not positive"
    return None


# Config keys the scripts read as objects or lists: any other type is bad input, named, never
# a traceback while rendering. (Absent or null is fine: older files lack many of them.)
_CONFIG_OBJECTS = ("shape", "src", "dest", "audit", "check", "launch_skew", "byte_model",
                   "nccl_path", "contention", "launch")
_CONFIG_LISTS = ("src_order", "dest_order", "repetition_medians_ms")
_ENV_OBJECTS = ("cupti", "launch", "build", "env", "env_set_by_suite", "injected_delay", "injected_phase_delay")


def _check_types(obj, where, objects=(), lists=()):
    for key in objects:
        if obj.get(key) is not None and not isinstance(obj[key], dict):
            raise SchemaError(f"{where}: '{key}' is {type(obj[key]).__name__}, not an object")
    for key in lists:
        if obj.get(key) is not None and not isinstance(obj[key], list):
            raise SchemaError(f"{where}: '{key}' is {type(obj[key]).__name__}, not a list")


def _check_stats(st, where):
    why = _bad_number(st.get("median_ms"))
    if why:
        raise SchemaError(f"{where} median_ms {why}")
    for key in ("min_ms", "max_ms", "mean_ms"):
        if st.get(key) is not None:
            why = _bad_number(st[key], allow_zero=True)
            if why:
                raise SchemaError(f"{where} {key} {why}")
    samples = st.get("samples_ms") or []
    if not isinstance(samples, list):
        raise SchemaError(f"{where} samples_ms is not a list")
    for x in samples:
        why = _bad_number(x, allow_zero=True)
        if why:
            raise SchemaError(f"{where} sample {why}")


def check_numbers(doc, where="results"):
    """Everything a report, a comparison or a history reads as a number or a structure: every
    config an object with a string id and a `total`; every total and phase median a positive
    finite number, min/max/mean and every sample finite and >= 0; objects and lists where the
    schema has them. A bad one is bad input (SchemaError, exit 2) naming the config, never a
    verdict or a report computed from it, never a traceback."""
    _check_types(doc["environment"], f"{where}: environment", _ENV_OBJECTS, ("gpus",))
    for i, cfg in enumerate(doc["configs"]):
        if not isinstance(cfg, dict):
            raise SchemaError(f"{where}: configs[{i}] is {type(cfg).__name__}, not an object")
        cid = cfg.get("id", f"configs[{i}]")
        if not isinstance(cfg.get("id"), str) or not cfg["id"]:
            raise SchemaError(f"{where}: configs[{i}]: 'id' {cfg.get('id')!r} is not a "
                              f"non-empty string")
        here = f"{where}: config {cid!r}"
        if not isinstance(cfg.get("total"), dict):
            raise SchemaError(f"{here}: no 'total' object (a config without a measured total "
                              f"is not a measurement)")
        _check_types(cfg, here, _CONFIG_OBJECTS, _CONFIG_LISTS + ("phases",))
        _check_stats(cfg["total"], f"{here}: total")
        for j, p in enumerate(cfg.get("phases") or []):
            if not isinstance(p, dict) or not isinstance(p.get("name"), str):
                raise SchemaError(f"{here}: phases[{j}] is not an object with a string 'name'")
            _check_stats(p, f"{here}: phase {p['name']}")
        for x in cfg.get("repetition_medians_ms") or []:
            why = _bad_number(x)
            if why:
                raise SchemaError(f"{here}: repetition_medians_ms {why}")
    return doc


def _check_unique_ids(doc, where):
    """Two configs (or two bare collectives) under one id would be matched, counted and stored
    as one: refused."""
    for key in ("configs", "collectives"):
        seen = set()
        for entry in doc.get(key) or []:
            cid = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(cid, str) and cid in seen:
                raise SchemaError(f"{where}: duplicate id {cid!r} in '{key}': each config is "
                                  f"measured once per file", rule="duplicate_id")
            seen.add(cid)


def _check_aborted(doc, where):
    a = doc.get("aborted")
    if a is None:
        return
    if not isinstance(a, dict) or not isinstance(a.get("rule"), str):
        raise SchemaError(f"{where}: 'aborted' is not null or an object with a string 'rule'")


def aborted(doc):
    """The run's `aborted` object ({"rule", "error"[, "signal"]}), or None: the run stopped
    early (a signal, a communicator failure); what it measured before is in the file."""
    return doc.get("aborted") or None


def aborted_text(a):
    """An `aborted` object in words: "ABORTED (rule[, signal]): error"."""
    sig = f", {a['signal']}" if a.get("signal") else ""
    return f"ABORTED ({a.get('rule')}{sig}): {a.get('error') or 'no message'}"


def run_problems(doc):
    """What went wrong with the run as a whole, in words (empty when nothing): aborted (rule,
    signal, error) and "nothing measured" (neither a config nor a bare collective in the file,
    docs/results-schema.md "Interrupted and empty runs")."""
    out = []
    if aborted(doc):
        out.append(aborted_text(aborted(doc)))
    if not doc["configs"] and not doc.get("collectives"):
        out.append("NOTHING MEASURED: no config and no collective in the file")
    return out


def planted_text(doc):
    """The test-only planted slowdown of a run (bridge_bench --test-phase-delay), in words, or
    None: such a run is slower on purpose and must never pass for a real one."""
    p = doc["environment"].get("injected_phase_delay")
    if not isinstance(p, dict):
        return None
    return (f"SLOWDOWN PLANTED: +{p.get('pct')}% of {p.get('phase')} in every config, on purpose "
            f"(--test-phase-delay)")


def platform(doc):
    """(backend, device, world): what must match before two runs' times can be compared."""
    env = doc["environment"]
    gpus = env.get("gpus") or []
    device = gpus[0].get("name", "?") if gpus else "no GPU"
    world = env.get("world")
    if world is None:
        worlds = sorted({c.get("world") for c in doc["configs"] if c.get("world") is not None})
        world = worlds[0] if len(worlds) == 1 else ",".join(map(str, worlds)) or None
    return env.get("backend"), device, world


def platform_differences(doc_a, doc_b):
    """[(what, a, b)] for each of backend, device, world known on both sides and different."""
    return [(name, a, b) for name, a, b in zip(("backend", "device", "world"), platform(doc_a),
                                               platform(doc_b))
            if a is not None and b is not None and a != b]


TIMING_KINDS = {
    "host": "host simulation: host memory copies by threads sharing this machine's CPU cores, "
            "not GPU or NVLink times",
    "emulate": "emulation: every rank on one shared GPU, collectives are device-to-device "
               "copies, not NVLink times",
    "nccl": "NCCL collectives on the GPUs",
}


def _kind_of(doc):
    """A document's kind of time: its backend's words, or, for NCCL, what its transport says
    (schema v4 `environment.transport`): ranks sharing one GPU (the multi-node rehearsal) time
    code paths over sockets, not links; a named transport says which link the bytes crossed."""
    env = doc["environment"]
    b = str(env.get("backend"))
    tr = env.get("transport") if isinstance(env.get("transport"), dict) else None
    if b != "nccl" or not tr:
        return TIMING_KINDS.get(b, f"backend {b}")
    via = ", ".join(tr.get("transports") or []) or "an unknown transport"
    if tr.get("shared_gpu"):
        return (f"NCCL across processes that share one GPU, over {via} (the multi-node rehearsal): "
                f"code paths, not link speed; no floor ratios for collectives")
    return f"NCCL collectives on the GPUs, over {via}"


def timing_kind(docs):
    """What the times of these documents are, in words (backend by backend)."""
    return "; ".join(dict.fromkeys(_kind_of(d) for d in _docs(docs)))


def transport_warnings(docs):
    """The transport warnings of these documents (e.g. NCCL fell back to sockets between GPUs)."""
    out = []
    for d in _docs(docs):
        tr = d["environment"].get("transport")
        if isinstance(tr, dict):
            out += [w for w in tr.get("warnings") or [] if w not in out]
    return out


# ---- derived values -------------------------------------------------------------------------

def total_floor_ratio(cfg):
    """Sum of the phase floors over the measured round trip; None when nothing to divide.
    The writer may store it as the config's own floor_ratio (not in schema v1's text): that
    value wins, the computation is the fallback."""
    if is_num(cfg.get("floor_ratio")):
        return cfg["floor_ratio"]
    floors = [p.get("floor_ms") for p in cfg.get("phases", [])]
    median = (cfg.get("total") or {}).get("median_ms")
    if not floors or any(f is None for f in floors) or not median:
        return None
    return sum(floors) / median


def grid_label(grid, order=None):
    """{"tp":2,"dp":4} -> "TP2·DP4"; cp/pp only when > 1, non-canonical order appended."""
    parts = [f"{d.upper()}{grid[d]}" for d in ("tp", "cp", "pp", "dp")
             if d in grid and (grid[d] != 1 or d in ("tp", "dp"))]
    label = "·".join(parts)
    canonical = ["tp", "cp", "pp", "dp"]
    if order and [d for d in order if d in canonical] != [d for d in canonical if d in order]:
        label += f" [{','.join(order)}]"
    return label


def layout_label(cfg):
    return (f"{grid_label(cfg.get('src', {}), cfg.get('src_order'))} → "
            f"{grid_label(cfg.get('dest', {}), cfg.get('dest_order'))}")


def shape_label(cfg):
    s = cfg.get("shape", {})
    return f"b{s.get('b')}·s{s.get('s')}·h{s.get('h')} {s.get('mem', '?')}"


# ---- formatting -----------------------------------------------------------------------------

def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def fmt_num(x, digits=3):
    if not is_num(x):
        return DASH
    if x != 0 and abs(x) < 10 ** -digits:
        return f"{x:.{digits}g}"
    return f"{x:.{digits}f}"


def fmt_ms(x):
    return fmt_num(x, 4 if is_num(x) and abs(x) < 1 else 3)


def fmt_bytes(n):
    if not is_num(n):
        return DASH
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return DASH


def fmt_pct(x):
    return f"{x:+.1f}%" if is_num(x) else DASH


def fmt_bool(x):
    return {True: "yes", False: "NO"}.get(x, DASH)


def load_labelled(doc, argv=None):
    """Command line `RESULTS.json ... [--label NAME ...]` of the side-by-side scripts: returns
    (labels, documents), or None after printing the error (the caller exits 2)."""
    import argparse
    import sys
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--label", action="append", default=[])
    a = ap.parse_args(argv)
    labels = a.label + [f"run{i}" for i in range(len(a.label), len(a.results))]
    try:
        docs = [load_results(p) for p in a.results]
    except SchemaError as e:
        print(f"error: {e.rule}: {e}", file=sys.stderr)
        return None
    for label, doc in zip(labels, docs):   # an aborted or empty run is never shown as a full one
        for problem in run_problems(doc):
            print(f"warning: {label}: {problem}", file=sys.stderr)
    return labels, docs


def bare_median_ms(coll):
    """A bare collective's median in the placement the bridge uses: version 2 times both
    placements the nccl-tests way and marks the bridge's (`suite_in_place`); version 1 had one."""
    if coll.get("suite_in_place") and is_num(coll.get("in_place_median_ms")):
        return coll["in_place_median_ms"]
    return coll.get("median_ms")


def launch_skew_ms(cfg):
    """(median, max) of a config's host launch skew over the ranks (version 2), else (None, None)."""
    sk = cfg.get("launch_skew") or {}
    return sk.get("median_ms"), sk.get("max_ms")

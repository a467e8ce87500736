"""The nightly history store: one SQLite file (Python's sqlite3), a `runs` table and a `results`
table with one row per (run, config, phase) holding the medians and every raw sample, so a later
`check` can run the same test as compare.py. Samples are a float32 little-endian blob (4 bytes a
sample; float32 keeps 7 significant digits, far finer than timing noise).

Two writers at once (two nightly jobs on one share) are safe: each append is one
`BEGIN IMMEDIATE` transaction, and SQLite's lock plus a generous busy timeout serialises them.

The earlier JSON-lines history (history_version 1, medians only) stays readable: `load_legacy`
validates it line by line (file:line on the first bad one) and `import_legacy` copies it in.
A damaged file of either kind is refused, never appended to."""
import json
import os
import sqlite3
import struct
import time

from . import keys
from .schema import V1_PHASE_TABLE, is_num, merge_phase_tables, platform, total_floor_ratio

STORE_VERSION = 4
# 3 added runs.aborted and results.rep_medians; 4 added results.predicted_ms (append migrates)
READABLE_VERSIONS = ("2", "3", "4")
LEGACY_VERSION = 1
TOTAL = "TOTAL"
BUSY_TIMEOUT_S = 120
_SQLITE_MAGIC = b"SQLite format 3\x00"

# The results table's `layout_name` column holds a config's parallel layout (the results JSON's
# config "layout" since schema version 3, "layout_name" before): the column keeps its name, so
# stores written before version 3 open unchanged; results() returns it as "layout".
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_utc TEXT, git_commit TEXT, host TEXT, device TEXT, gpu_count INTEGER, backend TEXT,
  world TEXT, schema_version INTEGER, n_configs INTEGER NOT NULL, failures TEXT NOT NULL,
  skipped INTEGER NOT NULL, source TEXT, appended_utc TEXT NOT NULL, aborted TEXT);
CREATE TABLE IF NOT EXISTS results (
  run_id INTEGER NOT NULL REFERENCES runs(run_id),
  config_id TEXT NOT NULL, layout_name TEXT, strategy TEXT, phase TEXT NOT NULL,
  median_ms REAL NOT NULL, min_ms REAL, max_ms REAL, n_samples INTEGER NOT NULL,
  floor_ratio REAL, samples BLOB NOT NULL, rep_medians BLOB, predicted_ms REAL,
  PRIMARY KEY (run_id, config_id, phase));
"""
# Each step the columns its version added (NULL in older rows): version 3 the run's aborted
# object and the repetitions' medians, version 4 the cost model's calibrated prediction
# (results.predicted_ms: round trips and collective phases, the rows off_model.py judges).
MIGRATE = {"2": ("ALTER TABLE runs ADD COLUMN aborted TEXT",
                 "ALTER TABLE results ADD COLUMN rep_medians BLOB"),
           "3": ("ALTER TABLE results ADD COLUMN predicted_ms REAL",)}
RUN_INSERT = ("time_utc", "git_commit", "host", "device", "gpu_count", "backend", "world",
              "schema_version", "n_configs", "failures", "skipped", "source", "appended_utc",
              "aborted")
RESULT_INSERT = ("run_id", "config_id", "layout_name", "strategy", "phase", "median_ms", "min_ms",
                 "max_ms", "n_samples", "floor_ratio", "samples", "rep_medians", "predicted_ms")


class HistoryError(Exception):
    def __init__(self, message, rule="bad_history"):
        super().__init__(message)
        self.rule = rule


def _locked(e):
    """Whether an sqlite3 error is another process holding the database (not damage)."""
    text = str(e).lower()
    return isinstance(e, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def db_error(path, what, e):
    """An sqlite3 error as a HistoryError: "locked" (another process holds the database longer
    than the busy timeout) apart from a damaged or foreign file."""
    if _locked(e):
        return HistoryError(f"{path}: locked by another process for more than "
                            f"{BUSY_TIMEOUT_S:g} s ({e}); the history is not damaged: retry "
                            f"when that process is done", rule="history_locked")
    return HistoryError(f"{path}: {what}: {e}")


def pack(samples):
    return struct.pack(f"<{len(samples)}f", *samples)


def unpack(blob, where):
    if len(blob) % 4:
        raise HistoryError(f"{where}: samples blob of {len(blob)} bytes is not float32 values")
    return list(struct.unpack(f"<{len(blob) // 4}f", blob))


def kind(path):
    """'sqlite', 'jsonl', or 'new' (missing or empty file); anything else (binary data, another
    text format) is a HistoryError: neither kind of history."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        return "new"
    except OSError as e:
        raise HistoryError(f"{path}: {e.strerror or e}") from None
    if not head:
        return "new"
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:   # a cut multi-byte character at the end is still text
        text = head[:e.start].decode("utf-8") if e.start > len(head) - 4 else None
    if text is None or "\x00" in text or not text.lstrip().startswith("{"):
        raise HistoryError(f"{path}: neither a SQLite history nor a JSON-lines one (it starts "
                           f"with {head[:16]!r})")
    return "jsonl"


def _connect(path):
    try:
        con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        con.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as e:
        raise db_error(path, "cannot open SQLite history", e) from None
    return con


def _verify(con, path):
    """A store we wrote, undamaged: integrity, tables, version."""
    try:
        ok = con.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise HistoryError(f"{path}: damaged SQLite history: {ok}")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"meta", "runs", "results"} <= tables:
            raise HistoryError(f"{path}: a SQLite file but not a bridgebench history "
                               f"(tables: {', '.join(sorted(tables)) or 'none'})")
        row = con.execute("SELECT value FROM meta WHERE key='history_version'").fetchone()
    except sqlite3.DatabaseError as e:
        raise db_error(path, "damaged SQLite history", e) from None
    if row is None or row[0] not in READABLE_VERSIONS:
        raise HistoryError(f"{path}: history_version {row[0] if row else None!r} is not "
                           f"{' or '.join(READABLE_VERSIONS)}; update scripts/bbreport")


def _migrate(con, path):
    """An older store brought to STORE_VERSION in one transaction (before a write)."""
    old = con.execute("SELECT value FROM meta WHERE key='history_version'").fetchone()[0]
    if old == str(STORE_VERSION):
        return
    try:
        con.execute("BEGIN IMMEDIATE")
        version = old
        while version != str(STORE_VERSION):
            for stmt in MIGRATE[version]:
                con.execute(stmt)
            version = str(int(version) + 1)
        con.execute("UPDATE meta SET value=? WHERE key='history_version'", (version,))
        con.execute("COMMIT")
    except sqlite3.Error as e:
        raise db_error(path, f"cannot upgrade history_version {old} to {STORE_VERSION}",
                       e) from None


def _has_column(con, table, column):
    return any(r[1] == column for r in con.execute(f"PRAGMA table_info({table})"))


def open_store(path, create=False):
    """A verified connection. create=True makes a new store where there is none, and brings an
    older store to STORE_VERSION (a writer's open)."""
    k = kind(path)
    if k == "jsonl":
        raise HistoryError(f"{path}: a JSON-lines history (version {LEGACY_VERSION}), not a "
                           f"SQLite one: `history.py import NEW.db {path}` copies it")
    if k == "new":
        if not create:
            raise HistoryError(f"{path}: no such history")
        con = _connect(path)
        con.execute("BEGIN IMMEDIATE")
        for stmt in filter(str.strip, SCHEMA.split(";")):
            con.execute(stmt)
        con.execute("INSERT OR IGNORE INTO meta VALUES ('history_version', ?)",
                    (str(STORE_VERSION),))
        con.execute("COMMIT")
        return con
    con = _connect(path)
    _verify(con, path)
    if create:
        _migrate(con, path)
    return con


def _predictions(cfg):
    """{phase: predicted ms} of a config's calibrated prediction (results version 4): TOTAL and
    its collective phases; empty for an older file, an uncalibrated, unpriced or failed one."""
    p = cfg.get("predicted")
    if not (isinstance(p, dict) and p.get("calibrated") is True and is_num(p.get("total_ms"))):
        return {}
    collective = {ph.get("name") for ph in cfg.get("phases", [])
                  if ph.get("kind") == "collective"}
    out = {TOTAL: p["total_ms"]}
    for ph in p.get("phases") or []:
        if isinstance(ph, dict) and ph.get("name") in collective and is_num(ph.get("predicted_ms")):
            out[ph["name"]] = ph["predicted_ms"]
    return out


def _result_rows(doc):
    """(config_id, layout, strategy, phase, median, min, max, n, floor_ratio, blob,
    rep_medians blob, predicted ms or None) per config and phase of a checked results document:
    layout and strategy from the config's key (keys.py); the repetitions' medians are the
    independent samples `check` judges between (compare.group_medians). The row's config_id is
    the config's id, which names every axis of its key that is not at its default (version 4;
    an older file's id lacks the run settings its key holds)."""
    from .compare import group_medians
    for cfg in doc["configs"]:
        key = keys.key_of(cfg)
        layout, strategy = key.get("layout"), key.get("strategy")
        parts = [(TOTAL, cfg["total"], total_floor_ratio(cfg), cfg.get("repetition_medians_ms"))]
        parts += [(p["name"], p, p.get("floor_ratio"), None) for p in cfg.get("phases", [])]
        predicted = _predictions(cfg)
        for phase, st, ratio, rep_medians in parts:
            samples = [s for s in st.get("samples_ms") or [] if is_num(s)]
            groups = group_medians(st, cfg.get("repetitions"), rep_medians)
            yield (cfg["id"], layout, strategy, phase, st["median_ms"], st.get("min_ms"),
                   st.get("max_ms"), len(samples), ratio if is_num(ratio) else None,
                   pack(samples), pack(groups) if len(groups) >= 2 else None,
                   predicted.get(phase))


def _insert(con, run, rows):
    """run: the RUN_INSERT values but the last (aborted) may be left off; rows: RESULT_INSERT
    values but run_id, the last ones (rep_medians, predicted_ms) may be left off."""
    run = tuple(run) + (None,) * (len(RUN_INSERT) - len(run))
    cur = con.execute(f"INSERT INTO runs ({', '.join(RUN_INSERT)}) "
                      f"VALUES ({', '.join('?' * len(RUN_INSERT))})", run)
    run_id = cur.lastrowid
    width = len(RESULT_INSERT) - 1
    con.executemany(f"INSERT INTO results ({', '.join(RESULT_INSERT)}) "
                    f"VALUES ({', '.join('?' * len(RESULT_INSERT))})",
                    [(run_id,) + tuple(r) + (None,) * (width - len(r)) for r in rows])
    return run_id


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def append(path, doc, source=None):
    """One run (a checked results document) as one transaction; returns its run_id."""
    con = open_store(path, create=True)
    env = doc["environment"]
    backend, device, world = platform(doc)
    run = (env.get("time_utc"), env.get("git_commit"), env.get("host"), device,
           env.get("gpu_count", len(env.get("gpus") or [])), backend,
           None if world is None else str(world), doc.get("schema_version"), len(doc["configs"]),
           json.dumps(sorted(str(f.get("id")) for f in doc["failures"])), len(doc["skipped"]),
           source, _now(), json.dumps(doc["aborted"]) if doc.get("aborted") else None)
    rows = list(_result_rows(doc))
    try:
        con.execute("BEGIN IMMEDIATE")
        run_id = _insert(con, run, rows)
        con.execute("COMMIT")
    except sqlite3.Error as e:
        raise db_error(path, "append failed", e) from None
    finally:
        con.close()
    return run_id


# ---- the JSON-lines history of version 1 ----------------------------------------------------

def load_legacy(path):
    """Every line of a JSON-lines history, validated; the first bad line is file:line."""
    entries = []
    try:
        with open(path) as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise HistoryError(f"{path}: {getattr(e, 'strerror', None) or e}") from None
    lines = text.split("\n")
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        if n == len(lines):   # text after the last newline: a write that did not finish
            raise HistoryError(f"{where}: truncated last line (no newline at the end)")
        try:
            e = json.loads(line)
        except ValueError as err:
            raise HistoryError(f"{where}: not a JSON line: {err}") from None
        if not isinstance(e, dict) or e.get("history_version") != LEGACY_VERSION:
            got = e.get("history_version") if isinstance(e, dict) else type(e).__name__
            raise HistoryError(f"{where}: unknown history_version {got!r}")
        if not isinstance(e.get("configs"), dict):
            raise HistoryError(f"{where}: no 'configs' object")
        for cid, point in e["configs"].items():
            m = point.get("median_ms") if isinstance(point, dict) else point
            if not is_num(m) or m <= 0:
                raise HistoryError(f"{where}: config {cid!r}: median_ms {m!r} is not a "
                                   f"positive number")
        entries.append((n, e))
    return entries


def _legacy_layout_and_strategy(config_id):
    """A JSON-lines history (version 1, before any path or run-setting suffix) kept only each
    config's id: its first part is the layout, its last the strategy. Only for those files."""
    parts = str(config_id).split("/")
    return parts[0], (parts[-1] if len(parts) > 1 else None)


def legacy_rows(entry):
    for cid, point in entry["configs"].items():
        layout, strategy = _legacy_layout_and_strategy(cid)
        ratio = point.get("floor_ratio")
        yield (cid, layout, strategy, TOTAL, point["median_ms"], None, None, 0,
               ratio if is_num(ratio) else None, b"")


def _copy_legacy(con, entries, name):
    for n, e in entries:
        run = (e.get("time"), e.get("commit"), e.get("host"), e.get("device"),
               e.get("gpu_count"), e.get("backend"), None, None, len(e["configs"]),
               json.dumps(e.get("failures") or []), e.get("skipped") or 0, f"{name}:{n}", _now())
        _insert(con, run, legacy_rows(e))


def import_legacy(db_path, jsonl_path):
    """Copies a whole (validated) JSON-lines history in one transaction; returns the count."""
    entries = load_legacy(jsonl_path)
    con = open_store(db_path, create=True)
    try:
        con.execute("BEGIN IMMEDIATE")
        _copy_legacy(con, entries, os.path.basename(jsonl_path))
        con.execute("COMMIT")
    except sqlite3.Error as e:
        raise db_error(db_path, "import failed", e) from None
    finally:
        con.close()
    return len(entries)


def open_any(path):
    """A connection to read from: the SQLite store, or a JSON-lines history copied into memory."""
    if kind(path) == "jsonl":
        entries = load_legacy(path)
        con = sqlite3.connect(":memory:", isolation_level=None)
        for stmt in filter(str.strip, SCHEMA.split(";")):
            con.execute(stmt)
        con.execute("INSERT INTO meta VALUES ('history_version', ?)", (str(STORE_VERSION),))
        con.execute("BEGIN")
        _copy_legacy(con, entries, os.path.basename(path))
        con.execute("COMMIT")
        return con
    return open_store(path)


# ---- reading --------------------------------------------------------------------------------

RUN_COLUMNS = ("run_id", "time_utc", "git_commit", "host", "device", "gpu_count", "backend",
               "world", "schema_version", "n_configs", "failures", "skipped", "source", "aborted")


def _select(con, table, columns):
    """The column list for a SELECT, NULL for a column an older store lacks."""
    return ", ".join(c if _has_column(con, table, c) else "NULL" for c in columns)


def runs(con):
    """Every run, oldest first; "aborted" is the run's `aborted` object or None."""
    out = []
    for row in con.execute(f"SELECT {_select(con, 'runs', RUN_COLUMNS)} FROM runs "
                           f"ORDER BY run_id"):
        r = dict(zip(RUN_COLUMNS, row))
        r["failures"] = json.loads(r["failures"])
        r["aborted"] = json.loads(r["aborted"]) if r["aborted"] else None
        out.append(r)
    return out


def results(con, run_id, path="history"):
    """{(config_id, phase): {...}} of one run, samples unpacked, in the order appended (each
    config's TOTAL, then its phases as its results document listed them: execution order)."""
    out = {}
    columns = _select(con, "results", ("config_id", "layout_name", "strategy", "phase",
                                       "median_ms", "min_ms", "max_ms", "n_samples",
                                       "floor_ratio", "samples", "rep_medians",
                                       "predicted_ms"))
    for cid, layout, strategy, phase, med, lo, hi, n, ratio, blob, reps, pred in con.execute(
            f"SELECT {columns} FROM results WHERE run_id=? ORDER BY rowid", (run_id,)):
        where = f"{path}: run {run_id}, {cid} {phase}"
        samples = unpack(blob, where)
        if len(samples) != n:
            raise HistoryError(f"{where}: {len(samples)} samples stored, n_samples says {n}")
        out[(cid, phase)] = {"config_id": cid, "layout": layout, "strategy": strategy,
                             "phase": phase, "median_ms": med, "min_ms": lo, "max_ms": hi,
                             "floor_ratio": ratio, "samples": samples,
                             "rep_medians": unpack(reps, where) if reps else [],
                             "predicted_ms": pred}
    return out


def phase_key(*points):
    """A sort key for the phase names of `points` ({(config_id, phase): ...}, from results()):
    TOTAL first, then phase order. The store keeps no phase table (only each row's phase name),
    so the order is schema.V1_PHASE_TABLE's, each other phase merged in after the phase it
    follows in its config's rows (results() returns them in the order appended, which is the
    results document's execution order)."""
    per_config = {}
    for cid, phase in (k for p in points for k in p):
        if phase != TOTAL:
            per_config.setdefault(cid, []).append({"name": phase})
    order = merge_phase_tables([V1_PHASE_TABLE] + list(per_config.values()))
    rank = {p["name"]: i for i, p in enumerate(order)}

    def key(phase):
        return (-1 if phase == TOTAL else rank.get(phase, len(rank)), phase)
    return key


def same_platform(a, b):
    """Same backend and device, and the same world where both runs know it (version 1
    JSON-lines entries do not)."""
    return (a["backend"], a["device"]) == (b["backend"], b["device"]) and \
        (a["world"] is None or b["world"] is None or a["world"] == b["world"])


# ---- the A/A noise floor --------------------------------------------------------------------

def _floor_key(backend, device, world):
    return f"noise_floor:{backend}|{device}|{world}"


def set_noise_floor(path, doc, floor):
    """Stores an A/A noise floor ({"pct", "worst", "from", "time_utc"}) for the platform of a
    results document, replacing an earlier one; `check` raises its minimum effect to it."""
    backend, device, world = platform(doc)
    con = open_store(path, create=True)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    (_floor_key(backend, device, None if world is None else str(world)),
                     json.dumps({**floor, "time_utc": _now()})))
        con.execute("COMMIT")
    except sqlite3.Error as e:
        raise db_error(path, "calibrate failed", e) from None
    finally:
        con.close()


def noise_floor_for(path, doc):
    """The stored A/A noise floor of a results document's platform, or None (compare.py
    --history). A history that is not there is an error, not "no floor"."""
    if not os.path.exists(path):
        raise HistoryError(f"{path}: no such history (history.py calibrate makes one)")
    backend, device, world = platform(doc)
    con = open_any(path)
    try:
        return noise_floor(con, {"backend": backend, "device": device,
                                 "world": None if world is None else str(world)})
    except sqlite3.Error as e:
        raise db_error(path, "reading the noise floor failed", e) from None
    finally:
        con.close()


def noise_floor(con, run):
    """The stored A/A noise floor of a run's platform, or None."""
    row = con.execute("SELECT value FROM meta WHERE key=?",
                      (_floor_key(run["backend"], run["device"], run["world"]),)).fetchone()
    return json.loads(row[0]) if row else None

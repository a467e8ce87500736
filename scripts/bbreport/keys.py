"""A result's key (docs/results-schema.md, "Config key"): every axis a config or a bare collective
was measured at, the results JSON's "key" object beside its "id". Every script groups and matches
results by the key, never by taking the id apart: the id is for people (and Google Benchmark),
and its suffixes (`/path=NAME`, `/contention=gemm`, ...) follow the strategy, so a split on "/"
reads the wrong part. Files older than version 4 get their keys in the one upgrade step
(schema.upgrade_names, from each config's own fields).

One grouping helper (`group`), one speedup computation (`speedups`), one label of what tells
the configs of a table apart (`variant_label`)."""
from collections import OrderedDict

from .schema import COLLECTIVE_AXES, CONFIG_AXES, KEY_DEFAULTS as DEFAULTS, is_num  # noqa: F401
# The axes that tell apart configs of one layout and shape: a strategy table's columns, a
# speedup's subject. Every other axis is shared by the configs a speedup compares.
VARIANT_AXES = ("strategy", "nccl_path", "contention", "mode", "cadence")
REFERENCE = "reference"


def key_of(entry):
    """The key object of a config, a bare collective, a failure or a skip (every config and
    collective of a checked document has one; a failure or skip of an older file may not)."""
    return entry.get("key") or {}


def match_key(key, without=()):
    """A hashable form of a key object, the axes in `without` left out: equal exactly when the
    two keys agree on every other axis."""
    return tuple(sorted((a, v) for a, v in key.items() if a not in without))


def identity(entry):
    """What a comparison across files matches an entry by: its whole key; an entry without one
    (a failure or skip of a file older than version 4) by its id, as those files did."""
    key = key_of(entry)
    return match_key(key) if key else ("id", entry.get("id"))


def group(entries, without=(), outer=None):
    """OrderedDict {match_key: [entries]} in first-seen order: entries whose keys agree on every
    axis but those in `without`. `outer(i, entry)`, when given, is prepended to the group key
    (e.g. which results file an entry came from)."""
    out = OrderedDict()
    for i, e in enumerate(entries):
        k = match_key(key_of(e), without)
        out.setdefault(k if outer is None else (outer(i, e), k), []).append(e)
    return out


def median_ms(cfg):
    return (cfg.get("total") or {}).get("median_ms")


def speedups(configs):
    """[speedup over reference or None], one per config in order: the round-trip median of the
    `reference` config whose key differs from this one's only in the strategy (same layout,
    shape, memory order, dtype, NCCL path, contention, mode and cadence), over this one's. None
    where that reference was not measured or a median is not a positive number."""
    refs = {}
    for c in configs:
        k = key_of(c)
        if k.get("strategy") == REFERENCE and is_num(median_ms(c)) and median_ms(c) > 0:
            refs.setdefault(match_key(k, ("strategy",)), median_ms(c))
    out = []
    for c in configs:
        ref, m = refs.get(match_key(key_of(c), ("strategy",))), median_ms(c)
        out.append(ref / m if ref is not None and is_num(m) and m > 0 else None)
    return out


def varying(entries, axes=VARIANT_AXES):
    """The axes of `axes` on which the entries' keys do not all agree, in `axes` order."""
    return [a for a in axes if len({key_of(e).get(a) for e in entries}) > 1]


# How a label names an axis (the id's own word for it).
LABEL = {"nccl_path": "path"}


def variant_label(key, shown=()):
    """The strategy, then `axis=value` for each other axis in `shown` (e.g. those that vary in a
    table): "fused · path=zero-cta"."""
    parts = [str(key.get("strategy", "?"))]
    parts += [f"{LABEL.get(a, a)}={key.get(a, DEFAULTS.get(a))}" for a in shown
              if a != "strategy"]
    return " · ".join(parts)


def reference_first(configs):
    """The configs in first-seen order of their variant but the strategy (each path,
    contention, ... together), `reference` first within each: every column beside the one its
    speedup is against."""
    def rest(c):
        return tuple(key_of(c).get(a) for a in VARIANT_AXES if a != "strategy")
    seen = {}
    for c in configs:
        seen.setdefault(rest(c), len(seen))
    return sorted(configs, key=lambda c: (seen[rest(c)], key_of(c).get("strategy") != REFERENCE))


def variant_namer(configs):
    """A function config -> variant_label, showing the axes that vary among `configs`: what a
    plot's panels, series or heat-map rows are named by, so two paths never share one."""
    shown = varying(configs)
    return lambda cfg: variant_label(key_of(cfg), shown)


def run_settings_label(key):
    """The run settings of a key that are not the default ("mode=graph, contention=gemm"), or
    "" when all are: for a heading that names what every config under it shares."""
    return ", ".join(f"{a}={key[a]}" for a in ("nccl_path", "contention", "mode", "cadence")
                     if a in key and key[a] != DEFAULTS[a])

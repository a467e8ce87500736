"""Per-phase GPU time from `nsys stats` CSV (reports nvtx_gpu_proj_sum and nvtx_sum).

Column names follow the Nsight Systems reports:
  nvtx_gpu_proj_sum: Range, Style, Total Proj Time (ns), Total Range Time (ns), Range Instances,
                     Proj Avg (ns), Proj Med (ns), Proj Min (ns), Proj Max (ns), ...,
                     Total GPU Ops, ...
  nvtx_sum:          Time (%), Total Time (ns), Instances, Avg (ns), Med (ns), Min (ns), Max (ns),
                     StdDev (ns), Style, Range
A range is named "domain:name" (":name" or plain "name" for the default domain, depending on the
nsys version); the benchmark opens one range per phase in the domain "bridgebench".
The projected time of a range runs from its first enclosed GPU operation's start to its last
one's end, so it is comparable to (and at least) the CUPTI gpu_busy_ms of the results JSON,
which is the union of the busy intervals.
"""
import csv
import io

from .schema import DASH, fmt_ms, is_num, phase_names

DOMAIN = "bridgebench"
PROJ_COLUMNS = {"Range", "Total Proj Time (ns)", "Range Instances"}
SUM_COLUMNS = {"Range", "Total Time (ns)", "Instances"}


def read_table(text, required):
    """Rows of the first CSV table in `text` whose header holds `required` columns. nsys prints
    progress lines ("Processing [...]") and may put several reports in one stream, so the
    header is searched for and the table ends at the first blank or non-CSV line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        header = next(csv.reader([line]), [])
        if required <= {h.strip() for h in header}:
            break
    else:
        raise ValueError(f"no CSV header with columns {sorted(required)}")
    body = []
    for line in lines[i + 1:]:
        if not line.strip() or line.startswith(("Processing [", "Generating ")):
            break
        body.append(line)
    reader = csv.DictReader(io.StringIO("\n".join([lines[i]] + body)))
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]


def split_range(name):
    """"bridgebench:fwd_comm" -> ("bridgebench", "fwd_comm"); ":x" and "x" -> ("", "x")."""
    name = name.strip().strip('"')
    if ":" in name:
        domain, _, rest = name.partition(":")
        return domain.strip(), rest.strip()
    return "", name


def _num(value):
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


def phase_times(proj_rows, sum_rows=(), domain=DOMAIN, docs=()):
    """{phase: {...}} in phase order. Rows of one phase (several processes, threads or styles)
    are summed; a median survives only when one row made it.
    An nsys export carries no phase table, so the known phases are those of `docs` (the results
    documents of the profiled run, if the caller has them; else schema.V1_PHASE_TABLE). A range
    of `domain` named like a phase (an identifier, as every C++ phase name is; the config's
    outer range is not) is a phase even when unknown: one a newer C++ table added, ordered
    after the known ones in first-seen order. A range without a domain counts only when known."""
    known = set(phase_names(docs))
    phases = {}

    def accept(range_name):
        dom, name = split_range(range_name)
        if name in known and dom in (domain, ""):
            return name
        return name if dom == domain and name.isidentifier() else None

    for row in proj_rows:
        name = accept(row.get("Range", ""))
        if not name:
            continue
        p = phases.setdefault(name, {"rows": 0, "instances": 0, "proj_total_ns": 0.0,
                                     "gpu_ops": 0, "proj_med_ns": None, "range_total_ns": None})
        p["rows"] += 1
        p["instances"] += int(_num(row.get("Range Instances")) or 0)
        p["proj_total_ns"] += _num(row.get("Total Proj Time (ns)")) or 0.0
        p["gpu_ops"] += int(_num(row.get("Total GPU Ops")) or 0)
        p["proj_med_ns"] = _num(row.get("Proj Med (ns)")) if p["rows"] == 1 else None
    cpu = {}
    for row in sum_rows:
        name = accept(row.get("Range", ""))
        if name:
            tot, n = cpu.get(name, (0.0, 0))
            cpu[name] = (tot + (_num(row.get("Total Time (ns)")) or 0.0),
                         n + int(_num(row.get("Instances")) or 0))
    out = {}
    for name in phase_names(docs, list(phases) + list(cpu)):
        p = phases.get(name)
        c = cpu.get(name)
        if p is None and c is None:
            continue
        rec = {"instances": p["instances"] if p else (c[1] if c else 0),
               "gpu_proj_total_ms": p["proj_total_ns"] / 1e6 if p else None,
               "gpu_proj_avg_ms": p["proj_total_ns"] / p["instances"] / 1e6
               if p and p["instances"] else None,
               "gpu_proj_med_ms": p["proj_med_ns"] / 1e6
               if p and is_num(p["proj_med_ns"]) else None,
               "gpu_ops": p["gpu_ops"] if p else None,
               "range_avg_ms": c[0] / c[1] / 1e6 if c and c[1] else None}
        out[name] = rec
    return out


def to_markdown(times):
    lines = ["| phase | instances | GPU proj avg ms | GPU proj med ms | GPU proj total ms | "
             "GPU ops | NVTX range avg ms (CPU) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in times.items():
        lines.append(f"| {name} | {r['instances']} | {fmt_ms(r['gpu_proj_avg_ms'])} | "
                     f"{fmt_ms(r['gpu_proj_med_ms'])} | {fmt_ms(r['gpu_proj_total_ms'])} | "
                     f"{r['gpu_ops'] if r['gpu_ops'] is not None else DASH} | "
                     f"{fmt_ms(r['range_avg_ms'])} |")
    return "\n".join(lines)

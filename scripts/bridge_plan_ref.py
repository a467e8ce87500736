"""The bridge plan of semantics §2-3 in plain Python (no torch, no numpy).

Written from the specification (docs/semantics.md), not from the C++ harness, so that scripts/torch_bridge.py and the C++
suite are two independent readings of the same text; tests/python/test_torch_bridge_plan.py
checks this module against every case of tests/data/plans.json.

    grid = Grid.from_sizes({"tp": 2, "dp": 4}, ["tp", "cp", "pp", "dp"], offset=0)
    plan = build_plan(world, src_grid, dest_grid)        # raises PlanError(rule, message)
    plan.slice(rank, batch)                              # (start, size); batch_not_divisible
    plan.to_json(batch)                                  # the semantics §8 "expect" dict
"""
import itertools

CANONICAL_ORDER = ("tp", "cp", "pp", "dp")

RULES = ("grid_exceeds_world", "missing_dim", "size_mismatch", "offset_mismatch", "pp_not_one",
         "src_cp_not_one", "cp_after_dp", "dp_not_divisible", "batch_not_divisible")


class PlanError(ValueError):
    """A violated semantics §3 rule; `rule` is the rule id."""

    def __init__(self, rule, message):
        assert rule in RULES, rule
        super().__init__(f"{rule}: {message}")
        self.rule = rule


class Grid:
    """semantics §2: `shape` and `dim_names` of equal length, the first name varying fastest."""

    def __init__(self, shape, dim_names, offset=0):
        shape, dim_names = [int(x) for x in shape], [str(n) for n in dim_names]
        if len(shape) != len(dim_names):
            raise ValueError(f"shape {shape} and dim_names {dim_names} differ in length")
        if len(set(dim_names)) != len(dim_names):
            raise ValueError(f"dim_names {dim_names} repeat a name")
        if any(x < 1 for x in shape):
            raise ValueError(f"shape {shape} has a size < 1")
        self.shape, self.dim_names, self.offset = shape, dim_names, int(offset)

    @classmethod
    def from_sizes(cls, sizes, order=CANONICAL_ORDER, offset=0):
        """{'tp': 2, 'dp': 4} + an order -> Grid; names absent from `sizes` have size 1."""
        unknown = set(sizes) - set(order)
        if unknown:
            raise ValueError(f"sizes name {sorted(unknown)}, which order {list(order)} lacks")
        return cls([sizes.get(n, 1) for n in order], order, offset)

    @property
    def size(self):
        n = 1
        for x in self.shape:
            n *= x
        return n

    def has(self, name):
        return name in self.dim_names

    def dim(self, name):
        """Size of dim `name` (1 when the grid lacks it)."""
        return self.shape[self.dim_names.index(name)] if name in self.dim_names else 1

    def rank(self, coords):
        """rank = offset + c[0] + s[0]*(c[1] + s[1]*(...)), coords in dim_names order."""
        r = 0
        for c, s in zip(reversed(coords), reversed(self.shape)):
            r = r * s + c
        return self.offset + r

    def coords(self, rank):
        r, out = rank - self.offset, []
        if not 0 <= r < self.size:
            raise ValueError(f"rank {rank} is outside the grid")
        for s in self.shape:
            out.append(r % s)
            r //= s
        return out

    def coord(self, rank, name):
        return self.coords(rank)[self.dim_names.index(name)]

    def rank_enum(self, dims):
        """Groups of ranks that differ only in `dims`: groups ordered by the remaining dims with
        the last dim name slowest; inside a group ranks ordered the same way (later names slower,
        whatever the order of `dims`)."""
        dims = set(dims)
        inside = [i for i, n in enumerate(self.dim_names) if n in dims]
        rest = [i for i, n in enumerate(self.dim_names) if n not in dims]

        def walk(idx):  # coordinate tuples over `idx`, the first of idx fastest
            for combo in itertools.product(*[range(self.shape[i]) for i in reversed(idx)]):
                yield dict(zip(reversed(idx), combo))

        groups = []
        for fixed in walk(rest):
            grp = []
            for var in walk(inside):
                c = {**fixed, **var}
                grp.append(self.rank([c[i] for i in range(len(self.shape))]))
            groups.append(grp)
        return groups

    def describe(self):
        return "·".join(f"{n.upper()}{s}" for n, s in zip(self.dim_names, self.shape) if s > 1) \
            or "1"


class Plan:
    """The result of build_plan: direction, scale, positions, groups (semantics §3)."""

    def __init__(self, world, src, dest, direction, scale, src_pos, dest_coords, gather_groups,
                 cp_groups):
        self.world, self.src, self.dest = world, src, dest
        self.direction, self.scale = direction, scale
        self.src_pos, self.dest_coords = src_pos, dest_coords
        self.gather_groups, self.cp_groups = gather_groups, cp_groups

    @property
    def ranks(self):
        return list(range(self.src.offset, self.src.offset + self.src.size))

    @property
    def src_dp(self):
        return self.src.dim("dp")

    @property
    def dest_dp(self):
        return self.dest.dim("dp")

    @property
    def dest_cp(self):
        return self.dest.dim("cp")

    def gather_group_of(self, rank):
        for g in self.gather_groups:
            if rank in g:
                return g
        return None

    def cp_group_of(self, rank):
        for g in self.cp_groups:
            if rank in g:
                return g
        return None

    def slice(self, rank, batch):
        """(start, size) of a batch of `batch` on the narrowing side (fan-out forward: the src
        batch; fan-in backward: the dest batch). Equal: (0, batch)."""
        if self.direction == "equal":
            return 0, batch
        if batch % self.scale:
            raise PlanError("batch_not_divisible",
                            f"batch {batch} is not divisible by scale {self.scale}")
        size = batch // self.scale
        d = self.dest_coords[rank][0] if self.direction == "fan_out" else self.src_pos[rank][0]
        return (d % self.scale) * size, size

    def to_json(self, batch=None):
        doc = {"direction": self.direction, "scale": self.scale,
               "rank_to_src_pos": {str(r): list(p) for r, p in self.src_pos.items()},
               "rank_to_dest_coords": {str(r): list(c) for r, c in self.dest_coords.items()},
               "gather_groups": [list(g) for g in self.gather_groups],
               "cp_groups": [list(g) for g in self.cp_groups]}
        if batch is not None:
            doc["slices"] = {str(r): list(self.slice(r, batch)) for r in self.ranks}
        return doc


def validate(world, src, dest):
    """semantics §3's rules in order; the first failure raises."""
    for side, g in (("src", src), ("dest", dest)):
        if g.offset + g.size > world:
            raise PlanError("grid_exceeds_world",
                            f"{side} grid offset {g.offset} + size {g.size} > world {world}")
    for side, g in (("src", src), ("dest", dest)):
        for name in ("tp", "dp"):
            if not g.has(name):
                raise PlanError("missing_dim", f"{side} grid lacks {name}")
    if src.size != dest.size:
        raise PlanError("size_mismatch", f"src spans {src.size} ranks, dest {dest.size}")
    if src.offset != dest.offset:
        raise PlanError("offset_mismatch", f"src offset {src.offset}, dest offset {dest.offset}")
    for side, g in (("src", src), ("dest", dest)):
        if g.dim("pp") > 1:
            raise PlanError("pp_not_one", f"{side} has pp {g.dim('pp')}")
    if src.dim("cp") > 1:
        raise PlanError("src_cp_not_one", f"src has cp {src.dim('cp')}")
    if dest.has("cp") and dest.dim_names.index("cp") > dest.dim_names.index("dp"):
        raise PlanError("cp_after_dp", f"dest dim_names {dest.dim_names} put cp after dp")
    a, b = src.dim("dp"), dest.dim("dp")
    if a % b and b % a:
        raise PlanError("dp_not_divisible", f"src dp {a} and dest dp {b} divide neither way")


def build_plan(world, src, dest):
    validate(world, src, dest)
    src_pos = {}
    for dp_idx, grp in enumerate(src.rank_enum(["tp"])):
        for tp_idx, r in enumerate(grp):
            src_pos[r] = (dp_idx, tp_idx)
    dest_coords, dp_idx, cp = {}, 0, dest.dim("cp")
    for grp in dest.rank_enum(["tp"]):
        cp_idx = dest.coord(grp[0], "cp") if dest.has("cp") else 0
        for tp_idx, r in enumerate(grp):
            dest_coords[r] = (dp_idx, tp_idx, cp_idx)
        if cp_idx == cp - 1:
            dp_idx += 1

    sdp, ddp = src.dim("dp"), dest.dim("dp")
    if sdp > ddp:
        direction, scale = "fan_in", sdp // ddp
    elif ddp > sdp:
        direction, scale = "fan_out", ddp // sdp
    else:
        direction, scale = "equal", 1

    gather_groups = []
    if direction == "fan_in":
        at = {p: r for r, p in src_pos.items()}
        for it in range(ddp):
            for tp in range(src.dim("tp")):
                gather_groups.append([at[(d, tp)] for d in range(it * scale, it * scale + scale)])
    elif direction == "fan_out":
        at = {c: r for r, c in dest_coords.items()}
        for it in range(sdp):
            for tp in range(dest.dim("tp")):
                for c in range(cp):
                    gather_groups.append([at[(d, tp, c)]
                                          for d in range(it * scale, it * scale + scale)])
    cp_groups = dest.rank_enum(["cp"]) if cp > 1 else []
    return Plan(world, src, dest, direction, scale, src_pos, dest_coords, gather_groups, cp_groups)


def plan_from_case(case):
    """A tests/data/plans.json case -> (plan, batch). Raises PlanError like build_plan."""
    offset = case.get("offset", 0)
    src = Grid.from_sizes(case["src"], case.get("src_order", CANONICAL_ORDER), offset)
    dest = Grid.from_sizes(case["dest"], case.get("dest_order", CANONICAL_ORDER), offset)
    return build_plan(case["world"], src, dest), case.get("batch")


def parse_sizes(text):
    """'tp=2,cp=2,dp=2' -> {'tp': 2, 'cp': 2, 'dp': 2}."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, val = part.partition("=")
        if not val:
            raise ValueError(f"expected name=size, got {part!r}")
        out[name.strip().lower()] = int(val)
    return out


def all_layouts(world):
    """The layouts `bridge_bench --layouts=all` runs at this world, canonical dim orders, in its
    order (harness/config/sweep.cpp all_layouts, written again here so that the Python side
    notices a layout the suite stopped running): [(name, src sizes, dest sizes)]. Every src TP
    size dividing the world against every dest TP x CP whose DP sizes divide one another."""
    out = []
    for stp in range(1, world + 1):
        if world % stp:
            continue
        sdp = world // stp
        for dtp in range(1, world + 1):
            for dcp in range(1, world // dtp + 1):
                if world % (dtp * dcp):
                    continue
                ddp = world // (dtp * dcp)
                if sdp % ddp and ddp % sdp:
                    continue
                name = f"tp{stp}dp{sdp}-tp{dtp}" + (f"cp{dcp}" if dcp > 1 else "") + f"dp{ddp}"
                out.append((name, {"tp": stp, "dp": sdp}, {"tp": dtp, "cp": dcp, "dp": ddp}))
    return out

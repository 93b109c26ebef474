"""Fusion plans: groups of Einsums that share an outer loop nest, so only a tile of each intermediate lives on chip.

A :class:`FusionGroup` names consecutive Einsums of a cascade, the ranks of their shared loop nest (outermost
first) with a tile size each, and the unit each Einsum is bound to. Loop semantics follow LoopTree: every Einsum
of the group sits inside the shared loops over the leading ranks it is indexed by (its *depth*), so an Einsum
indexed by ``p`` but not ``m1`` (1-pass attention's final division) runs once per ``p`` tile, after the inner
``m1`` loop. Per tile step:

* a tensor produced and consumed inside the group (an *intermediate*) lives on chip as one tile, never in DRAM;
* a tensor the group reads but does not produce (a *streamed input*) is loaded tile by tile, double-buffered,
  and reloaded each time a loop at or outside the innermost shared loop that indexes it advances (a key chunk
  is reloaded for every query block; a query block stays while the key chunks go by);
* a tensor the group produces for Einsums outside it, or a cascade output, is written to DRAM once; where a
  shared loop inside its producer's depth does not index it (1-pass attention's running max, sum and
  numerator, indexed by ``m1+1``), it *accumulates across tiles* on chip and leaves when that loop ends.

A group of one Einsum with no shared ranks is that Einsum alone: the unfused plan is every Einsum in its own group,
so today's per-Einsum results are a special case. :func:`analyse_group` derives every tensor's role, tile bytes,
DRAM traffic and the group's buffer footprint; :func:`check_plan` validates a plan against its cascade and
architecture and names the group and the Einsum in every error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._errors import InfeasibleMappingError, MappingError

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade

__all__ = [
    "BINDINGS",
    "FusionError",
    "FusionInfeasibleError",
    "FusionGroup",
    "FusionPlan",
    "GroupFacts",
    "TensorRole",
    "analyse_group",
    "check_plan",
    "tile_cascade",
    "depth_cascades",
    "unfused_plan",
    "render_plan",
]

#: What an Einsum may be bound to: the 2-D array (MACs, and element-wise work on its PEs as FuseMax does) or the
#: vector unit (element-wise and reductions without MACs).
BINDINGS: tuple[str, ...] = ("pe_array", "vector")


class FusionError(MappingError):
    """A fusion plan that is malformed for its cascade or architecture (the message names the group and Einsum)."""


class FusionInfeasibleError(InfeasibleMappingError):
    """A well-formed fusion plan whose buffer footprint does not fit the on-chip level."""


@dataclass(frozen=True)
class FusionGroup:
    """Consecutive Einsums sharing an outer loop nest.

    Parameters
    ----------
    einsums : tuple of str
        The Einsums, in cascade order.
    ranks : tuple of str
        The shared loops' ranks, outermost first (empty: no shared loop, the Einsums run one after another on
        whole tensors, each tensor between them kept on chip).
    tiles : tuple of int
        The tile size of each shared rank at the on-chip level (a divisor of the rank's size).
    bindings : tuple of (str, str)
        Einsum -> unit (one of :data:`BINDINGS`); an Einsum with MACs is always on the ``pe_array``.
    """

    einsums: tuple[str, ...]
    ranks: tuple[str, ...] = ()
    tiles: tuple[int, ...] = ()
    bindings: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name in ("einsums", "ranks", "tiles", "bindings"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "bindings", tuple((str(e), str(u)) for e, u in self.bindings))
        if not self.einsums:
            raise FusionError("a fusion group needs at least one Einsum")
        if len(self.ranks) != len(self.tiles):
            raise FusionError(f"group {self.label}: {len(self.ranks)} shared ranks but {len(self.tiles)} tile sizes")
        if len(set(self.ranks)) != len(self.ranks):
            raise FusionError(f"group {self.label}: a shared rank is listed twice in {self.ranks!r}")
        for r, t in zip(self.ranks, self.tiles):
            if isinstance(t, bool) or not isinstance(t, int) or t < 1:
                raise FusionError(f"group {self.label}: the tile of rank {r!r} must be a positive integer, not {t!r}")
        for e, u in self.bindings:
            if u not in BINDINGS:
                raise FusionError(f"group {self.label}: Einsum {e!r} is bound to {u!r}; units: {', '.join(BINDINGS)}")
            if e not in self.einsums:
                raise FusionError(f"group {self.label}: a binding names Einsum {e!r}, which is not in the group")

    @property
    def label(self) -> str:
        """``first..last`` (or the one Einsum's name)."""
        return self.einsums[0] if len(self.einsums) == 1 else f"{self.einsums[0]}..{self.einsums[-1]}"

    @property
    def fused(self) -> bool:
        """Whether the group shares a loop over tiles (more than one Einsum, at least one shared rank)."""
        return len(self.einsums) > 1 and bool(self.ranks)

    def unit_of(self, einsum: str) -> str | None:
        """The unit ``einsum`` is bound to, or ``None`` for the architecture's default."""
        return dict(self.bindings).get(einsum)

    def to_dict(self) -> dict[str, object]:
        return {"einsums": list(self.einsums), "ranks": list(self.ranks), "tiles": list(self.tiles),
                "bindings": dict(self.bindings)}


@dataclass(frozen=True)
class FusionPlan:
    """A cascade's Einsums partitioned into fusion groups, in cascade order."""

    cascade: str
    groups: tuple[FusionGroup, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))
        if not all(isinstance(g, FusionGroup) for g in self.groups):
            raise FusionError(f"fusion plan of {self.cascade!r}: groups must be FusionGroup values")

    @property
    def fused(self) -> bool:
        return any(g.fused for g in self.groups)

    def to_dict(self) -> dict[str, object]:
        return {"cascade": self.cascade, "groups": [g.to_dict() for g in self.groups]}


def unfused_plan(cascade: Cascade) -> FusionPlan:
    """Every Einsum in a group of its own: today's per-Einsum mapping."""
    return FusionPlan(cascade.name, tuple(FusionGroup((e.name,)) for e in cascade.einsums))


@dataclass(frozen=True)
class TensorRole:
    """One tensor of a group: its role, where its tile sits in the loop nest, its bytes and DRAM traffic.

    ``role`` is ``'input'`` (streamed in), ``'intermediate'`` (tile on chip only) or ``'output'`` (written to
    DRAM once); ``accumulates`` is set where a shared loop inside its producer's depth does not index it
    (running state, partial sums kept across tiles).
    """

    tensor: str
    role: str
    tile_bytes: int
    footprint_bytes: int
    dram_read_bytes: int
    dram_write_bytes: int
    accumulates: bool = False
    bits: int = 8


@dataclass(frozen=True)
class GroupFacts:
    """What a group's loop nest implies.

    Attributes
    ----------
    group : FusionGroup
    depth : mapping of str to int
        Per Einsum, how many of the shared loops enclose it.
    trips : tuple of int
        Trip count of each shared loop (rank size / tile).
    executions : mapping of str to int
        Per Einsum, how many times its tile runs (the product of the enclosing loops' trips).
    tensors : tuple of TensorRole
    footprint_bytes : int
        On-chip bytes the group needs at once: double-buffered input tiles, intermediate and output tiles.
    """

    group: FusionGroup
    depth: MappingABC[str, int]
    trips: tuple[int, ...]
    executions: MappingABC[str, int]
    tensors: tuple[TensorRole, ...]
    footprint_bytes: int

    @property
    def steps(self) -> int:
        """Tile steps of the innermost shared loop body."""
        return math.prod(self.trips) if self.trips else 1

    @property
    def dram_bytes(self) -> int:
        return sum(t.dram_read_bytes + t.dram_write_bytes for t in self.tensors)

    def role(self, tensor: str) -> TensorRole:
        for t in self.tensors:
            if t.tensor == tensor:
                return t
        raise FusionError(f"group {self.group.label}: no tensor {tensor!r}")


def _einsum_ranks(cascade: Cascade, name: str) -> frozenset[str]:
    return frozenset(cascade.einsum(name).ranks)


def _tensor_ranks(cascade: Cascade, einsums: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Per tensor, the ranks that index it in any access by the group's Einsums (direct or through affine indices)."""
    out: dict[str, set[str]] = {}
    for name in einsums:
        e = cascade.einsum(name)
        for access in (e.output, *e.inputs):
            out.setdefault(access.tensor, set()).update(access.ranks)
    return {t: frozenset(r) for t, r in out.items()}


def tile_cascade(cascade: Cascade, group: FusionGroup, depth: int | None = None) -> Cascade:
    """The cascade as the group's tile at ``depth`` sees it: the first ``depth`` shared ranks (default all) at their
    tile size, every other rank whole.

    It holds the producers of what the group reads (so every such tensor keeps its producer's indexing, a
    shifted ``RM[m1+1, p]`` included; all Einsums before the group where that is not enough) and the group's
    Einsums at that depth or deeper; an Einsum the tile does not
    enclose (one that runs after an inner loop, such as 1-pass attention's final division) is left out.

    Raises
    ------
    FusionError
        If a tile does not divide its rank, or the Einsums cannot be tiled this way (an index that no longer fits).
    """
    shapes = dict(cascade.shapes)
    depth = len(group.ranks) if depth is None else depth
    if depth == 0:
        return cascade  # nothing tiled: the Einsums see the cascade as it is
    for r, t in list(zip(group.ranks, group.tiles))[:depth]:
        if r not in shapes:
            raise FusionError(f"group {group.label}: {cascade.name!r} has no rank {r!r} to share")
        if shapes[r] % t:
            raise FusionError(f"group {group.label}: tile {t} does not divide rank {r!r} of size {shapes[r]}")
        shapes[r] = t
    names = [e.name for e in cascade.einsums]
    first = names.index(group.einsums[0])
    depth_of = _depths(cascade, group)
    here = [cascade.einsum(n) for n in group.einsums if depth_of[n] >= depth]
    made = {e.output.tensor for e in here}
    reads = {a.tensor for e in here for a in e.inputs} - made
    # the producers of what the tile reads keep those tensors' indexing (a shifted RM[m1+1, p]); if that is not
    # enough for the shapes to come out alike, every Einsum before the group is taken along
    producers = [e for e in cascade.einsums[:first] if e.output.tensor in reads]
    try:
        return _build_tile(cascade, group, depth, producers + here, shapes)
    except FusionError:
        return _build_tile(cascade, group, depth, list(cascade.einsums[:first]) + here, shapes)


def _build_tile(cascade: Cascade, group: FusionGroup, depth: int, keep: list, shapes: dict[str, int]) -> Cascade:
    from dataflow import EinsumError, TensorDecl, build_cascade

    iterated = {r for e in keep for r in e.iteration_space(cascade.shapes)}
    touched = {a.tensor for e in keep for a in (e.output, *e.inputs)}
    decls = {}
    for t in cascade.tensor_list:
        if t.name in touched:
            dims = t.dims if t.declared and all(d in iterated for d in t.dims) else None
            decls[t.name] = TensorDecl(dims=dims, init=t.init, bits=t.bits, weight=t.weight)
    produced = {e.output.tensor for e in keep}
    label = group.label if depth == len(group.ranks) else f"{group.label} depth {depth}"
    try:
        return build_cascade(keep, {r: shapes[r] for r in sorted(iterated)}, name=f"{cascade.name}[{label}]",
                             tensors=decls, inputs=sorted(touched - produced))
    except EinsumError as exc:
        raise FusionError(f"group {group.label}: the Einsums cannot be tiled over "
                          f"{', '.join(group.ranks[:depth]) or 'nothing'}: {exc}") from None


def _depths(cascade: Cascade, group: FusionGroup) -> dict[str, int]:
    """How many of the shared loops enclose each Einsum of the group (the leading shared ranks it is indexed by)."""
    out = {}
    for e in group.einsums:
        ranks = _einsum_ranks(cascade, e)
        d = 0
        while d < len(group.ranks) and group.ranks[d] in ranks:
            d += 1
        out[e] = d
    return out


def depth_cascades(cascade: Cascade, group: FusionGroup,
                   depth: MappingABC[str, int]) -> dict[int, tuple[Cascade, tuple[str, ...]]]:
    """Per depth: the tile cascade (:func:`tile_cascade`) and the group's Einsums that run at that depth."""
    by_depth: dict[int, list[str]] = {}
    for e in group.einsums:
        by_depth.setdefault(depth[e], []).append(e)
    return {d: (tile_cascade(cascade, group, d), tuple(es)) for d, es in sorted(by_depth.items())}


def analyse_group(cascade: Cascade, group: FusionGroup, bits: MappingABC[str, int]) -> GroupFacts:
    """Roles, tile bytes, DRAM traffic and footprint of ``group``'s tensors, with ``bits`` per element per tensor.

    Raises
    ------
    FusionError
        If an Einsum is not in the cascade, the Einsums are not consecutive, a shared rank does not index the
        group's first Einsum, or an Einsum is indexed by an inner shared rank but not an outer one (the ranks
        cannot be shared).
    """
    names = [e.name for e in cascade.einsums]
    for e in group.einsums:
        if e not in names:
            raise FusionError(f"group {group.label}: {cascade.name!r} has no Einsum {e!r}")
    first = names.index(group.einsums[0])
    if tuple(names[first:first + len(group.einsums)]) != group.einsums:
        raise FusionError(f"group {group.label}: the Einsums must be consecutive in {cascade.name!r}'s order")
    depth = _depths(cascade, group)
    for e, d in depth.items():
        ranks = _einsum_ranks(cascade, e)
        if any(r in ranks for r in group.ranks[d:]):
            inner = next(r for r in group.ranks[d:] if r in ranks)
            raise FusionError(f"group {group.label}: Einsum {e!r} is indexed by shared rank {inner!r} but not by the "
                              f"outer shared rank {group.ranks[d]!r}: the ranks cannot be shared in this order")
    if group.ranks and depth[group.einsums[0]] == 0:
        raise FusionError(f"group {group.label}: Einsum {group.einsums[0]!r} is not indexed by shared rank {group.ranks[0]!r}")
    sizes = cascade.shapes
    trips = tuple(sizes[r] // t for r, t in zip(group.ranks, group.tiles))
    executions = {e: math.prod(trips[:depth[e]]) for e in group.einsums}
    tiles = depth_cascades(cascade, group, depth)
    produced = {cascade.einsum(e).output.tensor: e for e in group.einsums}
    outside = set(cascade.outputs) | {a.tensor for e in cascade.einsums if e.name not in group.einsums for a in e.inputs}
    roles = []
    indexing = _tensor_ranks(cascade, group.einsums)
    touched = {a.tensor for e in group.einsums for a in (cascade.einsum(e).output, *cascade.einsum(e).inputs)}
    for t in (t for t in cascade.tensor_list if t.name in touched):
        if t.name in produced:
            home = tiles[depth[produced[t.name]]][0]
        else:
            home = tiles[max(depth[e] for e in group.einsums if any(a.tensor == t.name for a in cascade.einsum(e).inputs))][0]
        t = home.tensors[t.name]
        nbits = int(bits.get(t.name, t.bits or 8))
        tile_bytes = math.ceil(home.tensor_elements(t.name) * nbits / 8)
        whole = math.ceil(cascade.tensor_elements(t.name) * nbits / 8)
        indexed = indexing[t.name]
        if t.name not in produced:
            readers = [e for e in group.einsums if any(a.tensor == t.name for a in cascade.einsum(e).inputs)]
            d = max(depth[e] for e in readers)
            inner = max((i for i in range(d) if group.ranks[i] in indexed), default=-1)
            loads = math.prod(trips[: inner + 1]) if inner >= 0 else 1
            buffered = 2 * tile_bytes if inner >= 0 else whole
            roles.append(TensorRole(t.name, "input", tile_bytes, buffered, loads * tile_bytes if inner >= 0 else whole, 0,
                                    bits=nbits))
            continue
        d = depth[produced[t.name]]
        accumulates = any(group.ranks[i] not in indexed for i in range(d)) or any(
            "+" in dim for dim in t.dims if any(dim.startswith(r) for r in group.ranks[:d]))
        if t.name in outside:
            roles.append(TensorRole(t.name, "output", tile_bytes, tile_bytes, 0, whole, accumulates, nbits))
        else:
            roles.append(TensorRole(t.name, "intermediate", tile_bytes, tile_bytes, 0, 0, accumulates, nbits))
    footprint = sum(r.footprint_bytes for r in roles)
    return GroupFacts(group, depth, trips, executions, tuple(roles), footprint)


def check_plan(plan: FusionPlan, cascade: Cascade, arch: Architecture, bits: MappingABC[str, int],
               capacity: int | None = None) -> tuple[GroupFacts, ...]:
    """Validate ``plan`` for ``cascade`` on ``arch`` and return each group's facts.

    Raises
    ------
    FusionError
        If the groups do not cover the cascade's Einsums exactly once and in order, a group is malformed (see
        :func:`analyse_group`), or an Einsum is bound to a unit the architecture lacks (or an Einsum with MACs to
        the vector unit).
    FusionInfeasibleError
        If a group's footprint exceeds ``capacity`` (default: the outermost on-chip level's).
    """
    if plan.cascade != cascade.name:
        raise FusionError(f"the fusion plan is for {plan.cascade!r}, not {cascade.name!r}")
    covered = [e for g in plan.groups for e in g.einsums]
    expected = [e.name for e in cascade.einsums]
    if covered != expected:
        missing = [e for e in expected if e not in covered]
        extra = [e for e in covered if covered.count(e) > 1 or e not in expected]
        what = f"misses {missing[0]!r}" if missing else (f"repeats or adds {extra[0]!r}" if extra else "reorders them")
        raise FusionError(f"the fusion plan of {cascade.name!r} must cover its Einsums once each, in order: it {what}")
    if capacity is None:
        if not arch.levels:
            raise FusionError(f"architecture {arch.name!r} has no on-chip level to hold a fusion group's tiles")
        capacity = int(arch.levels[-1].capacity)
    facts = []
    for g in plan.groups:
        for e, unit in g.bindings:
            einsum = cascade.einsum(e)
            if unit == "vector" and arch.vector_unit is None:
                raise FusionError(f"group {g.label}: Einsum {e!r} is bound to the vector unit, which {arch.name!r} lacks")
            if unit == "vector" and einsum.macs(cascade.shapes):
                raise FusionError(f"group {g.label}: Einsum {e!r} has MACs; it cannot run on the vector unit")
        f = analyse_group(cascade, g, bits)
        alone = len(g.einsums) == 1 and not g.ranks and not g.bindings  # mapped alone, tiled by its own mapping
        if not alone and f.footprint_bytes > capacity:
            raise FusionInfeasibleError(
                f"group {g.label}: its tiles need {f.footprint_bytes:,} bytes on chip at once but the buffer holds "
                f"{capacity:,} (largest: {max(f.tensors, key=lambda t: t.footprint_bytes).tensor})")
        facts.append(f)
    return tuple(facts)


def render_plan(facts: tuple[GroupFacts, ...], units: MappingABC[str, str]) -> str:
    """The plan as a loop nest: each fused group's shared loops, its Einsums on their units, what stays on chip.

    ``units`` names each Einsum's unit (``pe_array`` or ``vector``) as priced.
    """
    lines = []
    for f in facts:
        g = f.group
        if not g.fused and len(g.einsums) == 1:
            lines.append(f"{g.einsums[0]}  (alone, on {units.get(g.einsums[0], '?')}; every tensor through DRAM)")
            continue
        lines.append(f"group {g.label}: {f.footprint_bytes:,} B on chip, {f.dram_bytes:,} B of DRAM traffic")
        open_depth = 0
        for e in g.einsums:  # open and close the shared loops as the Einsums go by, in cascade order
            d = f.depth[e]
            while open_depth < d:
                r, t, n = g.ranks[open_depth], g.tiles[open_depth], f.trips[open_depth]
                lines.append(f"{'  ' * (open_depth + 1)}for {r}: {n:,} tiles of {t:,}")
                open_depth += 1
            open_depth = d
            lines.append(f"{'  ' * (d + 1)}{e}  on {units.get(e, '?')}  x{f.executions[e]:,}")
        kept = [t.tensor + (" (accumulates)" if t.accumulates else "") for t in f.tensors if t.role == "intermediate"]
        if kept:
            lines.append(f"  on chip per tile: {', '.join(kept)}")
        streamed = [f"{t.tensor} {t.dram_read_bytes:,} B" for t in f.tensors if t.role == "input"]
        if streamed:
            lines.append(f"  streamed in: {', '.join(streamed)}")
    return "\n".join(lines)

"""What a fusion plan implies: each group's tiles as cascades, its tensors' roles and traffic, the checks.

:func:`tile_cascade` builds the cascade a group's tile at one depth of its loop nest sees; :func:`analyse_group`
derives every tensor's role, tile bytes, DRAM traffic and the group's buffer footprint from the loop nest
(semantics in :mod:`mapping._fusion`); :func:`check_plan` validates a plan against its cascade and architecture;
:func:`render_plan` prints it as a loop nest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping as MappingABC
from typing import TYPE_CHECKING

from ._fusion import FusionError, FusionGroup, FusionInfeasibleError, FusionPlan, GroupFacts, TensorRole

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade

__all__ = ["tile_cascade", "depth_cascades", "analyse_group", "check_plan", "render_plan"]


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
    check_tiles(cascade, group, depth)
    for r, t in list(zip(group.ranks, group.tiles))[:depth]:
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


def check_tiles(cascade: Cascade, group: FusionGroup, depth: int | None = None) -> None:
    """Raise :class:`FusionError` unless each of the first ``depth`` (default all) shared ranks is a rank of the
    cascade that its tile divides."""
    shapes = cascade.shapes
    for r, t in list(zip(group.ranks, group.tiles))[:len(group.ranks) if depth is None else depth]:
        if r not in shapes:
            raise FusionError(f"group {group.label}: {cascade.name!r} has no rank {r!r} to share")
        if shapes[r] % t:
            raise FusionError(f"group {group.label}: tile {t} does not divide rank {r!r} of size {shapes[r]}")


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
        group's first Einsum, an Einsum is indexed by an inner shared rank but not an outer one (the ranks
        cannot be shared), or an Einsum reads a reduction over a shared rank inside that rank's loop.
    """
    return analyse_with_tiles(cascade, group, bits)[0]


def analyse_with_tiles(cascade: Cascade, group: FusionGroup,
                       bits: MappingABC[str, int]) -> tuple[GroupFacts, dict[int, tuple[Cascade, tuple[str, ...]]]]:
    """:func:`analyse_group` and the group's tile cascades by depth (:func:`depth_cascades`), built once for both."""
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
    # a reduction over a shared rank is complete only when that loop ends: nothing inside the loop may read it
    for producer in group.einsums:
        e = cascade.einsum(producer)
        reduced = _einsum_ranks(cascade, producer) - frozenset(e.output.ranks)
        for i, r in enumerate(group.ranks[:depth[producer]]):
            if r not in reduced:
                continue
            for reader in group.einsums:
                if reader != producer and depth[reader] > i and any(
                        a.tensor == e.output.tensor for a in cascade.einsum(reader).inputs):
                    raise FusionError(
                        f"group {group.label}: Einsum {reader!r} reads {e.output.tensor!r} inside the shared loop over "
                        f"{r!r}, which {producer!r} reduces: it would see a partial reduction (share {r!r} only "
                        f"outside {reader!r}, or rescale running state as 1-pass attention does)")
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
    return GroupFacts(group, depth, trips, executions, tuple(roles), footprint), tiles


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

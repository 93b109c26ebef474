"""The fusion search: which Einsums share a loop nest, over which ranks and tiles, each Einsum on which unit.

:func:`fuse_cascade` partitions a cascade into consecutive groups by dynamic programming over its Einsum order,
joining Pareto fronts of (latency, energy) along the cascade as AccelForge's fusion mapper joins partial
mappings: groups run one after another, so a prefix's latency and energy add up, and only prefixes on the front
can extend to the best plan. For a candidate group it enumerates the shared ranks (an outer rank every Einsum of
the group is indexed by, optionally an inner one that the leading Einsums share), a few tile sizes per rank
(divisors of the rank on a geometric ladder, and one sized to the array), and the bindings: every element-wise Einsum on the vector unit,
every one on the 2-D array, or the balance between them that minimizes the busier unit. Each Einsum's tile is
mapped by the seeded random search (cached by problem: the same Einsum on the same tile recurs across
candidates); the chosen plan is then mapped again with the ILP (``mapper='ilp'``). Groups whose tiles do not fit
the on-chip level are skipped; a group of one Einsum is that Einsum mapped alone, so the unfused plan is always a
candidate and the search never returns worse than it under its own model.

:func:`price_plan` prices any given plan (a user's, or the search's) the same way, and :func:`exhaustive_fusion`
enumerates every plan of a small cascade within the same candidate space, to check the search.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping as MappingABC
from typing import TYPE_CHECKING

from sim import Report

from .._fusion import FusionError, FusionGroup, FusionInfeasibleError, FusionPlan, unfused_plan
from .._problem import Problem, tensor_bits
from .._result import OBJECTIVES
from ._fusion_price import FusedCascade, FusedGroup, _price_group, _single_reports, _Tiles, price_plan

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade

__all__ = ["FUSION_MODES", "FUSION_UNITS", "FusedGroup", "FusedCascade", "fuse_cascade", "price_plan", "exhaustive_fusion"]

#: ``auto``: the search fuses where it helps; ``none``: every Einsum alone.
FUSION_MODES: tuple[str, ...] = ("auto", "none")

#: Where the fusion search may bind element-wise Einsums: ``auto`` (either unit, or the balance between them),
#: ``vector`` (the vector unit only) or ``pe_array`` (the 2-D array only).
FUSION_UNITS: tuple[str, ...] = ("auto", "vector", "pe_array")


def _tile_options(size: int, limit: int = 4, anchor: int | None = None) -> list[int]:
    """Divisors of ``size`` on a geometric ladder from the largest down (at most ``limit``), then, below the
    ladder, the largest divisors not above ``anchor`` and ``anchor / 4`` (tiles sized to the array: without them
    a long rank offers only huge tiles, whose footprint grows with the rank)."""
    divisors = [d for d in range(1, size + 1) if size % d == 0] if size <= 4096 else _divisors(size)
    ladder, last = [], None
    for d in sorted(divisors, reverse=True):
        if last is None or d * 4 <= last:
            ladder.append(d)
            last = d
        if len(ladder) == limit:
            break
    for bound in (() if anchor is None else (anchor, anchor // 4)):
        near = max((d for d in divisors if d <= bound), default=None)
        if near is not None and near < ladder[-1]:
            ladder.append(near)
    return ladder


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def _connected(cascade: Cascade, names: tuple[str, ...]) -> bool:
    """Whether every Einsum after the first reads a tensor produced earlier in the segment."""
    made = {cascade.einsum(names[0]).output.tensor}
    for n in names[1:]:
        e = cascade.einsum(n)
        if not any(a.tensor in made for a in e.inputs):
            return False
        made.add(e.output.tensor)
    return True


def _shared_choices(cascade: Cascade, names: tuple[str, ...], tiles_per_rank: int,
                    anchor: int | None = None) -> list[tuple[tuple[str, ...], tuple[int, ...]]]:
    ranks = [frozenset(cascade.einsum(n).iteration_space(cascade.shapes)) for n in names]
    common = frozenset.intersection(*ranks)
    sizes = cascade.shapes
    out: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
    for outer in sorted(common):
        for t in _tile_options(sizes[outer], tiles_per_rank, anchor):
            if t < sizes[outer]:
                out.append(((outer,), (t,)))
        # an inner rank shared by a leading run of Einsums (the rest run once per outer tile, after it)
        for inner in sorted(ranks[0] - {outer}):
            lead = 0
            while lead < len(names) and inner in ranks[lead]:
                lead += 1
            if lead < 2 or any(inner in r for r in ranks[lead:]):
                continue
            for t0 in _tile_options(sizes[outer], tiles_per_rank, anchor):
                for t1 in _tile_options(sizes[inner], tiles_per_rank + 2, anchor):
                    if t0 < sizes[outer] or t1 < sizes[inner]:
                        out.append(((outer, inner), (t0, t1)))
    return out


def _binding_choices(cascade: Cascade, arch: Architecture, names: tuple[str, ...],
                     units: str = "auto") -> list[tuple[tuple[str, str], ...]]:
    elementwise = [n for n in names if not cascade.einsum(n).macs(cascade.shapes)]
    if not elementwise:
        return [()]
    choices = [] if units == "vector" else [tuple((n, "pe_array") for n in elementwise)]
    if arch.vector_unit is not None and units != "pe_array":
        choices.insert(0, tuple((n, "vector") for n in elementwise))
    return choices


def _balanced(cascade: Cascade, arch: Architecture, group: FusionGroup, bits: MappingABC[str, int],
              tiles: _Tiles) -> FusionGroup | None:
    """Move element-wise Einsums from the vector unit to the array, largest first, while the busier unit shrinks."""
    if arch.vector_unit is None:
        return None
    facts, by_depth = tiles.facts(cascade, group, bits)
    work: dict[tuple[str, str], float] = {}
    for _d, (tile, here) in by_depth.items():
        for name in here:
            if tile.einsum(name).macs(tile.shapes):
                work[(name, "pe_array")] = tiles.mapping(tile, name, tiles.problem(tile, name, None))[1].total_cycles
                continue
            for unit in ("vector", "pe_array"):
                p = tiles.problem(tile, name, unit)
                work[(name, unit)] = tiles.mapping(tile, name, p)[1].total_cycles
    ex = facts.executions
    binding = {n: ("pe_array" if cascade.einsum(n).macs(cascade.shapes) else "vector") for n in group.einsums}

    def peak(b: dict[str, str]) -> float:
        busy = {"pe_array": 0.0, "vector": 0.0}
        for n, u in b.items():
            busy[u] += ex[n] * work[(n, u)]
        return max(busy.values())

    best = peak(binding)
    for n in sorted((n for n, u in binding.items() if u == "vector"), key=lambda n: -ex[n] * work[(n, "vector")]):
        trial = {**binding, n: "pe_array"}
        if peak(trial) < best:
            binding, best = trial, peak(trial)
    elementwise = [n for n in group.einsums if not cascade.einsum(n).macs(cascade.shapes)]
    return FusionGroup(group.einsums, group.ranks, group.tiles, tuple((n, binding[n]) for n in elementwise))


def _objective(latency: float, energy: float, objective: str) -> float:
    """The objective of a plan from its summed latency and energy (groups run one after another)."""
    return {"latency": latency, "energy": energy, "edp": latency * energy}[objective]


def _candidates(cascade: Cascade, arch: Architecture, segment: tuple[str, ...], bits: MappingABC[str, int],
                tiles: _Tiles, capacity: int, single: MappingABC[str, Report], tiles_per_rank: int,
                every_mix: bool, units: str = "auto") -> tuple[list[tuple[float, float, FusionGroup]], int, int]:
    """The priced groups ``segment`` can form: ``(latency, energy, group)`` each, with how many were tried and
    skipped (overflowing the buffer, or ranks that cannot be shared). Element-wise Einsums go all to the vector
    unit, all to the array, and either to the balance between them (the search) or to every other mix of the two
    (``every_mix``, the exhaustive check)."""
    if len(segment) == 1:
        r = single[segment[0]]
        return [(r.total_cycles, r.energy_pj, FusionGroup(segment))], 0, 0
    out: list[tuple[float, float, FusionGroup]] = []
    tried = skipped = 0
    if not _connected(cascade, segment):
        return out, tried, skipped

    def add(group: FusionGroup) -> None:
        priced = _price_group(cascade, arch, group, bits, tiles, capacity, single)
        out.append((priced.report.total_cycles, priced.report.energy_pj, group))

    pe = arch.pe_array
    for ranks, tile in _shared_choices(cascade, segment, tiles_per_rank, 4 * max(pe.rows, pe.cols)):
        for binding in _binding_choices(cascade, arch, segment, units):
            tried += 1
            g = FusionGroup(segment, ranks, tile, binding)
            try:
                add(g)
            except (FusionError, FusionInfeasibleError):
                skipped += 1
                continue
            if not binding or binding[0][1] != "vector" or units != "auto":
                continue
            if every_mix:
                elementwise = [e for e, _ in binding]
                for mask in itertools.product(("vector", "pe_array"), repeat=len(elementwise)):
                    mixed = tuple(zip(elementwise, mask))
                    if mixed not in (binding, tuple((e, "pe_array") for e in elementwise)):
                        add(FusionGroup(segment, ranks, tile, mixed))
            else:
                balanced = _balanced(cascade, arch, g, bits, tiles)
                if balanced is not None and balanced.bindings != binding:
                    add(balanced)
    return out, tried, skipped


def _front(items: list[tuple[float, float, tuple]], cap: int) -> list[tuple[float, float, tuple]]:
    """The (latency, energy) Pareto front of ``items``, at most ``cap`` points spread along it."""
    items = sorted(items, key=lambda x: (x[0], x[1]))
    front, best_energy = [], math.inf
    for item in items:
        if item[1] < best_energy:
            front.append(item)
            best_energy = item[1]
    if len(front) > cap:
        step = (len(front) - 1) / (cap - 1)
        front = [front[round(i * step)] for i in range(cap)]
    return front


def fuse_cascade(cascade: Cascade, arch: Architecture, *, problems: MappingABC[str, Problem], objective: str = "edp",
                 solver: str = "highs", time_limit: float = 1.2, mapper: str = "ilp", samples: int = 2000, seed: int = 0,
                 capacity: int | None = None, max_group: int = 12, tiles_per_rank: int = 3,
                 search_samples: int = 300, front: int = 6,
                 single: MappingABC[str, Report] | None = None, units: str = "auto") -> FusedCascade:
    """The best fusion plan of ``cascade`` on ``arch`` for ``objective``, priced (see the module docstring).

    Falls back to the unfused plan (with a note) where no fused group fits or helps. ``units`` (one of
    :data:`FUSION_UNITS`) restricts where element-wise Einsums may be bound: ``'auto'`` (either unit, or the
    balance), ``'vector'`` (the vector unit, as FLAT binds the softmax) or ``'pe_array'``. ``single`` are the Einsums'
    reports mapped alone, where already made (a ``CascadeMapping``'s), else they are mapped here.

    Raises
    ------
    mapping.MappingError
        For an unknown objective or an architecture without an on-chip level.
    """
    if objective not in OBJECTIVES:
        raise FusionError(f"objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}")
    if units not in FUSION_UNITS:
        raise FusionError(f"units must be one of {', '.join(FUSION_UNITS)}, not {units!r}")
    if not arch.levels:
        raise FusionError(f"architecture {arch.name!r} has no on-chip level to hold a fusion group's tiles")
    start = time.perf_counter()
    capacity = int(arch.levels[-1].capacity) if capacity is None else capacity
    bits = tensor_bits(cascade, problems)
    if single is None:
        single = _single_reports(cascade, arch, objective, solver, time_limit, problems, samples, seed, mapper)
    weights = tuple(cascade.weights) or None
    tiles = _Tiles(arch, objective, search_samples, seed, weights)
    names = [e.name for e in cascade.einsums]
    n = len(names)
    # fronts[i]: Pareto front of plans for names[:i], as (latency, energy, groups)
    fronts: list[list[tuple[float, float, tuple]]] = [[(0.0, 0.0, ())]] + [[] for _ in range(n)]
    tried = skipped = 0
    for i in range(1, n + 1):
        options: list[tuple[float, float, tuple]] = []
        for j in range(max(0, i - max_group), i):
            candidates, t, k = _candidates(cascade, arch, tuple(names[j:i]), bits, tiles, capacity, single,
                                           tiles_per_rank, every_mix=False, units=units)
            tried, skipped = tried + t, skipped + k
            for lat, en, g in candidates:
                for plat, pen, groups in fronts[j]:
                    options.append((plat + lat, pen + en, groups + (g,)))
        fronts[i] = _front(options, front)
    best = min(fronts[n], key=lambda x: _objective(x[0], x[1], objective))
    plan = FusionPlan(cascade.name, best[2])
    notes = [f"fusion search: {tried} candidate groups, {skipped} skipped (tiles overflow the {capacity:,}-byte buffer "
             f"or ranks cannot be shared), {time.perf_counter() - start:.2f} s"]
    if not plan.fused:
        notes.append("no fused group fits or helps: every Einsum mapped alone")
    result = price_plan(cascade, arch, plan, problems=problems, objective=objective, solver=solver,
                        time_limit=time_limit, mapper=mapper, samples=samples, seed=seed, capacity=capacity, single=single)
    return FusedCascade(plan, result.groups, result.report, time.perf_counter() - start, tuple(notes))


def exhaustive_fusion(cascade: Cascade, arch: Architecture, *, problems: MappingABC[str, Problem], objective: str = "edp",
                      capacity: int | None = None, tiles_per_rank: int = 4, samples: int = 300, seed: int = 0,
                      max_group: int | None = None) -> tuple[FusionPlan, float]:
    """Every plan of the candidate space (every partition into consecutive groups, every group's ranks, tiles and
    bindings, the balanced binding included), scored with the same tile mappings: the best plan and its score.

    For small cascades only: the count grows exponentially with the number of Einsums.
    """
    capacity = int(arch.levels[-1].capacity) if capacity is None else capacity
    bits = tensor_bits(cascade, problems)
    single = _single_reports(cascade, arch, objective, "highs", 1.2, problems, samples, seed, "search")
    tiles = _Tiles(arch, objective, samples, seed, tuple(cascade.weights) or None)
    names = [e.name for e in cascade.einsums]
    n = len(names)
    max_group = n if max_group is None else max_group
    memo: dict[tuple[str, ...], list[tuple[float, float, FusionGroup]]] = {}

    def group_options(segment: tuple[str, ...]) -> list[tuple[float, float, FusionGroup]]:
        if segment not in memo:
            memo[segment] = _candidates(cascade, arch, segment, bits, tiles, capacity, single, tiles_per_rank,
                                        every_mix=True)[0]
        return memo[segment]

    best: tuple[float, FusionPlan] | None = None
    for cuts in itertools.product((False, True), repeat=n - 1):
        bounds = [0] + [k + 1 for k, c in enumerate(cuts) if c] + [n]
        segments = [tuple(names[a:b]) for a, b in zip(bounds, bounds[1:])]
        if any(len(s) > max_group for s in segments):
            continue
        per = [group_options(s) for s in segments]
        if any(not p for p in per):
            continue
        for combo in itertools.product(*per):
            lat, en = sum(c[0] for c in combo), sum(c[1] for c in combo)
            score = _objective(lat, en, objective)
            if best is None or score < best[0]:
                best = (score, FusionPlan(cascade.name, tuple(c[2] for c in combo)))
    if best is None:
        return unfused_plan(cascade), math.nan
    return best[1], best[0]


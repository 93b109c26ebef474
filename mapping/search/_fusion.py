"""The fusion search: which Einsums share a loop nest, over which ranks and tiles, each Einsum on which unit.

:func:`fuse_cascade` partitions a cascade into consecutive groups by dynamic programming over its Einsum order,
joining Pareto fronts of (latency, energy) along the cascade as AccelForge's fusion mapper joins partial
mappings: groups run one after another, so a prefix's latency and energy add up, and only prefixes on the front
can extend to the best plan. For a candidate group it enumerates the shared ranks (an outer rank every Einsum of
the group is indexed by, optionally an inner one that the leading Einsums share), a few tile sizes per rank
(divisors of the rank on a geometric ladder), and the bindings: every element-wise Einsum on the vector unit,
every one on the 2-D array, or the balance between them that minimizes the busier unit. Each Einsum's tile is
mapped by the seeded random search (cached by problem: the same Einsum on the same tile recurs across
candidates); the chosen plan is then mapped again with the ILP (``mapper='ilp'``). Groups whose tiles do not fit
the on-chip level are skipped; a group of one Einsum is that Einsum mapped alone, so the unfused plan is always a
candidate and the search never returns worse than it under its own model.

:func:`price_plan` prices any given plan (a user's, or the search's) the same way, and :func:`exhaustive_fusion`
enumerates every plan of a small cascade within the same candidate space, to check the search.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sim import CascadeReport, Report
from sim.analytical._fused import GroupPricing, evaluate_group, tile_residency

from .._fusion import (
    FusionError,
    FusionGroup,
    FusionInfeasibleError,
    FusionPlan,
    GroupFacts,
    analyse_group,
    depth_cascades,
    unfused_plan,
)
from .._mapping import Mapping
from .._problem import Problem, build_problem
from .._result import OBJECTIVES
from ._mapper import map_einsum, problem_signature
from ._search import search_mappings

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade

__all__ = ["FUSION_MODES", "FusedGroup", "FusedCascade", "fuse_cascade", "price_plan", "exhaustive_fusion"]

#: ``auto``: the search fuses where it helps; ``none``: every Einsum alone.
FUSION_MODES: tuple[str, ...] = ("auto", "none")


@dataclass(frozen=True)
class FusedGroup:
    """One group of a priced plan: its facts, each Einsum's tile problem and mapping, the pricing."""

    facts: GroupFacts
    problems: MappingABC[str, Problem]
    mappings: MappingABC[str, Mapping]
    report: Report
    pricing: GroupPricing | None = None


@dataclass(frozen=True)
class FusedCascade:
    """A priced fusion plan: the plan, its groups and the cascade's report (one part per group)."""

    plan: FusionPlan
    groups: tuple[FusedGroup, ...]
    report: CascadeReport
    seconds: float = field(default=0.0, compare=False)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"plan": self.plan.to_dict(), "report": self.report.to_dict(), "notes": list(self.notes),
                "footprints": {g.facts.group.label: g.facts.footprint_bytes for g in self.groups}}


class _Tiles:
    """Tile problems and their mappings, cached: the same Einsum on the same tile and unit is mapped once."""

    def __init__(self, arch: Architecture, objective: str, samples: int, seed: int, weights: tuple[str, ...] | None):
        self.arch, self.objective, self.samples, self.seed, self.weights = arch, objective, samples, seed, weights
        self._problems: dict[tuple, Problem] = {}
        self._maps: dict[tuple, tuple[Mapping, Report]] = {}
        self._facts: dict[tuple, tuple[GroupFacts, dict]] = {}

    def facts(self, cascade: Cascade, group: FusionGroup, bits: MappingABC[str, int]) -> tuple[GroupFacts, dict]:
        """The group's facts and depth cascades (bindings aside, they depend only on its Einsums, ranks and tiles)."""
        key = (group.einsums, group.ranks, group.tiles)
        hit = self._facts.get(key)
        if hit is None:
            bare = FusionGroup(group.einsums, group.ranks, group.tiles)
            facts = analyse_group(cascade, bare, bits)
            hit = self._facts[key] = (facts, depth_cascades(cascade, bare, facts.depth))
        facts, tiles = hit
        if facts.group != group:
            facts = dataclasses.replace(facts, group=group)
        return facts, tiles

    def problem(self, tile: Cascade, name: str, unit: str | None) -> Problem:
        key = (name, tuple(sorted(tile.shapes.items())), unit)
        p = self._problems.get(key)
        if p is None:
            p = self._problems[key] = build_problem(tile.einsum(name), tile.shapes, self.arch, self.weights, unit=unit)
        return p

    def mapping(self, tile: Cascade, name: str, problem: Problem) -> tuple[Mapping, Report]:
        key = problem_signature(problem)
        hit = self._maps.get(key)
        if hit is None:
            res = search_mappings(tile.einsum(name), tile.shapes, self.arch, method="random", objective=self.objective,
                                  samples=self.samples, seed=self.seed, weights=self.weights,
                                  residency=tile_residency(problem), problem=problem)
            hit = self._maps[key] = (res.mapping, res.report)
        mapping, report = hit
        if mapping.einsum != name:  # the same problem under other names
            mapping = mapping.renamed(name, problem.ranks)
        return mapping, report


def _bits(cascade: Cascade, problems: MappingABC[str, Problem]) -> dict[str, int]:
    """Bits per tensor as the architecture moves them (a produced tensor at its producer's output width)."""
    bits: dict[str, int] = {}
    for e in cascade.einsums:
        for t in problems[e.name].tensors:
            if t.role == "output" or t.name not in bits:
                bits[t.name] = int(t.bits)
    return bits


def _price_group(cascade: Cascade, arch: Architecture, group: FusionGroup, bits: MappingABC[str, int], tiles: _Tiles,
                 capacity: int, single: MappingABC[str, Report], final: MappingABC[str, Mapping] | None = None) -> FusedGroup:
    if len(group.einsums) == 1 and not group.ranks and not group.bindings:  # alone: the per-Einsum model
        (name,) = group.einsums
        r = single[name]
        return FusedGroup(tiles.facts(cascade, group, bits)[0], {}, {name: r.mappings[0]}, r)
    facts, by_depth = tiles.facts(cascade, group, bits)
    if facts.footprint_bytes > capacity:
        raise FusionInfeasibleError(f"group {group.label}: its tiles need {facts.footprint_bytes:,} bytes on chip at once "
                                    f"but the buffer holds {capacity:,}")
    problems, mappings, reports = {}, {}, {}
    for _d, (tile, here) in by_depth.items():
        for name in here:
            p = tiles.problem(tile, name, group.unit_of(name))
            problems[name] = p
            if final and name in final:
                mappings[name] = final[name]
            else:
                mappings[name], reports[name] = tiles.mapping(tile, name, p)
    pricing = evaluate_group(cascade, arch, facts, problems, mappings, reports if not final else None)
    return FusedGroup(facts, problems, mappings, pricing.report, pricing)


def _tile_options(size: int, limit: int = 4) -> list[int]:
    """Divisors of ``size`` on a geometric ladder from the largest down (at most ``limit``)."""
    divisors = [d for d in range(1, size + 1) if size % d == 0] if size <= 4096 else _divisors(size)
    ladder, last = [], None
    for d in sorted(divisors, reverse=True):
        if last is None or d * 4 <= last:
            ladder.append(d)
            last = d
        if len(ladder) == limit:
            break
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


def _shared_choices(cascade: Cascade, names: tuple[str, ...], tiles_per_rank: int) -> list[tuple[tuple[str, ...], tuple[int, ...]]]:
    ranks = [frozenset(cascade.einsum(n).iteration_space(cascade.shapes)) for n in names]
    common = frozenset.intersection(*ranks)
    sizes = cascade.shapes
    out: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
    for outer in sorted(common):
        for t in _tile_options(sizes[outer], tiles_per_rank):
            if t < sizes[outer]:
                out.append(((outer,), (t,)))
        # an inner rank shared by a leading run of Einsums (the rest run once per outer tile, after it)
        for inner in sorted(ranks[0] - {outer}):
            lead = 0
            while lead < len(names) and inner in ranks[lead]:
                lead += 1
            if lead < 2 or any(inner in r for r in ranks[lead:]):
                continue
            for t0 in _tile_options(sizes[outer], tiles_per_rank):
                for t1 in _tile_options(sizes[inner], tiles_per_rank):
                    if t0 < sizes[outer] or t1 < sizes[inner]:
                        out.append(((outer, inner), (t0, t1)))
    return out


def _binding_choices(cascade: Cascade, arch: Architecture, names: tuple[str, ...]) -> list[tuple[tuple[str, str], ...]]:
    elementwise = [n for n in names if not cascade.einsum(n).macs(cascade.shapes)]
    if not elementwise:
        return [()]
    choices = [tuple((n, "pe_array") for n in elementwise)]
    if arch.vector_unit is not None:
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


def _score(report: Report, objective: str) -> float:
    return {"latency": report.total_cycles, "energy": report.energy_pj, "edp": report.edp}[objective]


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


def _single_reports(cascade: Cascade, arch: Architecture, objective: str, solver: str, time_limit: float,
                    problems: MappingABC[str, Problem], samples: int, seed: int, mapper: str) -> dict[str, Report]:
    from ._mapper import map_cascade

    mapped = map_cascade(cascade, arch, objective=objective, solver=solver, time_limit=time_limit, mapper=mapper,
                         samples=samples, seed=seed, problems=problems)
    return {r.mapping.einsum: r.report for r in mapped.results}


def price_plan(cascade: Cascade, arch: Architecture, plan: FusionPlan, *, problems: MappingABC[str, Problem],
               objective: str = "edp", solver: str = "highs", time_limit: float = 1.2, mapper: str = "ilp",
               samples: int = 2000, seed: int = 0, capacity: int | None = None,
               single: MappingABC[str, Report] | None = None) -> FusedCascade:
    """Price ``plan``: each fused group's tiles mapped (by the ILP where ``mapper='ilp'``) and scored with the
    units overlapped; each group of one as that Einsum alone.

    Raises
    ------
    mapping.FusionError, mapping.FusionInfeasibleError
        For a malformed plan (naming the group and the Einsum) or one whose tiles overflow the buffer.
    """
    from .._fusion import check_plan

    start = time.perf_counter()
    bits = _bits(cascade, problems)
    check_plan(plan, cascade, arch, bits, capacity)
    capacity = int(arch.levels[-1].capacity) if capacity is None else capacity
    if single is None:
        single = _single_reports(cascade, arch, objective, solver, time_limit, problems, samples, seed, mapper)
    weights = tuple(cascade.weights) or None
    tiles = _Tiles(arch, objective, samples, seed, weights)
    groups = []
    for g in plan.groups:
        final = None
        if g.fused and mapper == "ilp":
            facts = analyse_group(cascade, g, bits)
            final = {}
            for _d, (tile, here) in depth_cascades(cascade, g, facts.depth).items():
                for name in here:
                    p = tiles.problem(tile, name, g.unit_of(name))
                    final[name] = map_einsum(tile.einsum(name), tile.shapes, arch, objective, solver, time_limit,
                                             weights=weights, residency=tile_residency(p), problem=p).mapping
        groups.append(_price_group(cascade, arch, g, bits, tiles, capacity, single, final))
    report = CascadeReport.of_parts([g.report for g in groups], name=cascade.name)
    return FusedCascade(plan, tuple(groups), report, time.perf_counter() - start)


def fuse_cascade(cascade: Cascade, arch: Architecture, *, problems: MappingABC[str, Problem], objective: str = "edp",
                 solver: str = "highs", time_limit: float = 1.2, mapper: str = "ilp", samples: int = 2000, seed: int = 0,
                 capacity: int | None = None, max_group: int = 12, tiles_per_rank: int = 3,
                 search_samples: int = 300, front: int = 6,
                 single: MappingABC[str, Report] | None = None) -> FusedCascade:
    """The best fusion plan of ``cascade`` on ``arch`` for ``objective``, priced (see the module docstring).

    Falls back to the unfused plan (with a note) where no fused group fits or helps. ``single`` are the Einsums'
    reports mapped alone, where already made (a ``CascadeMapping``'s), else they are mapped here.

    Raises
    ------
    mapping.MappingError
        For an unknown objective or an architecture without an on-chip level.
    """
    if objective not in OBJECTIVES:
        raise FusionError(f"objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}")
    if not arch.levels:
        raise FusionError(f"architecture {arch.name!r} has no on-chip level to hold a fusion group's tiles")
    start = time.perf_counter()
    capacity = int(arch.levels[-1].capacity) if capacity is None else capacity
    bits = _bits(cascade, problems)
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
            segment = tuple(names[j:i])
            candidates: list[tuple[float, float, FusionGroup]] = []
            if len(segment) == 1:
                r = single[segment[0]]
                candidates.append((r.total_cycles, r.energy_pj, FusionGroup(segment)))
            elif _connected(cascade, segment):
                for ranks, tile in _shared_choices(cascade, segment, tiles_per_rank):
                    for binding in _binding_choices(cascade, arch, segment):
                        tried += 1
                        try:
                            g = FusionGroup(segment, ranks, tile, binding)
                            priced = _price_group(cascade, arch, g, bits, tiles, capacity, single)
                        except (FusionError, FusionInfeasibleError):
                            skipped += 1
                            continue
                        candidates.append((priced.report.total_cycles, priced.report.energy_pj, g))
                        if binding and binding[0][1] == "vector":
                            balanced = _balanced(cascade, arch, g, bits, tiles)
                            if balanced is not None and balanced.bindings != binding:
                                priced = _price_group(cascade, arch, balanced, bits, tiles, capacity, single)
                                candidates.append((priced.report.total_cycles, priced.report.energy_pj, balanced))
            for lat, en, g in candidates:
                for plat, pen, groups in fronts[j]:
                    options.append((plat + lat, pen + en, groups + (g,)))
        fronts[i] = _front(options, front)
    best = min(fronts[n], key=lambda x: {"latency": x[0], "energy": x[1], "edp": x[0] * x[1]}[objective])
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
    bits = _bits(cascade, problems)
    single = _single_reports(cascade, arch, objective, "highs", 1.2, problems, samples, seed, "search")
    tiles = _Tiles(arch, objective, samples, seed, tuple(cascade.weights) or None)
    names = [e.name for e in cascade.einsums]
    n = len(names)
    max_group = n if max_group is None else max_group
    memo: dict[tuple[str, ...], list[tuple[float, float, FusionGroup]]] = {}

    def group_options(segment: tuple[str, ...]) -> list[tuple[float, float, FusionGroup]]:
        if segment in memo:
            return memo[segment]
        out = []
        if len(segment) == 1:
            r = single[segment[0]]
            out.append((r.total_cycles, r.energy_pj, FusionGroup(segment)))
        elif _connected(cascade, segment):
            for ranks, tile in _shared_choices(cascade, segment, tiles_per_rank):
                bindings = list(_binding_choices(cascade, arch, segment))
                for binding in bindings:
                    try:
                        g = FusionGroup(segment, ranks, tile, binding)
                        priced = _price_group(cascade, arch, g, bits, tiles, capacity, single)
                    except (FusionError, FusionInfeasibleError):
                        continue
                    out.append((priced.report.total_cycles, priced.report.energy_pj, g))
                    elementwise = [b[0] for b in binding]
                    if binding and binding[0][1] == "vector":  # every other mix of units too
                        for mask in itertools.product(("vector", "pe_array"), repeat=len(elementwise)):
                            mixed = tuple(zip(elementwise, mask))
                            if mixed in (binding, tuple((e, "pe_array") for e in elementwise)):
                                continue
                            gm = FusionGroup(segment, ranks, tile, mixed)
                            pm = _price_group(cascade, arch, gm, bits, tiles, capacity, single)
                            out.append((pm.report.total_cycles, pm.report.energy_pj, gm))
        memo[segment] = out
        return out

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
            score = {"latency": lat, "energy": en, "edp": lat * en}[objective]
            if best is None or score < best[0]:
                best = (score, FusionPlan(cascade.name, tuple(c[2] for c in combo)))
    if best is None:
        return unfused_plan(cascade), math.nan
    return best[1], best[0]


"""Pricing fusion plans: each fused group's tiles mapped and scored with the units overlapped, each group of one
as that Einsum alone. :func:`price_plan` prices any plan (a user's, or the search's in :mod:`._fusion`); the
tile problems and their mappings are cached, since the same Einsum on the same tile recurs across candidates.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sim import CascadeReport, Report
from sim.analytical._fused import GroupPricing, evaluate_group, tile_residency

from .._fusion import FusionGroup, FusionInfeasibleError, FusionPlan, GroupFacts
from .._fusion_facts import analyse_with_tiles, check_plan
from .._mapping import Mapping
from .._problem import Problem, build_problem, tensor_bits
from ._cascade import map_cascade, problem_signature
from ._mapper import map_einsum
from ._search import search_mappings

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade

__all__ = ["FusedGroup", "FusedCascade", "price_plan"]


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
            hit = self._facts[key] = analyse_with_tiles(cascade, bare, bits)
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


def _single_reports(cascade: Cascade, arch: Architecture, objective: str, solver: str, time_limit: float,
                    problems: MappingABC[str, Problem], samples: int, seed: int, mapper: str) -> dict[str, Report]:
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
    start = time.perf_counter()
    bits = tensor_bits(cascade, problems)
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
            final = {}
            for _d, (tile, here) in analyse_with_tiles(cascade, g, bits)[1].items():
                for name in here:
                    p = tiles.problem(tile, name, g.unit_of(name))
                    final[name] = map_einsum(tile.einsum(name), tile.shapes, arch, objective, solver, time_limit,
                                             weights=weights, residency=tile_residency(p), problem=p).mapping
        groups.append(_price_group(cascade, arch, g, bits, tiles, capacity, single, final))
    report = CascadeReport.of_parts([g.report for g in groups], name=cascade.name)
    return FusedCascade(plan, tuple(groups), report, time.perf_counter() - start)

"""The whole-cascade mapper: every Einsum mapped once per distinct problem, repeated layers reusing the mapping.

:func:`map_cascade` builds each Einsum's problem once (:func:`mapping.cascade_problems`), maps it with the ILP
(:func:`map_einsum`) or the seeded random search (:func:`search_mappings`), optionally for a schedule's
residency and under mapspace constraints, and carries the problems in the :class:`CascadeMapping` it returns.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping as MappingABC
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from memory import CascadeSchedule
from sim import Report, combine
from sim.analytical import cost_model, report_for

from .._constraints import Constraints
from .._errors import MappingError
from .._problem import Problem, cascade_problems
from .._result import MapResult, objective_of
from ._mapper import map_einsum
from ._search import search_mappings

if TYPE_CHECKING:
    from accel.arch import Architecture, JsonObject
    from dataflow import Cascade

__all__ = ["map_cascade", "CascadeMapping", "MAPPERS", "problem_signature"]

#: How :func:`map_cascade` maps each Einsum: the ILP, or a seeded random search.
MAPPERS: tuple[str, ...] = ("ilp", "search")


@dataclass(frozen=True)
class CascadeMapping:
    """Every Einsum of a cascade mapped, and the summed report.

    Parameters
    ----------
    cascade : str
    results : tuple of MapResult
        In the cascade's Einsum order.
    report : sim.Report
        :func:`sim.combine` of the results' reports (Einsums run one after another).
    problems : mapping of str to mapping.Problem
        Each mapped Einsum's problem, built once (:func:`mapping.cascade_problems`) and carried to the simulators.
    """

    cascade: str
    results: tuple[MapResult[Report], ...]
    report: Report
    problems: MappingABC[str, Problem] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> JsonObject:
        """Plain data (JSON-ready)."""
        return {"cascade": self.cascade, "results": [r.to_dict() for r in self.results], "report": self.report.to_dict()}


def map_cascade(
    cascade: Cascade,
    arch: Architecture,
    objective: str = "edp",
    solver: str = "highs",
    time_limit: float = 1.2,
    einsums: Collection[str] | None = None,
    fallback: bool = True,
    schedule: CascadeSchedule | None = None,
    mapper: str = "ilp",
    samples: int = 2000,
    seed: int = 0,
    problems: MappingABC[str, Problem] | None = None,
    constraints: Constraints | None = None,
) -> CascadeMapping:
    """Map every Einsum of ``cascade`` (or those named in ``einsums``) on ``arch``.

    MAC Einsums go to the PE array; element-wise and max/min Einsums to the
    vector unit when ``arch`` has one (see :func:`mapping.build_problem`).

    Parameters
    ----------
    cascade : dataflow.Cascade
    arch : accel.Architecture
    objective, solver, time_limit
        As :func:`map_einsum`.
    einsums : collection of str, optional
        Names of the Einsums to map (default: all).
    fallback : bool
        As :func:`map_einsum` (default True here, so one awkward Einsum does
        not stop the cascade; its result says ``'fallback'``).
    schedule : memory.CascadeSchedule, optional
        A COSMA schedule of the cascade (made before mapping: it depends only
        on tensor sizes); each Einsum is then mapped for the traffic the
        schedule leaves it (its ``residency``), and its report
        prices that traffic (:func:`sim.analytical.evaluate_cascade` adds the
        schedule's whole-tensor spills on top).
    mapper : str
        One of :data:`MAPPERS`: ``'ilp'`` (:func:`map_einsum`) or ``'search'`` (a seeded random search of
        ``samples`` mappings, :func:`search_mappings`).
    problems : mapping of str to mapping.Problem, optional
        The Einsums' problems where already built (:func:`mapping.cascade_problems`); built once here otherwise,
        and carried in the result.
    constraints : mapping.Constraints, optional
        Mapspace constraints (:func:`mapping.read_constraints`): each Einsum is mapped within its own
        (by the ILP mapper; ``mapper='search'`` with constraints is refused).

    Einsums that pose the same problem up to tensor names (the repeated
    layers of a network) are solved once; the others reuse that mapping with
    their own report (see their ``notes``).

    Raises
    ------
    dataflow.UnknownNameError
        For an unknown Einsum name.
    MappingError, InfeasibleMappingError
        As :func:`map_einsum`.
    """
    if mapper not in MAPPERS:
        raise MappingError(f"mapper must be one of {MAPPERS!r}, not {mapper!r}")
    if constraints is not None and mapper != "ilp":
        raise MappingError(f"mapspace constraints are honoured by the ILP mapper, not by mapper {mapper!r}")
    if schedule is not None and not isinstance(schedule, CascadeSchedule):
        raise MappingError(f"map_cascade: schedule must be a memory.CascadeSchedule, not {schedule!r}")
    facts = schedule.residency if schedule is not None else {}
    if problems is None:
        problems = cascade_problems(cascade, arch)
    chosen = [cascade.einsum(n) for n in einsums] if einsums else list(cascade.einsums)
    weights = tuple(cascade.weights) or None
    results, solved = [], {}
    for e in chosen:
        start = time.perf_counter()
        residency = facts.get(e.name)
        model = cost_model(e, cascade.shapes, arch, weights, residency=residency, problem=problems[e.name])
        # the same problem under the same treatment of its tensors by the schedule
        own = constraints.for_problem(model.problem) if constraints is not None else None
        key = (problem_signature(model.problem), None if residency is None else tuple(model.pipeline.via_dram),
               None if own is None else repr(own))  # and under the same constraints
        first = solved.get(key)
        if first is None:
            if mapper == "ilp":
                res = map_einsum(e, cascade.shapes, arch, objective, solver, time_limit, weights=weights,
                                 fallback=fallback, residency=residency, problem=model.problem, constraints=own)
            else:
                res = search_mappings(e, cascade.shapes, arch, method="random", objective=objective, samples=samples,
                                      seed=seed, weights=weights, residency=residency, problem=model.problem)
            solved[key] = res
        else:  # the same problem up to names (a repeated layer): same mapping, its own report
            mapping = first.mapping.renamed(e.name, model.problem.ranks)
            report = report_for(model, mapping)
            res = MapResult(mapping, report, first.status, first.gap, objective, objective_of(report, objective), first.solver,
                            time.perf_counter() - start, 1, (f"same problem as Einsum {first.mapping.einsum!r}: its mapping reused",))
        results.append(res)
    return CascadeMapping(cascade.name, tuple(results), combine([r.report for r in results], name=cascade.name),
                          problems)


def problem_signature(problem: Problem) -> tuple:
    """What decides the best mapping of a problem, names of the Einsum, tensors and ranks aside."""
    p = problem
    return (
        p.arch, p.sizes, p.row_allowed, p.col_allowed, p.unit, p.ops_per_point, p.ops_per_cycle, p.macs, p.ops,
        tuple((t.role, t.bits, t.coeffs, t.dim_sizes) for t in p.tensors),
        tuple((st.name, st.holds) for st in p.storage),
    )

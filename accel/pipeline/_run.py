"""The one orchestration: schedule the cascade, map each Einsum for the schedule, price the mapped cascade."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from accel.arch import Architecture
from dataflow import Cascade
from mapping import Constraints, Problem, cascade_problems, objective_of
from mapping.cosma import MAX_ILP_OPERATORS, schedule as cosma_schedule
from mapping.search import CascadeMapping, FusedCascade, fuse_cascade, map_cascade
from memory import (
    CascadeSchedule,
    InfeasibleScheduleError,
    Scratchpad,
    TensorGraph,
    graph_for_architecture,
    graph_from_cascade,
    schedule_greedy,
    scratchpad_from_architecture,
)
from sim import CascadeReport
from sim.analytical import evaluate_cascade
from sim.cycle import SimulationResult, simulate_cascade, simulate_fused

from ._options import AUTO_SCHEDULE, NO_SCHEDULE, Options

__all__ = ["Evaluation", "run", "schedule_cascade", "schedule_graph", "map_for", "price", "fuse"]


@dataclass(frozen=True)
class Evaluation:
    """What :func:`run` found for one cascade on one architecture.

    Attributes
    ----------
    cascade, arch, options
        The question.
    schedule : memory.CascadeSchedule or None
        The cascade's schedule on chip (``None`` when ``options.scheduler`` is ``'none'``, or it is infeasible and a
        fused plan is priced). Where ``fusion`` is set too, the report is the fused plan's and the schedule is
        the one it was set against.
    mapped : mapping.search.CascadeMapping
        Each Einsum's mapping (and the mapper's own report of it).
    report : sim.CascadeReport
        The chosen simulator's report: total and one part per Einsum.
    analytical : sim.CascadeReport
        The analytical model's report of the same mappings under the same schedule (``report`` itself when the
        simulator is the analytical one), to set beside a cycle-level run.
    simulation : sim.cycle.SimulationResult or None
        The cycle-level run (events for the trace, lowered programs), when the simulator is ``'cycle'``.
    fusion : mapping.search.FusedCascade or None
        With ``options.fusion='auto'``: the fusion plan the search chose, its groups and their pricing; ``report``
        is then its report (one part per group). ``None`` where the scheduled run of every Einsum alone scored
        better (see :func:`run`).
    notes : tuple of str
        How the pipeline chose between the fused plan and the scheduled run, where it had both.
    """

    cascade: Cascade
    arch: Architecture
    options: Options
    schedule: CascadeSchedule | None
    mapped: CascadeMapping
    report: CascadeReport
    analytical: CascadeReport
    simulation: SimulationResult | None = None
    fusion: FusedCascade | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON: the options, the schedule, the mappings and both reports."""
        return {
            "cascade": self.cascade.name,
            "arch": self.arch.name,
            "options": self.options.to_dict(),
            "schedule": None if self.schedule is None else self.schedule.as_dict(),
            "mappings": [r.to_dict() for r in self.mapped.results],
            "report": self.report.to_dict(),
            "analytical": self.analytical.to_dict(),
            "fusion": None if self.fusion is None else self.fusion.to_dict(),
            "notes": list(self.notes),
        }


def schedule_graph(graph: TensorGraph, scratchpad: Scratchpad, options: Options) -> CascadeSchedule:
    """Schedule ``graph`` on ``scratchpad`` with ``options``' scheduler (not ``'none'``).

    Raises
    ------
    memory.InfeasibleScheduleError
        If the graph cannot be scheduled on the scratchpad.
    """
    method = options.scheduler
    if method == NO_SCHEDULE:
        raise ValueError("schedule_graph needs a scheduler, not 'none'")
    if method == AUTO_SCHEDULE:
        method = "ilp" if len(graph.operators) <= MAX_ILP_OPERATORS else "divide"
    if method.startswith("greedy-"):
        result = schedule_greedy(graph, scratchpad, method.removeprefix("greedy-"))
    else:
        result = cosma_schedule(graph, scratchpad, method=method, solver=options.schedule_solver or options.solver,
                                time_limit=options.schedule_time_limit, threads=options.schedule_threads,
                                window=options.window, lookahead=options.lookahead)
    return CascadeSchedule.of(result, graph, scratchpad)


def schedule_cascade(cascade: Cascade, arch: Architecture, options: Options,
                     problems: Mapping[str, Problem] | None = None) -> CascadeSchedule | None:
    """The cascade's schedule on ``arch``'s on-chip level, or ``None`` when ``options.scheduler`` is ``'none'``.

    The level is ``options.level`` (default the outermost), its capacity ``options.scratchpad`` where given;
    tensor widths are those ``arch`` moves (:func:`memory.graph_for_architecture`) unless ``options.bits``
    overrides them. ``problems`` are the Einsums' problems where already built (:func:`mapping.cascade_problems`).

    Raises
    ------
    memory.InfeasibleScheduleError
        If the architecture has no on-chip level, or the cascade cannot be scheduled on it.
    """
    if not options.scheduled:
        return None
    if not arch.levels:
        raise InfeasibleScheduleError(f"architecture {arch.name!r} has no on-chip level to schedule the cascade on")
    pad = scratchpad_from_architecture(arch, options.level, options.scratchpad)
    if options.bits is not None:
        graph = graph_from_cascade(cascade, options.bits)
    else:
        graph = graph_for_architecture(cascade, arch, problems)
    return schedule_graph(graph, pad, options)


def map_for(cascade: Cascade, arch: Architecture, options: Options, schedule: CascadeSchedule | None = None,
            einsums: Collection[str] | None = None, fallback: bool = True,
            problems: Mapping[str, Problem] | None = None, constraints: Constraints | None = None) -> CascadeMapping:
    """Map every Einsum (or those in ``einsums``), for ``schedule``'s residency where ``options.map_for_schedule``.

    The result carries the Einsums' problems (``problems`` where given), so pricing builds none again;
    ``constraints`` (:func:`mapping.read_constraints`) bound each Einsum's mapspace.
    """
    return map_cascade(cascade, arch, objective=options.objective, solver=options.solver, time_limit=options.time_limit,
                       einsums=einsums, fallback=fallback,
                       schedule=schedule if options.map_for_schedule else None,
                       mapper=options.mapper, samples=options.samples, seed=options.seed, problems=problems,
                       constraints=constraints)


def price(cascade: Cascade, arch: Architecture, options: Options, schedule: CascadeSchedule | None,
          mapped: CascadeMapping) -> tuple[CascadeReport, CascadeReport, SimulationResult | None]:
    """Price the mapped cascade under ``schedule``: (the simulator's report, the analytical one, the cycle run)."""
    analytical = evaluate_cascade(cascade, arch, mapped, schedule=schedule, problems=mapped.problems)
    if options.simulator == "analytical":
        return analytical, analytical, None
    result = simulate_cascade(cascade, arch, mapped, schedule=schedule, problems=mapped.problems, trace=options.trace,
                              max_cycles=options.max_cycles)
    return result.cascade_report, analytical, result


def run(cascade: Cascade, arch: Architecture, options: Options = Options()) -> Evaluation:
    """Schedule ``cascade`` on ``arch``, map each Einsum, price the result: the one pipeline every command uses.

    With ``options.fusion='auto'`` the fusion search groups Einsums under shared loops (from each Einsum mapped
    alone); with a scheduler as well, the fused plan is set against every Einsum alone under that whole-tensor
    schedule (COSMA residency), and the better by ``options.objective`` is priced and returned, the reason in
    ``notes`` (residency between fused groups is not modelled: a plan is either fused or scheduled).

    Parameters
    ----------
    cascade : dataflow.Cascade
    arch : accel.Architecture
    options : Options

    Raises
    ------
    accel.errors.BadInputError
        For bad options or a malformed cascade or architecture (subclasses name the place).
    accel.errors.InfeasibleError
        When the cascade cannot be scheduled or an Einsum cannot be mapped, or the run deadlocks.
    """
    if not isinstance(cascade, Cascade):
        raise TypeError(f"run: cascade must be a dataflow.Cascade, not {cascade!r}")
    if not isinstance(arch, Architecture):
        raise TypeError(f"run: arch must be an accel.Architecture, not {arch!r}")
    if not isinstance(options, Options):
        raise TypeError(f"run: options must be an accel.pipeline.Options, not {options!r}")
    problems = cascade_problems(cascade, arch)  # each Einsum's problem, built once and carried
    if options.fusion != "auto":
        schedule = schedule_cascade(cascade, arch, options, problems)
        mapped = map_for(cascade, arch, options, schedule, problems=problems)
        report, analytical, simulation = price(cascade, arch, options, schedule, mapped)
        return Evaluation(cascade, arch, options, schedule, mapped, report, analytical, simulation)
    mapped = map_for(cascade, arch, options, None, problems=problems)  # alone: the fusion search's starting point
    fused = fuse(cascade, arch, options, mapped)
    notes: tuple[str, ...] = ()
    schedule = None
    if options.scheduled:  # fuse where it helps: against every Einsum alone under the whole-tensor schedule
        try:
            schedule = schedule_cascade(cascade, arch, options, problems)
        except InfeasibleScheduleError as exc:
            notes = (f"fused plan kept: the {options.scheduler} schedule of every Einsum alone is infeasible ({exc})",)
        else:
            alone = evaluate_cascade(cascade, arch, mapped, schedule=schedule, problems=mapped.problems)
            f, a = objective_of(fused.report.total, options.objective), objective_of(alone.total, options.objective)
            if a < f:
                report, analytical, simulation = price(cascade, arch, options, schedule, mapped)
                why = (f"every Einsum alone under the {options.scheduler} schedule: {options.objective} {a:.4g}, "
                       f"the fused plan's {f:.4g} (fused groups send what they do not keep through DRAM; the "
                       "schedule keeps whole tensors on chip)")
                return Evaluation(cascade, arch, options, schedule, mapped, report, analytical, simulation,
                                  notes=(why,))
            notes = (f"fused plan kept: {options.objective} {f:.4g}, every Einsum alone under the "
                     f"{options.scheduler} schedule {a:.4g}",)
    if options.simulator == "analytical":
        return Evaluation(cascade, arch, options, schedule, mapped, fused.report, fused.report, None, fused, notes)
    run_ = simulate_fused(cascade, arch, [(g.facts, g.problems, g.mappings) for g in fused.groups], mapped.problems,
                          trace=options.trace, max_cycles=options.max_cycles)
    return Evaluation(cascade, arch, options, schedule, mapped, run_.cascade_report, fused.report, run_, fused, notes)


def fuse(cascade: Cascade, arch: Architecture, options: Options, mapped: CascadeMapping) -> FusedCascade:
    """The fusion search's plan for ``cascade``, starting from each Einsum mapped alone (``mapped``)."""
    return fuse_cascade(cascade, arch, problems=mapped.problems, objective=options.objective, solver=options.solver,
                        time_limit=options.time_limit, mapper=options.mapper, samples=options.samples, seed=options.seed,
                        capacity=options.scratchpad, single={r.mapping.einsum: r.report for r in mapped.results},
                        units=options.fusion_units)

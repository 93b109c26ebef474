"""Public entry points: simulate one mapped Einsum, or a mapped and scheduled cascade."""

from __future__ import annotations

from collections.abc import Collection, Mapping as MappingABC
from dataclasses import dataclass, replace
from pathlib import Path
from accel._types import JsonObject

from accel import Architecture
from dataflow import Cascade, Einsum
from mapping import Mapping, Problem, build_problem, check_mapping

from memory import CascadeSchedule, spill_bits

from .._checks import CascadeMappings, MappedEinsum, cascade_run, mapping_of as _mapping_of
from .._report import CascadeReport, Report, combine
from ..analytical import action_energies
from ._runner import run_programs
from ._errors import CapacityError, WatchdogError
from ._hardware import HardwareConfig
from ._lower import cycle_floor, lower
from ._program import DRAM, SPAD, EinsumProgram, Move
from ._report import build_report
from ._trace import TraceEvent, trace_json, write_trace

__all__ = ["SimulationResult", "simulate", "simulate_cascade"]


@dataclass(frozen=True)
class SimulationResult:
    """What the cycle-level simulator returns.

    Attributes
    ----------
    report : sim.Report
        The whole run (for a cascade, :func:`sim.combine` of the Einsums' reports).
    einsums : tuple of sim.Report
        One report per Einsum, in execution order; their cycles add up to the total.
    events : tuple of TraceEvent
        The timeline (empty when tracing was off).
    programs : tuple of EinsumProgram
        The tile steps each Einsum was lowered to.
    """

    report: Report
    einsums: tuple[Report, ...]
    events: tuple[TraceEvent, ...]
    programs: tuple[EinsumProgram, ...]

    @property
    def total_cycles(self) -> int:
        """Cycles from the first load to the last store."""
        return int(self.report.total_cycles)

    @property
    def cascade_report(self) -> CascadeReport:
        """The run in the shape both simulators share: the measured total and the Einsums' parts."""
        return CascadeReport(self.report, self.einsums)

    def trace_json(self) -> JsonObject:
        """The timeline as a Chrome / Perfetto trace-event document (timestamps in cycles)."""
        return trace_json(self.events, name=f"{self.report.name} on {self.report.arch}", clock_mhz=self.report.clock_mhz)

    def write_trace(self, path: str | Path) -> Path:
        """Write the timeline to ``path`` as Chrome / Perfetto trace JSON.

        Raises
        ------
        FileNotFoundError
            If the folder of ``path`` does not exist.
        """
        return write_trace(path, self.events, name=f"{self.report.name} on {self.report.arch}", clock_mhz=self.report.clock_mhz)


def _require(value: object, kind: type, where: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{where} must be {kind.__module__.split('.')[0]}.{kind.__name__}, not {value!r}")


def _check(problem: Problem, mapping: Mapping) -> None:
    try:
        check_mapping(problem, mapping)
    except ValueError as exc:
        raise CapacityError(f"the mapping of {problem.einsum!r} does not fit architecture {problem.arch!r} (cycle 0): {exc}",
                            cycle=0, tile=f"{problem.einsum} step 0") from None


def _finish(arch: Architecture, problems: list, mappings: list, programs: list, producers: list, name: str,
            config: HardwareConfig, trace: bool, max_cycles: int | None) -> SimulationResult:
    result = run_programs(arch, programs, producers, config=config, trace=trace, max_cycles=max_cycles)
    energies = action_energies(arch)
    reports = tuple(
        build_report(p, m, prog, st, energies, arch) for p, m, prog, st in zip(problems, mappings, programs, result.stats)
    )
    report = reports[0] if len(reports) == 1 else combine(reports, name=name)
    return SimulationResult(report, reports, result.events, tuple(programs))


def simulate(
    einsum: Einsum,
    shapes: MappingABC[str, int],
    arch: Architecture,
    mapping: MappedEinsum,
    *,
    weights: Collection[str] | None = None,
    config: HardwareConfig = HardwareConfig(),
    trace: bool = True,
    max_cycles: int | None = None,
    validate: bool = True,
) -> SimulationResult:
    """Simulate one mapped Einsum cycle by cycle (every tile from and to DRAM).

    Parameters
    ----------
    einsum : dataflow.Einsum
    shapes : mapping of str to int
        Rank sizes.
    arch : accel.Architecture
    mapping : mapping.Mapping or mapping.MapResult
    weights : collection of str, optional
        Tensors that are weights (see :func:`mapping.build_problem`).
    config : HardwareConfig
        DMA channels and prefetch depth.
    trace : bool
        Record the timeline (off makes long runs faster).
    max_cycles : int, optional
        Watchdog limit on simulated time (default: 4x a fully serialized run).
    validate : bool
        Check the mapping against the architecture first (capacity, array size).

    Raises
    ------
    TypeError
        For an ``einsum``, ``arch`` or ``mapping`` of the wrong type.
    CapacityError
        If the mapping does not fit the architecture (a tile over a level's capacity).
    DeadlockError, WatchdogError
        If the run cannot finish; the message names the tile step and cycle.
    """
    _require(einsum, Einsum, "simulate: einsum")
    _require(arch, Architecture, "simulate: arch")
    m = _mapping_of(mapping, "mapping")
    problem = build_problem(einsum, shapes, arch, weights)
    if validate:
        _check(problem, m)
    _watch([problem], [m], max_cycles)
    program = lower(problem, m, dataflow=arch.pe_array.dataflow)
    return _finish(arch, [problem], [m], [program], [{}], problem.einsum, config, trace, max_cycles)


def _watch(problems: list[Problem], mappings: list[Mapping], max_cycles: int | None) -> None:
    """Refuse, before lowering, a run whose compute alone passes the watchdog (lowering it could fill memory)."""
    if max_cycles is None or isinstance(max_cycles, bool) or not isinstance(max_cycles, int) or max_cycles <= 0:
        return  # no watchdog, or a bad one (run_programs says so)
    floor = 0
    for problem, m in zip(problems, mappings):
        floor += cycle_floor(problem, m)
        if floor > max_cycles:
            raise WatchdogError(
                f"the run needs at least {floor:,} cycles (compute up to Einsum {problem.einsum!r}) but the watchdog "
                f"stops at {max_cycles:,}: not simulated (raise --max-cycles, or map it for fewer cycles)",
                cycle=0, tile=None,
            )


def simulate_cascade(
    cascade: Cascade,
    arch: Architecture,
    mappings: CascadeMappings,
    *,
    schedule: CascadeSchedule | None = None,
    problems: MappingABC[str, Problem] | None = None,
    config: HardwareConfig = HardwareConfig(),
    trace: bool = True,
    max_cycles: int | None = None,
    validate: bool = True,
) -> SimulationResult:
    """Simulate a cascade's Einsums back to back, following a COSMA schedule when given.

    Without a schedule every Einsum reads its inputs from DRAM and writes its
    output there, in cascade order; an Einsum waits for the Einsums producing
    its inputs (dependency wait).  With a schedule (``memory.Schedule`` and the
    ``memory.TensorGraph`` it was made for) the Einsums run in the schedule's
    order, tensors it keeps on chip are served by the scratchpad, each tensor
    it loads comes from DRAM once, and only what it stores (outputs and
    spills) is written to DRAM.  The schedule was checked against its scratchpad when the
    :class:`memory.CascadeSchedule` was made.

    Parameters
    ----------
    cascade : dataflow.Cascade
    arch : accel.Architecture
    mappings : mapping of str to Mapping, or sequence of Mapping / MapResult, or mapping.CascadeMapping
        One mapping per Einsum (by name, or in cascade order).
    schedule : memory.CascadeSchedule, optional
        The schedule with its graph (tensor sizes for spills), scratchpad and residency.
    problems : mapping of str to mapping.Problem, optional
        The Einsums' problems where already built (a ``CascadeMapping`` carries them); built here otherwise.
    config, trace, max_cycles, validate
        As :func:`simulate`.

    Raises
    ------
    TypeError
        For a ``cascade``, ``arch`` or mapping of the wrong type.
    ValueError
        For a missing mapping, a schedule without its graph, or a schedule that
        does not cover the cascade's Einsums.
    CapacityError
        If a mapping does not fit the architecture.
    DeadlockError, WatchdogError
        If the run cannot finish.
    """
    _require(cascade, Cascade, "simulate_cascade: cascade")
    _require(arch, Architecture, "simulate_cascade: arch")
    by_name, order = cascade_run("simulate_cascade", cascade, mappings, schedule)
    facts = {} if schedule is None else schedule.residency
    graph = None if schedule is None else schedule.graph
    weights = tuple(cascade.weights) or None
    given = problems if problems is not None else {}
    built = {n: given[n] if n in given else build_problem(cascade.einsum(n), cascade.shapes, arch, weights) for n in order}
    _watch([built[n] for n in order], [by_name[n] for n in order], max_cycles)
    problems, chosen, programs, producers = [], [], [], []
    made: dict[str, int] = {}
    for i, name in enumerate(order):
        problem = built[name]
        m = by_name[name]
        if validate:
            _check(problem, m)
        f = facts.get(name)
        if f is None:
            program = lower(problem, m, dataflow=arch.pe_array.dataflow)
        else:
            program = lower(problem, m, dataflow=arch.pe_array.dataflow, resident=f.resident, loaded=f.loaded,
                            stored=f.stored)
            if f.spills:
                last = program.steps[-1]
                spills = tuple(
                    Move(t, SPAD, DRAM, graph.tensor[t].size, "drain", bits=spill_bits(cascade, graph, t))
                    for t in f.spills
                )
                program = replace(program, steps=program.steps[:-1] + (replace(last, drains=last.drains + spills),))
        deps = {t.name: made[t.name] for t in problem.tensors if t.role != "output" and t.name in made}
        for out in program.outputs:
            made[out] = i
        for spilled in (f.spills if f is not None else ()):
            made[spilled] = i  # a later load of it waits until this Einsum's spill reached DRAM
        problems.append(problem)
        chosen.append(m)
        programs.append(program)
        producers.append(deps)
    return _finish(arch, problems, chosen, programs, producers, cascade.name, config, trace, max_cycles)

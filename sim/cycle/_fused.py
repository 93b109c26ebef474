"""A fused group run cycle by cycle: the units as concurrent SimPy processes over the group's tile steps.

Each Einsum of a :class:`mapping.FusionGroup` runs on its tile (:func:`mapping.depth_cascades`) once per
iteration of its enclosing shared loops. Its tile is first simulated alone by this package's engine (the tile
lowered under :func:`sim.tile_residency`: inputs on chip, output kept there), which gives the cycles of one
execution, folds, fill and drain, on-chip stalls and all. The group then runs as a discrete-event model:

* **Units as processes.** The 2-D array and the vector unit are each a SimPy process that executes its Einsums'
  tile executions in the loop nest's program order (a unit does one thing at a time; the two units run at once).
* **Producer/consumer waits.** An execution starts once the tiles it reads exist: the producer's execution of the
  same tile (same loop indices), or, for a tensor accumulated across an inner loop (1-pass attention's running
  sum), the producer's last execution of that loop.
* **Double-buffered tiles.** Every tile between two Einsums has two slots: a producer's execution ``n`` waits
  until the readers of execution ``n - 2`` are done. A streamed input has two slots too: its ``n``-th tile is
  loaded once the readers of tile ``n - 2`` are done, so loads run ahead of the units by one tile.
* **In place.** On a streaming array (fold pipelining) the tiles that stay in the PEs and the Einsums on them
  are priced by :func:`sim.in_place`, as the analytical model prices them; the array pays its fill once.
* **DRAM.** One bus, transfers in the order they are issued: each waits the DRAM latency (requests overlap it),
  then holds the bus for ``ceil(bytes / bandwidth)`` cycles. A group output's tile is written once it is final
  (after its producer's last execution over the loops that do not index it).

The analytical model (:func:`sim.analytical.evaluate_group`) prices the same group in closed form, the busiest
resource plus one tile step's fill; this model replays the actual overlap. Runs with many iterations of the
outermost shared loop are **fast-forwarded**: when the loop body's timing has become periodic (the last
simulated iterations take the same number of cycles, :data:`FAST_FORWARD` of them), the remaining iterations
repeat that period exactly (each is the same tile steps on the same units), and the report says so.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping as MappingABC, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import simpy

from mapping._fusion_facts import _tensor_ranks

from .._group import RESOURCES, group_report, in_place, scaled, tile_residency
from .._report import CascadeReport, Report
from ._errors import DeadlockError, WatchdogError
from ._hardware import HardwareConfig
from ._lower import lower
from ._trace import Trace, TraceEvent

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade
    from mapping import Mapping, Problem
    from mapping._fusion import GroupFacts

    from ._api import SimulationResult

__all__ = ["GroupRun", "simulate_group", "simulate_fused", "FAST_FORWARD"]

#: How many of a unit's pending executions (in program order) it looks at for one that may start.
_WINDOW: int = 32

#: Iterations of the outermost shared loop simulated before the rest may be fast-forwarded (the last two of
#: them must take the same number of cycles).
FAST_FORWARD: int = 4


@dataclass(frozen=True)
class GroupRun:
    """A fused group run cycle by cycle.

    Attributes
    ----------
    report : sim.Report
        The group as one report (named after the group).
    tiles : mapping of str to sim.Report
        Each Einsum's cycle-level report on one tile.
    busy : mapping of str to float
        Cycles each resource (``pe_array``, ``vector``, ``dram``) works in all.
    events : tuple of TraceEvent
        The timeline of the simulated iterations (one track per unit and the DRAM bus).
    simulated, iterations : int
        Iterations of the outermost shared loop simulated, and in all (more: the rest fast-forwarded).
    """

    report: Report
    tiles: MappingABC[str, Report]
    busy: MappingABC[str, float]
    events: tuple[TraceEvent, ...]
    simulated: int
    iterations: int


def _tile_report(arch: Architecture, problem: Problem, mapping: Mapping, config: HardwareConfig) -> Report:
    """One execution of an Einsum's tile, simulated alone with the group's residency."""
    from ._api import _finish  # the one place that turns a run into a report

    r = tile_residency(problem)
    program = lower(problem, mapping, dataflow=arch.pe_array.dataflow, resident=r.resident, loaded=r.loaded,
                    stored=r.stored)
    return _finish(arch, [problem], [mapping], [program], [{}], problem.einsum, config, False, None).report


def simulate_group(cascade: Cascade, arch: Architecture, facts: GroupFacts, problems: MappingABC[str, Problem],
                   mappings: MappingABC[str, Mapping], *, config: HardwareConfig = HardwareConfig(),
                   trace: bool = True, max_cycles: int | None = None) -> GroupRun:
    """Run one fused group cycle by cycle (see the module docstring).

    ``problems`` and ``mappings`` are each Einsum's on its tile (a :class:`mapping.search.FusedGroup`'s).

    Raises
    ------
    sim.cycle.CapacityError
        If a tile's mapping does not fit the architecture.
    sim.cycle.WatchdogError
        If the group runs past ``max_cycles``.
    """
    group = facts.group
    tiles = {n: _tile_report(arch, problems[n], mappings[n], config) for n in group.einsums}
    kept = in_place(cascade, arch, facts, problems, tiles)
    tiles.update(kept.reports)
    model = _Model(cascade, arch, facts, {n: problems[n].unit for n in group.einsums},
                   {n: max(1, math.ceil(tiles[n].total_cycles)) for n in group.einsums}, math.ceil(kept.fill))
    outer = facts.trips[0] if facts.trips else 1
    iterations = min(outer, FAST_FORWARD)
    while True:
        end, marks, events = model.run(iterations, trace, max_cycles)
        if iterations == outer:
            total = end
            break
        period = marks[-1] - marks[-2]
        if marks[-2] - marks[-3] == period:  # periodic: every further iteration repeats the last one
            total = end + (outer - iterations) * period
            break
        iterations = min(outer, 2 * iterations)
    if max_cycles is not None and total > max_cycles:
        raise WatchdogError(f"fused group {group.label} needs {total:,.0f} cycles, past the watchdog's {max_cycles:,}",
                            cycle=max_cycles, tile=group.label)
    return _result(arch, facts, tiles, mappings, model, total, events, iterations, outer)


class _Model:
    """The group's tile executions and transfers as SimPy processes (see the module docstring)."""

    def __init__(self, cascade: Cascade, arch: Architecture, facts: GroupFacts, units: MappingABC[str, str],
                 cycles: MappingABC[str, int], fill: int = 0) -> None:
        self.cascade, self.arch, self.facts, self.units, self.cycles = cascade, arch, facts, units, cycles
        self.fill = fill  # the array stream's fill, paid once (in-place tiles, see sim.in_place)
        group = facts.group
        self.order = group.einsums
        self.ranks = _tensor_ranks(cascade, self.order)
        self.produced = {cascade.einsum(e).output.tensor: e for e in self.order}
        self.output_of = {e: cascade.einsum(e).output.tensor for e in self.order}
        self.reads = {e: [a.tensor for a in cascade.einsum(e).inputs] for e in self.order}
        self.roles = {r.tensor: r for r in facts.tensors}
        self.reader_depth = {t: max(facts.depth[e] for e in self.order if t in self.reads[e])
                             for t, r in self.roles.items() if r.role == "input"}
        self.bandwidth, self.latency = float(arch.dram.bandwidth), int(arch.dram.latency)

    # -- the loop nest ------------------------------------------------------------------------------------------
    def inner(self, tensor: str) -> int:
        """The innermost shared loop (index) whose advance brings a new tile of a streamed input (-1: loaded once)."""
        ranks = self.facts.group.ranks
        return max((i for i in range(self.reader_depth[tensor]) if ranks[i] in self.ranks[tensor]), default=-1)

    def producer_index(self, tensor: str, index: tuple[int, ...]) -> tuple[int, ...]:
        dp = self.facts.depth[self.produced[tensor]]
        if dp <= len(index):
            return index[:dp]
        return index + tuple(self.facts.trips[i] - 1 for i in range(len(index), dp))  # accumulated over inner loops

    def final(self, tensor: str, index: tuple[int, ...]) -> bool:
        """Whether an execution at ``index`` leaves ``tensor``'s tile final: every shared loop around it that does
        not index the tensor is at its last trip."""
        ranks, trips = self.facts.group.ranks, self.facts.trips
        return all(index[i] == trips[i] - 1 for i in range(len(index)) if ranks[i] not in self.ranks[tensor])

    def writes(self, tensor: str) -> int:
        """How many times a group output's tile is written to DRAM in the whole run."""
        producer = self.produced[tensor]
        ranks, trips = self.facts.group.ranks, self.facts.trips
        kept = math.prod(trips[i] for i in range(self.facts.depth[producer]) if ranks[i] not in self.ranks[tensor])
        return max(1, self.facts.executions[producer] // kept)

    def burst(self, nbytes: int) -> int:
        return max(1, math.ceil(nbytes / self.bandwidth))

    def load_bytes(self, tensor: str) -> int:
        role = self.roles[tensor]
        return role.tile_bytes if self.inner(tensor) >= 0 else role.dram_read_bytes

    def busy(self) -> dict[str, float]:
        """Cycles each resource works over the whole run."""
        out = {u: 0.0 for u in RESOURCES}
        for e in self.order:
            out[self.units[e]] += self.facts.executions[e] * self.cycles[e]
        for t in self.reader_depth:
            i = self.inner(t)
            loads = math.prod(self.facts.trips[: i + 1]) if i >= 0 else 1
            out["dram"] += loads * self.burst(self.load_bytes(t))
        for t, role in self.roles.items():
            if role.role == "output":
                n = self.writes(t)
                out["dram"] += n * self.burst(math.ceil(role.dram_write_bytes / n))
        return out

    def program(self, iterations: int) -> list[tuple[str, tuple[int, ...]]]:
        """The tile executions in program order, for the first ``iterations`` of the outermost shared loop."""
        trips, depth, order = self.facts.trips, self.facts.depth, self.order
        out: list[tuple[str, tuple[int, ...]]] = []

        def body(level: int, prefix: tuple[int, ...]) -> None:
            here = [e for e in order if depth[e] == level]
            deeper = [e for e in order if depth[e] > level]
            first = order.index(deeper[0]) if deeper else len(order)
            out.extend((e, prefix) for e in here if order.index(e) < first)
            if deeper:
                for i in range(iterations if level == 0 else trips[level]):
                    body(level + 1, prefix + (i,))
            out.extend((e, prefix) for e in here if order.index(e) > first)

        body(0, ())
        return out

    # -- the run -------------------------------------------------------------------------------------------------
    def run(self, iterations: int, trace: bool, max_cycles: int | None) -> tuple[float, list[float], tuple[TraceEvent, ...]]:
        """Simulate the first ``iterations`` of the outermost loop: (end cycle, the cycle each iteration's last
        execution ends, the timeline)."""
        tasks = self.program(iterations)
        env = simpy.Environment()
        log = Trace(trace)
        done = {task: env.event() for task in tasks}
        readers: dict[tuple[str, tuple[int, ...]], list[simpy.Event]] = {}
        loads: dict[str, list[tuple[int, ...]]] = {}
        load_readers: dict[tuple[str, tuple[int, ...]], list[simpy.Event]] = {}
        for task in tasks:
            e, index = task
            for t in self.reads[e]:
                if t == self.output_of[e]:
                    continue  # its own running state: the unit's order already serializes it
                if t in self.produced:
                    readers.setdefault((t, self.producer_index(t, index)), []).append(done[task])
                elif t in self.reader_depth:
                    key = index[: self.inner(t) + 1]
                    seq = loads.setdefault(t, [])
                    if not seq or seq[-1] != key:
                        seq.append(key)
                    load_readers.setdefault((t, key), []).append(done[task])
        ready = {(t, k): env.event() for t, keys in loads.items() for k in keys}
        bus = simpy.Resource(env, capacity=1)

        def transfer(name: str, nbytes: int, after: list[simpy.Event], then: simpy.Event | None):
            if after:
                yield simpy.AllOf(env, after)
            yield env.timeout(self.latency)
            with bus.request() as req:
                yield req
                start, burst = env.now, self.burst(nbytes)
                yield env.timeout(burst)
                log.add(name, "dma", "dram.bus", start, burst, bytes=nbytes)
            if then is not None:
                then.succeed()

        def loader(tensor: str) -> None:
            seq, nbytes = loads[tensor], self.load_bytes(tensor)
            for n, key in enumerate(seq):  # two slots: tile n once the readers of tile n - 2 are done
                after = load_readers[(tensor, seq[n - 2])] if n >= 2 else []
                env.process(transfer(f"load {tensor}", nbytes, after, ready[(tensor, key)]))

        # what each execution waits for: the tiles it reads, its own previous execution (running state, and
        # an Einsum's executions stay in order) and a free slot for its output tile (the readers of its
        # execution before last)
        needs: dict[tuple[str, tuple[int, ...]], list[simpy.Event]] = {}
        history: dict[str, list[tuple[int, ...]]] = {}
        for task in tasks:
            e, index = task
            out = self.output_of[e]
            wait = []
            for t in self.reads[e]:
                if t == out:
                    continue
                if t in self.produced:
                    wait.append(done[(self.produced[t], self.producer_index(t, index))])
                elif t in self.reader_depth:
                    wait.append(ready[(t, index[: self.inner(t) + 1])])
            before = history.setdefault(e, [])
            if before:
                wait.append(done[(e, before[-1])])
            if len(before) >= 2:
                wait.extend(readers.get((out, before[-2]), []))
            before.append(index)
            needs[task] = wait

        def worker(unit: str, mine: list[tuple[str, tuple[int, ...]]]):
            """Run the unit's executions, each as soon as it may start, the earliest in program order first (a
            later tile's work goes ahead of an earlier tile's that still waits: software pipelining)."""
            pending = list(mine)
            fill = self.fill if unit == "pe_array" else 0  # the stream's fill, before its first execution's work
            while pending:
                window = pending[:_WINDOW]
                task = next((t for t in window if all(ev.triggered for ev in needs[t])), None)
                if task is None:
                    stalled = env.now
                    yield simpy.AnyOf(env, [ev for t in window for ev in needs[t] if not ev.triggered])
                    log.add("wait", "stall", unit, stalled, env.now - stalled)
                    continue
                pending.remove(task)
                e, index = task
                if fill:
                    log.add("fill", "fill", unit, env.now, fill)
                    yield env.timeout(fill)
                    fill = 0
                start = env.now
                yield env.timeout(self.cycles[e])
                log.add(e, "compute", unit, start, self.cycles[e], tile=",".join(map(str, index)))
                done[task].succeed()
                out = self.output_of[e]
                role = self.roles.get(out)
                if role is not None and role.role == "output" and self.final(out, index):
                    n = self.writes(out)
                    env.process(transfer(f"store {out}", math.ceil(role.dram_write_bytes / n), [], None))

        for unit in ("pe_array", "vector"):
            env.process(worker(unit, [t for t in tasks if self.units[t[0]] == unit]))
        for t in loads:
            loader(t)
        marks: list[float] = []
        last: dict[int, tuple[str, tuple[int, ...]]] = {}
        for task in tasks:
            if task[1]:
                last[task[1][0]] = task
        for i in sorted(last):
            done[last[i]].callbacks.append(lambda _e: marks.append(env.now))
        while env.peek() != math.inf:
            if max_cycles is not None and env.peek() > max_cycles:
                raise WatchdogError(f"fused group {self.facts.group.label} runs past the watchdog's {max_cycles:,} "
                                    "cycles", cycle=max_cycles, tile=self.facts.group.label)
            env.step()
        unfinished = [t for t in tasks if not done[t].triggered]
        if unfinished:
            e, index = unfinished[0]
            raise DeadlockError(f"fused group {self.facts.group.label}: {e!r} at tile {index} never started "
                                f"(cycle {env.now:,.0f})", cycle=int(env.now), tile=f"{e} {index}")
        return float(env.now), marks, tuple(log.events)


def _result(arch: Architecture, facts: GroupFacts, tiles: MappingABC[str, Report], mappings: MappingABC[str, Mapping],
            model: _Model, total: float, events: tuple[TraceEvent, ...], simulated: int, iterations: int) -> GroupRun:
    group = facts.group
    parts = {n: scaled(tiles[n], facts.executions[n]) for n in group.einsums}
    busy = model.busy()
    bottleneck = max(RESOURCES, key=lambda u: (busy[u], -RESOURCES.index(u)))
    causes: dict[str, float] = {}
    if bottleneck == "dram":
        causes["bandwidth_stall.dram"] = busy["dram"]
    else:
        for n in group.einsums:
            if model.units[n] == bottleneck:
                for c, v in parts[n].cycles_by_cause:
                    causes[c] = causes.get(c, 0.0) + v
    causes["dependency_wait"] = causes.get("dependency_wait", 0.0) + max(0.0, total - sum(causes.values()))
    ff = "" if simulated == iterations else f"; {iterations - simulated} of {iterations} outer iterations fast-forwarded"
    report = group_report(
        arch, facts, parts, mappings, simulator="cycle", total=total, causes=causes,
        provenance=(("model", f"cycle-level, fused group: units as concurrent processes{ff}"),
                    ("group", f"{group.label} over {', '.join(f'{r}/{t}' for r, t in zip(group.ranks, group.tiles))}"),
                    ("bottleneck", bottleneck), ("dram bytes", f"{facts.dram_bytes}"),
                    ("footprint bytes", f"{facts.footprint_bytes}")),
    )
    return GroupRun(report, dict(tiles), busy, events, simulated, iterations)


def simulate_fused(cascade: Cascade, arch: Architecture,
                   groups: Sequence[tuple[GroupFacts, MappingABC[str, Problem], MappingABC[str, Mapping]]],
                   problems: MappingABC[str, Problem], *, config: HardwareConfig = HardwareConfig(),
                   trace: bool = True, max_cycles: int | None = None) -> SimulationResult:
    """A fused plan's groups run one after another: each fused group by :func:`simulate_group`, each group of one
    Einsum alone with every tensor through DRAM (as the plan prices it). ``groups`` are ``(facts, tile problems,
    mappings)`` per group in plan order (a :class:`mapping.search.FusedGroup`'s); ``problems`` the Einsums' whole
    problems, for the groups of one. The result has one report per group and the groups' timelines end to end.
    """
    from ._api import SimulationResult, _check, _finish

    reports: list[Report] = []
    events: list[TraceEvent] = []
    start = 0
    for facts, tile_problems, mappings in groups:
        left = None if max_cycles is None else max(1, max_cycles - start)
        if facts.group.fused:
            run = simulate_group(cascade, arch, facts, tile_problems, mappings, config=config, trace=trace,
                                 max_cycles=left)
            report, mine = run.report, run.events
        else:
            (name,) = facts.group.einsums
            problem, m = problems[name], mappings[name]
            _check(problem, m)
            program = lower(problem, m, dataflow=arch.pe_array.dataflow)
            one = _finish(arch, [problem], [m], [program], [{}], name, config, trace, left)
            report, mine = one.report, one.events
        events.extend(dataclasses.replace(ev, start=ev.start + start) for ev in mine)
        start += math.ceil(report.total_cycles)
        reports.append(report)
    total = CascadeReport.of_parts(reports, name=cascade.name)
    return SimulationResult(total.total, tuple(reports), tuple(events), ())

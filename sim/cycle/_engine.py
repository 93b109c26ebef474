"""The controller: runs Einsum programs on the simulated hardware with SimPy.

Three kinds of processes follow the programs' tile steps, in order:

* the **loader** takes each step's tiles from their levels' capacity and
  starts its fills (one chain per tensor, outer levels first); with
  ``prefetch_depth = 1`` it works on step ``g`` as soon as the PE array has
  begun step ``g - 1`` (double buffering), so loads overlap compute.  A fill
  of a tensor an earlier Einsum produces first waits for that Einsum to
  finish (a dependency);
* the **PE array** waits for a step's fills, takes the ports it streams
  through and runs the step's folds in one burst;
* a **drainer** per step writes evicted partial sums and outputs out and
  returns the tiles' space.

Every PE-array cycle is charged to one cause: compute (steady state), fill
and drain of the systolic pipeline, bandwidth stall (waiting for data, for a
port, or a step stretched by too little bandwidth) or dependency wait.

SimPy resolves simultaneous events by ``(time, priority, insertion order)``
and every process here is created in program order, so runs are repeatable to
the cycle.  A watchdog bounds simulated time; an empty event queue before the
end is a deadlock, reported with what every process waits for.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence

import simpy

from ._hardware import Hardware, HardwareConfig
from ._program import DRAM, EinsumProgram, Move, TileStep
from ._trace import Trace, TraceEvent

__all__ = ["Controller", "EinsumStats", "EngineResult", "CAUSES"]

#: Cycle causes; bandwidth stalls are charged per place (``'bandwidth_stall.dram'``, ``'bandwidth_stall.<level>'``).
CAUSES = ("compute", "fill_drain", "bandwidth_stall", "dependency_wait")


@dataclass
class EinsumStats:
    """What the PE array did for one Einsum, and the bytes moved."""

    einsum: str
    start: int = 0
    end: int = 0
    cycles: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("compute", "fill_drain", "dependency_wait"), 0))

    def stall(self, place: str, cycles: int) -> None:
        """Charge ``cycles`` of bandwidth stall to ``place`` (a level, ``'dram'`` or ``'spad'``)."""
        if cycles:
            key = f"bandwidth_stall.{place}"
            self.cycles[key] = self.cycles.get(key, 0) + cycles
    #: (place, tensor, kind) -> bytes; kind: 'fill' (into place), 'drain' (out of place),
    #: 'read' (array or an inner level reads place), 'write' (array or an inner level writes place).
    traffic: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    #: Same keys, in elements, for moves whose width differs from the Einsum's (spills).
    elements: dict[tuple[str, str, str], float] = field(default_factory=lambda: defaultdict(float))
    #: Bits moved by those moves (their energy).
    bits: dict[tuple[str, str, str], float] = field(default_factory=lambda: defaultdict(float))


@dataclass(frozen=True)
class EngineResult:
    """Total cycles, per-Einsum statistics and the timeline."""

    cycles: int
    stats: tuple[EinsumStats, ...]
    events: tuple[TraceEvent, ...]


class Controller:
    """The loader, PE-array and drainer processes of one run, with the events that link them."""

    def __init__(self, arch: Any, programs: Sequence[EinsumProgram], producers: Sequence[dict[str, int]],
                 config: HardwareConfig, trace: Trace) -> None:
        self.env = simpy.Environment()
        self.hw = Hardware(self.env, arch, config)
        self.programs = programs
        self.producers = producers
        self.config = config
        self.trace = trace
        self.steps: list[tuple[int, TileStep]] = [(p, s) for p, prog in enumerate(programs) for s in prog.steps]
        self.stats = [EinsumStats(prog.einsum) for prog in programs]
        n = len(self.steps)
        env = self.env
        self.begun = [env.event() for _ in range(n)]
        self.computed = [env.event() for _ in range(n)]
        self.fills_done: list[Any] = [None] * n
        self.issued = [env.event() for _ in range(n)]
        self.dep_ready: list[int | None] = [None] * n
        self.drained = [env.event() for _ in range(n)]
        self.done = [env.event() for _ in programs]
        self.last_drain: dict[str, Any] = {}
        self.fill_place: dict[int, str] = {}  # per step, where its last fill came through
        self.drain_place = DRAM  # where the latest drain went through
        self.waiting: dict[str, str] = {}
        self.finished = False

    # ------------------------------------------------------------------ moves
    def move(self, p: int, g: int, m: Move):
        env, hw = self.env, self.hw
        step = self.steps[g][1]
        who = f"{m.kind} {m.tensor} {m.src}->{m.dst} ({step.label})"
        traffic = self.stats[p].traffic
        start = env.now
        ports = []
        channel = None
        if m.src in hw.levels:
            ports.append(hw.levels[m.src].port(m.tensor, write=False))
        if m.dst in hw.levels:
            ports.append(hw.levels[m.dst].port(m.tensor, write=True))
        burst = max([hw.levels[x].cycles(m.nbytes, x == m.dst, m.tensor) for x in (m.src, m.dst) if x in hw.levels] or [0])
        latency = hw.levels[m.src].latency if m.src in hw.levels else 0
        if DRAM in (m.src, m.dst):
            req = hw.dma.request()
            self.waiting[who] = "a free DMA channel"
            yield req
            channel = hw.take_channel()
            start = env.now
            latency = hw.dram_latency if m.src == DRAM else latency
            ports.append(((0, 0, 0), hw.bus, "dram.bus"))
            burst = max(burst, hw.dram_cycles(m.nbytes))
        if latency:
            self.waiting[who] = "latency"
            yield env.timeout(latency)
        held = []
        for key, res, track in sorted(ports, key=lambda x: x[0]):
            r = res.request()
            self.waiting[who] = f"port {track}"
            yield r
            held.append((res, r, track))
        t0 = env.now
        self.waiting.pop(who, None)
        if burst:
            yield env.timeout(burst)
        for res, r, track in held:
            self.trace.add(f"{m.kind} {m.tensor}", "port", track, t0, burst, tile=step.label, bytes=m.nbytes)
            res.release(r)
        if channel is not None:
            self.trace.add(f"{m.kind} {m.tensor}", "dma", f"dma{channel}", start, env.now - start,
                           tile=step.label, bytes=m.nbytes, src=m.src, dst=m.dst)
            hw.give_channel(channel)
            hw.dma.release(req)
        place = DRAM if DRAM in (m.src, m.dst) else (m.src if m.src in hw.levels else m.dst)
        if m.kind == "fill":
            self.fill_place[g] = place
        else:
            self.drain_place = place
        keys = ((m.src, m.tensor, "drain" if m.kind == "drain" else "read"), (m.dst, m.tensor, "fill" if m.kind == "fill" else "write"))
        for key in keys:
            if m.bits:
                self.stats[p].elements[key] += m.nbytes * 8 / m.bits
                self.stats[p].bits[key] += m.nbytes * 8
            else:
                traffic[key] += m.nbytes

    def chain(self, p: int, g: int, moves: list[Move], after: Any = None):
        if after is not None and not after.triggered:
            yield after
        for m in moves:
            yield from self.move(p, g, m)

    @staticmethod
    def _by_tensor(moves: tuple[Move, ...]) -> dict[str, list[Move]]:
        groups: dict[str, list[Move]] = {}
        for m in moves:
            groups.setdefault(m.tensor, []).append(m)
        return groups

    # ------------------------------------------------------------------ loader
    def loader(self):
        env, hw, depth = self.env, self.hw, self.config.prefetch_depth
        for g, (p, step) in enumerate(self.steps):
            prev = g - depth
            if depth == 0 and g > 0:
                self.waiting["loader"] = f"PE array to finish {self.steps[g - 1][1].label}"
                yield self.computed[g - 1]
            elif depth > 0 and prev >= 0:
                self.waiting["loader"] = f"PE array to begin {self.steps[prev][1].label}"
                yield self.begun[prev]
            producers = self.producers[p]
            deps = {self.producers[p][m.tensor] for m in step.fills if m.tensor in producers}
            if step.index == 0:
                deps |= set(producers.values())
            waits = [self.done[q] for q in sorted(deps) if not self.done[q].triggered]
            if waits:
                self.waiting["loader"] = f"{', '.join(self.programs[q].einsum for q in sorted(deps))} to finish ({step.label})"
                yield env.all_of(waits)
                self.dep_ready[g] = env.now
            for a in step.allocs:
                lvl = hw.levels.get(a.level)
                if lvl is None:
                    continue
                lvl.note_tile(a.tensor, a.nbytes)
                self.waiting["loader"] = (
                    f"{a.nbytes} bytes of {a.level!r} for a tile of {a.tensor!r} ({step.label}); "
                    f"{lvl.space.level} of {lvl.capacity} free"
                )
                yield lvl.space.get(a.nbytes)
            self.waiting.pop("loader", None)
            chains = []
            for tensor, moves in self._by_tensor(step.fills).items():
                after = self.last_drain.get(tensor) if self.programs[p].outputs.count(tensor) else None
                chains.append(env.process(self.chain(p, g, moves, after)))
            self.fills_done[g] = env.all_of(chains)
            self.issued[g].succeed()

    # ------------------------------------------------------------------ PE array
    def array(self):
        env, hw = self.env, self.hw
        for g, (p, step) in enumerate(self.steps):
            prog, stats = self.programs[p], self.stats[p]
            if step.index == 0:
                stats.start = env.now
            t0 = env.now
            if not self.issued[g].triggered:
                self.waiting["pe_array"] = f"the loader to start {step.label}"
                yield self.issued[g]
            self.waiting["pe_array"] = f"fills of {step.label}"
            yield self.fills_done[g]
            t1 = env.now
            dep = 0
            if self.dep_ready[g] is not None:
                dep = max(0, min(self.dep_ready[g], t1) - t0)
            stats.cycles["dependency_wait"] += dep
            stats.stall(self.fill_place.get(g, DRAM), (t1 - t0) - dep)
            if t1 > t0:
                self.trace.add("wait", "stall", "controller", t0, t1 - t0, tile=step.label, dependency=dep)
            self.begun[g].succeed()
            needs: dict[tuple, list] = {}
            for accesses, write in ((step.reads, False), (step.writes, True)):
                for place, tensor, nbytes in accesses:
                    if place == DRAM:
                        key, res, track = (0, 0, 0), hw.bus, "dram.bus"
                        cyc = hw.dram_cycles(nbytes)
                    else:
                        lvl = hw.levels[place]
                        key, res, track = lvl.port(tensor, write)
                        cyc = 0
                    entry = needs.setdefault(key, [res, track, 0, 0])
                    entry[2] += nbytes
                    entry[3] += cyc if place == DRAM else nbytes / hw.levels[place].rate(write, tensor)
                    stats.traffic[(place, tensor, "write" if write else "read")] += nbytes
            held = []
            for key in sorted(needs):
                res, track, _, _ = needs[key]
                r = res.request()
                self.waiting["pe_array"] = f"port {track} ({step.label})"
                before = env.now
                yield r
                stats.stall(track.split(".")[0], env.now - before)
                held.append((res, r, track))
            t2 = env.now
            self.waiting.pop("pe_array", None)
            timing = prog.timing
            base = timing.run(step.folds, first=step.index == 0, last=step.index == len(prog.steps) - 1)
            steady = step.folds * timing.steady
            for v in needs.values():
                v[3] = math.ceil(v[3])
            busy = max([0] + [v[3] for v in needs.values()])
            duration = max(base, busy)
            # The streams occupy their ports for the cycles their bytes need (a burst at the
            # step's start); the rest of the step leaves the ports to DMA traffic.
            self.waiting["pe_array"] = f"its {step.folds} fold(s) of {step.label} to end at cycle {t2 + duration}"
            if busy:
                yield env.timeout(busy)
            for res, r, track in held:
                self.trace.add("stream", "port", track, t2, busy, tile=step.label)
                res.release(r)
            if duration > busy:
                yield env.timeout(duration - busy)
            stats.cycles["compute"] += steady
            stats.cycles["fill_drain"] += base - steady
            if duration > base:
                slowest = max(needs.values(), key=lambda v: v[3])
                stats.stall(slowest[1].split(".")[0], duration - base)
            self.trace.add(step.label.split(" [")[0], "compute", "pe_array", t2, duration, tile=step.label,
                           folds=step.folds, steady=steady, overhead=base - steady, stretch=duration - base)
            self.waiting.pop("pe_array", None)
            self.computed[g].succeed()
            stats.end = env.now
            env.process(self.drainer(g))
        self.waiting["pe_array"] = "the last drains"
        yield env.all_of(self.done)
        self.waiting.pop("pe_array", None)
        last = self.stats[-1]
        last.stall(self.drain_place, env.now - last.end)
        last.end = env.now
        self.finished = True

    def drainer(self, g: int):
        env, hw = self.env, self.hw
        p, step = self.steps[g]
        chains = []
        for tensor, moves in self._by_tensor(step.drains).items():
            proc = env.process(self.chain(p, g, moves, self.last_drain.get(tensor)))
            self.last_drain[tensor] = proc
            chains.append(proc)
        if chains:
            yield env.all_of(chains)
        for a in step.frees:
            lvl = hw.levels.get(a.level)
            if lvl is not None:
                yield lvl.space.put(a.nbytes)
        self.drained[g].succeed()
        prog = self.programs[p]
        if step.index == len(prog.steps) - 1:
            first = g - step.index
            rest = [self.drained[i] for i in range(first, g) if not self.drained[i].triggered]
            if rest:
                yield env.all_of(rest)
            self.done[p].succeed()

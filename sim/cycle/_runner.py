"""Run Einsum programs to the end: a capacity check first, then the event loop under a watchdog.

The loop steps SimPy one event at a time: when the next event lies beyond
the watchdog's limit on simulated time the run stops with a
:class:`WatchdogError`; when no event is left but the PE array has not
finished, every process is waiting on another and the run stops with a
:class:`DeadlockError`.  Both name the first unfinished tile step, the cycle
and what each process waits for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ._engine import EngineResult, Controller
from ._errors import CapacityError, DeadlockError, WatchdogError
from ._hardware import HardwareConfig
from ._program import EinsumProgram
from ._trace import Trace

if TYPE_CHECKING:
    from accel.arch import Architecture

__all__ = ["run_programs"]


def _bound(hw_arch: Any, programs: Sequence[EinsumProgram]) -> int:
    """Cycles of the whole program with nothing overlapped (every move and step serialized)."""
    dram_bw = float(hw_arch.dram.bandwidth)
    slowest = min([dram_bw] + [min(lv.read_bandwidth, lv.write_bandwidth) / lv.banks for lv in hw_arch.levels])
    latency = hw_arch.dram.latency + max([lv.latency for lv in hw_arch.levels] or [0])
    total = 0
    for prog in programs:
        for s in prog.steps:
            streamed = sum(n for _, _, n in s.reads) + sum(n for _, _, n in s.writes)
            total += s.folds * prog.timing.total + int(streamed / slowest) + 1
            for m in s.fills + s.drains:
                total += latency + int(m.nbytes / slowest) + 1
    return total


def run_programs(
    arch: Architecture,
    programs: Sequence[EinsumProgram],
    producers: Sequence[dict[str, int]] | None = None,
    *,
    config: HardwareConfig = HardwareConfig(),
    trace: bool = True,
    max_cycles: int | None = None,
    watchdog_factor: float = 4.0,
) -> EngineResult:
    """Simulate ``programs`` back to back on ``arch``.

    Parameters
    ----------
    arch : accel.Architecture
    programs : sequence of EinsumProgram
        In execution order.
    producers : sequence of dict, optional
        Per program, tensor name -> index of the earlier program producing it.
    config : HardwareConfig
    trace : bool
        Record the timeline.
    max_cycles : int, optional
        Watchdog limit on simulated time; by default ``watchdog_factor`` times
        the cycles of a fully serialized run.
    watchdog_factor : float

    Raises
    ------
    ValueError
        For a ``max_cycles`` that is not a positive integer or a ``watchdog_factor`` below 1.
    CapacityError
        If a tile is larger than the level that must hold it.
    DeadlockError
        If the processes wait on each other with no event left.
    WatchdogError
        If simulated time passes the limit.
    """
    if max_cycles is not None and (isinstance(max_cycles, bool) or not isinstance(max_cycles, int) or max_cycles < 1):
        raise ValueError(f"run_programs: max_cycles must be a positive integer, not {max_cycles!r}")
    if not watchdog_factor >= 1:
        raise ValueError(f"run_programs: watchdog_factor must be >= 1, not {watchdog_factor!r}")
    producers = list(producers) if producers is not None else [{} for _ in programs]
    levels = {lvl.name: lvl for lvl in arch.levels}
    for prog in programs:
        for step in prog.steps:
            for a in step.allocs:
                lvl = levels.get(a.level)
                if lvl is not None and a.nbytes > lvl.capacity:
                    raise CapacityError(
                        f"tile of {a.tensor!r} for {step.label} needs {a.nbytes} bytes of level {a.level!r}, "
                        f"which holds {lvl.capacity}: the mapping does not fit the architecture",
                        cycle=0, tile=step.label,
                    )
    run = Controller(arch, programs, producers, config, Trace(trace))
    limit = int(max_cycles) if max_cycles is not None else int(watchdog_factor * _bound(arch, programs)) + 1000
    env = run.env
    env.process(run.loader())
    finished = env.process(run.array())
    peek, step = env.peek, env.step
    while not finished.triggered:
        when = peek()
        if when > limit:
            stuck = "; ".join(f"{who} waits for {what}" for who, what in sorted(run.waiting.items())) or "nothing recorded"
            tile = next((s.label for g, (p, s) in enumerate(run.steps) if not run.computed[g].triggered), None)
            if when == float("inf"):
                raise DeadlockError(f"deadlock at cycle {env.now} at {tile}: {stuck}", cycle=int(env.now), tile=tile)
            raise WatchdogError(
                f"watchdog: the simulation passed {limit} cycles without finishing; stuck at {tile} "
                f"(cycle {env.now}): {stuck}",
                cycle=int(env.now), tile=tile,
            )
        step()
    return EngineResult(cycles=int(env.now), stats=tuple(run.stats), events=tuple(run.trace.events))

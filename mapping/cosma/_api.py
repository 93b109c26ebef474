"""Public entry points: the whole-program ILP, divide-and-conquer, and a dispatcher."""

from __future__ import annotations

import time

from memory import (
    InfeasibleScheduleError,
    Schedule,
    ScheduleError,
    ScheduleResult,
    Scratchpad,
    TensorGraph,
    check_schedule,
    require_fits,
    schedule_greedy,
    traffic_lower_bound,
)

from ._engine import run_windows
from ._solve import SOLVERS
from ._window import Quantum

METHODS = ("ilp", "divide", "greedy-lru", "greedy-belady")
MAX_ILP_OPERATORS = 40


def _check_common(solver: str, time_limit: float, threads: int) -> None:
    if solver not in SOLVERS:
        raise ScheduleError(f"solver must be one of {SOLVERS}, not {solver!r}")
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not time_limit > 0:
        raise ScheduleError(f"time limit must be a positive number of seconds, not {time_limit!r}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads <= 0:
        raise ScheduleError(f"threads must be a positive integer, not {threads!r}")


def schedule_ilp(
    graph: TensorGraph,
    scratchpad: Scratchpad,
    solver: str = "cbc",
    time_limit: float = 60.0,
    threads: int = 1,
    max_operators: int = MAX_ILP_OPERATORS,
) -> ScheduleResult:
    """Optimal operator order, allocation and replacement by one ILP (COSMA).

    The solver starts from the greedy Belady schedule.  On a time-out the best
    incumbent is returned with its gap; if the solver has none, or its
    incumbent moves more bytes than the greedy schedule, the greedy schedule is
    returned and ``source`` says so.  Either way the schedule is replayed by
    :func:`memory.check_schedule`.

    The model gives each tensor at most two addresses (a tensor that leaves
    the scratchpad may come back at a new one; later returns reuse one of the
    two) and places tensors on a grid of a power-of-two multiple of the
    alignment with at least 65,536 positions; ``status == "optimal"`` is
    optimality within that model.  ``bound`` is the larger of the solver's
    bound and :func:`memory.traffic_lower_bound`.

    Parameters
    ----------
    graph, scratchpad:
        The problem.
    solver:
        ``"cbc"`` or ``"highs"``.
    time_limit:
        Seconds for the solver.
    threads:
        Solver threads.
    max_operators:
        Refuse larger graphs (use :func:`schedule_divide`).

    Raises
    ------
    ValueError
        On an unknown solver, a non-positive time limit or thread count, or a
        graph with more than ``max_operators`` operators.
    InfeasibleScheduleError
        If a tensor or an operator's working set does not fit, or no schedule exists.
    """
    _check_common(solver, time_limit, threads)
    if len(graph.operators) > max_operators:
        raise ScheduleError(
            f"the graph has {len(graph.operators)} operators, more than the {max_operators} one ILP "
            f"handles; use method 'divide'"
        )
    return _windowed(graph, scratchpad, "ilp", len(graph.operators), 0, solver, time_limit, threads, 0.0)


def schedule_divide(
    graph: TensorGraph,
    scratchpad: Scratchpad,
    window: int = 6,
    lookahead: int = 4,
    solver: str = "cbc",
    time_limit: float = 60.0,
    threads: int = 1,
    end_penalty: float = 1.0,
) -> ScheduleResult:
    """COSMA's divide-and-conquer heuristic for graphs too large for one ILP.

    The program is scheduled by a rolling horizon: each round the ILP solves
    the next ``window + lookahead`` operators of the topological order (it may
    reorder them) from the state the committed steps left (resident tensors
    keep their addresses, spilled ones can be reloaded), and the first
    ``window`` steps of its answer are committed.  A round pays ``end_penalty``
    times the size of each tensor it leaves in DRAM that a later operator reads.
    ``time_limit`` is shared by all rounds.

    Parameters
    ----------
    graph, scratchpad:
        The problem.
    window:
        Operators committed per round.
    lookahead:
        Further operators each round's ILP sees but does not commit.
    solver, time_limit, threads:
        As for :func:`schedule_ilp`.
    end_penalty:
        Weight of the look-ahead penalty (non-negative).

    Raises
    ------
    ValueError
        On a window smaller than 1, a negative lookahead or penalty, or bad solver settings.
    InfeasibleScheduleError
        If a tensor or an operator's working set does not fit, or no schedule exists.
    """
    _check_common(solver, time_limit, threads)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ScheduleError(f"window must be a positive number of operators, not {window!r}")
    if not end_penalty >= 0:
        raise ScheduleError(f"end_penalty must be non-negative, not {end_penalty!r}")
    if isinstance(lookahead, bool) or not isinstance(lookahead, int) or lookahead < 0:
        raise ScheduleError(f"lookahead must be a non-negative number of operators, not {lookahead!r}")
    return _windowed(graph, scratchpad, "divide", window, lookahead, solver, time_limit, threads, end_penalty)


def _windowed(
    graph: TensorGraph,
    scratchpad: Scratchpad,
    method: str,
    window: int,
    lookahead: int,
    solver: str,
    time_limit: float,
    threads: int,
    end_penalty: float,
) -> ScheduleResult:
    began = time.perf_counter()
    require_fits(graph, scratchpad)
    steps, reports = run_windows(graph, scratchpad, window, lookahead, solver, time_limit, threads, end_penalty)
    notes: list[str] = []
    schedule = Schedule(steps)
    try:
        traffic = check_schedule(graph, scratchpad, schedule)
        source = method if any(r.chosen == "ilp" for r in reports) else "greedy-belady"
    except ScheduleError as exc:  # a solver-side inconsistency: never return an unchecked schedule
        notes.append(f"the solver's schedule failed the checker ({exc}); returning the greedy schedule")
        traffic, schedule, source = None, None, "greedy-belady"
    try:
        greedy = schedule_greedy(graph, scratchpad, "belady")
    except InfeasibleScheduleError:
        if traffic is None:
            raise
        greedy = None
    if greedy is not None and (traffic is None or greedy.traffic.total < traffic.total):
        if traffic is not None:
            notes.append("the greedy Belady schedule moves fewer bytes than the solver's; returning it")
        schedule, traffic, source = greedy.schedule, greedy.traffic, "greedy-belady"
    unit = Quantum.for_scratchpad(scratchpad).unit
    if unit > scratchpad.alignment:
        notes.append(f"the ILP placed tensors on a {unit}-byte address grid (sizes rounded up to it)")
    outputs = sum(t.size for t in graph.tensors if t.kind == "output")
    windows_optimal = sum(r.status == "optimal" for r in reports)
    if method == "ilp":
        report = reports[0]
        status = "optimal" if report.status == "optimal" else "time-limit"
        # the solver's bound, or the forced-eviction bound on every schedule where that is higher
        floor = float(traffic_lower_bound(graph, scratchpad))
        bound = floor if report.bound is None else max(report.bound + outputs, floor)
        if report.status == "error":
            notes.append(f"{solver} failed to run; returning the greedy schedule")
        elif report.objective is None:
            notes.append(f"{solver} found no incumbent within the time limit")
        gap = None
        if bound is not None:
            gap = max(0.0, (traffic.total - bound) / traffic.total) if traffic.total else 0.0
            if status == "optimal" and traffic.total > bound + 0.5:
                status = "time-limit"
        objective = None if report.objective is None else report.objective + outputs
    else:
        # no global ILP bound: the forced-eviction bound on every schedule is one
        bound, objective = float(traffic_lower_bound(graph, scratchpad)), None
        gap = (traffic.total - bound) / traffic.total if traffic.total else 0.0
        status = "optimal" if traffic.total <= bound else "heuristic"
        failed = sum(r.status == "error" for r in reports)
        notes.append(
            f"{len(reports)} rounds, {windows_optimal} solved to optimality"
            + (f", {failed} with solver failures (greedy used)" if failed else "")
        )
    if bound is not None and traffic.total < bound - 0.5:
        # only possible when the greedy reloads a tensor at a third address, which the model cannot
        notes.append("the greedy schedule beats the ILP model's bound (it uses more addresses per tensor)")
        status, bound, gap = "heuristic", None, None
    return ScheduleResult(
        schedule=schedule,
        traffic=traffic,
        method=method,
        status=status,
        source=source,
        solver=solver,
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=time.perf_counter() - began,
        notes=tuple(notes),
    )


def schedule(
    graph: TensorGraph,
    scratchpad: Scratchpad,
    method: str = "ilp",
    solver: str = "cbc",
    time_limit: float = 60.0,
    threads: int = 1,
    window: int = 6,
    lookahead: int = 4,
) -> ScheduleResult:
    """Schedule ``graph`` on ``scratchpad`` with the named method.

    Parameters
    ----------
    graph, scratchpad:
        The problem.
    method:
        ``"ilp"``, ``"divide"``, ``"greedy-lru"`` or ``"greedy-belady"``.
    solver, time_limit, threads:
        Solver settings (ILP methods only).
    window, lookahead:
        Operators committed per round and seen beyond them, for ``"divide"``.

    Raises
    ------
    ValueError
        On an unknown method or bad settings.
    InfeasibleScheduleError
        If the graph cannot be scheduled on the scratchpad.
    """
    if method not in METHODS:
        raise ScheduleError(f"method must be one of {METHODS}, not {method!r}")
    if method.startswith("greedy-"):
        return schedule_greedy(graph, scratchpad, method.removeprefix("greedy-"))
    if method == "ilp":
        return schedule_ilp(graph, scratchpad, solver=solver, time_limit=time_limit, threads=threads)
    return schedule_divide(
        graph, scratchpad, window=window, lookahead=lookahead, solver=solver, time_limit=time_limit, threads=threads
    )

"""Solve a program window by window, carrying scratchpad state across windows."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, replace

from memory import (
    InfeasibleScheduleError,
    PartialSchedule,
    Scratchpad,
    Step,
    TensorGraph,
    greedy_plan,
)

from ._model import build_model
from ._readback import read_plan, set_warm_start
from ._solve import solve
from ._warm import single_address_plan
from ._window import Quantum, Window, window_cost, window_state_after


@dataclass(frozen=True)
class WindowReport:
    """How one window was solved."""

    operators: int
    status: str
    chosen: str
    objective: float | None
    bound: float | None
    warm_start: bool
    seconds: float


def run_windows(
    graph: TensorGraph,
    scratchpad: Scratchpad,
    window: int,
    lookahead: int,
    solver: str,
    time_limit: float,
    threads: int,
    end_penalty: float,
) -> tuple[tuple[Step, ...], list[WindowReport]]:
    """Schedule the graph by a rolling horizon of ILPs.

    Each round solves the next ``window + lookahead`` operators of the
    topological order (the ILP may reorder them) from the state the committed
    steps left, then commits the first ``window`` steps of the answer.  Each
    ILP starts from the greedy (Belady) continuation on the ILP's address grid
    (re-placed with one address per tensor when it uses more than the model's
    two); the cheapest of the solver's plan and the greedy plans (by the window
    objective) is kept.  The time limit is shared out over the rounds still
    to come.
    """
    quantum = Quantum.for_scratchpad(scratchpad)
    grid = quantum.scratchpad(scratchpad)
    topo = graph.topological_order
    n = len(topo)
    committed: list[str] = []
    resident: tuple = ()
    in_dram = frozenset(t.name for t in graph.tensors if t.external)
    steps: list[Step] = []
    reports: list[WindowReport] = []
    deadline = time.perf_counter() + time_limit
    while len(committed) < n:
        began = time.perf_counter()
        done = set(committed)
        order = tuple(committed) + tuple(o for o in topo if o not in done)
        start = len(committed)
        stop = min(start + window + lookahead, n)
        take = window if stop < n else stop - start
        uses: dict[str, list[int]] = {t.name: [] for t in graph.tensors}
        for index, name in enumerate(order):
            for tensor in graph.operator[name].inputs:
                uses[tensor].append(index)
        ops = order[start:stop]
        touched = {t for op in ops for t in graph.operator[op].tensors} | {a.tensor for a in resident}
        live_out = frozenset(t for t in touched if any(u >= stop for u in uses[t]))
        spec = Window(ops, resident, in_dram, live_out, end_penalty if stop < n else 0.0)
        fallback = _greedy_or_none(graph, grid, order, start, stop, resident, in_dram)
        rounds_left = -(-(n - start) // window)
        with warnings.catch_warnings():
            # PuLP 3 announces API changes for PuLP 4 on every variable and solver object
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pulp(\.|$)")
            model = build_model(graph, scratchpad, spec, quantum)
            warm, used_warm = fallback, False
            if fallback is not None:
                used_warm = set_warm_start(model, graph, spec, fallback, quantum)
                if not used_warm:  # more addresses per tensor than the model's slots: re-place
                    warm = single_address_plan(graph, grid, spec, fallback)
                    used_warm = warm is not None and set_warm_start(model, graph, spec, warm, quantum)
            budget = max(1.0, (deadline - time.perf_counter()) / rounds_left)
            outcome = solve(model.problem, solver, budget, threads, used_warm)
        plan = read_plan(model, graph, scratchpad, spec, quantum) if outcome.has_solution else None
        candidates: list[tuple[float, int, str, PartialSchedule]] = []
        if plan is not None:
            candidates.append((window_cost(graph, spec, plan), 0, "ilp", plan))
        for rank, other in enumerate((fallback, warm), start=1):
            if other is not None:
                candidates.append((window_cost(graph, spec, other), rank, "greedy-belady", other))
        if not candidates:
            if outcome.status == "infeasible":
                raise InfeasibleScheduleError(
                    f"operators {ops[0]!r}..{ops[-1]!r} cannot be scheduled on the scratchpad "
                    f"(the ILP is infeasible and the greedy finds no placement)"
                )
            raise InfeasibleScheduleError(
                f"no schedule found for operators {ops[0]!r}..{ops[-1]!r} within the time limit"
            )
        _, _, chosen, best = min(candidates, key=lambda c: (c[0], c[1]))
        best = PartialSchedule(best.steps[:take], best.before_stores, best.before_evictions)
        if best.before_stores or best.before_evictions:
            last = steps[-1]
            steps[-1] = replace(
                last,
                stores=last.stores + best.before_stores,
                evictions=last.evictions + best.before_evictions,
            )
        steps.extend(best.steps)
        committed.extend(step.operator for step in best.steps)
        resident, in_dram = window_state_after(spec, best)
        reports.append(
            WindowReport(
                operators=len(ops),
                status=outcome.status,
                chosen=chosen,
                objective=outcome.objective,
                bound=outcome.bound,
                warm_start=used_warm,
                seconds=time.perf_counter() - began,
            )
        )
    return tuple(steps), reports


def _greedy_or_none(graph, grid, order, start, stop, resident, in_dram):
    try:
        return greedy_plan(graph, grid, order, "belady", start, stop, resident, in_dram)
    except InfeasibleScheduleError:
        return None

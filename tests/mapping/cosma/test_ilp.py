"""The whole-graph COSMA ILP: known optima, both solvers, never worse than greedy, time-outs."""

import itertools

import pytest

from mapping import cosma
from mapping.cosma import schedule, schedule_ilp
from mapping.cosma._solve import SolveOutcome
from memory import InfeasibleScheduleError, Scratchpad, check_schedule, schedule_greedy


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_reordering_removes_a_spill(graphs, solver):
    g, pad = graphs["branches"](), Scratchpad(130)
    # program order spills A around b1, then B around a2: 100 B out and back in for each
    assert schedule_greedy(g, pad, "belady").traffic.non_compulsory == 400
    result = schedule_ilp(g, pad, solver=solver, time_limit=20)
    assert result.status == "optimal" and result.source == "ilp" and result.gap == 0
    assert result.traffic.non_compulsory == 0 and result.traffic.total == result.traffic.compulsory == 20
    order = result.schedule.order
    # the only way to avoid spills: finish one branch before starting the other
    assert order.index("a2") < order.index("b1") or order.index("b2") < order.index("a1")
    assert check_schedule(g, pad, result.schedule) == result.traffic


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_unavoidable_spill(graphs, solver):
    g, pad = graphs["skip_chain"](), Scratchpad(250)
    result = schedule_ilp(g, pad, solver=solver, time_limit=20)
    assert result.status == "optimal"
    assert result.traffic.non_compulsory == 200 and result.objective == pytest.approx(220)
    assert result.bound == pytest.approx(220)


def test_weight_replacement_optimum(graphs):
    g, pad = graphs["weight_cycle"](), Scratchpad(220)
    assert schedule_greedy(g, pad, "lru").traffic.non_compulsory == 200
    result = schedule_ilp(g, pad, time_limit=20)
    assert result.status == "optimal" and result.traffic.non_compulsory == 100


def test_large_sizes_use_a_coarser_address_grid(graphs):
    g = graphs["skip_chain"](100_000)  # 10 MB tensors: addresses on a grid of whole units
    result = schedule_ilp(g, Scratchpad(25_000_000), time_limit=20)
    assert result.traffic.non_compulsory == 20_000_000
    assert check_schedule(g, Scratchpad(25_000_000), result.schedule) == result.traffic


def test_banks_and_alignment(graphs):
    g = graphs["branches"]()
    pad = Scratchpad(256, banks=2, alignment=8)
    result = schedule_ilp(g, pad, time_limit=20)
    assert check_schedule(g, pad, result.schedule) == result.traffic
    for step in result.schedule.steps:
        for alloc in step.allocations:
            assert alloc.start % 8 == 0 and (alloc.start // 128 == (alloc.end - 1) // 128)
    assert result.traffic.non_compulsory <= schedule_greedy(g, pad).traffic.non_compulsory


def _all_orders(graph):
    names = [op.name for op in graph.operators]
    for perm in itertools.permutations(names):
        seen, ok = set(), True
        for name in perm:
            if any(p not in seen for p in graph.predecessors[name]):
                ok = False
                break
            seen.add(name)
        if ok:
            yield perm


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_never_worse_than_greedy_in_any_order(graphs, seed):
    g = graphs["random_dag"](seed, 6)
    pad = Scratchpad(int(graphs["least_scratchpad"](g) * 1.2))
    best_greedy = min(
        schedule_greedy(g, pad, policy, order).traffic.total for order in _all_orders(g) for policy in ("lru", "belady")
    )
    cbc = schedule_ilp(g, pad, solver="cbc", time_limit=20)
    highs = schedule_ilp(g, pad, solver="highs", time_limit=20)
    assert cbc.status == highs.status == "optimal"
    assert cbc.traffic.total == highs.traffic.total <= best_greedy


def test_time_out_without_incumbent_falls_back_to_greedy(graphs, monkeypatch):
    g, pad = graphs["branches"](), Scratchpad(130)
    monkeypatch.setattr(cosma._engine, "solve", lambda *args: SolveOutcome("time-limit", False, None, None))
    result = schedule_ilp(g, pad, time_limit=1)
    assert result.status == "time-limit" and result.source == "greedy-belady"
    assert any("found no incumbent" in note for note in result.notes)
    assert check_schedule(g, pad, result.schedule) == result.traffic
    assert result.traffic == schedule_greedy(g, pad, "belady").traffic


def test_time_out_with_incumbent_reports_its_gap(graphs, monkeypatch):
    g, pad = graphs["branches"](), Scratchpad(130)
    real = cosma._engine.solve

    def stopped_early(problem, solver, limit, threads, warm):
        outcome = real(problem, solver, limit, threads, warm)
        return SolveOutcome("time-limit", outcome.has_solution, outcome.objective, 0.0)

    monkeypatch.setattr(cosma._engine, "solve", stopped_early)
    result = schedule_ilp(g, pad, time_limit=5)
    assert result.status == "time-limit" and result.source == "ilp"
    assert result.bound == g.compulsory_traffic  # the solver's bound, raised to the compulsory traffic
    assert result.gap == pytest.approx((result.traffic.total - result.bound) / result.traffic.total)
    assert check_schedule(g, pad, result.schedule) == result.traffic


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_real_time_limit_returns_a_checked_schedule(graphs, solver):
    g = graphs["random_dag"](4, 14)
    pad = Scratchpad(graphs["least_scratchpad"](g))
    result = schedule_ilp(g, pad, solver=solver, time_limit=2)
    assert result.status in ("optimal", "time-limit")
    assert check_schedule(g, pad, result.schedule) == result.traffic
    assert result.traffic.total <= schedule_greedy(g, pad, "belady").traffic.total
    if result.gap is not None:
        assert 0 <= result.gap <= 1


def test_infeasible_and_bad_arguments(graphs):
    g = graphs["skip_chain"]()
    with pytest.raises(InfeasibleScheduleError, match=r"operator 'op2' needs 200 bytes resident at once"):
        schedule_ilp(g, Scratchpad(150))
    with pytest.raises(ValueError, match=r"solver must be one of \('cbc', 'highs'\), not 'gurobi'"):
        schedule_ilp(g, Scratchpad(300), solver="gurobi")
    with pytest.raises(ValueError, match=r"time limit must be a positive number of seconds, not 0"):
        schedule_ilp(g, Scratchpad(300), time_limit=0)
    with pytest.raises(ValueError, match=r"threads must be a positive integer, not 0"):
        schedule_ilp(g, Scratchpad(300), threads=0)
    with pytest.raises(ValueError, match=r"the graph has 4 operators, more than the 3 one ILP handles; use method 'divide'"):
        schedule_ilp(g, Scratchpad(300), max_operators=3)
    with pytest.raises(ValueError, match=r"method must be one of .*, not 'magic'"):
        schedule(g, Scratchpad(300), method="magic")


def test_dispatcher(graphs):
    g, pad = graphs["weight_cycle"](), Scratchpad(220)
    assert schedule(g, pad, "greedy-lru").traffic.non_compulsory == 200
    assert schedule(g, pad, "greedy-belady").method == "greedy-belady"
    assert schedule(g, pad, "divide", window=2, time_limit=20).method == "divide"
    assert schedule(g, pad, "ilp", time_limit=20).traffic.non_compulsory == 100


def test_solver_crash_falls_back_to_greedy(graphs, monkeypatch):
    import pulp

    from mapping.cosma import _solve

    def crash(*args):
        raise pulp.PulpSolverError("cbc died")

    monkeypatch.setattr(_solve, "_solve_cbc", crash)
    g, pad = graphs["branches"](), Scratchpad(130)
    result = schedule_ilp(g, pad, time_limit=1)
    assert result.source == "greedy-belady" and "cbc failed to run; returning the greedy schedule" in result.notes
    assert check_schedule(g, pad, result.schedule) == result.traffic

"""Greedy baselines: hand-computed traffic, fragmentation, infeasibility, legality on random graphs."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory import (
    InfeasibleScheduleError,
    Operator,
    ScheduleError,
    Scratchpad,
    Tensor,
    TensorGraph,
    check_schedule,
    first_fit,
    greedy_plan,
    schedule_greedy,
)
from memory import Allocation as A


def test_lru_and_belady_by_hand(cycle_graph):
    # weights used w1 w2 w3 w1 w2 w3 with room for two: LRU reloads w1 and w2, Belady only w2
    lru = schedule_greedy(cycle_graph, Scratchpad(220), "lru")
    belady = schedule_greedy(cycle_graph, Scratchpad(220), "belady")
    assert lru.traffic.non_compulsory == 200 and dict(lru.traffic.loads)["w1"] == 200
    assert belady.traffic.non_compulsory == 100 and dict(belady.traffic.loads) == {
        "w1": 100, "w2": 200, "w3": 100, "x": 10
    }
    assert belady.method == "greedy-belady" and belady.status == "heuristic"
    assert check_schedule(cycle_graph, Scratchpad(220), belady.schedule) == belady.traffic


def test_spill_of_a_skip_connection(skip_graph):
    result = schedule_greedy(skip_graph, Scratchpad(250), "belady")
    assert result.traffic.non_compulsory == 200  # s written out and read back
    assert "s" in result.schedule.steps[1].stores and "s" in result.schedule.steps[3].loads
    assert schedule_greedy(skip_graph, Scratchpad(310)).traffic.non_compulsory == 0


def test_first_fit_lowest_hole():
    pad = Scratchpad(100, alignment=4)
    taken = [A("a", 0, 20), A("b", 40, 60)]
    assert first_fit(pad, taken, 20) == 20
    assert first_fit(pad, taken, 21) == 60
    assert first_fit(pad, taken, 41) is None


def test_fragmentation_evicts_operands_and_reloads():
    # op1 places p (50 B) at 0, a (40 B) at 50; p is dropped.  op2 needs a, c and d (60 B each) on 160 B:
    # they fit in total, but with a pinned at 50..90 the holes are 50 B and 70 B, so the greedy
    # must move a: spill it (an intermediate) and reload it, 80 B of non-compulsory traffic.
    g = TensorGraph(
        (Tensor("x", 20, "input"), Tensor("p", 50, "output"), Tensor("a", 40, "intermediate"),
         Tensor("c", 60, "input"), Tensor("d", 60, "output")),
        (Operator("op1", ("x",), ("p", "a")), Operator("op2", ("c", "a"), ("d",))),
    )
    result = schedule_greedy(g, Scratchpad(160), "lru")
    assert result.schedule.steps[0].resident["a"].start == 50
    assert result.schedule.steps[0].stores == ("p", "a") and "a" in result.schedule.steps[0].evictions
    assert set(result.schedule.steps[1].loads) == {"a", "c"}
    assert result.traffic.compulsory == 190 and result.traffic.non_compulsory == 80
    assert check_schedule(g, Scratchpad(160), result.schedule) == result.traffic


def test_order_argument_is_checked(skip_graph):
    with pytest.raises(ScheduleError, match=r"operator order runs 'op2' before its producer 'op1'"):
        schedule_greedy(skip_graph, Scratchpad(400), order=("op2", "op1", "op3", "op4"))
    with pytest.raises(ValueError, match=r"operator order must list every operator exactly once"):
        schedule_greedy(skip_graph, Scratchpad(400), order=("op1",))
    with pytest.raises(ValueError, match=r"greedy policy must be one of \('lru', 'belady'\), not 'fifo'"):
        schedule_greedy(skip_graph, Scratchpad(400), "fifo")


def test_too_small_scratchpads(skip_graph):
    with pytest.raises(InfeasibleScheduleError, match=r"tensor 's' \(100 bytes\) is larger than the scratchpad \(99 bytes\)"):
        schedule_greedy(skip_graph, Scratchpad(99))
    with pytest.raises(
        InfeasibleScheduleError,
        match=r"operator 'op2' needs 200 bytes resident at once \(inputs s; outputs t\) but the scratchpad holds 150",
    ):
        schedule_greedy(skip_graph, Scratchpad(150))
    assert InfeasibleScheduleError.exit_code == 3
    # two 100 B tensors on two 100 B banks fit, three operands of 60 B per 100 B bank do not
    tight = TensorGraph(
        (Tensor("p", 60, "input"), Tensor("q", 60, "input"), Tensor("r", 60, "output")),
        (Operator("op", ("p", "q"), ("r",)),),
    )
    with pytest.raises(InfeasibleScheduleError, match=r"step 0 \('op'\): no contiguous room for tensor"):
        schedule_greedy(tight, Scratchpad(200, banks=2))


def test_greedy_plan_continues_from_a_state(cycle_graph):
    order = cycle_graph.topological_order
    pad = Scratchpad(220)
    head = greedy_plan(cycle_graph, pad, order, "belady", 0, 3)
    last = head.steps[-1]
    resident = [a for a in last.allocations if a.tensor not in last.evictions]
    tail = greedy_plan(cycle_graph, pad, order, "belady", 3, None, resident, {"w1", "w2", "w3", "x"})
    assert [s.operator for s in tail.steps] == ["o3", "o4", "o5"]
    assert not tail.before_evictions  # room enough: nothing to drop before o3


def _random_graph(seed: int, n: int) -> TensorGraph:
    rng = random.Random(seed)
    tensors, ops, produced = [], [], []
    for i in range(n):
        inputs = rng.sample(produced, min(len(produced), rng.randint(1, 2))) if produced else []
        tensors.append(Tensor(f"w{i}", rng.randint(1, 60), "weight"))
        inputs.append(f"w{i}")
        if not produced or rng.random() < 0.2:
            tensors.append(Tensor(f"x{i}", rng.randint(1, 60), "input"))
            inputs.append(f"x{i}")
        ops.append(Operator(f"op{i}", tuple(inputs), (f"t{i}",)))
        produced.append(f"t{i}")
    read = {t for op in ops for t in op.inputs}
    tensors += [Tensor(t, rng.randint(1, 60), "intermediate" if t in read else "output") for t in produced]
    return TensorGraph(tuple(tensors), tuple(ops))


@settings(max_examples=60)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 12), slack=st.integers(0, 150),
       alignment=st.sampled_from([1, 4, 8]), policy=st.sampled_from(["lru", "belady"]))
def test_random_graphs_give_checked_schedules(seed, n, slack, alignment, policy):
    g = _random_graph(seed, n)
    need = max(sum(-(-g.tensor[t].size // alignment) * alignment for t in op.tensors) for op in g.operators)
    capacity = -(-(need + slack) // alignment) * alignment
    pad = Scratchpad(capacity, alignment=alignment)
    result = schedule_greedy(g, pad, policy)
    assert check_schedule(g, pad, result.schedule) == result.traffic
    assert result.traffic.total >= g.compulsory_traffic

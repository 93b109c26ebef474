"""The divide-and-conquer heuristic: rolling windows of ILPs with carried scratchpad state."""

import pytest

from mapping.cosma import schedule_divide, schedule_ilp
from memory import InfeasibleScheduleError, Scratchpad, check_schedule, schedule_greedy


@pytest.mark.parametrize("window, lookahead", [(1, 0), (2, 0), (2, 2), (3, 1)])
def test_state_carried_across_windows(graphs, window, lookahead):
    # s is produced in the first window and read in the last: it must be spilled (200 B) whatever the windows
    g, pad = graphs["skip_chain"](), Scratchpad(250)
    result = schedule_divide(g, pad, window=window, lookahead=lookahead, time_limit=20)
    # the forced-eviction bound proves it optimal
    assert result.method == "divide" and result.status == "optimal" and result.bound == 220 and result.gap == 0
    assert result.traffic.non_compulsory == 200
    assert check_schedule(g, pad, result.schedule) == result.traffic


def test_carried_tensors_keep_their_addresses(graphs):
    g, pad = graphs["weight_cycle"](), Scratchpad(220)
    result = schedule_divide(g, pad, window=2, lookahead=1, time_limit=20)
    assert result.traffic.non_compulsory == 100  # as the whole-graph optimum
    assert check_schedule(g, pad, result.schedule) == result.traffic
    assert any("rounds" in note for note in result.notes)


@pytest.mark.parametrize("seed", [0, 1])
def test_residual_network_beats_greedy(graphs, seed):
    g = graphs["residual_net"](5, seed)
    pad = Scratchpad(graphs["least_scratchpad"](g))
    result = schedule_divide(g, pad, window=4, lookahead=2, time_limit=30)
    assert check_schedule(g, pad, result.schedule) == result.traffic
    greedy = min(schedule_greedy(g, pad, p).traffic.total for p in ("lru", "belady"))
    assert result.traffic.total <= greedy
    assert result.bound <= result.traffic.total and result.status in ("optimal", "heuristic")


def test_one_window_is_the_whole_ilp(graphs):
    g, pad = graphs["branches"](), Scratchpad(130)
    whole = schedule_ilp(g, pad, time_limit=20)
    divided = schedule_divide(g, pad, window=len(g.operators), lookahead=0, time_limit=20)
    assert divided.traffic.total == whole.traffic.total == g.compulsory_traffic
    assert divided.status == "optimal" and divided.gap == 0  # nothing beyond the compulsory traffic


def test_bad_arguments(graphs):
    g = graphs["skip_chain"]()
    with pytest.raises(ValueError, match=r"window must be a positive number of operators, not 0"):
        schedule_divide(g, Scratchpad(300), window=0)
    with pytest.raises(ValueError, match=r"lookahead must be a non-negative number of operators, not -1"):
        schedule_divide(g, Scratchpad(300), lookahead=-1)
    with pytest.raises(ValueError, match=r"end_penalty must be non-negative, not -1"):
        schedule_divide(g, Scratchpad(300), end_penalty=-1)
    with pytest.raises(InfeasibleScheduleError, match=r"tensor 's' \(100 bytes\) is larger than the scratchpad"):
        schedule_divide(g, Scratchpad(64))

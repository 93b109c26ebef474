"""The checker accepts a hand-made legal schedule and pins a message for each violation kind."""

from dataclasses import replace

import pytest

from memory import Allocation, Schedule, ScheduleError, Scratchpad, Step, check_schedule

A = Allocation


def _legal() -> Schedule:
    """skip_chain on 250 B: s (100 B) is spilled around op3 and reloaded for op4."""
    return Schedule(
        (
            Step("op1", (A("x", 0, 10), A("s", 10, 110)), loads=("x",), evictions=("x",)),
            Step("op2", (A("s", 10, 110), A("t", 110, 210)), stores=("s",), evictions=("s",)),
            Step("op3", (A("u", 0, 100), A("t", 110, 210)), evictions=("t",)),
            Step("op4", (A("u", 0, 100), A("s", 100, 200), A("y", 200, 210)), loads=("s",), stores=("y",)),
        )
    )


def _edit(schedule: Schedule, index: int, **changes) -> Schedule:
    steps = list(schedule.steps)
    steps[index] = replace(steps[index], **changes)
    return Schedule(tuple(steps))


def test_legal_schedule_traffic_by_hand(skip_graph):
    report = check_schedule(skip_graph, Scratchpad(250), _legal())
    assert report.compulsory == 20  # x in, y out
    assert report.total == 220 and report.non_compulsory == 200  # s out and back in
    assert dict(report.loads) == {"s": 100, "x": 10} and dict(report.stores) == {"s": 100, "y": 10}
    assert report.load_bytes == 110 and report.store_bytes == 110


def _steps(schedule, *order):
    return Schedule(tuple(schedule.steps[i] for i in order))


CASES = [
    (lambda s: _edit(s, 3, loads=(), allocations=(A("u", 0, 100), A("y", 200, 210))),
     r"step 3 \('op4'\): operand 's' is not resident \(neither kept nor loaded\)"),
    (lambda s: _edit(s, 3, allocations=(A("u", 0, 100), A("s", 50, 150), A("y", 200, 210))),
     r"step 3 \('op4'\): tensors 'u' \[0, 100\) and 's' \[50, 150\) overlap"),
    (lambda s: _edit(s, 3, allocations=(A("u", 0, 100), A("s", 100, 200), A("y", 245, 255))),
     r"step 3 \('op4'\): tensor 'y': range \[245, 255\) lies outside the scratchpad \[0, 250\)"),
    (lambda s: _edit(s, 2, allocations=(A("u", 0, 100), A("t", 120, 220))),
     r"step 2 \('op3'\): tensor 't' moves from \[110, 210\) to \[120, 220\) without being reloaded"),
    (lambda s: _edit(s, 1, stores=()),
     r"step 1 \('op2'\): tensor 's' is evicted but DRAM holds no copy and it is still needed"),
    (lambda s: _edit(s, 3, loads=("s", "t"), allocations=(A("u", 0, 100), A("s", 100, 200), A("t", 200, 300))),
     r"step 3 \('op4'\): tensor 't' is loaded but DRAM holds no copy of it"),
    (lambda s: _edit(s, 3, stores=()), r"output 'y' is never written to DRAM"),
    (lambda s: _steps(s, 0, 1, 2, 3, 3), r"step 4: operator 'op4' already ran at step 3"),
    (lambda s: _steps(s, 0, 1, 2), r"operator 'op4' is never scheduled"),
    (lambda s: _steps(s, 0, 1, 3, 2), r"step 2 \('op4'\): input 'u' is read before 'op3' writes it"),
    (lambda s: _edit(s, 3, allocations=(A("u", 0, 100), A("s", 100, 200), A("y", 200, 205))),
     r"step 3 \('op4'\): tensor 'y' gets 5 bytes \[200, 205\) but occupies 10"),
    (lambda s: _edit(s, 2, allocations=(A("t", 110, 210),)),
     r"step 2 \('op3'\): output 'u' is resident but has no allocation"),
    (lambda s: _edit(s, 0, allocations=(A("x", 0, 10), A("s", 10, 110), A("t", 110, 210))),
     r"step 0 \('op1'\): tensor 't' is allocated but is neither kept, loaded nor written"),
    (lambda s: _edit(s, 2, loads=("t",)), r"step 2 \('op3'\): tensor 't' is loaded but is already resident"),
    (lambda s: _edit(s, 0, stores=("t",)), r"step 0 \('op1'\): tensor 't' is stored but is not resident"),
    (lambda s: _edit(s, 0, evictions=("x", "u")), r"step 0 \('op1'\): tensor 'u' is evicted but is not resident"),
    (lambda s: _edit(s, 0, operator="zz"), r"step 0: unknown operator 'zz'"),
    (lambda s: _edit(s, 0, allocations=(A("x", 0, 10), A("x", 10, 20), A("s", 20, 120))),
     r"step 0 \('op1'\): tensor 'x' is allocated twice"),
]


@pytest.mark.parametrize("mutate, message", CASES)
def test_each_violation_is_named(skip_graph, mutate, message):
    with pytest.raises(ScheduleError, match=message):
        check_schedule(skip_graph, Scratchpad(250), mutate(_legal()))


def test_bank_and_alignment_rules(skip_graph):
    with pytest.raises(ScheduleError, match=r"step 1 \('op2'\): tensor 't': range \[110, 210\) crosses a bank boundary"):
        check_schedule(skip_graph, Scratchpad(300, banks=2), _legal())
    with pytest.raises(ScheduleError, match=r"step 0 \('op1'\): tensor 'x' gets 10 bytes \[0, 10\) but occupies 16"):
        check_schedule(skip_graph, Scratchpad(256, alignment=16), _legal())


def test_rejects_non_schedules(skip_graph):
    with pytest.raises(TypeError, match=r"check_schedule expects a Schedule, not \[\]"):
        check_schedule(skip_graph, Scratchpad(250), [])

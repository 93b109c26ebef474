"""accel.pipeline.run: one orchestration, facts carried (each Problem built once), both simulators' one report shape."""

from __future__ import annotations

import pytest

import mapping
import mapping._problem
import mapping._validate
import sim.analytical._evaluate
import sim.cycle._api
from accel import load_architecture
from accel.pipeline import SCHEDULERS, Options, OptionsError, run, schedule_cascade
from dataflow import library
from mapping.cosma import METHODS
from memory import CascadeSchedule
from sim import CascadeReport, combine


@pytest.fixture(scope="module")
def attention():
    return library.build("attention_1pass", M=64, P=64), load_architecture("fusemax_like")


def test_each_problem_is_built_once(attention, monkeypatch):
    cascade, hw = attention
    calls = []
    real = mapping._problem.build_problem

    def counting(einsum, *args, **kwargs):
        calls.append(einsum.name)
        return real(einsum, *args, **kwargs)

    for module in (mapping._problem, mapping, sim.analytical._evaluate, sim.cycle._api, mapping._validate):
        monkeypatch.setattr(module, "build_problem", counting)
    run(cascade, hw, Options(simulator="cycle", map_for_schedule=True))
    assert sorted(calls) == sorted(e.name for e in cascade.einsums)


@pytest.mark.parametrize("simulator", ["analytical", "cycle"])
def test_both_simulators_return_one_report_shape(attention, simulator):
    cascade, hw = attention
    ev = run(cascade, hw, Options(simulator=simulator))
    assert isinstance(ev.report, CascadeReport) and isinstance(ev.analytical, CascadeReport)
    assert isinstance(ev.schedule, CascadeSchedule)
    assert [p.name for p in ev.report.parts] == list(ev.schedule.order)
    assert ev.analytical.total == combine(ev.analytical.parts, name=cascade.name)
    assert ev.report.total.simulator == simulator
    # the two models count the same traffic and energy under one schedule
    assert ev.report.total.energy_pj == pytest.approx(ev.analytical.total.energy_pj, rel=1e-9)
    assert (ev.simulation is not None) == (simulator == "cycle")


def test_no_schedule_streams_everything_through_dram(attention):
    cascade, hw = attention
    ev = run(cascade, hw, Options(scheduler="none"))
    assert ev.schedule is None
    scheduled = run(cascade, hw, Options())
    dram = lambda r: sum(e.count for e in r.total.energy if e.component == "dram")  # noqa: E731
    assert dram(ev.report) > dram(scheduled.report)


def test_the_scheduler_vocabulary_is_cosma_s():
    assert set(METHODS) < set(SCHEDULERS) and {"none", "auto"} < set(SCHEDULERS)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"objective": "speed"}, "option objective must be one of edp, latency, energy, not 'speed'"),
    ({"scheduler": "magic"}, "option scheduler must be one of"),
    ({"time_limit": float("inf")}, "option time_limit must be a finite number of seconds > 0"),
    ({"samples": 0}, "option samples must be an integer >= 1"),
    ({"scheduler": "none", "scratchpad": 1024}, "option scratchpad needs a scheduler"),
    ({"trace": True}, "option trace needs simulator 'cycle'"),
])
def test_bad_options_name_the_option(kwargs, match):
    with pytest.raises(OptionsError, match=match):
        Options(**kwargs)


def test_a_what_if_scratchpad_keeps_the_level_s_banks(attention):
    cascade, hw = attention
    planned = schedule_cascade(cascade, hw, Options(scratchpad=1 << 20))
    assert planned.scratchpad.capacity == 1 << 20 and planned.scratchpad.banks == hw.levels[-1].banks

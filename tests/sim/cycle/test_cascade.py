"""Cascades: Einsums back to back, dependencies, and a COSMA schedule's residency, loads and spills."""

from __future__ import annotations

import pytest

from accel import derive, load_architecture
from dataflow import library, parse_cascade
from mapping.search import map_cascade
from memory import CascadeSchedule, Schedule, ScheduleError, Scratchpad, Step, graph_for_architecture, schedule_greedy
from sim.cycle import simulate_cascade

cascade_graph = graph_for_architecture


def _planned(graph, capacity):
    """The greedy Belady schedule of ``graph`` on a scratchpad of ``capacity`` bytes, as the simulators take it."""
    pad = Scratchpad(capacity)
    return CascadeSchedule.of(schedule_greedy(graph, pad), graph, pad)


@pytest.fixture(scope="module")
def arch():
    return derive(load_architecture("tpu_like"), {"pe_array.rows": 4, "pe_array.cols": 4})


@pytest.fixture(scope="module")
def mlp(arch):
    cascade = library.mlp(N=8, sizes=(32, 64, 16))
    return cascade, map_cascade(cascade, arch, objective="latency", time_limit=5)


@pytest.fixture(scope="module")
def resid(arch):
    # P is read again by the last Einsum: a tight scratchpad must spill it.
    cascade = parse_cascade(
        ["P[m,n] = A[m,k] * B[k,n]", "Q[m,n] = P[m,k] * C[k,n]", "T[m,n] = Q[m,k] * E[k,n]", "S[m,n] = T[m,n] + P[m,n]"],
        {"m": 16, "n": 16, "k": 16},
        name="resid",
    )
    return cascade, map_cascade(cascade, arch, objective="latency", time_limit=5)


def _dram_elements(report):
    return sum(a.total for a in report.accesses if a.level == "dram")


def test_einsums_run_back_to_back_and_wait_for_their_producers(arch, mlp):
    cascade, mapped = mlp
    result = simulate_cascade(cascade, arch, mapped)
    names = [r.name for r in result.einsums]
    assert names == ["H1", "A1", "H2", "Y"]
    assert sum(r.total_cycles for r in result.einsums) == result.total_cycles
    assert result.report.total_cycles == result.total_cycles and result.report.simulator == "cycle"
    assert result.einsums[0].cycles("dependency_wait") == 0
    assert all(r.cycles("dependency_wait") > 0 for r in result.einsums[1:])  # each reads its predecessor's output
    assert result.report.macs == cascade.macs()
    assert len(result.report.mappings) == 4


def test_a_schedule_keeps_intermediates_on_chip(arch, mlp):
    cascade, mapped = mlp
    graph = cascade_graph(cascade, arch)
    plain = simulate_cascade(cascade, arch, mapped)
    kept = simulate_cascade(cascade, arch, mapped, schedule=_planned(graph, 1 << 20))
    levels = {(a.level, a.tensor) for a in kept.report.accesses if a.total}
    for tensor in ("H1", "A1", "H2"):  # produced into the unified buffer (the scratchpad) and read from there
        assert ("dram", tensor) not in levels and ("unified_buffer", tensor) in levels
    for tensor in ("X", "W1", "W2"):  # every input byte leaves DRAM once
        assert kept.report.access("dram", tensor).reads == cascade.tensor_elements(tensor)
    assert _dram_elements(kept.report) < _dram_elements(plain.report)


def test_a_spill_goes_to_dram_and_comes_back(arch, resid):
    cascade, mapped = resid
    graph = cascade_graph(cascade, arch)
    sched = _planned(graph, 3072)
    assert sched.result.traffic.stores["P"] == 1024  # the schedule spills P (16 x 16 x int32)
    result = simulate_cascade(cascade, arch, mapped, schedule=sched)
    p = result.report.access("dram", "P")
    assert p.writes == 256 and p.reads == 256
    assert any(e.name == "drain P" and e.track.startswith("dma") for e in result.events)


def _evaluate_cascade(*args, **kwargs):
    from sim.analytical import evaluate_cascade

    return evaluate_cascade(*args, **kwargs)


@pytest.mark.parametrize(("who", "run"), [("simulate_cascade", simulate_cascade), ("evaluate_cascade", _evaluate_cascade)])
def test_bad_mapped_cascade_input(arch, mlp, who, run):
    cascade, mapped = mlp
    with pytest.raises(ValueError, match=rf"{who}: 3 mappings for the 4 Einsums of 'mlp'"):
        run(cascade, arch, [r.mapping for r in mapped.results[:3]])
    with pytest.raises(ValueError, match=rf"{who}: no mapping for Einsum 'Y' of 'mlp'"):
        run(cascade, arch, {r.mapping.einsum: r for r in mapped.results[:3]})
    sched = schedule_greedy(cascade_graph(cascade, arch), Scratchpad(1 << 20))
    with pytest.raises(TypeError, match=rf"{who}: schedule must be a memory.CascadeSchedule"):
        run(cascade, arch, mapped, schedule=sched.schedule)
    with pytest.raises(TypeError, match=rf"{who}: mappings must be a dict or a sequence"):
        run(cascade, arch, 3)


def test_a_schedule_is_checked_once_when_it_is_made(arch, mlp):
    cascade, mapped = mlp
    graph = cascade_graph(cascade, arch)
    sched = schedule_greedy(graph, Scratchpad(1 << 20))
    with pytest.raises(ScheduleError, match=r"the schedule is not legal on a scratchpad of 4,096 bytes: step 0 \('H1'\)"):
        CascadeSchedule(sched.schedule, graph, Scratchpad(4096))
    backwards = Schedule(tuple(Step(s.operator, ()) for s in reversed(sched.schedule.steps)))
    with pytest.raises(ScheduleError, match=r"step 0 \('Y'\): input 'H2' is read before 'H2' writes it"):
        CascadeSchedule(backwards, graph, Scratchpad(1 << 20))


def _same_energy(sim_report, ana_report):
    s, a = sim_report.energy_by_component(), ana_report.energy_by_component()
    assert set(s) == set(a)
    for k in s:
        assert a[k] == pytest.approx(s[k], rel=1e-9), k


def _dram_by_tensor(report):
    return {(a.tensor, kind): getattr(a, kind) for a in report.accesses if a.level == "dram"
            for kind in ("reads", "writes") if getattr(a, kind)}


@pytest.mark.parametrize("capacity", [1 << 20, 3072])  # everything on chip; P spilled and reloaded
def test_analytical_model_prices_a_schedule_as_the_simulator_does(arch, resid, capacity):
    from sim import combine
    from sim.analytical import evaluate_cascade

    cascade, mapped = resid
    graph = cascade_graph(cascade, arch)
    sched = _planned(graph, capacity)
    result = simulate_cascade(cascade, arch, mapped, schedule=sched, trace=False)
    parts = evaluate_cascade(cascade, arch, mapped, schedule=sched).parts
    assert [p.name for p in parts] == [r.name for r in result.einsums] == list(sched.order)
    for sim_part, ana_part in zip(result.einsums, parts):
        _same_energy(sim_part, ana_part)
        assert _dram_by_tensor(ana_part) == pytest.approx(_dram_by_tensor(sim_part))
    total = combine(parts)
    _same_energy(result.report, total)
    # without the schedule the analytical model streams every tensor through DRAM: more energy
    plain = evaluate_cascade(cascade, arch, mapped).total
    assert plain.energy_by_component()["dram"] > total.energy_by_component()["dram"]
    assert [p.name for p in evaluate_cascade(cascade, arch, mapped).parts] == [e.name for e in cascade.einsums]


@pytest.mark.parametrize("arch_name", ["fusemax_like", "edge"])
def test_scheduled_attention_agrees_in_energy_and_roughly_in_cycles(arch_name):
    from sim import combine
    from sim.analytical import evaluate_cascade

    hw = load_architecture(arch_name)
    cascade = library.build("attention_1pass", M=128, P=128)
    mapped = map_cascade(cascade, hw, time_limit=2)
    graph = cascade_graph(cascade, hw)
    sched = _planned(graph, hw.levels[-1].capacity)
    result = simulate_cascade(cascade, hw, mapped, schedule=sched, trace=False)
    total = evaluate_cascade(cascade, hw, mapped, schedule=sched).total
    _same_energy(result.report, total)
    # cycles differ only by what the simulator overlaps across Einsums and by port contention
    assert 0.7 < result.report.total_cycles / total.total_cycles < 1.4
    isolated = combine([r.report for r in mapped.results])
    assert abs(isolated.total_cycles - result.report.total_cycles) > abs(total.total_cycles - result.report.total_cycles)


def test_residency_rejects_a_bare_name():
    from memory import Residency

    with pytest.raises(TypeError, match=r"Residency.loaded must be a collection of tensor names, not 'X'"):
        Residency(loaded="X")


def test_map_cascade_maps_for_the_schedule():
    from mapping import MappingError
    from sim.analytical import cost_model, report_for

    hw = load_architecture("fusemax_like")
    cascade = library.build("attention_1pass", M=128, P=128)
    graph = cascade_graph(cascade, hw)
    sched = _planned(graph, hw.levels[-1].capacity)
    alone = map_cascade(cascade, hw, time_limit=2)
    aware = map_cascade(cascade, hw, time_limit=2, schedule=sched)
    facts = sched.residency
    better = 0
    for a, b in zip(alone.results, aware.results):
        e = cascade.einsum(b.mapping.einsum)
        model = cost_model(e, cascade.shapes, hw, tuple(cascade.weights) or None, residency=facts[e.name])
        # the aware report prices the schedule's traffic; the schedule-blind mapping, priced the same way, is no better
        assert b.report.edp == pytest.approx(report_for(model, b.mapping).edp)
        blind = report_for(model, a.mapping).edp
        assert b.report.edp <= blind * (1 + 1e-9)
        better += b.report.edp < blind * (1 - 1e-9)
    assert better >= 1
    with pytest.raises(MappingError, match="schedule must be a memory.CascadeSchedule"):
        map_cascade(cascade, hw, schedule=sched.schedule)


def test_the_watchdog_refuses_before_lowering(arch, mlp, monkeypatch):
    import sim.cycle._api as api
    from sim.cycle import WatchdogError

    cascade, mapped = mlp

    def never(*args, **kwargs):
        raise AssertionError("lowered although the compute alone passes the watchdog")

    monkeypatch.setattr(api, "lower", never)
    with pytest.raises(WatchdogError, match=r"needs at least [\d,]+ cycles .* but the watchdog stops at 10: not simulated"):
        simulate_cascade(cascade, arch, mapped, max_cycles=10)

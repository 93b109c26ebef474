"""Cascades: Einsums back to back, dependencies, and a COSMA schedule's residency, loads and spills."""

from __future__ import annotations

import pytest

from accel import derive, load_architecture
from dataflow import library, parse_cascade
from mapping import map_cascade
from memory import Schedule, Scratchpad, Step, schedule_greedy
from sim.cycle import SimulationError, cascade_graph, simulate_cascade


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
    sched = schedule_greedy(graph, Scratchpad(1 << 20))
    kept = simulate_cascade(cascade, arch, mapped, schedule=sched.schedule, graph=graph)
    levels = {(a.level, a.tensor) for a in kept.report.accesses if a.total}
    for tensor in ("H1", "A1", "H2"):  # produced into the unified buffer (the scratchpad) and read from there
        assert ("dram", tensor) not in levels and ("unified_buffer", tensor) in levels
    for tensor in ("X", "W1", "W2"):  # every input byte leaves DRAM once
        assert kept.report.access("dram", tensor).reads == cascade.tensor_elements(tensor)
    assert _dram_elements(kept.report) < _dram_elements(plain.report)


def test_a_spill_goes_to_dram_and_comes_back(arch, resid):
    cascade, mapped = resid
    graph = cascade_graph(cascade, arch)
    sched = schedule_greedy(graph, Scratchpad(3072))
    assert sched.traffic.stores["P"] == 1024  # the schedule spills P (16 x 16 x int32)
    result = simulate_cascade(cascade, arch, mapped, schedule=sched.schedule, graph=graph)
    p = result.report.access("dram", "P")
    assert p.writes == 256 and p.reads == 256
    assert any(e.name == "drain P" and e.track.startswith("dma") for e in result.events)


def test_bad_cascade_input(arch, mlp):
    cascade, mapped = mlp
    with pytest.raises(ValueError, match=r"simulate_cascade: 3 mappings for the 4 Einsums of 'mlp'"):
        simulate_cascade(cascade, arch, [r.mapping for r in mapped.results[:3]])
    with pytest.raises(ValueError, match=r"simulate_cascade: no mapping for Einsum 'Y' of 'mlp'"):
        simulate_cascade(cascade, arch, {r.mapping.einsum: r for r in mapped.results[:3]})
    graph = cascade_graph(cascade, arch)
    sched = schedule_greedy(graph, Scratchpad(1 << 20))
    with pytest.raises(ValueError, match="a schedule needs the memory.TensorGraph it was made for"):
        simulate_cascade(cascade, arch, mapped, schedule=sched.schedule)
    with pytest.raises(SimulationError, match=r"the schedule is not legal on a scratchpad of 4096 bytes \(cycle 0, before the run\): step 0 \('H1'\)"):
        simulate_cascade(cascade, arch, mapped, schedule=sched.schedule, graph=graph, scratchpad=Scratchpad(4096))
    backwards = Schedule(tuple(Step(s.operator, ()) for s in reversed(sched.schedule.steps)))
    with pytest.raises(SimulationError, match=r"step 0 \('Y'\): input 'H2' is read before 'H2' writes it"):
        simulate_cascade(cascade, arch, mapped, schedule=backwards, graph=graph)

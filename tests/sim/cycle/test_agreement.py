"""The cycle-level simulator against the analytical model (``sim.analytical``).

Both count accesses with Timeloop's whole-tile semantics, so for perfect
tilings every (level, tensor) count, every energy entry and the compute
cycles agree exactly; with limited bandwidth the simulated latency is never
below the analytical bound ``max(compute, bandwidth)``.
"""

from __future__ import annotations

import pytest

from accel import derive, load_architecture
from dataflow import library, parse_cascade
from mapping import build_problem
from sim.analytical import evaluate
from sim.cycle import simulate

def _softmax_exp():
    return parse_cascade(["S[m,p] = exp(Q[m,p] - G[p])"], {"m": 16, "p": 8}, name="sm")


CASES = [
    ("tpu_like", {"pe_array.rows": 4, "pe_array.cols": 4}, lambda: library.gemm(M=16, N=8, K=16)),
    ("edge", {"pe_array.rows": 4, "pe_array.cols": 4}, lambda: library.gemm(M=8, N=12, K=16)),
    ("eyeriss_like", {"pe_array.rows": 3, "pe_array.cols": 4}, lambda: library.gemm(M=12, N=8, K=6)),
    ("fusemax_like", {"pe_array.rows": 4, "pe_array.cols": 4, "vector_unit.lanes": 8}, _softmax_exp),  # vector unit
]


def _pair(arch, cascade, mapping):
    einsum = cascade.einsums[0]
    return (simulate(einsum, cascade.shapes, arch, mapping, trace=False).report,
            evaluate(einsum, cascade.shapes, arch, mapping))


@pytest.mark.parametrize("name, changes, workload", CASES)
def test_accesses_energy_and_compute_match_exactly(random_mappings, name, changes, workload):
    arch = derive(load_architecture(name), changes)
    cascade = workload()
    problem = build_problem(cascade.einsums[0], cascade.shapes, arch)
    for mapping in random_mappings(problem, 12, seed=7):
        sim, ana = _pair(arch, cascade, mapping)
        assert {(a.level, a.tensor): (a.reads, a.writes, a.fills, a.drains) for a in sim.accesses} == {
            (a.level, a.tensor): (a.reads, a.writes, a.fills, a.drains) for a in ana.accesses
        }, mapping
        assert sim.energy_by_action() == pytest.approx(ana.energy_by_action(), rel=1e-12)
        assert sim.cycles("compute") == ana.cycles("compute")
        assert sim.macs == ana.macs and sim.spatial_utilization == ana.spatial_utilization


@pytest.mark.parametrize(
    "limits",
    [
        {"dram.bandwidth": 0.5},
        {"dram.bandwidth": 2.0},
        {"dram.bandwidth": 4.0, "levels.unified_buffer.read_bandwidth": 1.0, "levels.accumulators.write_bandwidth": 2.0},
    ],
)
def test_limited_bandwidth_never_below_the_analytical_bound(random_mappings, limits):
    arch = derive(load_architecture("tpu_like"), {"pe_array.rows": 4, "pe_array.cols": 4, **limits})
    cascade = library.gemm(M=16, N=8, K=16)
    problem = build_problem(cascade.einsums[0], cascade.shapes, arch)
    stalled = 0
    for mapping in random_mappings(problem, 10, seed=len(limits)):
        sim, ana = _pair(arch, cascade, mapping)
        bound = ana.cycles("compute") + ana.cycles("bandwidth_stall")  # max(compute, every level's bandwidth)
        assert sim.total_cycles >= bound, mapping
        stalled += ana.cycles("bandwidth_stall") > 0
    assert stalled  # the case is really bandwidth-bound somewhere


def _ample(name, changes):
    """``name`` derived with ``changes``, every bandwidth ample and every latency zero (two-port levels)."""
    base = load_architecture(name)
    ample = {"dram.bandwidth": 1e6, "dram.latency": 0}
    for lvl in base.levels:
        ample.update({f"levels.{lvl.name}.{k}": v for k, v in
                      (("read_bandwidth", 1e6), ("write_bandwidth", 1e6), ("latency", 0), ("ports", 2))})
    return derive(base, {**changes, **ample})


@pytest.mark.parametrize("dataflow, rf_capacity", [
    ("weight_stationary", None), ("weight_stationary", 2), ("input_stationary", None), ("input_stationary", 2),
    ("output_stationary", None), ("output_stationary", 8),
])
def test_total_cycles_equal_with_ample_bandwidth(make_arch, make_mapping, dataflow, rf_capacity):
    """SCALE-Sim 3's per-fold timing (preload once when double-buffered), first load, last store."""
    arch = make_arch(4, 4, dataflow, rf_capacity=rf_capacity)
    cascade = library.gemm(M=8, N=8, K=8)
    streamed, rows, cols = {"weight_stationary": ("m", "k", "n"), "input_stationary": ("n", "k", "m"),
                            "output_stationary": ("k", "m", "n")}[dataflow]
    mapping = make_mapping(cascade, arch, rf={streamed: 8}, spatial_rows={rows: 4}, spatial_cols={cols: 4},
                           outer={rows: 2, cols: 2})
    sim, ana = _pair(arch, cascade, mapping)
    # no latencies: fill/drain is the folds' overhead alone, the first load and last store are bursts
    assert sim.cycles("fill_drain") == ana.cycles("fill_drain")
    assert sim.cycles("bandwidth_stall") == ana.cycles("bandwidth_stall") == 2 + 1
    assert sim.total_cycles == ana.total_cycles
    if (dataflow, rf_capacity) == ("weight_stationary", None):
        assert sim.total_cycles == 75  # 2 (first load) + 4 folds x (2*4 + 4 + 8 - 2) + 1 (last store)


@pytest.mark.parametrize("dataflow, rf_capacity, expected", [
    ("weight_stationary", None, 10 + 3 * 12 + 8), ("weight_stationary", 2, 10 + 3 * 8 + 8),
    ("input_stationary", None, 10 + 3 * 12 + 8), ("input_stationary", 2, 10 + 3 * 8 + 8),
    ("output_stationary", None, 6 + 3 * 12 + 8), ("output_stationary", 8, 6 + 3 * 8 + 8),
])
def test_total_cycles_equal_under_fold_pipelining(make_arch, make_mapping, dataflow, rf_capacity, expected):
    """Fold pipelining: fill once, ``II = T + L`` between folds (``max(T, L)`` double-buffered), last stream once."""
    arch = make_arch(4, 4, dataflow, rf_capacity=rf_capacity, fold_pipelining=True)
    cascade = library.gemm(M=8, N=8, K=8)
    streamed, rows, cols = {"weight_stationary": ("m", "k", "n"), "input_stationary": ("n", "k", "m"),
                            "output_stationary": ("k", "m", "n")}[dataflow]
    mapping = make_mapping(cascade, arch, rf={streamed: 8}, spatial_rows={rows: 4}, spatial_cols={cols: 4},
                           outer={rows: 2, cols: 2})
    sim, ana = _pair(arch, cascade, mapping)
    assert sim.cycles("compute") == ana.cycles("compute") == 4 * 8
    assert sim.cycles("fill_drain") == ana.cycles("fill_drain") == expected - 4 * 8
    assert sim.total_cycles == ana.total_cycles == expected + 3


def test_total_cycles_equal_with_dram_latency_hidden_by_the_steps(make_arch, make_mapping):
    """A DRAM latency shorter than a tile step is paid once on the first load and once on the last store."""
    arch = make_arch(4, 4, "weight_stationary", dram_latency=5, level_latency=2)
    cascade = library.gemm(M=8, N=8, K=8)
    mapping = make_mapping(cascade, arch, rf={"m": 8}, spatial_rows={"k": 4}, spatial_cols={"n": 4}, outer={"k": 2, "n": 2})
    sim, ana = _pair(arch, cascade, mapping)
    assert sim.total_cycles == ana.total_cycles == 75 + 5 + 2


@pytest.mark.parametrize("name, changes, workload", CASES)
def test_total_cycles_equal_with_ample_bandwidth_random_mappings(random_mappings, name, changes, workload):
    arch = _ample(name, changes)
    cascade = workload()
    problem = build_problem(cascade.einsums[0], cascade.shapes, arch)
    for mapping in random_mappings(problem, 12, seed=11):
        sim, ana = _pair(arch, cascade, mapping)
        assert sim.total_cycles == ana.total_cycles, mapping


@pytest.mark.parametrize("name, changes, workload", CASES + [
    ("fusemax_like", {"pe_array.rows": 4, "pe_array.cols": 4}, lambda: library.gemm(M=8, N=16, K=8)),  # flexible dataflow
])
def test_total_cycles_equal_under_fold_pipelining_random_mappings(random_mappings, name, changes, workload):
    arch = _ample(name, {**changes, "pe_array.fold_pipelining": True})
    cascade = workload()
    problem = build_problem(cascade.einsums[0], cascade.shapes, arch)
    assert problem.fold_pipelining == (problem.unit == "pe_array")  # the vector unit keeps its own timing
    off = _ample(name, {**changes, "pe_array.fold_pipelining": False})
    faster = 0
    for mapping in random_mappings(problem, 8, seed=13):
        sim, ana = _pair(arch, cascade, mapping)
        assert sim.total_cycles == ana.total_cycles, mapping
        base = _pair(off, cascade, mapping)[0]
        assert sim.total_cycles <= base.total_cycles, mapping  # never slower than per-fold timing
        faster += sim.total_cycles < base.total_cycles
    assert faster or problem.unit == "vector"

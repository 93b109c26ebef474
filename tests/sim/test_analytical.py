"""Latency, energy and utilization of the analytical model against closed forms, and the batch API."""

from __future__ import annotations

import math

import numpy as np
import pytest

import accel
import dataflow
from mapping import Mapping, MappingError, build_problem
from sim.analytical import MappingBatch, cost_model, evaluate, evaluate_batch

EDGE = accel.load_architecture("edge")
AMPLE = accel.derive(EDGE, {
    "dram.bandwidth": 1e6, "levels[0].read_bandwidth": 1e6, "levels[0].write_bandwidth": 1e6,
    "levels[1].read_bandwidth": 1e6, "levels[1].write_bandwidth": 1e6,
})
RANKS = ("m", "n", "k")
LEVELS = ("rf", "scratchpad", "l2", "dram")


def _gemm(m, n, k):
    c = dataflow.library.build("gemm", M=m, N=n, K=k)
    return c, c.einsums[0]


def _mapping(temporal, rows, cols, orders=None):
    return Mapping("Z", RANKS, LEVELS, temporal, orders or (RANKS,) * 4, rows, cols)


def test_ample_bandwidth_latency_is_compute_plus_fill_drain():
    c, e = _gemm(32, 16, 16)
    m = _mapping(((1, 1, 16), (1, 1, 1), (2, 1, 1), (1, 1, 1)), (16, 1, 1), (1, 16, 1))
    r = evaluate(e, c.shapes, AMPLE, m)
    compute = 2 * 16  # temporal iterations per PE
    folds = 2  # iterations of the loops above the array
    # output stationary: skew R - 1 + C - 1 per fold, no drain of its own (outputs leave under the next skew)
    fold_overhead = folds * (16 - 1 + 16 - 1)
    # A and B: DRAM latency, bus bursts one after the other (81, 82), then l2 latency + burst into scratchpad
    first_load = max(80 + 1 + 4 + 1, 80 + 2 + 4 + 1)
    last_store = 4 + 1  # Z: l2 latency + burst to DRAM
    assert dict(r.cycles_by_cause)["compute"] == compute
    assert r.cycles("fill_drain") == fold_overhead + (80 + 4) + 4  # the latencies
    assert r.cycles("bandwidth_stall") == 3 + 1  # the first load's and the last store's bursts
    assert r.total_cycles == compute + fold_overhead + first_load + last_store == 184
    assert r.utilization == pytest.approx(32 * 16 * 16 / (256 * r.total_cycles))


def test_dram_bound_latency_and_stall_attribution():
    c, e = _gemm(16, 16, 16)
    slow = accel.derive(AMPLE, {"dram.bandwidth": 2})
    m = _mapping(((1, 1, 16), (1, 1, 1), (1, 1, 1), (1, 1, 1)), (16, 1, 1), (1, 16, 1))
    r = evaluate(e, c.shapes, slow, m)
    dram_bytes = 16 * 16 * (1 + 1) + 16 * 16 * 4  # A and B once (int8), Z written once (int32)
    assert r.access("dram", "Z").writes == 256 and r.access("dram", "A").reads == 256
    # the tiles are the whole tensors here: the first load (A then B over the 2 B/cycle bus, then B's
    # one-cycle hop into the scratchpad) and the last store (Z) cannot overlap compute
    first_load, last_store = 2 * (256 // 2) + 1, 1024 // 2
    stall = max(16 + first_load + last_store, dram_bytes / 2) - 16
    assert stall == 769
    assert dict(r.cycles_by_cause)["bandwidth_stall.dram"] == pytest.approx(stall)
    assert r.total_cycles == pytest.approx(16 + stall + r.cycles("fill_drain"))


def test_padding_counts_idle_pes_and_real_work():
    c, e = _gemm(14, 16, 16)  # m = 14 padded to 16 rows
    m = _mapping(((1, 1, 16), (1, 1, 1), (1, 1, 1), (1, 1, 1)), (16, 1, 1), (1, 16, 1))
    r = evaluate(e, c.shapes, AMPLE, m)
    assert m.padded_sizes == (16, 16, 16)
    assert r.macs == 14 * 16 * 16
    assert dict(r.cycles_by_cause)["compute"] == 16  # the padded rows still take their cycles
    mac = next(x for x in r.energy if x.component == "mac")
    assert mac.count == 14 * 16 * 16
    # tiles are clipped to the real tensor: A is read from dram once
    assert r.access("dram", "A").reads == 14 * 16


def test_energy_is_traceable_sum_of_count_times_energy():
    c, e = _gemm(16, 16, 16)
    m = _mapping(((1, 2, 4), (1, 1, 2), (2, 1, 2), (1, 1, 1)), (8, 1, 1), (1, 8, 1))
    r = evaluate(e, c.shapes, EDGE, m)
    assert r.energy_pj == pytest.approx(sum(x.count * x.pj_per_action for x in r.energy))
    table = accel.energy_table(EDGE)
    for x in r.energy:
        key = "mac" if x.component == "mac" else f"{x.component}.{x.action}"
        assert x.pj_per_action == pytest.approx(table[key]) and x.source
    # dram energy is per byte: count equals bytes moved
    dram_bytes = sum(a.reads + a.writes for a in r.accesses if a.level == "dram" and a.tensor in "AB") + 4 * r.access("dram", "Z").writes
    assert sum(x.count for x in r.energy if x.component == "dram") == pytest.approx(dram_bytes)


def test_batch_scores_match_single_evaluations_and_flag_illegal_mappings():
    c, e = _gemm(16, 16, 16)
    good = _mapping(((1, 2, 4), (1, 1, 2), (2, 1, 2), (1, 1, 1)), (8, 1, 1), (1, 8, 1))
    other = _mapping(((1, 1, 16), (1, 1, 1), (2, 1, 1), (1, 1, 1)), (8, 1, 1), (1, 16, 1), (RANKS, ("k", "n", "m"), RANKS, RANKS))
    too_big = _mapping(((8, 8, 1), (1, 1, 1), (2, 2, 16), (1, 1, 1)), (1, 1, 1), (1, 1, 1))
    res = evaluate_batch(e, c.shapes, EDGE, MappingBatch.from_mappings([good, other, too_big]))
    assert res.valid.tolist() == [True, True, False]
    for i, m in enumerate((good, other)):
        r = evaluate(e, c.shapes, EDGE, m)
        assert res.cycles[i] == pytest.approx(r.total_cycles)
        assert res.energy_pj[i] == pytest.approx(r.energy_pj)
    assert math.isinf(res.objective("edp")[2])
    with pytest.raises(MappingError, match=r"does not fit level 'rf' of 'edge'"):
        evaluate(e, c.shapes, EDGE, too_big)


def test_batch_shape_errors():
    with pytest.raises(ValueError, match=r"MappingBatch.orders must have shape \(1, 4, 3\), not \(1, 4, 2\)"):
        MappingBatch(np.ones((1, 4, 3)), np.ones((1, 3)), np.ones((1, 3)), np.zeros((1, 4, 2)))
    with pytest.raises(ValueError, match=r"orders must hold a permutation"):
        MappingBatch(np.ones((1, 4, 3)), np.ones((1, 3)), np.ones((1, 3)), np.zeros((1, 4, 3)))
    c, e = _gemm(4, 4, 4)
    model = cost_model(e, c.shapes, EDGE)
    batch = MappingBatch(np.ones((1, 3, 3)), np.ones((1, 3)), np.ones((1, 3)), np.tile(np.arange(3), (1, 3, 1)))
    with pytest.raises(ValueError, match=r"batch has 3 levels x 3 ranks, but Einsum 'Z' on 'edge' has 4 levels x 3 ranks"):
        model.score(batch)


def test_vector_unit_einsum_costs_ops_on_lanes():
    cascade = dataflow.library.build("attention_3pass", M=16, P=16, E=8, F=8)
    arch = accel.load_architecture("fusemax_like")
    e = cascade.einsum("SN")  # exp(QK - GM): 2 ops per point
    p = build_problem(e, cascade.shapes, arch)
    assert p.unit == "vector" and p.rows == 256 and p.cols == 1 and p.ops_per_point == 2
    ranks = p.ranks
    ones = (1,) * len(ranks)
    m = Mapping("SN", ranks, p.level_names, (ones, ones, tuple(16 if r == "m" else 1 for r in ranks)),
                (ranks,) * 3, tuple(16 if r == "p" else 1 for r in ranks), ones, unit="vector")
    r = evaluate(e, cascade.shapes, arch, m)
    assert dict(r.cycles_by_cause)["compute"] == 16 * 2
    assert r.ops == 2 * 16 * 16 and r.macs == 0
    assert {x.component for x in r.energy} >= {"vector", "dram"}


def test_pipeline_and_cost_model_check_their_arguments():
    from sim.analytical import CostModel, Pipeline, action_energies

    c, e = _gemm(8, 8, 8)
    problem = build_problem(e, c.shapes, EDGE)
    with pytest.raises(ValueError, match=r"banks must give a positive integer per storage level \(4\), not \(1, 8\)"):
        Pipeline(problem, "output_stationary", (1, 8))
    with pytest.raises(ValueError, match=r"dma_channels must be a positive integer, not 0"):
        Pipeline(problem, "output_stationary", (1, 8, 4, 1), dma_channels=0)
    with pytest.raises(TypeError, match=r"pipeline must be a Pipeline of Einsum 'Z', not None"):
        CostModel(problem, action_energies(EDGE), None)

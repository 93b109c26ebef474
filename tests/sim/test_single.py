"""The one-mapping path of the analytical model (what ``report_for`` prices) against the batch path, bit for bit.

``score_one`` is the batch model's closed form over Python floats; on seeded random layers (architectures with
banks, single ports, latencies, fold pipelining, a bus, two on-chip levels; GEMMs, strided and depthwise
convolutions, vector-unit Einsums; perfect and padded tilings; with and without a cascade schedule's residency)
every count and cycle must equal the batch's for the same mapping, down to the last bit.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

import accel
from accel import DRAM, Architecture, ArithmeticUnit, MemoryLevel, PEArray, RegisterFile
from dataflow import library
from mapping import Mapping, MappingError, build_problem, check_mapping
from memory import Residency
from sim.analytical import MappingBatch, cost_model, report_for
from sim.analytical._pipeline import BATCH, SCALAR
from sim.analytical._single import fsum_like_numpy, score_one

SEED = 20261202
FIELDS = ("cycles", "compute_cycles", "fill_drain_cycles", "bandwidth_cycles", "reads", "writes", "fills", "drains",
          "noc_hops", "spatial_utilization", "spad_reads", "spad_writes")


def _systolic(rows, cols, dataflow, *, banks=1, ports=2, latency=0, dram_latency=0, pipelining=False,
              network="systolic", depth=1, two_levels=False, rf_capacity=None, bandwidth=1e6):
    holds = {"weight_stationary": "weight", "input_stationary": "input", "output_stationary": "output"}.get(dataflow, "any")
    levels = (MemoryLevel("buf", 1 << 30, 64, bandwidth, bandwidth * 0.75, ports=ports, banks=banks, latency=latency),)
    if two_levels:
        levels = (MemoryLevel("l1", 4096, 32, bandwidth / 3, bandwidth / 7, ports=1, banks=3, latency=2,
                              holds=("input", "weight")),) + levels
    return Architecture(
        name=f"s{rows}x{cols}_{dataflow}_{banks}{ports}{two_levels}{network}", clock_mhz=1000.0, technology_nm=45.0,
        pe_array=PEArray(rows, cols, network=network, hop_latency=1 if network == "systolic" else 2, dataflow=dataflow,
                         fold_pipelining=pipelining),
        register_file=RegisterFile(rf_capacity or (4 if holds == "output" else 1), 8, (holds,)), levels=levels,
        dram=DRAM(bandwidth / 5, dram_latency), arith=ArithmeticUnit("int8_mac", "int8", "int32", pipeline_depth=depth))


def _architectures():
    out = [accel.load_architecture(name) for name in ("edge", "eyeriss_like", "fusemax_like", "tpu_like")]
    for df in ("weight_stationary", "input_stationary", "output_stationary", "flexible", "row_stationary"):
        out.append(_systolic(4, 4, df))
        out.append(_systolic(8, 4, df, banks=4, ports=1, pipelining=True, dram_latency=30, latency=3, rf_capacity=64))
        out.append(_systolic(4, 8, df, network="broadcast", depth=3, banks=2, two_levels=True, rf_capacity=16))
        out.append(_systolic(16, 16, df, pipelining=True, rf_capacity=2, two_levels=True, bandwidth=37.0))
    return out


def _cascades():
    return [library.gemm(M=24, N=12, K=18), library.conv2d(C=4, K=6, H=9, W=9, R=3, S=3, stride=2),
            library.depthwise_conv2d(C=4, H=8, W=8), library.attention(variant=3, M=16, P=8, E=8, F=8, M0=4)]


def _divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


def _random_mapping(problem, rng, padded):
    """Random factors per level and array axis (any factor up to what is left when ``padded``), random orders."""
    ranks, levels = problem.ranks, problem.level_names
    temporal = [[1] * len(ranks) for _ in levels]
    rows, cols = [1] * len(ranks), [1] * len(ranks)

    def pick(rest, limit=None):
        choices = range(1, rest + 1) if padded else _divisors(rest)
        return rng.choice([d for d in choices if limit is None or d <= limit])

    for r, size in enumerate(problem.sizes):
        rest = size
        if problem.row_allowed[r] and rng.random() < 0.6:
            rows[r] = pick(rest, problem.rows // math.prod(rows))
            rest = -(-rest // rows[r])
        if problem.col_allowed[r] and rng.random() < 0.6:
            cols[r] = pick(rest, problem.cols // math.prod(cols))
            rest = -(-rest // cols[r])
        for li in range(len(levels) - 1):
            temporal[li][r] = pick(rest)
            rest = -(-rest // temporal[li][r])
        temporal[-1][r] = rest
    orders = [tuple(rng.sample(ranks, len(ranks))) for _ in levels]
    return Mapping(problem.einsum, ranks, levels, temporal, orders, rows, cols, problem.unit)


def _cases():
    """(label, model, legal mappings) over every architecture, Einsum and residency; seeded."""
    rng = random.Random(SEED)
    for arch in _architectures():
        for cascade in _cascades():
            weights = tuple(cascade.weights) or None
            for einsum in cascade.einsums:
                problem = build_problem(einsum, cascade.shapes, arch, weights)
                names = [t.name for t in problem.tensors]
                residencies = [
                    None,
                    Residency(resident=frozenset(n for n, t in zip(names, problem.tensors) if t.role != "output")),
                    Residency(loaded=frozenset(n for n in names if rng.random() < 0.5),
                              stored=frozenset(n for n in names if rng.random() < 0.5)),
                ]
                mappings = []
                for k in range(40):
                    m = _random_mapping(problem, rng, padded=k % 3 == 2)
                    try:
                        check_mapping(problem, m)
                    except MappingError:
                        continue
                    mappings.append(m)
                    if len(mappings) == 4:
                        break
                for res in residencies:
                    model = cost_model(einsum, cascade.shapes, arch, weights, residency=res, problem=problem)
                    yield f"{arch.name}/{einsum.name}/{res}", model, mappings


def _bits(x):
    """Nested floats as their exact bit patterns (so 0.0 and -0.0, or two NaNs, are told apart or matched exactly)."""
    if isinstance(x, (tuple, list, np.ndarray)):
        return [_bits(v) for v in x]
    return float(x).hex()


def test_one_mapping_equals_the_batch_bit_for_bit_on_random_layers():
    compared = 0
    for label, model, mappings in _cases():
        if not mappings:
            continue
        batch = model.score(MappingBatch.from_mappings(mappings))
        for i, m in enumerate(mappings):
            one = score_one(model, m)
            for name in FIELDS:
                assert _bits(getattr(one, name)) == _bits(getattr(batch, name)[i]), (label, m, name)
            compared += 1
    assert compared > 1000  # the seeded set really exercises the model


def test_report_is_priced_from_the_one_mapping_path():
    cascade = library.gemm(M=24, N=12, K=18)
    arch = _systolic(8, 4, "weight_stationary", banks=4, ports=1, latency=3, dram_latency=30, rf_capacity=64)
    einsum = cascade.einsums[0]
    model = cost_model(einsum, cascade.shapes, arch)
    m = next(x for x in (_random_mapping(model.problem, random.Random(s), False) for s in range(100))
             if not _illegal(model.problem, x))
    one, report = score_one(model, m), report_for(model, m)
    batch = model.score(MappingBatch.from_mappings([m]))
    assert report.total_cycles == one.cycles == batch.cycles[0]
    assert report.cycles("compute") == one.compute_cycles and report.cycles("fill_drain") == one.fill_drain_cycles
    assert report.energy_pj == pytest.approx(float(batch.energy_pj[0]), rel=1e-12)
    for i, level in enumerate(model.problem.level_names):
        for j, t in enumerate(model.problem.tensors):
            a = report.access(level, t.name)
            assert (a.reads, a.writes, a.fills, a.drains) == (one.reads[i][j], one.writes[i][j], one.fills[i][j],
                                                               one.drains[i][j])


def _illegal(problem, m):
    try:
        check_mapping(problem, m)
    except MappingError:
        return True
    return False


def test_numpy_order_sums_and_scalar_arithmetic():
    rng = random.Random(SEED)
    for n in range(1, 40):
        values = [rng.uniform(-1, 1) * 10 ** rng.randint(-6, 6) for _ in range(n)]
        assert fsum_like_numpy(values).hex() == float(np.array(values)[None, None, :].sum(axis=2)[0, 0]).hex(), n
    for x in (0.0, -0.0, 0.5, -0.5, 3.0, 2.0 ** 60 + 0.0, math.inf, -math.inf):
        assert SCALAR.ceil(x) == float(BATCH.ceil(np.float64(x))), x
    assert math.isnan(SCALAR.ceil(math.nan))


def test_plain_float_edges_and_fold_overhead_equal_the_generic_closed_form():
    rng = random.Random(SEED)
    compared = 0
    for label, model, mappings in _cases():
        pipe, p = model.pipeline, model.problem
        for m in mappings:
            nbytes = [{L: float(rng.randint(1, 5000)) for L in pipe.held[ti]} for ti in range(len(p.tensors))]
            assert _bits(pipe.edges_one(nbytes)) == _bits(pipe.edges(nbytes, 1, SCALAR)), label
            T0 = [float(f) for f in m.temporal[0]]
            folds = float(math.prod(f for row in m.temporal[1:] for f in row))
            tiles = [float(t.footprint(m.temporal[0])) if p.storage[0].holds[ti] else None for ti, t in enumerate(p.tensors)]
            assert pipe.fold_overhead_one(T0, folds, tiles).hex() == pipe.fold_overhead_one(T0, folds).hex(), label
            compared += 1
    assert compared > 1000

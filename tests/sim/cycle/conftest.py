"""Small architectures and GEMM mappings shared by the cycle-simulator tests (as fixtures)."""

from __future__ import annotations

import pytest

from accel import DRAM, Architecture, ArithmeticUnit, MemoryLevel, PEArray, RegisterFile
from mapping import Mapping, build_problem

AMPLE = 1_000_000.0


def systolic(
    rows: int,
    cols: int,
    dataflow: str = "weight_stationary",
    *,
    rf_holds: str | None = None,
    rf_capacity: int | None = None,
    bandwidth: float = AMPLE,
    dram_latency: int = 0,
    level_latency: int = 0,
    capacity: int = 1 << 30,
    ports: int = 2,
    banks: int = 1,
    fold_pipelining: bool = False,
    network: str = "systolic",
    pipeline_depth: int = 1,
) -> Architecture:
    """An ``rows x cols`` array (systolic unless ``network`` says), one on-chip level ``buf`` holding everything, and DRAM."""
    holds = rf_holds or {"weight_stationary": "weight", "input_stationary": "input", "output_stationary": "output"}[dataflow]
    if rf_capacity is None:
        rf_capacity = 4 if holds == "output" else 1  # one element: no second buffer
    return Architecture(
        name=f"sys{rows}x{cols}",
        clock_mhz=1000.0,
        technology_nm=45.0,
        pe_array=PEArray(rows, cols, network=network, hop_latency=1, dataflow=dataflow, fold_pipelining=fold_pipelining),
        register_file=RegisterFile(rf_capacity, 8, (holds,)),
        levels=(MemoryLevel("buf", capacity, 64, bandwidth, bandwidth, ports=ports, banks=banks, latency=level_latency),),
        dram=DRAM(bandwidth, dram_latency),
        arith=ArithmeticUnit("int8_mac", "int8", "int32", pipeline_depth=pipeline_depth),
    )


def gemm_mapping(cascade, arch, *, rf=None, spatial_rows=None, spatial_cols=None, outer=None, buf=None, order=None):
    """A mapping of ``Z[m,n] = A[m,k] * B[k,n]`` from per-level factor dicts (missing ranks get 1)."""
    einsum = cascade.einsums[0]
    problem = build_problem(einsum, cascade.shapes, arch)
    ranks = problem.ranks

    def vec(d):
        return tuple((d or {}).get(r, 1) for r in ranks)

    levels = problem.level_names
    temporal = [vec(rf)] + [vec(buf if lv == "buf" else None) for lv in levels[1:-1]] + [vec(outer)]
    orders = [tuple(order or ranks)] * len(levels)
    return Mapping(einsum.name, ranks, levels, temporal, orders, vec(spatial_rows), vec(spatial_cols))


@pytest.fixture
def make_arch():
    """:func:`systolic`, as a fixture (test modules cannot import this file by name)."""
    return systolic


@pytest.fixture
def make_mapping():
    """:func:`gemm_mapping`, as a fixture."""
    return gemm_mapping


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def random_mapping(problem, rng):
    """A random perfect-tiling mapping of ``problem`` (seeded ``rng``), or None when it breaks a capacity."""
    import math

    from mapping import MappingError, check_mapping

    ranks, levels = problem.ranks, problem.level_names
    temporal = [[1] * len(ranks) for _ in levels]
    rows, cols = [1] * len(ranks), [1] * len(ranks)
    for r, size in enumerate(problem.sizes):
        rest = size
        if problem.row_allowed[r] and math.prod(rows) == 1 and rng.random() < 0.5:
            rows[r] = rng.choice([d for d in _divisors(rest) if d <= problem.rows])
            rest //= rows[r]
        if problem.col_allowed[r] and math.prod(cols) == 1 and rng.random() < 0.5:
            cols[r] = rng.choice([d for d in _divisors(rest) if d <= problem.cols])
            rest //= cols[r]
        for li in range(len(levels) - 1):
            temporal[li][r] = rng.choice(_divisors(rest))
            rest //= temporal[li][r]
        temporal[-1][r] = rest
    orders = [tuple(rng.sample(ranks, len(ranks))) for _ in levels]
    m = Mapping(problem.einsum, ranks, levels, temporal, orders, rows, cols, problem.unit)
    try:
        check_mapping(problem, m)
    except MappingError:
        return None
    return m


@pytest.fixture
def random_mappings():
    """``random_mappings(problem, count, seed)``: that many legal random mappings."""
    import random

    def make(problem, count, seed):
        rng = random.Random(seed)
        out = []
        for _ in range(count * 50):
            m = random_mapping(problem, rng)
            if m is not None:
                out.append(m)
                if len(out) == count:
                    break
        assert len(out) == count, "too few legal random mappings"
        return out

    return make

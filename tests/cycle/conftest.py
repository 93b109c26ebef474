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
) -> Architecture:
    """An ``rows x cols`` systolic array, one on-chip level ``buf`` holding everything, and DRAM."""
    holds = rf_holds or {"weight_stationary": "weight", "input_stationary": "input", "output_stationary": "output"}[dataflow]
    if rf_capacity is None:
        rf_capacity = 4 if holds == "output" else 1  # one element: no second buffer
    return Architecture(
        name=f"sys{rows}x{cols}",
        clock_mhz=1000.0,
        technology_nm=45.0,
        pe_array=PEArray(rows, cols, network="systolic", hop_latency=1, dataflow=dataflow),
        register_file=RegisterFile(rf_capacity, 8, (holds,)),
        levels=(MemoryLevel("buf", capacity, 64, bandwidth, bandwidth, ports=ports, banks=banks, latency=level_latency),),
        dram=DRAM(bandwidth, dram_latency),
        arith=ArithmeticUnit("int8_mac", "int8", "int32"),
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

"""cocotb 2.x benches on Icarus Verilog, launched through cocotb's Python runner.

Every unit has cocotb coverage; every 8-bit x 8-bit unit is checked on all
65,536 operand pairs (``slow``); MACs, PEs and arrays on seeded random
streams with specials, idle cycles and (arrays) backpressure.
"""

from __future__ import annotations

import shutil

import pytest

from rtl.bench import ICARUS_INSTALL, require_icarus, run_bench
from rtl.bench._tb import check_equal
from rtl.hdl import HDLParamError, ToolMissingError

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason=f"Icarus Verilog is not installed: {ICARUS_INSTALL}")


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    return tmp_path_factory.mktemp("cocotb")


def _check(result):
    log = result.log.read_text() if result.log.exists() else ""
    assert result.passed, f"{result.unit} {dict(result.params)} seed={result.seed}: {result.failed} failed\n{log[-3000:]}"
    assert "match the golden model" in log


EXHAUSTIVE = [
    ("fp8_mul", {"fmt": "e4m3"}),
    ("fp8_mul", {"fmt": "e5m2"}),
    ("lmul", {"fmt": "e4m3"}),
    ("lmul", {"fmt": "e5m2"}),
    ("int8_mac", {"acc_bits": 32}),
    ("fp8_mac", {"fmt": "e4m3", "accumulator": "fp32"}),
    ("lmul_mac", {"fmt": "e4m3", "accumulator": "fp32"}),
]


# The deepest pipeline of every MAC (every cut register in use), on all 65,536 operand pairs; the depths
# between run on random streams here and exhaustively in `make bench` (benchmarks/rtl.py).
EXHAUSTIVE += [
    ("int8_mac", {"acc_bits": 32, "depth": 3}),
    ("fp8_mac", {"fmt": "e5m2", "accumulator": "fp16", "depth": 4}),
    ("lmul_mac", {"fmt": "e4m3", "accumulator": "fp32", "depth": 4}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("unit", "params"), EXHAUSTIVE, ids=[f"{u}-{'-'.join(map(str, p.values()))}" for u, p in EXHAUSTIVE])
def test_exhaustive_operand_pairs(build_root, unit, params):
    _check(run_bench(unit, params, build_root=build_root, mode="exhaustive", seed=2026))


RANDOM = [
    ("fp8_mul", {"fmt": "e5m2", "registered": True}, 2000),
    ("lmul", {"fmt": "bf16", "saturate": True}, 4000),
    ("int8_mac", {"acc_bits": 16, "overflow": "saturate"}, 1500),
    ("fp8_mac", {"fmt": "e4m3", "accumulator": "bf16"}, 1500),
    ("fp8_mac", {"fmt": "e5m2", "accumulator": "fixed", "width": 32, "frac_bits": 20, "overflow": "saturate"}, 1500),
    ("lmul_mac", {"fmt": "e5m2", "accumulator": "fp16"}, 2000),
    ("lmul_mac", {"fmt": "e4m3", "accumulator": "fixed", "width": 16, "frac_bits": 6}, 2000),
    ("pe", {"kind": "fp8", "dataflow": "output_stationary", "accumulator": "fp16"}, 1500),
    ("pe", {"kind": "lmul", "dataflow": "weight_stationary", "fmt": "e5m2"}, 1500),
    ("array", {"kind": "fp8", "rows": 3, "cols": 2, "dataflow": "output_stationary"}, 6),
    ("array", {"kind": "int8", "rows": 2, "cols": 3, "dataflow": "weight_stationary"}, 6),
    ("array", {"kind": "lmul", "rows": 2, "cols": 2, "dataflow": "weight_stationary", "accumulator": "fp16"}, 6),
    ("array", {"kind": "fp8", "fmt": "e5m2", "rows": 1, "cols": 3, "dataflow": "output_stationary",
               "accumulator": "fixed", "width": 24, "frac_bits": 16}, 6),
    # Pipelined MACs: every depth the generator builds, in the units, the PEs and the arrays.
    ("int8_mac", {"acc_bits": 32, "depth": 3}, 1500),
    ("lmul_mac", {"fmt": "e5m2", "accumulator": "fixed", "width": 24, "frac_bits": 12, "depth": 4}, 1500),
    ("pe", {"kind": "fp8", "dataflow": "output_stationary", "depth": 3}, 1500),
    ("pe", {"kind": "lmul", "dataflow": "weight_stationary", "accumulator": "bf16", "depth": 4}, 1500),
    ("array", {"kind": "int8", "rows": 3, "cols": 2, "dataflow": "output_stationary", "depth": 3}, 6),
    ("array", {"kind": "fp8", "rows": 2, "cols": 3, "dataflow": "weight_stationary", "depth": 4}, 6),
]


@pytest.mark.parametrize(("unit", "params", "count"), RANDOM, ids=[f"{u}-{'-'.join(map(str, p.values()))}" for u, p, _ in RANDOM])
def test_random_streams(build_root, unit, params, count):
    _check(run_bench(unit, params, build_root=build_root, mode="random", seed=7, count=count))


def test_bench_refuses_bad_requests(tmp_path):
    with pytest.raises(HDLParamError, match=r"exhaustive mode needs 8-bit operands, lmul\[fmt=bf16\] has 16"):
        run_bench("lmul", {"fmt": "bf16"}, build_root=tmp_path, mode="exhaustive")
    with pytest.raises(HDLParamError, match=r"mode must be one of \('random', 'exhaustive'\), not 'all'"):
        run_bench("lmul", build_root=tmp_path, mode="all")
    with pytest.raises(HDLParamError, match=r"seed must be a non-negative integer, not -1"):
        run_bench("lmul", build_root=tmp_path, seed=-1)


def test_missing_icarus_says_how_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ToolMissingError, match=r"iverilog not found on PATH .*apt-get install iverilog"):
        require_icarus()
    assert "make setup" in ICARUS_INSTALL


def test_checker_reports_mismatches():
    import logging

    import numpy as np

    log = logging.getLogger("test")
    assert check_equal(log, "x", np.array([1, 2]), np.array([1, 2]), {}) == 2
    with pytest.raises(AssertionError, match=r"x: 1 of 3 mismatches\n  #2: a=0x7: got 0x5, expected 0x6"):
        check_equal(log, "x", np.array([1, 2, 5]), np.array([1, 2, 6]), {"a": np.array([0, 0, 7])})

"""The testbench base shared by the cocotb benches: clock, reset, config, checker."""

from __future__ import annotations

import json
import os

import numpy as np

from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from rtl.hdl import build_unit

__all__ = ["TB", "check_equal"]

PERIOD_NS = 2


def check_equal(log, what: str, got: np.ndarray, expected: np.ndarray, inputs: dict[str, np.ndarray]) -> int:
    """Compare two arrays element-wise; raise AssertionError naming the first mismatches.

    Returns the number of values checked.
    """
    got = np.asarray(got, dtype=np.int64)
    expected = np.asarray(expected, dtype=np.int64)
    assert got.shape == expected.shape, f"{what}: {got.shape} values observed, {expected.shape} expected"
    bad = np.nonzero(got.reshape(-1) != expected.reshape(-1))[0]
    if bad.size:
        lines = []
        for i in bad[:8]:
            ins = ", ".join(f"{k}={int(np.asarray(v).reshape(-1)[i]):#x}" for k, v in inputs.items())
            lines.append(f"  #{i}: {ins}: got {int(got.reshape(-1)[i]):#x}, expected {int(expected.reshape(-1)[i]):#x}")
        raise AssertionError(f"{what}: {bad.size} of {got.size} mismatches\n" + "\n".join(lines))
    log.info("%s: %d values match the golden model", what, got.size)
    return int(got.size)


class TB:
    """Common roles: reads the bench config, owns the RNG, clock and reset.

    The config comes from the ``ACCEL_BENCH`` environment variable written by
    :func:`rtl.bench.run_bench`: unit, parameters, seed, mode and count. The
    unit is rebuilt from them (no HDL is elaborated, only the parameters are
    resolved) so the bench knows its arithmetic.
    """

    def __init__(self, dut) -> None:
        self.dut = dut
        cfg = json.loads(os.environ["ACCEL_BENCH"])
        self.unit = cfg["unit"]
        self.params = {k: v for k, v in cfg["params"]}
        self.seed = int(cfg["seed"])
        self.mode = cfg["mode"]
        self.count = int(cfg["count"])
        self.design = build_unit(self.unit, {k: v for k, v in self.params.items() if v is not None})
        self.rng = np.random.default_rng(self.seed)
        self.log = dut._log
        self.log.info("bench %s params=%s seed=%d mode=%s count=%d", self.unit, self.params, self.seed, self.mode, self.count)

    @property
    def has_clock(self) -> bool:
        """Whether the design has a clock (``clk``) port."""
        return hasattr(self.dut, "clk")

    def drive_zero(self, *handles) -> None:
        """Drive input ports to 0 (before reset, so no output starts as X)."""
        for handle in handles:
            handle.value = 0

    async def start(self) -> None:
        """Start the clock and apply reset for two cycles (when there is a clock)."""
        if not self.has_clock:
            return
        Clock(self.dut.clk, PERIOD_NS, unit="ns").start()
        await self.reset()

    async def reset(self) -> None:
        """Hold ``rst`` high for two cycles, then release it on a falling edge."""
        self.dut.rst.value = 1
        await FallingEdge(self.dut.clk)
        await FallingEdge(self.dut.clk)
        self.dut.rst.value = 0


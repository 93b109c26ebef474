"""cocotb bench of the multipliers (``fp8_mul``, ``lmul``): every pair, or seeded random pairs.

Driver: puts an operand pair on ``a``/``b``. Monitor: reads ``p`` (after
1 ns, or after the clock edge for a registered unit). Model:
:func:`rtl.numerics.fp8_mul` / :func:`rtl.numerics.lmul`, one vectorized call
for all pairs. Checker: :func:`check_equal`.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, Timer

from rtl import numerics
from rtl.bench._stimulus import exhaustive_pairs, operand_stream
from rtl.bench._tb import TB, check_equal


class MulTB(TB):
    """Multiplier bench: the unit's format and golden model."""

    @property
    def fmt(self):
        return self.design.component.fmt

    def model(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.unit == "fp8_mul":
            return numerics.fp8_mul(a, b, self.fmt)
        return numerics.lmul(a, b, self.fmt, saturate=bool(self.params["saturate"]))

    def stimulus(self) -> tuple[np.ndarray, np.ndarray]:
        if self.mode == "exhaustive":
            return exhaustive_pairs()
        return operand_stream(self.rng, self.count, self.fmt, cancel_rate=0.0)


@cocotb.test()
async def products(dut):
    tb = MulTB(dut)
    await tb.start()
    a, b = tb.stimulus()
    registered = bool(tb.params.get("registered"))
    got = np.zeros(a.size, dtype=np.int64)
    da, db, dp = dut.a, dut.b, dut.p
    if registered:
        clk = dut.clk
        for i in range(a.size):
            da.value = int(a[i])
            db.value = int(b[i])
            await FallingEdge(clk)
            got[i] = dp.value.to_unsigned()
    else:
        for i in range(a.size):
            da.value = int(a[i])
            db.value = int(b[i])
            await Timer(1, unit="ns")
            got[i] = dp.value.to_unsigned()
    check_equal(tb.log, f"{tb.design.label} products", got, tb.model(a, b), {"a": a, "b": b})

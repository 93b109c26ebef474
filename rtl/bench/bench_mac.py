"""cocotb bench of the MAC units (``int8_mac``, ``fp8_mac``, ``lmul_mac``).

Random mode: ``count`` cycles of seeded operands (specials and exactly
cancelling pairs mixed in), ``en`` low on random idle cycles, ``clear`` at
random sum starts. Exhaustive mode: all 65,536 operand pairs in a seeded
random order, in sums of four (``clear`` on the first), idle cycles in
between. A MAC of pipeline depth ``d`` is read ``d - 1`` cycles later. The model
(:func:`rtl.numerics.mac` / :func:`rtl.numerics.int8_mac`) gives the
accumulator after every cycle; the checker compares every cycle.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from rtl.bench._models import acc_from_bus, mac_model
from rtl.bench._stimulus import exhaustive_pairs, operand_stream
from rtl.bench._tb import TB, check_equal


class MacTB(TB):
    """MAC bench: per-cycle stimulus (driver), accumulator trace (monitor), model."""

    @property
    def spec(self):
        return self.design.arith

    def random_cycles(self):
        n = self.count
        a, b = operand_stream(self.rng, n, self.spec.fmt)
        en = (self.rng.random(n) < 0.85).astype(np.int64)
        clear = (self.rng.random(n) < 0.06).astype(np.int64)
        clear[0] = 1
        expected = np.zeros(n, dtype=np.int64)
        acc = 0
        for i in range(n):
            base = 0 if clear[i] else acc
            acc = int(mac_model(self.spec, a[i], b[i], np.int64(base))) if en[i] else base
            expected[i] = acc
        return a, b, en, clear, expected

    def exhaustive_cycles(self):
        seg = 4
        pa, pb = exhaustive_pairs()
        order = self.rng.permutation(pa.size)
        pa, pb = pa[order].reshape(-1, seg), pb[order].reshape(-1, seg)
        acc = np.zeros(pa.shape, dtype=np.int64)
        prev = np.zeros(pa.shape[0], dtype=np.int64)
        for j in range(seg):
            prev = acc[:, j] = mac_model(self.spec, pa[:, j], pb[:, j], prev)
        pa, pb, acc = pa.reshape(-1), pb.reshape(-1), acc.reshape(-1)
        n = pa.size
        idle = self.rng.random(n) < 0.08  # an idle cycle before this pair
        cycle = np.arange(n) + np.cumsum(idle)
        total = int(cycle[-1]) + 1
        a = self.rng.integers(0, 256, total, dtype=np.int64)
        b = self.rng.integers(0, 256, total, dtype=np.int64)
        en = np.zeros(total, dtype=np.int64)
        clear = np.zeros(total, dtype=np.int64)
        a[cycle], b[cycle], en[cycle] = pa, pb, 1
        clear[cycle[::seg]] = 1
        expected = np.zeros(total, dtype=np.int64)
        expected[cycle] = acc
        # An idle cycle holds the accumulator of the cycle before it.
        for i in np.nonzero(en == 0)[0]:
            expected[i] = expected[i - 1] if i else 0
        return a, b, en, clear, expected


@cocotb.test()
async def mac_trace(dut):
    tb = MacTB(dut)
    await tb.start()
    a, b, en, clear, expected = tb.exhaustive_cycles() if tb.mode == "exhaustive" else tb.random_cycles()
    # A pipelined MAC (depth d) shows cycle i's step after d edges: d - 1 idle cycles close the stream.
    tail = tb.design.param("depth") - 1
    zeros = np.zeros(tail, dtype=np.int64)
    a, b, en, clear = (np.concatenate([x, zeros]) for x in (a, b, en, clear))
    got = np.zeros(a.size, dtype=np.int64)
    clk, da, db, den, dclr, dacc = dut.clk, dut.a, dut.b, dut.en, dut.clear, dut.acc
    for i in range(a.size):
        da.value = int(a[i])
        db.value = int(b[i])
        den.value = int(en[i])
        dclr.value = int(clear[i])
        await FallingEdge(clk)
        got[i] = dacc.value.to_unsigned()
    got, a, b, en, clear = got[tail:], a[: a.size - tail], b[: b.size - tail], en[: en.size - tail], clear[: clear.size - tail]
    got = np.array([acc_from_bus(tb.spec, int(v)) for v in got], dtype=np.int64)
    check_equal(tb.log, f"{tb.design.label} accumulator trace", got, expected,
                {"a": a, "b": b, "en": en, "clear": clear})

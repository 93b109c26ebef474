"""cocotb bench of the systolic array (``array``): GEMMs through the stream ports.

Driver: sends the beats of ``count`` GEMMs of random size (output-stationary:
``K`` beats with ``first``/``last``; weight-stationary: the weight rows, then
``M`` rows of ``A``), with random idle cycles (``inp.valid`` low). Monitor:
takes output beats with random backpressure (``out.ready`` low). Model:
:func:`rtl.numerics.matmul_bits` (or the INT8 MAC) on the same matrices;
the checker compares every result word, bit for bit.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, ReadOnly

from rtl.bench._models import acc_from_bus, gemm_model
from rtl.bench._stimulus import operand_stream
from rtl.bench._tb import TB, check_equal


def _pack(values, bits: int) -> int:
    word = 0
    for i, v in enumerate(values):
        word |= (int(v) & ((1 << bits) - 1)) << (i * bits)
    return word


class ArrayTB(TB):
    """Array bench: GEMM jobs, beat driver, result monitor, model."""

    @property
    def spec(self):
        return self.design.arith

    def matrix(self, shape) -> np.ndarray:
        a, _ = operand_stream(self.rng, int(np.prod(shape)), self.spec.fmt, special_rate=0.04, cancel_rate=0.0)
        return a.reshape(shape)

    def jobs(self):
        """Per GEMM: the input beats (payload words), the expected output rows."""
        rows, cols = self.design.param("rows"), self.design.param("cols")
        op = self.spec.operand_bits
        beats, expected = [], []
        for _ in range(self.count):
            if self.design.param("dataflow") == "output_stationary":
                k = int(self.rng.integers(1, 7))
                a, b = self.matrix((rows, k)), self.matrix((k, cols))
                for t in range(k):
                    word = _pack(list(a[:, t]) + list(b[t]), op)
                    word |= (int(t == 0) | (int(t == k - 1) << 1)) << ((rows + cols) * op)
                    beats.append(word)
                expected.append(gemm_model(self.spec, a, b))
            else:
                m = int(self.rng.integers(1, 7))
                a, w = self.matrix((m, rows)), self.matrix((rows, cols))
                load_bit = 1 << ((rows + cols) * op)
                for r in range(rows - 1, -1, -1):
                    beats.append(_pack([0] * rows + list(w[r]), op) | load_bit)
                for i in range(m):
                    beats.append(_pack(list(a[i]), op))
                expected.append(gemm_model(self.spec, a, w))
        return beats, np.concatenate(expected, axis=0)


@cocotb.test()
async def gemm(dut):
    tb = ArrayTB(dut)
    tb.drive_zero(dut.inp__payload, dut.inp__valid, dut.out__ready)
    await tb.start()
    beats, expected = tb.jobs()
    cols = tb.design.param("cols")
    width = tb.spec.acc_width
    rows_out = []
    sent = 0
    limit = 50 * (len(beats) + expected.shape[0]) + 1000
    for _ in range(limit):
        await FallingEdge(dut.clk)
        # Driver: a beat or an idle cycle; monitor: ready or backpressure.
        idle = tb.rng.random() < 0.25
        if sent < len(beats) and not idle:
            dut.inp__payload.value = beats[sent]
            dut.inp__valid.value = 1
        else:
            dut.inp__valid.value = 0
        dut.out__ready.value = int(tb.rng.random() < 0.7)
        await ReadOnly()
        if int(dut.inp__valid.value) and int(dut.inp__ready.value):
            sent += 1
        if int(dut.out__valid.value) and int(dut.out__ready.value):
            word = dut.out__payload.value.to_unsigned()
            rows_out.append([acc_from_bus(tb.spec, word >> (j * width)) for j in range(cols)])
        if sent == len(beats) and len(rows_out) == expected.shape[0]:
            break
    assert len(rows_out) == expected.shape[0], (
        f"{tb.design.label}: {len(rows_out)} result rows after {limit} cycles, {expected.shape[0]} expected "
        f"({sent} of {len(beats)} beats sent)"
    )
    got = np.array(rows_out, dtype=np.int64)
    check_equal(tb.log, f"{tb.design.label} GEMM results", got, expected, {})

"""Fast unit checks in Amaranth's own simulator against the golden models (cocotb covers every unit too)."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Module, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from rtl import numerics
from rtl.bench import operand_stream
from rtl.bench._models import acc_from_bus, gemm_model, mac_model
from rtl.hdl import Fp8Multiplier, LMul, Mac, SystolicArray, arith
from rtl.hdl._arith import mac_datapath
from rtl.hdl._multiply import soft_product


def _comb(dut, a, b):
    out = []

    async def bench(ctx):
        for x, y in zip(a, b):
            ctx.set(dut.a, int(x))
            ctx.set(dut.b, int(y))
            out.append(ctx.get(dut.p))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return np.array(out, dtype=np.int64)


@pytest.mark.parametrize("fmt", ["e4m3", "e5m2"])
def test_multipliers_on_specials_and_random_pairs(fmt):
    rng = np.random.default_rng(11)
    a, b = operand_stream(rng, 1000, numerics.FORMATS[fmt], special_rate=0.3, cancel_rate=0.0)
    assert np.array_equal(_comb(Fp8Multiplier(fmt), a, b), numerics.fp8_mul(a, b, fmt))
    assert np.array_equal(_comb(LMul(fmt), a, b), numerics.lmul(a, b, fmt))


@pytest.mark.parametrize("fmt", ["bf16", "fp16", "e3m4"])
def test_lmul_wider_and_custom_formats(fmt):
    unit = LMul(fmt)
    rng = np.random.default_rng(12)
    a, b = operand_stream(rng, 500, unit.fmt, special_rate=0.3, cancel_rate=0.0)
    assert np.array_equal(_comb(unit, a, b), numerics.lmul(a, b, unit.fmt))
    sat = LMul(fmt, saturate=True)
    assert np.array_equal(_comb(sat, a, b), numerics.lmul(a, b, unit.fmt, saturate=True))


class _SoftProduct(wiring.Component):
    def __init__(self, bits, is_signed):
        self.is_signed = is_signed
        super().__init__({"a": In(bits), "b": In(bits), "p": Out(signed(2 * bits) if is_signed else 2 * bits)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.p.eq(soft_product(m, self.a, self.b, is_signed=self.is_signed, name="p"))
        return m


@pytest.mark.parametrize("bits, is_signed", [(8, True), (4, False), (3, False)])
def test_the_soft_multiplier_is_exact_on_every_pair(bits, is_signed):
    # The INT8 product and the E4M3 / E5M2 significand products, on every operand pair.
    codes = np.arange(1 << bits)
    a, b = np.repeat(codes, 1 << bits), np.tile(codes, 1 << bits)
    value = (lambda c: np.where(c >= 1 << (bits - 1), c - (1 << bits), c)) if is_signed else (lambda c: c)
    assert np.array_equal(_comb(_SoftProduct(bits, is_signed), a, b), value(a) * value(b))


def _mac_trace(spec, n, seed, soft_multiply=False):
    dut = Mac(spec, soft_multiply=soft_multiply)
    rng = np.random.default_rng(seed)
    a, b = operand_stream(rng, n, spec.fmt)
    en = rng.random(n) < 0.8
    clear = rng.random(n) < 0.05
    got = []

    async def bench(ctx):
        for i in range(n):
            ctx.set(dut.a, int(a[i]))
            ctx.set(dut.b, int(b[i]))
            ctx.set(dut.en, int(en[i]))
            ctx.set(dut.clear, int(clear[i]))
            await ctx.tick()
            got.append(acc_from_bus(spec, int(ctx.get(dut.acc))))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    acc, expected = 0, []
    for i in range(n):
        base = 0 if clear[i] else acc
        acc = int(mac_model(spec, a[i], b[i], np.int64(base))) if en[i] else base
        expected.append(acc)
    return got, expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "int8", "acc_bits": 16, "overflow": "saturate"},
        {"kind": "fp8", "fmt": "e5m2", "accumulator": "fp16"},
        {"kind": "fp8", "fmt": "e4m3", "accumulator": "bf16"},
        {"kind": "fp8", "fmt": "e4m3", "accumulator": "fixed", "width": 14, "frac_bits": 6, "overflow": "saturate"},
        {"kind": "lmul", "fmt": "e5m2", "accumulator": "fixed", "width": 24, "frac_bits": 20},
        {"kind": "lmul", "fmt": "bf16", "accumulator": "fp16"},
    ],
)
def test_mac_traces(kwargs):
    got, expected = _mac_trace(arith(**kwargs), 300, seed=21)
    assert got == expected


@pytest.mark.parametrize("kwargs", [{"kind": "int8"}, {"kind": "fp8", "fmt": "e5m2", "accumulator": "fp32"}])
def test_mac_traces_with_the_multiplier_in_gates(kwargs):
    got, expected = _mac_trace(arith(**kwargs), 300, seed=22, soft_multiply=True)
    assert got == expected


@pytest.mark.parametrize("dataflow, hard", [("output_stationary", None), ("weight_stationary", None),
                                           ("output_stationary", 2)])
def test_array_gemm_with_bubbles_and_backpressure(dataflow, hard):
    spec = arith("fp8", fmt="e4m3", accumulator="fp16")
    rows, cols, depth = 2, 3, 5
    dut = SystolicArray(spec, rows, cols, dataflow, hard_multipliers=hard)
    assert dut.hard_multipliers == (6 if hard is None else 2)
    rng = np.random.default_rng(31)
    if dataflow == "output_stationary":
        a, b = (operand_stream(rng, n, spec.fmt, cancel_rate=0)[0] for n in (rows * depth, depth * cols))
        a, b = a.reshape(rows, depth), b.reshape(depth, cols)
        beats = [{"a": list(a[:, k]), "b": list(b[k]), "first": int(k == 0), "last": int(k == depth - 1)} for k in range(depth)]
    else:
        a, b = (operand_stream(rng, n, spec.fmt, cancel_rate=0)[0] for n in (depth * rows, rows * cols))
        a, b = a.reshape(depth, rows), b.reshape(rows, cols)
        beats = [{"a": [0] * rows, "w": list(b[r]), "load": 1} for r in range(rows - 1, -1, -1)]
        beats += [{"a": list(a[m]), "w": [0] * cols, "load": 0} for m in range(depth)]
    expected = gemm_model(spec, a, b)
    outs = []

    async def driver(ctx):
        for beat in beats:
            while rng.random() < 0.3:
                ctx.set(dut.inp.valid, 0)
                await ctx.tick()
            ctx.set(dut.inp.payload, beat)
            ctx.set(dut.inp.valid, 1)
            await ctx.tick().until(dut.inp.ready)
        ctx.set(dut.inp.valid, 0)

    async def monitor(ctx):
        while len(outs) < expected.shape[0]:
            ctx.set(dut.out.ready, int(rng.random() < 0.6))
            _, _, valid, ready, payload = await ctx.tick().sample(dut.out.valid, dut.out.ready, dut.out.payload)
            if valid and ready:
                outs.append([int(v) for v in payload])

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(driver)
    sim.add_testbench(monitor)
    sim.run_until(1e-3)
    assert np.array_equal(np.array(outs), expected)


class _FusedAdd(wiring.Component):
    """The MAC datapath alone: y = c + a*b, combinational."""

    def __init__(self, spec):
        self.spec = spec
        bits = spec.operand_bits
        super().__init__({"a": In(bits), "b": In(bits), "c": In(spec.acc_width), "y": Out(spec.acc_width)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.y.eq(mac_datapath(m, self.spec, self.a, self.b, self.c, "mac"))
        return m


@pytest.mark.parametrize(
    "spec",
    [arith("fp8", fmt="e5m2", accumulator="fp32"), arith("fp8", fmt="e4m3", accumulator="fp16"), arith("lmul", fmt="e4m3", accumulator="bf16")],
    ids=lambda s: s.label,
)
def test_fused_add_near_cancellation_and_underflow(spec):
    # Accumulators a few ulps from -product (massive cancellation, exact zeros,
    # sticky bits at the rounding point) and tiny ones (subnormal results).
    rng = np.random.default_rng(41)
    n = 600
    a, b = rng.integers(0, 256, n), rng.integers(0, 256, n)
    if spec.kind == "fp8":
        prod = numerics.decode(numerics.fp8_mul(a, b, spec.fmt), numerics.FP32)
    else:
        prod = numerics.decode(numerics.lmul(a, b, spec.fmt), spec.fmt)
    prod = np.where(np.isfinite(prod), prod, 1.0)
    acc_fmt = spec.accumulator.fmt
    ulps = rng.integers(-4, 5, n) * rng.choice([1.0, 0.5, 0.25, 0.0], n) * 2.0**-acc_fmt.man_bits
    target = -prod * (1 + ulps)
    target = np.where(rng.random(n) < 0.2, target * 2.0 ** rng.integers(-30, -5, n), target)
    c = numerics.encode(target, acc_fmt, saturate=True).astype(np.int64)
    dut = _FusedAdd(spec)
    got = []

    async def bench(ctx):
        for i in range(n):
            ctx.set(dut.a, int(a[i]))
            ctx.set(dut.b, int(b[i]))
            ctx.set(dut.c, int(c[i]))
            got.append(ctx.get(dut.y))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert np.array_equal(np.array(got), mac_model(spec, a, b, c))

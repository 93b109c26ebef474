"""MAC units: a registered accumulator around one :func:`mac_datapath`."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ._arith import Arith, arith, check_depth, delay, mac_datapath

__all__ = ["Mac", "Int8Mac", "Fp8Mac", "LMulMac"]


class Mac(wiring.Component):
    """A multiply-accumulate unit with an enable interface.

    Operands with ``en`` high perform ``acc <- acc + a*b`` (the golden
    model's MAC step for ``spec``); with ``clear`` also high they start a new
    sum, ``acc <- 0 + a*b``. ``clear`` alone zeroes the accumulator and ``en``
    low holds it (idle cycles). With ``depth`` pipeline stages the step takes
    effect on the ``depth``-th clock edge after the operands are presented
    (``depth - 1`` registers in the product path, see :func:`mac_datapath`);
    a new step may start every cycle.

    Parameters
    ----------
    spec : Arith
        The arithmetic, from :func:`arith`.
    depth : int
        Pipeline stages, 1 to :func:`max_depth` (``arith.pipeline_depth`` of
        an architecture: cycles from operands to accumulated result).
    soft_multiply : bool
        Build the multiplier of gates, never a DSP block (the same bits).

    Ports
    -----
    a, b : In(spec.operand_bits)
        Operand codes (two's complement for INT8).
    en, clear : In(1)
        Enable and start-of-sum.
    acc : Out(spec.acc_width)
        The accumulator register (signed for INT8 and fixed point).

    Raises
    ------
    TypeError
        ``spec`` is not an :class:`Arith`.
    HDLParamError
        ``depth`` out of range.
    """

    def __init__(self, spec: Arith, depth: int = 1, *, soft_multiply: bool = False) -> None:
        if not isinstance(spec, Arith):
            raise TypeError(f"Mac: spec must be an Arith from rtl.hdl.arith(), not {spec!r}")
        self.spec = spec
        self.depth = check_depth(spec, depth, "Mac")
        self.soft_multiply = bool(soft_multiply)
        shape = signed(spec.acc_width) if spec.acc_signed else unsigned(spec.acc_width)
        bits = spec.operand_bits
        super().__init__({"a": In(bits), "b": In(bits), "en": In(1), "clear": In(1), "acc": Out(shape)})

    def elaborate(self, platform):
        m = Module()
        reg = Signal.like(self.acc, name="acc_reg")
        base = Signal.like(self.acc, name="base")
        en = delay(m, self.en, self.depth - 1, "en")
        clear = delay(m, self.clear, self.depth - 1, "clear")
        m.d.comb += base.eq(Mux(clear, 0, reg))
        nxt = mac_datapath(m, self.spec, self.a, self.b, base, "mac", depth=self.depth, soft=self.soft_multiply)
        with m.If(en):
            m.d.sync += reg.eq(nxt)
        with m.Elif(clear):
            m.d.sync += reg.eq(0)
        m.d.comb += self.acc.eq(reg)
        return m


class Int8Mac(Mac):
    """Signed INT8 MAC (golden model :func:`rtl.numerics.int8_mac`).

    Parameters
    ----------
    acc_bits : int
        Accumulator width, 16 to 64.
    overflow : str
        ``'wrap'`` or ``'saturate'``.

    Raises
    ------
    TypeError, HDLParamError
        As :func:`arith`.
    """

    def __init__(self, acc_bits: int = 32, overflow: str = "wrap", depth: int = 1) -> None:
        super().__init__(arith("int8", acc_bits=acc_bits, overflow=overflow), depth)


class Fp8Mac(Mac):
    """FP8 MAC: exact E4M3/E5M2 product, one rounding into the accumulator.

    Golden model :func:`rtl.numerics.fp8_mac`. Parameters as :func:`arith`
    with ``kind='fp8'``.

    Raises
    ------
    TypeError, HDLParamError
        As :func:`arith`.
    """

    def __init__(self, fmt="e4m3", accumulator="fp32", *, width=None, frac_bits=None, overflow="wrap", depth=1) -> None:
        super().__init__(
            arith("fp8", fmt=fmt, accumulator=accumulator, width=width, frac_bits=frac_bits, overflow=overflow), depth
        )


class LMulMac(Mac):
    """L-Mul MAC: an L-Mul product added into the accumulator.

    Golden model :func:`rtl.numerics.mac` with ``mul='lmul'``. Parameters as
    :func:`arith` with ``kind='lmul'``.

    Raises
    ------
    TypeError, HDLParamError
        As :func:`arith`.
    """

    def __init__(self, fmt="e4m3", accumulator="fp32", *, width=None, frac_bits=None, overflow="wrap", depth=1) -> None:
        super().__init__(
            arith("lmul", fmt=fmt, accumulator=accumulator, width=width, frac_bits=frac_bits, overflow=overflow), depth
        )

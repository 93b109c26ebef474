"""MAC units: a registered accumulator around one :func:`mac_datapath`."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ._arith import Arith, arith, mac_datapath

__all__ = ["Mac", "Int8Mac", "Fp8Mac", "LMulMac"]


class Mac(wiring.Component):
    """A multiply-accumulate unit with an enable interface.

    Every clock edge with ``en`` high performs ``acc <- acc + a*b`` (the
    golden model's MAC step for ``spec``); with ``clear`` also high it starts
    a new sum, ``acc <- 0 + a*b``. ``clear`` alone zeroes the accumulator and
    ``en`` low holds it (idle cycles).

    Parameters
    ----------
    spec : Arith
        The arithmetic, from :func:`arith`.

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
    """

    def __init__(self, spec: Arith) -> None:
        if not isinstance(spec, Arith):
            raise TypeError(f"Mac: spec must be an Arith from rtl.hdl.arith(), not {spec!r}")
        self.spec = spec
        shape = signed(spec.acc_width) if spec.acc_signed else unsigned(spec.acc_width)
        bits = spec.operand_bits
        super().__init__({"a": In(bits), "b": In(bits), "en": In(1), "clear": In(1), "acc": Out(shape)})

    def elaborate(self, platform):
        m = Module()
        reg = Signal.like(self.acc, name="acc_reg")
        base = Signal.like(self.acc, name="base")
        m.d.comb += base.eq(Mux(self.clear, 0, reg))
        nxt = mac_datapath(m, self.spec, self.a, self.b, base, "mac")
        with m.If(self.en):
            m.d.sync += reg.eq(nxt)
        with m.Elif(self.clear):
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

    def __init__(self, acc_bits: int = 32, overflow: str = "wrap") -> None:
        super().__init__(arith("int8", acc_bits=acc_bits, overflow=overflow))


class Fp8Mac(Mac):
    """FP8 MAC: exact E4M3/E5M2 product, one rounding into the accumulator.

    Golden model :func:`rtl.numerics.fp8_mac`. Parameters as :func:`arith`
    with ``kind='fp8'``.

    Raises
    ------
    TypeError, HDLParamError
        As :func:`arith`.
    """

    def __init__(self, fmt="e4m3", accumulator="fp32", *, width=None, frac_bits=None, overflow="wrap") -> None:
        super().__init__(
            arith("fp8", fmt=fmt, accumulator=accumulator, width=width, frac_bits=frac_bits, overflow=overflow)
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

    def __init__(self, fmt="e4m3", accumulator="fp32", *, width=None, frac_bits=None, overflow="wrap") -> None:
        super().__init__(
            arith("lmul", fmt=fmt, accumulator=accumulator, width=width, frac_bits=frac_bits, overflow=overflow)
        )

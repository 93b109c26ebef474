"""L-Mul unit: an approximate float multiplier made of one integer adder."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl.numerics import FloatFormat, lmul_offset

from ._floatlogic import is_nan_inf, special_code
from ._formats import lmul_format

__all__ = ["LMul", "lmul_code"]


def lmul_code(m: Module, a, b, fmt: FloatFormat, *, saturate: bool, name: str) -> Signal:
    """Build the L-Mul of two codes of ``fmt``; returns the result code.

    One adder sums the (exponent | mantissa) fields and the constant
    ``offset - (bias << man_bits)``; a mantissa carry spills into the
    exponent. Specials follow :func:`rtl.numerics.lmul`: subnormal operands
    and exponent underflow flush to signed zero, overflow gives Inf (IEEE),
    NaN (E4M3) or max-normal (``saturate``), NaN and Inf*0 give the canonical
    positive NaN, Inf*x gives a signed Inf.
    """
    man = fmt.man_bits
    body_bits = fmt.bits - 1
    mag_a, mag_b = a[:body_bits], b[:body_bits]
    zero_a = a[man:body_bits] == 0
    zero_b = b[man:body_bits] == 0
    nan_a, inf_a = is_nan_inf(a, fmt)
    nan_b, inf_b = is_nan_inf(b, fmt)
    nan = Signal(name=f"{name}_nan")
    inf = Signal(name=f"{name}_inf")
    m.d.comb += [
        nan.eq(nan_a | nan_b | (inf_a & zero_b) | (inf_b & zero_a)),
        inf.eq((inf_a | inf_b) & ~nan),
    ]
    const = lmul_offset(man) - (fmt.bias << man)
    r = Signal(signed(body_bits + 2), name=f"{name}_sum")
    m.d.comb += r.eq(mag_a + mag_b + const)
    over_code = special_code(fmt, saturate=saturate)
    mag = Signal(body_bits, name=f"{name}_mag")
    with m.If(zero_a | zero_b | (r < (1 << man))):
        m.d.comb += mag.eq(0)
    with m.Elif(r > fmt.max_code):
        m.d.comb += mag.eq(over_code)
    with m.Else():
        m.d.comb += mag.eq(r[:body_bits])
    if fmt.has_inf:
        fin_mag = Mux(inf, fmt.inf_code, mag)
    else:
        fin_mag = mag
    sign = a[body_bits] ^ b[body_bits]
    out = Signal(fmt.bits, name=name)
    is_nan = nan | (fin_mag == fmt.nan_code)
    m.d.comb += out.eq(Mux(is_nan, Const(fmt.nan_code, fmt.bits), Cat(fin_mag, sign)))
    return out


class LMul(wiring.Component):
    """L-Mul unit (Luo & Sun, arXiv 2410.00907): a float multiply by one integer add.

    Golden model: :func:`rtl.numerics.lmul`, bit-exact.

    Parameters
    ----------
    fmt : FloatFormat or str, optional
        ``'e4m3'`` (the default), ``'e5m2'``, ``'bf16'``, ``'fp16'``,
        ``'eXmY'`` or a FloatFormat with IEEE or OCP 'fn' specials; or leave
        it out and give ``exp_bits`` and ``man_bits`` for an IEEE-like format.
    exp_bits, man_bits : int, optional
        Widths of a custom IEEE-like format (at most 16 bits in all).
    saturate : bool
        Overflow clamps to max-normal instead of Inf/NaN.
    registered : bool
        Add one output register.

    Ports
    -----
    a, b : In(fmt.bits)
        Operand codes.
    p : Out(fmt.bits)
        Result code in the same format.

    Raises
    ------
    TypeError
        Wrong argument types.
    HDLParamError
        Unsupported format or widths.
    """

    def __init__(
        self,
        fmt: FloatFormat | str | None = None,
        *,
        exp_bits: int | None = None,
        man_bits: int | None = None,
        saturate: bool = False,
        registered: bool = False,
    ) -> None:
        if fmt is None and exp_bits is None and man_bits is None:
            fmt = "e4m3"
        self.fmt = lmul_format(fmt, "LMul", exp_bits=exp_bits, man_bits=man_bits)
        for label, flag in (("saturate", saturate), ("registered", registered)):
            if not isinstance(flag, bool):
                raise TypeError(f"LMul: {label} must be a bool, not {flag!r}")
        self.saturate = saturate
        self.registered = registered
        bits = self.fmt.bits
        super().__init__({"a": In(bits), "b": In(bits), "p": Out(bits)})

    def elaborate(self, platform):
        m = Module()
        code = lmul_code(m, self.a, self.b, self.fmt, saturate=self.saturate, name="lmul")
        domain = m.d.sync if self.registered else m.d.comb
        domain += self.p.eq(code)
        return m

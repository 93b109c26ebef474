"""FP8 multiplier: the exact product of two FP8 codes as an FP32 bit pattern."""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl.numerics import FP32, FloatFormat

from ._floatlogic import EXP_SHAPE, FloatParts, highest_set, is_nan_inf, normalize_left
from ._formats import fp8_format
from ._multiply import soft_product

__all__ = ["Fp8Multiplier", "RawProduct", "fp8_product", "fp8_raw_product", "fp8_normalize"]

_FP32_NAN = 0x7FC00000
_FP32_INF = 0x7F800000


@dataclass(frozen=True)
class RawProduct:
    """The exact product of two FP8 codes before normalization (Amaranth values).

    ``value = (-1)**sign * raw * 2**lsb``; ``raw`` is ``2 * (man_bits + 1)``
    bits wide and zero exactly when the product is zero. The flags are final.
    """

    sign: Value
    lsb: Value
    raw: Value
    zero: Value
    nan: Value
    inf: Value


def fp8_raw_product(m: Module, a, b, fmt: FloatFormat, name: str, *, soft: bool = False) -> RawProduct:
    """Build the significand product of two codes of ``fmt`` and the product's flags.

    The significands (hidden bit included, subnormals kept) are multiplied
    exactly (``soft``: by a multiplier built of gates, never a DSP block).
    NaN operands and Inf times zero give NaN; Inf times anything else gives Inf.
    """
    man = fmt.man_bits
    sigs, lsbs, zeros, nans, infs = [], [], [], [], []
    for tag, code in (("a", a), ("b", b)):
        ef = code[man : fmt.bits - 1]
        sub = ef == 0
        sig = Signal(man + 1, name=f"{name}_{tag}_sig")
        lsb = Signal(EXP_SHAPE, name=f"{name}_{tag}_lsb")
        m.d.comb += [
            sig.eq(Cat(code[:man], ~sub)),
            lsb.eq(Mux(sub, fmt.emin - man, ef - (fmt.bias + man))),
        ]
        nan, inf = is_nan_inf(code, fmt)
        sigs.append(sig)
        lsbs.append(lsb)
        zeros.append((sig == 0) & ~nan & ~inf)
        nans.append(nan)
        infs.append(inf)
    width = 2 * (man + 1)
    raw = Signal(width, name=f"{name}_raw")
    lsb = Signal(EXP_SHAPE, name=f"{name}_lsb")
    prod = soft_product(m, sigs[0], sigs[1], is_signed=False, name=f"{name}_soft") if soft else sigs[0] * sigs[1]
    m.d.comb += [raw.eq(prod), lsb.eq(lsbs[0] + lsbs[1])]
    nan = Signal(name=f"{name}_nan")
    inf = Signal(name=f"{name}_inf")
    zero = Signal(name=f"{name}_zero")
    m.d.comb += [
        nan.eq(nans[0] | nans[1] | (infs[0] & zeros[1]) | (infs[1] & zeros[0])),
        inf.eq((infs[0] | infs[1]) & ~nan),
        zero.eq((zeros[0] | zeros[1]) & ~nan & ~inf),
    ]
    sign = Signal(name=f"{name}_sign")
    m.d.comb += sign.eq(a[fmt.bits - 1] ^ b[fmt.bits - 1])
    return RawProduct(sign=sign, lsb=lsb, raw=raw, zero=zero, nan=nan, inf=inf)


def fp8_normalize(m: Module, p: RawProduct, name: str) -> FloatParts:
    """Normalize a :class:`RawProduct` with one leading-one detector.

    The result's significand is as wide as ``p.raw`` with its top bit set.
    """
    width = len(p.raw)
    k = highest_set(m, p.raw, f"{name}_msb")
    top = Signal(EXP_SHAPE, name=f"{name}_top")
    sig = Signal(width, name=f"{name}_sig")
    m.d.comb += [top.eq(p.lsb + k), sig.eq(normalize_left(m, p.raw, k, f"{name}_norm"))]
    return FloatParts(sign=p.sign, top=top, sig=sig, zero=p.zero, nan=p.nan, inf=p.inf)


def fp8_product(m: Module, a, b, fmt: FloatFormat, name: str) -> FloatParts:
    """Build the exact product of two codes of ``fmt`` as :class:`FloatParts`.

    :func:`fp8_raw_product` then :func:`fp8_normalize`: the result's
    significand is ``2 * (man_bits + 1)`` bits with its top bit set.
    """
    return fp8_normalize(m, fp8_raw_product(m, a, b, fmt, name), name)


class Fp8Multiplier(wiring.Component):
    """Exact FP8 x FP8 multiplier (E4M3 or E5M2) with an FP32 result.

    Golden model: :func:`rtl.numerics.fp8_mul` (never rounds; canonical NaN
    ``0x7FC00000``; IEEE signed zeros; subnormal operands exact).

    Parameters
    ----------
    fmt : FloatFormat or str
        ``'e4m3'`` or ``'e5m2'``.
    registered : bool
        Add one output register (``p`` valid one cycle after ``a``/``b``).

    Ports
    -----
    a, b : In(8)
        Operand codes.
    p : Out(32)
        FP32 bit pattern of the exact product.

    Raises
    ------
    TypeError
        ``registered`` is not a bool, or ``fmt`` has a wrong type.
    HDLParamError
        Unsupported format.
    """

    def __init__(self, fmt: FloatFormat | str = "e4m3", registered: bool = False) -> None:
        self.fmt = fp8_format(fmt, "Fp8Multiplier")
        if not isinstance(registered, bool):
            raise TypeError(f"Fp8Multiplier: registered must be a bool, not {registered!r}")
        self.registered = registered
        super().__init__({"a": In(8), "b": In(8), "p": Out(32)})

    def elaborate(self, platform):
        m = Module()
        fmt = self.fmt
        parts = fp8_product(m, self.a, self.b, fmt, "prod")
        width = len(parts.sig)
        fp32 = Signal(32)
        exp_field = (parts.top + FP32.bias)[:8]
        mant = Cat(Const(0, 24 - width), parts.sig[: width - 1])
        with m.If(parts.nan):
            m.d.comb += fp32.eq(_FP32_NAN)
        with m.Elif(parts.inf):
            m.d.comb += fp32.eq(Cat(Const(_FP32_INF, 31), parts.sign))
        with m.Elif(parts.zero):
            m.d.comb += fp32.eq(Cat(Const(0, 31), parts.sign))
        with m.Else():
            m.d.comb += fp32.eq(Cat(mant, exp_field, parts.sign))
        domain = m.d.sync if self.registered else m.d.comb
        domain += self.p.eq(fp32)
        return m

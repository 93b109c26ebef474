"""Adding an exact product into an accumulator: floating point (fused) or fixed point.

Both follow :mod:`rtl.numerics`' accumulator rules bit-exactly: a float
accumulator rounds ``acc + product`` once (RNE, subnormals kept, overflow to
Inf, canonical positive NaN, an exact zero is +0 unless both addends are -0);
a fixed-point accumulator rounds the product to its grid (RNE) and adds it as
an integer with the wrap or saturate policy (a NaN product leaves it
unchanged, an infinite one drives it to the extreme of its sign).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed

from rtl.numerics import FloatFormat

from ._floatlogic import EXP_SHAPE, FloatParts, is_nan_inf, round_to_format

__all__ = ["add_float", "add_fixed"]


def add_float(m: Module, prod: FloatParts, acc, fmt: FloatFormat, name: str) -> Signal:
    """Build ``round(acc + prod)`` for an accumulator code of ``fmt`` (one RNE step).

    The larger addend sits at the top of a window with two guard bits below
    the result precision; the smaller one is shifted in and the bits that fall
    off are folded into a sticky LSB. The window is two bits wider than the
    wider of the two precisions, so it rounds exactly like the exact sum.
    """
    man = fmt.man_bits
    p = man + 1
    wp = len(prod.sig)
    width_p = max(p, wp)
    top_pos = width_p + 2
    spill = top_pos + 2

    ef = acc[man : fmt.bits - 1]
    sub = ef == 0
    a_nan, a_inf = is_nan_inf(acc, fmt)
    a_sign = acc[fmt.bits - 1]
    a_top = Signal(EXP_SHAPE, name=f"{name}_a_top")
    m.d.comb += a_top.eq(Mux(sub, fmt.emin, ef - fmt.bias))
    nan = Signal(name=f"{name}_nan")
    inf = Signal(name=f"{name}_inf")
    m.d.comb += [
        nan.eq(a_nan | prod.nan | (a_inf & prod.inf & (a_sign != prod.sign))),
        inf.eq((a_inf | prod.inf) & ~nan),
    ]
    finite = ~(a_nan | a_inf | prod.nan | prod.inf)
    a_sig = Signal(width_p, name=f"{name}_a_sig")
    b_sig = Signal(width_p, name=f"{name}_b_sig")
    m.d.comb += [
        a_sig.eq(Mux(finite, Cat(acc[:man], ~sub), 0) << (width_p - p)),
        b_sig.eq(Mux(finite & ~prod.zero, prod.sig, 0) << (width_p - wp)),
    ]
    b_top = Signal(EXP_SHAPE, name=f"{name}_b_top")
    m.d.comb += b_top.eq(Mux(b_sig == 0, fmt.emin, prod.top))

    swap = b_top > a_top
    x_sig, y_sig = Mux(swap, b_sig, a_sig), Mux(swap, a_sig, b_sig)
    x_sign, y_sign = Mux(swap, prod.sign, a_sign), Mux(swap, a_sign, prod.sign)
    x_top = Signal(EXP_SHAPE, name=f"{name}_x_top")
    dist = Signal(signed(EXP_SHAPE.width + 1), name=f"{name}_dist")
    d = Signal(range(spill + 1), name=f"{name}_d")
    m.d.comb += [
        x_top.eq(Mux(swap, b_top, a_top)),
        dist.eq(Mux(swap, b_top - a_top, a_top - b_top)),
        d.eq(Mux(dist > spill, spill, dist)),
    ]
    x_win = Signal(top_pos + 1, name=f"{name}_x_win")
    m.d.comb += x_win.eq(x_sig << 3)
    y_ext = Signal(width_p + 3 + spill, name=f"{name}_y_ext")
    m.d.comb += y_ext.eq(Cat(Const(0, 3 + spill), y_sig) >> d)
    y_win = Signal(top_pos + 1, name=f"{name}_y_win")
    m.d.comb += y_win.eq(y_ext[spill:] | y_ext[:spill].any())

    mag = Signal(top_pos + 2, name=f"{name}_mag")
    sign = Signal(name=f"{name}_sign")
    diff = Signal(signed(top_pos + 3), name=f"{name}_diff")
    m.d.comb += diff.eq(x_win - y_win)
    with m.If(x_sign == y_sign):
        m.d.comb += [mag.eq(x_win + y_win), sign.eq(x_sign)]
    with m.Elif(diff < 0):
        m.d.comb += [mag.eq(-diff), sign.eq(y_sign)]
    with m.Else():
        m.d.comb += [mag.eq(diff), sign.eq(x_sign)]
    lsb_exp = Signal(EXP_SHAPE, name=f"{name}_lsb_exp")
    m.d.comb += lsb_exp.eq(x_top - top_pos)
    out_sign = Mux(inf, Mux(a_inf, a_sign, prod.sign), sign)
    return round_to_format(
        m,
        sign=out_sign,
        lsb_exp=lsb_exp,
        mag=mag,
        nan=nan,
        inf=inf,
        fmt=fmt,
        name=f"{name}_round",
        zero_sign=a_sign & prod.sign,
    )


def add_fixed(
    m: Module, prod: FloatParts, acc, *, width: int, frac_bits: int, overflow: str, name: str
) -> Signal:
    """Build the fixed-point accumulate: ``acc + rne(prod * 2**frac_bits)``.

    ``acc`` is a ``width``-bit two's-complement value; the result is too.
    """
    wp = len(prod.sig)
    lo_clamp = -(wp + 1)
    hi_clamp = width + 1
    shift = Signal(signed(EXP_SHAPE.width + 2), name=f"{name}_shift")
    amount = Signal(range(hi_clamp - lo_clamp + 1), name=f"{name}_amount")
    m.d.comb += [
        shift.eq(prod.top - (wp - 1) + frac_bits),
        amount.eq(Mux(shift > hi_clamp, hi_clamp, Mux(shift < lo_clamp, lo_clamp, shift)) - lo_clamp),
    ]
    sig = Mux(prod.zero | prod.nan | prod.inf, 0, prod.sig)
    placed = Signal(wp + hi_clamp - lo_clamp, name=f"{name}_placed")
    m.d.comb += placed.eq(sig << amount)
    frac = -lo_clamp
    q = placed[frac:]
    guard = placed[frac - 1]
    sticky = placed[: frac - 1].any()
    rounded = Signal(len(q) + 1, name=f"{name}_rounded")
    m.d.comb += rounded.eq(q + (guard & (sticky | q[0])))
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    extreme = Mux(prod.sign, Const(lo, signed(width)), Const(hi, signed(width)))
    out = Signal(signed(width), name=name)
    if overflow == "wrap":
        low = rounded[:width]
        total = Signal(width, name=f"{name}_total")
        m.d.comb += total.eq(acc + Mux(prod.sign, -low, low))
        value = total.as_signed()
    else:
        big = rounded >= (1 << width)
        small = rounded[: width + 1]
        total = Signal(signed(width + 3), name=f"{name}_total")
        m.d.comb += total.eq(acc + Mux(prod.sign, -small, small))
        clipped = Mux(total > hi, hi, Mux(total < lo, lo, total))
        value = Mux(big, extreme, clipped)
    with m.If(prod.nan):
        m.d.comb += out.eq(acc)
    with m.Elif(prod.inf):
        m.d.comb += out.eq(extreme)
    with m.Else():
        m.d.comb += out.eq(value)
    return out

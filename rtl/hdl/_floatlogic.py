"""Combinational floating-point building blocks shared by the units.

Every function here adds logic to an Amaranth ``Module`` and returns the
signals it built; none is a component on its own. One value is carried between
blocks as :class:`FloatParts`: sign, the exponent of the significand's top bit
position, a significand whose top bit is set unless the value is zero, and
the zero/NaN/Inf flags.

Exponents are signed :data:`EXP_SHAPE` values (12 bits hold every exponent of
FP32 together with the shifts the adder applies).
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed, unsigned

from rtl.numerics import FloatFormat

__all__ = [
    "EXP_SHAPE",
    "FloatParts",
    "highest_set",
    "normalize_left",
    "unpack_code",
    "round_to_format",
    "special_code",
]

EXP_SHAPE = signed(12)


@dataclass(frozen=True)
class FloatParts:
    """An unpacked float inside the datapath (Amaranth values, not numbers).

    ``value = (-1)**sign * sig * 2**(top - (len(sig) - 1))``: ``top`` is the
    exponent of the significand's top bit; for a non-zero finite value that
    bit is set (normalized), ``sig`` is zero exactly when ``zero`` is set.
    ``sig`` and ``top`` are meaningless where ``nan`` or ``inf`` is set.
    """

    sign: Value
    top: Value
    sig: Value
    zero: Value
    nan: Value
    inf: Value


def highest_set(m: Module, value: Value, name: str) -> Signal:
    """Index of the highest set bit of ``value`` (0 when ``value`` is zero)."""
    width = len(value)
    out = Signal(range(max(width, 2)), name=name)
    idx: Value = Const(0, out.shape())
    for i in range(width):
        idx = Mux(value[i], i, idx)
    m.d.comb += out.eq(idx)
    return out


def normalize_left(m: Module, value: Value, k: Value, name: str) -> Signal:
    """``value`` shifted left so that its bit ``k`` lands on the top bit."""
    width = len(value)
    amount = Signal(range(max(width, 2)), name=f"{name}_amount")
    out = Signal(width, name=name)
    m.d.comb += [amount.eq(width - 1 - k), out.eq((value << amount)[:width])]
    return out


def is_nan_inf(code: Value, fmt: FloatFormat) -> tuple[Value, Value]:
    """``(nan, inf)`` flags of a code of ``fmt`` (IEEE or OCP 'fn' conventions)."""
    mag = code[: fmt.bits - 1]
    ef = code[fmt.man_bits : fmt.bits - 1]
    mf = code[: fmt.man_bits]
    if fmt.nan == "ieee":
        special = ef == fmt.exp_field_max
        return special & (mf != 0), special & (mf == 0)
    if fmt.nan == "fn":
        return mag == fmt.nan_code, Const(0, 1)
    return Const(0, 1), Const(0, 1)


def unpack_code(m: Module, code: Value, fmt: FloatFormat, name: str) -> FloatParts:
    """Unpack a code of ``fmt`` that holds no subnormal into :class:`FloatParts`.

    For the output of a unit that flushes subnormals (L-Mul): an all-zero
    exponent field reads as zero, every other finite code is normalized.
    """
    man = fmt.man_bits
    ef = code[man : fmt.bits - 1]
    sub = ef == 0
    nan, inf = is_nan_inf(code, fmt)
    top = Signal(EXP_SHAPE, name=f"{name}_top")
    sig = Signal(man + 1, name=f"{name}_sig")
    m.d.comb += [sig.eq(Mux(sub, 0, Cat(code[:man], 1))), top.eq(ef - fmt.bias)]
    return FloatParts(sign=code[fmt.bits - 1], top=top, sig=sig, zero=sub & ~nan & ~inf, nan=nan, inf=inf)


def special_code(fmt: FloatFormat, *, saturate: bool) -> int:
    """The magnitude code an overflow (or an infinity) becomes in ``fmt``."""
    if saturate or fmt.nan == "none":
        return fmt.max_code
    if fmt.nan == "ieee":
        return fmt.inf_code
    return fmt.nan_code


def round_to_format(
    m: Module,
    *,
    sign: Value,
    lsb_exp: Value,
    mag: Value,
    nan: Value,
    inf: Value,
    fmt: FloatFormat,
    name: str,
    saturate: bool = False,
    keep_nan_sign: bool = False,
    zero_sign: Value | None = None,
) -> Signal:
    """Round ``(-1)**sign * mag * 2**lsb_exp`` to a code of ``fmt`` (one RNE step).

    The same rule as the golden model's ``pack``: the rounding position is
    ``man_bits`` below the value's top bit, or the subnormal LSB when the value
    is below the smallest normal; a rounded magnitude above the largest finite
    code overflows (to Inf, NaN or max-normal per ``fmt`` and ``saturate``);
    an underflow keeps the sign. ``mag`` may end in a sticky bit provided the
    caller keeps two exact bits above it at the rounding position.

    ``zero_sign``, when given, is the sign of an exactly zero ``mag``.
    """
    man = fmt.man_bits
    width = len(mag)
    k = highest_set(m, mag, f"{name}_msb")
    top = Signal(EXP_SHAPE, name=f"{name}_top")
    et = Signal(EXP_SHAPE, name=f"{name}_et")
    m.d.comb += [
        top.eq(lsb_exp + k),
        et.eq(Mux(top < fmt.emin, fmt.emin, top)),
    ]
    # q = mag >> s with s = et - man - lsb_exp >= -man; shift a widened copy
    # right by sh = s + man so that one right shifter serves both directions.
    max_sh = width + 1 + man
    sh_raw = Signal(EXP_SHAPE, name=f"{name}_sh_raw")
    sh = Signal(range(max_sh + 1), name=f"{name}_sh")
    m.d.comb += [
        sh_raw.eq(et - lsb_exp),
        sh.eq(Mux(sh_raw > max_sh, max_sh, Mux(sh_raw < 0, 0, sh_raw))),
    ]
    frac = width + 2
    widened = Cat(Const(0, man + frac), mag)
    shifted = Signal(len(widened), name=f"{name}_shifted")
    m.d.comb += shifted.eq(widened >> sh)
    q = shifted[frac:]
    guard = shifted[frac - 1]
    sticky = shifted[: frac - 1].any()
    rounded = Signal(width + 1, name=f"{name}_rounded")
    m.d.comb += rounded.eq(q + (guard & (sticky | q[0])))
    exp_step = Signal(unsigned(EXP_SHAPE.width), name=f"{name}_exp_step")
    m.d.comb += exp_step.eq((et - fmt.emin)[: EXP_SHAPE.width])
    total = Signal(EXP_SHAPE.width + man + 2, name=f"{name}_total")
    m.d.comb += total.eq((exp_step << man) + rounded)
    over = total > fmt.max_code
    over_code = special_code(fmt, saturate=saturate)
    body = Signal(fmt.bits - 1, name=f"{name}_body")
    with m.If(inf):
        m.d.comb += body.eq(over_code)
    with m.Elif(mag == 0):
        m.d.comb += body.eq(0)
    with m.Elif(over):
        m.d.comb += body.eq(over_code)
    with m.Else():
        m.d.comb += body.eq(total[: fmt.bits - 1])
    out = Signal(fmt.bits, name=name)
    out_sign = sign if zero_sign is None else Mux((mag == 0) & ~inf, zero_sign, sign)
    if fmt.nan_code is None:
        m.d.comb += out.eq(Cat(body, out_sign))
    else:
        nan_sign = sign if keep_nan_sign else Const(0, 1)
        m.d.comb += out.eq(Mux(nan, Cat(Const(fmt.nan_code, fmt.bits - 1), nan_sign), Cat(body, out_sign)))
    return out

"""Which number formats the generators accept, checked before any HDL is built."""

from __future__ import annotations

from rtl.numerics import BF16, E4M3, E5M2, FP16, FloatFormat, float_format

from ._errors import HDLParamError, check_int

__all__ = ["fp8_format", "lmul_format", "FP8_FORMATS", "LMUL_FORMATS"]

FP8_FORMATS: dict[str, FloatFormat] = {"e4m3": E4M3, "e5m2": E5M2}
LMUL_FORMATS: dict[str, FloatFormat] = {"e4m3": E4M3, "e5m2": E5M2, "bf16": BF16, "fp16": FP16}


def _by_name(fmt: object, table: dict[str, FloatFormat], where: str) -> FloatFormat:
    if isinstance(fmt, FloatFormat):
        for known in table.values():
            if known == fmt:
                return known
        name = fmt.name
    elif isinstance(fmt, str):
        name = fmt
        if fmt.lower() in table:
            return table[fmt.lower()]
    else:
        raise TypeError(f"{where}: fmt must be a format name or a FloatFormat, not {fmt!r}")
    raise HDLParamError(f"{where}: unsupported format {name!r}; expected one of {sorted(table)}")


def fp8_format(fmt: object, where: str) -> FloatFormat:
    """Resolve an FP8 multiplier/MAC operand format: E4M3 or E5M2.

    Raises
    ------
    TypeError
        ``fmt`` is neither a name nor a FloatFormat.
    HDLParamError
        Any other format.
    """
    return _by_name(fmt, FP8_FORMATS, where)


def lmul_format(fmt: object, where: str, *, exp_bits: object = None, man_bits: object = None) -> FloatFormat:
    """Resolve an L-Mul operand format.

    A name (``e4m3``, ``e5m2``, ``bf16``, ``fp16``), a FloatFormat with IEEE or
    OCP 'fn' specials, or ``exp_bits``/``man_bits`` for an IEEE-like custom
    format (``fmt`` None).

    Raises
    ------
    TypeError
        Wrong argument types.
    HDLParamError
        Unknown name, a format without NaN encoding, or widths out of range
        (``exp_bits`` 2..8, ``man_bits`` 1..23 and at most 16 bits in all).
    """
    if fmt is None:
        if exp_bits is None or man_bits is None:
            raise HDLParamError(f"{where}: give a format name or both exp_bits and man_bits")
        e = check_int(where, "exp_bits", exp_bits, 2, 8)
        mb = check_int(where, "man_bits", man_bits, 1, 23)
        if 1 + e + mb > 16:
            raise HDLParamError(
                f"{where}: a {e}-bit exponent leaves room for at most {15 - e} mantissa bits "
                f"in a 16-bit L-Mul operand, not {mb!r}"
            )
        return float_format(e, mb)
    if exp_bits is not None or man_bits is not None:
        raise HDLParamError(f"{where}: give either fmt or exp_bits/man_bits, not both (fmt={fmt!r})")
    if isinstance(fmt, FloatFormat) and fmt.nan in ("ieee", "fn") and fmt.bits <= 16:
        return fmt
    if isinstance(fmt, str) and fmt.lower() not in LMUL_FORMATS and fmt.lower().startswith("e") and "m" in fmt:
        head, _, tail = fmt.lower()[1:].partition("m")
        if head.isdigit() and tail.isdigit():
            return lmul_format(None, where, exp_bits=int(head), man_bits=int(tail))
    return _by_name(fmt, LMUL_FORMATS, where)

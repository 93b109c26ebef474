"""What a MAC computes (:class:`Arith`) and its combinational datapath."""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Module, Mux, Signal, signed

from rtl.numerics import Accumulator, FloatFormat, NumericsError

from ._accumulate import add_fixed, add_float
from ._errors import HDLParamError, check_int
from ._floatlogic import FloatParts, unpack_code
from ._fp8mul import RawProduct, fp8_normalize, fp8_raw_product
from ._formats import fp8_format, lmul_format
from ._lmul import lmul_code
from ._multiply import soft_product

__all__ = ["Arith", "arith", "mac_datapath", "delay", "check_depth", "max_depth", "CUTS", "KINDS"]

KINDS = ("int8", "fp8", "lmul")
_OVERFLOW = ("wrap", "saturate")


@dataclass(frozen=True)
class Arith:
    """The arithmetic of a MAC unit, PE or array.

    Build it with :func:`arith`, which validates every field.

    Attributes
    ----------
    kind : str
        ``'int8'`` (signed INT8 MAC), ``'fp8'`` (exact FP8 product, E4M3 or
        E5M2) or ``'lmul'`` (L-Mul product).
    fmt : FloatFormat or None
        Operand format (None for ``'int8'``).
    accumulator : Accumulator or None
        Float or fixed-point accumulator of the golden model (None for ``'int8'``).
    acc_bits : int
        INT8 accumulator width (16 to 64).
    int_overflow : str
        INT8 accumulator overflow policy, ``'wrap'`` or ``'saturate'``.
    """

    kind: str
    fmt: FloatFormat | None
    accumulator: Accumulator | None
    acc_bits: int = 32
    int_overflow: str = "wrap"

    @property
    def operand_bits(self) -> int:
        """Width of one operand code."""
        return 8 if self.fmt is None else self.fmt.bits

    @property
    def acc_width(self) -> int:
        """Width of the accumulator register."""
        if self.kind == "int8":
            return self.acc_bits
        if self.accumulator.fmt is not None:
            return self.accumulator.fmt.bits
        return self.accumulator.width

    @property
    def multipliers(self) -> int:
        """Integer multipliers in one MAC (the INT8 product, the FP8 significand product; L-Mul has none)."""
        return 0 if self.kind == "lmul" else 1

    @property
    def acc_signed(self) -> bool:
        """Whether the accumulator register holds a two's-complement integer."""
        return self.kind == "int8" or self.accumulator.fmt is None

    @property
    def label(self) -> str:
        """A short name such as ``fp8_e4m3_fp32`` or ``int8_acc32``."""
        if self.kind == "int8":
            tail = "" if self.int_overflow == "wrap" else "_sat"
            return f"int8_acc{self.acc_bits}{tail}"
        acc = self.accumulator
        if acc.fmt is not None:
            acc_name = acc.kind
        else:
            acc_name = f"fixed{acc.width}q{acc.frac_bits}" + ("" if acc.overflow == "wrap" else "_sat")
        return f"{self.kind}_{self.fmt.name}_{acc_name}"


def arith(
    kind: str = "fp8",
    *,
    fmt: object = None,
    accumulator: object = "fp32",
    width: int | None = None,
    frac_bits: int | None = None,
    overflow: str = "wrap",
    acc_bits: int = 32,
) -> Arith:
    """Validate MAC parameters and return an :class:`Arith`.

    Parameters
    ----------
    kind : str
        ``'int8'``, ``'fp8'`` or ``'lmul'``.
    fmt : str or FloatFormat, optional
        Operand format: E4M3/E5M2 for ``'fp8'`` (default E4M3); for ``'lmul'``
        also BF16, FP16 or ``'eXmY'`` (default E4M3). Not for ``'int8'``.
    accumulator : str or Accumulator
        ``'fp32'``, ``'fp16'``, ``'bf16'`` or ``'fixed'`` (with ``width`` and
        ``frac_bits``), or an :class:`rtl.numerics.Accumulator`.
    width, frac_bits : int, optional
        Fixed-point accumulator width (2..62) and fractional bits (0..60).
    overflow : str
        ``'wrap'`` or ``'saturate'``, for fixed-point and INT8 accumulators.
    acc_bits : int
        INT8 accumulator width, 16 to 64.

    Raises
    ------
    TypeError
        Wrong argument types.
    HDLParamError
        Unknown kind, format, accumulator or policy; widths out of range.
    """
    where = "arith"
    if kind not in KINDS:
        raise HDLParamError(f"{where}: kind must be one of {KINDS}, not {kind!r}")
    if overflow not in _OVERFLOW:
        raise HDLParamError(f"{where}: overflow must be one of {_OVERFLOW}, not {overflow!r}")
    if kind == "int8":
        if fmt is not None:
            raise HDLParamError(f"{where}: kind 'int8' takes no fmt, got {fmt!r}")
        bits = check_int(where, "acc_bits", acc_bits, 16, 64)
        return Arith("int8", None, None, acc_bits=bits, int_overflow=overflow)
    f = fp8_format(fmt or "e4m3", where) if kind == "fp8" else lmul_format(fmt or "e4m3", where)
    if isinstance(accumulator, Accumulator):
        acc = accumulator
    elif isinstance(accumulator, str):
        try:
            if accumulator == "fixed":
                acc = Accumulator("fixed", width=width, frac_bits=frac_bits, overflow=overflow)
            else:
                acc = Accumulator(accumulator)
        except NumericsError as exc:
            raise HDLParamError(f"{where}: {exc}") from None
    else:
        raise TypeError(f"{where}: accumulator must be a name or an Accumulator, not {accumulator!r}")
    if acc.fmt is not None and (width is not None or frac_bits is not None):
        raise HDLParamError(f"{where}: width and frac_bits apply to a 'fixed' accumulator only, not {acc.kind!r}")
    return Arith(kind, f, acc)


#: Register cuts of the product path, in the order they are added as the depth grows (after the
#: accumulate register, which every MAC has): a depth of ``d`` uses the first ``d - 1`` cuts.
CUTS: dict[str, tuple[str, ...]] = {
    "int8": ("multiply", "operands"),
    "fp8": ("normalize", "multiply", "operands"),
    "lmul": ("normalize", "multiply", "operands"),
}


def max_depth(kind: str) -> int:
    """The deepest pipeline the generator builds for ``kind``: one register per cut plus the accumulator."""
    return len(CUTS[kind]) + 1


def check_depth(spec: Arith, depth: object, where: str, key: str = "depth") -> int:
    """Return ``depth`` if ``spec``'s MAC can be built with that many pipeline stages.

    Raises
    ------
    TypeError
        ``depth`` is not an integer.
    HDLParamError
        ``depth`` below 1 or above :func:`max_depth`.
    """
    return check_int(where, key, depth, 1, max_depth(spec.kind))


def _stage(m: Module, values: dict, name: str, en) -> dict:
    """Register every value of ``values`` (updated on edges with ``en``; every edge when ``en`` is None)."""
    out = {}
    for key, value in values.items():
        reg = Signal.like(value, name=f"{name}_{key}") if isinstance(value, Signal) else Signal(
            value.shape(), name=f"{name}_{key}"
        )
        if en is None:
            m.d.sync += reg.eq(value)
        else:
            with m.If(en):
                m.d.sync += reg.eq(value)
        out[key] = reg
    return out


def delay(m: Module, value, cycles: int, name: str, en=None):
    """``value`` after ``cycles`` registers (each updated on edges with ``en``, or every edge)."""
    for i in range(cycles):
        value = _stage(m, {"d": value}, f"{name}_p{i}", en)["d"]
    return value


def mac_datapath(m: Module, spec: Arith, a, b, c, name: str, *, depth: int = 1, en=None, soft: bool = False) -> Signal:
    """Build ``c + a*b`` of ``spec`` with ``depth - 1`` registers in the product path.

    The accumulate itself (``c`` in, the returned value out) is combinational:
    the caller registers it, which makes ``depth`` cycles from ``a``/``b`` to
    the accumulator. The product path is cut, as ``depth`` grows, at the
    stages of :data:`CUTS` (``'normalize'``: the normalized product before the
    add; ``'multiply'``: the raw significand or integer product; ``'operands'``:
    the operand codes). Every cut register updates on edges with ``en`` (every
    edge when None), so the caller delays its own control (valid, first,
    clear) by ``depth - 1`` the same way. The numbers are those of the
    single-cycle datapath, bit for bit, at every depth. ``soft``: the
    integer or significand multiplier is built of gates
    (:func:`soft_product`), which synthesis never maps to a DSP block; the
    same bits.
    """
    cuts = set(CUTS[spec.kind][: depth - 1])
    if "operands" in cuts:
        regs = _stage(m, {"a": a, "b": b}, f"{name}_op", en)
        a, b = regs["a"], regs["b"]
    width = spec.acc_width
    if spec.kind == "int8":
        lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        # ``keep``: Yosys would otherwise fold the product into a 33-bit
        # multiply-accumulate cell and map a much larger array (1226 vs 817 GE).
        prod = Signal(signed(16), name=f"{name}_prod", attrs={"keep": 1})
        m.d.comb += prod.eq(soft_product(m, a, b, is_signed=True, name=f"{name}_soft") if soft else a.as_signed() * b.as_signed())
        if "multiply" in cuts:
            prod = _stage(m, {"prod": prod}, f"{name}_mul", en)["prod"]
        total = Signal(signed(width + 1), name=f"{name}_total")
        out = Signal(signed(width), name=name)
        m.d.comb += total.eq(c.as_signed() + prod)
        if spec.int_overflow == "wrap":
            m.d.comb += out.eq(total[:width])
        else:
            m.d.comb += out.eq(Mux(total > hi, hi, Mux(total < lo, lo, total)))
        return out
    if spec.kind == "fp8":
        raw = fp8_raw_product(m, a, b, spec.fmt, f"{name}_mul", soft=soft)
        if "multiply" in cuts:
            raw = RawProduct(**_stage(m, vars(raw), f"{name}_mulr", en))
        parts = fp8_normalize(m, raw, f"{name}_mul")
    else:
        code = lmul_code(m, a, b, spec.fmt, saturate=False, name=f"{name}_lmul")
        if "multiply" in cuts:
            code = _stage(m, {"code": code}, f"{name}_mulr", en)["code"]
        parts = unpack_code(m, code, spec.fmt, f"{name}_prod")
    if "normalize" in cuts:
        parts = FloatParts(**_stage(m, vars(parts), f"{name}_norm", en))
    acc = spec.accumulator
    if acc.fmt is not None:
        return add_float(m, parts, c, acc.fmt, f"{name}_add")
    return add_fixed(
        m, parts, c.as_signed(), width=acc.width, frac_bits=acc.frac_bits, overflow=acc.overflow, name=f"{name}_add"
    )

"""What a MAC computes (:class:`Arith`) and its combinational datapath."""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Module, Mux, Signal, signed

from rtl.numerics import Accumulator, FloatFormat, NumericsError

from ._accumulate import add_fixed, add_float
from ._errors import HDLParamError, check_int
from ._floatlogic import unpack_code
from ._fp8mul import fp8_product
from ._formats import fp8_format, lmul_format
from ._lmul import lmul_code

__all__ = ["Arith", "arith", "mac_datapath", "KINDS"]

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


def mac_datapath(m: Module, spec: Arith, a, b, c, name: str) -> Signal:
    """Build the combinational ``c + a*b`` of ``spec``; returns the new accumulator value."""
    width = spec.acc_width
    if spec.kind == "int8":
        lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        # ``keep``: Yosys would otherwise fold the product into a 33-bit
        # multiply-accumulate cell and map a much larger array (1226 vs 817 GE).
        prod = Signal(signed(16), name=f"{name}_prod", attrs={"keep": 1})
        total = Signal(signed(width + 1), name=f"{name}_total")
        out = Signal(signed(width), name=name)
        m.d.comb += [prod.eq(a.as_signed() * b.as_signed()), total.eq(c.as_signed() + prod)]
        if spec.int_overflow == "wrap":
            m.d.comb += out.eq(total[:width])
        else:
            m.d.comb += out.eq(Mux(total > hi, hi, Mux(total < lo, lo, total)))
        return out
    if spec.kind == "fp8":
        parts = fp8_product(m, a, b, spec.fmt, f"{name}_mul")
    else:
        code = lmul_code(m, a, b, spec.fmt, saturate=False, name=f"{name}_lmul")
        parts = unpack_code(m, code, spec.fmt, f"{name}_prod")
    acc = spec.accumulator
    if acc.fmt is not None:
        return add_float(m, parts, c, acc.fmt, f"{name}_add")
    return add_fixed(
        m, parts, c.as_signed(), width=acc.width, frac_bits=acc.frac_bits, overflow=acc.overflow, name=f"{name}_add"
    )

"""MAC steps, dot products and GEMMs over whole arrays, with FP8 or L-Mul products.

A MAC step is ``acc <- round(acc + product)`` with the product from the
exact FP8 multiplier (``mul='fp8'``) or the L-Mul unit (``mul='lmul'``, the
product being an L-Mul result code of ``fmt``, then added exactly like an
FP8 product); the accumulator's rounding rules are in ``_accum``. Dot
products and GEMMs accumulate in increasing ``k`` order, one MAC step per
``k``, as an output-stationary PE does, so a systolic array's result can be
compared bit for bit. Only the ``k`` loop runs in Python; each step is
vectorized over the whole batch or output matrix.
"""

from __future__ import annotations

import numpy as np

from ._accum import Accumulator, acc_check, acc_decode, accumulate
from ._bits import Parts, as_codes, unpack
from ._codec import decode
from ._formats import E4M3, FloatFormat, NumericsError, resolve_format
from ._lmul import lmul
from ._mul import check_fp8_pair, product_parts

__all__ = ["mac", "fp8_mac", "mac_sequence", "matmul", "matmul_bits", "lmul_dot"]

_MULS = ("fp8", "lmul")


def _setup(mul: str, fmt: FloatFormat | str, accumulator: Accumulator | None, where: str):
    if mul not in _MULS:
        raise NumericsError(f"{where}: mul must be one of {_MULS}, not {mul!r}")
    f = check_fp8_pair(fmt, fmt, where)[0] if mul == "fp8" else resolve_format(fmt, where)
    acc = Accumulator("fp32") if accumulator is None else accumulator
    if not isinstance(acc, Accumulator):
        raise TypeError(f"{where}: accumulator must be an Accumulator, not {accumulator!r}")
    return f, acc


def _product(ca: np.ndarray, cb: np.ndarray, f: FloatFormat, mul: str) -> Parts:
    if mul == "fp8":
        return product_parts(unpack(ca, f), unpack(cb, f))
    return unpack(lmul(ca, cb, f).astype(np.int64), f)


def _broadcast(where: str, **arrays: np.ndarray) -> list[np.ndarray]:
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape!r}" for k, v in arrays.items())
        raise NumericsError(f"{where}: shapes of {shapes} do not broadcast") from None


def mac(
    a: object,
    b: object,
    acc: object,
    fmt: FloatFormat | str,
    accumulator: Accumulator | None = None,
    mul: str = "fp8",
) -> np.ndarray:
    """One MAC step ``acc + a*b`` with an FP8 (``mul='fp8'``) or L-Mul product.

    Parameters
    ----------
    a, b : array_like of int
        Operand codes of ``fmt``.
    acc : array_like of int
        Accumulator bits (uint32 FP32, uint16 FP16/BF16, signed int64 fixed).
    fmt : FloatFormat or str
        Operand format (at most 8 bits for ``'fp8'``; any for ``'lmul'``).
    accumulator : Accumulator, optional
        Default ``Accumulator('fp32')``.
    mul : str
        ``'fp8'`` (exact product) or ``'lmul'``.

    Returns
    -------
    numpy.ndarray
        New accumulator bits, in ``accumulator.dtype``.

    Raises
    ------
    TypeError
        Non-integer codes or bits, or a bad accumulator type.
    NumericsError
        Unknown format or ``mul``, out-of-range codes or bits, or shapes that
        do not broadcast.
    """
    where = "mac" if mul != "fp8" else "fp8_mac"
    f, spec = _setup(mul, fmt, accumulator, where)
    ca = as_codes(a, f, where, "a")
    cb = as_codes(b, f, where, "b")
    bits = acc_check(acc, spec, where)
    ca, cb, bits = _broadcast(where, a=ca, b=cb, acc=bits)
    return accumulate(bits, _product(ca, cb, f, mul), spec, where).astype(spec.dtype)


def fp8_mac(
    a: object, b: object, acc: object, fmt: FloatFormat | str, accumulator: Accumulator | None = None
) -> np.ndarray:
    """One FP8 MAC step: exact product, then one rounding of ``acc + product``.

    Parameters
    ----------
    a, b : array_like of int
        FP8 operand codes of ``fmt``.
    acc : array_like of int
        Accumulator bits (uint32 FP32, uint16 FP16/BF16, signed int64 fixed).
    fmt : FloatFormat or str
        E4M3, E5M2 or another format of at most 8 bits.
    accumulator : Accumulator, optional
        Default ``Accumulator('fp32')``.

    Returns
    -------
    numpy.ndarray
        New accumulator bits, in ``accumulator.dtype``.

    Raises
    ------
    TypeError
        Non-integer codes or bits, or a bad accumulator type.
    NumericsError
        Unknown or wider-than-8-bit format, out-of-range codes or bits, or
        shapes that do not broadcast.
    """
    return mac(a, b, acc, fmt, accumulator, mul="fp8")


def mac_sequence(
    a_seq: object,
    b_seq: object,
    fmt: FloatFormat | str,
    accumulator: Accumulator | None = None,
    init: object = 0,
    *,
    mul: str = "fp8",
    partials: bool = False,
) -> np.ndarray:
    """Run MAC steps along the last axis (a dot product per leading index).

    Parameters
    ----------
    a_seq, b_seq : array_like of int
        Operand codes, shape ``(..., K)`` (broadcast together).
    fmt : FloatFormat or str
        Operand format.
    accumulator : Accumulator, optional
        Default ``Accumulator('fp32')``.
    init : array_like of int
        Initial accumulator bits, broadcast to the batch shape ``(...)``
        (default 0: +0.0 or fixed-point zero).
    mul : str
        ``'fp8'`` or ``'lmul'``.
    partials : bool
        Return the accumulator after every step, shape ``(..., K)``, instead
        of only the final one, shape ``(...)``.

    Raises
    ------
    TypeError
        Non-integer codes or bits, or a bad accumulator type.
    NumericsError
        Unknown format or ``mul``, out-of-range codes or bits, 0-d operands,
        or shapes that do not broadcast.
    """
    where = "mac_sequence"
    f, spec = _setup(mul, fmt, accumulator, where)
    ca = as_codes(a_seq, f, where, "a_seq")
    cb = as_codes(b_seq, f, where, "b_seq")
    ca, cb = _broadcast(where, a_seq=ca, b_seq=cb)
    if ca.ndim == 0:
        raise NumericsError(f"{where}: a_seq and b_seq need a sequence axis, got scalars")
    bits = acc_check(init, spec, where)
    try:
        acc = np.broadcast_to(bits, ca.shape[:-1]).copy()
    except ValueError:
        raise NumericsError(
            f"{where}: init of shape {bits.shape!r} does not broadcast to the batch shape {ca.shape[:-1]!r}"
        ) from None
    steps = []
    for k in range(ca.shape[-1]):
        acc = accumulate(acc, _product(ca[..., k], cb[..., k], f, mul), spec, where).astype(np.int64)
        if partials:
            steps.append(acc)
    if partials:
        return np.stack(steps, axis=-1).astype(spec.dtype) if steps else np.zeros(ca.shape, spec.dtype)
    return acc.astype(spec.dtype)


def _check_gemm(a: np.ndarray, b: np.ndarray, where: str) -> None:
    if a.ndim != 2 or b.ndim != 2:
        raise NumericsError(f"{where}: a and b must be 2-D, got shapes {a.shape!r} and {b.shape!r}")
    if a.shape[1] != b.shape[0]:
        raise NumericsError(f"{where}: inner dimensions differ: a {a.shape!r} and b {b.shape!r}")


def matmul_bits(
    a: object,
    b: object,
    *,
    mul: str = "fp8",
    fmt: FloatFormat | str = E4M3,
    accumulator: Accumulator | None = None,
    init: object = 0,
) -> np.ndarray:
    """GEMM ``C[m, n] = sum_k A[m, k] * B[k, n]`` as accumulator bits, bit-exact.

    Each output accumulates its products one MAC step at a time in
    increasing ``k`` (as :func:`mac_sequence`).

    Parameters
    ----------
    a : array_like of int
        Codes of ``fmt``, shape ``(M, K)``.
    b : array_like of int
        Codes of ``fmt``, shape ``(K, N)``.
    mul : str
        ``'fp8'`` (exact FP8 products) or ``'lmul'``.
    fmt : FloatFormat or str
        Operand format (default E4M3).
    accumulator : Accumulator, optional
        Default ``Accumulator('fp32')``.
    init : array_like of int
        Initial accumulator bits, broadcast to ``(M, N)``.

    Raises
    ------
    TypeError
        Non-integer codes or bits, or a bad accumulator type.
    NumericsError
        Unknown format or ``mul``, out-of-range codes, non-2-D operands or
        mismatched inner dimensions.
    """
    where = "matmul"
    f, spec = _setup(mul, fmt, accumulator, where)
    ca = as_codes(a, f, where, "a")
    cb = as_codes(b, f, where, "b")
    _check_gemm(ca, cb, where)
    bits = acc_check(init, spec, where)
    shape = (ca.shape[0], cb.shape[1])
    try:
        acc = np.broadcast_to(bits, shape).copy()
    except ValueError:
        raise NumericsError(
            f"{where}: init of shape {bits.shape!r} does not broadcast to {shape!r}"
        ) from None
    for k in range(ca.shape[1]):
        prod = _product(ca[:, k, None], cb[None, k, :], f, mul)
        acc = accumulate(acc, prod, spec, where).astype(np.int64)
    return acc.astype(spec.dtype)


def matmul(
    a: object,
    b: object,
    *,
    mul: str = "fp8",
    fmt: FloatFormat | str = E4M3,
    accumulator: Accumulator | None = None,
) -> np.ndarray:
    """GEMM of code matrices with a chosen multiplier, as float64 values.

    ``mul='fp8'`` or ``'lmul'``: the decoded result of :func:`matmul_bits`.
    ``mul='exact'``: the float64 product of the decoded operands (a
    reference; no accumulator may be given).

    Parameters
    ----------
    a, b : array_like of int
        Codes of ``fmt``, shapes ``(M, K)`` and ``(K, N)``.
    mul : str
        ``'fp8'``, ``'lmul'`` or ``'exact'``.
    fmt : FloatFormat or str
        Operand format (default E4M3).
    accumulator : Accumulator, optional
        Default ``Accumulator('fp32')`` (not for ``'exact'``).

    Raises
    ------
    TypeError
        As :func:`matmul_bits`.
    NumericsError
        As :func:`matmul_bits`, or an accumulator given with ``mul='exact'``.
    """
    where = "matmul"
    if mul == "exact":
        if accumulator is not None:
            raise NumericsError(
                f"{where}: mul='exact' sums in float64 and takes no accumulator, got {accumulator!r}"
            )
        f = resolve_format(fmt, where)
        ca = as_codes(a, f, where, "a")
        cb = as_codes(b, f, where, "b")
        _check_gemm(ca, cb, where)
        with np.errstate(invalid="ignore", over="ignore"):
            return decode(ca, f) @ decode(cb, f)
    spec = Accumulator("fp32") if accumulator is None else accumulator
    bits = matmul_bits(a, b, mul=mul, fmt=fmt, accumulator=spec)
    return acc_decode(bits, spec)


def lmul_dot(
    a: object, b: object, fmt: FloatFormat | str, accumulator: Accumulator | None = None
) -> np.ndarray:
    """Dot products along the last axis with L-Mul products, as float64 values.

    Parameters
    ----------
    a, b : array_like of int
        Codes of ``fmt``, shape ``(..., K)``.
    fmt : FloatFormat or str
        Operand format (E4M3, E5M2, BF16, ``float_format(e, m)``...).
    accumulator : Accumulator, optional
        Default ``Accumulator('fp32')``.

    Raises
    ------
    TypeError
        As :func:`mac_sequence`.
    NumericsError
        As :func:`mac_sequence`.
    """
    spec = Accumulator("fp32") if accumulator is None else accumulator
    return acc_decode(mac_sequence(a, b, fmt, spec, mul="lmul"), spec)

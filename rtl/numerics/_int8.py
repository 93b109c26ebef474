"""Signed INT8 multiplier and multiply-accumulate (the INT8 MAC's golden model).

Operands are signed 8-bit values in [-128, 127] (reinterpret raw bus bits
with ``bits.astype(np.uint8).view(np.int8)``). The product is exact (at most
16384 in magnitude). The accumulator is an ``acc_bits``-wide two's-complement
register: ``'wrap'`` keeps the low ``acc_bits`` bits of ``acc + a*b`` (what a
plain adder does), ``'saturate'`` clamps to the register's range.
"""

from __future__ import annotations

import numpy as np

from ._formats import NumericsError

__all__ = ["int8_mul", "int8_mac", "int8_matmul", "as_signed", "wrap_signed"]

_OVERFLOW = ("wrap", "saturate")


def as_signed(x: object, bits: int, where: str, name: str) -> np.ndarray:
    """Validate integers in ``[-2**(bits-1), 2**(bits-1))`` and return int64.

    Raises
    ------
    TypeError
        Non-integer input.
    NumericsError
        A value out of range.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{where}: {name} must be an integer array, not dtype {arr.dtype}")
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if arr.dtype == np.uint64 and arr.size and int(arr.max()) > hi:
        raise NumericsError(f"{where}: {name} must be in [{lo}, {hi}], found {int(arr.max())!r}")
    out = arr.astype(np.int64)
    bad = (out < lo) | (out > hi)
    if bad.any():
        raise NumericsError(f"{where}: {name} must be in [{lo}, {hi}], found {int(out[bad].flat[0])!r}")
    return out


def wrap_signed(v: np.ndarray, bits: int) -> np.ndarray:
    """Two's-complement wrap of int64 values (any int64, wrapped modulo 2**64 first) to ``bits``."""
    u = np.asarray(v, dtype=np.int64).view(np.uint64)
    if bits < 64:
        mask = np.uint64((1 << bits) - 1)
        u = u & mask
        neg = u >= np.uint64(1 << (bits - 1))
        u = np.where(neg, u | ~mask, u)
    return np.asarray(u, dtype=np.uint64).view(np.int64)


def int8_mul(a: object, b: object) -> np.ndarray:
    """Exact product of signed 8-bit integers (int32 result).

    Parameters
    ----------
    a, b : array_like of int
        Values in [-128, 127], broadcast together.

    Raises
    ------
    TypeError
        Non-integer input.
    NumericsError
        Values out of range or shapes that do not broadcast.
    """
    where = "int8_mul"
    va = as_signed(a, 8, where, "a")
    vb = as_signed(b, 8, where, "b")
    try:
        va, vb = np.broadcast_arrays(va, vb)
    except ValueError:
        raise NumericsError(
            f"{where}: shapes of a {va.shape!r} and b {vb.shape!r} do not broadcast"
        ) from None
    return (va * vb).astype(np.int32)


def int8_mac(
    a: object, b: object, acc: object, acc_bits: int = 32, overflow: str = "wrap"
) -> np.ndarray:
    """One multiply-accumulate step ``acc + a*b`` in an ``acc_bits`` register.

    Parameters
    ----------
    a, b : array_like of int
        Signed 8-bit operands in [-128, 127].
    acc : array_like of int
        Current accumulator values, signed, in the register's range.
    acc_bits : int
        Register width, 16 to 64 (16 holds every single product).
    overflow : str
        ``'wrap'`` (two's complement, default) or ``'saturate'``.

    Returns
    -------
    numpy.ndarray of int64
        The new accumulator values (broadcast shape of a, b, acc).

    Raises
    ------
    TypeError
        Non-integer input or width.
    NumericsError
        Width or overflow policy out of range, values out of range, or
        shapes that do not broadcast.
    """
    where = "int8_mac"
    if isinstance(acc_bits, bool) or not isinstance(acc_bits, (int, np.integer)):
        raise TypeError(f"{where}: acc_bits must be an integer, not {acc_bits!r}")
    if not 16 <= acc_bits <= 64:
        raise NumericsError(f"{where}: acc_bits must be in [16, 64], not {acc_bits!r}")
    if overflow not in _OVERFLOW:
        raise NumericsError(f"{where}: overflow must be one of {_OVERFLOW}, not {overflow!r}")
    va = as_signed(a, 8, where, "a")
    vb = as_signed(b, 8, where, "b")
    vacc = as_signed(acc, int(acc_bits), where, "acc")
    try:
        va, vb, vacc = np.broadcast_arrays(va, vb, vacc)
    except ValueError:
        raise NumericsError(
            f"{where}: shapes of a {va.shape!r}, b {vb.shape!r} and acc {vacc.shape!r} do not broadcast"
        ) from None
    prod = va * vb
    if overflow == "wrap":
        total = (vacc.view(np.uint64) + prod.view(np.uint64)).view(np.int64)
        return wrap_signed(total, int(acc_bits))
    lo, hi = -(1 << (acc_bits - 1)), (1 << (acc_bits - 1)) - 1
    # |prod| <= 2**14, so the sum only overflows int64 when acc_bits == 64.
    near_hi = vacc > hi - np.maximum(prod, 0)
    near_lo = vacc < lo - np.minimum(prod, 0)
    safe = np.where(near_hi | near_lo, 0, vacc + prod)
    return np.where(near_hi, hi, np.where(near_lo, lo, safe)).astype(np.int64)


def int8_matmul(
    a: object, b: object, acc_bits: int = 32, overflow: str = "wrap", init: object = 0
) -> np.ndarray:
    """INT8 GEMM ``C = init + A @ B`` through :func:`int8_mac` steps in increasing ``k``.

    With ``'wrap'`` the order does not matter (arithmetic modulo
    ``2**acc_bits``); with ``'saturate'`` it does, and this is the order an
    output-stationary PE uses.

    Parameters
    ----------
    a : array_like of int
        Signed 8-bit values, shape ``(M, K)``.
    b : array_like of int
        Signed 8-bit values, shape ``(K, N)``.
    acc_bits : int
        Accumulator width, 16 to 64.
    overflow : str
        ``'wrap'`` or ``'saturate'``.
    init : array_like of int
        Initial accumulators, broadcast to ``(M, N)``.

    Returns
    -------
    numpy.ndarray of int64, shape ``(M, N)``

    Raises
    ------
    TypeError
        Non-integer input.
    NumericsError
        Values or widths out of range, non-2-D operands, mismatched inner
        dimensions, or an ``init`` that does not broadcast.
    """
    where = "int8_matmul"
    va = as_signed(a, 8, where, "a")
    vb = as_signed(b, 8, where, "b")
    if va.ndim != 2 or vb.ndim != 2:
        raise NumericsError(f"{where}: a and b must be 2-D, got shapes {va.shape!r} and {vb.shape!r}")
    if va.shape[1] != vb.shape[0]:
        raise NumericsError(f"{where}: inner dimensions differ: a {va.shape!r} and b {vb.shape!r}")
    shape = (va.shape[0], vb.shape[1])
    acc = np.asarray(init)
    try:
        acc = np.broadcast_to(acc, shape)
    except ValueError:
        raise NumericsError(
            f"{where}: init of shape {acc.shape!r} does not broadcast to {shape!r}"
        ) from None
    acc = int8_mac(0, 0, acc, acc_bits, overflow)  # validates init, widths and policy
    for k in range(va.shape[1]):
        acc = int8_mac(va[:, k, None], vb[None, k, :], acc, acc_bits, overflow)
    return acc

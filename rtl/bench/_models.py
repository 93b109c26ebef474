"""Dispatch from a unit's :class:`rtl.hdl.Arith` to its golden model in :mod:`rtl.numerics`.

No arithmetic here: each function only picks the reference function and
converts bus bits (two's complement) to the model's integer conventions.
"""

from __future__ import annotations

import numpy as np

from rtl import numerics
from rtl.hdl import Arith

from ._stimulus import to_signed

__all__ = ["mac_model", "gemm_model", "acc_from_bus", "random_acc_values", "fold_model"]


def mac_model(spec: Arith, a: np.ndarray, b: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """One MAC step ``acc + a*b`` per element (operand codes as on the bus)."""
    if spec.kind == "int8":
        return numerics.int8_mac(to_signed(a, 8), to_signed(b, 8), acc, spec.acc_bits, spec.int_overflow)
    return numerics.mac(a, b, acc, spec.fmt, spec.accumulator, mul=spec.kind).astype(np.int64)


def gemm_model(spec: Arith, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``C = A @ B`` with one MAC step per ``k`` in increasing order, as accumulator values."""
    if spec.kind != "int8":
        return numerics.matmul_bits(a, b, mul=spec.kind, fmt=spec.fmt, accumulator=spec.accumulator).astype(np.int64)
    acc = np.zeros((a.shape[0], b.shape[1]), dtype=np.int64)
    for k in range(a.shape[1]):
        acc = mac_model(spec, a[:, k, None], b[None, k, :], acc)
    return acc


def acc_from_bus(spec: Arith, value: int) -> int:
    """The model's accumulator value for raw bus bits (signed for integer/fixed)."""
    width = spec.acc_width
    value &= (1 << width) - 1
    if spec.acc_signed and value >= 1 << (width - 1):
        return value - (1 << width)
    return value


def random_acc_values(spec: Arith, rng: np.random.Generator, n: int) -> np.ndarray:
    """Accumulator values to feed a PE's ``psum_in``: uniform bits plus float specials."""
    width = spec.acc_width
    raw = rng.integers(0, 1 << width, n, dtype=np.int64) if width < 63 else rng.integers(0, 1 << 62, n)
    if spec.kind != "int8" and spec.accumulator.fmt is not None:
        fmt = spec.accumulator.fmt
        m = fmt.man_bits
        specials = np.array([0, 1, (1 << m) - 1, 1 << m, fmt.max_code, fmt.inf_code, fmt.nan_code, fmt.bias << m])
        specials = np.concatenate([specials, specials | fmt.sign_mask])
        pick = rng.random(n) < 0.2
        raw[pick] = rng.choice(specials, int(pick.sum()))
        return raw
    return to_signed(raw, width)


def stationary_model(spec: Arith, plan, row_banks: np.ndarray, weight_banks: np.ndarray) -> np.ndarray:
    """The result banks a weight-stationary :class:`rtl.hdl.FoldPlan` run leaves: one chain of MAC steps per output.

    Fold by fold and beat by beat, column ``j``'s sum starts from its stored
    partial sum (zero in a fold that starts the reduction) and takes PE row
    0's product first, row ``R - 1``'s last, as the partial sum flows down;
    returns an array ``(cols, result_depth)`` like the result banks.
    """
    ra, oa = plan.addresses("row"), plan.addresses("out")
    tiles = plan.addresses("col")[:, 0]
    fresh = plan.fresh_folds()
    rows = plan.rows
    banks = np.zeros((plan.cols, plan.result_depth), dtype=np.int64)
    for f in range(plan.folds):
        w = weight_banks[:, tiles[f] * rows + rows - 1 - np.arange(rows)]  # (cols, rows): PE (i, j)'s weight
        for t in range(plan.steady):
            acc = np.zeros(plan.cols, dtype=np.int64) if fresh[f] else banks[:, oa[f, t]]
            for i in range(rows):
                acc = mac_model(spec, np.full(plan.cols, row_banks[i, ra[f, t]]), w[:, i], acc)
            banks[:, oa[f, t]] = acc
    return banks


def fold_model(spec: Arith, plan, row_banks: np.ndarray, col_banks: np.ndarray) -> np.ndarray:
    """The result words a :class:`rtl.hdl.FoldPlan` run gives: one MAC step per beat, in beat order.

    PE ``(i, j)`` of fold ``f`` sums ``row_banks[i, a] * col_banks[j, b]`` over
    the fold's beats (``plan.addresses``), starting from zero, as the golden
    model computes it; returns an array ``(cols, folds, rows)`` like the
    result banks.
    """
    ra, ca = plan.addresses("row"), plan.addresses("col")
    acc = np.zeros((plan.cols, plan.folds, plan.rows), dtype=np.int64)
    for t in range(plan.steady):
        a = row_banks[:, ra[:, t]].T[None, :, :]  # (1, folds, rows)
        b = col_banks[:, ca[:, t]][:, :, None]  # (cols, folds, 1)
        a, b = np.broadcast_arrays(a, b)
        acc = mac_model(spec, a, b, acc)
    return acc

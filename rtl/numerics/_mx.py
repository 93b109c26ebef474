"""OCP Microscaling (MX v1.0) block formats: quantize and dequantize.

A block of ``block`` (32 in the spec) consecutive values along ``axis`` shares
one E8M0 scale ``X = 2**(code - 127)`` (code 0xFF is NaN); each element is
stored in a narrow element format. Quantization follows the spec's
algorithm:

    shared_exp = floor(log2(max_i |V_i|)) - emax_elem
    X = 2**shared_exp
    P_i = quantize_to_element_format(V_i / X)   # round to nearest even, saturating

``emax_elem`` is the exponent of the element format's largest normal: 8 for
E4M3, 15 for E5M2, 4 for E3M2, 2 for E2M3 and E2M1, 0 for INT8. Because
``V_i / X`` may exceed the element's max normal (up to ``2**(emax+1)``),
elements saturate to +-max_normal. Edge cases (as Microsoft's reference
``microxcaling`` library): a shared exponent above 127, or a block holding
NaN or Inf, gives the NaN scale 0xFF (its elements are stored as 0 and
dequantize to NaN); a shared exponent below -127 (tiny blocks) is clamped
to -127; an all-zero block gets scale -127.

MXINT8 elements are 8-bit two's complement with an implicit scale 2**-6
(values -2 to 1 63/64); quantization rounds ``V_i / X * 64`` to nearest
even and clamps symmetrically to [-127, 127] (as microxcaling does), so code
-128 is never produced, though it dequantizes to -2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._bits import as_real
from ._codec import decode, encode
from ._formats import E2M1, E2M3, E3M2, E4M3, E5M2, FloatFormat, NumericsError

__all__ = ["MXTensor", "mx_quantize", "mx_dequantize", "MX_ELEMENTS", "E8M0_NAN"]

MX_ELEMENTS: dict[str, FloatFormat | None] = {
    "e4m3": E4M3,
    "e5m2": E5M2,
    "e3m2": E3M2,
    "e2m3": E2M3,
    "e2m1": E2M1,
    "int8": None,
}
E8M0_NAN = 0xFF
_SCALE_MIN, _SCALE_MAX = -127, 127


def _emax(elem: str) -> int:
    fmt = MX_ELEMENTS[elem]
    return 0 if fmt is None else fmt.emax


@dataclass(frozen=True, eq=False)
class MXTensor:
    """A tensor in an MX format.

    Attributes
    ----------
    scales : numpy.ndarray of uint8
        E8M0 scale codes; shaped like the tensor with ``axis`` of length
        ``ceil(n / block)``.
    elements : numpy.ndarray of uint8
        Element codes (INT8: two's-complement bytes), shaped like the tensor.
    elem : str
        Element format: ``'e4m3'``, ``'e5m2'``, ``'e3m2'``, ``'e2m3'``, ``'e2m1'``, ``'int8'``.
    block : int
        Block size along ``axis``.
    axis : int
        The blocked axis (non-negative).
    shape : tuple of int
        The tensor's shape.

    Raises
    ------
    TypeError
        Scales or elements that are not numpy arrays.
    NumericsError
        Unknown element format, a bad block or axis, or scales/elements whose
        shapes do not fit ``shape``, ``axis`` and ``block``.
    """

    scales: np.ndarray
    elements: np.ndarray
    elem: str
    block: int
    axis: int
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        where = "MXTensor"
        if self.elem not in MX_ELEMENTS:
            raise NumericsError(f"{where}: elem must be one of {sorted(MX_ELEMENTS)}, not {self.elem!r}")
        for name in ("scales", "elements"):
            if not isinstance(getattr(self, name), np.ndarray):
                raise TypeError(f"{where}: {name} must be a numpy array, not {getattr(self, name)!r}")
        if isinstance(self.block, bool) or not isinstance(self.block, (int, np.integer)) or self.block < 1:
            raise NumericsError(f"{where}: block must be a positive integer, not {self.block!r}")
        if not isinstance(self.axis, (int, np.integer)) or not 0 <= self.axis < len(self.shape):
            raise NumericsError(f"{where}: axis must be in [0, {len(self.shape)}), not {self.axis!r}")
        if tuple(self.elements.shape) != tuple(self.shape):
            raise NumericsError(
                f"{where}: elements of shape {self.elements.shape!r} do not match shape {self.shape!r}"
            )
        want = list(self.shape)
        want[self.axis] = -(-want[self.axis] // self.block)
        if tuple(self.scales.shape) != tuple(want):
            raise NumericsError(f"{where}: scales of shape {self.scales.shape!r} should be {tuple(want)!r}")


def _check_args(x: np.ndarray, elem: object, block: object, axis: object, where: str) -> int:
    if elem not in MX_ELEMENTS:
        raise NumericsError(f"{where}: elem must be one of {sorted(MX_ELEMENTS)}, not {elem!r}")
    for name, value in (("block", block), ("axis", axis)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{where}: {name} must be an integer, not {value!r}")
    if block < 1:
        raise NumericsError(f"{where}: block must be at least 1, not {block!r}")
    if x.ndim == 0:
        raise NumericsError(f"{where}: x must have at least one axis, got a scalar")
    if not -x.ndim <= axis < x.ndim:
        raise NumericsError(f"{where}: axis {axis!r} is out of range for {x.ndim}-D input")
    return int(axis) % x.ndim


def _blocks(v: np.ndarray, block: int) -> np.ndarray:
    """Pad the last axis with zeros to a multiple of ``block`` and split it."""
    n = v.shape[-1]
    nb = -(-n // block)
    pad = [(0, 0)] * (v.ndim - 1) + [(0, nb * block - n)]
    return np.pad(v, pad).reshape(*v.shape[:-1], nb, block)


def mx_quantize(x: object, elem: str = "e4m3", block: int = 32, axis: int = -1) -> MXTensor:
    """Quantize a real array to an MX format (shared E8M0 scale per block).

    Parameters
    ----------
    x : array_like of float
        Values (float32 in the spec; any real input is taken exactly).
    elem : str
        ``'e4m3'`` (MXFP8), ``'e5m2'`` (MXFP8), ``'e3m2'``/``'e2m3'`` (MXFP6),
        ``'e2m1'`` (MXFP4) or ``'int8'`` (MXINT8).
    block : int
        Block size (32 in the spec); a last partial block is padded with zeros.
    axis : int
        Axis along which blocks run.

    Returns
    -------
    MXTensor

    Raises
    ------
    TypeError
        Non-real input or non-integer block/axis.
    NumericsError
        Unknown element format, block < 1, axis out of range, or scalar input.
    """
    where = "mx_quantize"
    v = as_real(x, where)
    ax = _check_args(v, elem, block, axis, where)
    moved = np.moveaxis(v, ax, -1)
    n = moved.shape[-1]
    blocks = _blocks(moved, int(block))
    amax = np.max(np.abs(blocks), axis=-1) if n else np.zeros(blocks.shape[:-1])
    bad = ~np.isfinite(amax)
    _, ex = np.frexp(np.where(bad, 1.0, amax))
    shared = np.where(amax == 0, _SCALE_MIN, ex.astype(np.int64) - 1 - _emax(elem))
    nan_scale = bad | (shared > _SCALE_MAX)
    shared = np.clip(shared, _SCALE_MIN, _SCALE_MAX)
    scales = np.where(nan_scale, E8M0_NAN, shared + 127).astype(np.uint8)
    scaled = np.ldexp(blocks, -shared[..., None].astype(np.int32))
    scaled = np.where(nan_scale[..., None], 0.0, scaled)
    fmt = MX_ELEMENTS[elem]
    if fmt is None:
        q = np.clip(np.rint(scaled * 64.0), -127, 127).astype(np.int64)
        codes = (q & 0xFF).astype(np.uint8)
    else:
        codes = encode(scaled, fmt, saturate=True).astype(np.uint8)
    codes = codes.reshape(*moved.shape[:-1], -1)[..., :n]
    return MXTensor(
        scales=np.moveaxis(scales, -1, ax),
        elements=np.moveaxis(codes, -1, ax),
        elem=str(elem),
        block=int(block),
        axis=ax,
        shape=tuple(v.shape),
    )


def mx_dequantize(mx: MXTensor) -> np.ndarray:
    """Values of an :class:`MXTensor` as float32: ``element * 2**(scale - 127)``.

    The product is formed exactly and rounded once to float32 (it can only
    round for results outside float32's normal range). NaN scales give NaN.

    Raises
    ------
    TypeError
        ``mx`` is not an MXTensor.
    NumericsError
        Element codes out of range for the element format.
    """
    if not isinstance(mx, MXTensor):
        raise TypeError(f"mx_dequantize: expected an MXTensor, not {mx!r}")
    fmt = MX_ELEMENTS[mx.elem]
    if fmt is None:
        vals = np.asarray(mx.elements).astype(np.uint8).view(np.int8).astype(np.float64) / 64.0
    else:
        vals = decode(mx.elements, fmt)
    moved = np.moveaxis(vals, mx.axis, -1)
    n = moved.shape[-1]
    sc = np.moveaxis(np.asarray(mx.scales).astype(np.int64), mx.axis, -1)
    exps = np.repeat(sc, mx.block, axis=-1)[..., :n]
    out = np.ldexp(moved, (exps - 127).astype(np.int32))
    out = np.where(exps == E8M0_NAN, np.nan, out)
    with np.errstate(over="ignore"):
        return np.moveaxis(out, -1, mx.axis).astype(np.float32)

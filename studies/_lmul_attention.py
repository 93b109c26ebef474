"""1-pass attention with a pluggable multiplier for the two matrix products (exact, L-Mul or FP8).

``dataflow.execute`` evaluates every Einsum in float64 and has no hook for the
multiply operator, so this module runs the *same* 1-pass cascade
(``dataflow.library.attention_1pass``: per chunk of ``M0`` keys, block scores
``BQK``, local max ``LM``, running max ``RM``, ``SLN = exp(BQK - RM)``,
``SLD``, ``SLNV``, rescale ``PRM`` and running ``RD`` / ``RNV``, then
``AV = RNV / RD``) chunk by chunk, with the products ``Q*K`` and ``SLN*V``
computed by :func:`rtl.numerics.matmul` (bit-exact L-Mul or FP8 products,
FP32 accumulation in increasing ``k``).  Everything else (max, exp, the
rescaling, the division) runs in float64, as the cascade's vector-unit Einsums.
With ``mul='exact'`` the result must equal the executor's; the study and its
test check that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtl.numerics import FloatFormat, encode, float_format, matmul

from ._common import StudyError

__all__ = ["Multiplier", "attention_1pass_with", "pow2_scale", "MULTIPLIERS"]

#: Multiplier kinds.
MULTIPLIERS: tuple[str, ...] = ("exact", "lmul", "fp8")


@dataclass(frozen=True)
class Multiplier:
    """How the two matrix products of attention are computed.

    Parameters
    ----------
    kind : str
        ``'exact'`` (float64), ``'lmul'`` (operands rounded to ``fmt``, L-Mul
        products) or ``'fp8'`` (operands scaled by a power of two and rounded
        to ``fmt``, exact products).
    fmt : FloatFormat or None
        Operand format (``float_format(8, m)`` for L-Mul, E4M3/E5M2 for FP8).
    """

    kind: str
    fmt: FloatFormat | None = None

    def __post_init__(self) -> None:
        if self.kind not in MULTIPLIERS:
            raise StudyError(f"Multiplier.kind must be one of {MULTIPLIERS}, not {self.kind!r}")
        if (self.kind == "exact") != (self.fmt is None):
            raise StudyError(f"Multiplier {self.kind!r}: fmt must be {'None' if self.kind == 'exact' else 'a FloatFormat'}, not {self.fmt!r}")

    @classmethod
    def lmul(cls, man_bits: int) -> "Multiplier":
        """L-Mul on a BF16-style format: 8 exponent bits (bias 127), ``man_bits`` mantissa bits."""
        return cls("lmul", float_format(8, man_bits))

    @property
    def label(self) -> str:
        """``'exact'``, ``'lmul_m4'``, ``'fp8_e4m3'``."""
        if self.kind == "exact":
            return "exact"
        if self.kind == "lmul":
            return f"lmul_m{self.fmt.man_bits}"
        return f"fp8_{self.fmt.name}"

    def product(self, a: np.ndarray, b: np.ndarray, scale_a: float = 1.0, scale_b: float = 1.0) -> np.ndarray:
        """``a @ b`` with this multiplier (``a`` is (M, K), ``b`` is (K, N)); FP8 operands pre-scaled."""
        if self.kind == "exact":
            return a @ b
        if self.kind == "lmul":
            ca, cb = encode(a, self.fmt, saturate=True), encode(b, self.fmt, saturate=True)
            return matmul(ca, cb, mul="lmul", fmt=self.fmt)
        ca = encode(a * scale_a, self.fmt, saturate=True)
        cb = encode(b * scale_b, self.fmt, saturate=True)
        return matmul(ca, cb, mul="fp8", fmt=self.fmt) / (scale_a * scale_b)


def pow2_scale(x: np.ndarray, fmt: FloatFormat) -> float:
    """The power of two that brings ``max|x|`` just under ``fmt``'s largest normal (per-tensor FP8 scaling)."""
    peak = float(np.max(np.abs(x)))
    if peak == 0.0:
        return 1.0
    return float(2.0 ** np.floor(np.log2(fmt.max_normal / peak)))


def attention_1pass_with(q: np.ndarray, k: np.ndarray, v: np.ndarray, m0: int, mul: Multiplier) -> dict[str, np.ndarray]:
    """Run the 1-pass attention cascade with ``mul`` for ``Q*K`` and ``SLN*V``.

    Parameters
    ----------
    q : ndarray (E, P)
    k : ndarray (E, M)
    v : ndarray (F, M)
    m0 : int
        Keys per chunk (divides M).
    mul : Multiplier

    Returns
    -------
    dict
        ``'AV'`` (F, P) and ``'QK'`` (M, P): the output and the scores as the multiplier computed them.

    Raises
    ------
    StudyError
        Shapes that do not match or a chunk size that does not divide M.
    """
    e, p = q.shape
    if k.shape[0] != e or v.shape[1] != k.shape[1]:
        raise StudyError(f"attention_1pass_with: shapes Q {q.shape!r}, K {k.shape!r}, V {v.shape!r} do not match")
    m = k.shape[1]
    if m0 <= 0 or m % m0:
        raise StudyError(f"attention_1pass_with: m0 must divide M={m}, not {m0!r}")
    f = v.shape[0]
    fp8 = mul.kind == "fp8"
    sq = pow2_scale(q, mul.fmt) if fp8 else 1.0
    sk = pow2_scale(k, mul.fmt) if fp8 else 1.0
    sv = pow2_scale(v, mul.fmt) if fp8 else 1.0
    rm = np.full(p, -np.inf)
    rd = np.zeros(p)
    rnv = np.zeros((f, p))
    scores = np.empty((m, p))
    with np.errstate(invalid="ignore", over="ignore"):
        for start in range(0, m, m0):
            kc, vc = k[:, start : start + m0], v[:, start : start + m0]
            bqk = mul.product(kc.T, q, sk, sq)  # BQK[m0, p] = K[e, m0] * Q[e, p]
            scores[start : start + m0] = bqk
            new_rm = np.maximum(rm, bqk.max(axis=0))  # LM, then RM[m1+1]
            sln = np.exp(bqk - new_rm)
            sld = sln.sum(axis=0)
            slnv = mul.product(vc, sln, sv, 1.0)  # SLNV[f, p] = SLN[m0, p] * V[f, m0]
            prm = np.exp(rm - new_rm)
            rd = sld + rd * prm
            rnv = slnv + rnv * prm
            rm = new_rm
    return {"AV": rnv / rd, "QK": scores}


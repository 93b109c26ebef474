"""Attention in the FuseMax taxonomy (3-pass, 2-pass, 1-pass) and the transformer encoder block.

Ranks follow FuseMax: ``e`` (query/key embedding), ``f`` (value embedding),
``m`` (keys, the sequence rank that softmax reduces), ``p`` (queries), and
``h`` (heads) when there is more than one head.  The 1-pass cascade splits
``m`` into chunks ``m1`` (of ``M0`` keys each, ``m0`` within a chunk), keeps a
running maximum ``RM`` with ``RM[m1+1] = max(RM[m1], LM[m1])`` and rescales
the running denominator and numerator by ``PRM = exp(RM[m1] - RM[m1+1])``.
"""

from __future__ import annotations

from typing import NamedTuple

from .._build import parse_cascade
from .._cascade import Cascade
from ._basic import layernorm_lines
from ._util import LibraryParameterError, check_positive

__all__ = [
    "attention",
    "attention_3pass",
    "attention_2pass",
    "attention_1pass",
    "attention_lines",
    "transformer_block",
    "block_parts",
    "Part",
]


class Part(NamedTuple):
    """A named group of Einsum lines of a larger workload, with the weights it reads."""

    name: str
    lines: tuple[str, ...]
    weights: tuple[str, ...]


def attention_lines(variant: int, pre: str, q: str, k: str, v: str, out: str, heads: bool, chunks: int = 1) -> list[str]:
    """Einsum lines of softmax attention ``out = softmax(q.k) v`` in the FuseMax ``variant`` (3, 2 or 1 passes).

    ``chunks`` is the number of chunks ``M1`` of the 1-pass variant.
    """
    h = "h," if heads else ""
    if variant == 1:
        step = "m1*{M0}+m0"  # filled in by the caller's shapes below
        return [
            f"{pre}BQK[{h}m1,m0,p] = {q}[{h}e,p] * {k}[{h}e,{step}]",
            f"{pre}LM[{h}m1,p] = {pre}BQK[{h}m1,m0,p] :: max(m0)",
            f"{pre}RM[{h}m1+1,p] = max({pre}RM[{h}m1,p], {pre}LM[{h}m1,p])",
            f"{pre}SLN[{h}m1,m0,p] = exp({pre}BQK[{h}m1,m0,p] - {pre}RM[{h}m1+1,p])",
            f"{pre}SLD[{h}m1,p] = {pre}SLN[{h}m1,m0,p]",
            f"{pre}SLNV[{h}f,m1,p] = {pre}SLN[{h}m1,m0,p] * {v}[{h}f,{step}]",
            f"{pre}PRM[{h}m1,p] = exp({pre}RM[{h}m1,p] - {pre}RM[{h}m1+1,p])",
            f"{pre}RD[{h}m1+1,p] = {pre}SLD[{h}m1,p] + {pre}RD[{h}m1,p] * {pre}PRM[{h}m1,p]",
            f"{pre}RNV[{h}f,m1+1,p] = {pre}SLNV[{h}f,m1,p] + {pre}RNV[{h}f,m1,p] * {pre}PRM[{h}m1,p]",
            f"{out}[{h}f,p] = {pre}RNV[{h}f,{chunks},p] / {pre}RD[{h}{chunks},p]",
        ]
    head = [
        f"{pre}QK[{h}m,p] = {q}[{h}e,p] * {k}[{h}e,m]",
        f"{pre}GM[{h}p] = {pre}QK[{h}m,p] :: max(m)",
        f"{pre}SN[{h}m,p] = exp({pre}QK[{h}m,p] - {pre}GM[{h}p])",
        f"{pre}SD[{h}p] = {pre}SN[{h}m,p]",
    ]
    if variant == 2:
        return head + [
            f"{pre}SNV[{h}f,p] = {pre}SN[{h}m,p] * {v}[{h}f,m]",
            f"{out}[{h}f,p] = {pre}SNV[{h}f,p] / {pre}SD[{h}p]",
        ]
    return head + [
        f"{pre}A[{h}m,p] = {pre}SN[{h}m,p] / {pre}SD[{h}p]",
        f"{out}[{h}f,p] = {pre}A[{h}m,p] * {v}[{h}f,m]",
    ]


def _check_variant(builder: str, variant: object, M: int, M0: int) -> int:
    if variant not in (1, 2, 3) or isinstance(variant, bool):
        raise LibraryParameterError(f"{builder}: variant must be 3, 2 or 1 (passes), not {variant!r}")
    if variant == 1 and M % M0:
        raise LibraryParameterError(f"{builder}: M0 must divide the sequence length {M}, not {M0!r}")
    return M // M0


def _fill(lines: list[str], M0: int) -> list[str]:
    return [line.replace("{M0}", str(M0)) for line in lines]


#: Keys per chunk of the 1-pass cascade when ``M0`` is 0 (the default): at most this many, FuseMax's chunk for its
#: 256-wide array (a chunk's scores then fill a row of PEs).
DEFAULT_CHUNK = 256


def attention(variant: int = 3, M: int = 1024, P: int = 1024, E: int = 64, F: int = 64, M0: int = 0, H: int = 1) -> Cascade:
    """Softmax attention ``AV[f,p] = softmax_m(Q[e,p] K[e,m]) V[f,m]`` as a FuseMax cascade.

    Parameters
    ----------
    variant : int
        3 (max, then exp-and-sum, then normalize), 2 (normalization deferred
        after the value product) or 1 (running max with rescaling over chunks of ``M0`` keys).
    M, P : int
        Keys and queries.
    E, F : int
        Query/key and value embedding sizes.
    M0 : int
        Keys per chunk of the 1-pass variant (must divide ``M``; ignored otherwise); 0 (the default): the largest
        divisor of ``M`` up to :data:`DEFAULT_CHUNK`.
    H : int
        Heads; with more than one, every tensor gets a leading rank ``h``.

    Raises
    ------
    TypeError, ValueError
        For non-positive sizes, an unknown variant, or ``M0`` not dividing ``M``.
    """
    check_positive("attention", M=M, P=P, E=E, F=F, H=H)
    if isinstance(M0, int) and not isinstance(M0, bool) and M0 == 0:
        M0 = max(d for d in range(1, min(M, DEFAULT_CHUNK) + 1) if M % d == 0)
    check_positive("attention", M0=M0)
    chunks = _check_variant("attention", variant, M, M0)
    heads = H > 1
    shapes = {"e": E, "f": F, "m": M, "p": P}
    h = ["h"] if heads else []
    tensors: dict[str, dict] = {}
    if heads:
        shapes = {"h": H, **shapes}
    if variant == 1:
        shapes.update(m1=chunks, m0=M0)
        tensors = {"K": {"dims": h + ["e", "m"]}, "V": {"dims": h + ["f", "m"]}, "RM": {"init": float("-inf")}}
    lines = _fill(attention_lines(variant, "", "Q", "K", "V", "AV", heads, chunks), M0)
    return parse_cascade(lines, shapes, name=f"attention_{variant}pass", tensors=tensors)


def attention_3pass(M: int = 1024, P: int = 1024, E: int = 64, F: int = 64, H: int = 1) -> Cascade:
    """3-pass softmax attention (see :func:`attention`)."""
    return attention(3, M=M, P=P, E=E, F=F, H=H)


def attention_2pass(M: int = 1024, P: int = 1024, E: int = 64, F: int = 64, H: int = 1) -> Cascade:
    """2-pass softmax attention, normalization deferred (see :func:`attention`)."""
    return attention(2, M=M, P=P, E=E, F=F, H=H)


def attention_1pass(M: int = 1024, P: int = 1024, E: int = 64, F: int = 64, M0: int = 0, H: int = 1) -> Cascade:
    """1-pass softmax attention with a running max and rescaling (see :func:`attention`)."""
    return attention(1, M=M, P=P, E=E, F=F, M0=M0, H=H)


def block_parts(pre: str, x: str, y: str, D: int, variant: int, chunks: int, M0: int) -> list[Part]:
    """The encoder block reading ``x[d,p]`` and writing ``y[d,p]``, as named parts (tensor names prefixed ``pre``).

    Post-layer-norm BERT block: Q/K/V projections with biases, multi-head
    attention, output projection with bias and residual, layer norm, GELU
    feed-forward with residual, layer norm.  The attention scale 1/sqrt(E) is
    folded into the query weights.
    """
    w = lambda *names: tuple(pre + n for n in names)  # noqa: E731 - short local helper
    parts = [
        Part("q_projection", (f"{pre}Q[h,e,p] = {x}[d,p] * {pre}WQ[d,h,e]", f"{pre}QB[h,e,p] = {pre}Q[h,e,p] + {pre}BQ[h,e]"), w("WQ", "BQ")),
        Part("k_projection", (f"{pre}K[h,e,m] = {x}[d,m] * {pre}WK[d,h,e]", f"{pre}KB[h,e,m] = {pre}K[h,e,m] + {pre}BK[h,e]"), w("WK", "BK")),
        Part("v_projection", (f"{pre}V[h,f,m] = {x}[d,m] * {pre}WV[d,h,f]", f"{pre}VB[h,f,m] = {pre}V[h,f,m] + {pre}BV[h,f]"), w("WV", "BV")),
    ]
    core = _fill(attention_lines(variant, pre, f"{pre}QB", f"{pre}KB", f"{pre}VB", f"{pre}AV", True, chunks), M0)
    if variant == 3:
        parts += [
            Part("attention_scores", tuple(core[:1]), ()),
            Part("softmax", tuple(core[1:5]), ()),
            Part("attention_values", tuple(core[5:]), ()),
        ]
    else:
        parts.append(Part("attention", tuple(core), ()))
    parts += [
        Part(
            "output_projection",
            (f"{pre}AO[d,p] = {pre}AV[h,f,p] * {pre}WO[h,f,d]", f"{pre}R1[d,p] = {pre}AO[d,p] + {pre}BO[d] + {x}[d,p]"),
            w("WO", "BO"),
        ),
        Part("layernorm", tuple(layernorm_lines(f"{pre}R1", f"{pre}Y1", f"{pre}N1", D)), w("N1G", "N1B")),
        Part(
            "ffn1",
            (f"{pre}F1[i,p] = {pre}Y1[d,p] * {pre}W1[d,i]", f"{pre}GE[i,p] = gelu({pre}F1[i,p] + {pre}B1[i])"),
            w("W1", "B1"),
        ),
        Part(
            "ffn2",
            (f"{pre}F2[d,p] = {pre}GE[i,p] * {pre}W2[i,d]", f"{pre}R2[d,p] = {pre}F2[d,p] + {pre}B2[d] + {pre}Y1[d,p]"),
            w("W2", "B2"),
        ),
        Part("layernorm", tuple(layernorm_lines(f"{pre}R2", y, f"{pre}N2", D)), w("N2G", "N2B")),
    ]
    return parts


def block_shapes(builder: str, P: int, D: int, H: int, FF: int, variant: int, M0: int) -> tuple[dict[str, int], int]:
    """Rank sizes of an encoder block and the number of key chunks (checked)."""
    check_positive(builder, P=P, D=D, H=H, FF=FF, M0=M0)
    if D % H:
        raise LibraryParameterError(f"{builder}: heads H must divide the hidden size D={D}, not {H!r}")
    chunks = _check_variant(builder, variant, P, M0)
    shapes = {"d": D, "h": H, "e": D // H, "f": D // H, "m": P, "p": P, "i": FF}
    if variant == 1:
        shapes.update(m1=chunks, m0=M0)
    return shapes, chunks


def block_declarations(parts: list[Part], variant: int, pre: str) -> dict[str, dict]:
    """Weight declarations of ``parts`` (and the running max's ``-inf`` start for the 1-pass variant)."""
    tensors: dict[str, dict] = {name: {"weight": True} for part in parts for name in part.weights}
    if variant == 1:
        tensors[f"{pre}RM"] = {"init": float("-inf")}
    return tensors


def transformer_block(P: int = 128, D: int = 768, H: int = 12, FF: int = 3072, variant: int = 3, M0: int = 32) -> Cascade:
    """One BERT-style encoder block on ``X[d,p]`` writing ``Y[d,p]``.

    Parameters
    ----------
    P : int
        Sequence length (ranks p and m).
    D, H, FF : int
        Hidden size, heads (must divide D; head size E = F = D/H), feed-forward size (rank i).
    variant : int
        Attention variant: 3, 2 or 1 passes (see :func:`attention`).
    M0 : int
        Keys per chunk for the 1-pass variant.

    Raises
    ------
    TypeError, ValueError
        For bad sizes or variant.
    """
    shapes, chunks = block_shapes("transformer_block", P, D, H, FF, variant, M0)
    parts = block_parts("", "X", "Y", D, variant, chunks, M0)
    lines = [line for part in parts for line in part.lines]
    return parse_cascade(lines, shapes, name="transformer_block", tensors=block_declarations(parts, variant, ""))

"""Single-operator workloads: GEMM, batched GEMM, convolutions, MLP, layer normalization."""

from __future__ import annotations

from typing import Sequence

from .._build import parse_cascade
from .._cascade import Cascade
from ._util import LibraryParameterError, affine, check_positive

__all__ = ["gemm", "batched_gemm", "conv2d", "depthwise_conv2d", "mlp", "layernorm", "layernorm_lines", "conv_output_size"]


def gemm(M: int = 64, N: int = 64, K: int = 64) -> Cascade:
    """``Z[m,n] = A[m,k] * B[k,n]``.

    Parameters
    ----------
    M, N, K : int
        Sizes of ranks m, n and k.

    Raises
    ------
    TypeError, ValueError
        For sizes that are not positive integers.
    """
    check_positive("gemm", M=M, N=N, K=K)
    return parse_cascade(["Z[m,n] = A[m,k] * B[k,n]"], {"m": M, "n": N, "k": K}, name="gemm")


def batched_gemm(B: int = 8, M: int = 64, N: int = 64, K: int = 64) -> Cascade:
    """``Z[b,m,n] = A[b,m,k] * B[b,k,n]``.

    Parameters
    ----------
    B, M, N, K : int
        Sizes of ranks b, m, n and k.

    Raises
    ------
    TypeError, ValueError
        For sizes that are not positive integers.
    """
    check_positive("batched_gemm", B=B, M=M, N=N, K=K)
    return parse_cascade(
        ["Z[b,m,n] = A[b,m,k] * B[b,k,n]"], {"b": B, "m": M, "n": N, "k": K}, name="batched_gemm"
    )


def conv_output_size(builder: str, size: int, kernel: int, stride: int, padding: int) -> int:
    """Output extent of a convolution, checked to be at least 1.

    Raises
    ------
    LibraryParameterError
        When the kernel does not fit in the padded input.
    """
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise LibraryParameterError(f"{builder}: padding must be a non-negative integer, not {padding!r}")
    out = (size + 2 * padding - kernel) // stride + 1
    if out < 1:
        raise LibraryParameterError(
            f"{builder}: a {kernel}-wide kernel does not fit an input of {size} with padding {padding}"
        )
    return out


def _conv(name: str, depthwise: bool, N, C, K, H, W, R, S, stride, padding) -> Cascade:
    check_positive(name, N=N, C=C, K=K, H=H, W=W, R=R, S=S, stride=stride)
    P = conv_output_size(name, H, R, stride, padding)
    Q = conv_output_size(name, W, S, stride, padding)
    shapes = {"n": N, "c": C, "p": P, "q": Q, "r": R, "s": S, "h": H, "w": W}
    tensors: dict[str, dict] = {"I": {"dims": ["n", "c", "h", "w"]}, "W": {"weight": True}}
    lines = []
    source = "I"
    if padding:
        shapes.update(hp=H + 2 * padding, wp=W + 2 * padding)
        tensors["IP"] = {"dims": ["n", "c", "hp", "wp"]}
        lines.append(f"IP[n,c,h+{padding},w+{padding}] = I[n,c,h,w]")
        source = "IP"
    rows, cols = affine(("p", stride), "r"), affine(("q", stride), "s")
    if depthwise:
        lines.append(f"O[n,c,p,q] = {source}[n,c,{rows},{cols}] * W[c,r,s]")
    else:
        shapes["k"] = K
        lines.append(f"O[n,k,p,q] = {source}[n,c,{rows},{cols}] * W[k,c,r,s]")
    return parse_cascade(lines, shapes, name=name, tensors=tensors)


def conv2d(
    N: int = 1, C: int = 16, K: int = 16, H: int = 16, W: int = 16, R: int = 3, S: int = 3,
    stride: int = 1, padding: int = 0,
) -> Cascade:
    """2-D convolution ``O[n,k,p,q] = I[n,c,p*stride+r,q*stride+s] * W[k,c,r,s]``.

    With ``padding > 0`` a first Einsum copies the input into the interior of
    a zero-initialized padded tensor ``IP`` (dims ``hp = H + 2*padding``,
    ``wp``), which the convolution reads.

    Parameters
    ----------
    N, C, K : int
        Batch, input channels, output channels.
    H, W : int
        Input height and width (unpadded).
    R, S : int
        Kernel height and width.
    stride, padding : int
        Stride (>= 1) and zero padding (>= 0) of both spatial ranks.

    Raises
    ------
    TypeError, ValueError
        For non-positive sizes, negative padding, or a kernel that does not fit.
    """
    return _conv("conv2d", False, N, C, K, H, W, R, S, stride, padding)


def depthwise_conv2d(
    N: int = 1, C: int = 16, H: int = 16, W: int = 16, R: int = 3, S: int = 3, stride: int = 1, padding: int = 0
) -> Cascade:
    """Depthwise convolution ``O[n,c,p,q] = I[n,c,p*stride+r,q*stride+s] * W[c,r,s]`` (padding as :func:`conv2d`).

    Parameters
    ----------
    N, C, H, W, R, S, stride, padding : int
        As :func:`conv2d` (one filter per channel).

    Raises
    ------
    TypeError, ValueError
        For non-positive sizes, negative padding, or a kernel that does not fit.
    """
    return _conv("depthwise_conv2d", True, N, C, 1, H, W, R, S, stride, padding)


def mlp(N: int = 8, sizes: Sequence[int] = (64, 128, 10)) -> Cascade:
    """Multi-layer perceptron: ``H = X * W + B`` per layer, ReLU between layers.

    Parameters
    ----------
    N : int
        Batch size (rank n).
    sizes : sequence of int
        Feature sizes, input first (ranks i0, i1, ...); at least two.

    Raises
    ------
    TypeError, ValueError
        For non-positive sizes or fewer than two of them.
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
        raise LibraryParameterError(f"mlp: sizes must list at least two feature sizes, not {sizes!r}")
    check_positive("mlp", N=N, **{f"sizes[{i}]": s for i, s in enumerate(sizes)})
    shapes = {"n": N, **{f"i{i}": s for i, s in enumerate(sizes)}}
    lines, tensors = [], {}
    source = "X"
    layers = len(sizes) - 1
    for j in range(1, layers + 1):
        a, b = f"i{j - 1}", f"i{j}"
        tensors[f"W{j}"] = {"weight": True}
        tensors[f"B{j}"] = {"weight": True}
        lines.append(f"H{j}[n,{b}] = {source}[n,{a}] * W{j}[{a},{b}]")
        if j < layers:
            lines.append(f"A{j}[n,{b}] = relu(H{j}[n,{b}] + B{j}[{b}])")
            source = f"A{j}"
        else:
            lines.append(f"Y[n,{b}] = H{j}[n,{b}] + B{j}[{b}]")
    return parse_cascade(lines, shapes, name="mlp", tensors=tensors)


def layernorm_lines(x: str, y: str, prefix: str, size: int, d: str = "d", p: str = "p", fused_stats: bool = False) -> list[str]:
    """Einsums normalizing ``x[d,p]`` over ``d`` into ``y[d,p]`` with gain ``{prefix}G[d]`` and bias ``{prefix}B[d]``.

    The centered form (mean, then the variance of the centered values) needs
    3 passes over ``d``; ``fused_stats`` computes mean and mean of squares
    together and needs 2.
    """
    scale = repr(1.0 / size)
    eps = "1e-12"
    if fused_stats:
        return [
            f"{prefix}MU[{p}] = {x}[{d},{p}] * {scale}",
            f"{prefix}MS[{p}] = {x}[{d},{p}] * {x}[{d},{p}] * {scale}",
            f"{prefix}RSTD[{p}] = recip(sqrt({prefix}MS[{p}] - {prefix}MU[{p}] * {prefix}MU[{p}] + {eps}))",
            f"{y}[{d},{p}] = ({x}[{d},{p}] - {prefix}MU[{p}]) * {prefix}RSTD[{p}] * {prefix}G[{d}] + {prefix}B[{d}]",
        ]
    return [
        f"{prefix}MU[{p}] = {x}[{d},{p}] * {scale}",
        f"{prefix}XC[{d},{p}] = {x}[{d},{p}] - {prefix}MU[{p}]",
        f"{prefix}VAR[{p}] = {prefix}XC[{d},{p}] * {prefix}XC[{d},{p}] * {scale}",
        f"{prefix}RSTD[{p}] = recip(sqrt({prefix}VAR[{p}] + {eps}))",
        f"{y}[{d},{p}] = {prefix}XC[{d},{p}] * {prefix}RSTD[{p}] * {prefix}G[{d}] + {prefix}B[{d}]",
    ]


def layernorm(P: int = 128, D: int = 768, fused_stats: bool = False) -> Cascade:
    """Layer normalization of ``X[d,p]`` over ``d`` (epsilon 1e-12, as BERT).

    Parameters
    ----------
    P, D : int
        Tokens (rank p) and features (rank d).
    fused_stats : bool
        Compute mean and mean of squares in one pass (2 passes over d instead of 3).

    Raises
    ------
    TypeError, ValueError
        For sizes that are not positive integers.
    """
    check_positive("layernorm", P=P, D=D)
    if not isinstance(fused_stats, bool):
        raise TypeError(f"layernorm: fused_stats must be true or false, not {fused_stats!r}")
    lines = layernorm_lines("X", "Y", "", D, fused_stats=fused_stats)
    return parse_cascade(lines, {"d": D, "p": P}, name="layernorm", tensors={"G": {"weight": True}, "B": {"weight": True}})

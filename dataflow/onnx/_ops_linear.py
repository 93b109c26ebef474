"""MatMul (batched, broadcast) and Gemm (transposed, scaled) as sum-reductions."""

from __future__ import annotations

from ._builder import Operand, number
from ._context import Context, converter
from ._views import Affine, View

__all__ = ["matmul"]


def matmul(ctx: Context, a: View, b: View, name: str, scale: float = 1.0) -> View:
    """``name = a @ b`` (numpy matmul semantics) as one Einsum summing over the shared axis; returns its view."""
    squeeze_m = a.rank == 1
    squeeze_n = b.rank == 1
    if squeeze_m:
        a = a.unsqueeze(0)
    if squeeze_n:
        b = b.unsqueeze(1)
    if a.shape[-1] != b.shape[-2]:
        raise ctx.error(f"MatMul of shapes {list(a.shape)!r} and {list(b.shape)!r}: inner sizes differ")
    batch = max(a.rank, b.rank) - 2
    while a.rank < batch + 2:
        a = a.unsqueeze(0)
    while b.rank < batch + 2:
        b = b.unsqueeze(0)
    batch_shape = []
    for i in range(batch):
        x, y = a.shape[i], b.shape[i]
        if x != y and 1 not in (x, y):
            raise ctx.error(f"MatMul batch sizes {x} and {y} do not broadcast")
        batch_shape.append(max(x, y))
    scope = ctx.builder.scope()
    batch_axes = [scope.pieces(size, [a, b], [i, i], "b") for i, size in enumerate(batch_shape)]
    M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
    m_axis = scope.pieces(M, [a], [batch], "m")
    n_axis = scope.pieces(N, [b], [batch + 1], "n")
    k_axis = scope.pieces(K, [a, b], [batch + 1, batch], "k")
    coord = lambda pieces: [(s, Affine.of(r)) for s, r in pieces]  # noqa: E731 - local shorthand
    a_text = ctx.builder.read(a, [coord(p) for p in batch_axes] + [coord(m_axis), coord(k_axis)])
    b_text = ctx.builder.read(b, [coord(p) for p in batch_axes] + [coord(k_axis), coord(n_axis)])
    out_axes = batch_axes + ([] if squeeze_m else [m_axis]) + ([] if squeeze_n else [n_axis])
    out_shape = tuple(batch_shape) + (() if squeeze_m else (M,)) + (() if squeeze_n else (N,))
    target, view = ctx.builder.output(name, out_axes, out_shape)
    factor = "" if scale == 1.0 else f" * {number(scale)}"
    ctx.emit(f"{target} = {a_text} * {b_text}{factor}")
    return view


@converter("MatMul")
def matmul_node(ctx: Context, node) -> None:
    view = matmul(ctx, ctx.view(node.input[0]), ctx.view(node.input[1]), ctx.out())
    ctx.bind(node.output[0], view)


@converter("Gemm")
def gemm(ctx: Context, node) -> None:
    a, b = ctx.view(node.input[0]), ctx.view(node.input[1])
    if ctx.attr("transA", 0):
        a = a.transpose((1, 0))
    if ctx.attr("transB", 0):
        b = b.transpose((1, 0))
    alpha, beta = float(ctx.attr("alpha", 1.0)), float(ctx.attr("beta", 1.0))
    bias = ctx.input(2)
    if not bias or beta == 0.0:
        ctx.bind(node.output[0], matmul(ctx, a, b, ctx.out(), alpha))
        return
    product = matmul(ctx, a, b, ctx.out(0, "_mm"), alpha)
    operand = ctx.operand(bias)
    if operand.view is None:
        operand = Operand(value=operand.value * beta)
        combine = lambda t: f"{t[0]} + {t[1]}"  # noqa: E731
    elif beta != 1.0:
        combine = lambda t: f"{t[0]} + {t[1]} * {number(beta)}"  # noqa: E731
    else:
        combine = lambda t: f"{t[0]} + {t[1]}"  # noqa: E731
    view = ctx.builder.elementwise(ctx.out(), [Operand(view=product), operand], combine, ctx.label, product.shape)
    ctx.bind(node.output[0], view)

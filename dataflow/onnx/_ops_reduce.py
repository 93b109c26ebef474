"""Reductions and the operators decomposed into them: Softmax, LayerNormalization, BatchNormalization.

Softmax is the library's 3-pass form (max, exp of the difference, sum,
division); LayerNormalization is the library's centered form (mean, centered
values, variance, reciprocal standard deviation, scale and shift), so their
op counts match :mod:`dataflow.library`'s transformer block.
"""

from __future__ import annotations

import math

import numpy as np

from ._builder import Operand, number
from ._context import Context, Unsupported, converter
from ._views import Affine, View

__all__ = ["reduce_view"]


def reduce_view(ctx: Context, view: View, axes: list[int], name: str, op: str, body=None, scale: float | None = None) -> View:
    """``name = body(view) [* scale]`` reduced with ``op`` over ``axes`` (which are dropped from the result)."""
    scope = ctx.builder.scope()
    pieces = [scope.pieces(size, [view], [i], "r" if i in axes else "d") for i, size in enumerate(view.shape)]
    source = ctx.builder.read(view, [[(s, Affine.of(r)) for s, r in p] for p in pieces])
    kept = [p for i, p in enumerate(pieces) if i not in axes]
    shape = tuple(s for i, s in enumerate(view.shape) if i not in axes)
    target, out = ctx.builder.output(name, kept, shape)
    text = body(source) if body else source
    if scale is not None:
        text = f"{text} * {number(scale)}"
    reduced = [r for i, p in enumerate(pieces) if i in axes for s, r in p if s > 1]
    if op != "sum" and reduced:
        text += f" :: {op}({','.join(reduced)})"
    ctx.emit(f"{target} = {text}")
    return out


def _restore(view: View, axes: list[int]) -> View:
    for axis in sorted(axes):
        view = view.unsqueeze(axis)
    return view


_REDUCERS = {
    "ReduceSum": ("sum", None, False),
    "ReduceMean": ("sum", None, True),
    "ReduceMax": ("max", None, False),
    "ReduceMin": ("min", None, False),
    "ReduceSumSquare": ("sum", lambda t: f"{t} * {t}", False),
}


@converter(*_REDUCERS, "ReduceL2")
def reduce(ctx: Context, node) -> None:
    view = ctx.view(node.input[0])
    axes_before = 13 if node.op_type == "ReduceSum" else 18
    if ctx.opset < axes_before:
        axes = ctx.attr("axes")
    else:
        axes = [int(a) for a in ctx.need_const(ctx.input(1), "axes").reshape(-1)] if ctx.input(1) else None
    if axes is None or not len(axes):
        if ctx.attr("noop_with_empty_axes", 0):
            ctx.bind(node.output[0], view)
            return
        axes = list(range(view.rank))
    axes = sorted({ctx.axis(int(a), view.rank) for a in axes})
    keep = bool(ctx.attr("keepdims", 1))
    count = math.prod(view.shape[a] for a in axes)
    if node.op_type == "ReduceL2":
        total = reduce_view(ctx, view, axes, ctx.out(0, "_sumsq"), "sum", lambda t: f"{t} * {t}")
        result = ctx.builder.elementwise(ctx.out(), [Operand(view=total)], lambda t: f"sqrt({t[0]})", ctx.label, total.shape)
    else:
        op, body, mean = _REDUCERS[node.op_type]
        result = reduce_view(ctx, view, axes, ctx.out(), op, body, 1.0 / count if mean else None)
    ctx.bind(node.output[0], _restore(result, axes) if keep else result)


def softmax_views(ctx: Context, x: View, axes: list[int], name: str) -> View:
    """The 3-pass softmax of ``x`` over ``axes``: max, exp of the difference, sum, division."""
    b = ctx.builder
    peak = _restore(reduce_view(ctx, x, axes, b.tensor_name(name + "_max"), "max"), axes)
    numerator = b.elementwise(b.tensor_name(name + "_exp"), [Operand(view=x), Operand(view=peak)],
                              lambda t: f"exp({t[0]} - {t[1]})", ctx.label, x.shape)
    total = _restore(reduce_view(ctx, numerator, axes, b.tensor_name(name + "_sum"), "sum"), axes)
    return b.elementwise(name, [Operand(view=numerator), Operand(view=total)], lambda t: f"{t[0]} / {t[1]}", ctx.label, x.shape)


@converter("Softmax")
def softmax(ctx: Context, node) -> None:
    x = ctx.view(node.input[0])
    axis = ctx.axis(ctx.attr("axis", -1 if ctx.opset >= 13 else 1), x.rank)
    axes = [axis] if ctx.opset >= 13 else list(range(axis, x.rank))
    ctx.bind(node.output[0], softmax_views(ctx, x, axes, ctx.out()))


@converter("LayerNormalization")
def layer_norm(ctx: Context, node) -> None:
    if any(name for name in node.output[1:]):
        raise Unsupported("its Mean/InvStdDev outputs are used")
    x = ctx.view(node.input[0])
    axis = ctx.axis(ctx.attr("axis", -1), x.rank)
    eps = float(ctx.attr("epsilon", 1e-5))
    axes = list(range(axis, x.rank))
    scale = 1.0 / math.prod(x.shape[axis:])
    b = ctx.builder
    out = ctx.out()
    mean = _restore(reduce_view(ctx, x, axes, b.tensor_name(out + "_mu"), "sum", scale=scale), axes)
    centered = b.elementwise(b.tensor_name(out + "_xc"), [Operand(view=x), Operand(view=mean)],
                             lambda t: f"{t[0]} - {t[1]}", ctx.label, x.shape)
    var = reduce_view(ctx, centered, axes, b.tensor_name(out + "_var"), "sum", lambda t: f"{t} * {t}", scale)
    rstd = _restore(b.elementwise(b.tensor_name(out + "_rstd"), [Operand(view=var)],
                                  lambda t: f"recip(sqrt({t[0]} + {number(eps)}))", ctx.label, var.shape), axes)
    operands = [Operand(view=centered), Operand(view=rstd), ctx.operand(node.input[1])]
    if ctx.input(2):
        operands.append(ctx.operand(ctx.input(2)))
        combine = lambda t: f"{t[0]} * {t[1]} * {t[2]} + {t[3]}"  # noqa: E731
    else:
        combine = lambda t: f"{t[0]} * {t[1]} * {t[2]}"  # noqa: E731
    ctx.bind(node.output[0], b.elementwise(out, operands, combine, ctx.label, x.shape))


@converter("BatchNormalization")
def batch_norm(ctx: Context, node) -> None:
    if ctx.attr("training_mode", 0) or any(name for name in node.output[1:]):
        raise Unsupported("training mode (running statistics are updated)")
    x = ctx.view(node.input[0])
    params = [node.input[i] for i in range(1, 5)]
    unread = [name for name in params if name in ctx.unread]
    gamma, beta, mean, var = (ctx.constants[name] if name in ctx.unread else ctx.need_const(name, what)
                              for name, what in zip(params, ("scale", "bias", "mean", "variance")))
    eps = float(ctx.attr("epsilon", 1e-5))
    factor = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + eps)
    shift = beta.astype(np.float64) - mean.astype(np.float64) * factor
    a = ctx.builder.weight(node.output[0] + "_factor", factor)
    c = ctx.builder.weight(node.output[0] + "_shift", shift)
    if unread:  # shapes only: the folded factor and shift stand for values that were not read
        ctx.unread_tensors.update((a.tensor, c.tensor))
    for _ in range(x.rank - 2):
        a, c = a.unsqueeze(a.rank), c.unsqueeze(c.rank)
    view = ctx.builder.elementwise(ctx.out(), [Operand(view=x), Operand(view=a), Operand(view=c)],
                                   lambda t: f"{t[0]} * {t[1]} + {t[2]}", ctx.label, x.shape)
    ctx.bind(node.output[0], view)

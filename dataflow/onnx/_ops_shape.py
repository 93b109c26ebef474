"""Shape operators as index remaps (views, no Einsum), and Concat as zero-padded populates summed.

The notation has no concatenation: ``Y = concat(A, B)`` along ``t`` is written
as populates of zero-initialized parts (``Y_part0[m,t4+1] = A[m,t4]``,
``Y_part1[m,t3+5] = B[m,t3]``) and their sum (``Y[m,t7] = Y_part0[m,t7+1] +
Y_part1[m,t7+1]``), exact in floating point.
"""

from __future__ import annotations

import math

import numpy as np

from ._context import Context, Unsupported, converter
from ._views import Affine

__all__: list[str] = []


def _axes_input(ctx: Context, node, attr_before: int) -> list[int] | None:
    """Axes from the attribute (opsets before ``attr_before``) or the second input."""
    if ctx.opset < attr_before:
        axes = ctx.attr("axes")
        return None if axes is None else list(axes)
    if not ctx.input(1):
        return None
    return [int(a) for a in ctx.need_const(ctx.input(1), "axes").reshape(-1)]


@converter("Reshape")
def reshape(ctx: Context, node) -> None:
    view = ctx.view(node.input[0])
    if ctx.opset < 5:
        raise Unsupported("Reshape before opset 5")
    target = [int(v) for v in ctx.need_const(node.input[1], "target shape").reshape(-1)]
    allowzero = ctx.attr("allowzero", 0)
    shape = []
    for i, size in enumerate(target):
        if size == 0 and not allowzero:
            size = view.shape[i]
        shape.append(size)
    if shape.count(-1) == 1:
        known = math.prod(s for s in shape if s != -1)
        shape[shape.index(-1)] = math.prod(view.shape) // known if known else 0
    if any(s < 1 for s in shape) or math.prod(shape) != math.prod(view.shape):
        raise ctx.error(f"cannot reshape {list(view.shape)!r} into {target!r}")
    ctx.bind(node.output[0], view.reshape(tuple(shape)))


@converter("Flatten")
def flatten(ctx: Context, node) -> None:
    view = ctx.view(node.input[0])
    axis = ctx.axis(ctx.attr("axis", 1), view.rank + 1) if view.rank else 0
    shape = (math.prod(view.shape[:axis]), math.prod(view.shape[axis:]))
    ctx.bind(node.output[0], view.reshape(shape))


@converter("Transpose")
def transpose(ctx: Context, node) -> None:
    view = ctx.view(node.input[0])
    perm = ctx.attr("perm")
    perm = tuple(range(view.rank))[::-1] if perm is None else tuple(int(p) for p in perm)
    ctx.bind(node.output[0], view.transpose(perm))


@converter("Squeeze")
def squeeze(ctx: Context, node) -> None:
    view = ctx.view(node.input[0])
    axes = _axes_input(ctx, node, 13)
    axes = [i for i, s in enumerate(view.shape) if s == 1] if axes is None else [ctx.axis(a, view.rank) for a in axes]
    for axis in sorted(axes, reverse=True):
        if view.shape[axis] != 1:
            raise ctx.error(f"cannot squeeze axis {axis} of size {view.shape[axis]}")
        view = view.squeeze(axis)
    ctx.bind(node.output[0], view)


@converter("Unsqueeze")
def unsqueeze(ctx: Context, node) -> None:
    view = ctx.view(node.input[0])
    axes = _axes_input(ctx, node, 13)
    if axes is None:
        raise ctx.error("Unsqueeze without axes")
    rank = view.rank + len(axes)
    for axis in sorted(ctx.axis(a, rank) for a in axes):
        view = view.unsqueeze(axis)
    ctx.bind(node.output[0], view)


@converter("Expand")
def expand(ctx: Context, node) -> None:
    view = ctx.view(node.input[0])
    target = tuple(int(v) for v in ctx.need_const(node.input[1], "target shape").reshape(-1))
    shape = tuple(np.broadcast_shapes(view.shape, target))
    ctx.bind(node.output[0], view.expand(shape))


def _slice_range(size: int, start: int, end: int, step: int) -> tuple[int, int]:
    indices = range(size)[slice(start, end, step)]
    return (indices.start if len(indices) else 0), len(indices)


@converter("Slice")
def slice_(ctx: Context, node) -> None:
    view = ctx.view(node.input[0])
    if ctx.opset < 10:
        starts, ends = ctx.attr("starts"), ctx.attr("ends")
        axes, steps = ctx.attr("axes", list(range(len(starts)))), [1] * len(starts)
    else:
        starts = [int(v) for v in ctx.need_const(node.input[1], "starts").reshape(-1)]
        ends = [int(v) for v in ctx.need_const(node.input[2], "ends").reshape(-1)]
        axes = [int(v) for v in ctx.need_const(ctx.input(3), "axes").reshape(-1)] if ctx.input(3) else list(range(len(starts)))
        steps = [int(v) for v in ctx.need_const(ctx.input(4), "steps").reshape(-1)] if ctx.input(4) else [1] * len(starts)
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis = ctx.axis(axis, view.rank)
        size = view.shape[axis]
        clamp = lambda v: max(-size - 1, min(size + 1, v))  # noqa: E731 - INT64_MAX style sentinels
        first, length = _slice_range(size, clamp(start), clamp(end), step)
        if length == 0:
            raise ctx.error(f"slice {start}:{end}:{step} of axis {axis} (size {size}) is empty")
        view = view.slice(axis, first, step, length)
    ctx.bind(node.output[0], view)


@converter("Split")
def split(ctx: Context, node) -> None:
    view = ctx.view(node.input[0])
    axis = ctx.axis(ctx.attr("axis", 0), view.rank)
    if ctx.opset >= 13 and ctx.input(1):
        sizes = [int(v) for v in ctx.need_const(ctx.input(1), "split sizes").reshape(-1)]
    elif ctx.attr("split") is not None:
        sizes = list(ctx.attr("split"))
    else:
        count = len(node.output)
        whole = view.shape[axis]
        chunk = -(-whole // count)
        sizes = [min(chunk, whole - i * chunk) for i in range(count)]
    start = 0
    for name, size in zip(node.output, sizes):
        if name:
            ctx.bind(name, view.slice(axis, start, 1, size))
        start += size


@converter("Gather")
def gather(ctx: Context, node) -> None:
    indices = ctx.const(node.input[1])
    if indices is None:
        raise Unsupported(
            f"its indices ({node.input[1]!r}) come from the data: a data-dependent look-up (an embedding) is not an Einsum"
        )
    view = ctx.view(node.input[0])
    axis = ctx.axis(ctx.attr("axis", 0), view.rank)
    size = view.shape[axis]
    flat = [int(i) % size for i in indices.reshape(-1)]
    if indices.ndim == 0:
        ctx.bind(node.output[0], view.select(axis, flat[0]))
        return
    step = flat[1] - flat[0] if len(flat) > 1 else 1
    if step == 0 or any(b - a != step for a, b in zip(flat, flat[1:])):
        raise Unsupported("its constant indices are not an arithmetic progression (an irregular gather is not affine)")
    picked = view.slice(axis, flat[0], step, len(flat))
    shape = view.shape[:axis] + tuple(indices.shape) + view.shape[axis + 1:]
    ctx.bind(node.output[0], picked.reshape(shape))


@converter("Concat")
def concat(ctx: Context, node) -> None:
    names = [name for name in node.input if name]
    views = [ctx.view(name) for name in names]
    if len(views) == 1:
        ctx.bind(node.output[0], views[0])
        return
    axis = ctx.axis(ctx.attr("axis"), views[0].rank)
    for view in views:
        merged = [d.size for d in view.axes[axis] if d.size > 1]
        if len(merged) > 1:
            raise Unsupported(
                f"an input's axis {axis} merges {len(merged)} axes ({' x '.join(map(str, merged))}): writing it at an "
                f"offset needs an output index of several ranks, which the Einsum notation does not have"
            )
    total = sum(v.shape[axis] for v in views)
    shape = views[0].shape[:axis] + (total,) + views[0].shape[axis + 1:]
    builder = ctx.builder
    scope = builder.scope()
    axes = []
    for i, size in enumerate(shape):
        if i == axis:
            axes.append([(total, scope.rank(total, f"t{total}"))])
        else:
            axes.append(scope.pieces(size, views, [i] * len(views), "x"))
    out = ctx.out()
    # parts are one element longer than the result along the axis, written from 1 on: the notation
    # writes a plain rank only into a dimension of the rank's own size
    dims = [scope.rank(total + 1, f"t{total + 1}") if i == axis else rank
            for i, pieces in enumerate(axes) for _, rank in pieces]
    parts, offset = [], 0
    for k, view in enumerate(views):
        part_scope = builder.scope()
        part_axes = []
        for i, pieces in enumerate(axes):
            if i == axis:
                size = view.shape[axis]
                part_axes.append([(size, part_scope.rank(size, f"t{size}"))])
            else:
                part_axes.append([(s, part_scope.rank(s, r)) for s, r in pieces])
        coords = [[(s, Affine.of(r)) for s, r in pieces] for pieces in part_axes]
        part = builder.tensor_name(f"{out}_part{k}")
        written = [
            Affine.of(r, 1, offset + 1 if i == axis else 0).text()
            for i, pieces in enumerate(part_axes) for _, r in pieces
        ]
        builder.decls[part] = {"dims": dims}
        ctx.emit(f"{part}[{','.join(written)}] = {builder.read(view, coords)}")
        parts.append(part)
        offset += view.shape[axis]
    target, out_view = builder.output(out, axes, shape)
    read = ",".join(Affine.of(r, 1, 1 if i == axis else 0).text() for i, pieces in enumerate(axes) for _, r in pieces)
    ctx.emit(f"{target} = " + " + ".join(f"{part}[{read}]" for part in parts))
    ctx.bind(node.output[0], out_view)

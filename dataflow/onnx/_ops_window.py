"""Sliding-window operators: Conv (groups, strides, padding, dilation), pooling, and Pad.

Padding is a populate, as in :mod:`dataflow.library`: a first Einsum copies
the input into the interior of a tensor declared with the padded dimensions
(``XP[n,c,h+1,w+1] = X[n,c,h,w]``, zero-initialized, ``-inf`` before a max
pool), and the window Einsum reads it at ``p*stride + r*dilation``.  An axis
padded at its end only gets one extra leading element (the notation writes a
plain rank only into a dimension of the rank's own size).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ._builder import Operand, number
from ._context import Context, Unsupported, converter
from ._views import Affine, View

__all__ = ["pad_view"]

_OUT = ("p", "q", "o")
_KERNEL = ("r", "s", "t")
_PADDED = ("y", "x", "z")


def pad_view(ctx: Context, view: View, begins: list[int], ends: list[int], init: float, name: str) -> View:
    """A populate Einsum writing ``view`` into the interior of a new tensor padded by ``begins``/``ends``."""
    if not any(begins) and not any(ends):
        return view
    if any(v < 0 for v in begins + ends):
        raise Unsupported("negative padding (cropping)")
    builder = ctx.builder
    scope = builder.scope()
    shape = tuple(s + b + e for s, b, e in zip(view.shape, begins, ends))
    read_axes, write, dims, out_axes, offsets = [], [], [], [], []
    for i, size in enumerate(view.shape):
        if begins[i] or ends[i]:
            # the notation writes a plain rank only into a dimension of its own size: an axis padded at
            # its end alone gets one extra leading element, skipped by the view's offset
            shift = 1 if not begins[i] else 0
            physical = shape[i] + shift
            letter = _PADDED[i - 2] if view.rank >= 3 and 2 <= i < 5 else "u"
            inner = scope.rank(size, f"{letter}{size}")
            outer = scope.rank(physical, f"{letter}p{physical}")
            read_axes.append([(size, Affine.of(inner))])
            write.append(Affine.of(inner, 1, begins[i] + shift).text())
            dims.append(outer)
            out_axes.append([(shape[i], outer)])
            offsets.append(shift)
        else:
            pieces = scope.pieces(size, [view], [i], "a")
            read_axes.append([(s, Affine.of(r)) for s, r in pieces])
            write += [r for _, r in pieces]
            dims += [r for _, r in pieces]
            out_axes.append(pieces)
            offsets += [0] * len(pieces)
    source = builder.read(view, read_axes)
    builder.decls[name] = {"dims": dims, **({"init": init} if init != 0.0 else {})}
    ctx.emit(f"{name}[{','.join(write)}] = {source}")
    _, padded = builder.output(name, out_axes, shape)
    return replace(padded, offsets=tuple(offsets))


def _geometry(ctx: Context, spatial: tuple[int, ...], kernel: tuple[int, ...], ceil_mode: bool = False):
    """Strides, dilations, begin/end pads (with ceil-mode extra end padding) and output sizes."""
    n = len(spatial)
    strides = list(ctx.attr("strides", [1] * n))
    dilations = list(ctx.attr("dilations", [1] * n))
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        begins, ends = [], []
        for size, k, s, d in zip(spatial, kernel, strides, dilations):
            out = -(-size // s)
            total = max(0, (out - 1) * s + d * (k - 1) + 1 - size)
            small, large = total // 2, total - total // 2
            begins.append(small if auto_pad == "SAME_UPPER" else large)
            ends.append(large if auto_pad == "SAME_UPPER" else small)
    elif auto_pad == "VALID":
        begins, ends = [0] * n, [0] * n
    else:
        pads = list(ctx.attr("pads", [0] * (2 * n)))
        begins, ends = pads[:n], pads[n:]
    outs, extra = [], []
    for size, k, s, d, b, e in zip(spatial, kernel, strides, dilations, begins, ends):
        span = size + b + e - d * (k - 1) - 1
        if span < 0:
            raise ctx.error(f"a kernel of {k} (dilation {d}) does not fit an input of {size} padded by {b}+{e}")
        out = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (out - 1) * s >= size + b:
            out -= 1
        outs.append(out)
        extra.append(max(0, (out - 1) * s + d * (k - 1) + 1 - (size + b + e)))
    return strides, dilations, begins, ends, outs, extra


def _window_coords(scope, outs, kernel, strides, dilations):
    out_ranks = [scope.rank(o, f"{_OUT[i]}{o}") for i, o in enumerate(outs)]
    kernel_ranks = [scope.rank(k, f"{_KERNEL[i]}{k}") for i, k in enumerate(kernel)]
    coords = [Affine.of(p, s) + Affine.of(r, d) for p, r, s, d in zip(out_ranks, kernel_ranks, strides, dilations)]
    return out_ranks, kernel_ranks, coords


@converter("Conv")
def conv(ctx: Context, node) -> None:
    x, w = ctx.view(node.input[0]), ctx.view(node.input[1])
    if x.rank < 3 or x.rank > 5 or w.rank != x.rank:
        raise ctx.error(f"Conv of input {list(x.shape)!r} and weight {list(w.shape)!r} (expected 1 to 3 spatial axes)")
    kernel = tuple(w.shape[2:])
    strides, dilations, begins, ends, outs, _ = _geometry(ctx, x.shape[2:], kernel)
    G = int(ctx.attr("group", 1))
    N, C = x.shape[:2]
    K, Cg = w.shape[:2]
    if C != Cg * G or K % G:
        raise ctx.error(f"input channels {C}, weight {list(w.shape)!r} and group {G} do not agree")
    Kg = K // G
    x = pad_view(ctx, x, [0, 0] + begins, [0, 0] + ends, 0.0, ctx.out(0, "_pad"))
    scope = ctx.builder.scope()
    n_axis = scope.pieces(N, [x], [0], "n")
    piece = lambda pieces: [(s, Affine.of(r)) for s, r in pieces]  # noqa: E731
    if G == 1:
        k_axis = scope.pieces(K, [w], [0], "k")
        c_axis = scope.pieces(C, [x, w], [1, 1], "c")
        x_channel, w_out, w_in, out_channel = piece(c_axis), piece(k_axis), piece(c_axis), k_axis
    elif Kg == 1 and Cg == 1:
        g_axis = scope.pieces(G, [x, w], [1, 0], "c")
        x_channel, w_out, w_in, out_channel = piece(g_axis), piece(g_axis), Affine(), g_axis
    else:
        g, kk, c = scope.rank(G, f"g{G}"), scope.rank(Kg, f"k{Kg}"), scope.rank(Cg, f"c{Cg}")
        x_channel = Affine.of(g, Cg) + Affine.of(c) if Cg > 1 else Affine.of(g)
        w_out = Affine.of(g, Kg) + Affine.of(kk) if Kg > 1 else Affine.of(g)
        w_in = Affine.of(c) if Cg > 1 else Affine()
        out_channel = [(G, g)] + ([(Kg, kk)] if Kg > 1 else [])
    out_ranks, kernel_ranks, coords = _window_coords(scope, outs, kernel, strides, dilations)
    x_text = ctx.builder.read(x, [piece(n_axis), x_channel] + coords)
    w_text = ctx.builder.read(w, [w_out, w_in] + [Affine.of(r) for r in kernel_ranks])
    bias = ctx.input(2)
    name = ctx.out(0, "_conv") if bias else ctx.out()
    axes = [n_axis, out_channel] + [[(o, r)] for o, r in zip(outs, out_ranks)]
    shape = (N, K) + tuple(outs)
    target, view = ctx.builder.output(name, axes, shape)
    ctx.emit(f"{target} = {x_text} * {w_text}")
    if bias:
        b = ctx.view(bias)
        for _ in outs:
            b = b.unsqueeze(b.rank)
        view = ctx.builder.elementwise(ctx.out(), [Operand(view=view), Operand(view=b)], lambda t: f"{t[0]} + {t[1]}", ctx.label, shape)
    ctx.bind(node.output[0], view)


def _pool(ctx: Context, node, kind: str) -> None:
    if len(node.output) > 1 and node.output[1]:
        raise Unsupported("its Indices output is used")
    x = ctx.view(node.input[0])
    kernel = tuple(ctx.attr("kernel_shape"))
    spatial = x.shape[2:]
    strides, dilations, begins, ends, outs, extra = _geometry(ctx, spatial, kernel, bool(ctx.attr("ceil_mode", 0)))
    padded = pad_view(ctx, x, [0, 0] + begins, [0, 0] + [e + more for e, more in zip(ends, extra)],
                      -math.inf if kind == "max" else 0.0, ctx.out(0, "_pad"))
    scope = ctx.builder.scope()
    lead = [scope.pieces(size, [padded], [i], "nc"[i]) for i, size in enumerate(x.shape[:2])]
    out_ranks, kernel_ranks, coords = _window_coords(scope, outs, kernel, strides, dilations)
    source = ctx.builder.read(padded, [[(s, Affine.of(r)) for s, r in p] for p in lead] + coords)
    shape = tuple(x.shape[:2]) + tuple(outs)
    name = ctx.out()
    target, view = ctx.builder.output(name, lead + [[(o, r)] for o, r in zip(outs, out_ranks)], shape)
    if kind == "max":
        ctx.emit(f"{target} = {source} :: max({','.join(kernel_ranks)})")
    else:
        counts = _window_counts(spatial, kernel, strides, dilations, begins, ends, outs, bool(ctx.attr("count_include_pad", 0)))
        if np.all(counts == counts.flat[0]):
            ctx.emit(f"{target} = {source} * {number(1.0 / counts.flat[0])}")
        else:
            weight = ctx.builder.weight(f"{node.output[0]}_recip_count", 1.0 / counts)
            ctx.emit(f"{target} = {source} * {ctx.builder.read(weight, [Affine.of(r) for r in out_ranks])}")
    ctx.bind(node.output[0], view)


def _window_counts(spatial, kernel, strides, dilations, begins, ends, outs, include_pad) -> np.ndarray:
    per_axis = []
    for size, k, s, d, b, e, out in zip(spatial, kernel, strides, dilations, begins, ends, outs):
        low, high = (-b, size + e) if include_pad else (0, size)
        starts = np.arange(out) * s - b
        taps = starts[:, None] + np.arange(k)[None, :] * d
        per_axis.append(((taps >= low) & (taps < high)).sum(axis=1))
    counts = per_axis[0]
    for axis in per_axis[1:]:
        counts = np.multiply.outer(counts, axis)
    return counts.astype(np.float64)


@converter("MaxPool")
def max_pool(ctx: Context, node) -> None:
    _pool(ctx, node, "max")


@converter("AveragePool")
def average_pool(ctx: Context, node) -> None:
    _pool(ctx, node, "avg")


@converter("GlobalAveragePool", "GlobalMaxPool")
def global_pool(ctx: Context, node) -> None:
    x = ctx.view(node.input[0])
    scope = ctx.builder.scope()
    lead = [scope.pieces(size, [x], [i], "nc"[i]) for i, size in enumerate(x.shape[:2])]
    spatial = [scope.pieces(size, [x], [i + 2], _OUT[i] if i < 3 else "u") for i, size in enumerate(x.shape[2:])]
    ones = [[(1, scope.rank(1, f"{_OUT[i] if i < 3 else 'u'}1"))] for i in range(len(spatial))]
    source = ctx.builder.read(x, [[(s, Affine.of(r)) for s, r in p] for p in lead + spatial])
    target, view = ctx.builder.output(ctx.out(), lead + ones, tuple(x.shape[:2]) + (1,) * len(spatial))
    reduced = [r for pieces in spatial for _, r in pieces]
    if node.op_type == "GlobalMaxPool":
        ctx.emit(f"{target} = {source} :: max({','.join(reduced)})")
    else:
        ctx.emit(f"{target} = {source} * {number(1.0 / math.prod(x.shape[2:]))}")
    ctx.bind(node.output[0], view)


@converter("Pad")
def pad(ctx: Context, node) -> None:
    mode = ctx.attr("mode", "constant")
    if mode != "constant":
        raise Unsupported(f"mode {mode!r} (only constant padding is a populate)")
    x = ctx.view(node.input[0])
    if ctx.opset < 11:
        pads, value = list(ctx.attr("pads")), float(ctx.attr("value", 0.0))
    else:
        pads = [int(v) for v in ctx.need_const(node.input[1], "pads").reshape(-1)]
        value = float(ctx.need_const(ctx.input(2), "value").reshape(-1)[0]) if ctx.input(2) else 0.0
        if ctx.input(3):
            axes = [ctx.axis(int(a), x.rank) for a in ctx.need_const(ctx.input(3), "axes").reshape(-1)]
            full = [0] * (2 * x.rank)
            for i, axis in enumerate(axes):
                full[axis], full[x.rank + axis] = pads[i], pads[len(axes) + i]
            pads = full
    ctx.bind(node.output[0], pad_view(ctx, x, pads[: x.rank], pads[x.rank:], value, ctx.out()))

"""Accumulates the Einsum lines, rank sizes, tensor declarations and weights of an imported cascade."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ._views import Affine, View, ViewError, access_text, digit_sizes, hint_base, plain_view, refine

__all__ = ["Builder", "Scope", "Operand", "number"]

_DEFAULT_HINTS = {1: ("d",), 2: ("m", "d"), 3: ("b", "s", "d"), 4: ("n", "c", "h", "w")}


def number(value: float) -> str:
    """A constant in the Einsum notation (parenthesized when negative)."""
    value = float(value)
    if math.isinf(value):
        return "inf" if value > 0 else "(-inf)"
    text = repr(value)
    return f"({text})" if value < 0 else text


def default_hints(shape: tuple[int, ...], letters: tuple[str, ...] | None = None) -> tuple[str, ...]:
    letters = letters or _DEFAULT_HINTS.get(len(shape)) or tuple("abcdefghij"[: len(shape)])
    return tuple(f"{letter}{size}" for letter, size in zip(letters, shape))


@dataclass(frozen=True)
class Operand:
    """An input of an element-wise operation: a view of a tensor, or a scalar constant."""

    view: View | None = None
    value: float | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.view.shape if self.view is not None else ()


class Scope:
    """Rank names of one Einsum: each distinct, each name always of one size (its size is in the name)."""

    def __init__(self, builder: "Builder") -> None:
        self.builder = builder
        self.used: set[str] = set()

    def rank(self, size: int, hint: str) -> str:
        base = hint_base(hint)
        candidates = [hint] if self.builder.ranks.get(hint) == size else []
        candidates.append(f"{base}{size}")
        for candidate in candidates:
            if candidate not in self.used and self.builder.ranks.get(candidate, size) == size:
                return self._take(candidate, size)
        k = 2
        while f"{base}{size}_{k}" in self.used or self.builder.ranks.get(f"{base}{size}_{k}", size) != size:
            k += 1
        return self._take(f"{base}{size}_{k}", size)

    def _take(self, name: str, size: int) -> str:
        self.used.add(name)
        self.builder.ranks[name] = size
        return name

    def pieces(self, size: int, views: list[View], axis_of: list[int | None], default: str) -> list[tuple[int, str]]:
        """Ranks covering a logical axis of ``size`` read through ``views`` (their axis ``axis_of[i]``)."""
        decompositions, hints = [], {}
        for view, axis in zip(views, axis_of):
            if axis is None or view.shape[axis] != size:
                continue
            decompositions.append(digit_sizes(view, axis))
        sizes = refine(size, decompositions) if size > 1 else [1]
        for view, axis in zip(views, axis_of):
            if axis is None or view.shape[axis] != size or view.tensor in self.builder.weights:
                continue  # weights lend no rank names: their consumers name the ranks
            if size == 1:
                for digit in view.axes[axis]:
                    hints.setdefault(0, digit.hint)
                continue
            position = 0
            for digit in (d for d in view.axes[axis] if d.size > 1):
                start, product = position, 1
                while product < digit.size:
                    product *= sizes[position]
                    position += 1
                if position - start == 1:  # a digit that is exactly one piece lends it its name
                    hints.setdefault(start, digit.hint)
        return [(s, self.rank(s, hints.get(i, f"{default}{s}"))) for i, s in enumerate(sizes)]


class Builder:
    """The cascade being built: lines, ranks, declarations, weights, and ONNX name -> cascade name."""

    def __init__(self, shifted: frozenset[tuple[str, int]] = frozenset()) -> None:
        #: (tensor, physical axis) pairs stored one element further along, so that no reader indexes
        #: them with a plain rank smaller than the dimension (which the notation rejects)
        self.shifted = shifted
        self.lines: list[str] = []
        self.ranks: dict[str, int] = {}
        self.decls: dict[str, dict] = {}
        self.weights: dict[str, np.ndarray] = {}
        self.names: set[str] = set()
        self.provenance: dict[str, str] = {}

    def tensor_name(self, onnx_name: str, suffix: str = "") -> str:
        """A fresh cascade tensor name derived from an ONNX name."""
        base = re.sub(r"[^A-Za-z0-9_]", "_", onnx_name).strip("_") or "t"
        if not re.match(r"[A-Za-z_]", base):
            base = "t_" + base
        if base in ("inf", "sum", "max", "min", "exp", "relu", "sqrt", "recip", "tanh", "gelu", "erf"):
            base = "t_" + base
        base += suffix
        name, k = base, 2
        while name in self.names:
            name, k = f"{base}_{k}", k + 1
        self.names.add(name)
        return name

    def scope(self) -> Scope:
        return Scope(self)

    def emit(self, line: str, node: str) -> None:
        self.lines.append(line)
        self.provenance[line.split("[", 1)[0]] = node

    def weight(self, onnx_name: str, value: np.ndarray) -> View:
        """A weight input holding ``value`` (created on first use)."""
        name = self.tensor_name(onnx_name)
        array = np.asarray(value)
        if array.ndim == 0:
            array = array.reshape(1)
        self.weights[name] = array
        self.decls[name] = {"weight": True}
        return plain_view(name, tuple(array.shape), default_hints(tuple(array.shape), ("w", "v", "u", "t", "z", "y")))

    def output(self, name: str, axes: list[list[tuple[int, str]]], shape: tuple[int, ...]) -> tuple[str, View]:
        """Access text and view of a new tensor with one physical axis per piece of each logical axis."""
        from ._views import Digit

        indices, digits, offsets = [], [], []
        for pieces in axes:
            axis_digits = []
            for size, rank in pieces:
                shift = 1 if (name, len(offsets)) in self.shifted and name not in self.decls else 0
                indices.append(Affine.of(rank, 1, shift).text())
                axis_digits.append(Digit(size, len(offsets), 1, rank))
                offsets.append(shift)
            digits.append(tuple(axis_digits))
        view = View(name, tuple(shape), tuple(digits), tuple(offsets))
        return f"{name}[{','.join(indices)}]", view

    @staticmethod
    def read(view: View, coords: list) -> str:
        return access_text(view, coords)

    def elementwise(self, name: str, operands: list[Operand], combine, node: str, shape: tuple[int, ...] | None = None) -> View:
        """``name = combine(texts)`` over the broadcast shape of ``operands``; returns its view."""
        views = [op.view for op in operands if op.view is not None]
        out_shape = tuple(shape) if shape is not None else tuple(np.broadcast_shapes(*(op.shape for op in operands)))
        aligned = []
        for view in views:
            while view.rank < len(out_shape):
                view = view.unsqueeze(0)
            aligned.append(view)
        scope = self.scope()
        axes = []
        for axis, size in enumerate(out_shape):
            axes.append(scope.pieces(size, aligned, [axis] * len(aligned), _letter(axis, len(out_shape))))
        target, view = self.output(name, axes, out_shape)
        coords = [[(s, Affine.of(r)) for s, r in pieces] for pieces in axes]
        texts, k = [], 0
        for op in operands:
            if op.view is None:
                texts.append(number(op.value))
            else:
                texts.append(self.read(aligned[k], coords))
                k += 1
        self.emit(f"{target} = {combine(texts)}", node)
        return view


def _letter(axis: int, rank: int) -> str:
    letters = _DEFAULT_HINTS.get(rank) or tuple("abcdefghij"[:rank])
    return letters[axis]


__all__ += ["default_hints", "ViewError"]

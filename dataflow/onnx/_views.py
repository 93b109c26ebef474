"""Logical ONNX tensors as affine views of physical cascade tensors.

Reshape, Transpose, Squeeze, Unsqueeze, Flatten, Expand, Slice and constant
Gather write no Einsum: the importer keeps, for every ONNX tensor, a
:class:`View` saying how its logical coordinates index a cascade tensor, and
each consumer reads the cascade tensor through it.

A logical axis is a mixed-radix number of *digits* (major first): splitting
``[s, 768]`` into ``[s, 12, 64]`` gives axis 2 the digit 12 with stride 64 and
axis 3 the digit 64 with stride 1, both on physical axis 1.  Each digit adds
``stride * digit`` to one physical axis (or nothing, for a broadcast digit).
A consumer iterates every logical axis with one rank per *piece* of the
common refinement of its operands' digits, so every index it writes is affine
in its ranks: the output projection of an attention block reads the heads'
output ``AV[b,h,s,d]`` as ``X[b,s,h*64+d]`` would be written, with ranks
``h`` and ``d`` summed.  Merging two axes is therefore never a copy.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

__all__ = ["Affine", "Digit", "View", "ViewError", "plain_view", "refine", "physical_indices"]


class ViewError(ValueError):
    """A view operation whose result cannot be written with affine indices."""


@dataclass(frozen=True)
class Affine:
    """``sum(coefficient * rank) + constant`` over named ranks."""

    terms: tuple[tuple[str, int], ...] = ()
    constant: int = 0

    @staticmethod
    def of(rank: str, coefficient: int = 1, constant: int = 0) -> "Affine":
        return Affine(((rank, coefficient),) if coefficient else (), constant)

    def __add__(self, other: "Affine | int") -> "Affine":
        if isinstance(other, int):
            return Affine(self.terms, self.constant + other)
        table = dict(self.terms)
        for rank, coefficient in other.terms:
            table[rank] = table.get(rank, 0) + coefficient
        return Affine(tuple((r, c) for r, c in table.items() if c), self.constant + other.constant)

    def scale(self, factor: int) -> "Affine":
        if factor == 0:
            return Affine()
        return Affine(tuple((r, c * factor) for r, c in self.terms), self.constant * factor)

    def text(self) -> str:
        pieces: list[str] = []
        for rank, coefficient in sorted(self.terms, key=lambda term: -abs(term[1])):
            body = rank if abs(coefficient) == 1 else f"{rank}*{abs(coefficient)}"
            pieces.append(("-" if coefficient < 0 else ("+" if pieces else "")) + body)
        if self.constant or not pieces:
            pieces.append(f"{self.constant:+d}" if pieces else str(self.constant))
        return "".join(pieces)


@dataclass(frozen=True)
class Digit:
    """One mixed-radix digit of a logical axis: ``size`` values adding ``stride * value`` to physical ``axis``."""

    size: int
    axis: int | None
    stride: int
    hint: str


@dataclass(frozen=True)
class View:
    """How an ONNX tensor of logical ``shape`` reads cascade tensor ``tensor``.

    ``axes[i]`` holds the digits of logical axis ``i`` (major first; empty for
    an axis of size 1); ``offsets`` holds a constant per physical axis.
    """

    tensor: str
    shape: tuple[int, ...]
    axes: tuple[tuple[Digit, ...], ...]
    offsets: tuple[int, ...]

    @property
    def rank(self) -> int:
        return len(self.shape)

    # -------------------------------------------------------------- view ops
    def transpose(self, perm: tuple[int, ...]) -> "View":
        if sorted(perm) != list(range(self.rank)):
            raise ViewError(f"perm {list(perm)!r} is not a permutation of {self.rank} axes")
        return replace(self, shape=tuple(self.shape[p] for p in perm), axes=tuple(self.axes[p] for p in perm))

    def unsqueeze(self, position: int) -> "View":
        return replace(self, shape=self.shape[:position] + (1,) + self.shape[position:],
                       axes=self.axes[:position] + ((),) + self.axes[position:])

    def squeeze(self, axis: int) -> "View":
        if self.shape[axis] != 1:
            raise ViewError(f"cannot squeeze axis {axis} of size {self.shape[axis]}")
        return replace(self, shape=self.shape[:axis] + self.shape[axis + 1:], axes=self.axes[:axis] + self.axes[axis + 1:])

    def reshape(self, shape: tuple[int, ...]) -> "View":
        if math.prod(shape) != math.prod(self.shape):
            raise ViewError(f"cannot reshape {list(self.shape)!r} into {list(shape)!r}")
        stream = [d for axis in self.axes for d in axis if d.size > 1]
        axes: list[tuple[Digit, ...]] = []
        for size in shape:
            digits: list[Digit] = []
            need = size
            while need > 1:
                digit = stream.pop(0)
                if digit.size <= need:
                    if need % digit.size:
                        raise ViewError(f"cannot reshape {list(self.shape)!r} into {list(shape)!r} with affine indices")
                    digits.append(digit)
                    need //= digit.size
                else:
                    if digit.size % need:
                        raise ViewError(f"cannot reshape {list(self.shape)!r} into {list(shape)!r} with affine indices")
                    rest = digit.size // need
                    base = hint_base(digit.hint)
                    digits.append(Digit(need, digit.axis, digit.stride * rest, f"{base}{need}"))
                    stream.insert(0, Digit(rest, digit.axis, digit.stride, f"{base}{rest}"))
                    need = 1
            axes.append(tuple(digits))
        return _normalized(replace(self, shape=tuple(shape), axes=tuple(axes)))

    def expand(self, shape: tuple[int, ...], hints: str = "x") -> "View":
        view = self
        while view.rank < len(shape):
            view = view.unsqueeze(0)
        axes = list(view.axes)
        for i, (old, new) in enumerate(zip(view.shape, shape)):
            if old != new:
                if old != 1:
                    raise ViewError(f"cannot expand {list(self.shape)!r} to {list(shape)!r}")
                axes[i] = (Digit(new, None, 0, f"{hints}{new}"),)
        return replace(view, shape=tuple(max(a, b) for a, b in zip(view.shape, shape)), axes=tuple(axes))

    def slice(self, axis: int, start: int, step: int, length: int) -> "View":
        """Elements ``start, start+step, ...`` (``length`` of them) of logical ``axis``."""
        digits = [d for d in self.axes[axis] if d.size > 1]
        offsets = list(self.offsets)
        if length == self.shape[axis] and step == 1:
            return self
        if len(digits) == 1:
            (digit,) = digits
            if digit.axis is not None:
                offsets[digit.axis] += digit.stride * start
            new = (Digit(length, digit.axis, digit.stride * step, digit.hint),) if length > 1 else ()
        elif digits and step == 1 and start % (minor := self.shape[axis] // digits[0].size) == 0 and length % minor == 0:
            major = digits[0]
            if major.axis is not None:
                offsets[major.axis] += major.stride * (start // minor)
            new = ((Digit(length // minor, major.axis, major.stride, major.hint),) if length // minor > 1 else ()) + tuple(digits[1:])
        else:
            raise ViewError(f"cannot slice axis {axis} (of size {self.shape[axis]}, merged from {len(digits)} axes) with affine indices")
        shape = self.shape[:axis] + (length,) + self.shape[axis + 1:]
        return _normalized(View(self.tensor, shape, self.axes[:axis] + (new,) + self.axes[axis + 1:], tuple(offsets)))

    def select(self, axis: int, index: int) -> "View":
        """Logical ``axis`` fixed at ``index`` and removed."""
        offsets = list(self.offsets)
        remainder = index
        for digit in reversed(self.axes[axis]):
            value, remainder = remainder % digit.size, remainder // digit.size
            if digit.axis is not None:
                offsets[digit.axis] += digit.stride * value
        return View(self.tensor, self.shape[:axis] + self.shape[axis + 1:], self.axes[:axis] + self.axes[axis + 1:], tuple(offsets))

    def is_plain(self) -> bool:
        """Whether logical and physical layouts coincide (axis ``i`` is physical axis ``i``, stride 1, no offset)."""
        if len(self.offsets) != self.rank or any(self.offsets):
            return False
        for i, digits in enumerate(self.axes):
            big = [d for d in digits if d.size > 1]
            if big and (len(big) != 1 or big[0].axis != i or big[0].stride != 1):
                return False
        return True


def hint_base(hint: str) -> str:
    """The letters of a rank-name hint (``k64_2`` -> ``k``)."""
    base = re.sub(r"[0-9_]+$", "", hint)
    return base or "x"


def _normalized(view: View) -> View:
    axes = []
    for size, digits in zip(view.shape, view.axes):
        big = [d for d in digits if d.size > 1]
        merged: list[Digit] = []
        for digit in big:
            if merged:
                last = merged[-1]
                if last.axis == digit.axis and (last.axis is None or last.stride == digit.stride * digit.size):
                    merged[-1] = Digit(last.size * digit.size, digit.axis, digit.stride, last.hint)
                    continue
            merged.append(digit)
        if size == 1:
            keep = [d for d in digits if d.size == 1 and d.axis is not None][:1]
            axes.append(tuple(keep))
        else:
            axes.append(tuple(merged))
    return replace(view, axes=tuple(axes))


def plain_view(tensor: str, shape: tuple[int, ...], hints: tuple[str, ...]) -> View:
    """The view of a cascade tensor whose physical layout is the logical one."""
    axes = tuple((Digit(size, i, 1, hint),) for i, (size, hint) in enumerate(zip(shape, hints)))
    return View(tensor, tuple(shape), axes, (0,) * len(shape))


def digit_sizes(view: View, axis: int) -> list[int]:
    return [d.size for d in view.axes[axis] if d.size > 1]


def refine(size: int, decompositions: list[list[int]]) -> list[int]:
    """Sizes (major first) of the coarsest mixed radix refining every decomposition of ``size``.

    Raises
    ------
    ViewError
        When the decompositions have no common refinement (e.g. 16 x 48 and 12 x 64).
    """
    bounds = {1, size}
    for sizes in decompositions:
        product = 1
        for digit in reversed(sizes):
            product *= digit
            bounds.add(product)
    ordered = sorted(bounds)
    pieces = []
    for low, high in zip(ordered, ordered[1:]):
        if high % low:
            raise ViewError(f"an axis of size {size} is split as {' and '.join(' x '.join(map(str, d)) for d in decompositions)}, which no affine indexing reconciles")
        pieces.append(high // low)
    return pieces[::-1] if pieces else [1]


def physical_indices(view: View, coords: list) -> list[Affine]:
    """Affine index of every physical axis of ``view.tensor`` for the given logical coordinates.

    ``coords[i]`` is either an :class:`Affine` (the whole coordinate of axis
    ``i``) or a list of ``(size, Affine)`` pieces, major first, whose mixed
    radix gives the coordinate.  An axis of logical size 1 is read at 0 unless
    its coordinate is a single piece of size 1.

    Raises
    ------
    ViewError
        When a coordinate cannot be spread over the axis's digits affinely.
    """
    indices = [Affine((), offset) for offset in view.offsets]
    for axis, (size, digits, coord) in enumerate(zip(view.shape, view.axes, coords)):
        if size == 1:
            if digits and isinstance(coord, list) and len(coord) == 1 and coord[0][0] == 1 and digits[0].axis is not None:
                indices[digits[0].axis] = indices[digits[0].axis] + coord[0][1].scale(digits[0].stride)
            continue
        big = [d for d in digits if d.size > 1]
        if isinstance(coord, Affine):
            if len(big) > 1:
                raise ViewError(f"axis {axis} of size {size} is merged from {len(big)} axes and cannot be read at {coord.text()!r}")
            coord = [(size, coord)]
        pieces = list(coord)
        if math.prod(p for p, _ in pieces) != size:
            raise ViewError(f"coordinate pieces {[p for p, _ in pieces]!r} do not cover axis {axis} of size {size}")
        for digit in big:
            expr, need = Affine(), digit.size
            group: list[tuple[int, Affine]] = []
            while need > 1:
                if not pieces:
                    raise ViewError(f"axis {axis}: pieces do not refine its digits")
                piece, value = pieces.pop(0)
                if piece == 1:
                    continue
                if need % piece:
                    raise ViewError(f"axis {axis}: a piece of size {piece} straddles a digit of size {digit.size}")
                group.append((piece, value))
                need //= piece
            radix = 1
            for piece, value in reversed(group):
                expr = expr + value.scale(radix)
                radix *= piece
            if digit.axis is not None:
                indices[digit.axis] = indices[digit.axis] + expr.scale(digit.stride)
    return indices


def access_text(view: View, coords: list) -> str:
    """``T[i0,i1,...]`` reading ``view`` at ``coords`` (see :func:`physical_indices`)."""
    return f"{view.tensor}[{','.join(index.text() for index in physical_indices(view, coords))}]"

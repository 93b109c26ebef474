"""One parameter axis of a sweep: a list of values, or a numeric range.

An axis named by a dotted path (``pe_array.rows``) sets that field; a
*linked* axis (any other name) takes values that each set several fields at
once, e.g. ``{label: lmul, arith.kind: lmul, arith.mantissa_bits: 3}``.
Values axes are categorical (grid and random pick from them, Latin hypercube
stratifies over them); range axes are numeric, linear or log-scaled, and
rounded to integers when ``integer`` is set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeAlias, Union

from accel.arch import YamlValue

__all__ = ["Axis", "SCALES", "Change", "Draw"]

#: How a range axis spreads its values.
SCALES: tuple[str, ...] = ("linear", "log")

#: One change a design point makes to the base architecture: (dotted path, value).
Change: TypeAlias = tuple[str, YamlValue]
#: One draw on an axis: a value's index (values axes) or a number (range axes).
Draw: TypeAlias = Union[int, float]


@dataclass(frozen=True)
class Axis:
    """One sweep axis.

    Parameters
    ----------
    name : str
        A dotted path, or a free label for a linked axis.
    values : tuple
        Values of a values axis; for a linked axis, each value is a tuple of
        ``(path, value)`` pairs.  Empty for a range axis.
    labels : tuple of str
        Display label of each value (linked axes), else empty.
    low, high : float or None
        Bounds of a range axis (inclusive).
    scale : str
        ``'linear'`` or ``'log'`` (range axes).
    integer : bool
        Round range values to integers.
    steps : int or None
        Points of a range axis on a grid (ends included).

    Raises
    ------
    ValueError
        For an axis that is neither values nor a range, an empty one, or bad bounds.
    """

    name: str
    values: tuple[YamlValue, ...] = ()
    labels: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    scale: str = "linear"
    integer: bool = False
    steps: int | None = None

    def __post_init__(self) -> None:
        if self.is_range == bool(self.values):
            raise ValueError(f"axis {self.name!r} needs either a non-empty list of values or a range, not both or neither")
        if self.is_range:
            if self.high is None or not (self.low <= self.high):
                raise ValueError(f"axis {self.name!r}: range must be [low, high] with low <= high, not {[self.low, self.high]!r}")
            if self.scale not in SCALES:
                raise ValueError(f"axis {self.name!r}: scale must be one of {SCALES!r}, not {self.scale!r}")
            if self.scale == "log" and self.low <= 0:
                raise ValueError(f"axis {self.name!r}: a log range needs low > 0, not {self.low!r}")
        if self.labels and len(self.labels) != len(self.values):
            raise ValueError(f"axis {self.name!r}: {len(self.values)} values but {len(self.labels)} labels")

    @property
    def is_range(self) -> bool:
        """Whether this is a numeric range axis."""
        return self.low is not None

    @property
    def linked(self) -> bool:
        """Whether each value sets several paths."""
        return bool(self.labels)

    @property
    def paths(self) -> tuple[str, ...]:
        """The dotted paths this axis sets."""
        if not self.linked:
            return (self.name,)
        seen: dict[str, None] = {}
        for value in self.values:
            for path, _ in value:
                seen.setdefault(path, None)
        return tuple(seen)

    def grid(self) -> tuple[Draw, ...]:
        """The axis's values on a grid: its values, or ``steps`` points of its range.

        Raises
        ------
        ValueError
            For a range axis without ``steps``.
        """
        if not self.is_range:
            return tuple(range(len(self.values)))
        if self.steps is None:
            raise ValueError(f"axis {self.name!r} is a range; grid sampling needs 'steps' on it")
        if self.steps == 1:
            return (self._round(self.low),)
        return tuple(dict.fromkeys(self.at((i / (self.steps - 1))) for i in range(self.steps)))

    def _round(self, x: float) -> Draw:
        if self.integer:
            return int(round(x))
        return float(x)

    def at(self, u: float) -> Draw:
        """The value at quantile ``u`` in [0, 1]: a value's index for values axes, a number for ranges."""
        if not self.is_range:
            return min(int(u * len(self.values)), len(self.values) - 1)
        if self.scale == "log":
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return self._round(min(max(x, self.low), self.high))

    def changes(self, draw: Draw) -> tuple[tuple[Change, ...], YamlValue]:
        """``((path, value), ...)`` and the display label for ``draw`` (from :meth:`grid` or :meth:`at`)."""
        if self.is_range:
            return ((self.name, draw),), draw
        value = self.values[draw]
        if self.linked:
            return tuple(value), self.labels[draw]
        return ((self.name, value),), value

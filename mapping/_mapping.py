"""The per-Einsum mapping: tiling factors, loop orders and spatial unrolling.

The loop nest a :class:`Mapping` describes, outermost first::

    dram:      for loops (temporal[dram], in orders[dram])
    <level n>: for loops ...
    <level 1>: for loops ...
               spatial_for over the PE array rows (spatial_rows), then columns (spatial_cols)
    rf:        for loops (temporal[rf], in orders[rf])  -- per PE
                 compute

Every level keeps one tile of each tensor it holds: the data the loops below
it touch.  A rank of size ``D`` whose factors multiply to ``P >= D`` is padded
to ``P``: the padded iterations are idle PE slots and wasted cycles, counted
as such by the cost model.  Which tensors a level keeps (and which bypass it)
is the architecture's choice (each level's ``holds``), not the mapping's.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from collections.abc import Iterable, Mapping as MappingABC

from accel.arch import JsonObject, JsonValue

from ._errors import MappingError

__all__ = ["Mapping", "UNITS"]

#: Compute units a mapping may target.
UNITS: tuple[str, ...] = ("pe_array", "vector")


def _ints(values: Iterable[int], length: int, einsum: str, what: str, level: str | None = None) -> tuple[int, ...]:
    """``values`` as a tuple of ``length`` positive integers; the error names ``what`` (at ``level``) of ``einsum``'s mapping."""
    values = tuple(values)
    owner = f"mapping of {einsum!r}: {what}" if level is None else f"mapping of {einsum!r}: {what}[{level!r}]"
    if len(values) != length:
        raise MappingError(f"{owner} must have {length} factors (one per rank), not {values!r}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise MappingError(f"{owner} factors must be positive integers, not {values!r}")
    return tuple(int(v) for v in values)


_INT = {int}
_STR = {str}


@dataclass(frozen=True, init=False)
class Mapping:
    """How one Einsum runs on one architecture.

    Parameters
    ----------
    einsum : str
        Name of the Einsum.
    ranks : tuple of str
        Iteration ranks; every per-rank tuple below follows this order.
    levels : tuple of str
        Storage levels, innermost (``'rf'``) first, outermost (``'dram'``) last.
    temporal : tuple of tuple of int
        Per level, the temporal factor of every rank.
    orders : tuple of tuple of str
        Per level, the ranks from the outermost loop to the innermost.
    spatial_rows, spatial_cols : tuple of int
        Per rank, the factor unrolled across the array's rows / columns.
    unit : str
        ``'pe_array'`` or ``'vector'``.

    Raises
    ------
    MappingError
        For ragged or non-positive factors, an order that is not a permutation
        of the ranks, or an unknown unit.
    """

    einsum: str
    ranks: tuple[str, ...]
    levels: tuple[str, ...]
    temporal: tuple[tuple[int, ...], ...]
    orders: tuple[tuple[str, ...], ...]
    spatial_rows: tuple[int, ...]
    spatial_cols: tuple[int, ...]
    unit: str = "pe_array"

    def __init__(self, einsum: str, ranks: tuple[str, ...], levels: tuple[str, ...], temporal: tuple[tuple[int, ...], ...],
                 orders: tuple[tuple[str, ...], ...], spatial_rows: tuple[int, ...], spatial_cols: tuple[int, ...],
                 unit: str = "pe_array") -> None:
        # checked and frozen in one pass; the generated frozen __init__ would set every field through object.__setattr__
        ranks = tuple(ranks)
        levels = tuple(levels)
        n = len(ranks)
        if len(set(ranks)) != n or not (set(map(type, ranks)) <= _STR or all(isinstance(r, str) for r in ranks)):
            raise MappingError(f"mapping of {einsum!r}: ranks must be distinct names, not {ranks!r}")
        if len(levels) < 2 or len(set(levels)) != len(levels):
            raise MappingError(f"mapping of {einsum!r}: levels must be at least two distinct names, not {levels!r}")
        temporal = tuple(temporal)
        if len(temporal) != len(levels):
            raise MappingError(f"mapping of {einsum!r}: {len(levels)} levels but {len(temporal)} rows of temporal factors")
        # the usual case, plain positive ints of the right lengths, checked at once; otherwise each part in turn,
        # for its message (the checks below raise in this order)
        temporal = tuple(map(tuple, temporal))
        try:
            spatial_rows, spatial_cols = tuple(spatial_rows), tuple(spatial_cols)
            factors = [*itertools.chain.from_iterable(temporal), *spatial_rows, *spatial_cols]
            plain = (set(map(len, temporal)) == {n} and len(spatial_rows) == n == len(spatial_cols)
                     and set(map(type, factors)) == _INT and min(factors) >= 1)
        except TypeError:
            plain = False
        if not plain:
            temporal = tuple([_ints(row, n, einsum, "temporal", lv) for lv, row in zip(levels, temporal)])
        orders = tuple(map(tuple, orders))
        if len(orders) != len(levels):
            raise MappingError(f"mapping of {einsum!r}: {len(levels)} levels but {len(orders)} loop orders")
        if orders.count(ranks) != len(orders):  # some order is not the ranks' own
            permutation = sorted(ranks)
            for lv, order in zip(levels, orders):
                if order != ranks and sorted(order) != permutation:
                    raise MappingError(f"mapping of {einsum!r}: order at {lv!r} must be a permutation of {ranks!r}, not {order!r}")
        if unit not in UNITS:
            raise MappingError(f"mapping of {einsum!r}: unit must be one of {UNITS!r}, not {unit!r}")
        if not plain:
            spatial_rows = _ints(spatial_rows, n, einsum, "spatial_rows")
            spatial_cols = _ints(spatial_cols, n, einsum, "spatial_cols")
        d = self.__dict__
        d["einsum"], d["ranks"], d["levels"], d["temporal"], d["orders"] = einsum, ranks, levels, temporal, orders
        d["spatial_rows"], d["spatial_cols"], d["unit"] = spatial_rows, spatial_cols, unit

    # -- views ------------------------------------------------------------
    def factor(self, level: str, rank: str) -> int:
        """Temporal factor of ``rank`` at ``level``.

        Raises
        ------
        MappingError
            For an unknown level or rank.
        """
        if level not in self.levels:
            raise MappingError(f"mapping of {self.einsum!r} has no level {level!r}; levels: {', '.join(self.levels)}")
        if rank not in self.ranks:
            raise MappingError(f"mapping of {self.einsum!r} has no rank {rank!r}; ranks: {', '.join(self.ranks)}")
        return self.temporal[self.levels.index(level)][self.ranks.index(rank)]

    @property
    def spatial(self) -> tuple[int, ...]:
        """Per rank, the product of its row and column factors."""
        return tuple(a * b for a, b in zip(self.spatial_rows, self.spatial_cols))

    @property
    def padded_sizes(self) -> tuple[int, ...]:
        """Per rank, the product of all its factors (>= the rank's size)."""
        return tuple([math.prod(factors) * s for factors, s in zip(zip(*self.temporal), self.spatial)])

    @property
    def rows_used(self) -> int:
        """PE rows the mapping occupies."""
        return math.prod(self.spatial_rows)

    @property
    def cols_used(self) -> int:
        """PE columns the mapping occupies."""
        return math.prod(self.spatial_cols)

    def renamed(self, einsum: str, ranks: tuple[str, ...]) -> "Mapping":
        """The same mapping for another Einsum posing the same problem under other names (``ranks`` in this
        mapping's rank order): loop orders follow the new rank names."""
        rename = dict(zip(self.ranks, ranks))
        return dataclasses.replace(self, einsum=einsum, ranks=tuple(ranks),
                                   orders=tuple(tuple(rename[r] for r in o) for o in self.orders))

    def to_dict(self) -> JsonObject:
        """Plain data (JSON-ready); :meth:`from_dict` inverts it."""
        return {
            "einsum": self.einsum,
            "unit": self.unit,
            "ranks": list(self.ranks),
            "levels": {
                lv: {"factors": dict(zip(self.ranks, row)), "order": list(order)}
                for lv, row, order in zip(self.levels, self.temporal, self.orders)
            },
            "spatial_rows": dict(zip(self.ranks, self.spatial_rows)),
            "spatial_cols": dict(zip(self.ranks, self.spatial_cols)),
        }

    @classmethod
    def from_dict(cls, data: MappingABC[str, JsonValue]) -> "Mapping":
        """Rebuild a mapping from :meth:`to_dict` output.

        Raises
        ------
        MappingError
            For missing keys or malformed values.
        """
        try:
            ranks = tuple(data["ranks"])
            levels = tuple(data["levels"])
            temporal = tuple(tuple(data["levels"][lv]["factors"][r] for r in ranks) for lv in levels)
            orders = tuple(tuple(data["levels"][lv]["order"]) for lv in levels)
            rows = tuple(data["spatial_rows"][r] for r in ranks)
            cols = tuple(data["spatial_cols"][r] for r in ranks)
            return cls(data["einsum"], ranks, levels, temporal, orders, rows, cols, data.get("unit", "pe_array"))
        except (KeyError, TypeError) as exc:
            raise MappingError(f"mapping data is missing or malforms {exc!s}: {data!r}") from None

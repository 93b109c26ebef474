"""The batch model's inputs and outputs as arrays: :class:`MappingBatch` and :class:`BatchResult`.

A batch holds many mappings of one Einsum as integer factor and order arrays,
so :class:`sim.analytical.CostModel` scores all of them with one pass of numpy;
its :class:`BatchResult` holds every count, cycle and energy per mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mapping._mapping import Mapping
from mapping._problem import Problem

__all__ = ["MappingBatch", "BatchResult", "OBJECTIVES"]

#: Objectives a batch can be ranked by.
OBJECTIVES: tuple[str, ...] = ("edp", "latency", "energy")


@dataclass(frozen=True)
class MappingBatch:
    """Many mappings of one Einsum as integer arrays.

    Parameters
    ----------
    temporal : ndarray, shape (B, levels, ranks)
        Temporal factors per level (innermost first) and rank.
    spatial_rows, spatial_cols : ndarray, shape (B, ranks)
    orders : ndarray, shape (B, levels, ranks)
        Per level, rank indices from the outermost loop to the innermost.

    Raises
    ------
    ValueError
        For inconsistent shapes or non-positive factors.
    """

    temporal: np.ndarray
    spatial_rows: np.ndarray
    spatial_cols: np.ndarray
    orders: np.ndarray

    def __post_init__(self) -> None:
        t = np.asarray(self.temporal, dtype=np.int64)
        if t.ndim != 3:
            raise ValueError(f"MappingBatch.temporal must have shape (B, levels, ranks), not {t.shape!r}")
        b, nl, r = t.shape
        sr = np.asarray(self.spatial_rows, dtype=np.int64)
        sc = np.asarray(self.spatial_cols, dtype=np.int64)
        o = np.asarray(self.orders, dtype=np.int64)
        for label, arr, shape in (("spatial_rows", sr, (b, r)), ("spatial_cols", sc, (b, r)), ("orders", o, (b, nl, r))):
            if arr.shape != shape:
                raise ValueError(f"MappingBatch.{label} must have shape {shape!r}, not {arr.shape!r}")
        if b and (t.min() < 1 or sr.min() < 1 or sc.min() < 1):
            raise ValueError("MappingBatch factors must all be >= 1")
        if b and not np.array_equal(np.sort(o, axis=2), np.broadcast_to(np.arange(r), o.shape)):
            raise ValueError("MappingBatch.orders must hold a permutation of the rank indices per level")
        for name, arr in (("temporal", t), ("spatial_rows", sr), ("spatial_cols", sc), ("orders", o)):
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return int(self.temporal.shape[0])

    @classmethod
    def from_mappings(cls, mappings: list[Mapping]) -> "MappingBatch":
        """Stack mappings of one Einsum (same ranks and levels)."""
        if not mappings:
            raise ValueError("MappingBatch.from_mappings needs at least one mapping")
        ranks = mappings[0].ranks
        return cls(
            np.array([m.temporal for m in mappings]),
            np.array([m.spatial_rows for m in mappings]),
            np.array([m.spatial_cols for m in mappings]),
            np.array([[[ranks.index(r) for r in order] for order in m.orders] for m in mappings]),
        )

    def mapping(self, i: int, problem: Problem) -> Mapping:
        """The ``i``-th mapping as a :class:`mapping.Mapping`."""
        ranks = problem.ranks
        return Mapping(
            problem.einsum, ranks, problem.level_names,
            tuple(tuple(int(v) for v in row) for row in self.temporal[i]),
            tuple(tuple(ranks[k] for k in row) for row in self.orders[i]),
            tuple(int(v) for v in self.spatial_rows[i]), tuple(int(v) for v in self.spatial_cols[i]),
            problem.unit,
        )

    def take(self, index: int | slice | np.ndarray | list[int]) -> "MappingBatch":
        """A sub-batch (``index`` as for numpy fancy indexing); already checked, so not re-validated."""
        sub = object.__new__(MappingBatch)
        for name in ("temporal", "spatial_rows", "spatial_cols", "orders"):
            object.__setattr__(sub, name, getattr(self, name)[index])
        return sub


@dataclass(frozen=True)
class BatchResult:
    """Costs of every mapping of a batch (arrays of length B; counts in elements)."""

    valid: np.ndarray
    cycles: np.ndarray
    compute_cycles: np.ndarray
    fill_drain_cycles: np.ndarray
    bandwidth_cycles: np.ndarray  # (B, levels)
    energy_pj: np.ndarray
    level_read_pj: np.ndarray  # (B, levels)
    level_write_pj: np.ndarray  # (B, levels)
    compute_pj: float
    noc_hops: np.ndarray  # operand words moved one hop
    noc_pj: np.ndarray
    reads: np.ndarray  # (B, levels, tensors)
    writes: np.ndarray
    fills: np.ndarray
    drains: np.ndarray
    utilization: np.ndarray
    spatial_utilization: np.ndarray
    spad_reads: np.ndarray  # (B, tensors): a cascade schedule's scratchpad serving tiles (no copy held there)
    spad_writes: np.ndarray  # (B, tensors): tiles written back to it
    spad_pj: np.ndarray  # their energy (the outermost on-chip level's)

    @property
    def edp(self) -> np.ndarray:
        """Energy-delay product, pJ x cycles."""
        return self.energy_pj * self.cycles

    def objective(self, name: str) -> np.ndarray:
        """``'edp'``, ``'latency'`` or ``'energy'`` per mapping, ``inf`` where invalid.

        Raises
        ------
        ValueError
            For another name.
        """
        if name == "edp":
            v = self.edp
        elif name == "latency":
            # ties in cycles go to the lower energy
            v = self.cycles * (1.0 + 1e-12 * self.energy_pj / np.maximum(self.energy_pj.max(initial=1.0), 1.0))
        elif name == "energy":
            v = self.energy_pj * (1.0 + 1e-12 * self.cycles / np.maximum(self.cycles.max(initial=1.0), 1.0))
        else:
            raise ValueError(f"objective must be one of {OBJECTIVES!r}, not {name!r}")
        return np.where(self.valid, v, np.inf)

"""What the generated accelerator runs: one mapped Einsum turned into loop counters, bank layouts and a fold schedule.

A :class:`FoldPlan` is built from the architecture, the Einsum, its
``mapping.Problem`` and a ``mapping.Mapping`` (:func:`plan_einsum`, in :mod:`._planner`), and is
everything :class:`MappedAccelerator` needs: the array shape, which input
streams along the rows (``row`` operand, one buffer bank per PE row) and which
down the columns (``col`` operand, one bank per PE column), the loop nest
with the address strides of each operand, and the interval at which folds
enter the array. It also lays the operands into the banks and gathers the
output from the result banks (numpy, the testbench's and the loader's side).

Loop nest and rank indices (this generator's convention): the temporal loops
of every level above the register file, outermost level first and each in
its mapping order, then the spatial loops (rows, then columns), then the
register-file loops. A rank's index is the mixed-radix number of its loops in
that order. The loops above the register file enumerate the *folds*; the
register-file loops are the ``T`` beats of a fold.

An operand's buffer address is the mixed-radix number of the loops of the
ranks the operand is indexed by (the other loops reuse the same word), so a
GEMM's operands are stored once; a convolution's sliding window (``p + r``)
stores the window of each position (im2col order). Each bank holds what its
PE row (column) reads: bank ``i`` at address ``a`` holds the element the row
``i`` needs whenever the counters give ``a``. Padded iterations (a rank's
factors multiplying past its size) read zeros and their outputs are dropped.

Fold schedule (the hardware's, see :class:`MappedAccelerator`): a fold's ``T``
beats enter back to back; the next fold enters ``interval`` cycles after the
previous one:

* with ``pe_array.fold_pipelining``: ``T + R`` (a PE takes the next fold's
  first term once its finished sum has been read out of its column), or
  ``max(T, R)`` when the register file holds a second output (each PE
  captures its finished sum into it);
* without: ``T + R + C - 2 + depth - 1`` (the fold has left the array), or
  ``T + R + C - 2`` with the second output register.

Column ``j`` of a fold's results is written to result bank ``j`` (one word of
``R`` accumulators, at the fold's index) ``T + R + depth - 2 + j`` cycles after
the fold's first beat reached the array's corner, so a run of ``F`` folds
takes ``(F - 1) * interval + T + R + C - 2 + depth - 1`` cycles from the first
beat to the last result.

Weight-stationary (``dataflow='weight_stationary'``): the ``col`` operand is
the one the PEs hold (one bank per PE column; per fold ``R`` words, the PE
rows' values, bottom row first, as they shift down the column), the ``row``
operand streams along the rows for the ``T`` beats of a fold, and partial
sums flow down the columns: PE rows unroll reduced ranks, PE columns and the
register-file loops unroll output ranks. Each column's sum leaves the bottom
row into its result bank (one accumulator per word, at the output element's
address); a reduction split over folds adds into the stored partial sum, fed
to the column's top PE, so every output is one chain of MACs. A fold is the
``R``-beat weight load, then its ``T`` beats, then the array's drain; the next
fold loads ``2R + C + T - 2 + depth - 1`` cycles after the previous one
(``sim.cycle``'s fold of a weight-stationary array). When the register file
double-buffers the weights (it holds the weights, two of them per PE), each
PE keeps a shadow weight that the next fold's load fills while the array
streams, swapped in as the next fold starts: folds start ``R`` cycles
sooner, ``R + C + T - 2 + depth - 1`` apart, after one ``R``-beat preload.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._errors import HDLParamError

if TYPE_CHECKING:
    pass

__all__ = ["PlanError", "Loop", "FoldPlan"]

RF = "rf"


class PlanError(HDLParamError):
    """A mapping or Einsum the generated controller cannot run (the message names the key)."""


@dataclass(frozen=True)
class Loop:
    """One temporal loop of the nest: its level, rank and trip count."""

    level: str
    rank: str
    extent: int


@dataclass(frozen=True)
class _Operand:
    tensor: str
    indices: tuple[tuple[tuple[tuple[int, str], ...], int], ...]  # per dimension: ((coeff, rank), ...), constant
    shape: tuple[int, ...]
    ranks: tuple[str, ...]


@dataclass(frozen=True)
class FoldPlan:
    """The generated controller's program for one mapped Einsum.

    Attributes
    ----------
    einsum : str
    rows, cols : int
        The PE array (the architecture's, whatever the mapping uses).
    ranks, sizes : tuple
        Iteration ranks and their sizes.
    outer : tuple of Loop
        Loops above the register file, outermost first (they count the folds).
    inner : tuple of Loop
        Register-file loops, outermost first (the ``T`` beats of a fold).
    spatial_rows, spatial_cols : tuple of (str, int)
        Ranks unrolled over the rows / columns with their factors, outermost first.
    row, col, out : str
        The tensor streamed along the rows, the one streamed down the columns, the output.
    depth : int
        MAC pipeline stages (``arith.pipeline_depth``).
    pipelined : bool
        ``pe_array.fold_pipelining``.
    capture : bool
        The register file holds a second output per PE (a result register).
    dataflow : str
        ``'output_stationary'`` or ``'weight_stationary'`` (see the module).
    double : bool
        Weight-stationary: the PEs double-buffer the weights.
    """

    einsum: str
    rows: int
    cols: int
    ranks: tuple[str, ...]
    sizes: tuple[int, ...]
    outer: tuple[Loop, ...]
    inner: tuple[Loop, ...]
    spatial_rows: tuple[tuple[str, int], ...]
    spatial_cols: tuple[tuple[str, int], ...]
    row: _Operand
    col: _Operand
    out: _Operand
    depth: int
    pipelined: bool
    capture: bool
    dataflow: str = "output_stationary"
    double: bool = False

    @property
    def stationary(self) -> bool:
        """Weight-stationary (the ``col`` operand stays in the PEs)."""
        return self.dataflow == "weight_stationary"

    # -- the schedule ------------------------------------------------------
    @property
    def steady(self) -> int:
        """Beats per fold (``T``): the trip count of the register-file loops."""
        return math.prod(lp.extent for lp in self.inner)

    @property
    def folds(self) -> int:
        """Folds (``F``): the trip count of the loops above the register file."""
        return math.prod(lp.extent for lp in self.outer)

    @property
    def fold_cycles(self) -> int:
        """Weight-stationary: one fold on its own, ``2R + C + T - 2 + depth - 1`` (load, skew, beats, drain)."""
        return 2 * self.rows + self.cols + self.steady - 2 + self.depth - 1

    @property
    def interval(self) -> int:
        """Cycles between the first beats of consecutive folds (see the module)."""
        t, r, c = self.steady, self.rows, self.cols
        if self.stationary:
            return self.fold_cycles - (r if self.double else 0)
        if self.pipelined:
            return max(t, r) if self.capture else t + r
        return t + r + c - 2 + (0 if self.capture else self.depth - 1)

    @property
    def readout_delay(self) -> int:
        """Cycles from a fold's first beat at the array's corner to its column 0 being written."""
        return self.steady + self.rows + self.depth - 2

    @property
    def array_cycles(self) -> int:
        """Cycles from the first beat at the array's corner to the last result, by the schedule.

        Weight-stationary: from the first weight beat at the array's top.
        """
        if self.stationary:
            return self.folds * self.interval + (self.rows if self.double else 0)
        return (self.folds - 1) * self.interval + self.steady + self.rows + self.cols - 2 + self.depth - 1

    @property
    def reduced_outer(self) -> tuple[bool, ...]:
        """For each loop of :attr:`outer`: whether it runs over a reduced rank (a sum split over folds)."""
        return tuple(lp.rank not in self.out.ranks for lp in self.outer)

    def fresh_folds(self) -> np.ndarray:
        """For each fold: whether it starts its outputs' sums (every loop over a reduced rank at its first trip)."""
        reduced = self.reduced_outer
        return np.array([all(c[(lp.level, lp.rank)] == 0 for lp, red in zip(self.outer, reduced) if red)
                         for c in self._counter_sets(self.outer)], dtype=bool)

    @property
    def result_depth(self) -> int:
        """Weight-stationary: words of each result bank (the output elements of one PE column)."""
        return self._strides(self.out)[2]

    def result_strides(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Weight-stationary: address strides of the output in the result banks (outer loops, inner loops)."""
        outer, inner, _ = self._strides(self.out)
        return outer, inner

    # -- addresses ---------------------------------------------------------
    def _strides(self, op: _Operand) -> tuple[tuple[int, ...], tuple[int, ...], int]:
        loops = self.outer + self.inner
        strides = [0] * len(loops)
        step = 1
        for i in range(len(loops) - 1, -1, -1):
            if loops[i].rank in op.ranks:
                strides[i] = step
                step *= loops[i].extent
        n = len(self.outer)
        return tuple(strides[:n]), tuple(strides[n:]), step

    def strides(self, which: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Address strides of the ``'row'`` or ``'col'`` operand: (outer loops, inner loops)."""
        outer, inner, _ = self._strides(self._operand(which))
        return outer, inner

    def bank_depth(self, which: str) -> int:
        """Words in each bank of the ``'row'`` or ``'col'`` operand (weight-stationary weights: ``R`` per tile)."""
        words = self._strides(self._operand(which))[2]
        return words * self.rows if self.stationary and which == "col" else words

    def addresses(self, which: str) -> np.ndarray:
        """The bank address at every beat: an array ``(folds, steady)``.

        ``which``: ``'row'`` or ``'col'`` (an operand; weight-stationary weights: the tile), or ``'out'``
        (weight-stationary: the result-bank word).
        """
        if which == "out":
            outer_s, inner_s = self.result_strides()
        else:
            outer_s, inner_s = self.strides(which)
        out = np.zeros((self.folds, self.steady), dtype=np.int64)
        for f, oc in enumerate(self._counter_sets(self.outer)):
            base = sum(s * oc[(lp.level, lp.rank)] for s, lp in zip(outer_s, self.outer))
            for t, ic in enumerate(self._counter_sets(self.inner)):
                out[f, t] = base + sum(s * ic[(lp.level, lp.rank)] for s, lp in zip(inner_s, self.inner))
        return out

    def _operand(self, which: str) -> _Operand:
        if which not in ("row", "col"):
            raise ValueError(f"FoldPlan: operand must be 'row' or 'col', not {which!r}")
        return self.row if which == "row" else self.col

    # -- the numpy side: lay operands out, gather results --------------------
    def _rank_values(self, counters: dict[tuple[str, str], int], spatial: dict[str, int]) -> dict[str, int]:
        """Every rank's index from the loop counters (by (level, rank)) and spatial sub-indices."""
        values = {}
        for rank in self.ranks:
            v = 0
            for lp in self.outer:
                if lp.rank == rank:
                    v = v * lp.extent + counters[(lp.level, lp.rank)]
            for tag, factors in (("r", self.spatial_rows), ("c", self.spatial_cols)):
                for name, factor in factors:
                    if name == rank:
                        v = v * factor + spatial[tag + name]
            for lp in self.inner:
                if lp.rank == rank:
                    v = v * lp.extent + counters[(lp.level, lp.rank)]
            values[rank] = v
        return values

    @staticmethod
    def _decompose(index: int, factors: tuple[tuple[str, int], ...], tag: str) -> dict[str, int] | None:
        used = math.prod(f for _, f in factors)
        if index >= used:
            return None
        out = {}
        for name, factor in reversed(factors):
            out[tag + name] = index % factor
            index //= factor
        return out

    def _counter_sets(self, loops: tuple[Loop, ...]):
        extents = [lp.extent for lp in loops]
        for flat in range(math.prod(extents)):
            values = {}
            for lp, e in zip(reversed(loops), reversed(extents)):
                values[(lp.level, lp.rank)] = flat % e
                flat //= e
            yield values

    def _element(self, op: _Operand, tensor: np.ndarray, ranks: dict[str, int]):
        size = dict(zip(self.ranks, self.sizes))
        if any(ranks[r] >= size[r] for r in op.ranks):
            return None
        idx = tuple(sum(c * ranks[r] for c, r in terms) + const for terms, const in op.indices)
        if any(i < 0 or i >= n for i, n in zip(idx, op.shape)):
            return None
        return tensor[idx]

    def layout(self, which: str, tensor: np.ndarray) -> np.ndarray:
        """The banks of the ``'row'`` or ``'col'`` operand: an array ``(banks, depth)`` of operand codes.

        ``tensor`` holds the operand's codes (integers) in its own shape.
        """
        op = self._operand(which)
        tensor = np.asarray(tensor)
        if tensor.shape != op.shape:
            raise ValueError(f"FoldPlan.layout: {op.tensor} has shape {op.shape}, not {tensor.shape}")
        if self.stationary and which == "col":
            return self._weight_layout(tensor)
        outer_s, inner_s, depth = self._strides(op)
        strides = outer_s + inner_s
        loops = self.outer + self.inner
        banks = self.rows if which == "row" else self.cols
        factors = self.spatial_rows if which == "row" else self.spatial_cols
        out = np.zeros((banks, depth), dtype=np.int64)
        for b in range(banks):
            spatial = self._decompose(b, factors, "r" if which == "row" else "c")
            if spatial is None:
                continue
            # Ranks unrolled on the other axis do not index this operand (checked by plan_einsum).
            spatial.update({("c" if which == "row" else "r") + n: 0 for n, _ in (self.spatial_cols if which == "row" else self.spatial_rows)})
            for counters in self._counter_sets(loops):
                addr = sum(s * counters[(lp.level, lp.rank)] for s, lp in zip(strides, loops))
                value = self._element(op, tensor, self._rank_values(counters, spatial))
                if value is not None:
                    out[b, addr] = value
        return out

    def _weight_layout(self, tensor: np.ndarray) -> np.ndarray:
        """Weight-stationary: bank ``j`` word ``tile * R + k`` holds PE ``(R - 1 - k, j)``'s weight of that tile."""
        outer_s, _, tiles = self._strides(self.col)
        out = np.zeros((self.cols, tiles * self.rows), dtype=np.int64)
        inner0 = {(lp.level, lp.rank): 0 for lp in self.inner}
        for counters in self._counter_sets(self.outer):
            tile = sum(s * counters[(lp.level, lp.rank)] for s, lp in zip(outer_s, self.outer))
            counters.update(inner0)
            for i in range(self.rows):
                rs = self._decompose(i, self.spatial_rows, "r")
                for j in range(self.cols):
                    cs = self._decompose(j, self.spatial_cols, "c")
                    if rs is None or cs is None:
                        continue
                    value = self._element(self.col, tensor, self._rank_values(counters, {**rs, **cs}))
                    if value is not None:
                        out[j, tile * self.rows + self.rows - 1 - i] = value
        return out

    def gather(self, results: np.ndarray, fill: int = 0) -> np.ndarray:
        """The output tensor from the result banks, an array ``(cols, folds, rows)`` of accumulator words.

        Weight-stationary: an array ``(cols, result_depth)``, one accumulator per word.
        Elements no fold computes keep ``fill``.
        """
        if self.stationary:
            return self._gather_stationary(np.asarray(results), fill)
        results = np.asarray(results)
        expected = (self.cols, self.folds, self.rows)
        if results.shape != expected:
            raise ValueError(f"FoldPlan.gather: results must have shape {expected}, not {results.shape}")
        out = np.full(self.out.shape, fill, dtype=np.int64)
        inner0 = {(lp.level, lp.rank): 0 for lp in self.inner}
        for f, counters in enumerate(self._counter_sets(self.outer)):
            counters.update(inner0)
            for i in range(self.rows):
                rs = self._decompose(i, self.spatial_rows, "r")
                if rs is None:
                    continue
                for j in range(self.cols):
                    cs = self._decompose(j, self.spatial_cols, "c")
                    if cs is None:
                        continue
                    ranks = self._rank_values(counters, {**rs, **cs})
                    size = dict(zip(self.ranks, self.sizes))
                    if any(ranks[r] >= size[r] for r in self.out.ranks):
                        continue
                    idx = tuple(sum(c * ranks[r] for c, r in terms) + const for terms, const in self.out.indices)
                    out[idx] = results[j, f, i]
        return out

    def _gather_stationary(self, results: np.ndarray, fill: int) -> np.ndarray:
        expected = (self.cols, self.result_depth)
        if results.shape != expected:
            raise ValueError(f"FoldPlan.gather: results must have shape {expected}, not {results.shape}")
        out = np.full(self.out.shape, fill, dtype=np.int64)
        outer_s, inner_s = self.result_strides()
        strides, loops = outer_s + inner_s, self.outer + self.inner
        size = dict(zip(self.ranks, self.sizes))
        rows0 = {"r" + n: 0 for n, _ in self.spatial_rows}
        for counters in self._counter_sets(loops):
            addr = sum(s * counters[(lp.level, lp.rank)] for s, lp in zip(strides, loops))
            for j in range(self.cols):
                cs = self._decompose(j, self.spatial_cols, "c")
                if cs is None:
                    continue
                ranks = self._rank_values(counters, {**rows0, **cs})
                if any(ranks[r] >= size[r] for r in self.out.ranks):
                    continue
                idx = tuple(sum(c * ranks[r] for c, r in terms) + const for terms, const in self.out.indices)
                out[idx] = results[j, addr]
        return out

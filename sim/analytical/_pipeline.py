"""Fill/drain and start-up cycles of the analytical model, in the cycle-level simulator's closed form.

The terms are the ones ``sim.cycle`` pays (its per-fold timing is validated
against SCALE-Sim's closed forms), vectorized over a batch of mappings:

* **Per fold** (one pass of the array over the spatial and per-PE loops), as
  ``sim.cycle.fold_timing``: on a systolic network of ``R x C`` PEs (the
  *array* shape, used or not) an ``R * hop`` preload of the stationary
  operand for weight / input stationary (none for output stationary, whose
  outputs shift out under the next fold's skew), ``(R - 1 + C - 1) * hop``
  cycles of skew and ``pipeline_depth - 1`` cycles of MAC pipeline; SCALE-Sim
  3's ``2R + C - 2`` (weight / input stationary) and ``R + C - 2`` (output
  stationary) overhead for one-cycle hops and a one-stage MAC.  When the
  register file holds two tiles of the stationary operand the preload of one
  fold hides under its neighbour's stream, so it is paid once per Einsum (for
  output stationary, the MAC pipeline's drain).  A broadcast network
  (and the vector unit) pays ``hop`` to fill and the MAC pipeline to drain.
  Under fold pipelining (``accel.PEArray.fold_pipelining``, as
  ``sim.cycle.fold_timing`` derives it) the ``F`` folds of the Einsum cost
  ``fill + (F - 1) * II + T + (pipeline_depth - 1)``: the fill (``R * hop``
  preload, weight / input stationary only, plus the skew) and the MAC
  pipeline once, and between folds the ``L = R * hop`` shift of the
  stationary operand (in) or of the finished outputs (out), exposed as
  ``II = T + L``, or hidden under the stream, ``II = max(T, L)``, when the
  register file holds two of its tiles; on a bus ``II = T``.
  The stationary operand is the dataflow's; for another dataflow
  (``row_stationary``, ``flexible``) it is the first tensor, output first,
  that no per-PE loop with a factor above one indexes (else the weight).
* **Start-up**: the first tile step's loads.  Every input tile of the
  on-chip levels comes down its chain of levels, outer level first; the
  chains start at once, each DRAM transfer takes one of
  :data:`DMA_CHANNELS` DMA engines, waits the DRAM latency (outstanding
  requests overlap it) and then holds the one DRAM bus for its burst, the
  chains taking the bus in order (outermost level first); each on-chip hop
  then waits the source level's latency and moves its burst.  A burst is the
  slower of its source's read and destination's write time:
  ``ceil(bytes / rate)``, a level's rate being its bandwidth over its banks
  times the banks a tile spans (``min(banks, words)``) and DRAM's its
  bandwidth.
* **Wind-down**: the last output tiles' write-back after the last fold, inner
  level first, each hop waiting its source's latency.

The cost model charges the latencies of start-up and wind-down (with the
per-fold terms) as fill/drain, and their bursts next to compute: latency is
``max(compute + first/last bursts, bandwidth bound) + fill/drain``, so a
bandwidth-bound mapping does not pay the first and last tiles' bytes twice.
With ample bandwidth that is compute + per-fold overhead + start-up +
wind-down, the simulator's total; the bursts show as bandwidth stall, as in
the simulator's report.

Modelling choice, documented in ``sim.cycle`` too: the model assumes that
later loads hide under the folds of the step before (double buffering) and
that transfers of one chain do not contend for an on-chip port with another
chain.  Both hold with ample bandwidth and latencies short against a tile
step; otherwise the simulator pays stalls this closed form leaves out (the
bandwidth bound ``max(compute, bytes / bandwidth)`` still covers throughput).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple, Union

import numpy as np

from memory import Residency

if TYPE_CHECKING:
    from mapping import Problem

__all__ = ["Pipeline", "DMA_CHANNELS"]

#: Cycles or bytes of a batch of mappings (an array of length B) or of one mapping (a float).
Cycles = Union[np.ndarray, float]

#: DMA engines between DRAM and the chip: ``sim.cycle.HardwareConfig``'s default.
DMA_CHANNELS = 2

#: Dataflow name -> which operand stays in the PEs during a fold (as ``sim.cycle``).
_STATIONARY = {"weight_stationary": "weight", "input_stationary": "input", "output_stationary": "output"}


def _ceil(x: float) -> float:
    """``np.ceil`` of one float (infinities and NaN pass through)."""
    try:
        return float(math.ceil(x))
    except (OverflowError, ValueError):
        return x


class _Arith(NamedTuple):
    """The element-wise operations the closed form uses: numpy's over a batch, or Python's on one float."""

    maximum: Callable[[Cycles, Cycles], Cycles]
    minimum: Callable[[Cycles, Cycles], Cycles]
    ceil: Callable[[Cycles], Cycles]
    zeros: Callable[[int], Cycles]


#: Over a batch of mappings (arrays of length B).
BATCH = _Arith(np.maximum, np.minimum, np.ceil, np.zeros)
#: For one mapping (plain floats): the same operations, the same IEEE results, without numpy's per-call cost.
SCALAR = _Arith(max, min, _ceil, lambda _batch: 0.0)


class Pipeline:
    """The fill/drain closed form of one Einsum on one architecture.

    Parameters
    ----------
    problem : mapping.Problem
    dataflow : str
        The PE array's dataflow (``accel.PEArray.dataflow``).
    banks : sequence of int
        Banks of each storage level, innermost first (1 for ``rf`` and ``dram``).
    dma_channels : int
        DMA engines (outstanding DRAM transfers).
    residency : sim.Residency, optional
        In a cascade schedule: inputs that come from the scratchpad skip DRAM
        (no DMA, no DRAM latency; a tile of the scratchpad level is the
        resident tensor itself, so nothing moves into it), and outputs not
        stored end on chip.

    Raises
    ------
    ValueError
        If ``banks`` does not give one positive count per storage level, or
        ``dma_channels`` is not a positive integer.
    """

    def __init__(self, problem: Problem, dataflow: str, banks: Sequence[int], dma_channels: int = DMA_CHANNELS,
                 residency: Residency | None = None) -> None:
        p = problem
        banks = tuple(banks)
        if len(banks) != len(p.storage) or any(not isinstance(b, int) or b < 1 for b in banks):
            raise ValueError(f"Pipeline: banks must give a positive integer per storage level ({len(p.storage)}), not {banks!r}")
        if isinstance(dma_channels, bool) or not isinstance(dma_channels, int) or dma_channels < 1:
            raise ValueError(f"Pipeline: dma_channels must be a positive integer, not {dma_channels!r}")
        if residency is not None and not isinstance(residency, Residency):
            raise TypeError(f"Pipeline: residency must be a sim.Residency, not {residency!r}")
        self.problem = p
        self.dataflow = dataflow
        self.banks = banks
        self.channels = dma_channels
        dram = len(p.storage) - 1
        self.dram = dram
        self.residency = residency
        #: the schedule's scratchpad (outermost on-chip level) in a cascade, else -1
        self.in_place = dram - 1 if residency is not None and dram >= 2 else -1
        #: per tensor, the shared on-chip levels holding it, innermost first
        self.held: list[list[int]] = []
        #: per tensor: does its traffic with DRAM really reach DRAM (inputs' first tiles, stored outputs)?
        self.via_dram: list[bool] = []
        inputs, self.outputs = [], []
        on_chip = p.storage[1:dram]
        for ti, t in enumerate(p.tensors):
            held = [L for L, st in enumerate(on_chip, 1) if st.holds[ti]]
            self.held.append(held)
            output = t.role == "output"
            if held:
                (self.outputs if output else inputs).append(ti)
            self.via_dram.append(residency is None or (
                (t.name in residency.stored) if output else residency.input_from_dram(t.name)))
        # first step: one chain per input tensor held on chip, tensors with the outermost level first
        self.fill_chains = sorted(inputs, key=lambda ti: (-self.held[ti][-1], ti))
        #: the first step's chains (tensor, its on-chip levels outer first) and the write-backs (tensor, levels inner first)
        self._fill_plan = [(ti, self.held[ti][::-1]) for ti in self.fill_chains]
        self._drain_plan = []
        for ti in self.outputs:
            levels = list(self.held[ti])
            if self.via_dram[ti] or levels[-1] != self.in_place:
                levels.append(dram)  # DRAM, or in a cascade the scratchpad outside a level with its own copy
            self._drain_plan.append((ti, levels))
        rf = p.storage[0]
        self._rf_capacity = rf.capacity
        self._rf_holds = rf.holds

    def spans(self, level: int, nbytes: np.ndarray, arith: _Arith = BATCH) -> np.ndarray:
        """Banks of on-chip ``level`` a tile of ``nbytes`` is interleaved over: ``min(banks, words)``, as in ``sim.cycle``."""
        words = arith.ceil(nbytes * 8 / self.problem.storage[level].word_bits)
        return arith.minimum(float(self.banks[level]), arith.maximum(1.0, words))

    def _cycles(self, level: int, nbytes: np.ndarray, write: bool, arith: _Arith = BATCH) -> np.ndarray:
        """Burst cycles of ``nbytes`` of one tensor's tiles at ``level`` (as ``sim.cycle``'s banked level)."""
        st = self.problem.storage[level]
        if level == self.dram:
            return arith.ceil(nbytes / float(st.read_bandwidth))
        bandwidth = float(st.write_bandwidth if write else st.read_bandwidth)
        banks = self.banks[level]
        if banks == 1:  # a tile spans the level's one bank: its whole bandwidth
            return arith.ceil(nbytes / bandwidth)
        return arith.ceil(nbytes / ((bandwidth / banks) * self.spans(level, nbytes, arith)))

    def _hop(self, src: int, dst: int, nbytes: dict[int, Cycles], bursts: bool = True, arith: _Arith = BATCH) -> np.ndarray:
        """Burst of one transfer ``src -> dst`` of tiles of ``nbytes`` (the tile of the on-chip end(s)); 0 without ``bursts``."""
        if not bursts:
            return 0.0
        return arith.maximum(self._cycles(src, nbytes[src], False, arith), self._cycles(dst, nbytes[dst], True, arith))

    def startup(self, nbytes: dict[int, dict[int, np.ndarray]], batch: int, bursts: bool = True,
                arith: _Arith = BATCH) -> np.ndarray:
        """Cycles of the first step's loads; ``nbytes[ti][L]``: tile bytes of tensor ``ti`` at level ``L``.

        Without ``bursts``, the latencies alone (every transfer moving in no time).  With ``arith=SCALAR`` the
        tile sizes and the result are floats of one mapping (``batch`` unused).
        """
        return self._startup(nbytes, batch, arith)[1 if bursts else 0]

    def wind_down(self, nbytes: dict[int, dict[int, np.ndarray]], batch: int, bursts: bool = True,
                  arith: _Arith = BATCH) -> np.ndarray:
        """Cycles of the last output tiles' write-back, inner level first (without ``bursts``: the latencies)."""
        return self._wind_down(nbytes, batch, arith)[1 if bursts else 0]

    def edges(self, nbytes: dict[int, dict[int, np.ndarray]], batch: int, arith: _Arith = BATCH) -> tuple[Cycles, Cycles]:
        """``(latencies, bursts)`` of the first step's loads and the last write-back, in one pass.

        ``latencies`` is :meth:`startup` plus :meth:`wind_down` without bursts; ``bursts`` what the bursts add
        to them (both with bursts, less the latencies).
        """
        s_lat, s_all = self._startup(nbytes, batch, arith)
        w_lat, w_all = self._wind_down(nbytes, batch, arith)
        latencies = s_lat + w_lat
        return latencies, s_all + w_all - latencies

    def _startup(self, nbytes: dict[int, dict[int, np.ndarray]], batch: int, arith: _Arith) -> tuple[Cycles, Cycles]:
        """:meth:`startup` without and with bursts."""
        storage, dram, channels = self.problem.storage, self.dram, self.channels
        lat = float(storage[dram].latency)
        done_lat: list[Cycles] = []  # completion of each DRAM transfer, in bus order
        done_all: list[Cycles] = []
        zero = arith.zeros(batch)
        ready_lat = ready_all = zero
        for ti, levels in self._fill_plan:
            outer = levels[0]  # outer first
            sizes = dict(nbytes[ti])
            sizes[dram] = sizes[outer]
            if self.via_dram[ti]:
                i = len(done_lat)
                early = i >= channels
                end_lat = arith.maximum((done_lat[i - channels] if early else zero) + lat, done_lat[-1] if i else zero) + 0.0
                end_all = (arith.maximum((done_all[i - channels] if early else zero) + lat, done_all[-1] if i else zero)
                           + self._hop(dram, outer, sizes, True, arith))
                done_lat.append(end_lat)
                done_all.append(end_all)
            elif outer == self.in_place:
                end_lat = end_all = zero  # the scratchpad's tile is the resident tensor: nothing moves in
            else:  # from the scratchpad into a level that keeps its own copy: its write burst only
                end_lat, end_all = zero, self._cycles(outer, sizes[outer], True, arith)
            for src, dst in zip(levels, levels[1:]):
                end_lat = end_lat + storage[src].latency + 0.0
                end_all = end_all + storage[src].latency + self._hop(src, dst, sizes, True, arith)
            ready_lat = arith.maximum(ready_lat, end_lat)
            ready_all = arith.maximum(ready_all, end_all)
        return ready_lat, ready_all

    def _wind_down(self, nbytes: dict[int, dict[int, np.ndarray]], batch: int, arith: _Arith) -> tuple[Cycles, Cycles]:
        """:meth:`wind_down` without and with bursts."""
        storage, dram = self.problem.storage, self.dram
        zero = arith.zeros(batch)
        total_lat = total_all = zero
        for ti, levels in self._drain_plan:
            sizes = dict(nbytes[ti])
            sizes[dram] = sizes[self.held[ti][-1]]
            end_lat = end_all = zero
            for src, dst in zip(levels, levels[1:]):
                if dst == dram and not self.via_dram[ti]:  # to the scratchpad: the source's read burst only
                    burst = self._cycles(src, sizes[src], False, arith)
                else:
                    burst = self._hop(src, dst, sizes, True, arith)
                end_lat = end_lat + storage[src].latency + 0.0
                end_all = end_all + storage[src].latency + burst
            total_lat = arith.maximum(total_lat, end_lat)
            total_all = arith.maximum(total_all, end_all)
        return total_lat, total_all

    def _cycles_one(self, level: int, nbytes: float, write: bool) -> float:
        """:meth:`_cycles` of one mapping's tile (plain floats, the same operations)."""
        st = self.problem.storage[level]
        if level == self.dram:
            return _ceil(nbytes / float(st.read_bandwidth))
        bandwidth = float(st.write_bandwidth if write else st.read_bandwidth)
        banks = self.banks[level]
        if banks == 1:
            return _ceil(nbytes / bandwidth)
        spans = min(float(banks), max(1.0, _ceil(nbytes * 8 / st.word_bits)))
        return _ceil(nbytes / ((bandwidth / banks) * spans))

    def edges_one(self, nbytes: Sequence[dict[int, float]]) -> tuple[float, float]:
        """:meth:`edges` of one mapping (``nbytes[ti][L]``: floats), in plain floats, equal to ``edges(nbytes, 1, SCALAR)``."""
        storage, dram, channels, cycles = self.problem.storage, self.dram, self.channels, self._cycles_one
        lat = float(storage[dram].latency)
        done_lat: list[float] = []  # completion of each DRAM transfer, in bus order
        done_all: list[float] = []
        ready_lat = ready_all = 0.0
        for ti, levels in self._fill_plan:
            outer = levels[0]  # outer first
            sizes = nbytes[ti]
            if self.via_dram[ti]:
                i = len(done_lat)
                early = i >= channels
                burst = max(cycles(dram, sizes[outer], False), cycles(outer, sizes[outer], True))
                end_lat = max((done_lat[i - channels] if early else 0.0) + lat, done_lat[-1] if i else 0.0) + 0.0
                end_all = max((done_all[i - channels] if early else 0.0) + lat, done_all[-1] if i else 0.0) + burst
                done_lat.append(end_lat)
                done_all.append(end_all)
            elif outer == self.in_place:
                end_lat = end_all = 0.0  # the scratchpad's tile is the resident tensor: nothing moves in
            else:  # from the scratchpad into a level that keeps its own copy: its write burst only
                end_lat, end_all = 0.0, cycles(outer, sizes[outer], True)
            for src, dst in zip(levels, levels[1:]):
                end_lat = end_lat + storage[src].latency + 0.0
                end_all = end_all + storage[src].latency + max(cycles(src, sizes[src], False), cycles(dst, sizes[dst], True))
            ready_lat = max(ready_lat, end_lat)
            ready_all = max(ready_all, end_all)
        total_lat = total_all = 0.0
        for ti, levels in self._drain_plan:
            sizes = nbytes[ti]
            last = self.held[ti][-1]  # DRAM's end of a transfer moves that level's tile
            end_lat = end_all = 0.0
            for src, dst in zip(levels, levels[1:]):
                if dst == dram and not self.via_dram[ti]:  # to the scratchpad: the source's read burst only
                    burst = cycles(src, sizes[src], False)
                else:
                    burst = max(cycles(src, sizes[src], False), cycles(dst, sizes[last if dst == dram else dst], True))
                end_lat = end_lat + storage[src].latency + 0.0
                end_all = end_all + storage[src].latency + burst
            total_lat = max(total_lat, end_lat)
            total_all = max(total_all, end_all)
        latencies = ready_lat + total_lat
        return latencies, ready_all + total_all - latencies

    def fold_overhead(self, T0: np.ndarray, folds: np.ndarray) -> np.ndarray:
        """Fill/drain cycles of all folds (``T0``: per-PE factors, shape (B, ranks))."""
        p = self.problem
        hop, tail = float(p.hop_latency), float(p.pipeline_depth - 1)
        pipelined = p.fold_pipelining
        if p.network != "systolic":
            if pipelined:  # the bus is pipelined: one hop to fill, one MAC pipeline to drain, per Einsum
                return np.where(folds > 0, hop + tail, 0.0)
            return folds * (hop + tail)
        shift = hop * p.rows
        skew = hop * (p.rows - 1 + p.cols - 1)
        B = T0.shape[0]
        tensors = p.tensors
        codes = {name: k for k, name in enumerate(dict.fromkeys(["weight", "output", *(t.role for t in tensors)]))}
        if self.dataflow in _STATIONARY:
            role = np.full(B, codes.get(_STATIONARY[self.dataflow], -1))
        else:
            busy = T0 > 1
            role = np.full(B, codes["weight"])
            found = np.zeros(B, dtype=bool)
            for t in tensors:
                rel = np.array(t.relevant or (False,) * T0.shape[1], dtype=bool)
                free = ~(busy & rel).any(axis=1) & ~found
                role[free] = codes[t.role]
                found |= free
        held_any = np.zeros(B, dtype=bool)
        fits = np.ones(B, dtype=bool)
        for ti, t in enumerate(tensors):
            if not self._rf_holds[ti]:
                continue
            mine = role == codes[t.role]
            held_any |= mine
            footprint = np.ones(B)
            for row, size in zip(t.coeffs, t.dim_sizes):
                footprint *= np.minimum(size, (T0 - 1.0) @ np.array(row, dtype=np.float64) + 1.0)
            fits &= ~mine | (2 * footprint * t.bits / 8 <= self._rf_capacity)
        double = held_any & fits
        output = role == codes["output"]
        if pipelined:
            # fill + (F - 1) * II + T + tail, less the F * T of compute; II - T is the exposed shift
            steady = np.ceil(T0.prod(axis=1) * p.ops_per_point / p.ops_per_cycle)
            exposed = np.where(double, np.maximum(0.0, shift - steady), shift)
            fill = np.where(output, skew, shift + skew)
            return np.where(folds > 0, fill + (folds - 1) * exposed + tail, 0.0)
        # output stationary has no preload: its outputs shift out under the next fold's skew
        single = np.where(output, folds * (skew + tail), folds * (shift + skew + tail))
        # double-buffered: weight / input stationary pay the preload once; output stationary the MAC pipeline's drain
        overlapped = np.where(output, folds * skew + tail, folds * (skew + tail) + shift)
        return np.where(double, overlapped, single)

    def fold_overhead_one(self, T0: Sequence[float], folds: float, rf_tiles: Sequence[float | None] | None = None) -> float:
        """:meth:`fold_overhead` of one mapping (``T0``: its per-PE factors), in plain floats.

        ``rf_tiles``: per tensor, the elements of its register-file tile where the caller has them (the footprint
        of ``T0``; ``None`` for a tensor the register file does not hold); computed here otherwise.
        """
        p = self.problem
        hop, tail = float(p.hop_latency), float(p.pipeline_depth - 1)
        pipelined = p.fold_pipelining
        if p.network != "systolic":
            if pipelined:
                return hop + tail if folds > 0 else 0.0
            return folds * (hop + tail)
        shift = hop * p.rows
        skew = hop * (p.rows - 1 + p.cols - 1)
        tensors = p.tensors
        if self.dataflow in _STATIONARY:
            role = _STATIONARY[self.dataflow]
        else:  # the first tensor, output first, that no per-PE loop with a factor above one indexes
            role = "weight"
            for t in tensors:
                if not any(f > 1 and rel for f, rel in zip(T0, t.relevant)):
                    role = t.role
                    break
        held_any, fits = False, True
        for ti, t in enumerate(tensors):
            if not self._rf_holds[ti] or t.role != role:
                continue
            held_any = True
            if rf_tiles is not None:
                footprint = rf_tiles[ti]
            else:
                footprint = 1.0
                for row, size in zip(t.coeffs, t.dim_sizes):
                    span = 0.0
                    for f, c in zip(T0, row):
                        span += (f - 1.0) * c
                    footprint *= min(float(size), span + 1.0)
            fits = fits and 2 * footprint * t.bits / 8 <= self._rf_capacity
        double = held_any and fits
        output = role == "output"
        if pipelined:
            steady = _ceil(math.prod(T0) * p.ops_per_point / p.ops_per_cycle)
            exposed = max(0.0, shift - steady) if double else shift
            fill = skew if output else shift + skew
            return fill + (folds - 1) * exposed + tail if folds > 0 else 0.0
        if double:
            return folds * skew + tail if output else folds * (skew + tail) + shift
        return folds * (skew + tail) if output else folds * (shift + skew + tail)

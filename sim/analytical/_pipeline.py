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

from typing import Any

import numpy as np

from memory import Residency

__all__ = ["Pipeline", "DMA_CHANNELS"]

#: DMA engines between DRAM and the chip: ``sim.cycle.HardwareConfig``'s default.
DMA_CHANNELS = 2

#: Dataflow name -> which operand stays in the PEs during a fold (as ``sim.cycle``).
_STATIONARY = {"weight_stationary": "weight", "input_stationary": "input", "output_stationary": "output"}


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

    def __init__(self, problem: Any, dataflow: str, banks: Any, dma_channels: int = DMA_CHANNELS,
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
        #: per tensor, the shared on-chip levels holding it, innermost first
        self.held = [[L for L in range(1, dram) if p.storage[L].holds[ti]] for ti in range(len(p.tensors))]
        # first step: one chain per input tensor held on chip, tensors with the outermost level first
        inputs = [ti for ti, t in enumerate(p.tensors) if t.role != "output" and self.held[ti]]
        self.fill_chains = sorted(inputs, key=lambda ti: (-self.held[ti][-1], ti))
        self.outputs = [ti for ti, t in enumerate(p.tensors) if t.role == "output" and self.held[ti]]
        self.residency = residency
        #: the schedule's scratchpad (outermost on-chip level) in a cascade, else -1
        self.in_place = dram - 1 if residency is not None and dram >= 2 else -1
        names = [t.name for t in p.tensors]
        #: per tensor: does its traffic with DRAM really reach DRAM (inputs' first tiles, stored outputs)?
        self.via_dram = [
            residency is None
            or ((n in residency.stored) if t.role == "output" else residency.input_from_dram(n))
            for n, t in zip(names, p.tensors)
        ]
        rf = p.storage[0]
        self._rf_capacity = rf.capacity
        self._rf_holds = rf.holds

    def spans(self, level: int, nbytes: np.ndarray) -> np.ndarray:
        """Banks of on-chip ``level`` a tile of ``nbytes`` is interleaved over: ``min(banks, words)``, as in ``sim.cycle``."""
        return np.minimum(self.banks[level], np.maximum(1.0, np.ceil(nbytes * 8 / self.problem.storage[level].word_bits)))

    def _cycles(self, level: int, nbytes: np.ndarray, write: bool) -> np.ndarray:
        """Burst cycles of ``nbytes`` of one tensor's tiles at ``level`` (as ``sim.cycle``'s banked level)."""
        st = self.problem.storage[level]
        if level == self.dram:
            return np.ceil(nbytes / float(st.read_bandwidth))
        rate = (float(st.write_bandwidth if write else st.read_bandwidth) / self.banks[level]) * self.spans(level, nbytes)
        return np.ceil(nbytes / rate)

    def _hop(self, src: int, dst: int, nbytes: np.ndarray, bursts: bool = True) -> np.ndarray:
        """Burst of one transfer ``src -> dst`` of tiles of ``nbytes`` (the tile of the on-chip end(s)); 0 without ``bursts``."""
        if not bursts:
            return 0.0
        return np.maximum(self._cycles(src, nbytes[src], False), self._cycles(dst, nbytes[dst], True))

    def startup(self, nbytes: dict[int, dict[int, np.ndarray]], batch: int, bursts: bool = True) -> np.ndarray:
        """Cycles of the first step's loads; ``nbytes[ti][L]``: tile bytes of tensor ``ti`` at level ``L``.

        Without ``bursts``, the latencies alone (every transfer moving in no time).
        """
        p, dram = self.problem, self.dram
        lat = float(p.storage[dram].latency)
        done: list[np.ndarray] = []  # completion of each DRAM transfer, in bus order
        ready = np.zeros(batch)
        for ti in self.fill_chains:
            levels = self.held[ti][::-1]  # outer first
            sizes = dict(nbytes[ti])
            sizes[dram] = sizes[levels[0]]
            if self.via_dram[ti]:
                i = len(done)
                granted = done[i - self.channels] if i >= self.channels else np.zeros(batch)
                bus_free = done[-1] if done else np.zeros(batch)
                end = np.maximum(granted + lat, bus_free) + self._hop(dram, levels[0], sizes, bursts)
                done.append(end)
            elif levels[0] == self.in_place:
                end = np.zeros(batch)  # the scratchpad's tile is the resident tensor: nothing moves in
            else:  # from the scratchpad into a level that keeps its own copy: its write burst only
                end = self._cycles(levels[0], sizes[levels[0]], True) if bursts else np.zeros(batch)
            for src, dst in zip(levels, levels[1:]):
                end = end + p.storage[src].latency + self._hop(src, dst, sizes, bursts)
            ready = np.maximum(ready, end)
        return ready

    def wind_down(self, nbytes: dict[int, dict[int, np.ndarray]], batch: int, bursts: bool = True) -> np.ndarray:
        """Cycles of the last output tiles' write-back, inner level first (without ``bursts``: the latencies)."""
        p, dram = self.problem, self.dram
        total = np.zeros(batch)
        for ti in self.outputs:
            sizes = dict(nbytes[ti])
            last = self.held[ti][-1]
            levels = list(self.held[ti])
            if self.via_dram[ti] or last != self.in_place:
                levels.append(dram)  # DRAM, or in a cascade the scratchpad outside a level with its own copy
            sizes[dram] = sizes[last]
            end = np.zeros(batch)
            for src, dst in zip(levels, levels[1:]):
                if dst == dram and not self.via_dram[ti]:  # to the scratchpad: the source's read burst only
                    burst = self._cycles(src, sizes[src], False) if bursts else 0.0
                else:
                    burst = self._hop(src, dst, sizes, bursts)
                end = end + p.storage[src].latency + burst
            total = np.maximum(total, end)
        return total

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

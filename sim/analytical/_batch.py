"""The vectorized analytical cost model: numpy over a batch of mappings of one Einsum (see ``_arrays``).

Access counting follows Timeloop's semantics for whole-tile buffers:

* Each level keeps one tile per tensor it holds; the MAC keeps its current
  operands and partial sum in latches (a one-element "level" per PE below
  ``rf``).  A tensor skips levels that do not hold it.
* A child's tile is refetched each time a loop above it that indexes the
  tensor advances.  With the loops above the child in nest order, the number
  of tile visits is the product of the factors of every loop down to the
  innermost one that indexes the tensor (factor > 1): trailing loops that do
  not index it reuse the tile in place (stationarity).
* A whole new tile is fetched on a visit (no sliding-window halo is kept
  between consecutive tiles, and a tile that happens to equal the previous one
  is fetched again, as a controller following the loop nest does); a tile is
  the dense box its accesses span, so a ``p*stride+r`` dimension spans
  ``(P-1)*stride + R`` elements.
* Per-PE children (``rf``, the latches) are fed through the array network: the
  parent reads what all PEs need once per visit (multicast; spatial reduction
  for outputs) and each PE receives its own tile.  The register-file tiles of
  the PEs lie side by side: their union is one box.  The latches' operands lie
  ``rf``-tile extents apart: the parent reads the distinct ones (per
  dimension, the smaller of their bounding box and the number of PE positions
  along its ranks -- exact but where both terms of a sliding window step by
  more than one, an upper bound there).
* Outputs: every visit ends with a write-back of the tile (drain) and every
  visit but the first of each distinct tile starts with a re-read of its
  partial sums (fill).

Latency is ``max(compute, each level's bandwidth bound) + fill/drain``:
compute is, per fold (iteration of the loops above the array), the padded
per-PE iteration count over ``ops_per_cycle`` rounded up, times the folds;
a level's bound is its bytes read and written over its read/write bandwidth
(their sum for a single-port level, whose reads and writes take turns; DRAM:
one shared bandwidth), each tensor's bytes at the rate of the banks its tiles
span there (``min(banks, words)``, as ``sim.cycle``'s banked levels); fill/drain is the cycle-level simulator's
closed form (see ``_pipeline``): SCALE-Sim's per-fold preload/skew/drain of
the whole ``R x C`` array (the preload paid once when the register file
double-buffers the stationary operand) and the latencies of the first tile
step's loads and of the last output tiles' write-back; those two transfers'
bursts are exposed next to compute: ``max(compute + bursts, bandwidth)``.  With ample bandwidth and perfect tilings the
total equals ``sim.cycle``'s, as long as later loads hide under the folds of
the step before (latencies short against a tile step).

Under a cascade schedule (the pipeline's :class:`sim.Residency`) the DRAM
boundary follows the schedule as ``sim.cycle`` lowers it: each distinct tile
of a loaded input leaves DRAM once and every other visit is served by the
scratchpad (the outermost on-chip level), resident inputs never touch DRAM,
partial sums go back to the scratchpad, and only a stored output's final
tiles reach DRAM; a tile of the scratchpad level itself is the resident
tensor (nothing moves into it), while an inner level keeps its own copy
(``spad_reads`` / ``spad_writes``, priced as the outermost level's accesses).

Padding (imperfect factors): cycles count the padded iterations (idle PEs);
tile footprints are clipped to the tensor, and MAC/op energy counts real work
only (idle PEs are clock-gated).  Access counts for imperfect tilings are then
an upper bound (edge tiles are charged as full tiles); they are exact for
perfect tilings.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from mapping._problem import Problem

from ._arrays import BatchResult, MappingBatch
from ._energy import ActionEnergy, energy_estimators
from ._pipeline import Pipeline

__all__ = ["CostModel"]


class _Tables(NamedTuple):
    """Arrays of one problem and its energies, as the batch path indexes them."""

    coeffs: list[np.ndarray]  # per tensor: (dims, ranks) absolute index coefficients
    dims: list[np.ndarray]  # per tensor: extent of each dimension
    relevant: list[np.ndarray]  # per tensor: (ranks,) whether a rank indexes it
    rel_matrix: np.ndarray  # (ranks, tensors)
    bytes: np.ndarray  # (tensors,) bytes per element
    e_read: np.ndarray  # (levels, tensors) pJ per element read
    e_write: np.ndarray
    e_noc: np.ndarray  # (tensors,) pJ per element moved one hop
    e_spad_read: np.ndarray  # (tensors,) a cascade schedule's scratchpad (the outermost on-chip level's energies)
    e_spad_write: np.ndarray

    @classmethod
    def of(cls, p: Problem, energies: dict[str, ActionEnergy]) -> _Tables:
        coeffs = [np.array(t.coeffs, dtype=np.float64).reshape(len(t.coeffs), len(p.ranks)) for t in p.tensors]
        dims = [np.array(t.dim_sizes, dtype=np.float64) for t in p.tensors]
        relevant = [np.array(t.relevant or (False,) * len(p.ranks), dtype=bool) for t in p.tensors]
        nl, nt = len(p.storage), len(p.tensors)
        e_read = np.zeros((nl, nt))
        e_write = np.zeros((nl, nt))
        for i, st in enumerate(p.storage):
            key = "rf" if i == 0 else st.name
            for j, t in enumerate(p.tensors):
                scale = t.bits / energies[f"{key}.read"].bits
                e_read[i, j] = energies[f"{key}.read"].pj * scale
                e_write[i, j] = energies[f"{key}.write"].pj * (t.bits / energies[f"{key}.write"].bits)
        hop = energies["noc.hop"]
        outer = nl - 2 if nl >= 3 else 0
        return cls(coeffs, dims, relevant, np.stack(relevant, axis=1), np.array([t.bits / 8 for t in p.tensors]),
                   e_read, e_write, np.array([hop.pj * t.bits / hop.bits for t in p.tensors]),
                   e_read[outer].copy(), e_write[outer].copy())


class CostModel:
    """The analytical model of one Einsum on one architecture, ready to score batches.

    Parameters
    ----------
    problem : mapping.Problem
    energies : dict of str to ActionEnergy
        From :func:`sim.analytical.action_energies`.
    pipeline : Pipeline
        The fill/drain closed form of the problem on its architecture.
    estimators : str, optional
        The estimators the energies come from, sorted and comma-separated, as reports name them
        (:func:`sim.analytical._energy.estimators` of ``energies``; derived here when not given).

    Raises
    ------
    TypeError
        If ``pipeline`` is not a ``Pipeline`` of this problem.
    """

    def __init__(self, problem: Problem, energies: dict[str, ActionEnergy], pipeline: Pipeline,
                 estimators: str | None = None) -> None:
        if not isinstance(pipeline, Pipeline) or pipeline.problem is not problem:
            raise TypeError(f"CostModel: pipeline must be a Pipeline of Einsum {problem.einsum!r}, not {pipeline!r}")
        self.problem = problem
        self.energies = energies
        self.pipeline = pipeline
        self.compute_key = "vector.op" if problem.unit == "vector" else "mac"
        self.compute_pj = float(energies[self.compute_key].pj * problem.total_ops)
        self.estimators = energy_estimators(energies) if estimators is None else estimators
        self._tables: _Tables | None = None  # the batch path's arrays, built on its first use

    def _arrays(self) -> _Tables:
        """The per-tensor and per-level arrays the batch path indexes (built once per model, on first use)."""
        if self._tables is None:
            self._tables = _Tables.of(self.problem, self.energies)
        return self._tables

    def _footprint(self, t: int, ext: np.ndarray) -> np.ndarray:
        tab = self._arrays()
        c = tab.coeffs[t]
        if c.shape[0] == 0:
            return np.ones(ext.shape[0])
        return np.minimum((ext - 1.0) @ c.T + 1.0, tab.dims[t]).prod(axis=1)

    def _spread(self, t: int, spread: np.ndarray, stride: np.ndarray) -> np.ndarray:
        """Distinct elements of one point per PE, PEs ``stride`` apart along each rank.

        Per dimension, the smaller of the points' bounding box and the number of
        PE positions along its ranks: exact for single-rank dimensions and for
        sliding windows whose terms do not both step by more than one.
        """
        tab = self._arrays()
        c = tab.coeffs[t]
        if c.shape[0] == 0:
            return np.ones(spread.shape[0])
        box = ((spread - 1.0) * stride) @ c.T + 1.0
        positions = np.exp(np.log(spread) @ (c > 0).T)
        return np.minimum(np.minimum(box, np.rint(positions)), tab.dims[t]).prod(axis=1)

    def score(self, batch: MappingBatch, chunk: int = 4096) -> BatchResult:
        """Costs of every mapping of ``batch`` (invalid ones are flagged in ``valid``).

        Scored ``chunk`` mappings at a time (cache-sized arrays).

        Raises
        ------
        ValueError
            If the batch's levels or ranks do not match the problem.
        """
        n = len(batch)
        if n <= chunk:
            return self._score(batch)
        parts = [self._score(batch.take(slice(lo, lo + chunk))) for lo in range(0, n, chunk)]
        fields = {}
        for name in BatchResult.__dataclass_fields__:
            vals = [getattr(part, name) for part in parts]
            fields[name] = vals[0] if name == "compute_pj" else np.concatenate(vals, axis=0)
        return BatchResult(**fields)

    def _score(self, batch: MappingBatch) -> BatchResult:
        p = self.problem
        tab = self._arrays()
        T = batch.temporal.astype(np.float64)
        B, NL, R = T.shape
        if NL != len(p.storage) or R != len(p.ranks):
            raise ValueError(
                f"batch has {NL} levels x {R} ranks, but Einsum {p.einsum!r} on {p.arch!r} has "
                f"{len(p.storage)} levels x {len(p.ranks)} ranks"
            )
        SR = batch.spatial_rows.astype(np.float64)
        SC = batch.spatial_cols.astype(np.float64)
        S = SR * SC
        pes = S.prod(axis=1)
        cum = np.cumprod(T, axis=1)
        ext = cum.copy()
        ext[:, 1:, :] *= S[:, None, :]
        order = batch.orders[:, ::-1, :]
        F = np.take_along_axis(T[:, ::-1, :], order, axis=2).reshape(B, NL * R)
        RK = order.reshape(B, NL * R)
        cp = np.cumprod(F, axis=1)
        pos = np.arange(NL * R, dtype=np.int16)
        rows = np.arange(B)
        NT = len(p.tensors)
        reads = np.zeros((B, NL, NT))
        writes = np.zeros((B, NL, NT))
        fills = np.zeros((B, NL, NT))
        drains = np.zeros((B, NL, NT))
        noc = np.zeros(B)
        noc_pj = np.zeros(B)
        usage = np.zeros((B, NL))
        spad_reads = np.zeros((B, NT))
        spad_writes = np.zeros((B, NT))
        dram = NL - 1
        # innermost position (so far, outermost first) of a loop with factor > 1 indexing each tensor
        relmask = tab.rel_matrix[RK] & (F > 1)[:, :, None]  # (B, P, tensors)
        lasts = np.maximum.accumulate(np.where(relmask, pos[None, :, None], np.int16(-1)), axis=1)
        above = np.cumprod(T[:, ::-1, :], axis=1)[:, ::-1, :]  # above[:, l, r] = prod of T[j, r] for j >= l
        nbytes: dict[int, dict[int, np.ndarray]] = {}
        for ti, t in enumerate(p.tensors):
            last = lasts[:, :, ti]
            distinct_above = above[:, :, tab.relevant[ti]].prod(axis=2)  # (B, levels)
            chain = [-1] + [i for i in range(NL) if p.storage[i].holds[ti]]
            tiles = {-1: np.ones(B)}
            for i in chain[1:-1]:
                tiles[i] = self._footprint(ti, ext[:, i, :])
                usage[:, i] += tiles[i] * tab.bytes[ti]
            nbytes[ti] = {i: np.ceil(tiles[i] * t.bits / 8) for i in chain[1:-1] if i >= 1}
            for c, par in zip(chain[:-1], chain[1:]):
                e = (NL - 1 - c) * R
                j = last[:, e - 1]
                V = np.where(j >= 0, cp[rows, np.maximum(j, 0)], 1.0)
                tile = tiles[c]
                per_pe = c <= 0
                inst = pes if per_pe else 1.0
                if per_pe and par >= 1 and c == 0:
                    U = self._footprint(ti, T[:, 0, :] * S)  # the PEs' tiles side by side: one box
                elif per_pe and par >= 1:
                    U = self._spread(ti, S, T[:, 0, :])  # one operand per PE, PEs T0 apart: distinct ones
                else:
                    U = tile * inst
                if self.pipeline.residency is not None and par == dram and c >= 1:
                    self._scheduled(ti, c, V, distinct_above[:, c + 1], tile, reads, writes, fills, drains, spad_reads, spad_writes)
                    continue
                if t.role == "output":
                    refetch = V - distinct_above[:, c + 1]  # visits less distinct tiles (relevant loops above c)
                    writes[:, par, ti] += V * U
                    reads[:, par, ti] += refetch * U
                    moved = (V + refetch) * tile * inst
                    if c >= 0:
                        drains[:, c, ti] += V * tile * inst
                        fills[:, c, ti] += refetch * tile * inst
                else:
                    reads[:, par, ti] += V * U
                    moved = V * tile * inst
                    if c >= 0:
                        fills[:, c, ti] += moved
                if per_pe and par >= 1:
                    noc += moved * t.bits / self.energies["noc.hop"].bits
                    noc_pj += moved * tab.e_noc[ti]
        # validity: coverage, array limits, capacities
        padded = cum[:, -1, :] * S
        valid = (padded >= np.array(p.sizes)).all(axis=1)
        rows_used, cols_used = SR.prod(axis=1), SC.prod(axis=1)
        valid &= (rows_used <= p.rows) & (cols_used <= p.cols)
        valid &= ((SR == 1) | np.array(p.row_allowed)).all(axis=1) & ((SC == 1) | np.array(p.col_allowed)).all(axis=1)
        caps = np.array([st.capacity for st in p.storage[:-1]])
        valid &= (usage[:, :-1] <= caps).all(axis=1)
        # latency
        folds = T[:, 1:, :].prod(axis=(1, 2))
        per_fold = np.ceil(T[:, 0, :].prod(axis=1) * p.ops_per_point / p.ops_per_cycle)
        compute = folds * per_fold if p.ops_per_point else np.zeros(B)
        pipe = self.pipeline
        latencies, edge_bursts = pipe.edges(nbytes, B)  # the first load's and last store's latencies, their bursts
        fill_drain = pipe.fold_overhead(T[:, 0, :], folds) + latencies
        # a tile interleaved over fewer words than its level has banks gets only those banks' bandwidth
        slow = np.ones((B, NL, NT))
        for ti in range(NT):
            for i, nb in nbytes[ti].items():
                if i == pipe.in_place:
                    continue  # a cascade's scratchpad tiles are views of the resident tensor: all banks
                slow[:, i, ti] = pipe.banks[i] / pipe.spans(i, nb)
        rbytes = ((reads + drains) * tab.bytes * slow).sum(axis=2)
        wbytes = ((writes + fills) * tab.bytes * slow).sum(axis=2)
        bw = np.zeros((B, NL))
        for i, st in enumerate(p.storage):
            if st.shared_bandwidth:
                bw[:, i] = (rbytes[:, i] + wbytes[:, i]) / st.read_bandwidth
            elif math.isfinite(st.read_bandwidth) and st.single_port:  # reads and writes take turns on one port
                bw[:, i] = rbytes[:, i] / st.read_bandwidth + wbytes[:, i] / st.write_bandwidth
            elif math.isfinite(st.read_bandwidth):
                bw[:, i] = np.maximum(rbytes[:, i] / st.read_bandwidth, wbytes[:, i] / st.write_bandwidth)
        cycles = np.maximum(compute + edge_bursts, bw.max(axis=1)) + fill_drain
        # energy
        read_pj = ((reads + drains) * tab.e_read).sum(axis=2)
        write_pj = ((writes + fills) * tab.e_write).sum(axis=2)
        spad_pj = (spad_reads * tab.e_spad_read).sum(axis=1) + (spad_writes * tab.e_spad_write).sum(axis=1)
        energy = read_pj.sum(axis=1) + write_pj.sum(axis=1) + noc_pj + spad_pj + self.compute_pj
        util = p.total_ops / (p.peak_ops_per_cycle * np.maximum(cycles, 1e-300))
        return BatchResult(
            valid=valid, cycles=cycles, compute_cycles=compute, fill_drain_cycles=fill_drain, bandwidth_cycles=bw,
            energy_pj=energy, level_read_pj=read_pj, level_write_pj=write_pj, compute_pj=self.compute_pj,
            noc_hops=noc, noc_pj=noc_pj, reads=reads, writes=writes, fills=fills, drains=drains,
            utilization=util, spatial_utilization=pes / (p.rows * p.cols),
            spad_reads=spad_reads, spad_writes=spad_writes, spad_pj=spad_pj,
        )

    def _scheduled(self, ti: int, c: int, V: np.ndarray, distinct: np.ndarray, tile: np.ndarray, reads: np.ndarray,
                   writes: np.ndarray, fills: np.ndarray, drains: np.ndarray, spad_reads: np.ndarray,
                   spad_writes: np.ndarray) -> None:
        """Traffic between level ``c`` (the outermost holding tensor ``ti``) and DRAM under a cascade schedule.

        As ``sim.cycle`` lowers it: each distinct tile of a loaded input comes
        from DRAM once, every other visit from the scratchpad; an output's
        partial sums go back to the scratchpad and only its final tiles, when
        the schedule stores it, reach DRAM.  When ``c`` is the scratchpad
        itself (the outermost on-chip level) its tile is the resident tensor:
        scratchpad-to-scratchpad moves vanish; an inner level keeps its own
        copy, filled from (and drained to) the scratchpad.
        """
        dram, in_place = len(self.problem.storage) - 1, self.pipeline.in_place
        via = distinct if self.pipeline.via_dram[ti] else np.zeros_like(distinct)  # tiles that reach DRAM
        if self.problem.tensors[ti].role == "output":
            refetch = V - distinct
            writes[:, dram, ti] += via * tile
            if c == in_place:
                drains[:, c, ti] += via * tile
            else:
                drains[:, c, ti] += V * tile
                fills[:, c, ti] += refetch * tile
                spad_writes[:, ti] += (V - via) * tile
                spad_reads[:, ti] += refetch * tile
        else:
            reads[:, dram, ti] += via * tile
            if c == in_place:
                fills[:, c, ti] += via * tile
            else:
                fills[:, c, ti] += V * tile
                spad_reads[:, ti] += (V - via) * tile

"""Per-CTA costs from the project's analytical model.

A GPU kernel is a grid of CTAs; each CTA runs one tile of the workload on one
SM.  This module writes the tile as a ``dataflow`` Einsum, gives it a
``mapping.Mapping`` on the SM slice of :class:`~accel.calibrate._gpu.GPUModel`
(the tensor cores split the tile's first output rank four ways, a 64-deep
reduction slab is staged in shared memory, the rest of the reduction streams
from beyond the SM), and scores it with :func:`sim.analytical.evaluate`.  From
the :class:`sim.Report` it keeps the compute cycles at peak, the model's
fill/drain cycles and the bytes the CTA streams from L2/HBM (its accesses at
``dram``, the level beyond the SM).  Results are cached per tile shape.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from dataflow import Einsum, parse_cascade
from mapping import Mapping
from sim import Report
from sim.analytical import evaluate

from ._gpu import GPUModel

__all__ = ["CtaCost", "gemm_tile", "attention_block", "vector_rows", "tile_mapping"]

_SLAB_RF = 16  # reduction elements per tensor-core step held in registers
_SLAB_SMEM = 4  # register steps per shared-memory slab (a 64-deep slab)
_VECTOR_SMEM = 64  # elements per vector lane staged in shared memory at a time


@dataclass(frozen=True)
class CtaCost:
    """What one CTA costs on one SM, at peak rates.

    Parameters
    ----------
    compute_cycles : float
        Tensor-core (or vector-unit) cycles at peak.
    fill_cycles : float
        Start-up and drain cycles of the memory hierarchy and pipeline.
    stream_bytes : float
        Bytes the CTA reads and writes beyond the SM (L2 and HBM).
    macs : int
        Multiply-accumulates (padding included).
    reports : tuple of sim.Report
        The analytical model's reports the numbers come from.
    """

    compute_cycles: float
    fill_cycles: float
    stream_bytes: float
    macs: int
    reports: tuple[Report, ...]

    @property
    def mappings(self) -> tuple[Mapping, ...]:
        """The mappings of the Einsums the CTA runs."""
        return tuple(m for r in self.reports for m in r.mappings)


def tile_mapping(einsum: Einsum, shapes: dict[str, int], sm_lanes: int, vector: bool) -> Mapping:
    """The mapping of one CTA's Einsum on an SM slice (levels rf, shared_memory, l2, dram).

    Tensor cores: the first output rank is split over the 4 tensor cores
    (columns), output ranks stay whole in registers, the reduction rank steps
    16 at a time in registers, 64 per shared-memory slab, and the slabs stream
    from beyond the SM.  Vector unit: the largest rank is spread over the
    lanes, up to 64 of its iterations per lane run from shared memory and
    the rest stream from beyond the SM.
    """
    space = einsum.iteration_space(shapes)
    ranks = tuple(space)
    n = len(ranks)
    levels = ("rf", "shared_memory", "l2", "dram")
    rf, smem, l2, dram = [1] * n, [1] * n, [1] * n, [1] * n
    rows, cols = [1] * n, [1] * n
    if vector:
        big = max(range(n), key=lambda i: space[ranks[i]])
        rows[big] = min(sm_lanes, space[ranks[big]])
        smem[big] = min(_VECTOR_SMEM, math.ceil(space[ranks[big]] / rows[big]))
        dram[big] = math.ceil(space[ranks[big]] / (rows[big] * smem[big]))
        for i in range(n):
            if i != big:
                dram[i] = space[ranks[i]]
    else:
        outs = einsum.output_ranks
        first = next(i for i, r in enumerate(ranks) if r in outs)
        cols[first] = min(sm_lanes, space[ranks[first]])
        for i, r in enumerate(ranks):
            size = space[r]
            if r in outs:
                rf[i] = math.ceil(size / cols[i])
            else:
                rf[i] = min(_SLAB_RF, size)
                smem[i] = min(_SLAB_SMEM, math.ceil(size / rf[i]))
                dram[i] = math.ceil(size / (rf[i] * smem[i]))
    temporal = (tuple(rf), tuple(smem), tuple(l2), tuple(dram))
    return Mapping(einsum.name, ranks, levels, temporal, (ranks,) * 4, tuple(rows), tuple(cols), "vector" if vector else "pe_array")


def _dram_bytes(report: Report, bits: dict[str, int], only: tuple[str, ...] | None = None) -> float:
    total = 0.0
    for a in report.accesses:
        if a.level == "dram" and (only is None or a.tensor in only):
            total += a.total * bits[a.tensor] / 8
    return total


def _bits(gpu: GPUModel, precision: str, einsum: Einsum) -> dict[str, int]:
    arch = gpu.sm_arch(precision)
    out = {a.tensor: arch.operand_bits for a in einsum.inputs}
    out[einsum.output.tensor] = arch.accumulator_bits
    return out


@functools.lru_cache(maxsize=4096)
def gemm_tile(gpu: GPUModel, precision: str, tm: int, tn: int, k: int) -> CtaCost:
    """A ``tm x tn`` output tile reducing over ``k``: ``Z[m,n] = A[m,k] * B[k,n]``."""
    cascade = parse_cascade(["Z[m,n] = A[m,k] * B[k,n]"], {"m": tm, "n": tn, "k": k}, name="cta_gemm")
    einsum = cascade.einsums[0]
    arch = gpu.sm_arch(precision)
    mapping = tile_mapping(einsum, dict(cascade.shapes), arch.pe_array.cols, vector=False)
    report = evaluate(einsum, cascade.shapes, arch, mapping)
    return CtaCost(
        report.cycles("compute"), report.cycles("fill_drain"), _dram_bytes(report, _bits(gpu, precision, einsum)),
        math.prod(mapping.padded_sizes), (report,),
    )


@functools.lru_cache(maxsize=256)
def attention_block(gpu: GPUModel, tq: int, tkv: int, d: int, vector_ops: int) -> CtaCost:
    """One key/value block of a flash-attention CTA: ``S = Q K`` and ``O += S V`` on the tensor cores.

    ``vector_ops`` element-wise operations of the block (running max,
    exponentials, sums, rescaling) run on the SM's vector lanes between the
    block's two matrix products: the soft-max of ``S`` needs all of ``S``, and
    ``P V`` needs all of ``P``, so within the CTA the three run one after
    another and the block takes their sum (which is why a 64-wide head, with
    half the tensor work and the same soft-max, takes more than half the time
    of a 128-wide one).  Only the K and V blocks stream from beyond the SM (Q
    and O stay on chip for the CTA).
    """
    cascade = parse_cascade(
        ["S[m,p] = Q[e,p] * K[e,m]", "O[f,p] = S[m,p] * V[f,m]"], {"m": tkv, "p": tq, "e": d, "f": d}, name="cta_attention"
    )
    arch = gpu.sm_arch("bf16")
    reports = []
    streamed = 0.0
    for einsum, streams in zip(cascade.einsums, ("K", "V")):
        mapping = tile_mapping(einsum, dict(cascade.shapes), arch.pe_array.cols, vector=False)
        report = evaluate(einsum, cascade.shapes, arch, mapping)
        reports.append(report)
        streamed += _dram_bytes(report, _bits(gpu, "bf16", einsum), only=(streams,))
    tensor = sum(r.cycles("compute") for r in reports)
    vector = vector_ops / arch.vector_unit.ops_per_cycle_total
    return CtaCost(
        tensor + vector, max(r.cycles("fill_drain") for r in reports), streamed,
        sum(r.macs for r in reports), tuple(reports),
    )


@functools.lru_cache(maxsize=256)
def vector_rows(gpu: GPUModel, lines: tuple[str, ...], cols: int, passes: int, element_bytes: int) -> CtaCost:
    """One row of ``cols`` elements through an element-wise cascade on the SM's vector lanes.

    Every Einsum of the cascade is scored on the vector unit; the row is read
    from beyond the SM once per pass over it (``passes``, from
    :func:`dataflow.count_passes`) and written once, at ``element_bytes`` per
    element.
    """
    cascade = parse_cascade(list(lines), {"m": cols, "p": 1}, name="cta_rows")
    arch = gpu.sm_arch("bf16")
    reports = []
    for einsum in cascade.einsums:
        mapping = tile_mapping(einsum, dict(cascade.shapes), arch.vector_unit.lanes, vector=True)
        reports.append(evaluate(einsum, cascade.shapes, arch, mapping))
    compute = sum(r.cycles("compute") for r in reports)
    fill = max(r.cycles("fill_drain") for r in reports)
    return CtaCost(compute, fill, float((passes + 1) * cols * element_bytes), 0, tuple(reports))

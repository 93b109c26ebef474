"""Closed-form kernel time: CTAs in waves over the SMs, an HBM roofline, launch overhead.

Per CTA, at its SM's full rate: ``max(compute / fraction, streamed bytes / SM bandwidth,
round trips x (DRAM latency + bytes in flight / achievable HBM bandwidth))`` plus its
fill.  Compute is the tensor (or, for the row-wise kernels, instruction-issue) cycles at
peak over the family's achievable fraction; a row-wise kernel's issue rate also falls in
proportion when fewer than ``issue_warps`` warps are resident.  The round trips are those
of a row-wise kernel's blocks, each load waiting for the last (Little's law: a trip also
queues behind every byte the chip has in flight).  The fill is the analytical model's
memory latency, plus ``attention_cta_us`` for attention CTAs (load the query block, write
the output block and its statistics).  GEMM kernels are persistent (:func:`persistent`):
their fill, the memory latency plus ``cta_fill_us`` (operand pipeline prologue and output
epilogue), is paid once per kernel, with the launch, instead of once per tile.

An SM may hold several CTAs of a kernel at once (``Kernel.resident``): ``k`` of them
(fewer when the grid is small, :func:`sharing`) share its rate, so each holds its place
for ``max(k t, t + lone trips x DRAM latency)`` (:func:`slot_seconds`: a FlashAttention-2
CTA alone on its SM waits out the load of each key block).  Over the grid of ``N`` CTAs
on ``P`` places (SMs times the CTAs one holds), with per-CTA times ``t_i``::

    makespan = max(max t,  mean t * ceil(N / P),  sum t / P + max t - mean t)

The second term is wave quantization (exact when all CTAs are equal); the
third is the tail of dynamic dispatch in launch order when CTAs differ (a
heavy CTA dispatched last ends up to ``max - mean`` after the average SM).
The kernel takes ``launch_us + fill + max(makespan, HBM bytes / (peak HBM
bandwidth x efficiency))`` (:func:`hbm_efficiency`: GEMM operands or contiguous
streams); a plan's kernels run one after another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._gpu import GPUModel
from ._knobs import Knobs
from ._plan import CtaClass, Kernel, KernelPlan

__all__ = ["KernelTime", "cta_seconds", "kernel_time", "plan_time", "combine_times", "sharing", "slot_seconds",
           "memory_round_trip"]


@dataclass(frozen=True)
class KernelTime:
    """Time of a kernel (or plan) split by cause; the parts sum to ``seconds``.

    Parameters
    ----------
    seconds : float
    compute : float
        Seconds of tensor/vector work on the critical path.
    bandwidth_stall : float
        Seconds waiting on L2/HBM bandwidth.
    fill_drain : float
        Launch overhead and CTA fill/drain on the critical path.
    """

    seconds: float
    compute: float
    bandwidth_stall: float
    fill_drain: float


def persistent(family: str | None) -> bool:
    """Whether a kernel family runs persistent CTAs (cuBLAS's Hopper GEMMs: one CTA per SM loops over
    output tiles, loading the next tile's operands while it stores the last one's result), so that the
    fill of the operand pipeline and the epilogue are paid once per kernel rather than once per tile."""
    return family is not None and family.startswith("gemm_")


def cta_seconds(c: CtaClass, gpu: GPUModel, knobs: Knobs, family: str | None) -> tuple[float, float, float]:
    """``(compute, stream, fill)`` seconds of one CTA; it takes ``max(compute, stream) + fill``.

    For a :func:`persistent` family the fill is the kernel's, paid once (see :func:`kernel_fill`), and
    is 0 here."""
    fraction = 1.0 if family is None else knobs.of(family)
    compute = c.compute_cycles / gpu.clock_hz / fraction
    if c.warps:
        compute /= min(1.0, c.warps / knobs.issue_warps)  # too few warps to hide the instruction latencies
    trip = memory_round_trip(gpu) + c.in_flight / (gpu.hbm_bytes_per_second * knobs.hbm_efficiency)
    stream = max(c.stream_bytes / (knobs.sm_bandwidth_gbs * 1e9), c.round_trips * trip)
    fill = c.fill_cycles / gpu.clock_hz
    if family is not None and family.startswith("attention_"):
        fill += knobs.attention_cta_us * 1e-6  # load the query block, write the output block and statistics
    if persistent(family):
        fill = 0.0
    return compute, stream, fill


def hbm_efficiency(kernel: Kernel, knobs: Knobs) -> float:
    """The achievable fraction of peak HBM bandwidth for a kernel: GEMM operands stream as TMA tiles (rows of
    128 bytes strided across the matrix), other kernels as long contiguous runs."""
    return knobs.gemm_hbm_efficiency if persistent(kernel.family) else knobs.hbm_efficiency


def kernel_fill(kernel: Kernel, gpu: GPUModel, knobs: Knobs) -> float:
    """Seconds of fill a :func:`persistent` kernel pays once (its longest CTA class's); 0 for others."""
    if not persistent(kernel.family):
        return 0.0
    return max(c.fill_cycles for c in kernel.classes) / gpu.clock_hz + knobs.cta_fill_us * 1e-6


def split_causes(body: float, parts: tuple[float, float, float], launch: float, hbm: float) -> KernelTime:
    """Share a kernel's critical path ``body`` among causes in proportion to the CTAs' ``parts`` totals."""
    compute, stream, fill = parts
    busy = max(compute, stream) + fill
    if body <= 0 or busy <= 0:
        return KernelTime(launch + max(body, hbm), 0.0, max(body, hbm), launch)
    c = body * compute / busy
    f = body * fill / busy
    stall = max(0.0, body - c - f) + max(0.0, hbm - body)
    return KernelTime(launch + max(body, hbm), c, stall, launch + f)


def sharing(kernel: Kernel, gpu: GPUModel) -> int:
    """CTAs that share each SM: as many as it holds (``kernel.resident``), fewer when the grid is smaller."""
    return max(1, min(kernel.resident, math.ceil(kernel.ctas / gpu.sms)))


def slot_seconds(c: CtaClass, gpu: GPUModel, knobs: Knobs, family: str | None, shared: int) -> float:
    """Time one CTA holds its place on an SM that ``shared`` CTAs share: ``shared`` times its own time at the
    SM's full rate, or its own time plus the round trips a CTA alone on its SM waits out, whichever is longer."""
    c_, s_, f_ = cta_seconds(c, gpu, knobs, family)
    t = max(c_, s_) + f_
    return max(shared * t, t + c.lone_trips * memory_round_trip(gpu))


def memory_round_trip(gpu: GPUModel) -> float:
    """Seconds of one load round trip to HBM on an idle memory system: the spec's DRAM latency."""
    return gpu.arch.dram.latency / gpu.clock_hz


def kernel_time(kernel: Kernel, gpu: GPUModel, knobs: Knobs) -> KernelTime:
    """Closed-form time of one kernel (see the module docstring)."""
    n = kernel.ctas
    shared = sharing(kernel, gpu)
    p = gpu.sms * kernel.resident
    total = comp = strm = fil = 0.0
    longest = 0.0
    for cls, count in kernel.counts():
        c, s, f = cta_seconds(cls, gpu, knobs, kernel.family)
        t = slot_seconds(cls, gpu, knobs, kernel.family, shared)
        total += count * t
        comp, strm, fil = comp + count * c, strm + count * s, fil + count * f
        longest = max(longest, t)
    mean = total / n
    makespan = max(longest, mean * math.ceil(n / p), total / p + longest - mean)
    hbm = kernel.hbm_bytes / (gpu.hbm_bytes_per_second * hbm_efficiency(kernel, knobs))
    return split_causes(makespan, (comp, strm, fil), knobs.launch_us * 1e-6 + kernel_fill(kernel, gpu, knobs), hbm)


def combine_times(times: list[KernelTime]) -> KernelTime:
    """Kernels run back to back: their times add."""
    return KernelTime(*(sum(getattr(t, f) for t in times) for f in ("seconds", "compute", "bandwidth_stall", "fill_drain")))


def plan_time(plan: KernelPlan, gpu: GPUModel, knobs: Knobs) -> KernelTime:
    """Closed-form time of a plan's kernels run one after another."""
    return combine_times([kernel_time(k, gpu, knobs) for k in plan.kernels])

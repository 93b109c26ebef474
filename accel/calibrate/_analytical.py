"""Closed-form kernel time: CTAs in waves over the SMs, an HBM roofline, launch overhead.

Per CTA (on one SM): ``max(compute / fraction, streamed bytes / SM bandwidth)``
plus its fill: the analytical model's memory latency, plus ``cta_fill_us``
for tensor-core CTAs (their prologue stages operand slabs through shared
memory and their epilogue writes the output tile; streaming CTAs have neither).
Over the grid of ``N`` CTAs on ``P`` SMs, with per-CTA times ``t_i``::

    makespan = max(max t,  mean t * ceil(N / P),  sum t / P + max t - mean t)

The second term is wave quantization (exact when all CTAs are equal); the
third is the tail of dynamic dispatch in launch order when CTAs differ (a
heavy CTA dispatched last ends up to ``max - mean`` after the average SM).
The kernel takes ``launch_us + max(makespan, HBM bytes / (peak HBM bandwidth
x hbm_efficiency))``; a plan's kernels run one after another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._gpu import GPUModel
from ._knobs import Knobs
from ._plan import CtaClass, Kernel, KernelPlan

__all__ = ["KernelTime", "cta_seconds", "kernel_time", "plan_time", "combine_times"]


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


def cta_seconds(c: CtaClass, gpu: GPUModel, knobs: Knobs, family: str | None) -> tuple[float, float, float]:
    """``(compute, stream, fill)`` seconds of one CTA; it takes ``max(compute, stream) + fill``."""
    fraction = 1.0 if family is None else knobs.of(family)
    compute = c.compute_cycles / gpu.clock_hz / fraction
    stream = c.stream_bytes / (knobs.sm_bandwidth_gbs * 1e9)
    fill = c.fill_cycles / gpu.clock_hz + (0.0 if family is None else knobs.cta_fill_us * 1e-6)
    return compute, stream, fill


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


def kernel_time(kernel: Kernel, gpu: GPUModel, knobs: Knobs) -> KernelTime:
    """Closed-form time of one kernel (see the module docstring)."""
    n = kernel.ctas
    p = gpu.sms
    total = comp = strm = fil = 0.0
    longest = 0.0
    for cls, count in kernel.counts():
        c, s, f = cta_seconds(cls, gpu, knobs, kernel.family)
        t = max(c, s) + f
        total += count * t
        comp, strm, fil = comp + count * c, strm + count * s, fil + count * f
        longest = max(longest, t)
    mean = total / n
    makespan = max(longest, mean * math.ceil(n / p), total / p + longest - mean)
    hbm = kernel.hbm_bytes / (gpu.hbm_bytes_per_second * knobs.hbm_efficiency)
    return split_causes(makespan, (comp, strm, fil), knobs.launch_us * 1e-6, hbm)


def combine_times(times: list[KernelTime]) -> KernelTime:
    """Kernels run back to back: their times add."""
    return KernelTime(*(sum(getattr(t, f) for t in times) for f in ("seconds", "compute", "bandwidth_stall", "fill_drain")))


def plan_time(plan: KernelPlan, gpu: GPUModel, knobs: Knobs) -> KernelTime:
    """Closed-form time of a plan's kernels run one after another."""
    return combine_times([kernel_time(k, gpu, knobs) for k in plan.kernels])

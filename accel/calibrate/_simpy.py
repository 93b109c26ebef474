"""Event-driven kernel time (SimPy): SMs pull CTAs from the grid in launch order.

Each kernel is a SimPy process: a launch delay, then one process per CTA slot
(SMs times the CTAs one SM holds) that repeatedly takes the next CTA of the grid
(in launch order) and holds the slot for the CTA's time
(:func:`~accel.calibrate._analytical.slot_seconds`: the longer of compute and
streaming, plus fill, times the CTAs sharing the SM), while an HBM process holds the
kernel open for its compulsory traffic at the achievable bandwidth.  The
kernel ends when every SM is idle and the traffic is done; a plan's kernels
run one after another.  Unlike the closed form, dispatch is simulated CTA by
CTA, so the tail of irregular grids (causal attention) comes out of the
schedule rather than a bound.  Same-time events resolve in SimPy's fixed
``(time, priority, id)`` order, so runs are deterministic.
"""

from __future__ import annotations

import simpy

from ._analytical import KernelTime, combine_times, cta_seconds, hbm_efficiency, kernel_fill, sharing, slot_seconds, split_causes
from ._gpu import GPUModel
from ._knobs import Knobs
from ._plan import Kernel, KernelPlan

__all__ = ["simulate_kernel", "simulate_plan"]


def simulate_kernel(kernel: Kernel, gpu: GPUModel, knobs: Knobs) -> KernelTime:
    """Simulated time of one kernel (see the module docstring)."""
    env = simpy.Environment()
    costs = [cta_seconds(c, gpu, knobs, kernel.family) for c in kernel.classes]
    shared = sharing(kernel, gpu)
    durations = [slot_seconds(c, gpu, knobs, kernel.family, shared) for c in kernel.classes]
    order = iter(kernel.pattern * kernel.repeats)
    parts = [0.0, 0.0, 0.0]
    launch = knobs.launch_us * 1e-6 + kernel_fill(kernel, gpu, knobs)
    hbm = kernel.hbm_bytes / (gpu.hbm_bytes_per_second * hbm_efficiency(kernel, knobs))
    state: dict[str, float] = {}

    def sm(env: simpy.Environment):
        for index in order:
            for j in range(3):
                parts[j] += costs[index][j]
            yield env.timeout(durations[index])

    def run(env: simpy.Environment):
        yield env.timeout(launch)
        start = env.now
        traffic = env.timeout(hbm)
        workers = [env.process(sm(env)) for _ in range(min(gpu.sms * kernel.resident, kernel.ctas))]
        yield env.all_of(workers)
        state["body"] = env.now - start
        yield traffic

    env.process(run(env))
    env.run()
    return split_causes(state["body"], (parts[0], parts[1], parts[2]), launch, hbm)


def simulate_plan(plan: KernelPlan, gpu: GPUModel, knobs: Knobs) -> KernelTime:
    """Simulated time of a plan's kernels run one after another."""
    return combine_times([simulate_kernel(k, gpu, knobs) for k in plan.kernels])

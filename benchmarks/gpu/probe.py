"""Probe the kernels behind the measured rows on an NVIDIA GPU (run on the device machine).

For every row ``measure.py`` plans, the kernels one call launches as the CUDA profiler
(``torch.profiler``, CUPTI) records them: name, grid, block, registers per thread, shared
memory, and the kernel's own duration on the GPU (the lowest of three calls, each after
a 256 MB write that flushes the L2, as ``do_bench`` does).  The launch configuration
says how many blocks of a kernel share an SM; the kernel's own duration against the
row's event-timed median says how much of a short row is launch overhead.  Then three
device probes, each timed like a row (``triton.testing.do_bench``, median, three runs):
an empty kernel (``torch.cuda._sleep(0)``), the same kernel spinning 2,000,000 clock
cycles (the two give the SM clock under load and the launch overhead of a kernel that
does nothing), and a one-element add.  It also times FlashAttention-2 at 512 tokens with
16 and 64 heads (64 and 256 CTAs, against the 128 of the 32-head row).

With ``--once ROWS.json`` it only runs each listed row's call once (after one warm-up call),
for a hardware profiler to read its counters::

    ncu --clock-control none --kernel-name regex:softmax ... python3 benchmarks/gpu/probe.py --once ROWS.json

Usage::

    python3 benchmarks/gpu/probe.py --out probe.json

Needs PyTorch with CUDA and Triton; it is not imported by the package.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import SEED, make_call, planned_rows  # noqa: E402

_FIELDS = ("grid", "block", "registers per thread", "shared memory", "blocks per SM", "warps per SM",
           "est. achieved occupancy %")
SPIN_CYCLES = 2_000_000
FLASH_PROBES = [{"kind": "attention_bf16", "backend": "flash", "b": 1, "h": h, "s": 512, "d": 128, "causal": c}
                for h in (16, 64) for c in (False, True)]


def _is_flush(e: dict) -> bool:
    """The 256 MB write between profiled calls: a memset of that size or a fill kernel over a large grid."""
    a = e.get("args", {})
    if e.get("cat") == "gpu_memset":
        return a.get("bytes", 0) >= 2**28
    grid = a.get("grid", [0])
    return e.get("cat") == "kernel" and "FillFunctor" in e.get("name", "") and grid[0] * grid[1] * grid[2] >= 4096


def lowest_per_kernel(events: list[dict]) -> list[dict]:
    """Group a chrome trace's GPU events into calls (each opened by the L2 flush) and keep, per kernel of the
    first call, its launch configuration and the lowest duration over the calls (``us``)."""
    gpu = sorted((e for e in events if e.get("cat") in ("kernel", "gpu_memcpy", "gpu_memset")), key=lambda e: e.get("ts", 0))
    calls: list[list[dict]] = []
    for e in gpu:
        a = e.get("args", {})
        if _is_flush(e):
            calls.append([])
        elif calls:
            calls[-1].append({"name": e.get("name", ""), "cat": e["cat"], "us": float(e.get("dur", 0.0)),
                              **{k: a[k] for k in _FIELDS if k in a}})
    calls = [c for c in calls if c]
    if not calls:
        return []
    best = []
    for i, k in enumerate(calls[0]):
        durations = [c[i]["us"] for c in calls if len(c) > i and c[i]["name"] == k["name"]]
        best.append(dict(k, us=min(durations), calls=len(durations)))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out")
    ap.add_argument("--once", metavar="ROWS", help="a JSON list of rows: run each call once, for a profiler (no output file)")
    ap.add_argument("--calls", type=int, default=3, help="profiled calls per row (the lowest duration is kept)")
    args = ap.parse_args()

    import torch
    import triton
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.profiler import ProfilerActivity, profile
    from triton.testing import do_bench

    torch.backends.cuda.matmul.allow_tf32 = False
    gen = torch.Generator(device="cuda").manual_seed(SEED)
    prop = torch.cuda.get_device_properties(0)
    backends = {"flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION}
    flush = torch.empty(256 * 2**20, dtype=torch.int8, device="cuda")
    if args.once:
        with open(args.once) as fh:
            for r in json.load(fh):
                backend = sdpa_kernel(backends[r["backend"]]) if r["kind"] == "attention_bf16" else contextlib.nullcontext()
                with backend:
                    fn = make_call(r, gen)
                    torch.cuda.synchronize()
                    flush.zero_()
                    torch.cuda.nvtx.range_push(json.dumps(r, sort_keys=True))
                    fn()
                    torch.cuda.nvtx.range_pop()
                    torch.cuda.synchronize()
                    fn = None
                torch.cuda.empty_cache()
        return
    if not args.out:
        ap.error("--out is required (or --once)")

    def bench(fn) -> list[float]:
        return [float(do_bench(fn, warmup=25, rep=100, return_mode="median")) for _ in range(3)]

    def kernels(fn) -> list[dict]:
        """Per kernel of one call (in launch order): its launch configuration and lowest duration."""
        fn()
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(args.calls):
                flush.zero_()
                fn()
            torch.cuda.synchronize()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "trace.json")
            prof.export_chrome_trace(path)
            with open(path) as fh:
                trace = json.load(fh)
        events = trace.get("traceEvents", [])
        found = lowest_per_kernel(events)
        if not found:  # no flush recognised: keep the GPU events as they came, for the record
            found = [{"name": e.get("name", ""), "cat": e.get("cat"), "us": float(e.get("dur", 0.0)), "ungrouped": True,
                      **{k: e.get("args", {})[k] for k in _FIELDS if k in e.get("args", {})}}
                     for e in events if e.get("cat") in ("kernel", "gpu_memcpy", "gpu_memset")][:12]
        return found

    doc = {"device": prop.name, "sms": prop.multi_processor_count, "l2_bytes": getattr(prop, "L2_cache_size", None),
           "torch": torch.__version__, "triton": triton.__version__, "seed": SEED,
           "note": __doc__.split("\n\n")[1].replace("\n", " "), "probes": {}, "rows": []}
    start = time.time()

    empty = bench(lambda: torch.cuda._sleep(0))
    spin = bench(lambda: torch.cuda._sleep(SPIN_CYCLES))
    one = torch.zeros(1, device="cuda", dtype=torch.bfloat16)
    add = bench(lambda: one.add_(1))
    doc["probes"] = {
        "empty_kernel_ms": empty, "spin_kernel_ms": spin, "spin_cycles": SPIN_CYCLES,
        "sm_clock_mhz": SPIN_CYCLES / ((min(spin) - min(empty)) * 1e-3) / 1e6,
        "one_element_add_ms": add,
        "empty_kernel": kernels(lambda: torch.cuda._sleep(0)),
        "one_element_add": kernels(lambda: one.add_(1)),
    }
    print(f"{time.time() - start:6.1f}s probes {json.dumps({k: v for k, v in doc['probes'].items() if k.endswith(('ms', 'mhz'))})}",
          flush=True)

    plan = planned_rows()
    rows = [r for s in ("gemm", "attention", "rows", "copy") for r in plan[s]] + FLASH_PROBES
    for r in rows:
        backend = sdpa_kernel(backends[r["backend"]]) if r["kind"] == "attention_bf16" else contextlib.nullcontext()
        fn = None
        try:
            with backend:
                fn = make_call(r, gen)
                entry = {**r, "kernels": kernels(fn)}
                if r in FLASH_PROBES:
                    entry["ms"] = min(bench(fn))
        except (RuntimeError, torch.cuda.OutOfMemoryError) as exc:  # noqa: PERF203 - a failed shape is reported, not fatal
            print(f"{r} failed: {str(exc).splitlines()[0]}", file=sys.stderr)
            continue
        finally:
            fn = None
            torch.cuda.empty_cache()
        doc["rows"].append(entry)
        summary = "; ".join(f"{k['name'][:60]} {k.get('grid')} {k.get('block')} r{k.get('registers per thread')} "
                            f"s{k.get('shared memory')} {k['us']:.2f}us" for k in entry["kernels"])
        print(f"{time.time() - start:6.1f}s {json.dumps(r)} {summary}", flush=True)
    with open(args.out, "w") as fh:
        json.dump(doc, fh, indent=1)


if __name__ == "__main__":
    main()

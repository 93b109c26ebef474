"""Sweep throughput: design points evaluated per minute with the analytical model, in process and on Dask.

Usage::

    .venv/bin/python -m benchmarks.sweep            # writes the Sweeps section of RESULTS.md
    .venv/bin/python -m benchmarks.sweep --quick    # 12 points per case, no RESULTS.md

A Latin-hypercube sweep of the FuseMax-like architecture (array rows and
columns, global-buffer size, arithmetic unit FP8 / L-Mul / INT8) on 1-pass
attention (M = P = 1024), each point mapped Einsum by Einsum (10 Einsums)
with the seeded random search (2,000 mappings each) or the ILP (HiGHS), then
scored by ``sim.analytical`` with its area from the estimator registry.  Each
case runs into a fresh store: once in this process (``workers=0``) and once
on a 2-worker ``LocalCluster`` (one thread per worker), whose wall time
includes starting the cluster; "steady" leaves out everything before the
first result (cluster start-up and worker imports).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import tempfile
import time
from pathlib import Path

from benchmarks._results import write_section

SECTION = "## Sweeps"
SPEC = """
name: bench
base: fusemax_like
workloads:
  - {{name: attention_1pass, params: {{M: 1024, P: 1024, M0: 64}}}}
axes:
  pe_array.rows: {{range: [8, 128], integer: true}}
  pe_array.cols: {{range: [8, 128], integer: true}}
  levels.global_buffer.capacity: {{range: [262144, 8388608], scale: log, integer: true}}
  unit:
    - {{label: fp8, arith.kind: fp8_mac, arith.input_format: e4m3}}
    - {{label: lmul, arith.kind: lmul, arith.input_format: e4m3, arith.mantissa_bits: 3}}
    - {{label: int8, arith.kind: int8_mac}}
sampling: {{method: lhs, samples: {samples}, seed: 0}}
mapping: {mapping}
"""
MAPPINGS = {
    "search": "{mapper: search, samples: 2000, seed: 0, objective: edp}",
    "ilp": "{mapper: ilp, solver: highs, objective: edp, time_limit: 10}",
}


def run_case(mapper: str, workers: int, samples: int, folder: Path) -> dict:
    """One sweep into a fresh store; wall time, steady-state time and counts."""
    from accel.sweep import parse_spec, run_sweep

    spec = parse_spec(SPEC.format(samples=samples, mapping=MAPPINGS[mapper]), source="benchmark")
    store = folder / f"{mapper}-{workers}.sqlite"
    first: list[float] = []
    start, cpu = time.perf_counter(), time.process_time()
    summary = run_sweep(spec, store, workers=workers, progress=lambda r, d, t: first or first.append(time.perf_counter()))
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    n = summary.evaluated
    steady = wall - (first[0] - start) if first else wall
    counts = dict(summary.counts)
    return {"mapper": mapper, "workers": workers, "points": n, "ok": counts["ok"], "infeasible": counts["infeasible"],
            "wall": wall, "cpu": cpu, "per_min": 60 * n / wall, "steady_per_min": 60 * (n - 1) / steady if n > 1 and steady > 0 else 0.0}


def table(rows: list[dict]) -> str:
    """The Markdown table."""
    lines = ["| mapper | executor | points (ok / infeasible) | wall s | driver CPU s | points / min | steady points / min |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        executor = "in process" if r["workers"] == 0 else f"LocalCluster, {r['workers']} workers"
        lines.append(f"| {r['mapper']} | {executor} | {r['points']} ({r['ok']} / {r['infeasible']}) | {r['wall']:.1f} | {r['cpu']:.1f} | "
                     f"{r['per_min']:,.0f} | {r['steady_per_min']:,.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 points per case; do not write RESULTS.md")
    parser.add_argument("--samples", type=int, default=60, help="LHS samples per case (default 60)")
    args = parser.parse_args()
    samples = 12 if args.quick else args.samples
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mapper in ("search", "ilp"):
            for workers in (0, 2):
                row = run_case(mapper, workers, samples, Path(tmp))
                rows.append(row)
                print(f"{mapper:6} workers={workers}: {row['points']} points in {row['wall']:.1f} s = "
                      f"{row['per_min']:.0f}/min ({row['steady_per_min']:.0f}/min steady)", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    body = (
        "\n"
        f"`python -m benchmarks.sweep`, {datetime.date.today().isoformat()}, {platform.machine()} "
        f"({os.cpu_count()} cores, shared with other jobs; 1-minute load average {load:.1f} at the end), "
        f"Python {platform.python_version()}. A Latin-hypercube sweep ({samples} samples, seed 0) of `fusemax_like` "
        "over array rows and columns (8 to 128), global-buffer size (256 KiB to 8 MiB, log) and the arithmetic "
        "unit (FP8 / L-Mul / INT8) on `attention_1pass` (M = P = 1024, E = F = 64, 10 Einsums). Every point: "
        "derive the architecture, map each Einsum (`search`: seeded random search of 2,000 mappings; `ilp`: the "
        "CoSA-style ILP on HiGHS), score with `sim.analytical`, area from the estimator registry, and commit the "
        "result to the SQLite store. Wall time includes planning and, for the cluster, starting it; "
        "steady = after the first result.\n\n"
        + table(rows)
        + "\n- Driver CPU is this process's CPU time; in process it is the whole evaluation, single-threaded "
        "(CPU ~ wall when the machine is idle).\n"
        "- The cluster pays a few seconds of start-up and worker imports, and its scheduler shares the 2 cores "
        "with the 2 workers; 2 worker processes beat one process only when the cores are not busy with other "
        "jobs (this machine is shared; see the load average). On a machine with more cores, or with "
        "`--scheduler` pointing at a multi-machine cluster, throughput scales with the workers.\n"
    )
    if not args.quick:
        write_section(SECTION, body)


if __name__ == "__main__":
    main()

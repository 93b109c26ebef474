"""accel against SCALE-Sim 3.0.0 on the same layers: compute cycles and speed per layer.

Usage::

    make peers                                    # installs the side venvs, runs every peer comparison
    .venv/bin/python -m benchmarks.peers.vs_scalesim # this one alone (needs build/peers/scalesim)

Each case is one layer on one ``R x C`` systolic array in one of SCALE-Sim's
dataflows (``os``, ``ws``, ``is``).  SCALE-Sim runs it through its ``scalesim``
class (traces off) in its own venv; accel prices the mapping that dataflow
implies with ``sim.analytical.evaluate``: for a GEMM ``(M x K) x (K x N)``,
output stationary puts M on the rows, N on the columns and K in the PEs;
weight stationary K, N and M; input stationary K, M and N; ranks that do not
divide the array are padded, as SCALE-Sim pads partial folds.

Compared figure: SCALE-Sim's "Total Cycles" (compute cycles, counted from 0:
the last cycle's index, so one less than the count) plus one, against accel's
PE-array cycles (``compute + fill_drain`` of the report, without the first
load and last store, which SCALE-Sim reports apart as prefetch).

Assumptions that differ, stated:

* convolutions are given to both tools as SCALE-Sim's own im2col GEMM
  (M = output pixels, K = R*S*C, N = filters; no padding, as SCALE-Sim's
  topology takes the input already padded): SCALE-Sim flattens the output
  pixels into one operand dimension, which a loop nest over separate ``p``,
  ``q`` ranks can only fold the same way when the array divides them;
* SCALE-Sim's memory system (double-buffered SRAMs, DRAM prefetch, the
  interface bandwidth) is not compared: accel's architecture here has ample
  bandwidth so that its report shows the array's timing alone.

Speed: the wall time of one SCALE-Sim layer run (``scalesim(...).run_scale``:
config parsing and simulation, traces off) over accel's for the same layer
(``sim.analytical.cost_model`` + ``report_for``: ``evaluate``'s work, best of 5), measured in the same run;
accel's twice: on an architecture whose energy table (derived once per architecture and kept) is already
there, and on one new to the process, so that the timed call derives it as well.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import platform
import time

from accel import DRAM, Architecture, ArithmeticUnit, MemoryLevel, PEArray, RegisterFile
from benchmarks._results import write_section
from benchmarks.peers._common import run_peer
from dataflow import library
from mapping import Mapping
from sim.analytical import cost_model, report_for

SECTION = "## Peers: SCALE-Sim 3.0.0"
_FRESH = itertools.count()
TARGET_SPEEDUP = 100.0
REPEATS = 5
AMPLE = 1e9
DATAFLOWS = {"os": "output_stationary", "ws": "weight_stationary", "is": "input_stationary"}
#: which GEMM ranks the dataflow puts on the rows, the columns and in the PEs
PLACEMENT = {"os": ("m", "n", "k"), "ws": ("k", "n", "m"), "is": ("k", "m", "n")}

#: (name, kind, sizes, rows, cols): GEMMs and convolutions, square and non-square arrays
LAYERS = [
    ("gemm_8x8x8", "gemm", {"M": 8, "N": 8, "K": 8}, 4, 4),
    ("gemm_64x48x32", "gemm", {"M": 64, "N": 48, "K": 32}, 8, 8),
    ("gemm_100x30x70", "gemm", {"M": 100, "N": 30, "K": 70}, 16, 4),
    ("gemm_50x90x20", "gemm", {"M": 50, "N": 90, "K": 20}, 4, 16),
    ("conv_16x16x8_3x3x16", "conv", {"H": 16, "W": 16, "C": 8, "R": 3, "S": 3, "F": 16, "stride": 1}, 8, 8),
    ("conv_30x30x16_3x3x32", "conv", {"H": 30, "W": 30, "C": 16, "R": 3, "S": 3, "F": 32, "stride": 1}, 32, 32),
    ("conv_23x23x3_7x7x24_s2", "conv", {"H": 23, "W": 23, "C": 3, "R": 7, "S": 7, "F": 24, "stride": 2}, 16, 8),
]


def gemm_sizes(kind: str, sizes: dict) -> tuple[int, int, int]:
    """``(M, N, K)`` of a layer: a GEMM's own, a convolution's im2col GEMM as SCALE-Sim forms it."""
    if kind == "gemm":
        return sizes["M"], sizes["N"], sizes["K"]
    p = (sizes["H"] - sizes["R"]) // sizes["stride"] + 1
    q = (sizes["W"] - sizes["S"]) // sizes["stride"] + 1
    return p * q, sizes["F"], sizes["R"] * sizes["S"] * sizes["C"]


def architecture(rows: int, cols: int, dataflow: str, tag: str = "") -> Architecture:
    """An ``rows x cols`` systolic array (one-cycle hops, one-stage MAC), one ample buffer and DRAM.

    ``tag`` goes into the name only: equal architectures but for it are new to the per-architecture caches.
    """
    holds = {"os": "output", "ws": "weight", "is": "input"}[dataflow]
    return Architecture(
        name=f"scalesim_{rows}x{cols}_{dataflow}{tag}", clock_mhz=1000.0, technology_nm=45.0,
        pe_array=PEArray(rows, cols, network="systolic", hop_latency=1, dataflow=DATAFLOWS[dataflow]),
        register_file=RegisterFile(4 if holds == "output" else 1, 8, (holds,)),
        levels=(MemoryLevel("buf", 1 << 30, 64, AMPLE, AMPLE, ports=2, banks=1, latency=0),),
        dram=DRAM(AMPLE, 0),
        arith=ArithmeticUnit("int8_mac", "int8", "int32"),
    )


def dataflow_mapping(problem, dataflow: str, rows: int, cols: int) -> Mapping:
    """The mapping SCALE-Sim's dataflow implies (padded folds above the array)."""
    on_rows, on_cols, in_pe = PLACEMENT[dataflow]
    ranks = problem.ranks
    size = dict(zip(ranks, problem.sizes))
    r_f, c_f = min(rows, size[on_rows]), min(cols, size[on_cols])
    outer = {on_rows: -(-size[on_rows] // r_f), on_cols: -(-size[on_cols] // c_f)}
    levels = problem.level_names
    temporal = [tuple([size[in_pe] if r == in_pe else 1 for r in ranks]), *[(1,) * len(ranks)] * (len(levels) - 2),
                tuple([outer.get(r, 1) for r in ranks])]
    return Mapping(problem.einsum, ranks, levels, temporal, [ranks] * len(levels),
                   tuple([r_f if r == on_rows else 1 for r in ranks]), tuple([c_f if r == on_cols else 1 for r in ranks]))


def _price(einsum, shapes, arch: Architecture, dataflow: str, rows: int, cols: int):
    """What ``sim.analytical.evaluate`` does for the layer: the model (its Problem built once), then the report."""
    model = cost_model(einsum, shapes, arch)
    return report_for(model, dataflow_mapping(model.problem, dataflow, rows, cols))


def accel_layer(m: int, n: int, k: int, rows: int, cols: int, dataflow: str):
    """accel's report of one layer and the best wall times of building and pricing it: ``(report, seen, new)``.

    ``seen``: the architecture's energy table already derived (it is, once per architecture, for every layer
    after a network's first); ``new``: each timed call on an architecture new to the process, so the call
    derives the table too (as a one-layer ``accel evaluate`` does).
    """
    cascade = library.gemm(M=m, N=n, K=k)
    einsum = cascade.einsums[0]
    seen_arch = architecture(rows, cols, dataflow)
    report = _price(einsum, cascade.shapes, seen_arch, dataflow, rows, cols)  # the table derived once
    seen = new = float("inf")
    for i in range(REPEATS):
        t0 = time.perf_counter()
        report = _price(einsum, cascade.shapes, seen_arch, dataflow, rows, cols)
        seen = min(seen, time.perf_counter() - t0)
        fresh = architecture(rows, cols, dataflow, tag=f"_new{next(_FRESH)}")
        t0 = time.perf_counter()
        _price(einsum, cascade.shapes, fresh, dataflow, rows, cols)
        new = min(new, time.perf_counter() - t0)
    return report, seen, new


def cases() -> list[dict]:
    """Every layer in every dataflow, as the SCALE-Sim runner takes them."""
    out = []
    for name, kind, sizes, rows, cols in LAYERS:
        for df in DATAFLOWS:
            out.append({"name": f"{name}_{df}", "layer": name, "kind": kind, "dataflow": df, "rows": rows,
                        "cols": cols, "sram_kb": 1024, "bandwidth": 64, **sizes})
    return out


def measure() -> list[dict]:
    """One row per case: both tools' cycles and times, measured in this run."""
    todo = cases()
    peer = run_peer("scalesim", "_scalesim_runner.py", todo)
    rows = []
    for case, theirs in zip(todo, peer):
        m, n, k = gemm_sizes(case["kind"], case)
        report, seconds, new_arch = accel_layer(m, n, k, case["rows"], case["cols"], case["dataflow"])
        ours = int(report.cycles("compute") + report.cycles("fill_drain"))
        rows.append({"case": case["name"], "layer": case["layer"], "dataflow": case["dataflow"],
                     "array": f"{case['rows']}x{case['cols']}", "mnk": (m, n, k),
                     "scalesim_cycles": theirs["total_cycles"] + 1, "accel_cycles": ours,
                     "scalesim_s": theirs["seconds"], "accel_s": seconds, "accel_new_s": new_arch,
                     "speedup": theirs["seconds"] / seconds, "speedup_new": theirs["seconds"] / new_arch})
    return rows


def render(rows: list[dict], load: tuple[float, float, float] | None = None) -> str:
    """The RESULTS.md section (``load``: the machine's load averages when the run started)."""
    equal = sum(r["scalesim_cycles"] == r["accel_cycles"] for r in rows)
    slowest = min(r["speedup"] for r in rows)
    slowest_new = min(r["speedup_new"] for r in rows)
    busy = (f"; load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) on {os.cpu_count()} CPUs "
            "at the start" if load else "")
    lines = [
        f"_{datetime.date.today().isoformat()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}; `make peers` (benchmarks/peers/vs_scalesim.py); SCALE-Sim 3.0.0 from PyPI in "
        f"build/peers/scalesim (numpy < 2){busy}._",
        "",
        f"Compute cycles equal on {equal}/{len(rows)} cases (SCALE-Sim's Total Cycles + 1, as it counts from 0, "
        "against accel's compute + fill_drain). Speed: accel's `sim.analytical.cost_model` + `report_for` (what "
        f"`evaluate` does: the Problem, the model, the mapping's check and its report) per layer, best of {REPEATS} "
        "wall times, against one SCALE-Sim layer run (config parsing and simulation, traces off), same run: at "
        f"least {slowest:,.0f}x (target {TARGET_SPEEDUP:.0f}x) on an architecture whose energy table is already "
        "derived (once per architecture, as for every layer of a network after the first), at least "
        f"{slowest_new:,.0f}x when each timed call also derives it (an architecture new to the process, as a "
        "one-layer `accel evaluate`). No other cache: every call builds its Problem, model and report anew (the Einsum "
        "object, reused across the calls, keeps only facts of its own text: its accesses, ranks and indexing ranks).",
        "",
        "Differences in assumptions: convolutions go to both tools as SCALE-Sim's im2col GEMM (M = output pixels, "
        "K = R*S*C, N = filters; input given padded); SCALE-Sim's SRAM/DRAM model (double buffering, prefetch, "
        "interface bandwidth) is left out: accel runs with ample bandwidth, so only the array's fold timing is "
        "compared. Output stationary is charged R + C + T - 2 per fold (the outputs shift out under the next fold's "
        "skew), as SCALE-Sim 3's code counts it.",
        "",
        "| layer | dataflow | array | M, N, K | SCALE-Sim cycles | accel cycles | SCALE-Sim s | accel s | speedup "
        "| accel s, new architecture | speedup |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['layer']} | {r['dataflow']} | {r['array']} | {', '.join(map(str, r['mnk']))} | "
                     f"{r['scalesim_cycles']:,} | {r['accel_cycles']:,} | {r['scalesim_s']:.4f} | "
                     f"{r['accel_s'] * 1e3:.3f} ms | {r['speedup']:,.0f}x | {r['accel_new_s'] * 1e3:.3f} ms | "
                     f"{r['speedup_new']:,.0f}x |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    rows = measure()
    text = render(rows, load)
    print(text)
    if not args.no_write:
        write_section(SECTION, "\n" + text)
    bad = [r["case"] for r in rows if r["scalesim_cycles"] != r["accel_cycles"]]
    slow = [r["case"] for r in rows if r["speedup"] < TARGET_SPEEDUP]
    if bad or slow:
        print(f"cycles differ: {bad}; below {TARGET_SPEEDUP:.0f}x: {slow}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""RTL benchmark: pipelined MACs and generated arrays on ECP5, and generated accelerators against sim.cycle.

``python -m benchmarks rtl`` (part of ``make bench``) writes four sections of
``benchmarks/RESULTS.md``:

* **RTL: pipelined MACs** -- every MAC at every pipeline depth on an
  LFE5U-85F (synth_ecp5 + nextpnr-ecp5, seed 1, behind the scan harness):
  LUTs, FFs, DSPs, Fmax; and each depth checked on all 65,536 operand pairs
  in cocotb (Icarus).
* **RTL: arrays on ECP5** -- the PE arrays of a 16 x 16 INT8 and an 8 x 8 FP8
  output-stationary architecture (``edge`` with changes), multipliers past
  the part's DSP blocks in LUTs: resources and Fmax, or what a design that
  does not fit needs.
* **RTL: area of PE arrays** -- the ``area: rtl`` model of a PE array (rows
  x cols of one synthesized PE) against Yosys on the whole array.
* **RTL: cycles against sim.cycle** -- GEMMs and a convolution mapped by the
  mapper (as ``accel map``) onto generated arrays, run in cocotb: outputs
  against the ``dataflow`` executor, the hardware's cycle count against
  ``sim.cycle``'s PE-array cycles for the same mapping.

Each figure is measured by this run; nothing is copied in.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from benchmarks._results import write_section

_ARCH = {
    "name": "rtl_bench",
    "description": "INT8 output-stationary array for the RTL benchmark",
    "clock_mhz": 100,
    "technology_nm": 22,
    "pe_array": {"rows": 4, "cols": 4, "row_ranks": [], "col_ranks": [], "network": "systolic", "hop_latency": 1,
                 "dataflow": "output_stationary"},
    "register_file": {"capacity": 4, "word_bits": 32, "holds": ["output"]},
    "levels": [{"name": "scratchpad", "capacity": 262144, "word_bits": 64, "read_bandwidth": 64,
                "write_bandwidth": 64, "ports": 2, "banks": 8, "holds": ["any"], "latency": 1}],
    "dram": {"bandwidth": 16, "latency": 10},
    "arith": {"kind": "int8_mac", "input_format": "int8", "accumulate_format": "int32", "pipeline_depth": 1,
              "macs_per_cycle": 1},
}

MACS = (
    ("int8_mac", {"acc_bits": 32}, 3),
    ("fp8_mac", {"fmt": "e4m3", "accumulator": "fp32"}, 4),
    ("lmul_mac", {"fmt": "e4m3", "accumulator": "fp32"}, 4),
    # A wide fixed-point accumulator (every E4M3 product exact in Q19.20): the loop is an integer adder.
    ("fp8_mac", {"fmt": "e4m3", "accumulator": "fixed", "width": 40, "frac_bits": 20}, 4),
)


def _arch(**changes):
    from accel import derive, parse_architecture

    return derive(parse_architecture(_ARCH), changes)


def mac_rows(work: Path) -> list[str]:
    """Every MAC at every depth on the 85k, plus the exhaustive cocotb check of each depth."""
    from rtl.bench import run_bench
    from rtl.hdl import build_unit
    from rtl.synth import run_ecp5

    lines = ["| unit | depth | LUT4 | FF | CCU2C | DSP | Fmax (MHz) | all 65,536 pairs |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for unit, params, top in MACS:
        for depth in range(1, top + 1):
            design = build_unit(unit, {**params, "depth": depth})
            r = run_ecp5(design.component, design.label, work / f"mac_{unit}_{depth}")
            bench = run_bench(unit, {**params, "depth": depth}, build_root=work / "cocotb", mode="exhaustive", seed=2026)
            fmax = "-" if r.fmax_mhz is None else f"{r.fmax_mhz:.1f}"
            lines.append(f"| {design.label} | {depth} | {r.luts} | {r.ffs} | {r.carries} | {r.dsps} | {fmax} | "
                         f"{'bit-exact' if bench.passed else 'FAILED'} |")
            print(lines[-1], flush=True)
    return lines


#: The arrays of the ECP5 rows: a label and the changes to ``edge`` (16 x 16 INT8 / INT32, output-stationary).
ARRAYS: tuple[tuple[str, dict[str, object]], ...] = (
    ("16x16 INT8 (edge, depth 2)", {"arith.pipeline_depth": 2}),
    ("8x8 FP8 E4M3 / FP32 (edge with fp8_mac, depth 2)",
     {"pe_array.rows": 8, "pe_array.cols": 8, "arith.kind": "fp8_mac", "arith.input_format": "e4m3",
      "arith.accumulate_format": "fp32", "arith.pipeline_depth": 2}),
)


def array_rows(work: Path, arrays=ARRAYS) -> list[str]:
    """PE arrays of ``edge`` on the LFE5U-85F, as ``accel rtl fpga --target ecp5 --arch`` builds them.

    An array with more multipliers than the part has DSP blocks keeps as
    many in DSPs as fit and builds the rest in LUTs (``ecp5_hard_multipliers``).
    """
    from accel import derive, load_architecture
    from rtl.hdl import SystolicArray, arch_design
    from rtl.synth import SynthesisError, ecp5_hard_multipliers, run_ecp5

    lines = ["| design | multipliers in DSPs / LUTs | LUT4 | FF | CCU2C | DSP | DP16KD | Yosys (s) | nextpnr (s) | "
             "Fmax (MHz) | fits the LFE5U-85F |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    edge = load_architecture("edge")
    for label, changes in arrays:
        d = arch_design(derive(edge, changes))
        pes = d.rows * d.cols
        hard = ecp5_hard_multipliers(d.spec, pes, "85k")
        split = f"{pes if hard is None else hard} / {0 if hard is None else pes - hard}"
        folder = work / f"array_{d.rows}x{d.cols}_{d.spec.kind}"
        try:
            r = run_ecp5(SystolicArray(d.spec, d.rows, d.cols, d.dataflow, d.depth, hard), label, folder,
                         generic=False)
        except SynthesisError as exc:  # a run past the time limit is a figure too
            lines.append(f"| {label} | {split} | - | - | - | - | - | - | - | - | {str(exc).splitlines()[0]} |")
            print(lines[-1], flush=True)
            continue
        times = _step_seconds(folder)
        fmax = "-" if r.fmax_mhz is None else f"{r.fmax_mhz:.1f}"
        lines.append(f"| {label} | {split} | {r.luts} | {r.ffs} | {r.carries} | {r.dsps} | {r.brams} | "
                     f"{times[0]} | {times[1]} | {fmax} | {'yes' if r.fits else r.message} |")
        print(lines[-1], flush=True)
    return lines


def _step_seconds(folder: Path) -> tuple[str, str]:
    """Wall seconds of Yosys and nextpnr in ``folder``, from their outputs' times ('-' for a step not run)."""
    source, stat, report = folder / "ecp5_top.v", folder / "ecp5_stat.json", folder / "report.json"
    yosys = f"{stat.stat().st_mtime - source.stat().st_mtime:.0f}" if stat.exists() else "-"
    pnr = f"{report.stat().st_mtime - stat.stat().st_mtime:.0f}" if stat.exists() and report.exists() else "-"
    return yosys, pnr


#: The arrays of the area rows: the generator's arithmetic, pipeline depth and sides.
AREAS: tuple[tuple[str, dict[str, object], int, tuple[int, ...]], ...] = (
    ("int8", {"acc_bits": 32}, 1, (2, 4, 8)),
    ("int8", {"acc_bits": 32}, 3, (2, 4, 8)),
    ("fp8", {"fmt": "e4m3", "accumulator": "fp32"}, 2, (2, 4)),
)


def area_rows(work: Path, areas=AREAS) -> list[str]:
    """``area: rtl``'s PE array (rows x cols of one synthesized PE) against Yosys on the whole array."""
    from rtl.synth import SynthCache

    cache = SynthCache(work / "synth-cache")
    lines = ["| PE | array | one PE (GE) | rows x cols x PE (GE) | whole array (GE) | model / array | array (s) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for kind, params, depth, sides in areas:
        pe = cache.result("pe", {"kind": kind, **params, "dataflow": "output_stationary", "depth": depth})
        for n in sides:
            t0 = time.perf_counter()
            whole = cache.result("array", {"kind": kind, **params, "rows": n, "cols": n, "dataflow": "output_stationary",
                                           "depth": depth})
            secs = time.perf_counter() - t0
            model = n * n * pe.gate_equivalents
            lines.append(f"| {pe.label} | {n}x{n} | {pe.gate_equivalents:,.0f} | {model:,.0f} | "
                         f"{whole.gate_equivalents:,.0f} | {model / whole.gate_equivalents:.3f} | {secs:.0f} |")
            print(lines[-1], flush=True)
    return lines


def cycle_rows(work: Path, dataflows: tuple[str, ...] = ("output_stationary", "weight_stationary")) -> list[str]:
    """Mapper mappings of GEMMs and convolutions run in cocotb against the executor and sim.cycle (arrays of ``dataflows``)."""
    from accel.pipeline import Options, map_for
    from dataflow import library
    from rtl.bench import run_accelerator

    gemm_axes = {"pe_array.row_ranks": ["m"], "pe_array.col_ranks": ["n"]}
    conv_axes = {"pe_array.row_ranks": ["k"], "pe_array.col_ranks": ["p", "q"]}
    # Weight-stationary: reduced ranks down the rows, output ranks across; the register file loops over output
    # ranks only (the generated PE passes its partial sums on), and holds two weights (double buffering).
    ws = {"pe_array.dataflow": "weight_stationary", "register_file.holds": ["any"], "register_file.capacity": 16}
    ws_gemm = {**ws, "pe_array.row_ranks": ["k"], "pe_array.col_ranks": ["n"]}
    ws_conv = {**ws, "pe_array.row_ranks": ["c", "r", "s"], "pe_array.col_ranks": ["k"]}
    cases = [
        ("GEMM 6x7x5", library.gemm(M=6, N=7, K=5), {**gemm_axes}, "icarus"),
        ("GEMM 6x7x5", library.gemm(M=6, N=7, K=5), {**gemm_axes, "arith.pipeline_depth": 3}, "icarus"),
        ("GEMM 6x7x5", library.gemm(M=6, N=7, K=5), {**gemm_axes, "pe_array.fold_pipelining": True}, "icarus"),
        ("GEMM 6x7x5", library.gemm(M=6, N=7, K=5),
         {**gemm_axes, "pe_array.fold_pipelining": True, "register_file.capacity": 8}, "icarus"),
        ("conv 2->3 ch, 5x6, 2x3", library.conv2d(C=2, K=3, H=5, W=6, R=2, S=3), {**conv_axes}, "icarus"),
        ("conv 2->3 ch, 5x6, 2x3", library.conv2d(C=2, K=3, H=5, W=6, R=2, S=3),
         {**conv_axes, "pe_array.fold_pipelining": True, "arith.pipeline_depth": 2}, "icarus"),
        ("conv 2->3 ch, 5x6, 2x3, FP8 E4M3 / FP32", library.conv2d(C=2, K=3, H=5, W=6, R=2, S=3),
         {**conv_axes, "arith.kind": "fp8_mac", "arith.input_format": "e4m3", "arith.accumulate_format": "fp32",
          "arith.pipeline_depth": 4}, "icarus"),
        ("GEMM 6x7x5", library.gemm(M=6, N=7, K=5), {**gemm_axes, "arith.pipeline_depth": 2}, "verilator"),
        ("GEMM 32x32x16 on 8x8", library.gemm(M=32, N=32, K=16),
         {**gemm_axes, "pe_array.rows": 8, "pe_array.cols": 8, "arith.pipeline_depth": 2}, "verilator"),
        ("conv 4->8 ch, 10x10, 3x3 on 8x8", library.conv2d(C=4, K=8, H=10, W=10, R=3, S=3),
         {**conv_axes, "pe_array.rows": 8, "pe_array.cols": 8, "pe_array.fold_pipelining": True}, "verilator"),
        ("GEMM 6x7x5", library.gemm(M=6, N=7, K=5), {**ws_gemm, "arith.pipeline_depth": 2}, "icarus"),
        ("GEMM 6x7x5", library.gemm(M=6, N=7, K=5), {**ws_gemm, "register_file.holds": ["output"]}, "icarus"),
        ("conv 2->3 ch, 5x6, 2x3", library.conv2d(C=2, K=3, H=5, W=6, R=2, S=3), {**ws_conv}, "icarus"),
        ("GEMM 32x32x16 on 8x8", library.gemm(M=32, N=32, K=16),
         {**ws_gemm, "pe_array.rows": 8, "pe_array.cols": 8, "arith.pipeline_depth": 2}, "verilator"),
    ]
    from mapping import load_constraints

    output_ranks_in_rf = {"gemm": "[m]", "conv2d": "[p, q]"}
    lines = ["| workload | array, schedule | simulator | outputs vs executor | RTL cycles | sim.cycle array cycles | "
             "sim.cycle total | run (s) |", "|---|---|---|---|---:|---:|---:|---:|"]
    for label, cascade, changes, simulator in cases:
        arch = _arch(**changes)
        if arch.pe_array.dataflow not in dataflows:
            continue
        from rtl.hdl import PlanError

        stationary = arch.pe_array.dataflow == "weight_stationary"
        constraints = None
        if stationary:
            order = output_ranks_in_rf["gemm" if cascade.name.startswith("gemm") else "conv2d"]
            constraints = load_constraints(f"constraints:\n  - levels: {{rf: {{order: {order}}}}}\n")
        mapping = map_for(cascade, arch, Options(scheduler="none", seed=1), fallback=False,
                          constraints=constraints).results[0].mapping
        pe = arch.pe_array
        if stationary:
            double = "any" in arch.register_file.holds
            sched = (f"{pe.rows}x{pe.cols} weight-stationary, depth {arch.arith.pipeline_depth}"
                     + (", double-buffered weights" if double else ""))
        else:
            sched = (f"{pe.rows}x{pe.cols}, depth {arch.arith.pipeline_depth}"
                     + (", fold pipelining" if pe.fold_pipelining else "")
                     + (", second output register" if arch.register_file.capacity >= 8 else ""))
        t0 = time.perf_counter()
        try:
            run = run_accelerator(arch, cascade, mapping, build_root=work / "accel", simulator=simulator, seed=5)
        except PlanError as exc:  # the mapper's pick is one the controller cannot run: say so
            lines.append(f"| {label} | {sched} | {simulator} | mapping refused: {exc} | - | - | - | - |")
            print(lines[-1], flush=True)
            continue
        secs = time.perf_counter() - t0
        what = "values" if arch.arith.kind == "int8_mac" else "words vs rtl.numerics"
        verdict = f"{run.values} {what} bit-exact" if run.passed else "FAILED"
        lines.append(f"| {label} | {sched} | {simulator} | {verdict} | {run.rtl_cycles} | {run.sim_cycles} | "
                     f"{run.sim_total} | {secs:.0f} |")
        print(lines[-1], flush=True)
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rtl", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("macs", "arrays", "areas", "cycles"), action="append",
                        help="run only these parts (repeatable; default: all)")
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    args = parser.parse_args(argv)
    parts = args.only or ["macs", "arrays", "areas", "cycles"]
    stamp = f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} ({platform.python_version()})"
    with tempfile.TemporaryDirectory(prefix="accel-bench-rtl-") as tmp:
        work = Path(tmp)
        if "macs" in parts:
            rows = mac_rows(work)
            body = (
                f"\n{stamp}: every MAC at every pipeline depth (`arith.pipeline_depth`: cycles from operands to the "
                "accumulated result; the product path is cut after the normalized product, then after the raw "
                "significand or integer product, then after the operands, the accumulate staying one cycle) on an "
                "LFE5U-85F (yowasp synth_ecp5 + nextpnr-ecp5, seed 1, every port behind the scan harness, so Fmax is "
                "register to register), and each depth run in cocotb on all 65,536 operand pairs against "
                "`rtl.numerics`. The accumulate stays one cycle at every depth (a sum's next term needs the rounded "
                "previous sum, bit for bit), so the cuts lift the MACs whose loop is an integer adder (INT8, the "
                "fixed-point accumulator) and leave an FP32 accumulator's align-add-normalize-round loop as the "
                "critical path.\n\n" + "\n".join(rows) + "\n"
            )
            if not args.no_write:
                write_section("## RTL: pipelined MACs", body)
        if "arrays" in parts:
            rows = array_rows(work)
            body = (f"\n{stamp}: output-stationary PE arrays generated from the architecture "
                    "(`accel rtl fpga --target ecp5 --arch SPEC`: `synth_ecp5` and nextpnr-ecp5, LFE5U-85F, seed 1, "
                    "behind the scan harness). An array with more multipliers than the part's 156 MULT18X18D keeps "
                    "156 PEs' multipliers in DSP blocks and builds the others' of gates (partial products and a tree "
                    "of carry-chain adders: `rtl.synth.ecp5_hard_multipliers`, the generators' `hard_multipliers`). "
                    "*Yosys* and *nextpnr* are each step's wall time on the machine of the run.\n\n"
                    + "\n".join(rows) + "\n")
            if not args.no_write:
                write_section("## RTL: arrays on ECP5", body)
        if "areas" in parts:
            rows = area_rows(work)
            body = (f"\n{stamp}: the sweep's `area: rtl` prices a PE array the generator builds as rows x cols of "
                    "one synthesized PE (`rtl.synth.RTLSynthesisEstimator` over a `SynthCache`: Yosys `synth "
                    "-flatten`, NAND2 gate equivalents of NanGate 45 nm cells); here against Yosys on the whole "
                    "output-stationary array (the skew registers and the output multiplexer included; "
                    "the edge PEs' unused forwarding registers removed). *array (s)* is that synthesis's wall "
                    "time.\n\n" + "\n".join(rows) + "\n")
            if not args.no_write:
                write_section("## RTL: area of PE arrays", body)
        if "cycles" in parts:
            rows = cycle_rows(work)
            body = (
                f"\n{stamp}: each Einsum mapped by the mapper (`accel map`, EDP, HiGHS, seed 1) onto a generated "
                "accelerator (`accel rtl generate --arch --workload`: banked buffers, the array, the controller), "
                "operands drawn with seed 5 (INT8 values; for FP8 every E4M3 code, NaN included), run in cocotb; INT8 "
                "outputs against the `dataflow` executor, FP8 result words against the golden MAC of `rtl.numerics` in "
                "the controller's beat order. *RTL cycles* is the hardware's own counter, from the "
                "first beat at the array's corner to the last result written; *sim.cycle array cycles* is "
                "`sim.cycle.lower(...).ideal_cycles` for the same mapping (the PE array alone, no stalls); *sim.cycle "
                "total* adds the DMA loads, bandwidth stalls and write-back, which the RTL leaves to its load port "
                "(the testbench fills the buffers before `start`).\n\n" + "\n".join(rows) + "\n"
            )
            if not args.no_write:
                write_section("## RTL: cycles against sim.cycle", body)


if __name__ == "__main__":
    main()

"""Fusion: what the fusion search finds, how long it takes, and DRAM traffic and EDP fused vs layer by layer.

For each case the cascade runs through :func:`accel.pipeline.run` twice with the same options (seeded random
search per Einsum, 300 samples, no COSMA schedule), once with ``fusion='none'`` (every Einsum alone, every tensor
through DRAM) and once with ``fusion='auto'`` (the fusion search of :mod:`mapping.search`), at several on-chip
buffer sizes. Reported: the search's wall time (on top of mapping every Einsum alone), the number of fused
groups, DRAM bytes and EDP of both, and their ratios. ``python -m benchmarks.fusion`` rewrites the "Fusion"
section of ``benchmarks/RESULTS.md``; ``--quick`` runs the attention case only and writes nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from accel import derive, load_architecture
from accel.pipeline import Options, run
from benchmarks._results import write_section
from dataflow import library

SECTION = "## Fusion"
MiB = 1 << 20


def _dram(report) -> float:
    return sum(e.count for e in report.energy if e.component == "dram" and e.per == "byte")


def cases(quick: bool) -> list[tuple[str, object, str, dict, tuple[int, ...]]]:
    out = [
        ("attention_1pass N=1024", library.build("attention_1pass", M=1024, P=1024), "fusemax_like", {}, (2 * MiB, 8 * MiB)),
        ("attention_1pass N=1024, fold pipelining", library.build("attention_1pass", M=1024, P=1024), "fusemax_like",
         {"pe_array.fold_pipelining": True}, (8 * MiB,)),
    ]
    if not quick:
        out += [
            ("attention_1pass N=4096", library.build("attention_1pass", M=4096, P=4096), "fusemax_like", {}, (8 * MiB,)),
            ("BERT-base layer (seq 128)", library.bert_base(seq_len=128, layers=1), "tpu_like", {}, (4 * MiB, 24 * MiB)),
            ("ResNet-18", library.resnet18(), "tpu_like", {}, (4 * MiB, 24 * MiB)),
        ]
    return out


def measure(quick: bool) -> list[dict]:
    rows = []
    for label, cascade, arch_name, changes, buffers in cases(quick):
        hw = load_architecture(arch_name)
        if changes:
            hw = derive(hw, changes)
        for buffer in buffers:
            sized = derive(hw, {f"levels.{hw.levels[-1].name}.capacity": buffer})  # the outermost on-chip level
            base = Options(scheduler="none", objective="edp", mapper="search", samples=300)
            t0 = time.perf_counter()
            alone = run(cascade, sized, base)
            t1 = time.perf_counter()
            fused = run(cascade, sized, Options(scheduler="none", objective="edp", mapper="search", samples=300,
                                                fusion="auto"))
            t2 = time.perf_counter()
            a, f = alone.report.total, fused.report.total
            rows.append({
                "case": label, "arch": arch_name, "buffer": buffer, "einsums": len(cascade.einsums),
                "groups": sum(g.fused for g in fused.fusion.plan.groups),
                "fused_einsums": sum(len(g.einsums) for g in fused.fusion.plan.groups if g.fused),
                "map_s": t1 - t0, "fuse_s": (t2 - t1) - (t1 - t0), "dram_alone": _dram(a), "dram_fused": _dram(f),
                "edp_alone": a.edp, "edp_fused": f.edp, "cycles_alone": a.total_cycles, "cycles_fused": f.total_cycles,
            })
            r = rows[-1]
            print(f"{label:40s} {buffer // MiB:3d} MiB  groups {r['groups']:2d} ({r['fused_einsums']:3d} Einsums)  "
                  f"search {r['fuse_s']:6.1f} s  DRAM x{r['dram_fused'] / r['dram_alone']:.3f}  "
                  f"EDP x{r['edp_fused'] / r['edp_alone']:.3f}", flush=True)
    return rows


def table(rows: list[dict]) -> str:
    head = ("| case | arch | buffer | Einsums | fused groups (Einsums in them) | fusion search s | DRAM bytes alone | "
            "DRAM bytes fused | fused / alone DRAM | cycles fused / alone | EDP fused / alone |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    lines = [f"| {r['case']} | {r['arch']} | {r['buffer'] // MiB} MiB | {r['einsums']} | {r['groups']} ({r['fused_einsums']}) | "
             f"{r['fuse_s']:.1f} | {r['dram_alone']:,.0f} | {r['dram_fused']:,.0f} | {r['dram_fused'] / r['dram_alone']:.3f} | "
             f"{r['cycles_fused'] / r['cycles_alone']:.3f} | {r['edp_fused'] / r['edp_alone']:.3f} |" for r in rows]
    return head + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="attention only; do not write RESULTS.md")
    args = parser.parse_args([] if __name__ != "__main__" else None)
    start = time.perf_counter()
    load = os.getloadavg()[0]
    rows = measure(args.quick)
    body = (
        "\n"
        f"`python -m benchmarks.fusion` on {platform.machine()} (2 cores shared with other jobs: load average "
        f"{load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end), {time.perf_counter() - start:.0f} s in all. "
        "Both columns through `accel.pipeline.run` with the same options (objective EDP, seeded random search of "
        "300 mappings per Einsum, no COSMA schedule): alone = every Einsum mapped alone, every tensor through "
        "DRAM; fused = the fusion search (`mapping.search.fuse_cascade`: consecutive groups sharing an outer and "
        "optionally an inner loop, up to 3 tile sizes per rank, element-wise Einsums on the vector unit, on the "
        "2-D array or balanced, groups priced by the analytical model with the units overlapped per tile step) "
        "with its groups' tiles fitting the buffer (the outermost on-chip level, set to the size listed for both). Fusion search seconds exclude mapping every Einsum "
        "alone (which the search starts from). Fusion shares ranks by name, so layers that name their ranks "
        "apart (ResNet's convolutions) cannot be fused yet, and the cycle-level simulator does not run fused "
        "groups yet.\n\n" + table(rows)
    )
    if not args.quick:
        write_section(SECTION, body)
    print(body)


if __name__ == "__main__":
    main()

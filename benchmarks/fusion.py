"""Fusion: attention's utilization from 1K to 256K tokens, the two simulators on fused groups, and DRAM traffic
and EDP fused vs layer by layer.

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
        ("attention_1pass N=1024, no fold pipelining", library.build("attention_1pass", M=1024, P=1024), "fusemax_like",
         {"pe_array.fold_pipelining": False}, (8 * MiB,)),
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
            t0, c0 = time.perf_counter(), time.process_time()
            alone = run(cascade, sized, base)
            t1, c1 = time.perf_counter(), time.process_time()
            fused = run(cascade, sized, Options(scheduler="none", objective="edp", mapper="search", samples=300,
                                                fusion="auto"))
            t2, c2 = time.perf_counter(), time.process_time()
            a, f = alone.report.total, fused.report.total
            rows.append({
                "case": label, "arch": arch_name, "buffer": buffer, "einsums": len(cascade.einsums),
                "groups": sum(g.fused for g in fused.fusion.plan.groups),
                "fused_einsums": sum(len(g.einsums) for g in fused.fusion.plan.groups if g.fused),
                "map_s": t1 - t0, "fuse_s": (t2 - t1) - (t1 - t0), "fuse_cpu": (c2 - c1) - (c1 - c0), "dram_alone": _dram(a), "dram_fused": _dram(f),
                "edp_alone": a.edp, "edp_fused": f.edp, "cycles_alone": a.total_cycles, "cycles_fused": f.total_cycles,
            })
            r = rows[-1]
            print(f"{label:40s} {buffer // MiB:3d} MiB  groups {r['groups']:2d} ({r['fused_einsums']:3d} Einsums)  "
                  f"search {r['fuse_s']:6.1f} s ({r['fuse_cpu']:.1f} s CPU)  DRAM x{r['dram_fused'] / r['dram_alone']:.3f}  "
                  f"EDP x{r['edp_fused'] / r['edp_alone']:.3f}", flush=True)
    return rows


#: Sequence lengths of the attention utilization table (1K to 256K tokens).
LENGTHS: tuple[int, ...] = (1024, 4096, 16384, 65536, 262144)

#: Library cascades on which the two simulators' fused groups are set side by side.
AGREEMENT: tuple[tuple[str, dict, str], ...] = (
    ("attention_1pass", {"M": 1024, "P": 1024}, "fusemax_like"), ("attention_1pass", {"M": 4096, "P": 4096}, "fusemax_like"),
    ("attention_2pass", {"M": 512, "P": 512}, "fusemax_like"), ("attention_3pass", {"M": 512, "P": 512}, "fusemax_like"),
    ("attention_1pass", {"M": 1024, "P": 1024, "M0": 64}, "fusemax_like"), ("mlp", {}, "tpu_like"),
    ("layernorm", {}, "tpu_like"), ("transformer_block", {}, "tpu_like"),
)


def attention_lengths(lengths: tuple[int, ...] = LENGTHS) -> list[dict]:
    """``accel simulate attention_1pass fusemax_like -p M=N -p P=N`` with its default options, per N."""
    hw = load_architecture("fusemax_like")
    rows = []
    for n in lengths:
        t0 = time.perf_counter()
        ev = run(library.build("attention_1pass", M=n, P=n), hw,
                 Options(scheduler="none", fusion="auto", simulator="cycle"))
        r = ev.report.total
        groups = [g for g in ev.fusion.groups if g.facts.group.fused]
        rows.append({"n": n, "cycles": r.total_cycles, "analytical": ev.analytical.total.total_cycles,
                     "utilization": r.macs / (hw.num_pes * r.total_cycles), "seconds": time.perf_counter() - t0,
                     "footprint": max((g.facts.footprint_bytes for g in groups), default=0),
                     "plan": "; ".join(f"{g.facts.group.label} over " + ", ".join(f"{k}/{t}" for k, t in
                                       zip(g.facts.group.ranks, g.facts.group.tiles)) for g in groups),
                     "dram": _dram(r)})
        x = rows[-1]
        print(f"attention N={n:7d}: utilization {x['utilization']:.3f}, footprint {x['footprint']:,} B, "
              f"cycle/analytical {x['cycles'] / x['analytical']:.3f}, {x['seconds']:.1f} s", flush=True)
    return rows


#: Heads of the 1K-token attention table: fixed costs are paid once per run, so heads amortize them.
HEADS: tuple[int, ...] = (1, 4, 16)


def attention_heads(heads: tuple[int, ...] = HEADS, n: int = 1024) -> list[dict]:
    """``accel simulate attention_1pass fusemax_like -p M=1024 -p P=1024 -p H=h`` with its default options."""
    hw = load_architecture("fusemax_like")
    rows = []
    for h in heads:
        t0 = time.perf_counter()
        ev = run(library.build("attention_1pass", M=n, P=n, H=h), hw, Options(fusion="auto", simulator="cycle"))
        r = ev.report.total
        causes = dict(r.cycles_by_cause)
        rows.append({"h": h, "cycles": r.total_cycles, "mac_cycles": r.macs / hw.num_pes,
                     "utilization": r.macs / (hw.num_pes * r.total_cycles), "seconds": time.perf_counter() - t0,
                     "wait": sum(v for k, v in causes.items() if k.startswith("dependency_wait")),
                     "stall": sum(v for k, v in causes.items() if k.startswith("bandwidth_stall")),
                     "fused": ev.fusion is not None})
        x = rows[-1]
        print(f"attention N={n} H={h}: utilization {x['utilization']:.3f}, {x['seconds']:.1f} s", flush=True)
    return rows


def heads_table(rows: list[dict]) -> str:
    head = ("| heads | MAC cycles (MACs / 65,536 PEs) | cycles (sim.cycle) | waits on dependencies | bandwidth stalls | "
            "2-D array utilization | wall s |\n|---:|---:|---:|---:|---:|---:|---:|\n")
    return head + "\n".join(
        f"| {r['h']} | {r['mac_cycles']:,.0f} | {r['cycles']:,.0f} | {r['wait']:,.0f} | {r['stall']:,.0f} | "
        f"{100 * r['utilization']:.1f}% | {r['seconds']:.1f} |" for r in rows) + "\n"


HEADS_TEXT = (
    "\n**1K tokens with heads** (`accel simulate attention_1pass fusemax_like -p M=1024 -p P=1024 -p H=h`, default "
    "options; the heads are one more shared loop of the fused group). One head cannot reach 90% on this "
    "architecture under any schedule: its 2,048 MAC cycles are set against at least the DRAM latency of the first "
    "load and of the last write (200 cycles each), the first tiles' loads and the array's 510-cycle skew, a floor "
    "near 20% of the run. Those costs are paid once per run, and heads, as a real layer has them, amortize them "
    "(the waits on dependencies stay the same in total). What each head adds beyond its MACs is the softmax's "
    "element-wise work on the array (about 5% of its cycles, in the compute cause) and buffer stalls (31 cycles per "
    "query block, where an Einsum on in-place tiles moves its other tensors through the buffer for longer than it "
    "computes); with them the array stays below 90% at 1K tokens even with 16 heads.\n\n")


def agreement() -> list[dict]:
    """Every fused group of the fusion search's plan, cycle-level against analytical (default options)."""
    rows = []
    for name, params, arch_name in AGREEMENT:
        ev = run(library.build(name, **params), load_architecture(arch_name),
                 Options(scheduler="none", fusion="auto", simulator="cycle", mapper="search", samples=300))
        label = name + (" " + " ".join(f"{k}={v}" for k, v in params.items()) if params else "")
        for sim_part, ana_part, g in zip(ev.report.parts, ev.analytical.parts, ev.fusion.groups):
            if g.facts.group.fused:
                rows.append({"cascade": label, "arch": arch_name, "group": sim_part.name,
                             "cycle": sim_part.total_cycles, "analytical": ana_part.total_cycles,
                             "bottleneck": g.pricing.bottleneck if g.pricing else "-"})
                print(f"{label:40s} {sim_part.name:12s} cycle/analytical {sim_part.total_cycles / ana_part.total_cycles:.3f}",
                      flush=True)
    return rows


def table(rows: list[dict]) -> str:
    head = ("| case | arch | buffer | Einsums | fused groups (Einsums in them) | fusion search s (wall, CPU) | DRAM bytes alone | "
            "DRAM bytes fused | fused / alone DRAM | cycles fused / alone | EDP fused / alone |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    lines = [f"| {r['case']} | {r['arch']} | {r['buffer'] // MiB} MiB | {r['einsums']} | {r['groups']} ({r['fused_einsums']}) | "
             f"{r['fuse_s']:.1f} ({r['fuse_cpu']:.1f} CPU) | {r['dram_alone']:,.0f} | {r['dram_fused']:,.0f} | {r['dram_fused'] / r['dram_alone']:.3f} | "
             f"{r['cycles_fused'] / r['cycles_alone']:.3f} | {r['edp_fused'] / r['edp_alone']:.3f} |" for r in rows]
    return head + "\n".join(lines) + "\n"


def length_table(rows: list[dict]) -> str:
    head = ("| N | plan (shared loops / tile) | buffer footprint | cycles (sim.cycle) | analytical | cycle / analytical | "
            "2-D array utilization | DRAM bytes | wall s |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|\n")
    return head + "\n".join(
        f"| {r['n']:,} | {r['plan']} | {r['footprint']:,} | {r['cycles']:,.0f} | {r['analytical']:,.0f} | "
        f"{r['cycles'] / r['analytical']:.3f} | {100 * r['utilization']:.1f}% | {r['dram']:,.0f} | {r['seconds']:.1f} |"
        for r in rows) + "\n"


def agreement_table(rows: list[dict]) -> str:
    head = ("| cascade | arch | fused group | cycles (sim.cycle) | cycles (analytical) | cycle / analytical | bottleneck |\n"
            "|---|---|---|---:|---:|---:|---|\n")
    return head + "\n".join(
        f"| {r['cascade']} | {r['arch']} | {r['group']} | {r['cycle']:,.0f} | {r['analytical']:,.0f} | "
        f"{r['cycle'] / r['analytical']:.3f} | {r['bottleneck']} |" for r in rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="attention only; do not write RESULTS.md")
    args = parser.parse_args([] if __name__ != "__main__" else None)
    start = time.perf_counter()
    load = os.getloadavg()[0]
    rows = measure(args.quick)
    lengths = attention_lengths(LENGTHS[:2] if args.quick else LENGTHS)
    heads = attention_heads()
    agree = agreement() if not args.quick else []
    ratios = [r["cycle"] / r["analytical"] for r in agree] or [1.0]
    body = (
        "\n"
        f"`python -m benchmarks.fusion` on {platform.machine()} (2 cores shared with other jobs: load average "
        f"{load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end), {time.perf_counter() - start:.0f} s in all.\n\n"
        "**1-pass attention, 1K to 256K tokens** (`accel simulate attention_1pass fusemax_like -p M=N -p P=N`, "
        "default options: the fusion search, objective EDP, the chosen plan's tiles mapped by the ILP, run by the "
        "cycle-level simulator; `attention_1pass` chunks keys by 256, `fusemax_like` streams its folds). The "
        "search fuses all 10 Einsums under shared loops over the query block and the key chunks; the scores, "
        "their exponentials and the running max, sum and numerator stay in the PEs' register files (`sim.in_place`, "
        "FuseMax's binding: every element-wise Einsum on the 2-D array), so the array pays its fill once per group "
        "and only Q, K, V and the output cross the buffer. Utilization = MACs / (65,536 PEs x cycles).\n\n"
        + length_table(lengths) +
        "\nAt 1K tokens (one head, 2,048 cycles of MACs) the fixed costs, the first tiles' DRAM latency and "
        "loads, the array's one fill (510 cycles of skew) and the last output's write, are a third of the run; "
        "they are paid once, so from 4K on the array is above 90% busy. The footprint is the same at every "
        "length: the plan's tiles do not grow with N.\n"
        + HEADS_TEXT + heads_table(heads) + "\n"
        "**The two simulators on fused groups** (every fused group of the search's plan on library cascades; "
        "seeded random search, 300 samples per tile). The cycle-level model runs the units as concurrent SimPy "
        "processes (each tile execution once its producers' tiles exist, two slots per tile, the DRAM bus in issue "
        "order with its latency, outer iterations fast-forwarded once periodic); the analytical one is the busiest "
        f"resource plus fill and drain. cycle / analytical: {min(ratios):.3f} to {max(ratios):.3f}.\n\n"
        + agreement_table(agree) +
        "\n**Fused vs layer by layer.** Both columns through `accel.pipeline.run` with the same options (objective "
        "EDP, seeded random search of 300 mappings per Einsum, no COSMA schedule): alone = every Einsum mapped "
        "alone, every tensor through DRAM; fused = the fusion search (`mapping.search.fuse_cascade`: consecutive "
        "groups sharing an outer and optionally an inner loop, up to 3 tile sizes per rank plus two sized to the "
        "array, element-wise Einsums on the vector unit, on the 2-D array or balanced, groups priced by the "
        "analytical model with the units overlapped per tile step and tiles in place where they stay in the PEs) "
        "with its groups' tiles fitting the buffer (the outermost on-chip level, set to the size listed for both). "
        "Fusion search seconds (wall, and CPU of this process, which the other jobs on the machine do not "
        "inflate) exclude mapping every Einsum alone (which the search starts from). Fusion shares "
        "ranks by name, so layers that name their ranks apart (ResNet's convolutions) are not fused.\n\n"
        + table(rows)
    )
    if not args.quick:
        write_section(SECTION, body)
    print(body)


if __name__ == "__main__":
    main()

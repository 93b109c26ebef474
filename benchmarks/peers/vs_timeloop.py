"""accel against Timeloop's public reference outputs: access counts per level and energy per component, same mapping.

Usage::

    make peers                                     # every peer comparison
    .venv/bin/python -m benchmarks.peers.vs_timeloop [--no-write]

Timeloop does not build here, so the comparison reads the reference outputs
the ``timeloop-accelergy-exercises`` repository keeps (copied, MIT licence,
under ``benchmarks/peers/timeloop_ref``): for each example design, its v4
architecture, the default problem (a 3x3 stride-2 convolution) and the
mapping Timeloop's mapper chose with its statistics.  accel imports the
architecture (``accel.arch.import_architecture``) and the problem
(``dataflow.load_timeloop_problem``), translates Timeloop's mapping into a
``mapping.Mapping`` (below) and prices it with ``sim.analytical.evaluate``.

Mapping translation: DRAM and the shared levels keep their loops (Timeloop's
permutations list the innermost loop first); the spatial targets' factors go
on the rows (``meshY``: the permutation from the split on) and columns
(``meshX``: before the split); every per-PE level's loops go to accel's one
register file, a rank's factors multiplied, the ranks in the order of their
innermost loop there (so the innermost loop, whose stationarity the MAC's
operand latches exploit, stays innermost).

Compared, where both models mean the same thing: per level and data space,
Timeloop's scalar reads, fills and updates (per instance, times the utilized
instances) against accel's reads, fills and writes (Timeloop's scalar reads
leave out the reads that write finished outputs back up, accel's drains); the MAC's
computes; and each level's energy: Timeloop's, against accel's counts priced
at Timeloop's energy per scalar access of that level and data space (so the
energies agree exactly when the counts do).  Timeloop's one-word registers
are accel's implicit MAC latches (not a level): they are listed, not compared.
"""

from __future__ import annotations

import argparse
import datetime
import platform
from pathlib import Path

from benchmarks._results import write_section
from benchmarks.peers._timeloop_ref import read_mapping, read_stats

SECTION = "## Peers: Timeloop (reference outputs)"
REF = Path(__file__).with_name("timeloop_ref")
DESIGNS = ("simple_weight_stationary", "simple_output_stationary", "eyeriss_like")


def translate(targets, stats, arch, problem):
    """Timeloop's mapping as a ``mapping.Mapping`` of ``problem`` on ``arch`` (see the module docstring)."""
    from mapping import Mapping

    ranks = problem.ranks
    level_of = {}
    for lv in stats.levels:
        if lv.name == "mac":
            continue
        level_of[lv.name] = "dram" if lv.name == "DRAM" else lv.name if lv.name in arch.level_names else "rf"
    order_inner_first = [lv.name for lv in stats.levels if lv.name != "mac"]
    temporal = {name: {r: 1 for r in ranks} for name in problem.level_names}
    orders: dict[str, list[str]] = {name: [] for name in problem.level_names}
    rows = {r: 1 for r in ranks}
    cols = {r: 1 for r in ranks}
    by_target: dict[str, list] = {}
    for t in targets:
        by_target.setdefault(t.name, []).append(t)
    loops: dict[str, list[str]] = {name: [] for name in problem.level_names}  # outer to inner, repeats kept
    for name in reversed(order_inner_first):  # outermost level first
        ours = level_of[name]
        for t in by_target.get(name, []):
            if t.kind != "temporal":
                continue
            for dim in reversed(t.permutation):  # outer to inner
                f = t.factors.get(dim, 1)
                if f > 1:
                    temporal[ours][dim.lower()] *= f
                    loops[ours].append(dim.lower())
    for level, seq in loops.items():  # a rank sits where its innermost loop sat: the innermost loop stays innermost
        orders[level] = sorted(dict.fromkeys(seq), key=lambda r: max(i for i, x in enumerate(seq) if x == r))
    for t in targets:
        if t.kind != "spatial":
            continue
        split = len(t.permutation) if t.split is None else t.split
        for i, dim in enumerate(t.permutation):
            f = t.factors.get(dim, 1)
            (cols if i < split else rows)[dim.lower()] *= f
    levels = problem.level_names
    return Mapping(problem.einsum, ranks, levels, [tuple(temporal[lv][r] for r in ranks) for lv in levels],
                   [tuple(orders[lv] + [r for r in ranks if r not in orders[lv]]) for lv in levels],
                   tuple(rows[r] for r in ranks), tuple(cols[r] for r in ranks))


def measure() -> list[dict]:
    """One block per design: per level and data space, Timeloop's and accel's counts and energies."""
    from accel.arch import import_architecture
    from dataflow import load_timeloop_problem
    from mapping import build_problem
    from sim.analytical import evaluate

    cascade = load_timeloop_problem(REF / "default_problem.yaml")
    einsum = cascade.einsums[0]
    dims = [r.upper() for r in cascade.shapes]
    out = []
    for design in DESIGNS:
        imported = import_architecture(REF / design / "arch.yaml")
        arch = imported.architecture
        problem = build_problem(einsum, cascade.shapes, arch, cascade.weights)
        stats = read_stats(REF / design / "timeloop-mapper.stats.txt")
        mapping = translate(read_mapping(REF / design / "timeloop-mapper.map.yaml", dims), stats, arch, problem)
        report = evaluate(einsum, cascade.shapes, arch, mapping, cascade.weights)
        rows = []
        for lv in stats.levels:
            if lv.name == "mac":
                continue
            level = "dram" if lv.name == "DRAM" else lv.name if lv.name in arch.level_names else "rf"
            latch = level == "rf" and int(float(lv.specs.get("Size", "0") or 0)) == 1
            for space, st in lv.spaces.items():
                n = st.get("Utilized instances (max)", 1.0)
                theirs = {k: st.get(f"Scalar {k} (per-instance)", 0.0) * n for k in ("reads", "fills", "updates")}
                acc = report.access(level, space) if not latch else None
                ours = None if acc is None else {"reads": acc.reads, "fills": acc.fills, "updates": acc.writes}
                accesses = sum(theirs.values())
                per_access = st.get("Energy (total)", 0.0) / accesses if accesses else 0.0
                rows.append({"level": lv.name, "ours": level if not latch else "MAC latch", "space": space,
                             "theirs": theirs, "accel": ours, "tl_pj": st.get("Energy (total)", 0.0),
                             "accel_pj": None if ours is None else sum(ours.values()) * per_access})
        out.append({"design": design, "rows": rows, "tl_computes": stats.computes, "accel_macs": report.macs,
                    "tl_mac_pj": stats.mac_energy, "notes": imported.notes, "mapping": mapping,
                    "tl_cycles": stats.cycles, "accel_cycles": report.total_cycles})
    return out


def _fmt(d: dict | None) -> str:
    return "-" if d is None else " / ".join(f"{d[k]:,.0f}" for k in ("reads", "fills", "updates"))


def render(blocks: list[dict]) -> str:
    """The RESULTS.md section."""
    from mapping import render_loop_nest

    lines = [
        f"_{datetime.date.today().isoformat()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}; `make peers` (benchmarks/peers/vs_timeloop.py); Timeloop's reference outputs of "
        "timeloop-accelergy-exercises (commit 2d55108, benchmarks/peers/timeloop_ref), default problem (3x3, "
        "stride-2 convolution, 10,838,016 MACs), the mapping Timeloop's mapper chose, priced by sim.analytical._",
        "",
    ]
    for b in blocks:
        compared = [r for r in b["rows"] if r["accel"] is not None]
        equal = sum(r["accel"] == r["theirs"] for r in compared)
        lines += [f"### {b['design']}", "",
                  f"MACs: Timeloop {b['tl_computes']:,.0f}, accel {b['accel_macs']:,.0f}. Access counts equal on "
                  f"{equal}/{len(compared)} (level, data space) pairs compared; cycles: Timeloop {b['tl_cycles']:,.0f}, "
                  f"accel {b['accel_cycles']:,.0f} (Timeloop without bandwidth limits; accel with the import's "
                  "bandwidths and fill/drain).", "",
                  "| Timeloop level | accel | data space | Timeloop reads / fills / updates | accel reads / fills / updates "
                  "| Timeloop pJ | accel pJ | ratio |",
                  "|---|---|---|---:|---:|---:|---:|---:|"]
        for r in b["rows"]:
            ratio = "-" if r["accel_pj"] is None or not r["tl_pj"] else f"{r['accel_pj'] / r['tl_pj']:.3f}"
            apj = "-" if r["accel_pj"] is None else f"{r['accel_pj']:,.0f}"
            lines.append(f"| {r['level']} | {r['ours']} | {r['space']} | {_fmt(r['theirs'])} | {_fmt(r['accel'])} | "
                         f"{r['tl_pj']:,.0f} | {apj} | {ratio} |")
        lines += ["", "accel's translation of Timeloop's mapping:", "", "```", render_loop_nest(b["mapping"]), "```", ""]
    lines += [
        "Differences in assumptions:",
        "",
        "- Timeloop's per-PE buffers (a scratchpad and one-word registers; Eyeriss's three scratchpads) are one "
        "register file and implicit MAC latches in accel: per-PE loops of several Timeloop levels merge into the "
        "register file's (one loop per rank), and the registers' counts are not compared.",
        "- Sliding windows: Timeloop keeps the overlap (halo) of consecutive input tiles of a convolution "
        "(simple_weight_stationary: 151,875 input reads from DRAM, the distinct inputs); accel fetches each tile "
        "whole (160,650, 238 rows of 17-row tiles against 225 distinct), an upper bound it documents.",
        "- One loop per rank and level: where Timeloop splits a rank over two per-PE levels with another rank "
        "between them (simple_output_stationary: P4 above S3 in pe_spad, P14 in weight_reg), the merged register "
        "file has one P loop, innermost; the weights then stay in the MAC's latch for all 56 P steps, so accel "
        "reads them from the global buffer 4x less often than Timeloop's nest does.",
        "- Operand latches: accel's MAC always keeps its current operands, so a per-PE buffer is read once per "
        "change of its tile; Eyeriss-like has no registers and Timeloop reads its ifmap scratchpad every MAC "
        "(10.8 M reads against accel's 1.35 M).",
        "- Spatial multicast: accel's network reads each distinct element once for all PEs that need it, Eyeriss's "
        "diagonal (row-stationary) input sharing included (q*2+s over S on rows and Q on columns: 29 distinct of "
        "42 positions); Timeloop's default network multicasts identical tiles only (global-buffer input reads "
        "935,424 against 1,354,752).",
        "- Energies are Timeloop's (Accelergy's ERT) per scalar access of each level and data space, applied to "
        "accel's counts: the ratio shows the count difference, not a different energy model.",
        "- Cycles differ by construction: Timeloop's reference runs bound no bandwidth the specs leave out; the "
        "import gives DRAM its 64-bit width per cycle and levels one word per bank per cycle, plus SCALE-Sim fill/drain.",
        "- simba_like is not compared: accel's import rejects it (a per-PE buffer between two spatial fan-outs), "
        "with the error naming the node.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)
    text = render(measure())
    print(text)
    if not args.no_write:
        write_section(SECTION, "\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

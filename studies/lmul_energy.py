"""Study 2 -- L-Mul energy: per element-wise multiply and per dot product, Horowitz table vs our synthesized RTL.

Claim reproduced (Luo & Sun, arXiv 2410.00907): replacing floating-point
multiplication by L-Mul saves about 95 % of the energy of element-wise
multiplications and about 80 % of the energy of dot products.

Method.  Two energy sources, through their public estimators:

* ``horowitz``: :class:`accel.HorowitzEstimator` (Horowitz, ISSCC 2014, 45 nm,
  the table the paper uses).  A float multiply of format F is the estimator's
  ``fp_mult`` (FP16/FP32 from the table; FP8 and BF16 from its documented fit
  ``A (m+1)^2 + B (1+e+m)``); L-Mul on operands with ``e`` exponent and ``m``
  mantissa bits is one ``(e+m)``-bit integer add (``int_add``).
* ``rtl``: Yosys synthesis of this project's Amaranth units
  (:func:`rtl.synth.area_table`), energy = NAND2-equivalents x pJ per GE
  calibrated on an 8x8 multiplier at Horowitz's 0.2 pJ.  Multipliers: the
  exact FP8 multiplier (E4M3, E5M2) and the L-Mul unit (E4M3, E5M2 and
  BF16-style ``e8m{m}``).  There is no BF16/FP16/FP32 float multiplier in the
  RTL, so those rows are Horowitz-only.

A dot product of length ``n`` = ``n`` multiplies + ``n - 1`` FP32 adds (the
accumulation of our MACs; the paper's accounting adds in the operand's width,
which the ``fp32``-operand rows reproduce); the table gives the energy per
element at ``n = 128``.  In the RTL, the FP32 add is the synthesized FP8 MAC
(E4M3 into FP32) minus the synthesized E4M3 multiplier; where an L-Mul or FP8
MAC itself was synthesized, its energy is used directly (``dot_basis``).
Savings are ``1 - E(L-Mul) / E(baseline)``, against the float multiplier of
the format the L-Mul operands replace (E4M3 for e4m3, BF16 for ``e8m{m}``,
FP32 for fp32) and against FP8 E4M3.

Findings (full run of 2026-12-02, 59 s, most of it Yosys).  The Horowitz
accounting reproduces the paper for FP32 operands: L-Mul (a 31-bit integer
add) saves 97.4 % per multiply and 78.4 % per dot product; for BF16-style
operands with 3 mantissa bits it saves 95.3 % per multiply against a BF16
multiplier but only 46 % per dot product, and against E4M3 multiplication
89 % / 25 %.  Our synthesized RTL says much less: the E4M3 L-Mul unit (127
NAND2-equivalents with its special-value handling) costs 0.052 pJ against
0.120 pJ for the exact E4M3 multiplier, a 56 % saving per multiply and 7 %
per dot product (the synthesized FP32 accumulation, about 0.93 pJ per step,
dominates any MAC); the BF16-style L-Mul with 3 mantissa bits saves 22 % per
multiply and 3 % per dot product against the E4M3 multiplier.  (The E4M3
multiplier was 0.121 pJ before the RTL generator's pipelined MACs.)
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from accel import Action, HorowitzEstimator
from rtl.synth import area_table

from ._common import StudyResult, check_run_args, figure, save_figure, write_table

__all__ = ["run", "horowitz_rows", "rtl_rows", "DOT_LENGTH"]

NAME = "lmul_energy"
#: Dot-product length the per-element energies are given at.
DOT_LENGTH = 128
# L-Mul operand formats: label -> (exponent bits, mantissa bits, baseline float multiplier).
_LMUL_FORMATS = {
    "e4m3": (4, 3, "e4m3"),
    "e5m2": (5, 2, "e5m2"),
    **{f"e8m{m}": (8, m, "bf16") for m in range(2, 8)},
    "fp16": (5, 10, "fp16"),
    "fp32": (8, 23, "fp32"),
}
_FLOATS = ("e4m3", "e5m2", "bf16", "fp16", "fp32")


def _dot(mult: float, add: float, n: int = DOT_LENGTH) -> float:
    return (n * mult + (n - 1) * add) / n


def horowitz_rows() -> list[dict]:
    """Energy rows from the Horowitz estimator (float multipliers, then L-Mul units)."""
    est = HorowitzEstimator()
    add = est.energy(Action.of("fp_add", "compute", format="fp32")).value
    rows = []
    for f in _FLOATS:
        mult = est.energy(Action.of("fp_mult", "compute", format=f)).value
        rows.append({"source": "horowitz", "method": f"fp_mult_{f}", "operands": f, "baseline": f, "mult_pj": mult,
                     "add_pj": add, "dot_pj": _dot(mult, add), "dot_basis": "mult + fp32 add"})
    for label, (e, m, base) in _LMUL_FORMATS.items():
        mult = est.energy(Action.of("int_add", "compute", bits=e + m)).value
        rows.append({"source": "horowitz", "method": f"lmul_{label}", "operands": label, "baseline": base, "mult_pj": mult,
                     "add_pj": add, "dot_pj": _dot(mult, add), "dot_basis": "mult + fp32 add"})
    return rows


def _rtl_units(reduced: bool) -> list[tuple[str, dict]]:
    units = [("fp8_mul", {"fmt": "e4m3"}), ("lmul", {"fmt": "e4m3"}), ("lmul", {"exp_bits": 8, "man_bits": 3})]
    if reduced:
        return units
    units += [("fp8_mul", {"fmt": "e5m2"}), ("lmul", {"fmt": "e5m2"})]
    units += [("lmul", {"exp_bits": 8, "man_bits": m}) for m in (2, 4, 5, 6, 7)]
    units += [("fp8_mac", {"fmt": "e4m3", "accumulator": "fp32"}), ("lmul_mac", {"fmt": "e4m3", "accumulator": "fp32"}),
              ("lmul_mac", {"fmt": "bf16", "accumulator": "fp32"})]
    return units


def rtl_rows(reduced: bool, workdir: Path) -> list[dict]:
    """Energy rows from synthesis of the RTL units (one Yosys run each, in ``workdir``).

    Raises
    ------
    rtl.synth.SynthesisError
        Yosys failed.
    """
    table = area_table(_rtl_units(reduced), workdir=workdir)
    mults: dict[str, float] = {}
    macs: dict[str, float] = {}
    for row in table.rows:
        p = dict(row.params)
        if row.unit == "fp8_mul":
            mults[f"fp_mult_{p['fmt']}"] = table.energy_pj(row)
        elif row.unit == "lmul":
            label = p["fmt"] if p.get("exp_bits") is None else f"e{p['exp_bits']}m{p['man_bits']}"
            mults[f"lmul_{label}"] = table.energy_pj(row)
        elif row.unit == "fp8_mac":
            macs[f"fp_mult_{p['fmt']}"] = table.energy_pj(row)
        elif row.unit == "lmul_mac":
            macs[f"lmul_{'e8m7' if p['fmt'] == 'bf16' else p['fmt']}"] = table.energy_pj(row)
    add = macs["fp_mult_e4m3"] - mults["fp_mult_e4m3"] if "fp_mult_e4m3" in macs else float("nan")
    rows = []
    for method, mult in mults.items():
        operands = method.split("_")[-1]
        base = operands if method.startswith("fp_mult") else _LMUL_FORMATS[operands][2]
        if method in macs:
            dot, basis = _dot(macs[method] - add, add), "synthesized MAC"
        else:
            dot, basis = _dot(mult, add), "mult + fp32 add (FP8 MAC minus FP8 mult)"
        rows.append({"source": "rtl", "method": method, "operands": operands, "baseline": base, "mult_pj": mult,
                     "add_pj": add, "dot_pj": dot, "dot_basis": basis})
    return rows


def _savings(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in ("save_mult_vs_baseline", "save_dot_vs_baseline", "save_mult_vs_e4m3", "save_dot_vs_e4m3"):
        frame[col] = np.nan
    for i, row in frame.iterrows():
        if not row.method.startswith("lmul"):
            continue
        same = frame[(frame.source == row.source) & (frame.method == f"fp_mult_{row.baseline}")]
        e4 = frame[(frame.source == row.source) & (frame.method == "fp_mult_e4m3")]
        if not same.empty:
            frame.loc[i, "save_mult_vs_baseline"] = 1 - row.mult_pj / same.mult_pj.iloc[0]
            frame.loc[i, "save_dot_vs_baseline"] = 1 - row.dot_pj / same.dot_pj.iloc[0]
        if not e4.empty:
            frame.loc[i, "save_mult_vs_e4m3"] = 1 - row.mult_pj / e4.mult_pj.iloc[0]
            frame.loc[i, "save_dot_vs_e4m3"] = 1 - row.dot_pj / e4.dot_pj.iloc[0]
    return frame


def _pct(v: float) -> str:
    return "n/a" if not np.isfinite(v) else f"{100 * v:.1f}%"


def _findings(table: pd.DataFrame) -> str:
    lines = []
    for source in ("horowitz", "rtl"):
        part = table[(table.source == source) & table.method.str.startswith("lmul")]
        for r in part.itertuples():
            if r.operands not in ("e4m3", "e5m2", "e8m3", "e8m7", "fp32"):
                continue
            lines.append(
                f"{source:<8} L-Mul {r.operands:<5} {r.mult_pj:.4f} pJ/mult: saves {_pct(r.save_mult_vs_baseline)} per multiply "
                f"and {_pct(r.save_dot_vs_baseline)} per dot product vs {r.baseline.upper()} multiplication; "
                f"vs E4M3: {_pct(r.save_mult_vs_e4m3)} / {_pct(r.save_dot_vs_e4m3)}"
            )
    return "\n".join(lines)


def _plot(table: pd.DataFrame, out: Path) -> Path:
    fig, axes = figure(ncols=2, width=5.6, height=3.8)
    methods = list(dict.fromkeys(table.method))
    x = np.arange(len(methods))
    for ax, col, title in ((axes[0][0], "mult_pj", "per element-wise multiply"),
                           (axes[0][1], "dot_pj", f"per dot-product element (n={DOT_LENGTH}, FP32 accumulate)")):
        for offset, (source, colour) in zip((-0.2, 0.2), (("horowitz", "tab:grey"), ("rtl", "tab:green"))):
            part = table[table.source == source].set_index("method")
            ys = [part[col].get(m, np.nan) for m in methods]
            ax.bar(x + offset, ys, width=0.4, color=colour, label=source)
        ax.set_xticks(x, [m.replace("fp_mult_", "FP ").replace("lmul_", "L-Mul ") for m in methods], rotation=70, fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("pJ (45 nm)")
        ax.set_title(title, fontsize=9)
    axes[0][0].legend(fontsize=8)
    return save_figure(fig, out / "lmul_energy.png")


def run(out_dir: str | Path, reduced: bool = False, seed: int = 0) -> StudyResult:
    """Run the L-Mul energy study, writing ``table.csv`` and ``lmul_energy.png`` under ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created).
    reduced : bool
        Synthesize only three small units (E4M3 FP8 multiplier, E4M3 and e8m3 L-Mul), no MACs.
    seed : int
        Unused (the study draws nothing); accepted for a uniform interface.

    Raises
    ------
    TypeError, StudyError
        Bad arguments.
    rtl.synth.SynthesisError
        Yosys failed.
    """
    out = check_run_args(NAME, out_dir, reduced, seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lmul_energy_") as work:
        rows = horowitz_rows() + rtl_rows(reduced, Path(work))
    table = _savings(pd.DataFrame(rows))
    path = write_table(table, out / "table.csv")
    plot = _plot(table, out)
    return StudyResult(NAME, table, path, (plot,), _findings(table), reduced, seed, time.perf_counter() - start)

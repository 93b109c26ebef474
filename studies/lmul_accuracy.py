"""Study 1 -- L-Mul accuracy: element-wise products and 1-pass attention, next to FP8.

Claim reproduced (Luo & Sun, "Addition is All You Need for Energy-efficient
Language Models", arXiv 2410.00907): L-Mul with a 4-bit mantissa is about as
precise as float8_e4m3 multiplication, and with a 3-bit mantissa it beats
float8_e5m2; applying L-Mul to attention is almost lossless.

Method.  Operand pairs are drawn (seeded) from three distributions:
``gaussian`` (activations N(0, 1) times weights N(0, 0.02^2), transformer
scales), ``student_t`` (both t with 3 degrees of freedom, heavy tails) and
``log_uniform`` (magnitudes 10^U(-3, 3), random signs).  The reference is the
exact product of the float32 operands.  Methods, all through the golden models
of :mod:`rtl.numerics`:

* ``lmul_m{2..7}``: operands rounded (RNE) to a BF16-style format with 8
  exponent bits (bias 127) and ``m`` mantissa bits, multiplied by the bit-exact
  L-Mul integer adder (:func:`rtl.numerics.lmul_values`; the paper's L-Mul
  operates on ``m``-bit mantissas with the offset ``2^-l(m)``);
* ``fp8_e4m3`` / ``fp8_e5m2``: each operand tensor scaled by a power of two
  (per-tensor absmax scaling, as FP8 training recipes do), rounded to the
  format, multiplied exactly (the FP8 multiplier's FP32 product never rounds).

Two accountings: ``inputs`` (above: the only rounding is of the operands; L-Mul
adds its approximation) and ``format_closed`` (FP8 products, scaled by their own
per-tensor power of two, rounded back to the FP8 format, as when a multiplier's result stays in its operand format; L-Mul's
result is already a code of its format).  Per method: mean, median, 99th
percentile and max relative error.  The attention rows hold instead the
relative Frobenius error of the output (``mean_rel_err``), its largest
absolute error over the largest output (``max_rel_err``) and the relative
Frobenius error of the scores ``Q*K`` (``scores_rel_err``).  The attention part runs the 1-pass
attention cascade (:func:`dataflow.library.attention_1pass`) with its two
matrix products replaced by L-Mul or FP8 (:mod:`studies._lmul_attention`;
exact products reproduce :func:`dataflow.execute` to 1e-12, checked every run)
on seeded Gaussian Q (scaled by 1/sqrt(E)), K, V and compares the output and
the scores to the float64 executor.

Findings (full run of 2026-12-02, seed 0, 1,000,000 pairs per distribution,
23 s, the same numbers as on 2026-11-23; the numbers are printed by ``accel study run lmul_accuracy``).  With
operands-only rounding, L-Mul with m = 4 is *less* precise than E4M3 where
per-tensor scaling suits FP8 (mean relative error 5.29 % vs 3.06 % on the
Gaussian pairs, 5.29 % vs 3.23 % on Student-t), and more precise only where
FP8's range runs out (log-uniform magnitudes over six decades: 5.27 % vs
26.8 %).  L-Mul with m = 3 beats E5M2 on every distribution (5.7 % vs 6.1 %).
L-Mul's error has a floor of about 2.7 % from m = 5 on (its offset term does
not shrink with the mantissa), and m = 4 is barely better than m = 3 because
l(4) = l(3) = 3.  In the format-closed accounting E4M3 is still ahead on
Gaussian and Student-t pairs (3.7 %, 4.4 %).  In 1-pass attention (N = 256,
E = 64) the output's relative error is 14.4 % / 14.1 % with L-Mul m = 3 / 4,
5.4 % with m = 5, against 5.0 % for E4M3 and 10.4 % for E5M2 operands.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from dataflow import execute
from dataflow.library import attention_1pass
from rtl.numerics import E4M3, E5M2, FloatFormat, lmul_values, quantize

from ._common import StudyResult, check_run_args, figure, save_figure, write_table
from ._lmul_attention import Multiplier, attention_1pass_with, pow2_scale

__all__ = ["run", "DISTRIBUTIONS", "MANTISSAS", "draw_pairs", "product_errors"]

NAME = "lmul_accuracy"
DISTRIBUTIONS: tuple[str, ...] = ("gaussian", "student_t", "log_uniform")
MANTISSAS: tuple[int, ...] = (2, 3, 4, 5, 6, 7)
_FP8 = (E4M3, E5M2)


def draw_pairs(distribution: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` float32 operand pairs from ``distribution`` (see the module docstring).

    Raises
    ------
    ValueError
        Unknown distribution.
    """
    if distribution == "gaussian":
        return rng.standard_normal(n).astype(np.float32), (0.02 * rng.standard_normal(n)).astype(np.float32)
    if distribution == "student_t":
        return rng.standard_t(3, n).astype(np.float32), rng.standard_t(3, n).astype(np.float32)
    if distribution == "log_uniform":
        mags = 10.0 ** rng.uniform(-3, 3, (2, n))
        signs = rng.choice([-1.0, 1.0], (2, n))
        x, y = (mags * signs).astype(np.float32)
        return x, y
    raise ValueError(f"{NAME}: unknown distribution {distribution!r}; expected one of {DISTRIBUTIONS}")


def _fp8_product(x: np.ndarray, y: np.ndarray, fmt: FloatFormat, closed: bool) -> np.ndarray:
    sx, sy = pow2_scale(x, fmt), pow2_scale(y, fmt)
    prod = quantize(x * np.float64(sx), fmt) * quantize(y * np.float64(sy), fmt) / (sx * sy)
    if closed:  # the products get their own per-tensor power-of-two scale, then one rounding
        sp = pow2_scale(prod, fmt)
        prod = quantize(prod * sp, fmt) / sp
    return prod


def product_errors(x: np.ndarray, y: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """Relative error of every method and accounting against the exact float32 product.

    Returns
    -------
    dict
        ``{(method, accounting): relative errors}`` (pairs with a zero exact product are dropped).
    """
    exact = x.astype(np.float64) * y.astype(np.float64)
    keep = exact != 0
    x, y, exact = x[keep], y[keep], exact[keep]
    out: dict[tuple[str, str], np.ndarray] = {}
    for m in MANTISSAS:
        rel = np.abs(lmul_values(x, y, 8, m) - exact) / np.abs(exact)
        out[(f"lmul_m{m}", "inputs")] = rel
        out[(f"lmul_m{m}", "format_closed")] = rel
    for fmt in _FP8:
        for closed, accounting in ((False, "inputs"), (True, "format_closed")):
            out[(f"fp8_{fmt.name}", accounting)] = np.abs(_fp8_product(x, y, fmt, closed) - exact) / np.abs(exact)
    return out


def _product_table(n: int, seed: int) -> pd.DataFrame:
    rows = []
    for i, dist in enumerate(DISTRIBUTIONS):
        x, y = draw_pairs(dist, n, np.random.default_rng([seed, i]))
        for (method, accounting), rel in product_errors(x, y).items():
            rows.append({
                "part": "product", "distribution": dist, "method": method, "accounting": accounting, "samples": rel.size,
                "mean_rel_err": float(rel.mean()), "median_rel_err": float(np.median(rel)),
                "p99_rel_err": float(np.quantile(rel, 0.99)), "max_rel_err": float(rel.max()),
            })
    return pd.DataFrame(rows)


def _attention_table(size: int, dims: int, m0: int, seed: int) -> pd.DataFrame:
    cascade = attention_1pass(M=size, P=size, E=dims, F=dims, M0=m0)
    rng = np.random.default_rng([seed, 99])
    q = rng.standard_normal((dims, size)) / np.sqrt(dims)
    k, v = rng.standard_normal((dims, size)), rng.standard_normal((dims, size))
    ref = execute(cascade, {"Q": q, "K": k, "V": v}, seed=seed)
    exact = attention_1pass_with(q, k, v, m0, Multiplier("exact"))
    gap = float(np.max(np.abs(exact["AV"] - ref["AV"])))
    if gap > 1e-12:
        raise RuntimeError(f"{NAME}: the chunked 1-pass attention differs from dataflow.execute by {gap!r}")
    scores_ref = q.T @ k  # QK[p, m]
    muls = [Multiplier.lmul(m) for m in MANTISSAS] + [Multiplier("fp8", f) for f in _FP8]
    rows = []
    for mul in muls:
        got = attention_1pass_with(q, k, v, m0, mul)
        d_out = got["AV"] - ref["AV"]
        d_qk = got["QK"].T - scores_ref
        rows.append({
            "part": "attention", "distribution": f"gaussian M=P={size} E=F={dims}", "method": mul.label,
            "accounting": "inputs", "samples": ref["AV"].size,
            "mean_rel_err": float(np.linalg.norm(d_out) / np.linalg.norm(ref["AV"])),
            "median_rel_err": float("nan"), "p99_rel_err": float("nan"),
            "max_rel_err": float(np.max(np.abs(d_out)) / np.max(np.abs(ref["AV"]))),
            "scores_rel_err": float(np.linalg.norm(d_qk) / np.linalg.norm(scores_ref)),
        })
    return pd.DataFrame(rows)


def _lookup(table: pd.DataFrame, dist: str, method: str, accounting: str, col: str = "mean_rel_err") -> float:
    sel = table[(table.distribution == dist) & (table.method == method) & (table.accounting == accounting)]
    return float(sel[col].iloc[0])


def _findings(table: pd.DataFrame) -> str:
    lines = []
    prod = table[table.part == "product"]
    for acc in ("inputs", "format_closed"):
        for dist in DISTRIBUTIONS:
            l4, e4 = _lookup(prod, dist, "lmul_m4", acc), _lookup(prod, dist, "fp8_e4m3", acc)
            l3, e5 = _lookup(prod, dist, "lmul_m3", acc), _lookup(prod, dist, "fp8_e5m2", acc)
            lines.append(
                f"[{acc}] {dist}: mean rel. error L-Mul m=4 {100 * l4:.2f}% vs E4M3 {100 * e4:.2f}% "
                f"({'L-Mul better' if l4 < e4 else 'E4M3 better'}); L-Mul m=3 {100 * l3:.2f}% vs E5M2 {100 * e5:.2f}% "
                f"({'L-Mul better' if l3 < e5 else 'E5M2 better'})"
            )
    att = table[table.part == "attention"]
    if not att.empty:
        parts = [f"{r.method} {100 * r.mean_rel_err:.2f}%" for r in att.itertuples()]
        lines.append("attention output relative (Frobenius) error: " + ", ".join(parts))
    return "\n".join(lines)


def _plots(table: pd.DataFrame, out: Path) -> tuple[Path, ...]:
    prod = table[table.part == "product"]
    fig, axes = figure(ncols=len(DISTRIBUTIONS), width=4.2, height=3.4)
    for ax, dist in zip(axes[0], DISTRIBUTIONS):
        for acc, style in (("inputs", "-"), ("format_closed", ":")):
            ys = [_lookup(prod, dist, f"lmul_m{m}", acc) for m in MANTISSAS]
            if acc == "inputs":
                ax.plot(MANTISSAS, ys, "o-", color="k", label="L-Mul (8-bit exp., m mantissa)")
            for fmt, colour in ((E4M3, "tab:blue"), (E5M2, "tab:red")):
                ax.axhline(_lookup(prod, dist, f"fp8_{fmt.name}", acc), color=colour, ls=style,
                           label=f"{fmt.name.upper()} ({acc.replace('_', ' ')})")
        ax.set_yscale("log")
        ax.set_title(dist)
        ax.set_xlabel("L-Mul mantissa bits m")
    axes[0][0].set_ylabel("mean relative error of a product")
    axes[0][0].legend(fontsize=7)
    paths = [save_figure(fig, out / "lmul_products.png")]
    att = table[table.part == "attention"]
    if not att.empty:
        fig, axes = figure(width=4.8, height=3.4)
        ax = axes[0][0]
        lm = att[att.method.str.startswith("lmul")]
        ax.plot([int(s[6:]) for s in lm.method], lm.mean_rel_err, "o-", color="k", label="L-Mul output")
        ax.plot([int(s[6:]) for s in lm.method], lm.scores_rel_err, "s--", color="grey", label="L-Mul scores")
        for r, colour in zip(att[att.method.str.startswith("fp8")].itertuples(), ("tab:blue", "tab:red")):
            ax.axhline(r.mean_rel_err, color=colour, label=f"{r.method} output")
        ax.set_yscale("log")
        ax.set_xlabel("L-Mul mantissa bits m")
        ax.set_ylabel("relative error vs float64 executor")
        ax.set_title("1-pass attention")
        ax.legend(fontsize=7)
        paths.append(save_figure(fig, out / "lmul_attention.png"))
    return tuple(paths)


def run(out_dir: str | Path, reduced: bool = False, seed: int = 0) -> StudyResult:
    """Run the L-Mul accuracy study, writing ``table.csv`` and two PNGs under ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created).
    reduced : bool
        Fewer pairs (20,000 instead of 1,000,000 per distribution) and a smaller attention (32 instead of 256).
    seed : int
        Seed of every draw.

    Raises
    ------
    TypeError, StudyError
        Bad arguments.
    """
    out = check_run_args(NAME, out_dir, reduced, seed)
    start = time.perf_counter()
    n = 20_000 if reduced else 1_000_000
    size, dims, m0 = (32, 16, 8) if reduced else (256, 64, 64)
    table = pd.concat([_product_table(n, seed), _attention_table(size, dims, m0, seed)], ignore_index=True)
    path = write_table(table, out / "table.csv")
    plots = _plots(table, out)
    return StudyResult(NAME, table, path, plots, _findings(table), reduced, seed, time.perf_counter() - start)

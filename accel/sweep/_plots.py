"""Plots of sweep results, written as PNG with matplotlib's Agg canvas (no display, no pyplot state).

* :func:`plot_pareto`: latency vs energy, one colour per value of a colour
  axis (the arithmetic unit by default), marker area proportional to chip
  area, the (latency, energy, area) front ringed and its 2-D
  latency-energy staircase drawn; one panel per workload.
* :func:`plot_energy_breakdown`: stacked bars of energy per component
  (MAC, register file, each level, DRAM, network, vector unit) per design.
* :func:`plot_roofline`: operational intensity (ops per DRAM byte) vs
  achieved ops/s, with each design's compute roof (peak ops/s) and
  bandwidth roof (DRAM bytes/s x intensity); one op is one MAC or one
  element-wise operation, as ``sim.Report`` counts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._pareto import OBJECTIVE_COLUMNS, pareto_mask
from ._errors import ResultsError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["plot_pareto", "plot_energy_breakdown", "plot_roofline", "default_colour_axis"]


def _figure(ncols: int = 1, width: float = 6.4, height: float = 4.8) -> tuple[Figure, np.ndarray]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def _ok(frame: pd.DataFrame) -> pd.DataFrame:
    ok = frame[frame["status"] == "ok"]
    if ok.empty:
        raise ResultsError("no evaluated ('ok') points to plot yet; run or resume the sweep first")
    return ok


def _save(fig: Figure, out_path: str | Path) -> Path:
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    return out


def default_colour_axis(frame: pd.DataFrame) -> str | None:
    """The axis column to colour by: one that sets the arithmetic unit if any, else the first axis."""
    fixed = {"key", "design", "workload", "status", "reason", "seconds"}
    axes = [c for c in frame.columns if c not in fixed and c not in OBJECTIVE_COLUMNS.values()
            and not c.startswith(("energy.", "area.", "cycles.")) and c not in _metric_columns()]
    for c in axes:
        if "arith" in c or c in ("unit", "arith_unit"):
            return c
    return axes[0] if axes else None


def _metric_columns() -> tuple[str, ...]:
    from ._evaluate import METRICS

    return METRICS


def plot_pareto(frame: pd.DataFrame, out_path: str | Path, colour: str | None = None,
                objectives: Sequence[str] = ("latency", "energy", "area")) -> Path:
    """Latency vs energy scatter, coloured by ``colour``, sized by area, the Pareto front highlighted.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`accel.sweep.results_frame`.
    out_path : str or Path
        PNG to write (its folder is created).
    colour : str, optional
        Column to colour by (default :func:`default_colour_axis`).
    objectives : sequence of str
        Objectives of the front that is ringed.

    Raises
    ------
    ValueError
        If no point is ``'ok'`` or ``colour`` is not a column.
    """
    ok = _ok(frame)
    colour = colour or default_colour_axis(ok)
    if colour is not None and colour not in ok.columns:
        raise ResultsError(f"no column {colour!r} to colour by; columns: {', '.join(ok.columns)}")
    workloads = list(dict.fromkeys(ok["workload"]))
    fig, axes = _figure(len(workloads))
    cols = [OBJECTIVE_COLUMNS[o] for o in objectives]
    cmap = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    groups = list(dict.fromkeys(ok[colour])) if colour else [None]
    amax = float(ok["area_mm2"].max()) or 1.0
    for ax, wl in zip(axes, workloads):
        part = ok[ok["workload"] == wl]
        front = part[pareto_mask(part[cols].to_numpy())]
        for i, g in enumerate(groups):
            sub = part if g is None else part[part[colour] == g]
            if sub.empty:
                continue
            ax.scatter(sub["latency_s"] * 1e6, sub["energy_pj"] / 1e6, s=20 + 280 * sub["area_mm2"] / amax,
                       color=cmap[i % len(cmap)], alpha=0.6, label=str(g) if g is not None else None, edgecolors="none")
        ax.scatter(front["latency_s"] * 1e6, front["energy_pj"] / 1e6, s=20 + 280 * front["area_mm2"] / amax,
                   facecolors="none", edgecolors="black", linewidths=1.2, label="Pareto front")
        two = part[pareto_mask(part[["latency_s", "energy_pj"]].to_numpy())].sort_values("latency_s")
        ax.step(two["latency_s"] * 1e6, two["energy_pj"] / 1e6, where="post", color="black", linewidth=0.8, alpha=0.6)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("latency (us); marker area ~ chip area")
        ax.set_ylabel("energy (uJ)")
        ax.set_title(wl, fontsize="medium")
        ax.grid(True, which="both", alpha=0.3)
        legend = ax.legend(title=colour, fontsize="small")
        for handle in legend.legend_handles:
            handle.set_sizes([40])
    return _save(fig, out_path)


def plot_energy_breakdown(frame: pd.DataFrame, out_path: str | Path, workload: str | None = None, limit: int = 40) -> Path:
    """Stacked bars of energy per component for each design (of one workload).

    Parameters
    ----------
    frame : pandas.DataFrame
    out_path : str or Path
    workload : str, optional
        Which workload (default: the first).
    limit : int
        At most this many designs, the lowest-energy first.

    Raises
    ------
    ValueError
        If no point is ``'ok'`` or ``workload`` is unknown.
    """
    ok = _ok(frame)
    workload = workload or ok["workload"].iloc[0]
    part = ok[ok["workload"] == workload]
    if part.empty:
        raise ResultsError(f"no evaluated points of workload {workload!r}; workloads: {', '.join(dict.fromkeys(ok['workload']))}")
    part = part.sort_values("energy_pj").head(limit)
    comps = [c for c in part.columns if c.startswith("energy.")]
    labels = [_design_label(row, part.columns) for _, row in part.iterrows()]
    fig, axes = _figure(1, width=max(6.4, 0.35 * len(part) + 2))
    ax = axes[0]
    bottom = np.zeros(len(part))
    for comp in comps:
        vals = part[comp].fillna(0.0).to_numpy() / 1e6
        ax.bar(range(len(part)), vals, bottom=bottom, label=comp.removeprefix("energy."))
        bottom += vals
    ax.set_xticks(range(len(part)), labels, rotation=90, fontsize="x-small")
    ax.set_ylabel("energy (uJ)")
    ax.set_title(f"energy by component: {workload}")
    ax.legend(fontsize="small")
    return _save(fig, out_path)


def _design_label(row: pd.Series, columns: Iterable[str]) -> str:
    fixed = {"key", "design", "workload", "status", "reason", "seconds", *_metric_columns()}
    parts = [str(row[c]) for c in columns if c not in fixed and not c.startswith(("energy.", "area.", "cycles."))]
    return "/".join(parts) or str(row["design"])


def plot_roofline(frame: pd.DataFrame, out_path: str | Path, colour: str | None = None) -> Path:
    """Roofline: ops per DRAM byte vs achieved ops/s, with every design's compute and bandwidth roofs.

    Parameters
    ----------
    frame : pandas.DataFrame
    out_path : str or Path
    colour : str, optional
        Column to colour by (default :func:`default_colour_axis`).

    Raises
    ------
    ValueError
        If no point is ``'ok'``.
    """
    ok = _ok(frame)
    ok = ok[ok["dram_bytes"] > 0]
    if ok.empty:
        raise ResultsError("no evaluated point moves DRAM bytes; a roofline needs operational intensity")
    colour = colour or default_colour_axis(ok)
    fig, axes = _figure(1)
    ax = axes[0]
    intensity = ok["ops"] / ok["dram_bytes"]
    achieved = ok["ops"] / ok["latency_s"]
    x = np.logspace(np.log10(intensity.min() / 10), np.log10(intensity.max() * 10), 200)
    roofs = ok[["peak_ops_per_s", "dram_bytes_per_s"]].drop_duplicates()
    for _, r in roofs.iterrows():
        ax.plot(x, np.minimum(r["peak_ops_per_s"], r["dram_bytes_per_s"] * x), color="grey", linewidth=0.7, alpha=0.5)
    groups = list(dict.fromkeys(ok[colour])) if colour else [None]
    for g in groups:
        sel = np.ones(len(ok), dtype=bool) if g is None else (ok[colour] == g).to_numpy()
        ax.scatter(intensity[sel], achieved[sel], s=18, alpha=0.7, label=str(g) if g is not None else None)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("operational intensity (ops / DRAM byte)")
    ax.set_ylabel("achieved ops/s")
    ax.set_title("roofline (grey: each design's peak and DRAM-bandwidth roofs)")
    ax.grid(True, which="both", alpha=0.3)
    if colour:
        ax.legend(title=colour, fontsize="small")
    return _save(fig, out_path)

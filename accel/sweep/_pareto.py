"""Pareto fronts: the points no other point beats on every objective at once (all minimised)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ._errors import ResultsError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["pareto_mask", "pareto_front", "OBJECTIVE_COLUMNS"]

#: Objective name -> result column.
OBJECTIVE_COLUMNS: dict[str, str] = {"latency": "latency_s", "energy": "energy_pj", "area": "area_mm2", "edp": "edp"}


def pareto_mask(values: npt.ArrayLike) -> np.ndarray:
    """Which rows of ``values`` (points x objectives, minimised) are on the Pareto front.

    A row is on the front when no other row is <= on every objective and <
    on at least one.  Equal rows are all kept.  O(n^2 k) with numpy.

    Parameters
    ----------
    values : array-like of shape (n, k)
        Finite numbers, k >= 1.

    Raises
    ------
    ValueError
        For a non-2-D array or a non-finite value.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 2 or v.shape[1] < 1:
        raise ValueError(f"pareto_mask takes a 2-D array of points x objectives, not shape {v.shape!r}")
    if not np.isfinite(v).all():
        raise ValueError("pareto_mask takes finite values only; drop points without metrics first")
    keep = np.ones(len(v), dtype=bool)
    for i in range(len(v)):
        if not keep[i]:
            continue
        dominated = np.all(v[i] <= v, axis=1) & np.any(v[i] < v, axis=1)
        keep &= ~dominated
    return keep


def pareto_front(frame: pd.DataFrame, objectives: Sequence[str] = ("latency", "energy", "area"),
                 by: str | None = "workload") -> pd.DataFrame:
    """The rows of a results table on the Pareto front of ``objectives``, per ``by`` group.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`accel.sweep.results_frame`; points that are not ``'ok'`` are ignored.
    objectives : sequence of str
        Two or more of ``latency``, ``energy``, ``area``, ``edp``.
    by : str or None
        Column whose groups get separate fronts (one front per workload by default).

    Raises
    ------
    ValueError
        For an unknown objective.
    """
    import pandas as pd

    bad = [o for o in objectives if o not in OBJECTIVE_COLUMNS]
    if bad or len(objectives) < 1:
        raise ResultsError(f"objectives must be drawn from {tuple(OBJECTIVE_COLUMNS)!r}, not {list(objectives)!r}")
    cols = [OBJECTIVE_COLUMNS[o] for o in objectives]
    ok = frame[frame["status"] == "ok"]
    if ok.empty:
        return ok
    groups = [ok] if by is None else [g for _, g in ok.groupby(by, sort=False)]
    parts = [g[pareto_mask(g[cols].to_numpy())] for g in groups]
    return pd.concat(parts)

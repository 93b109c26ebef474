"""Results as a table: one row per point, axis values and metrics as columns; Parquet or CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from accel.arch import JsonValue

from ._evaluate import METRICS
from ._store import ResultStore
from ._errors import ResultsError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["results_frame", "export", "FORMATS"]

#: Export formats by file suffix.
FORMATS: dict[str, str] = {".parquet": "parquet", ".csv": "csv"}


def results_frame(store_path: str | Path, status: str | None = None) -> pd.DataFrame:
    """A ``pandas.DataFrame`` of the store's points.

    Columns: ``key``, ``design``, ``workload``, one column per axis (its
    display value), ``status``, ``reason``, the :data:`METRICS`, then
    ``energy.<component>`` (pJ), ``area.<component>`` (mm^2) and
    ``cycles.<cause>`` columns, ``fpga.<resource>`` columns with ``area: rtl``
    (the synthesized PE array's LUT4s, carries, FFs, DSPs and block RAMs on
    the spec's ``fpga`` target), and ``seconds`` (evaluation wall time).

    Parameters
    ----------
    store_path : str or Path
    status : str, optional
        Only points with this status.

    Raises
    ------
    FileNotFoundError, StoreError
        As :class:`ResultStore`.
    """
    import pandas as pd

    with ResultStore(store_path) as store:
        rows = store.rows(status)
    records, axis_names, extra = [], {}, {}
    for r in rows:
        rec: dict[str, JsonValue] = {"key": r["key"], "design": r["design"], "workload": r["workload"]}
        for name, value in r["labels"]:
            axis_names.setdefault(name, None)
            rec[name] = value
        rec["status"], rec["reason"] = r["status"], r["reason"]
        rec.update({m: r[m] for m in METRICS})
        for prefix, col in (("energy.", "energy_breakdown"), ("area.", "area_breakdown"), ("cycles.", "cycles_by_cause"),
                            ("fpga.", "fpga")):
            for k, v in r[col]:
                extra.setdefault(prefix + k, None)
                rec[prefix + k] = v
        rec["seconds"] = r["seconds"]
        records.append(rec)
    columns = ["key", "design", "workload", *axis_names, "status", "reason", *METRICS, *sorted(extra), "seconds"]
    return pd.DataFrame.from_records(records, columns=columns)


def export(store_path: str | Path, out_path: str | Path, fmt: str | None = None) -> Path:
    """Write the store's points to ``out_path`` as Parquet or CSV.

    Parameters
    ----------
    store_path : str or Path
    out_path : str or Path
        Destination; its folder is created.
    fmt : str, optional
        ``'parquet'`` or ``'csv'``; by default from the suffix of ``out_path``.

    Raises
    ------
    ValueError
        For an unknown format or suffix.
    FileNotFoundError, StoreError
        As :class:`ResultStore`.
    """
    out = Path(out_path)
    fmt = fmt or FORMATS.get(out.suffix.lower())
    if fmt not in FORMATS.values():
        raise ResultsError(f"export format must be one of {sorted(FORMATS.values())!r} (or a .parquet/.csv path), not {fmt or str(out_path)!r}")
    frame = results_frame(store_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.astype({c: str for c in frame.columns if frame[c].dtype == object}).to_parquet(out, index=False)
    else:
        frame.to_csv(out, index=False)
    return out

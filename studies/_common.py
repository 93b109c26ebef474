"""What every study returns and the small helpers they share (tables, figures, argument checks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from accel.arch import JsonObject
from accel.errors import BadInputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["StudyResult", "StudyError", "check_run_args", "figure", "save_figure", "write_table"]


class StudyError(BadInputError):
    """Bad arguments to a study (unknown name, bad output folder, seed or flag)."""


@dataclass(frozen=True)
class StudyResult:
    """The outcome of one study run.

    Parameters
    ----------
    name : str
        The study's registry name.
    table : pandas.DataFrame
        The main table (also written as ``table.csv``).
    table_path : Path
        Where the table was written.
    plots : tuple of Path
        The PNG figures written.
    findings : str
        What the measured numbers say, computed from the table (never typed in).
    reduced : bool
        Whether this was the reduced (test) version.
    seed : int
        The seed every random draw derives from.
    seconds : float
        Wall time of the run.
    extra_tables : tuple of (str, Path)
        Further tables written beside the main one.
    """

    name: str
    table: pd.DataFrame
    table_path: Path
    plots: tuple[Path, ...]
    findings: str
    reduced: bool
    seed: int
    seconds: float
    extra_tables: tuple[tuple[str, Path], ...] = field(default=())

    def to_dict(self) -> JsonObject:
        """Plain data (JSON-ready; the table as a list of records)."""
        return {
            "name": self.name,
            "table": self.table.to_dict(orient="records"),
            "table_path": str(self.table_path),
            "plots": [str(p) for p in self.plots],
            "findings": self.findings,
            "reduced": self.reduced,
            "seed": self.seed,
            "seconds": self.seconds,
            "extra_tables": {k: str(v) for k, v in self.extra_tables},
        }


def check_run_args(study: str, out_dir: object, reduced: object, seed: object) -> Path:
    """Validate the common ``run`` arguments; return the output folder (created).

    Raises
    ------
    TypeError
        ``out_dir`` is not a path, ``reduced`` not a bool or ``seed`` not an integer.
    StudyError
        A negative seed, or ``out_dir`` naming an existing file.
    """
    if not isinstance(out_dir, (str, Path)) or str(out_dir) == "":
        raise TypeError(f"{study}: out_dir must be a folder path, not {out_dir!r}")
    if not isinstance(reduced, bool):
        raise TypeError(f"{study}: reduced must be a bool, not {reduced!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{study}: seed must be an integer, not {seed!r}")
    if seed < 0:
        raise StudyError(f"{study}: seed must be non-negative, not {seed!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise StudyError(f"{study}: out_dir {str(out)!r} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def figure(ncols: int = 1, nrows: int = 1, width: float = 5.0, height: float = 3.8) -> tuple[Figure, np.ndarray]:
    """A matplotlib figure on the Agg canvas (no pyplot state) and its axes grid (a 2-D array of ``Axes``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def save_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a modest-size PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    return path


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as CSV (no index)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


"""Where the default measurement files are: the shared reference and our own measurements (H100, H200).

Both live outside the installed package: the reference in ``shared/reference``
beside the repository (``../shared`` from the repository root), ours in
``benchmarks/gpu``.  The paths are resolved from this file's location in a
source checkout; a missing file is reported by whoever opens it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["repository_root", "default_measurement_files", "REFERENCE_PATH", "MEASURED_PATH", "H200_PATH"]

#: The shared reference, relative to the repository root.
REFERENCE_PATH = Path("..") / "shared" / "reference" / "h100_calibration.json"
#: Our measurements (``benchmarks/gpu/measure.py``), relative to the repository root.
MEASURED_PATH = Path("benchmarks") / "gpu" / "h100_measured.json"
#: Our H200 measurements, relative to the repository root.
H200_PATH = Path("benchmarks") / "gpu" / "h200_measured.json"


def repository_root() -> Path:
    """The checkout this package runs from (two levels above ``accel/calibrate``)."""
    return Path(__file__).resolve().parents[2]


def default_measurement_files() -> tuple[Path, Path, Path]:
    """The shared reference file, ``benchmarks/gpu/h100_measured.json`` and ``h200_measured.json``, as absolute paths."""
    root = repository_root()
    return tuple((root / p).resolve() for p in (REFERENCE_PATH, MEASURED_PATH, H200_PATH))  # type: ignore[return-value]

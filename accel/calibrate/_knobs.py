"""The calibration knobs: a few physical quantities fitted to measurements.

* ``fraction[family]`` -- the achievable fraction of the peak tensor-core rate
  for one kernel family: a GEMM datatype (``gemm_bf16``, ``gemm_fp8_e4m3``)
  or an attention backend (``attention_cudnn``, ``attention_flash``: each
  backend is its own kernel implementation); for the row-wise kernels
  (``row_kernels``: soft-max and layer-norm) the fraction of the SM's instruction
  issue slots they fill (their instructions are counted, their stalls are not).
* ``hbm_efficiency`` -- the achievable fraction of peak HBM bandwidth for long
  contiguous streams (copies, element-wise and row-wise kernels).
* ``gemm_hbm_efficiency`` -- the same for a GEMM's operands, which stream as
  tiles (128-byte rows strided across the matrix), not as contiguous runs.
* ``sm_bandwidth_gbs`` -- the bytes per second one SM can stream from L2/HBM
  (bounds CTAs that move much data for little arithmetic, and kernels that
  occupy few SMs).
* ``launch_us`` -- per-kernel launch and tail overhead.
* ``cta_fill_us`` -- a GEMM kernel's operand-pipeline prologue and output
  epilogue beyond the memory latency the analytical model already charges, paid
  once per kernel (the kernels are persistent).
* ``attention_cta_us`` -- the same for one attention CTA (load its query block,
  write its output block and statistics), paid per CTA.
* ``issue_warps`` -- the warps a row-wise kernel needs resident on an SM to issue
  at its fraction: each scheduler hides one warp's instruction latencies behind
  the others' instructions, so with fewer warps it issues proportionally less often.

Wave quantization over the SMs is a property of the model, not a knob.
Knobs files are JSON with the knobs, the attention backend that rows without
one ran on, and provenance (which rows were fitted, when, with which model).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from importlib import resources
from collections.abc import Iterable

from accel._types import JsonObject, JsonValue

from ._errors import CalibrationError

__all__ = ["FAMILIES", "BACKENDS", "Knobs", "load_knobs", "save_knobs", "default_knobs", "KNOBS_FILE"]

#: Kernel families with their own achievable fraction of peak.
FAMILIES: tuple[str, ...] = ("gemm_bf16", "gemm_fp8_e4m3", "attention_cudnn", "attention_flash", "row_kernels")
#: Attention backends (kernel implementations) the model knows.
BACKENDS: tuple[str, ...] = ("cudnn", "flash")
#: The shipped knobs file (inside ``accel/calibrate``).
KNOBS_FILE = "h100_knobs.json"

_SCALARS = ("hbm_efficiency", "sm_bandwidth_gbs", "launch_us", "cta_fill_us", "gemm_hbm_efficiency", "attention_cta_us",
            "issue_warps")
_FILE_KEYS = ("fraction", *_SCALARS, "attention_default_backend", "provenance")


@dataclass(frozen=True)
class Knobs:
    """Fitted calibration knobs (see the module docstring).

    Parameters
    ----------
    fraction : tuple of (str, float)
        Per family in :data:`FAMILIES`, a fraction in (0, 1].
    hbm_efficiency : float
        In (0, 1].
    sm_bandwidth_gbs : float
        > 0, GB/s.
    launch_us, cta_fill_us : float
        >= 0, microseconds.
    gemm_hbm_efficiency : float
        In (0, 1].
    attention_cta_us : float
        >= 0, microseconds.
    issue_warps : float
        > 0, warps per SM.
    attention_default_backend : str
        The backend of attention rows that name none (one of :data:`BACKENDS`).
    provenance : tuple of (str, str)
        Where the values come from.

    Raises
    ------
    CalibrationError
        For a missing or unknown family, or a value out of range.
    """

    fraction: tuple[tuple[str, float], ...]
    hbm_efficiency: float
    sm_bandwidth_gbs: float
    launch_us: float
    cta_fill_us: float
    gemm_hbm_efficiency: float = 0.9
    attention_cta_us: float = 1.0
    issue_warps: float = 32.0
    attention_default_backend: str = "cudnn"
    provenance: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        frac = tuple((str(k), float(v)) for k, v in dict(self.fraction).items())
        names = [k for k, _ in frac]
        if sorted(names) != sorted(FAMILIES):
            raise CalibrationError(f"knobs: fraction must give exactly the families {FAMILIES!r}, not {tuple(names)!r}")
        for name, value in frac:
            if not (0 < value <= 1):
                raise CalibrationError(f"knobs: fraction[{name!r}] must be in (0, 1], not {value!r}")
        object.__setattr__(self, "fraction", tuple(sorted(frac, key=lambda kv: FAMILIES.index(kv[0]))))
        for name in ("hbm_efficiency", "gemm_hbm_efficiency"):
            value = getattr(self, name)
            if not (0 < value <= 1):
                raise CalibrationError(f"knobs: {name} must be in (0, 1], not {value!r}")
        for name in ("sm_bandwidth_gbs", "issue_warps"):
            value = getattr(self, name)
            if not (value > 0) or math.isinf(value):
                raise CalibrationError(f"knobs: {name} must be a positive number, not {value!r}")
        for name in ("launch_us", "cta_fill_us", "attention_cta_us"):
            value = getattr(self, name)
            if not (value >= 0) or math.isinf(value):
                raise CalibrationError(f"knobs: {name} must be a finite number >= 0, not {value!r}")
        if self.attention_default_backend not in BACKENDS:
            raise CalibrationError(
                f"knobs: attention_default_backend must be one of {BACKENDS!r}, not {self.attention_default_backend!r}"
            )
        object.__setattr__(self, "provenance", tuple(sorted((str(k), str(v)) for k, v in dict(self.provenance).items())))

    def of(self, family: str) -> float:
        """The achievable fraction of ``family``.

        Raises
        ------
        CalibrationError
            For an unknown family.
        """
        for name, value in self.fraction:
            if name == family:
                return value
        raise CalibrationError(f"knobs: no fraction for kernel family {family!r}; families: {', '.join(FAMILIES)}")

    def vector(self) -> list[float]:
        """The knobs as a flat vector (fractions in :data:`FAMILIES` order, then the scalars)."""
        return [v for _, v in self.fraction] + [float(getattr(self, s)) for s in _SCALARS]

    def with_vector(self, values: Iterable[float], provenance: tuple[tuple[str, str], ...] | None = None) -> "Knobs":
        """A copy with the values of :meth:`vector` replaced."""
        values = [float(v) for v in values]
        n = len(FAMILIES)
        scalars = dict(zip(_SCALARS, values[n:]))
        return Knobs(tuple(zip(FAMILIES, values[:n])), attention_default_backend=self.attention_default_backend,
                     provenance=self.provenance if provenance is None else provenance, **scalars)

    def to_dict(self) -> JsonObject:
        """Plain data (the knobs file's content)."""
        return {
            "fraction": dict(self.fraction),
            **{s: getattr(self, s) for s in _SCALARS},
            "attention_default_backend": self.attention_default_backend,
            "provenance": dict(self.provenance),
        }


def _from_dict(data: JsonValue, source: str) -> Knobs:
    if not isinstance(data, dict):
        raise CalibrationError(f"{source}: a knobs file must be a JSON object, not {type(data).__name__}")
    unknown = [k for k in data if k not in _FILE_KEYS]
    missing = [k for k in ("fraction", *_SCALARS) if k not in data]
    if unknown or missing:
        raise CalibrationError(f"{source}: unknown knobs {unknown!r}, missing knobs {missing!r}; knobs: {', '.join(_FILE_KEYS)}")
    if not isinstance(data["fraction"], dict):
        raise CalibrationError(f"{source}: 'fraction' must map kernel families to fractions, not {data['fraction']!r}")
    for key in _SCALARS:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CalibrationError(f"{source}: {key!r} must be a number, not {value!r}")
    prov = data.get("provenance", {})
    if not isinstance(prov, dict):
        raise CalibrationError(f"{source}: 'provenance' must be a mapping, not {prov!r}")
    try:
        return Knobs(
            tuple(data["fraction"].items()), *(float(data[s]) for s in _SCALARS),
            attention_default_backend=data.get("attention_default_backend", "cudnn"), provenance=tuple(prov.items()),
        )
    except CalibrationError as exc:
        raise CalibrationError(f"{source}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise CalibrationError(f"{source}: {exc}") from None


def load_knobs(path: str | os.PathLike[str] | None = None) -> Knobs:
    """Read a knobs file (default: the shipped ``accel/calibrate/h100_knobs.json``).

    Parameters
    ----------
    path : str or PathLike, optional

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    CalibrationError
        If it is not JSON or has unknown, missing or out-of-range knobs.
    """
    if path is None:
        text = resources.files("accel.calibrate").joinpath(KNOBS_FILE).read_text(encoding="utf-8")
        source = KNOBS_FILE
    else:
        from accel.arch import read_text

        source = os.fspath(path)
        text = read_text(path, source)  # encodings, size and NUL bytes named with the file
    from accel.arch import LoadError, load_json

    try:
        data = load_json(text, source)  # duplicate keys, NaN and out-of-range numbers refused, with the line
    except LoadError as exc:
        raise CalibrationError(str(exc)) from None
    return _from_dict(data, source)


def save_knobs(knobs: Knobs, path: str | os.PathLike[str]) -> None:
    """Write ``knobs`` as JSON (sorted keys, stable output).

    Parameters
    ----------
    knobs : Knobs
    path : str or PathLike
    """
    with open(os.fspath(path), "w", encoding="utf-8") as fh:
        json.dump(knobs.to_dict(), fh, indent=1, sort_keys=True)
        fh.write("\n")


def default_knobs() -> Knobs:
    """A starting point for fitting: round physical guesses, not fitted values."""
    return Knobs(
        (("gemm_bf16", 0.8), ("gemm_fp8_e4m3", 0.7), ("attention_cudnn", 0.65), ("attention_flash", 0.4),
         ("row_kernels", 0.7)),
        hbm_efficiency=0.9, sm_bandwidth_gbs=100.0, launch_us=5.0, cta_fill_us=1.0,
        gemm_hbm_efficiency=0.9, attention_cta_us=1.0, issue_warps=32.0,
        provenance=(("source", "starting guesses of accel.calibrate.default_knobs, not fitted"),),
    )

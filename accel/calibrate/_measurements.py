"""Measurement files: parse, validate, build :class:`Measurement` rows.

A measurement file is JSON (the format of ``benchmarks/gpu/measure.py`` and of
``shared/reference/h100_calibration.json``)::

    {"device": "NVIDIA H100 80GB HBM3", "sms": 132, ..., "rows": [
        {"kind": "gemm_bf16", "m": 4096, "n": 4096, "k": 4096, "ms": 0.18, "tflops": 749.8},
        ...]}

Every row names its ``kind`` and its median time in milliseconds under the key
``ms`` (the unit is part of the key: a time under any other key is an unknown
field, and a row without ``ms`` has no time with a unit).  Each kind has its
own required shape fields (:data:`KINDS`); ``tflops``/``gbps`` are optional
derived rates.  Unknown fields, missing fields and bad values are all collected
and reported together, each naming the file, the row index and the field.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from accel._types import JsonValue

from accel.arch import LoadError, load_json, read_text

from ._errors import CalibrationError

#: A shape field's value in a measurement row.
ParamValue = int | float | str | bool

__all__ = ["KINDS", "FILE_FIELDS", "Measurement", "MeasurementSet", "load_measurements", "parse_measurements"]

#: Per kind: required shape fields (name, type) and optional fields (name, type).
#: Every kind may also name the CUDA kernels one call launched (``kernels``: names joined by ``;``).
KINDS: dict[str, tuple[tuple[tuple[str, type], ...], tuple[tuple[str, type], ...]]] = {
    "gemm_bf16": ((("m", int), ("n", int), ("k", int)), (("tflops", float), ("kernels", str))),
    "gemm_fp8_e4m3": ((("m", int), ("n", int), ("k", int)), (("tflops", float), ("kernels", str))),
    "attention_bf16": (
        (("b", int), ("h", int), ("s", int), ("d", int), ("causal", bool)),
        (("backend", str), ("tflops", float), ("kernels", str)),
    ),
    "softmax_bf16": ((("rows", int), ("cols", int)), (("gbps", float), ("kernels", str))),
    "layernorm_bf16": ((("rows", int), ("cols", int)), (("gbps", float), ("kernels", str))),
    "scale_bf16": ((("rows", int), ("cols", int)), (("gbps", float), ("kernels", str))),
    "copy": ((("bytes", int),), (("gbps", float), ("kernels", str))),
}

#: Top-level keys of a measurement file (``device`` and ``rows`` required).
FILE_FIELDS: tuple[str, ...] = ("device", "sms", "l2_bytes", "torch", "triton", "python", "seed", "note", "rows")

_TIME_KEY = "ms"


@dataclass(frozen=True)
class Measurement:
    """One measured row.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    params : tuple of (str, int | bool | str)
        Shape fields (and ``backend`` for attention when given), in schema order.
    ms : float
        Median measured time in milliseconds.
    source : str
        The file it came from.
    row : int
        Its index in the file's ``rows``.
    kernels : str
        The CUDA kernels the measured call launched, when the file names them (a
        diagnostic: the model never reads it).
    """

    kind: str
    params: tuple[tuple[str, ParamValue], ...]
    ms: float
    source: str = "<data>"
    row: int = 0
    kernels: str = ""

    def get(self, name: str, default: ParamValue | None = None) -> ParamValue | None:
        """The value of shape field ``name`` (``default`` when absent)."""
        for key, value in self.params:
            if key == name:
                return value
        return default

    @property
    def seconds(self) -> float:
        """The measured time in seconds."""
        return self.ms * 1e-3

    @property
    def label(self) -> str:
        """``kind key=value ...``, e.g. ``gemm_bf16 m=1 n=4096 k=4096``."""
        parts = [self.kind] + [f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in self.params]
        return " ".join(parts)

    @property
    def where(self) -> str:
        """``<file> row <i>`` for messages."""
        return f"{self.source} row {self.row}"


@dataclass(frozen=True)
class MeasurementSet:
    """The rows of one measurement file with its header fields.

    Parameters
    ----------
    source : str
        File name (or ``'<data>'``).
    device : str
    rows : tuple of Measurement
    meta : tuple of (str, JSON value)
        The other top-level fields (``sms``, ``torch``, ``note``, ...).
    """

    source: str
    device: str
    rows: tuple[Measurement, ...]
    meta: tuple[tuple[str, JsonValue], ...] = ()


def _type_ok(value: object, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:  # at most 2**53: what the models compute exactly
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 2**53
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) <= 2**53 and math.isfinite(value)
    return isinstance(value, kind)


_TYPE_NAMES = {int: "an integer", float: "a finite number", bool: "true or false", str: "a string"}


def _check_row(index: int, row: object, errors: list[str]) -> Measurement | None:
    where = f"row {index}"
    if not isinstance(row, dict):
        errors.append(f"{where}: a row must be a mapping, not {row!r}")
        return None
    kind = row.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        errors.append(f"{where}: kind must be one of {tuple(KINDS)!r}, not {kind!r}")
        return None
    where = f"row {index} ({kind})"
    required, optional = KINDS[kind]
    known = {"kind", _TIME_KEY} | {n for n, _ in required} | {n for n, _ in optional}
    count = len(errors)
    for key in row:
        if key not in known:
            errors.append(f"{where}: unknown field {key!r}; allowed: {', '.join(sorted(known))}")
    if _TIME_KEY not in row:
        errors.append(f"{where}: missing field 'ms' (the median time in milliseconds; a time needs its unit, 'ms')")
    else:
        ms = row[_TIME_KEY]
        if not _type_ok(ms, float) or ms <= 0:
            errors.append(f"{where}: 'ms' must be a positive number of milliseconds, not {ms!r}")
    params: list[tuple[str, ParamValue]] = []
    for name, typ in required:
        if name not in row:
            errors.append(f"{where}: missing field {name!r}")
            continue
        value = row[name]
        if not _type_ok(value, typ) or (typ is int and value < 1):
            what = "a positive integer" if typ is int else _TYPE_NAMES[typ]
            errors.append(f"{where}: {name!r} must be {what}, not {value!r}")
            continue
        params.append((name, value))
    for name, typ in optional:
        if name in row and not _type_ok(row[name], typ):
            errors.append(f"{where}: {name!r} must be {_TYPE_NAMES[typ]}, not {row[name]!r}")
    if kind == "attention_bf16" and isinstance(row.get("backend"), str):
        params.append(("backend", row["backend"]))
    if len(errors) > count:
        return None
    return Measurement(kind, tuple(params), float(row[_TIME_KEY]), row=index, kernels=row.get("kernels", ""))


def parse_measurements(data: JsonValue, source: str = "<data>") -> MeasurementSet:
    """Validate a parsed measurement document and build its rows.

    Parameters
    ----------
    data : dict
        The JSON document.
    source : str
        Name used in messages and stored on every row.

    Raises
    ------
    CalibrationError
        Listing every problem: unknown top-level keys, a missing ``device`` or
        ``rows``, and per row an unknown kind, unknown or missing fields, a time
        without its unit, or a bad value -- each naming the row index.
    """
    if not isinstance(data, dict):
        raise CalibrationError(f"{source}: a measurement file must be a JSON object, not {type(data).__name__}")
    errors: list[str] = []
    for key in data:
        if key not in FILE_FIELDS:
            errors.append(f"unknown top-level field {key!r}; allowed: {', '.join(FILE_FIELDS)}")
    device = data.get("device")
    if not isinstance(device, str) or not device:
        errors.append(f"'device' must be a non-empty string, not {device!r}")
    rows = data.get("rows")
    built: list[Measurement] = []
    if not isinstance(rows, list) or not rows:
        errors.append(f"'rows' must be a non-empty list, not {rows!r}")
    else:
        for index, row in enumerate(rows):
            m = _check_row(index, row, errors)
            if m is not None:
                built.append(Measurement(m.kind, m.params, m.ms, source, index, m.kernels))
    if errors:
        head = f"{source}: {len(errors)} error{'s' if len(errors) > 1 else ''} in measurement file:"
        raise CalibrationError("\n  ".join([head] + errors))
    meta = tuple((k, data[k]) for k in FILE_FIELDS if k in data and k not in ("device", "rows"))
    return MeasurementSet(source, device, tuple(built), meta)


def load_measurements(path: str | os.PathLike[str]) -> MeasurementSet:
    """Read and validate a measurement file.

    Parameters
    ----------
    path : str or PathLike

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    CalibrationError
        If it is not JSON or does not follow the schema (see :func:`parse_measurements`).
    """
    name = os.fspath(path)
    try:  # no duplicate keys, NaN or out-of-range integers; the line of a fault and a file's encoding named
        data = load_json(read_text(name), name)
    except LoadError as exc:
        raise CalibrationError(f"{exc.source}: {exc.problem}" + (f" ({exc.where})" if exc.where else "")) from None
    return parse_measurements(data, source=os.path.basename(name))

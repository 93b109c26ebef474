"""Content hashes of design points: sha256 of canonical JSON.

A point's key covers everything its result depends on: the full
architecture (as :func:`accel.to_dict` writes it), the workload (its
canonical cascade YAML), the mapping options, the simulator and the tool
version.  Equal content gives an equal key on any machine, so a resumed or
re-run sweep finds what is already computed and never computes it twice.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

__all__ = ["canonical_json", "content_hash", "tool_version"]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot hash a non-finite number {value!r}")
        return int(value) if value.is_integer() else value
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    raise TypeError(f"cannot hash a {type(value).__name__}: {value!r}")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces, integral floats written as integers.

    Raises
    ------
    TypeError
        For a value that is not plain data (dict, list, str, number, bool, None).
    ValueError
        For NaN or infinity.
    """
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def content_hash(value: Any) -> str:
    """sha256 (hex) of :func:`canonical_json` of ``value``.

    Raises
    ------
    TypeError, ValueError
        As :func:`canonical_json`.
    """
    return hashlib.sha256(canonical_json(value).encode("ascii")).hexdigest()


def tool_version() -> str:
    """``'accel <version>'`` of the installed package (part of every key)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"accel {version('accel')}"
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "accel unknown"

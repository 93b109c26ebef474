"""Content hashes of design points: sha256 of canonical JSON.

A point's key covers everything its result depends on: the full
architecture (as :func:`accel.to_dict` writes it), the workload (its
canonical cascade YAML), the mapping options, the simulator and the tool
version together with a digest of the model packages' source
(:func:`source_digest`), so results computed by older code are never reused.  Equal content gives an equal key on any machine, so a resumed or
re-run sweep finds what is already computed and never computes it twice.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import math
from pathlib import Path

from accel.arch import YamlValue

__all__ = ["canonical_json", "content_hash", "source_digest", "tool_version", "MODEL_PACKAGES"]


def _plain(value: object) -> YamlValue:
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


def canonical_json(value: YamlValue) -> str:
    """JSON with sorted keys, no spaces, integral floats written as integers.

    Raises
    ------
    TypeError
        For a value that is not plain data (dict, list, str, number, bool, None).
    ValueError
        For NaN or infinity.
    """
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def content_hash(value: YamlValue) -> str:
    """sha256 (hex) of :func:`canonical_json` of ``value``.

    Raises
    ------
    TypeError, ValueError
        As :func:`canonical_json`.
    """
    return hashlib.sha256(canonical_json(value).encode("ascii")).hexdigest()


#: Packages whose files decide a design point's result (their source is part of every key).
MODEL_PACKAGES: tuple[str, ...] = ("accel", "dataflow", "mapping", "memory", "sim", "rtl")
#: Files of those packages that are hashed (code and the data it reads: example specs, tables).
_HASHED_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".csv")


@functools.lru_cache(maxsize=8)
def source_digest(packages: tuple[str, ...] = MODEL_PACKAGES) -> str:
    """sha256 (first 16 hex digits) of the model packages' source and data files.

    Every ``.py``, ``.yaml``, ``.json`` and ``.csv`` file under ``packages``
    (default :data:`MODEL_PACKAGES`; packages that cannot be found are skipped), by package-relative path and content, in sorted
    order; so an edit to the models changes every key and a resumed sweep
    recomputes what the edit could change instead of mixing old and new results.
    """
    h = hashlib.sha256()
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for root in sorted(spec.submodule_search_locations):
            base = Path(root)
            for path in sorted(base.rglob("*")):
                if path.suffix in _HASHED_SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
                    h.update(f"{name}/{path.relative_to(base).as_posix()}\0".encode())
                    h.update(path.read_bytes())
                    h.update(b"\0")
    return h.hexdigest()[:16]


def tool_version() -> str:
    """``'accel <version> src <digest>'``: the installed version and :func:`source_digest` (part of every key)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("accel")
    except PackageNotFoundError:  # running from a source tree that is not installed
        release = "unknown"
    return f"accel {release} src {source_digest()}"

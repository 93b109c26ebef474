"""Derive architecture variants by dotted path, for sweeps.

Paths name spec fields: ``clock_mhz``, ``pe_array.rows``, ``levels[1].capacity``,
``levels.scratchpad.capacity`` (a level by name), ``arith.kind``,
``vector_unit.lanes``; a whole section (``vector_unit``) or level
(``levels[0]``) may be replaced by a mapping.  The result is re-validated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .._types import JsonObject, YamlValue
from ._errors import SpecError
from ._factory import to_dict
from ._loader import _plain_copy, parse_architecture
from ._schema import LIST_SECTIONS, SECTIONS, TOP_FIELDS, allowed_keys
from ._types import Architecture

__all__ = ["derive"]

_PART = re.compile(r"^([A-Za-z_]\w*)(?:\[(\d+)\])?$")
_TOP_NAMES = tuple(f.name for f in TOP_FIELDS) + tuple(SECTIONS)
# Fields whose defaults follow ``arith.kind``: reset when the kind changes and they are not set too.
_KIND_DEPENDENT = ("input_format", "accumulate_format", "mantissa_bits")


class _PathError(Exception):
    pass


def _parts(path: str) -> list[tuple[str, int | None]]:
    if not isinstance(path, str) or not path:
        raise _PathError(f"a path must be a non-empty string, got {path!r}")
    out = []
    for part in path.split("."):
        m = _PART.match(part)
        if m is None:
            raise _PathError(f"malformed path segment {part!r}; expected name or name[index]")
        out.append((m.group(1), None if m.group(2) is None else int(m.group(2))))
    return out


def _assign(spec: JsonObject, path: str, value: YamlValue) -> tuple[str, str | None]:
    """Set ``value`` at ``path`` inside ``spec``; return (section, field) that changed."""
    parts = _parts(path)
    key, index = parts[0]
    rest = parts[1:]
    if key not in _TOP_NAMES:
        raise _PathError(f"unknown field {key!r}; allowed: {', '.join(sorted(_TOP_NAMES))}")
    if key not in SECTIONS:
        if index is not None or rest:
            raise _PathError(f"{key!r} is a plain field; it has no index or sub-fields")
        spec[key] = value
        return key, None
    fields = SECTIONS[key]
    if key in LIST_SECTIONS:
        items = spec[key]
        if index is None and rest:
            name = rest[0][0]
            if rest[0][1] is not None:
                raise _PathError(f"write levels[i].field or levels.<name>.field, not {path!r}")
            matches = [i for i, item in enumerate(items) if item.get("name") == name]
            if not matches:
                names = ", ".join(str(item.get("name")) for item in items)
                raise _PathError(f"no level named {name!r}; levels: {names}")
            index, rest = matches[0], rest[1:]
            if not rest:
                items[index] = value
                return key, None
        if index is None:
            spec[key] = value
            return key, None
        if index >= len(items):
            raise _PathError(f"index {index} is out of range; {key} has {len(items)} entries")
        if not rest:
            items[index] = value
            return key, None
        target = items[index]
    else:
        if index is not None:
            raise _PathError(f"{key!r} is not a list; it takes no index")
        if not rest:
            spec[key] = value
            return key, None
        target = spec.get(key)
        if target is None:
            raise _PathError(f"{key!r} is not present; set {key!r} to a mapping first")
    if len(rest) != 1 or rest[0][1] is not None:
        raise _PathError(f"too deep: fields of {key!r} are plain values")
    field = rest[0][0]
    if field not in {f.name for f in fields}:
        raise _PathError(f"{key!r} has no field {field!r}; allowed: {allowed_keys(fields)}")
    target[field] = value
    return key, field


def derive(arch: Architecture, changes: Mapping[str, YamlValue]) -> Architecture:
    """A copy of ``arch`` with fields changed by dotted path, re-validated.

    When ``arith.kind`` changes and ``arith.input_format``,
    ``arith.accumulate_format`` or ``arith.mantissa_bits`` are not changed with
    it, they return to the new kind's defaults.

    Parameters
    ----------
    arch : Architecture
        The starting point.
    changes : Mapping[str, YamlValue]
        ``{path: new value}``, applied in order; a value of ``None`` unsets an
        optional field.

    Raises
    ------
    SpecError
        Naming every unknown or malformed path, or (after applying them) every
        validation error of the resulting spec.
    """
    if not isinstance(changes, Mapping):
        raise TypeError(f"derive expects a mapping of path -> value, not {changes!r}")
    spec = to_dict(arch)
    errors: list[tuple[str, str]] = []
    touched: set[tuple[str, str | None]] = set()
    for path, value in changes.items():
        try:
            touched.add(_assign(spec, path, _plain_copy(value)))
        except _PathError as exc:
            errors.append((str(path), str(exc)))
    if errors:
        raise SpecError(errors, f"derive({arch.name!r})", what="derive paths")
    arith = spec.get("arith")
    if ("arith", "kind") in touched and isinstance(arith, dict):
        for name in _KIND_DEPENDENT:
            if ("arith", name) not in touched:
                arith.pop(name, None)
    return parse_architecture(spec, source=f"derive({arch.name!r})")

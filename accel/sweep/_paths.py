"""Which dotted paths a sweep axis may name, and near matches for a misspelt one.

Paths are those :func:`accel.derive` accepts: ``clock_mhz``,
``pe_array.rows``, ``levels.scratchpad.capacity`` (a level by name),
``levels[0].capacity`` (by index), ``arith.kind``, ``dram.bandwidth``.  The
list is read off the base architecture (:func:`accel.to_dict`); a path not in
it (an optional field left unset, such as ``arith.mantissa_bits``) is asked of
:func:`accel.derive` itself, so the architecture package stays the one judge.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accel.arch import Architecture

__all__ = ["known_paths", "path_error"]


def known_paths(arch: Architecture) -> tuple[str, ...]:
    """Every dotted path of a field set in ``arch``, in spec order.

    Parameters
    ----------
    arch : accel.Architecture
    """
    from accel import to_dict

    out: list[str] = []
    for key, value in to_dict(arch).items():
        if isinstance(value, dict):
            out.extend(f"{key}.{field}" for field in value)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                name = item.get("name")
                for field in item:
                    if name is not None:
                        out.append(f"{key}.{name}.{field}")
                    out.append(f"{key}[{i}].{field}")
        else:
            out.append(key)
    return tuple(out)


def _unknown_to_derive(arch: Architecture, path: str) -> str | None:
    """The message of :func:`accel.derive` when it rejects ``path`` itself (not its value)."""
    from accel import SpecError, derive

    try:
        derive(arch, {path: None})
    except SpecError as exc:
        if "derive paths" in str(exc).splitlines()[0]:
            return "; ".join(msg for p, msg in exc.errors if p == path) or str(exc)
        return None  # the path exists; None is just not a valid value there
    return None


def path_error(arch: Architecture, path: str) -> str | None:
    """``None`` when ``path`` names a field of ``arch``, else a message listing valid paths near it.

    Parameters
    ----------
    arch : accel.Architecture
        The sweep's base architecture.
    path : str
        A dotted path such as ``'pe_array.rows'``.
    """
    paths = known_paths(arch)
    if path in paths:
        return None
    reason = _unknown_to_derive(arch, path)
    if reason is None:
        return None
    near = difflib.get_close_matches(path, paths, n=5, cutoff=0.6)
    head = path.split(".")[0].split("[")[0]
    same_section = [p for p in paths if p.split(".")[0].split("[")[0] == head and p not in near]
    hint = near + same_section[: max(0, 6 - len(near))]
    listing = ", ".join(hint) if hint else ", ".join(paths[:12]) + (", ..." if len(paths) > 12 else "")
    return f"unknown dotted path {path!r} ({reason}); valid paths near it: {listing}"

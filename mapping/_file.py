"""Mapping files: :class:`Mapping` values as YAML, in the loop-nest form ``accel map`` prints.

A file holds one mapping per Einsum, each a loop nest written outermost
first, one entry per storage level (its temporal loops, outer to inner) and
the array's spatial loops just above the per-PE register file::

    mappings:
      - einsum: Z
        nest:
          - dram: {m: 2, n: 2}        # for m in [0:2) / for n in [0:2)
          - scratchpad: {}
          - spatial_rows: {k: 4}      # spatial_for k in [0:4) (rows)
          - spatial_cols: {n: 4}
          - rf: {m: 8}                # per PE

Loops of factor 1 may be left out (a level with no loops may be left out
altogether); ranks a level does not list come after the listed ones, in the
Einsum's rank order, where their factor 1 makes the order immaterial.
``unit`` (``pe_array`` or ``vector``) defaults to the Einsum's unit on the
architecture.  Level names are the architecture's (``accel map`` prints
them), outermost first.

The file is read with :func:`accel.arch.load_yaml` (no duplicate keys,
bounded aliases) and checked against each Einsum's :class:`Problem`: every
problem is collected and reported together with its place
(``mappings[0].nest[2].k``), then the :class:`Mapping` values are built.
Legality against the architecture (capacities, spatial fan-out, coverage of
the rank sizes) is :func:`check_mapping`'s, called by whoever prices them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping as MappingABC, Sequence

from accel.arch import LoadError, YamlValue, load_yaml, read_text

from ._errors import MappingError
from ._mapping import UNITS, Mapping
from ._problem import Problem

__all__ = ["MappingFileError", "dump_mappings", "load_mappings", "read_mappings", "write_mappings"]

_SPATIAL = ("spatial_rows", "spatial_cols")
_ENTRY_KEYS = ("einsum", "unit", "nest")


class MappingFileError(MappingError):
    """A mapping file that cannot be read as mappings of the workload on the architecture (exit 2)."""


def dump_mappings(mappings: Sequence[Mapping], header: str | None = None) -> str:
    """The YAML text of ``mappings`` (one entry per Einsum, in the given order).

    Parameters
    ----------
    mappings : sequence of Mapping
    header : str, optional
        A comment line written first (without the ``#``).

    Raises
    ------
    TypeError
        If an element is not a :class:`Mapping`.
    """
    lines = [f"# {header}"] if header else []
    lines.append("# loop nests, outermost level first (as `accel map` prints them); factor-1 loops left out")
    lines.append("mappings:")
    for m in mappings:
        if not isinstance(m, Mapping):
            raise TypeError(f"dump_mappings takes mapping.Mapping values, not {m!r}")
        lines += [f"  - einsum: {m.einsum}", f"    unit: {m.unit}", "    nest:"]
        for i in range(len(m.levels) - 1, -1, -1):
            if i == 0:
                for key, factors in (("spatial_rows", m.spatial_rows), ("spatial_cols", m.spatial_cols)):
                    lines.append(f"      - {key}: {_flow([(r, f) for r, f in zip(m.ranks, factors) if f > 1])}")
            row = dict(zip(m.ranks, m.temporal[i]))
            lines.append(f"      - {m.levels[i]}: {_flow([(r, row[r]) for r in m.orders[i] if row[r] > 1])}")
    return "\n".join(lines) + "\n"


def _flow(pairs: list[tuple[str, int]]) -> str:
    return "{" + ", ".join(f"{r}: {f}" for r, f in pairs) + "}"


def write_mappings(path: str | os.PathLike[str], mappings: Sequence[Mapping], header: str | None = None) -> None:
    """Write :func:`dump_mappings` of ``mappings`` to ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(dump_mappings(mappings, header))


def read_mappings(path: str | os.PathLike[str], problems: MappingABC[str, Problem]) -> dict[str, Mapping]:
    """:func:`load_mappings` of the file at ``path`` (messages name the file).

    Raises
    ------
    MappingFileError
        See :func:`load_mappings`.
    FileNotFoundError
        For a path that does not exist.
    """
    source = os.fspath(path)
    return load_mappings(read_text(path, source), problems, source)


def load_mappings(text: str, problems: MappingABC[str, Problem], source: str = "<string>") -> dict[str, Mapping]:
    """The mappings of a mapping file's text, by Einsum name, in the file's order.

    Parameters
    ----------
    text : str
        YAML text.
    problems : mapping of str to Problem
        Each Einsum that may be mapped (its ranks, levels and unit).
    source : str
        Name for messages (the file name).

    Raises
    ------
    MappingFileError
        Malformed YAML, an unknown or missing key, an Einsum not in
        ``problems`` or given twice, an unknown level or rank, a level out of
        the architecture's order or given twice, spatial loops anywhere but
        just above the register file, a factor that is not a positive
        integer; every problem found is listed, each with its place.
    """
    try:
        data = load_yaml(text, source)
    except LoadError as exc:
        raise MappingFileError(str(exc)) from None
    errors: list[str] = []
    out: dict[str, Mapping] = {}
    if not isinstance(data, dict) or set(data) != {"mappings"}:
        got = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise MappingFileError(f"{source}: a mapping file is a mapping with the one key 'mappings', not {got!r}")
    entries = data["mappings"]
    if not isinstance(entries, list) or not entries:
        raise MappingFileError(f"{source}: mappings: a non-empty list of mappings, one per Einsum, not {entries!r}")
    for i, entry in enumerate(entries):
        place = f"mappings[{i}]"
        mapping = _entry(entry, place, problems, errors)
        if mapping is None:
            continue
        if mapping.einsum in out:
            errors.append(f"{place}.einsum: {mapping.einsum!r} is mapped twice")
            continue
        out[mapping.einsum] = mapping
    if errors:
        listing = "\n  ".join(errors)
        raise MappingFileError(f"{source}: {len(errors)} problem(s):\n  {listing}")
    return out


def _entry(entry: YamlValue, place: str, problems: MappingABC[str, Problem], errors: list[str]) -> Mapping | None:
    if not isinstance(entry, dict):
        errors.append(f"{place}: a mapping with keys einsum, nest (and unit), not {entry!r}")
        return None
    unknown = [k for k in entry if k not in _ENTRY_KEYS]
    for key in unknown:
        errors.append(f"{place}.{key}: unknown key; allowed: {', '.join(_ENTRY_KEYS)}")
    missing = [k for k in ("einsum", "nest") if k not in entry]
    for key in missing:
        errors.append(f"{place}.{key}: missing")
    if missing:
        return None
    name = entry["einsum"]
    if not isinstance(name, str) or name not in problems:
        errors.append(f"{place}.einsum: {name!r} is not an Einsum of the workload; Einsums: {', '.join(problems)}")
        return None
    p = problems[name]
    unit = entry.get("unit", p.unit)
    if unit not in UNITS:
        errors.append(f"{place}.unit: one of {', '.join(UNITS)}, not {unit!r}")
        return None
    if unit != p.unit:
        errors.append(f"{place}.unit: Einsum {name!r} runs on the {p.unit!r} of this architecture, not {unit!r}")
        return None
    nest = entry["nest"]
    if not isinstance(nest, list):
        errors.append(f"{place}.nest: a list of one-key entries (a level or spatial_rows / spatial_cols), not {nest!r}")
        return None
    levels = p.level_names  # innermost first
    outer_first = list(reversed(levels))
    temporal = {lv: {} for lv in levels}
    orders = {lv: [] for lv in levels}
    spatial: dict[str, dict[str, int]] = {k: {} for k in _SPATIAL}
    before = len(errors)
    seen: list[str] = []
    for j, item in enumerate(nest):
        where = f"{place}.nest[{j}]"
        if not isinstance(item, dict) or len(item) != 1:
            errors.append(f"{where}: one key (a level of {', '.join(outer_first)}, or spatial_rows / spatial_cols), "
                          f"not {item!r}")
            continue
        (key, loops), = item.items()
        if key in seen:
            errors.append(f"{where}: {key!r} is given twice")
            continue
        if key in _SPATIAL:
            if levels[0] in seen:
                errors.append(f"{where}: {key} comes after {levels[0]!r}; the spatial loops sit just above the "
                              f"per-PE level {levels[0]!r}")
        elif key in levels:
            rank_of = outer_first.index(key)
            later = [s for s in seen if s in levels and outer_first.index(s) > rank_of]
            if later:
                errors.append(f"{where}: level {key!r} comes after {later[0]!r}; levels go outermost first: "
                              f"{', '.join(outer_first)}")
            if key != levels[0] and any(s in _SPATIAL for s in seen):
                errors.append(f"{where}: level {key!r} comes after the spatial loops; only {levels[0]!r} sits below them")
        else:
            errors.append(f"{where}: unknown level {key!r}; levels (outermost first): {', '.join(outer_first)}, "
                          f"and spatial_rows / spatial_cols")
            continue
        seen.append(key)
        factors = _loops(loops, f"{where}.{key}", p, errors)
        if key in _SPATIAL:
            spatial[key] = factors
        else:
            temporal[key] = factors
            orders[key] = list(factors)
    if len(errors) > before:
        return None

    def vec(d: dict[str, int]) -> tuple[int, ...]:
        return tuple(d.get(r, 1) for r in p.ranks)

    try:
        return Mapping(
            name, p.ranks, levels, [vec(temporal[lv]) for lv in levels],
            [tuple(orders[lv] + [r for r in p.ranks if r not in orders[lv]]) for lv in levels],
            vec(spatial["spatial_rows"]), vec(spatial["spatial_cols"]), unit,
        )
    except MappingError as exc:  # the checks above leave none; kept so a message is never a traceback
        errors.append(f"{place}: {exc}")
        return None


def _loops(loops: YamlValue, where: str, p: Problem, errors: list[str]) -> dict[str, int]:
    if loops is None:
        return {}
    if not isinstance(loops, dict):
        errors.append(f"{where}: loops as {{rank: factor, ...}} (outer to inner), not {loops!r}")
        return {}
    out: dict[str, int] = {}
    for rank, factor in loops.items():
        if rank not in p.ranks:
            errors.append(f"{where}.{rank}: unknown rank; Einsum {p.einsum!r} has ranks {', '.join(p.ranks)}")
        elif isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
            errors.append(f"{where}.{rank}: a factor is a positive integer, not {factor!r}")
        else:
            out[rank] = factor
    return out

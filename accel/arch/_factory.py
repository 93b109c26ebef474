"""Build frozen dataclasses from a validated spec, and turn them back into plain data."""

from __future__ import annotations

from .._types import JsonObject, YamlValue
from ._schema import SECTIONS, TOP_FIELDS, Field
from ._compute import ArithmeticUnit, VectorUnit
from ._types import DRAM, Architecture, MemoryLevel, PEArray, RegisterFile

__all__ = ["build_architecture", "to_dict"]


def build_architecture(spec: dict[str, YamlValue]) -> Architecture:
    """Turn a spec normalized by ``accel._validate.validate_spec`` into an :class:`Architecture`.

    Parameters
    ----------
    spec : dict
        Output of ``validate_spec`` (defaults filled, lists as tuples).
    """
    vu = spec.get("vector_unit")
    return Architecture(
        name=spec["name"],
        description=spec["description"],
        clock_mhz=spec["clock_mhz"],
        technology_nm=spec["technology_nm"],
        pe_array=PEArray(**spec["pe_array"]),
        register_file=RegisterFile(**spec["register_file"]),
        levels=tuple(MemoryLevel(**lvl) for lvl in spec["levels"]),
        dram=DRAM(**spec["dram"]),
        arith=ArithmeticUnit(**spec["arith"]),
        vector_unit=None if vu is None else VectorUnit(**vu),
    )


def _plain(fields: tuple[Field, ...], obj: object) -> JsonObject:
    out: JsonObject = {}
    for f in fields:
        v = getattr(obj, f.name)
        if v is None:
            continue  # "not set" is written as an absent key
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out


def to_dict(arch: Architecture) -> JsonObject:
    """The spec of ``arch`` as plain data (dicts, lists, numbers, strings).

    Every field is written explicitly (defaults included), in spec order, so
    ``parse_architecture(to_dict(arch)) == arch``.

    Parameters
    ----------
    arch : Architecture
    """
    out = _plain(TOP_FIELDS, arch)
    for name, fields in SECTIONS.items():
        value = getattr(arch, name)
        if value is None:
            continue
        out[name] = [_plain(fields, v) for v in value] if isinstance(value, tuple) else _plain(fields, value)
    return out

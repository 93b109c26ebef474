"""The area model of a design point, computed once per design when the sweep is planned.

Area = MAC area x MACs (PEs x MACs per PE per cycle) + register-file area x
PEs + SRAM area of every on-chip level + vector-unit lanes, as
:func:`accel.area_table` sums it; wires, control and the network are not
counted.  Each piece comes from the most accurate estimator registered:

* ``area: table`` (default): the built-in Horowitz 45 nm table, scaled to the node;
* ``area: rtl``: the MACs the sweep uses are synthesized from this project's
  RTL with Yosys (:func:`rtl.synth.area_table`, once per sweep, a few seconds
  per unit) and :class:`rtl.synth.RTLSynthesisEstimator` answers for them
  (45 nm only: INT8, FP8 and L-Mul MACs); everything else falls back to the table.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import Any

__all__ = ["AREA_MODELS", "area_registry", "design_area"]

#: Area models a spec may choose.
AREA_MODELS: tuple[str, ...] = ("table", "rtl")


def _rtl_units(archs: Iterable[Any]) -> list[tuple[str, dict[str, object]]]:
    units: dict[str, tuple[str, dict[str, object]]] = {}
    for arch in archs:
        a = arch.arith
        if arch.technology_nm != 45:
            continue
        if a.kind == "int8_mac":
            units["int8_mac"] = ("int8_mac", {})
        elif a.kind in ("fp8_mac", "lmul") and a.input_format in ("e4m3", "e5m2") and a.accumulate_format in ("fp32", "fp16", "bf16"):
            unit = "fp8_mac" if a.kind == "fp8_mac" else "lmul_mac"
            units[f"{unit}/{a.input_format}/{a.accumulate_format}"] = (unit, {"fmt": a.input_format, "accumulator": a.accumulate_format})
    return list(units.values())


def area_registry(model: str, archs: Iterable[Any]) -> Any:
    """The estimator registry of area ``model`` for the architectures ``archs``.

    Parameters
    ----------
    model : str
        ``'table'`` or ``'rtl'``.
    archs : iterable of accel.Architecture
        The sweep's design points (``'rtl'`` synthesizes the MACs they use).

    Raises
    ------
    ValueError
        For an unknown model.
    """
    from accel import default_registry

    if model not in AREA_MODELS:
        raise ValueError(f"area model must be one of {AREA_MODELS!r}, not {model!r}")
    if model == "table":
        return default_registry()
    from rtl.synth import area_table, rtl_registry

    units = _rtl_units(archs)
    if not units:
        return default_registry()
    with tempfile.TemporaryDirectory(prefix="accel-sweep-synth-") as work:
        return rtl_registry(area_table(units, workdir=work))


def design_area(arch: Any, registry: Any) -> tuple[tuple[str, float], ...]:
    """``(component, mm^2)`` pairs of ``arch`` (``mac``, ``rf``, each level, ``vector``) and their estimators.

    Raises
    ------
    accel.NoEstimateError
        If no registered estimator answers for a component.
    """
    from accel import area_table

    return tuple((e.key, e.um2 / 1e6) for e in area_table(arch, registry).entries)

"""The area model of a design point, computed once per design when the sweep is planned.

Area = MAC area x MACs (PEs x MACs per PE per cycle) + register-file area x
PEs + SRAM area of every on-chip level + vector-unit lanes, as
:func:`accel.area_table` sums it; wires and the network are not counted.
Each piece comes from the most accurate estimator registered:

* ``area: table`` (default): the built-in Horowitz 45 nm table, scaled to the node;
* ``area: rtl``: this project's RTL synthesized with Yosys
  (:class:`rtl.synth.RTLSynthesisEstimator` over a :class:`rtl.synth.SynthCache`).
  For an array the generator builds (systolic, output- or weight-stationary,
  INT8, FP8 or L-Mul), the PE array is one piece: rows x cols of the
  generated PE at the architecture's ``arith.pipeline_depth`` (MAC,
  pipeline, accumulator and operand registers; a result register where the
  register file holds two accumulator words), in place of the MAC and
  register-file pieces; otherwise the MAC unit at its depth. The 45 nm
  gate-equivalent area is scaled to the architecture's ``technology_nm`` as
  the table's area is (Stillmaker & Baas, 7-180 nm); everything else falls
  back to the table. Each unit is synthesized once (a
  few seconds) and kept in the cache folder, ``build/synth-cache`` by
  default, so a later sweep reads it back.

With ``area: rtl`` a sweep also carries the FPGA resources of the
synthesized PE array (:func:`design_fpga`: rows x cols of the generated PE
after Yosys's ``synth_ecp5`` or ``synth_ice40``, the spec's ``fpga``, from
the same cache) as ``fpga.luts``, ``fpga.carries``, ``fpga.ffs``,
``fpga.dsps`` and ``fpga.brams`` result columns; none for a design whose
array the generator does not build.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

__all__ = ["AREA_MODELS", "FPGA_TARGETS", "area_registry", "design_area", "design_fpga"]

#: Area models a spec may choose.
AREA_MODELS: tuple[str, ...] = ("table", "rtl")
#: FPGA families whose resources an ``area: rtl`` sweep reports (as :data:`rtl.synth.FPGA_TARGETS`).
FPGA_TARGETS: tuple[str, ...] = ("ecp5", "ice40")


def area_registry(model: str, archs: Iterable[Any] = (), cache_dir: str | os.PathLike[str] | None = None) -> Any:
    """The estimator registry of area ``model``.

    Parameters
    ----------
    model : str
        ``'table'`` or ``'rtl'``.
    archs : iterable of accel.Architecture
        The sweep's design points: ``'rtl'`` synthesizes here what they use
        (the rest on first request).
    cache_dir : str or path-like, optional
        ``'rtl'``: the synthesis cache folder (default ``build/synth-cache``
        under the working directory).

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
    from rtl.synth import DEFAULT_CACHE_DIR, SynthCache, rtl_registry

    registry = rtl_registry(SynthCache(DEFAULT_CACHE_DIR if cache_dir is None else cache_dir))
    for arch in archs:
        design_area(arch, registry)
    return registry


def design_area(arch: Any, registry: Any) -> tuple[tuple[str, float], ...]:
    """``(component, mm^2)`` pairs of ``arch`` (``pe_array`` or ``mac`` and ``rf``, each level, ``vector``).

    Raises
    ------
    accel.NoEstimateError
        If no registered estimator answers for a component.
    """
    from accel import area_table

    return tuple((e.key, e.um2 / 1e6) for e in area_table(arch, registry).entries)


def design_fpga(arch: Any, registry: Any, target: str) -> tuple[tuple[str, int], ...]:
    """``(resource, count)`` pairs of ``arch``'s synthesized PE array on ``target`` (``'ecp5'`` or ``'ice40'``).

    Resources as :data:`rtl.synth.FPGA_RESOURCES`, for rows x cols PEs; empty
    where ``registry`` has no synthesis cache or the generator builds no such
    array (a flexible dataflow, an unbuilt format).

    Raises
    ------
    ValueError
        For an unknown target.
    rtl.synth.SynthesisError
        Yosys failed.
    """
    from accel import Component
    from rtl.synth import RTLSynthesisEstimator

    if target not in FPGA_TARGETS:
        raise ValueError(f"FPGA target must be one of {FPGA_TARGETS!r}, not {target!r}")
    estimators = [e for e in registry.estimators if isinstance(e, RTLSynthesisEstimator)]
    if not estimators:
        return ()
    a, rf, pe = arch.arith, arch.register_file, arch.pe_array
    mac: dict[str, Any] = dict(kind=a.kind, input_format=a.input_format, accumulate_format=a.accumulate_format,
                               pipeline_depth=a.pipeline_depth, technology_nm=arch.technology_nm)
    if a.mantissa_bits is not None:
        mac["mantissa_bits"] = a.mantissa_bits
    # The component accel.area_table asks the registry about, so the PE is the one the area prices.
    array = Component.of("pe_array", rows=pe.rows, cols=pe.cols, dataflow=pe.dataflow, network=pe.network,
                         hop_latency=pe.hop_latency, macs_per_cycle=a.macs_per_cycle, rf_capacity=rf.capacity,
                         rf_word_bits=rf.word_bits, rf_holds_output=any(h in ("output", "any") for h in rf.holds), **mac)
    counts = estimators[0].fpga_resources(array, target)
    return () if counts is None else tuple(counts.items())

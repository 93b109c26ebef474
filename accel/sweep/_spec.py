"""The sweep spec: parse (:func:`accel.arch.load_yaml`), validate (collect every error), build frozen types.

A spec (see ``examples/sweeps/*.yaml``)::

    name: fp8_vs_lmul
    base: edge                      # built-in architecture or a YAML path (relative to the spec)
    set: {clock_mhz: 500}           # optional fixed changes applied to the base
    workloads:
      - attention_2pass             # a built-in workload with its defaults
      - {name: attention_2pass, params: {M: 256}}
      - {file: my_cascade.yaml}
    axes:
      pe_array.rows: [8, 16, 32]
      levels.scratchpad.capacity: {range: [16384, 262144], scale: log, integer: true, steps: 3}
      unit:                         # a linked axis: every value sets several paths
        - {label: int8, arith.kind: int8_mac}
        - {label: lmul, arith.kind: lmul, arith.mantissa_bits: 3}
    sampling: {method: grid}        # or {method: random|lhs, samples: 100, seed: 0}
    mapping: {mapper: search, objective: edp, samples: 2000, seed: 0, schedule: none}
                                    # schedule: greedy-belady|greedy-lru|divide|ilp keeps tensors on chip (COSMA)
    simulator: analytical           # or cycle: the SimPy cycle-level simulator (small sweeps)
    area: table                     # or rtl: MAC area from Yosys synthesis of the project's RTL
    fpga: ecp5                      # area: rtl only: the PE array's FPGA resources (ecp5 or ice40) as columns
    objectives: [latency, energy, area]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
import math

import yaml

from accel.arch import Architecture, LoadError, YamlScalar, YamlValue, load_yaml, read_text

from ._area import AREA_MODELS, FPGA_TARGETS
from ._axes import SCALES, Axis
from ._errors import SweepSpecError
from ._options import MappingOptions, WorkloadSpec, build_workload, mapping_options
from ._paths import path_error
from ._sampling import METHODS, DesignPoint, sample

__all__ = ["SweepSpec", "Sampling", "load_spec", "parse_spec", "OBJECTIVES", "SIMULATORS"]

#: Metrics a Pareto front may minimise.
OBJECTIVES: tuple[str, ...] = ("latency", "energy", "area", "edp")
#: Models a point may be evaluated with.
SIMULATORS: tuple[str, ...] = ("analytical", "cycle")
_KEYS = ("name", "description", "base", "set", "workloads", "axes", "sampling", "mapping", "simulator", "area", "fpga", "objectives")
_SAMPLING_KEYS = ("method", "samples", "seed")
_RANGE_KEYS = ("range", "scale", "integer", "steps")
#: Most design points a sweep may have (grid points, or random / Latin-hypercube samples): counted, never listed.
MAX_POINTS = 100_000
#: Largest magnitude of a range bound: 2**53 (what the models compute exactly).
_MAX_BOUND = 2.0**53


@dataclass(frozen=True)
class Sampling:
    """How design points are drawn: ``method`` (grid, random, lhs), ``samples`` and ``seed``."""

    method: str = "grid"
    samples: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep.

    Parameters
    ----------
    name : str
    base : accel.Architecture
        The base architecture, with ``set`` already applied.
    workloads : tuple of WorkloadSpec
    axes : tuple of Axis
    sampling : Sampling
    mapping : MappingOptions
    simulator : str
    objectives : tuple of str
    description : str
    area : str
        Area model, ``'table'`` or ``'rtl'`` (see :mod:`accel.sweep._area`).
    fpga : str
        With ``area: rtl``, the FPGA family whose resources of the
        synthesized PE array become result columns (``'ecp5'``, default, or ``'ice40'``).
    data : dict
        The spec as plain data (what the store keeps, to resume from).
    """

    name: str
    base: Architecture
    workloads: tuple[WorkloadSpec, ...]
    axes: tuple[Axis, ...]
    sampling: Sampling
    mapping: MappingOptions
    simulator: str
    objectives: tuple[str, ...]
    description: str = ""
    data: YamlValue = None
    area: str = "table"
    fpga: str = "ecp5"

    def designs(self) -> tuple[DesignPoint, ...]:
        """The sampled design points (deterministic for a given spec)."""
        return sample(self.axes, self.sampling.method, self.sampling.samples, self.sampling.seed)


class _Collector:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append((path, message))


def _unknown(c: _Collector, where: str, data: Mapping[YamlScalar, YamlValue], allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            c.add(f"{where}.{key}" if where else str(key), f"unknown key {key!r}; allowed: {', '.join(allowed)}")


def _base(c: _Collector, data: Mapping[YamlScalar, YamlValue], base_dir: Path) -> Architecture | None:
    from accel import builtin_architectures, derive, load_architecture

    base = data.get("base")
    if not isinstance(base, str) or not base:
        c.add("base", f"required: a built-in architecture ({', '.join(builtin_architectures())}) or a YAML path, not {base!r}")
        return None
    ref = base if base in builtin_architectures() else str((base_dir / base))
    try:
        arch = load_architecture(ref)
    except (ValueError, FileNotFoundError, OSError) as exc:
        c.add("base", str(exc))
        return None
    fixed = data.get("set") or {}
    if not isinstance(fixed, Mapping):
        c.add("set", f"must be a mapping of dotted path -> value, not {fixed!r}")
        return arch
    for path in fixed:
        msg = path_error(arch, str(path))
        if msg:
            c.add(f"set.{path}", msg)
    if fixed and not any(p.startswith("set.") for p, _ in c.errors):
        try:
            arch = derive(arch, dict(fixed))
        except ValueError as exc:
            c.add("set", str(exc))
    return arch


def _axis(c: _Collector, name: str, raw: YamlValue, base: Architecture) -> Axis | None:
    where = f"axes.{name}"
    if isinstance(raw, Mapping):
        _unknown(c, where, raw, _RANGE_KEYS)
        rng = raw.get("range")
        if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rng)):
            c.add(where, f"a range axis needs range: [low, high] of numbers, not {rng!r}")
            return None
        if not all(math.isfinite(v) and abs(v) <= _MAX_BOUND for v in rng):
            c.add(f"{where}.range", f"bounds must be finite numbers of magnitude at most 2**53, not {rng!r}")
            return None
        steps = raw.get("steps")
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_POINTS):
            c.add(f"{where}.steps", f"must be an integer from 1 to {MAX_POINTS:,}, not {steps!r}")
            return None
        if not isinstance(raw.get("integer", False), bool):
            c.add(f"{where}.integer", f"must be true or false, not {raw.get('integer')!r}")
            return None
        if not isinstance(raw.get("scale", "linear"), str) or raw.get("scale", "linear") not in SCALES:
            c.add(f"{where}.scale", f"must be one of {', '.join(SCALES)}, not {raw.get('scale')!r}")
            return None
        msg = path_error(base, name)
        if msg:
            c.add(where, msg)
            return None
        try:
            return Axis(name, low=float(rng[0]), high=float(rng[1]), scale=raw.get("scale", "linear"),
                        integer=bool(raw.get("integer", False)), steps=steps)
        except ValueError as exc:
            c.add(where, str(exc))
            return None
    if not isinstance(raw, list):
        c.add(where, f"must be a list of values or a mapping with 'range', not {raw!r}")
        return None
    if not raw:
        c.add(where, "empty axis: give at least one value")
        return None
    if all(isinstance(v, Mapping) for v in raw):
        values, labels = [], []
        for i, item in enumerate(raw):
            if "label" in item and not isinstance(item["label"], (str, int, float)):
                c.add(f"{where}[{i}].label", f"must be a string, not {item['label']!r}")
                continue
            pairs = tuple((str(k), v) for k, v in item.items() if k != "label")
            if not pairs:
                c.add(f"{where}[{i}]", f"a linked value must set at least one dotted path, not {dict(item)!r}")
                continue
            for path, _ in pairs:
                msg = path_error(base, path)
                if msg:
                    c.add(f"{where}[{i}].{path}", msg)
            values.append(pairs)
            labels.append(str(item.get("label", ",".join(f"{k}={v}" for k, v in pairs))))
        return Axis(name, values=tuple(values), labels=tuple(labels)) if len(values) == len(raw) else None
    if any(isinstance(v, Mapping) for v in raw):
        c.add(where, "values must be all plain values or all mappings (a linked axis), not a mix")
        return None
    msg = path_error(base, name)
    if msg:
        c.add(where, msg)
        return None
    return Axis(name, values=tuple(raw))


def _check_designs(c: _Collector, axes: list[Axis], base: Architecture, designs: tuple[DesignPoint, ...]) -> None:
    """Report every axis value that gives an invalid architecture in every design point it appears in.

    A value valid in some combinations only (an L-Mul mantissa width with one
    input format but not another) is not an error: those design points are
    recorded as ``'invalid'`` with the reason when the sweep runs.
    """
    from accel import SpecError, derive

    valid: dict[tuple[str, str], bool] = {}
    reason: dict[tuple[str, str], str] = {}
    for design in designs:
        try:
            derive(base, dict(design.changes))
            ok, why = True, ""
        except SpecError as exc:
            ok, why = False, "; ".join(f"{p}: {m}" for p, m in exc.errors)
        for name, label in design.labels:
            key = (name, repr(label))
            valid[key] = valid.get(key, False) or ok
            if not ok:
                reason.setdefault(key, why)
    for (name, label), ok in valid.items():
        if not ok:
            c.add(f"axes.{name}", f"value {label} gives an invalid architecture in every design point: {reason[(name, label)]}")


def _sampling(c: _Collector, raw: YamlValue) -> Sampling:
    if raw is None:
        return Sampling()
    if isinstance(raw, str):
        raw = {"method": raw}
    if not isinstance(raw, Mapping):
        c.add("sampling", f"must be a mapping with method (and samples, seed), not {raw!r}")
        return Sampling()
    _unknown(c, "sampling", raw, _SAMPLING_KEYS)
    method = raw.get("method", "grid")
    if not isinstance(method, str) or method not in METHODS:
        c.add("sampling.method", f"must be one of {', '.join(METHODS)}, not {method!r}")
        return Sampling()
    samples, seed = raw.get("samples"), raw.get("seed")
    if method != "grid":
        if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= MAX_POINTS:
            c.add("sampling.samples", f"{method} sampling needs samples: an integer from 1 to {MAX_POINTS:,}, not {samples!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            c.add("sampling.seed", f"{method} sampling needs an explicit seed: an integer >= 0, not {seed!r}")
    return Sampling(method, samples, seed)


def parse_spec(data: str | YamlValue, source: str = "<string>", base_dir: str | Path = ".") -> SweepSpec:
    """Validate a sweep spec (YAML text or parsed data) and build a :class:`SweepSpec`.

    Parameters
    ----------
    data : str or mapping
        YAML text or the parsed mapping.
    source : str
        Name for messages.
    base_dir : str or Path
        Directory that relative ``base`` and workload ``file`` paths are relative to.

    Raises
    ------
    SweepSpecError
        Listing every problem: unknown keys, unknown dotted paths (with valid
        paths near them), empty axes, bad values, unknown workloads.
    """
    if isinstance(data, str):
        try:
            data = load_yaml(data, source)
        except LoadError as exc:
            raise SweepSpecError([(exc.where, exc.problem.replace("malformed YAML:", "not valid YAML:", 1))], source) from None
    if not isinstance(data, Mapping):
        what = "the file is empty" if data is None else f"a sweep spec must be a mapping, not {data!r}"
        raise SweepSpecError([("<top>", f"{what}; a sweep spec is a mapping with {', '.join(_KEYS[:1] + _KEYS[2:6])}, ...")],
                             source)
    c = _Collector()
    _unknown(c, "", data, _KEYS)
    name = data.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        c.add("name", f"required: an identifier, not {name!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        c.add("description", f"must be a string, not {description!r}")
    base = _base(c, data, Path(base_dir))
    workloads: list[WorkloadSpec] = []
    raw_wl = data.get("workloads")
    if not isinstance(raw_wl, list) or not raw_wl:
        c.add("workloads", f"required: a non-empty list of workloads, not {raw_wl!r}")
    else:
        for i, item in enumerate(raw_wl):
            try:
                workloads.append(build_workload(item, Path(base_dir)))
            except (ValueError, TypeError, FileNotFoundError) as exc:
                c.add(f"workloads[{i}]", str(exc))
        labels = [w.label for w in workloads]
        for dup in sorted({lb for lb in labels if labels.count(lb) > 1}):
            c.add("workloads", f"workload {dup!r} is listed twice")
    axes: list[Axis] = []
    raw_axes = data.get("axes")
    if not isinstance(raw_axes, Mapping) or not raw_axes:
        c.add("axes", f"required: a mapping of dotted path (or label) -> values or range, not {raw_axes!r}")
    elif base is not None:
        for axis_name, raw in raw_axes.items():
            n_err = len(c.errors)
            axis = _axis(c, str(axis_name), raw, base)
            if axis is not None and len(c.errors) == n_err:
                axes.append(axis)
    sampling = _sampling(c, data.get("sampling"))
    if sampling.method == "grid":
        for axis in axes:
            if axis.is_range and axis.steps is None:
                c.add(f"axes.{axis.name}", "a range axis needs 'steps' for grid sampling")
        if axes and not c.errors:
            count = math.prod(axis.steps if axis.is_range else len(axis.values) for axis in axes)
            if count > MAX_POINTS:
                c.add("axes", f"the grid has {count:,} design points (the product of the axes' sizes); at most "
                              f"{MAX_POINTS:,}: use fewer values, or sampling: {{method: random, samples: N, seed: S}}")
    if axes and not c.errors:
        _check_designs(c, axes, base, sample(axes, sampling.method, sampling.samples, sampling.seed))
    try:
        mapping = mapping_options(data.get("mapping"))
    except ValueError as exc:
        c.add("mapping", str(exc))
        mapping = mapping_options(None)
    simulator = data.get("simulator", "analytical")
    if not isinstance(simulator, str) or simulator not in SIMULATORS:
        c.add("simulator", f"must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    area = data.get("area", "table")
    if not isinstance(area, str) or area not in AREA_MODELS:
        c.add("area", f"must be one of {', '.join(AREA_MODELS)}, not {area!r}")
    fpga = data.get("fpga", "ecp5")
    if not isinstance(fpga, str) or fpga not in FPGA_TARGETS:
        c.add("fpga", f"must be one of {', '.join(FPGA_TARGETS)}, not {fpga!r}")
    elif "fpga" in data and area != "rtl":
        c.add("fpga", "needs `area: rtl` (the resources come from the synthesized PE array)")
    objectives = data.get("objectives", ["latency", "energy", "area"])
    if (not isinstance(objectives, list) or len(objectives) < 2
            or any(not isinstance(o, str) or o not in OBJECTIVES for o in objectives)):
        c.add("objectives", f"must be a list of two or more of {', '.join(OBJECTIVES)}, not {objectives!r}")
        objectives = ["latency", "energy", "area"]
    else:
        for dup in sorted({o for o in objectives if objectives.count(o) > 1}):
            c.add("objectives", f"objective {dup!r} is listed twice")
    if c.errors:
        raise SweepSpecError(c.errors, source)
    plain = yaml.safe_load(yaml.safe_dump(dict(data), sort_keys=False))
    return SweepSpec(name, base, tuple(workloads), tuple(axes), sampling, mapping, simulator, tuple(objectives),
                     description, plain, area, fpga)


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate the sweep spec at ``path`` (relative paths inside are relative to its folder).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    SweepSpecError
        As :func:`parse_spec`.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no sweep spec {str(path)!r}")
    try:
        text = read_text(p, str(path))
    except LoadError as exc:
        raise SweepSpecError([(exc.where, exc.problem)], str(path)) from None
    return parse_spec(text, source=str(path), base_dir=p.parent)

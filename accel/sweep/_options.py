"""The two smaller parts of a sweep spec: mapping options and workloads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from accel.arch import JsonObject, YamlValue
from accel.errors import BadInputError

# The vocabularies come from the packages that own them (one definition each).
from mapping import OBJECTIVES as MAP_OBJECTIVES  # what the mapper minimises per Einsum
from mapping.cosma import METHODS as _SCHEDULE_METHODS
from mapping.search import FUSION_MODES, MAPPERS, SOLVERS

if TYPE_CHECKING:
    from dataflow import Cascade

__all__ = ["MappingOptions", "WorkloadSpec", "mapping_options", "build_workload", "MAPPERS", "MAP_OBJECTIVES", "SOLVERS",
           "SCHEDULES"]

#: How the cascade is scheduled on the outermost on-chip level (``mapping.cosma``), or ``'none'``.
SCHEDULES: tuple[str, ...] = ("none", *_SCHEDULE_METHODS)
_KEYS = ("mapper", "objective", "solver", "time_limit", "samples", "seed", "schedule", "fusion")
#: Most mappings the search may draw per Einsum, and the longest ILP time limit (seconds).
MAX_SAMPLES = 1_000_000
MAX_TIME_LIMIT = 86_400.0


class SweepSpecValueError(BadInputError):
    """One bad value in a part of a sweep spec (the spec's collector names where)."""


@dataclass(frozen=True)
class MappingOptions:
    """How every Einsum of every design point is mapped (part of each point's content hash).

    Parameters
    ----------
    mapper : str
        ``'search'`` (seeded random search) or ``'ilp'``.
    objective : str
        ``'edp'``, ``'latency'`` or ``'energy'``.
    solver : str
        ILP solver, ``'cbc'`` or ``'highs'``.
    time_limit : float
        Seconds per ILP solve.
    samples : int
        Mappings drawn per Einsum by the search.
    seed : int
        Seed of the search.
    schedule : str
        ``'none'`` (every Einsum reads its inputs from DRAM and writes its
        outputs there) or a COSMA method (``'greedy-belady'``,
        ``'greedy-lru'``, ``'divide'``, ``'ilp'``: the last two with
        ``solver`` and ``time_limit``) scheduling the cascade on the
        outermost on-chip level; both simulators then price what it keeps
        on chip, loads, stores and spills.
    fusion : str
        ``'none'`` or ``'auto'``: the fusion search groups Einsums under shared loops with tiles on chip
        (:func:`accel.pipeline.run` with ``fusion='auto'``; it takes ``schedule: none`` and the analytical model).
    """

    mapper: str = "search"
    objective: str = "edp"
    solver: str = "highs"
    time_limit: float = 10.0
    samples: int = 2000
    seed: int = 0
    schedule: str = "none"
    fusion: str = "none"

    def to_dict(self) -> JsonObject:
        """Plain data (JSON-ready)."""
        return asdict(self)


def mapping_options(raw: YamlValue) -> MappingOptions:
    """Validate the ``mapping`` section of a spec.

    Raises
    ------
    ValueError
        For an unknown key or value, naming it.
    """
    if raw is None:
        return MappingOptions()
    if not isinstance(raw, Mapping):
        raise SweepSpecValueError(f"must be a mapping of options ({', '.join(_KEYS)}), not {raw!r}")
    bad = [k for k in raw if k not in _KEYS]
    if bad:
        raise SweepSpecValueError(f"unknown key {bad[0]!r}; allowed: {', '.join(_KEYS)}")
    opts = {**MappingOptions().to_dict(), **raw}
    for key, allowed in (("mapper", MAPPERS), ("objective", MAP_OBJECTIVES), ("solver", SOLVERS), ("schedule", SCHEDULES),
                         ("fusion", FUSION_MODES)):
        if not isinstance(opts[key], str) or opts[key] not in allowed:
            raise SweepSpecValueError(f"{key} must be one of {', '.join(allowed)}, not {opts[key]!r}")
    for key, low, high in (("samples", 1, MAX_SAMPLES), ("seed", 0, 2**63 - 1)):
        v = opts[key]
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise SweepSpecValueError(f"{key} must be an integer from {low} to {high:,}, not {v!r}")
    t = opts["time_limit"]
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 < t <= MAX_TIME_LIMIT:
        raise SweepSpecValueError(f"time_limit must be a number of seconds > 0 and at most {MAX_TIME_LIMIT:,} (a day), not {t!r}")
    opts["time_limit"] = float(t)
    if opts["fusion"] == "auto" and opts["schedule"] != "none":
        raise SweepSpecValueError("fusion 'auto' keeps each fused group's tiles on chip and takes schedule 'none', "
                                  f"not {opts['schedule']!r}")
    return MappingOptions(**opts)


@dataclass(frozen=True)
class WorkloadSpec:
    """One workload of a sweep.

    Parameters
    ----------
    label : str
        Name in tables: the built-in name with its parameters, or the file's stem.
    text : str
        The cascade as canonical YAML (:func:`dataflow.dump_cascade`): what
        workers rebuild it from and what the content hash covers.
    """

    label: str
    text: str

    def cascade(self) -> Cascade:
        """The :class:`dataflow.Cascade`, rebuilt from :attr:`text`."""
        from dataflow import loads_cascade

        return loads_cascade(self.text, source=self.label)


def build_workload(item: YamlValue, base_dir: Path) -> WorkloadSpec:
    """A :class:`WorkloadSpec` from one entry of a spec's ``workloads`` list.

    Parameters
    ----------
    item : str or mapping
        A built-in name, ``{name: ..., params: {...}}`` or ``{file: path}``; the file is a
        cascade YAML or an ONNX model (``.onnx``, imported by :mod:`dataflow.onnx`, with
        ``params`` setting its dynamic dimensions).
    base_dir : Path
        Folder relative file paths are relative to.

    Raises
    ------
    ValueError, TypeError
        For an unknown workload or parameter, or a malformed entry.
    FileNotFoundError
        For a missing cascade file.
    """
    from dataflow import dump_cascade, library, load_cascade

    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, Mapping):
        raise SweepSpecValueError(f"a workload is a built-in name, {{name: ..., params: {{...}}}} or {{file: path}}, not {item!r}")
    bad = [k for k in item if k not in ("name", "params", "file", "label")]
    if bad or ("name" in item) == ("file" in item):
        raise SweepSpecValueError(f"a workload needs exactly one of 'name' or 'file' (and optionally params, label), not {dict(item)!r}")
    if "file" in item:
        path = base_dir / str(item["file"])
        is_onnx = path.suffix.lower() == ".onnx"
        if "params" in item and not is_onnx:
            raise SweepSpecValueError(f"params apply only to built-in workloads and ONNX models, not to file {item['file']!r}")
        if not path.is_file():
            raise FileNotFoundError(f"no {'ONNX model' if is_onnx else 'cascade file'} {str(path)!r}")
        if is_onnx:
            from dataflow.onnx import load_onnx_cascade

            dims = item.get("params") or None
            if dims is not None and not isinstance(dims, Mapping):
                raise SweepSpecValueError(f"params of ONNX workload {item['file']!r} must be a mapping, not {dims!r}")
            cascade = load_onnx_cascade(path, dims=dict(dims) if dims else None)
        else:
            cascade = load_cascade(path)
        label = str(item.get("label", path.stem))
    else:
        params = item.get("params") or {}
        if not isinstance(params, Mapping):
            raise SweepSpecValueError(f"params of workload {item['name']!r} must be a mapping, not {params!r}")
        cascade = library.build(str(item["name"]), **params)
        args = ",".join(f"{k}={v}" for k, v in params.items())
        label = str(item.get("label", f"{item['name']}({args})" if args else item["name"]))
    return WorkloadSpec(label, dump_cascade(cascade))

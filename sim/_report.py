"""The one result type both simulators return, so they compare field by field.

A :class:`Report` says how long a mapped Einsum (or a whole cascade, after
:func:`combine`) takes and what it costs:

* ``total_cycles`` and ``cycles_by_cause``: pairs whose cycles sum to the
  total.  Causes are ``'compute'``, ``'bandwidth_stall.<level>'`` (cycles the
  compute waits on that level's bandwidth), ``'fill_drain'`` (pipeline and
  array fill/drain, start-up latency) and ``'dependency_wait'`` (waiting on an
  earlier Einsum; the cycle-level simulator fills it).
* ``energy``: :class:`EnergyItem` entries, each ``count x pJ per action`` with
  the estimate's source, so every picojoule is traceable.
* ``accesses``: :class:`TensorAccesses` per (level, tensor), in elements:
  ``reads`` served to the level below, ``writes`` (updates) received from
  below, ``fills`` received from the level above, ``drains`` written back up.
* ``macs``/``ops`` (real work, padding excluded), utilization, the mappings and
  provenance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Hashable, TypeVar

from accel._types import JsonObject
from accel.errors import BadInputError

if TYPE_CHECKING:
    from mapping import Mapping

__all__ = ["Report", "CascadeReport", "EnergyItem", "TensorAccesses", "combine", "CAUSES", "ReportError"]

#: Cycle causes (bandwidth stalls are ``'bandwidth_stall.<level>'``).
CAUSES: tuple[str, ...] = ("compute", "bandwidth_stall", "fill_drain", "dependency_wait")


class ReportError(BadInputError):
    """A report whose numbers are inconsistent, or reports that cannot be combined."""


@dataclass(frozen=True, init=False)
class EnergyItem:
    """Energy of one action: ``count`` occurrences at ``pj_per_action`` pJ each.

    Parameters
    ----------
    component : str
        ``'mac'``, ``'vector'``, ``'rf'``, a memory level's name, ``'dram'`` or ``'noc'``.
    action : str
        ``'compute'``, ``'op'``, ``'read'``, ``'write'`` or ``'hop'``.
    count : float
        Occurrences, in the unit the estimate is per (MACs, words, bytes, ops).
    pj_per_action : float
    per : str
        That unit (``'MAC'``, ``'word'``, ``'byte'``, ``'op'``).
    source : str
        Estimator and citation of ``pj_per_action``.
    """

    component: str
    action: str
    count: float
    pj_per_action: float
    per: str
    source: str

    def __init__(self, component: str, action: str, count: float, pj_per_action: float, per: str, source: str) -> None:
        # the generated frozen __init__ goes through object.__setattr__ per field; a report builds dozens of these
        d = self.__dict__
        d["component"], d["action"], d["count"], d["pj_per_action"], d["per"], d["source"] = (
            component, action, count, pj_per_action, per, source)

    @property
    def pj(self) -> float:
        """Energy of all occurrences."""
        return self.count * self.pj_per_action


@dataclass(frozen=True, init=False)
class TensorAccesses:
    """Accesses of one tensor at one storage level, in elements (see the module docstring)."""

    level: str
    tensor: str
    reads: float = 0.0
    writes: float = 0.0
    fills: float = 0.0
    drains: float = 0.0

    def __init__(self, level: str, tensor: str, reads: float = 0.0, writes: float = 0.0, fills: float = 0.0,
                 drains: float = 0.0) -> None:
        d = self.__dict__  # as EnergyItem's
        d["level"], d["tensor"], d["reads"], d["writes"], d["fills"], d["drains"] = level, tensor, reads, writes, fills, drains

    @property
    def total(self) -> float:
        """All four kinds together."""
        return self.reads + self.writes + self.fills + self.drains


@dataclass(frozen=True)
class Report:
    """Latency, energy, accesses and utilization of a mapped Einsum or cascade.

    Parameters
    ----------
    name : str
        The Einsum or cascade.
    simulator : str
        ``'analytical'``, ``'cycle'``, or ``'mixed'`` after combining both.
    arch : str
        Architecture name.
    clock_mhz : float
    total_cycles : float
    cycles_by_cause : tuple of (str, float)
        Cycles per cause; they sum to ``total_cycles``.
    energy : tuple of EnergyItem
    accesses : tuple of TensorAccesses
    macs : int
        Real multiply-accumulates.
    ops : int
        Real operations (MACs count once; element-wise operations once each).
    peak_ops_per_cycle : int
        Operations per cycle of the unit(s) used, all busy.
    spatial_utilization : float
        Fraction of the array's PEs (or lanes) the mapping occupies (cycle-weighted after combining).
    mappings : tuple
        The ``mapping.Mapping`` of every Einsum covered.
    provenance : tuple of (str, str)
        Where the numbers come from (model, version, assumptions).

    Raises
    ------
    ReportError
        If the causes do not add up to the total, or a count is negative.
    """

    name: str
    simulator: str
    arch: str
    clock_mhz: float
    total_cycles: float
    cycles_by_cause: tuple[tuple[str, float], ...]
    energy: tuple[EnergyItem, ...]
    accesses: tuple[TensorAccesses, ...]
    macs: int
    ops: int
    peak_ops_per_cycle: int
    spatial_utilization: float
    mappings: tuple[Mapping, ...] = ()
    provenance: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        causes = tuple([(str(k), float(v)) for k, v in self.cycles_by_cause])
        setattr_(self, "cycles_by_cause", causes)
        setattr_(self, "energy", tuple(self.energy))
        setattr_(self, "accesses", tuple(self.accesses))
        setattr_(self, "mappings", tuple(self.mappings))
        setattr_(self, "provenance", tuple([(str(k), str(v)) for k, v in self.provenance]))
        if not (self.total_cycles >= 0) or math.isinf(self.total_cycles):
            raise ReportError(f"report {self.name!r}: total_cycles must be finite and >= 0, not {self.total_cycles!r}")
        for cause, cycles in causes:
            if cause.split(".")[0] not in CAUSES:
                raise ReportError(f"report {self.name!r}: unknown cycle cause {cause!r}; causes: {', '.join(CAUSES)}")
            if cycles < 0:
                raise ReportError(f"report {self.name!r}: cycles of {cause!r} must be >= 0, not {cycles!r}")
        total = sum([v for _, v in causes])
        if not math.isclose(total, self.total_cycles, rel_tol=1e-9, abs_tol=1e-6):
            raise ReportError(f"report {self.name!r}: cycles by cause sum to {total!r}, not total_cycles {self.total_cycles!r}")
        for item in self.energy:
            if item.count < 0 or item.pj_per_action < 0:
                raise ReportError(f"report {self.name!r}: negative energy entry {item!r}")

    # -- derived ----------------------------------------------------------
    @property
    def energy_pj(self) -> float:
        """Total energy in pJ."""
        return sum(e.pj for e in self.energy)

    @property
    def seconds(self) -> float:
        """Latency in seconds at ``clock_mhz``."""
        return self.total_cycles / (self.clock_mhz * 1e6)

    @property
    def edp(self) -> float:
        """Energy-delay product in pJ x cycles."""
        return self.energy_pj * self.total_cycles

    @property
    def utilization(self) -> float:
        """Real operations over the peak the unit could do in ``total_cycles``."""
        denom = self.peak_ops_per_cycle * self.total_cycles
        return self.ops / denom if denom else 0.0

    def cycles(self, cause: str) -> float:
        """Cycles of ``cause``; ``'bandwidth_stall'`` sums every level's stalls."""
        return sum(v for k, v in self.cycles_by_cause if k == cause or k.startswith(cause + "."))

    def energy_by_component(self) -> dict[str, float]:
        """pJ per component (``mac``, ``rf``, levels, ``dram``, ``noc``, ``vector``)."""
        out: dict[str, float] = {}
        for e in self.energy:
            out[e.component] = out.get(e.component, 0.0) + e.pj
        return out

    def energy_by_action(self) -> dict[str, float]:
        """pJ per ``component.action``."""
        out: dict[str, float] = {}
        for e in self.energy:
            key = f"{e.component}.{e.action}"
            out[key] = out.get(key, 0.0) + e.pj
        return out

    def access(self, level: str, tensor: str) -> TensorAccesses:
        """Accesses of ``tensor`` at ``level`` (zeros when the level never touches it)."""
        for a in self.accesses:
            if a.level == level and a.tensor == tensor:
                return a
        return TensorAccesses(level, tensor)

    def to_dict(self) -> JsonObject:
        """Plain data (JSON-ready)."""
        return {
            "name": self.name,
            "simulator": self.simulator,
            "arch": self.arch,
            "clock_mhz": self.clock_mhz,
            "total_cycles": self.total_cycles,
            "seconds": self.seconds,
            "cycles_by_cause": dict(self.cycles_by_cause),
            "energy_pj": self.energy_pj,
            "edp": self.edp,
            "energy": [
                {"component": e.component, "action": e.action, "count": e.count, "pj_per_action": e.pj_per_action,
                 "per": e.per, "pj": e.pj, "source": e.source}
                for e in self.energy
            ],
            "accesses": [
                {"level": a.level, "tensor": a.tensor, "reads": a.reads, "writes": a.writes, "fills": a.fills, "drains": a.drains}
                for a in self.accesses
            ],
            "macs": self.macs,
            "ops": self.ops,
            "utilization": self.utilization,
            "spatial_utilization": self.spatial_utilization,
            "mappings": [m.to_dict() if hasattr(m, "to_dict") else repr(m) for m in self.mappings],
            "provenance": dict(self.provenance),
        }


_K = TypeVar("_K", bound=Hashable)


def _merge(pairs: Iterable[tuple[_K, float]]) -> list[tuple[_K, float]]:
    out: dict[_K, float] = {}
    for k, v in pairs:
        out[k] = out.get(k, 0.0) + v
    return list(out.items())


def combine(reports: Iterable[Report], name: str | None = None) -> Report:
    """Sum reports of Einsums run one after another (a cascade) into one report.

    Cycles, energy counts, accesses and work add up; spatial utilization is
    weighted by cycles; mappings are concatenated in order.  The peak is the
    largest of the reports' (the PE array's when vector-unit Einsums are mixed
    in), so the combined utilization is relative to it.

    Parameters
    ----------
    reports : iterable of Report
        At least one, all of the same architecture.
    name : str, optional
        Name of the result (default: the names joined with ``+``).

    Raises
    ------
    ReportError
        For no reports, or reports of different architectures or clocks.
    """
    reports = list(reports)
    if not reports:
        raise ReportError("combine needs at least one report, got none")
    for r in reports:
        if not isinstance(r, Report):
            raise TypeError(f"combine takes sim.Report objects, not {r!r}")
    first = reports[0]
    for r in reports[1:]:
        if (r.arch, r.clock_mhz) != (first.arch, first.clock_mhz):
            raise ReportError(
                f"cannot combine reports of different architectures: {first.name!r} on {first.arch!r} "
                f"({first.clock_mhz} MHz) and {r.name!r} on {r.arch!r} ({r.clock_mhz} MHz)"
            )
    sims = {r.simulator for r in reports}
    energy: dict[tuple[str, str, float, str, str], float] = {}
    for r in reports:
        for e in r.energy:
            key = (e.component, e.action, e.pj_per_action, e.per, e.source)
            energy[key] = energy.get(key, 0.0) + e.count
    accesses: dict[tuple[str, str], list[float]] = {}
    for r in reports:
        for a in r.accesses:
            acc = accesses.setdefault((a.level, a.tensor), [0.0, 0.0, 0.0, 0.0])
            for i, v in enumerate((a.reads, a.writes, a.fills, a.drains)):
                acc[i] += v
    total = sum(r.total_cycles for r in reports)
    util = sum(r.spatial_utilization * r.total_cycles for r in reports) / total if total else 0.0
    provenance = [("combined", ", ".join(r.name for r in reports))]
    seen = {"combined"}
    for r in reports:
        for k, v in r.provenance:
            if k not in seen:
                seen.add(k)
                provenance.append((k, v))
    return Report(
        name=name if name is not None else "+".join(r.name for r in reports),
        simulator=sims.pop() if len(sims) == 1 else "mixed",
        arch=first.arch,
        clock_mhz=first.clock_mhz,
        total_cycles=total,
        cycles_by_cause=tuple(_merge(kv for r in reports for kv in r.cycles_by_cause)),
        energy=tuple(EnergyItem(c, a, n, pj, per, src) for (c, a, pj, per, src), n in energy.items()),
        accesses=tuple(TensorAccesses(lv, t, *v) for (lv, t), v in accesses.items()),
        macs=sum(r.macs for r in reports),
        ops=sum(r.ops for r in reports),
        peak_ops_per_cycle=max(r.peak_ops_per_cycle for r in reports),
        spatial_utilization=util,
        mappings=tuple(m for r in reports for m in r.mappings),
        provenance=tuple(provenance),
    )


@dataclass(frozen=True)
class CascadeReport:
    """What both simulators return for a cascade: the total and one part per Einsum, in the order they ran.

    The analytical model's total is :func:`combine` of its parts (Einsums one after another); the cycle-level
    simulator's total is the measured run, whose cycles can be fewer than the parts' sum where it overlapped
    Einsums. Field by field the two are comparable.

    Parameters
    ----------
    total : Report
    parts : tuple of Report
        One per Einsum, in execution order.

    Raises
    ------
    ReportError
        For no parts, or parts that are not reports.
    """

    total: Report
    parts: tuple[Report, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(self.parts))
        if not self.parts or not all(isinstance(p, Report) for p in (self.total, *self.parts)):
            raise ReportError("a CascadeReport needs a total sim.Report and at least one part")

    @classmethod
    def of_parts(cls, parts: Iterable[Report], name: str | None = None) -> CascadeReport:
        """The report of Einsums run one after another: the total is :func:`combine` of ``parts``."""
        parts = tuple(parts)
        return cls(combine(parts, name=name), parts)

    @property
    def name(self) -> str:
        return self.total.name

    def part(self, einsum: str) -> Report:
        """The part of Einsum ``einsum``.

        Raises
        ------
        ReportError
            If no part has that name.
        """
        for p in self.parts:
            if p.name == einsum:
                return p
        raise ReportError(f"{self.total.name!r} has no Einsum {einsum!r}; it has {', '.join(p.name for p in self.parts)}")

    def to_dict(self) -> JsonObject:
        """Plain data for JSON: the total and the parts."""
        return {"total": self.total.to_dict(), "parts": [p.to_dict() for p in self.parts]}

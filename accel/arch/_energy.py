"""Energy per action and area per component of an architecture, from the estimators."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ._estimator import Action, Component, Estimate, EstimatorRegistry, NoEstimateError
from ._horowitz import HorowitzEstimator
from ._types import Architecture

__all__ = ["EnergyEntry", "EnergyTable", "AreaEntry", "AreaTable", "energy_table", "area_table", "default_registry", "SPEC_ACCURACY"]

#: Accuracy of a number written in the architecture spec itself: it always wins.
SPEC_ACCURACY = 100


def default_registry() -> EstimatorRegistry:
    """A registry holding the built-in Horowitz 45 nm estimator (register more on it)."""
    return EstimatorRegistry([HorowitzEstimator()])


@dataclass(frozen=True)
class EnergyEntry:
    """Energy of one action.

    Parameters
    ----------
    key : str
        ``'mac'``, ``'rf.read'``, ``'<level>.write'``, ``'dram.read'``, ``'noc.hop'``, ``'vector.op'``.
    pj : float
        pJ per occurrence.
    per : str
        What one occurrence is: ``'MAC'``, ``'word'``, ``'byte'``, ``'op'``.
    bits : int
        Bits moved per occurrence (word width; 8 for DRAM bytes; 0 for compute).
    estimate : Estimate
        The estimate with its source.
    """

    key: str
    pj: float
    per: str
    bits: int
    estimate: Estimate


@dataclass(frozen=True)
class EnergyTable:
    """Per-action energies of one architecture.

    Index by key: ``table['mac']`` is pJ per MAC, ``table['scratchpad.read']``
    pJ per word read, ``table['dram.read']`` pJ per byte.
    """

    arch_name: str
    entries: tuple[EnergyEntry, ...]

    def _entry(self, key: str) -> EnergyEntry:
        for e in self.entries:
            if e.key == key:
                return e
        raise KeyError(f"energy table of {self.arch_name!r} has no action {key!r}; actions: {', '.join(self.keys())}")

    def __getitem__(self, key: str) -> float:
        return self._entry(key).pj

    def __contains__(self, key: object) -> bool:
        return any(e.key == key for e in self.entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.entries)

    def keys(self) -> tuple[str, ...]:
        """Action keys, in table order."""
        return tuple(e.key for e in self.entries)

    def entry(self, key: str) -> EnergyEntry:
        """The full entry for ``key`` (raises ``KeyError`` naming the known actions)."""
        return self._entry(key)

    def estimate(self, key: str) -> Estimate:
        """The estimate (value, source, estimator, accuracy) behind ``key``."""
        return self._entry(key).estimate

    def per_byte(self, key: str) -> float:
        """pJ per byte moved by a storage or network action.

        Raises
        ------
        ValueError
            For compute actions, which move no bytes.
        """
        e = self._entry(key)
        if e.bits <= 0:
            raise ValueError(f"action {key!r} is compute, not data movement; it has no per-byte energy")
        return e.pj / (e.bits / 8)

    def as_dict(self) -> dict[str, dict[str, object]]:
        """Plain data for JSON output."""
        return {
            e.key: {
                "pJ": e.pj,
                "per": e.per,
                "bits": e.bits,
                "source": e.estimate.source,
                "estimator": e.estimate.estimator,
                "accuracy": e.estimate.accuracy,
            }
            for e in self.entries
        }


def _mac_attrs(arch: Architecture) -> dict[str, str | int | None]:
    """What a MAC is: its unit, formats, pipeline depth (its stage registers cost area and energy) and node."""
    a = arch.arith
    mac: dict[str, str | int | None] = dict(kind=a.kind, input_format=a.input_format, accumulate_format=a.accumulate_format,
                                     pipeline_depth=a.pipeline_depth, technology_nm=arch.technology_nm)
    if a.mantissa_bits is not None:
        mac["mantissa_bits"] = a.mantissa_bits
    return mac


def _actions(arch: Architecture) -> list[tuple[str, str, int, Action]]:
    node = arch.technology_nm
    a = arch.arith
    out = [("mac", "MAC", 0, Action.of("mac", "compute", **_mac_attrs(arch)))]
    rf = arch.register_file
    for op in ("read", "write"):
        out.append((f"rf.{op}", "word", rf.word_bits, Action.of("regfile", op, capacity=rf.capacity, word_bits=rf.word_bits, technology_nm=node)))
    for lvl in arch.levels:
        for op in ("read", "write"):
            act = Action.of("sram", op, capacity=lvl.capacity, word_bits=lvl.word_bits, level=lvl.name, ports=lvl.ports,
                            banks=lvl.banks, technology_nm=node)
            out.append((f"{lvl.name}.{op}", "word", lvl.word_bits, act))
    for op in ("read", "write"):
        out.append((f"dram.{op}", "byte", 8, Action.of("dram", op, technology_nm=node)))
    bits = a.operand_bits
    out.append(("noc.hop", "word", bits, Action.of("noc", "hop", word_bits=bits, network=arch.pe_array.network, technology_nm=node)))
    if arch.vector_unit is not None:
        out.append(("vector.op", "op", 0, Action.of("vector", "op", format=arch.vector_unit.format, technology_nm=node)))
    return out


def energy_table(arch: Architecture, registry: EstimatorRegistry | None = None) -> EnergyTable:
    """Energy per action of ``arch``, each from the most accurate estimator that answers.

    A ``dram.energy_per_byte`` written in the spec is used as is (accuracy
    :data:`SPEC_ACCURACY`).

    Parameters
    ----------
    arch : Architecture
    registry : EstimatorRegistry, optional
        Defaults to :func:`default_registry`.

    Raises
    ------
    NoEstimateError
        Naming every action no registered estimator answers for.
    """
    reg = default_registry() if registry is None else registry
    entries, missing = [], []
    for key, per, bits, action in _actions(arch):
        if action.component == "dram" and arch.dram.energy_per_byte is not None:
            est = Estimate(arch.dram.energy_per_byte, "pJ", "architecture spec: dram.energy_per_byte", "spec", SPEC_ACCURACY)
        else:
            est = reg.energy(action)
        if est is None:
            missing.append(f"{key} = {action.describe()}")
            continue
        entries.append(EnergyEntry(key, est.value, per, bits, est))
    if missing:
        raise NoEstimateError(
            f"no estimator answers for {len(missing)} action(s) of {arch.name!r}: {'; '.join(missing)}; "
            f"registered: {reg.describe()}"
        )
    return EnergyTable(arch.name, tuple(entries))


@dataclass(frozen=True)
class AreaEntry:
    """Area of one kind of component: ``count`` instances of ``um2_each``."""

    key: str
    count: int
    um2_each: float
    estimate: Estimate

    @property
    def um2(self) -> float:
        """Total area of all instances."""
        return self.count * self.um2_each


@dataclass(frozen=True)
class AreaTable:
    """Per-component areas of one architecture (logic and storage; wires and control excluded)."""

    arch_name: str
    entries: tuple[AreaEntry, ...]

    @property
    def total_um2(self) -> float:
        """Sum over all entries."""
        return sum(e.um2 for e in self.entries)

    @property
    def total_mm2(self) -> float:
        """Sum over all entries, in mm^2."""
        return self.total_um2 / 1e6

    def __getitem__(self, key: str) -> float:
        for e in self.entries:
            if e.key == key:
                return e.um2
        raise KeyError(f"area table of {self.arch_name!r} has no component {key!r}; components: {', '.join(e.key for e in self.entries)}")

    def as_dict(self) -> dict[str, dict[str, object]]:
        """Plain data for JSON output."""
        return {
            e.key: {"count": e.count, "um2_each": e.um2_each, "um2": e.um2, "source": e.estimate.source, "estimator": e.estimate.estimator}
            for e in self.entries
        }


def area_table(arch: Architecture, registry: EstimatorRegistry | None = None) -> AreaTable:
    """Area of ``arch``'s MACs, register files, memory levels and vector lanes.

    The registry is first asked for the PE array as one ``pe_array``
    component (its size, dataflow, network, the MAC's attributes and the
    register file's); an estimator that answers (the synthesized array of
    :mod:`rtl.synth`) gives one ``pe_array`` entry in place of the ``mac``
    and ``rf`` entries, whose parts its PEs already hold. Otherwise the MACs
    and register files are priced one by one.

    Parameters
    ----------
    arch : Architecture
    registry : EstimatorRegistry, optional
        Defaults to :func:`default_registry`.

    Raises
    ------
    NoEstimateError
        Naming every component no registered estimator answers for.
    """
    reg = default_registry() if registry is None else registry
    node = arch.technology_nm
    mac = _mac_attrs(arch)
    rf, pe = arch.register_file, arch.pe_array
    array = Component.of("pe_array", rows=pe.rows, cols=pe.cols, dataflow=pe.dataflow, network=pe.network,
                         hop_latency=pe.hop_latency, macs_per_cycle=arch.arith.macs_per_cycle, rf_capacity=rf.capacity,
                         rf_word_bits=rf.word_bits, rf_holds_output=any(h in ("output", "any") for h in rf.holds), **mac)
    whole = reg.area(array)
    wanted: list[tuple[str, int, Component]] = []
    if whole is None:  # else the array is one piece (a synthesized one) whose PEs hold their MACs and registers
        wanted += [
            ("mac", arch.peak_macs_per_cycle, Component.of("mac", **mac)),
            ("rf", arch.num_pes, Component.of("regfile", capacity=rf.capacity, word_bits=rf.word_bits, technology_nm=node)),
        ]
    for lvl in arch.levels:
        comp = Component.of("sram", capacity=lvl.capacity, word_bits=lvl.word_bits, level=lvl.name, ports=lvl.ports,
                            banks=lvl.banks, technology_nm=node)
        wanted.append((lvl.name, 1, comp))
    if arch.vector_unit is not None:
        wanted.append(("vector", arch.vector_unit.lanes, Component.of("vector", format=arch.vector_unit.format, technology_nm=node)))
    entries = [] if whole is None else [AreaEntry("pe_array", 1, whole.value, whole)]
    missing = []
    for key, count, comp in wanted:
        est = reg.area(comp)
        if est is None:
            missing.append(f"{key} = {comp.describe()}")
        else:
            entries.append(AreaEntry(key, count, est.value, est))
    if missing:
        raise NoEstimateError(
            f"no estimator answers for the area of {len(missing)} component(s) of {arch.name!r}: {'; '.join(missing)}; "
            f"registered: {reg.describe()}"
        )
    return AreaTable(arch.name, tuple(entries))

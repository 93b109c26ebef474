"""The architecture as frozen dataclasses: the one source of truth the mapper and simulators read.

Units, everywhere: capacities in bytes, widths in bits, bandwidths in bytes per
cycle of ``clock_mhz``, latencies in cycles, energies in pJ.  These types know
nothing of YAML: ``accel._loader`` parses and validates specs and builds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._checks import holds as _holds
from ._checks import names as _names
from ._checks import positive_int as _positive_int
from ._checks import positive_number as _positive_number
from ._compute import ArithmeticUnit, VectorUnit

__all__ = [
    "NETWORKS",
    "DATAFLOWS",
    "ROLES",
    "PEArray",
    "RegisterFile",
    "MemoryLevel",
    "DRAM",
    "Architecture",
]

#: How operands travel between PEs: neighbour-to-neighbour forwarding or a shared bus.
NETWORKS: tuple[str, ...] = ("systolic", "broadcast")
#: Which operand stays put in the PEs.
DATAFLOWS: tuple[str, ...] = ("weight_stationary", "output_stationary", "input_stationary", "row_stationary", "flexible")
#: Tensor roles a storage element may be restricted to ('any' lifts the restriction).
ROLES: tuple[str, ...] = ("input", "weight", "output", "any")


@dataclass(frozen=True)
class PEArray:
    """The 2-D array of processing elements.

    Parameters
    ----------
    rows, cols : int
        Array shape; ``rows * cols`` PEs.
    row_ranks, col_ranks : tuple of str
        Ranks that may be unrolled along each axis; empty means any rank.
    network : str
        ``'systolic'`` (operands forwarded PE to PE, one hop per cycle) or
        ``'broadcast'`` (a shared bus multicasts to a whole row/column).
    hop_latency : int
        Cycles per network hop (>= 0).
    dataflow : str
        One of :data:`DATAFLOWS`.
    fold_pipelining : bool
        Consecutive folds of one Einsum overlap their fill and drain, as a
        TPU's array streams one tile's operands right behind the previous
        tile's: the next fold's wavefront follows the last one through the
        array, so a run of folds pays the skew and the MAC pipeline once
        (see ``sim.cycle.fold_timing`` for what overlaps per dataflow).
        Off by default: every fold pays its own fill and drain, SCALE-Sim's
        per-fold timing.
    """

    rows: int
    cols: int
    row_ranks: tuple[str, ...] = ()
    col_ranks: tuple[str, ...] = ()
    network: str = "systolic"
    hop_latency: int = 1
    dataflow: str = "flexible"
    fold_pipelining: bool = False

    def __post_init__(self) -> None:
        _positive_int("pe_array", "rows", self.rows)
        _positive_int("pe_array", "cols", self.cols)
        _positive_int("pe_array", "hop_latency", self.hop_latency, minimum=0)
        _names(self, "row_ranks", "pe_array", allow_empty=True)
        _names(self, "col_ranks", "pe_array", allow_empty=True)
        if self.network not in NETWORKS:
            raise ValueError(f"pe_array.network must be one of {NETWORKS!r}, not {self.network!r}")
        if self.dataflow not in DATAFLOWS:
            raise ValueError(f"pe_array.dataflow must be one of {DATAFLOWS!r}, not {self.dataflow!r}")
        if not isinstance(self.fold_pipelining, bool):
            raise TypeError(f"pe_array.fold_pipelining must be true or false, not {self.fold_pipelining!r}")

    @property
    def num_pes(self) -> int:
        """Number of PEs, ``rows * cols``."""
        return self.rows * self.cols


@dataclass(frozen=True)
class RegisterFile:
    """The register file inside each PE.

    Parameters
    ----------
    capacity : int
        Bytes per PE.
    word_bits : int
        Width of one access.
    holds : tuple of str
        Roles (``'input'``, ``'weight'``, ``'output'``, ``'any'``) or tensor names it may hold.
    """

    capacity: int
    word_bits: int
    holds: tuple[str, ...] = ("any",)

    def __post_init__(self) -> None:
        _positive_int("register_file", "capacity", self.capacity)
        _positive_int("register_file", "word_bits", self.word_bits)
        _names(self, "holds", "register_file", allow_empty=False)

    def can_hold(self, tensor: str, role: str | None = None) -> bool:
        """Whether tensor ``tensor`` (playing ``role``) may live here."""
        return _holds(self.holds, tensor, role)


@dataclass(frozen=True)
class MemoryLevel:
    """One on-chip memory level (buffer, scratchpad, accumulator bank).

    Parameters
    ----------
    name : str
        Unique identifier (used in dotted paths and energy-table keys).
    capacity : int
        Bytes.
    word_bits : int
        Width of one access.
    read_bandwidth, write_bandwidth : float
        Bytes per cycle, over all ports and banks.
    ports, banks : int
        Access ports and banks (>= 1).
    holds : tuple of str
        Roles or tensor names this level may hold; tensors not held bypass it.
    latency : int
        Cycles from request to data (>= 0).
    """

    name: str
    capacity: int
    word_bits: int
    read_bandwidth: float
    write_bandwidth: float
    ports: int = 1
    banks: int = 1
    holds: tuple[str, ...] = ("any",)
    latency: int = 1

    def __post_init__(self) -> None:
        owner = f"levels.{self.name}"
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"memory level name must be an identifier, not {self.name!r}")
        _positive_int(owner, "capacity", self.capacity)
        _positive_int(owner, "word_bits", self.word_bits)
        _positive_number(owner, "read_bandwidth", self.read_bandwidth)
        _positive_number(owner, "write_bandwidth", self.write_bandwidth)
        _positive_int(owner, "ports", self.ports)
        _positive_int(owner, "banks", self.banks)
        _positive_int(owner, "latency", self.latency, minimum=0)
        _names(self, "holds", owner, allow_empty=False)

    @property
    def word_bytes(self) -> float:
        """Bytes per word (``word_bits / 8``)."""
        return self.word_bits / 8

    def can_hold(self, tensor: str, role: str | None = None) -> bool:
        """Whether tensor ``tensor`` (playing ``role``) may live in this level."""
        return _holds(self.holds, tensor, role)


@dataclass(frozen=True)
class DRAM:
    """Off-chip memory (DRAM or HBM).

    Parameters
    ----------
    bandwidth : float
        Bytes per cycle of the chip clock.
    latency : int
        Cycles.
    energy_per_byte : float or None
        pJ per byte moved; ``None`` lets the estimators fill it.
    """

    bandwidth: float
    latency: int
    energy_per_byte: float | None = None

    def __post_init__(self) -> None:
        _positive_number("dram", "bandwidth", self.bandwidth)
        _positive_int("dram", "latency", self.latency, minimum=0)
        if self.energy_per_byte is not None:
            _positive_number("dram", "energy_per_byte", self.energy_per_byte)


@dataclass(frozen=True)
class Architecture:
    """A complete accelerator description.

    Parameters
    ----------
    name : str
        Identifier.
    clock_mhz : float
        Clock frequency in MHz.
    technology_nm : float
        Process node in nm (energy and area estimators scale with it).
    pe_array : PEArray
    register_file : RegisterFile
        Per-PE register file.
    levels : tuple of MemoryLevel
        On-chip levels, innermost (closest to the PEs) first.
    dram : DRAM
    arith : ArithmeticUnit
    vector_unit : VectorUnit or None
        Optional 1-D unit for element-wise operations.
    description : str
        Free text.
    """

    name: str
    clock_mhz: float
    technology_nm: float
    pe_array: PEArray
    register_file: RegisterFile
    levels: tuple[MemoryLevel, ...]
    dram: DRAM
    arith: ArithmeticUnit
    vector_unit: VectorUnit | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"architecture name must be a non-empty string, not {self.name!r}")
        _positive_number("architecture", "clock_mhz", self.clock_mhz)
        _positive_number("architecture", "technology_nm", self.technology_nm)
        object.__setattr__(self, "levels", tuple(self.levels))
        if not self.levels:
            raise ValueError(f"architecture {self.name!r} needs at least one memory level, got {self.levels!r}")
        names = [lvl.name for lvl in self.levels]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"architecture {self.name!r} has duplicate level names {dup!r}")

    # -- derived quantities -------------------------------------------------
    @property
    def num_pes(self) -> int:
        """Number of PEs."""
        return self.pe_array.num_pes

    @property
    def clock_hz(self) -> float:
        """Clock frequency in Hz."""
        return self.clock_mhz * 1e6

    @property
    def peak_macs_per_cycle(self) -> int:
        """MACs per cycle with every PE busy."""
        return self.num_pes * self.arith.macs_per_cycle

    @property
    def peak_ops_per_second(self) -> float:
        """Peak arithmetic throughput, counting a MAC as 2 operations."""
        return 2.0 * self.peak_macs_per_cycle * self.clock_hz

    @property
    def peak_vector_ops_per_second(self) -> float:
        """Peak element-wise throughput of the vector unit (0 without one)."""
        return 0.0 if self.vector_unit is None else self.vector_unit.ops_per_cycle_total * self.clock_hz

    @property
    def dram_bytes_per_second(self) -> float:
        """Off-chip bandwidth in bytes per second."""
        return self.dram.bandwidth * self.clock_hz

    @property
    def operand_bits(self) -> int:
        """Width of one multiplier operand."""
        return self.arith.operand_bits

    @property
    def accumulator_bits(self) -> int:
        """Width of the accumulator."""
        return self.arith.accumulator_bits

    @property
    def level_names(self) -> tuple[str, ...]:
        """Level names, innermost first."""
        return tuple(lvl.name for lvl in self.levels)

    def level(self, name: str) -> MemoryLevel:
        """The memory level called ``name``.

        Raises
        ------
        ValueError
            If there is no such level (the message lists the levels).
        """
        for lvl in self.levels:
            if lvl.name == name:
                return lvl
        raise ValueError(f"architecture {self.name!r} has no memory level {name!r}; levels: {', '.join(self.level_names)}")

    def level_index(self, name: str) -> int:
        """Position of level ``name`` (0 is innermost)."""
        return self.level_names.index(self.level(name).name)

"""The architecture as frozen dataclasses: the one source of truth the mapper and simulators read.

Units, everywhere: capacities in bytes, widths in bits, bandwidths in bytes per
cycle of ``clock_mhz``, latencies in cycles, energies in pJ.  These types know
nothing of YAML: ``accel._loader`` parses and validates specs and builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._formats import ARITH_KINDS, FORMATS, VECTOR_FORMATS, VECTOR_OPS, lmul_operand_bits

__all__ = [
    "NETWORKS",
    "DATAFLOWS",
    "ROLES",
    "PEArray",
    "RegisterFile",
    "MemoryLevel",
    "DRAM",
    "ArithmeticUnit",
    "VectorUnit",
    "Architecture",
]

#: How operands travel between PEs: neighbour-to-neighbour forwarding or a shared bus.
NETWORKS: tuple[str, ...] = ("systolic", "broadcast")
#: Which operand stays put in the PEs.
DATAFLOWS: tuple[str, ...] = ("weight_stationary", "output_stationary", "input_stationary", "row_stationary", "flexible")
#: Tensor roles a storage element may be restricted to ('any' lifts the restriction).
ROLES: tuple[str, ...] = ("input", "weight", "output", "any")


def _positive_int(owner: str, name: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}.{name} must be an integer, not {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}.{name} must be >= {minimum}, not {value!r}")


def _positive_number(owner: str, name: str, value: Any, allow_zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{owner}.{name} must be a number, not {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{owner}.{name} must be {'>= 0' if allow_zero else '> 0'}, not {value!r}")


def _names(obj: Any, attr: str, owner: str, allow_empty: bool) -> None:
    value = getattr(obj, attr)
    if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
        raise TypeError(f"{owner}.{attr} must be a sequence of non-empty names, not {value!r}")
    object.__setattr__(obj, attr, tuple(value))
    if not allow_empty and not value:
        raise ValueError(f"{owner}.{attr} must name at least one tensor or role, not {tuple(value)!r}")


def _holds(holds: tuple[str, ...], tensor: str, role: str | None) -> bool:
    return "any" in holds or tensor in holds or (role is not None and role in holds)


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
    """

    rows: int
    cols: int
    row_ranks: tuple[str, ...] = ()
    col_ranks: tuple[str, ...] = ()
    network: str = "systolic"
    hop_latency: int = 1
    dataflow: str = "flexible"

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
class ArithmeticUnit:
    """The multiply-accumulate unit in each PE.

    Parameters
    ----------
    kind : str
        One of ``accel._formats.ARITH_KINDS`` (``'int8_mac'``, ``'fp8_mac'``, ``'lmul'``, ...).
    input_format, accumulate_format : str
        Operand and accumulator formats allowed for ``kind``.
    mantissa_bits : int or None
        L-Mul only: operand mantissa bits (1 to the input format's mantissa width).
    pipeline_depth : int
        Cycles from operands to accumulated result (>= 1).
    macs_per_cycle : int
        MACs each PE completes per cycle (>= 1).
    """

    kind: str
    input_format: str
    accumulate_format: str
    mantissa_bits: int | None = None
    pipeline_depth: int = 1
    macs_per_cycle: int = 1

    def __post_init__(self) -> None:
        spec = ARITH_KINDS.get(self.kind)
        if spec is None:
            raise ValueError(f"arith.kind must be one of {tuple(ARITH_KINDS)!r}, not {self.kind!r}")
        if self.input_format not in spec.inputs:
            raise ValueError(f"arith.input_format for {self.kind!r} must be one of {spec.inputs!r}, not {self.input_format!r}")
        if self.accumulate_format not in spec.accumulates:
            raise ValueError(
                f"arith.accumulate_format for {self.kind!r} must be one of {spec.accumulates!r}, not {self.accumulate_format!r}"
            )
        if spec.needs_mantissa:
            _positive_int("arith", "mantissa_bits", self.mantissa_bits)
            top = FORMATS[self.input_format].mantissa_bits
            if self.mantissa_bits > top:
                raise ValueError(f"arith.mantissa_bits must be <= {top} for {self.input_format!r}, not {self.mantissa_bits!r}")
        elif self.mantissa_bits is not None:
            raise ValueError(f"arith.mantissa_bits applies only to 'lmul', not {self.kind!r} (got {self.mantissa_bits!r})")
        _positive_int("arith", "pipeline_depth", self.pipeline_depth)
        _positive_int("arith", "macs_per_cycle", self.macs_per_cycle)

    @property
    def operand_bits(self) -> int:
        """Width of one multiplier operand (L-Mul: sign + exponent + ``mantissa_bits``)."""
        if self.kind == "lmul":
            return lmul_operand_bits(self.input_format, self.mantissa_bits)
        return FORMATS[self.input_format].bits

    @property
    def accumulator_bits(self) -> int:
        """Width of the accumulator."""
        return FORMATS[self.accumulate_format].bits


@dataclass(frozen=True)
class VectorUnit:
    """A 1-D array for element-wise work (exp, max, division of softmax), as in FuseMax.

    Parameters
    ----------
    lanes : int
        Parallel lanes.
    ops_per_cycle : int
        Operations each lane completes per cycle.
    ops : tuple of str
        Supported operations, a subset of ``accel._formats.VECTOR_OPS``.
    format : str
        Arithmetic format (``'fp32'``, ``'fp16'``, ``'bf16'``).
    pipeline_depth : int
        Cycles per operation's latency.
    """

    lanes: int
    ops_per_cycle: int = 1
    ops: tuple[str, ...] = ("add", "mul", "max", "exp", "div")
    format: str = "fp32"
    pipeline_depth: int = 1

    def __post_init__(self) -> None:
        _positive_int("vector_unit", "lanes", self.lanes)
        _positive_int("vector_unit", "ops_per_cycle", self.ops_per_cycle)
        _positive_int("vector_unit", "pipeline_depth", self.pipeline_depth)
        _names(self, "ops", "vector_unit", allow_empty=False)
        bad = [op for op in self.ops if op not in VECTOR_OPS]
        if bad:
            raise ValueError(f"vector_unit.ops must be drawn from {VECTOR_OPS!r}, not {bad[0]!r}")
        if self.format not in VECTOR_FORMATS:
            raise ValueError(f"vector_unit.format must be one of {VECTOR_FORMATS!r}, not {self.format!r}")

    @property
    def ops_per_cycle_total(self) -> int:
        """Element operations per cycle over all lanes."""
        return self.lanes * self.ops_per_cycle


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
    description: str = field(default="", compare=True)

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

"""One Einsum seen from one architecture: the facts every mapper and cost model reads.

A :class:`Problem` flattens an Einsum (ranks, sizes, tensors with their affine
index coefficients) and an architecture (storage levels innermost first, from
the per-PE register file ``rf`` through the on-chip levels to ``dram``; the
spatial array; the compute unit) into plain tuples, so that the mapper and the
vectorized cost model index arrays instead of walking objects.

Roles and widths (documented choices):

* The output tensor plays ``'output'``.  An input is a ``'weight'`` when the
  caller names it in ``weights`` (a cascade's declared weights); when no
  weights are given, every input after the first of a two-operand product is
  a ``'weight'`` (``B`` of ``A[m,k] * B[k,n]``), all others are ``'input'``.
* Einsums with multiply-accumulates run on the PE array; other Einsums
  (element-wise maps, max/min reductions, copies) run on the architecture's
  vector unit when it has one (its lanes form a 1-D array with no register
  file), otherwise on the PE array, one operation per PE per cycle.
* Inputs are ``operand_bits`` wide; the output of an Einsum that accumulates
  (MACs or a sum reduction) is ``accumulator_bits`` wide everywhere (partial
  sums are spilled at full precision), other outputs ``operand_bits``.  On the
  vector unit every tensor has the unit's format width.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Collection, Mapping as MappingABC
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._errors import MappingError

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade, Einsum, TensorAccess

__all__ = ["TensorInfo", "StorageInfo", "Problem", "build_problem", "cascade_problems", "tensor_bits", "RF", "DRAM"]

#: Name of the per-PE register file level.
RF = "rf"
#: Name of the off-chip level.
DRAM = "dram"

_FORMAT_BITS = {"fp32": 32, "fp16": 16, "bf16": 16}


@dataclass(frozen=True, init=False)
class TensorInfo:
    """A tensor as the Einsum indexes it.

    Parameters
    ----------
    name : str
    role : str
        ``'input'``, ``'weight'`` or ``'output'``.
    bits : int
        Width of one element.
    coeffs : tuple of tuple of int
        Per tensor dimension, the absolute coefficient of every rank (``Problem.ranks`` order).
    dim_sizes : tuple of int
        Extent of each dimension the Einsum touches.

    Attributes
    ----------
    relevant : tuple of bool
        Per rank, whether the tensor is indexed by it.
    axes : tuple of int or None
        Per dimension, the position of the one rank that indexes it with coefficient 1 (``m`` and ``k`` of
        ``A[m,k]``), so that a tile's extent along the dimension is that rank's; ``None`` where some dimension
        is another affine form (``p*2+r``).
    """

    name: str
    role: str
    bits: int
    coeffs: tuple[tuple[int, ...], ...]
    dim_sizes: tuple[int, ...]

    def __init__(self, name: str, role: str, bits: int, coeffs: tuple[tuple[int, ...], ...], dim_sizes: tuple[int, ...]) -> None:
        # the derived views are computed once here (every cost model reads them); the generated frozen __init__
        # would set each field through object.__setattr__
        d = self.__dict__
        d["name"], d["role"], d["bits"], d["coeffs"], d["dim_sizes"] = name, role, bits, coeffs, dim_sizes
        d["relevant"] = tuple(map(any, zip(*coeffs))) if coeffs else ()
        axes = [row.index(1) if sum(row) == 1 else -1 for row in coeffs]  # coefficients are >= 0
        d["axes"] = None if -1 in axes else tuple(axes)

    @property
    def elements(self) -> int:
        """Elements the Einsum touches."""
        return math.prod(self.dim_sizes)

    def footprint(self, extents: tuple[int, ...]) -> int:
        """Elements of the dense box a tile of ``extents`` (per rank) spans, clipped to the tensor."""
        if self.axes is not None:  # each dimension spans its one rank's extent
            return math.prod(map(min, self.dim_sizes, map(extents.__getitem__, self.axes)))
        total = 1
        for row, size in zip(self.coeffs, self.dim_sizes):  # integers: sum(c * (e - 1)) taken as sum(c * e) - sum(c)
            total *= min(size, sum(map(operator.mul, row, extents)) - sum(row) + 1)
        return total


@dataclass(frozen=True, init=False)
class StorageInfo:
    """One storage level, innermost first (``rf``, on-chip levels, ``dram``).

    Parameters
    ----------
    name : str
    capacity : float
        Bytes (per PE for ``rf``; ``inf`` for ``dram``).
    per_pe : bool
        Whether every PE has its own instance.
    word_bits : int
        Width of one access (8 for ``dram``: its energy is per byte).
    read_bandwidth, write_bandwidth : float
        Bytes per cycle (``inf`` for the register file; for ``dram`` both are
        the one shared bandwidth).
    shared_bandwidth : bool
        Reads and writes share ``read_bandwidth`` (``dram``).
    holds : tuple of bool
        Per tensor (``Problem.tensors`` order), whether the level keeps it.
    latency : int
        Cycles from request to data.
    single_port : bool
        An on-chip level with one port: reads and writes take turns on it
        (each at its own bandwidth), so their times add up.
    """

    name: str
    capacity: float
    per_pe: bool
    word_bits: int
    read_bandwidth: float
    write_bandwidth: float
    shared_bandwidth: bool
    holds: tuple[bool, ...]
    latency: int
    single_port: bool = False

    def __init__(self, name: str, capacity: float, per_pe: bool, word_bits: int, read_bandwidth: float,
                 write_bandwidth: float, shared_bandwidth: bool, holds: tuple[bool, ...], latency: int,
                 single_port: bool = False) -> None:
        d = self.__dict__  # as TensorInfo's: without the generated frozen __init__'s object.__setattr__ per field
        d["name"], d["capacity"], d["per_pe"], d["word_bits"], d["read_bandwidth"] = (
            name, capacity, per_pe, word_bits, read_bandwidth)
        d["write_bandwidth"], d["shared_bandwidth"], d["holds"], d["latency"], d["single_port"] = (
            write_bandwidth, shared_bandwidth, holds, latency, single_port)


@dataclass(frozen=True, init=False)
class Problem:
    """An Einsum on an architecture: ranks, tensors, storage, the spatial array and the compute unit.

    Parameters
    ----------
    einsum : str
        Name of the Einsum.
    arch : str
        Name of the architecture.
    ranks : tuple of str
        Iteration ranks (output ranks first, then reduced ones).
    sizes : tuple of int
        Size of each rank.
    tensors : tuple of TensorInfo
        Output first, then the inputs in order of appearance.
    storage : tuple of StorageInfo
        Innermost (``rf``) to outermost (``dram``).
    rows, cols : int
        Spatial array shape (the vector unit is ``lanes x 1``).
    row_allowed, col_allowed : tuple of bool
        Per rank, whether it may be unrolled on that axis.
    network : str
        ``'systolic'`` or ``'broadcast'``.
    hop_latency : int
    unit : str
        ``'pe_array'`` or ``'vector'``.
    ops_per_point : int
        Operations per iteration point (1 for a MAC Einsum).
    ops_per_cycle : int
        Operations each PE or lane completes per cycle.
    pipeline_depth : int
    macs : int
        Real multiply-accumulates.
    ops : tuple of (str, int)
        Real operations by operator.
    clock_mhz : float
        Clock of the architecture.
    fold_pipelining : bool
        Consecutive folds overlap their fill and drain (``accel.PEArray.fold_pipelining``; the PE array only).
    """

    einsum: str
    arch: str
    ranks: tuple[str, ...]
    sizes: tuple[int, ...]
    tensors: tuple[TensorInfo, ...]
    storage: tuple[StorageInfo, ...]
    rows: int
    cols: int
    row_allowed: tuple[bool, ...]
    col_allowed: tuple[bool, ...]
    network: str
    hop_latency: int
    unit: str
    ops_per_point: int
    ops_per_cycle: int
    pipeline_depth: int
    macs: int
    ops: tuple[tuple[str, int], ...]
    clock_mhz: float = 1.0
    fold_pipelining: bool = False

    def __init__(self, einsum: str, arch: str, ranks: tuple[str, ...], sizes: tuple[int, ...],
                 tensors: tuple[TensorInfo, ...], storage: tuple[StorageInfo, ...], rows: int, cols: int,
                 row_allowed: tuple[bool, ...], col_allowed: tuple[bool, ...], network: str, hop_latency: int, unit: str,
                 ops_per_point: int, ops_per_cycle: int, pipeline_depth: int, macs: int, ops: tuple[tuple[str, int], ...],
                 clock_mhz: float = 1.0, fold_pipelining: bool = False) -> None:
        d = self.__dict__  # as TensorInfo's: without the generated frozen __init__'s object.__setattr__ per field
        d["einsum"], d["arch"], d["ranks"], d["sizes"], d["tensors"], d["storage"] = einsum, arch, ranks, sizes, tensors, storage
        d["rows"], d["cols"], d["row_allowed"], d["col_allowed"], d["network"] = rows, cols, row_allowed, col_allowed, network
        d["hop_latency"], d["unit"], d["ops_per_point"], d["ops_per_cycle"] = hop_latency, unit, ops_per_point, ops_per_cycle
        d["pipeline_depth"], d["macs"], d["ops"], d["clock_mhz"], d["fold_pipelining"] = (
            pipeline_depth, macs, ops, clock_mhz, fold_pipelining)

    @property
    def level_names(self) -> tuple[str, ...]:
        """Storage level names, innermost first."""
        return tuple([s.name for s in self.storage])

    @property
    def points(self) -> int:
        """Real iteration points."""
        return math.prod(self.sizes)

    @property
    def total_ops(self) -> int:
        """Real operations of all kinds (MACs count once)."""
        return self.macs if self.macs else sum(n for _, n in self.ops)

    @property
    def peak_ops_per_cycle(self) -> int:
        """Operations per cycle with every PE or lane busy."""
        return self.rows * self.cols * self.ops_per_cycle

    def tensor(self, name: str) -> TensorInfo:
        """The tensor called ``name``.

        Raises
        ------
        MappingError
            If the Einsum has no such tensor.
        """
        for t in self.tensors:
            if t.name == name:
                return t
        raise MappingError(f"Einsum {self.einsum!r} has no tensor {name!r}; tensors: {', '.join(t.name for t in self.tensors)}")


def _roles(einsum: Einsum, inputs: list[TensorAccess], weights: Collection[str] | None) -> list[str]:
    if weights:
        return ["weight" if a.tensor in weights else "input" for a in inputs]
    product = getattr(getattr(einsum, "expr", None), "op", None) == "mul" and len(inputs) == 2
    return ["weight" if product and i > 0 else "input" for i in range(len(inputs))]


def _tensor_info(access: TensorAccess, role: str, bits: int, index: dict[str, int], last: list[int]) -> TensorInfo:
    """``access`` as a :class:`TensorInfo`; ``index``: each rank's position, ``last``: each rank's size less one."""
    coeffs, dims = [], []
    n = len(last)
    for idx in access.indices:
        row = [0] * n
        for coef, rank in idx.terms:
            row[index[rank]] += abs(coef)  # an int (AffineIndex checks)
        coeffs.append(tuple(row))
        dims.append(1 + sum(map(operator.mul, row, last)))
    return TensorInfo(access.tensor, role, bits, tuple(coeffs), tuple(dims))


def build_problem(einsum: Einsum, shapes: MappingABC[str, int], arch: Architecture, weights: Collection[str] | None = None,
                  unit: str | None = None) -> Problem:
    """Flatten ``einsum`` with rank sizes ``shapes`` on ``arch`` into a :class:`Problem`.

    Parameters
    ----------
    einsum : dataflow.Einsum
    shapes : mapping of str to int
        Rank sizes (a cascade's ``shapes``).
    arch : accel.Architecture
    weights : collection of str, optional
        Tensors that are weights (a cascade's ``weights``); see the module docstring.
    unit : str, optional
        ``'pe_array'`` or ``'vector'``: the unit the Einsum is bound to (a fusion plan's binding; the 2-D array
        can do element-wise work, as FuseMax's does). Default: the vector unit for an Einsum without MACs where
        the architecture has one, else the array.

    Raises
    ------
    MappingError
        If an architecture level is called ``rf`` or ``dram`` (reserved names), or ``unit`` names a unit the
        architecture lacks or cannot run the Einsum on.
    dataflow.EinsumError
        If a rank is missing from ``shapes``.
    """
    space = einsum.iteration_space(shapes)  # checked once; the counts below take it as their shapes
    ranks = tuple(space)
    sizes = tuple(space.values())
    macs = int(einsum.macs(space))
    ops = tuple(sorted(einsum.op_counts(space).items()))
    if unit not in (None, "pe_array", "vector"):
        raise MappingError(f"Einsum {einsum.name!r}: unit must be 'pe_array' or 'vector', not {unit!r}")
    if unit == "vector" and (macs or getattr(arch, "vector_unit", None) is None):
        why = "it has MACs" if macs else f"architecture {arch.name!r} has no vector unit"
        raise MappingError(f"Einsum {einsum.name!r} cannot be bound to the vector unit: {why}")
    default_vector = macs == 0 and getattr(arch, "vector_unit", None) is not None
    vector = arch.vector_unit if (unit == "vector" or (unit is None and default_vector)) else None
    out_name = einsum.output.tensor
    inputs = [a for a in einsum.inputs if a.tensor != out_name]
    if vector is not None:
        in_bits = out_bits = _FORMAT_BITS.get(vector.format, 32)
    else:
        accumulates = macs > 0 or "sum" in getattr(einsum, "reduce_op", {}).values()
        arith = arch.arith
        in_bits, out_bits = arith.operand_bits, (arith.accumulator_bits if accumulates else arith.operand_bits)
    index = {r: k for k, r in enumerate(ranks)}
    last = [s - 1 for s in sizes]
    tensors = [_tensor_info(einsum.output, "output", out_bits, index, last)]
    for access, role in zip(inputs, _roles(einsum, inputs, weights)):
        tensors.append(_tensor_info(access, role, in_bits, index, last))
    levels = arch.levels
    for lvl in levels:
        if lvl.name in (RF, DRAM):
            raise MappingError(f"architecture {arch.name!r}: level name {lvl.name!r} is reserved by the mapper (rf, dram)")
    inf = math.inf
    rf = arch.register_file
    storage = [
        StorageInfo(
            RF, float(rf.capacity), True, rf.word_bits, inf, inf, False,
            tuple([vector is None and bool(rf.can_hold(t.name, t.role)) for t in tensors]), 0,
        )
    ]
    for lvl in levels:
        storage.append(
            StorageInfo(
                lvl.name, float(lvl.capacity), False, lvl.word_bits, float(lvl.read_bandwidth), float(lvl.write_bandwidth),
                False, tuple([bool(lvl.can_hold(t.name, t.role)) for t in tensors]), int(lvl.latency), int(lvl.ports) < 2,
            )
        )
    bw = float(arch.dram.bandwidth)
    storage.append(StorageInfo(DRAM, inf, False, 8, bw, bw, True, (True,) * len(tensors), int(arch.dram.latency)))
    pe = arch.pe_array
    if vector is not None:
        rows, cols, row_allowed, col_allowed = vector.lanes, 1, (True,) * len(ranks), (False,) * len(ranks)
        ops_per_point = max(1, math.ceil(sum(n for _, n in ops) / max(1, math.prod(sizes)))) if ops else 0
        ops_per_cycle, depth, unit = vector.ops_per_cycle, vector.pipeline_depth, "vector"
    else:
        rows, cols = pe.rows, pe.cols
        row_allowed = tuple([r in pe.row_ranks for r in ranks]) if pe.row_ranks else (True,) * len(ranks)
        col_allowed = tuple([r in pe.col_ranks for r in ranks]) if pe.col_ranks else (True,) * len(ranks)
        if macs:
            ops_per_point = 1
        else:
            ops_per_point = math.ceil(sum(n for _, n in ops) / max(1, math.prod(sizes))) if ops else 0
        ops_per_cycle, depth, unit = arch.arith.macs_per_cycle, arch.arith.pipeline_depth, "pe_array"
    return Problem(
        einsum=einsum.name, arch=arch.name, ranks=ranks, sizes=sizes, tensors=tuple(tensors), storage=tuple(storage),
        rows=rows, cols=cols, row_allowed=row_allowed, col_allowed=col_allowed,
        network="broadcast" if vector is not None else pe.network,
        hop_latency=pe.hop_latency, unit=unit, ops_per_point=ops_per_point, ops_per_cycle=ops_per_cycle,
        pipeline_depth=depth, macs=macs, ops=ops, clock_mhz=float(arch.clock_mhz),
        fold_pipelining=vector is None and pe.fold_pipelining,
    )


def cascade_problems(cascade: Cascade, arch: Architecture) -> MappingABC[str, Problem]:
    """Every Einsum of ``cascade`` on ``arch`` as a :class:`Problem`, by Einsum name: built once, then carried.

    The scheduler's tensor widths, the mapper and both simulators read these same values (see
    :func:`memory.graph_for_architecture`, :func:`mapping.search.map_cascade`).
    """
    from types import MappingProxyType

    weights = tuple(cascade.weights) or None
    return MappingProxyType({e.name: build_problem(e, cascade.shapes, arch, weights) for e in cascade.einsums})


def tensor_bits(cascade: Cascade, problems: MappingABC[str, Problem]) -> dict[str, int]:
    """Bits per element of every tensor as the architecture moves it: a produced tensor at its producer's output
    width (``accumulator_bits`` after a MAC Einsum), a cascade input at the width its first reader gives it."""
    bits: dict[str, int] = {}
    for e in cascade.einsums:
        for t in problems[e.name].tensors:
            if t.role == "output" or t.name not in bits:
                bits[t.name] = int(t.bits)
    return bits

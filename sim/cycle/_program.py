"""The program the simulator's controller follows: an Einsum lowered into tile steps (see :mod:`._lower`).

A :class:`TileStep` is a run of folds that share one set of tiles, with the fills before it, the streams during
it and the drains after it (:class:`Move`) and the space it takes and gives back (:class:`Alloc`); an
:class:`EinsumProgram` is one Einsum's steps with its fold timing and counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._systolic import FoldTiming

__all__ = ["Move", "Alloc", "TileStep", "EinsumProgram", "DRAM", "SPAD", "ARRAY"]

#: Off-chip memory.
DRAM = "dram"
#: The cascade's on-chip scratchpad (COSMA), when a schedule keeps a tensor resident.
SPAD = "spad"
#: The PE array (source of outputs, sink of operand streams).
ARRAY = "array"


@dataclass(frozen=True)
class Move:
    """One tile transfer between two places (level names, ``'dram'`` or ``'spad'``).

    ``bits`` is the element width of the bytes moved when it is not the one
    the Einsum reads the tensor with (a whole-tensor spill stored at its
    producer's width); 0 means the Einsum's.
    """

    tensor: str
    src: str
    dst: str
    nbytes: int
    kind: str  # 'fill' or 'drain'
    bits: int = 0  # element width when it differs from the Einsum's view of the tensor (spills)


@dataclass(frozen=True)
class Alloc:
    """``nbytes`` of level ``level`` taken by a tile of ``tensor``."""

    level: str
    tensor: str
    nbytes: int


@dataclass(frozen=True)
class TileStep:
    """A run of folds between two tile changes.

    Attributes
    ----------
    index : int
        Position in the Einsum's program.
    label : str
        ``'<einsum> step <index> [rank=i, ...]'``: the loop indices above the array at its first fold.
    folds : int
        Folds in the step.
    allocs : tuple of Alloc
        Tiles taking space from this step on (allocated before its fills).
    fills : tuple of Move
        Transfers that must finish before the first fold, outer levels first per tensor.
    reads, writes : tuple of (level, tensor, bytes)
        What the array streams out of / into the shared levels over the whole step.
    drains : tuple of Move
        Transfers after the last fold (evicted partial sums and outputs), inner levels first.
    frees : tuple of Alloc
        Tiles released once the drains are done.
    """

    index: int
    label: str
    folds: int
    allocs: tuple[Alloc, ...]
    fills: tuple[Move, ...]
    reads: tuple[tuple[str, str, int], ...]
    writes: tuple[tuple[str, str, int], ...]
    drains: tuple[Move, ...]
    frees: tuple[Alloc, ...]


@dataclass(frozen=True)
class EinsumProgram:
    """Everything the engine needs to run one Einsum.

    Attributes
    ----------
    einsum : str
    unit : str
        ``'pe_array'`` or ``'vector'``.
    timing : FoldTiming
        Cycles of one fold (with ample bandwidth).
    steps : tuple of TileStep
    macs, ops : int
        Real multiply-accumulates and operations (padding excluded).
    rows_used, cols_used : int
        PEs the mapping occupies.
    pe_accesses : tuple of (tensor, reads, writes, fills, drains)
        Register-file accesses in elements, over all PEs and folds.
    noc_bits : float
        Bits delivered to (or collected from) PEs over the array network.
    inputs, outputs : tuple of str
        Tensors read and written.
    """

    einsum: str
    unit: str
    timing: FoldTiming
    steps: tuple[TileStep, ...]
    macs: int
    ops: int
    rows_used: int
    cols_used: int
    pe_accesses: tuple[tuple[str, float, float, float, float], ...]
    noc_bits: float
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    @property
    def folds(self) -> int:
        """Folds over all steps."""
        return sum(s.folds for s in self.steps)

    @property
    def ideal_cycles(self) -> int:
        """Cycles of the PE array alone (no stalls): every step's folds, preloads overlapped where they can be."""
        last = len(self.steps) - 1
        return sum(self.timing.run(s.folds, s.index == 0, s.index == last) for s in self.steps)

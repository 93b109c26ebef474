"""A fast pipelined model of one attention cascade on a 2-D PE array plus a 1-D vector unit (FuseMax vs FLAT).

The per-Einsum mapper and :mod:`sim.analytical` score Einsums one after
another (:func:`sim.combine` adds their cycles) and keep every tensor between
Einsums in DRAM; neither models a fused, pipelined cascade whose 2-D and 1-D
arrays work at once, nor an on-chip buffer that holds score rows between
passes.  That composition is what separates FuseMax from FLAT, so this module
builds it on top of public pieces: op counts and tensor shapes from the
:class:`dataflow.Cascade`, the passes from :func:`dataflow.analyze_passes`,
unit sizes, bandwidths and capacities from the :class:`accel.Architecture`,
and per-action energies from :func:`accel.energy_table`.

Model (per attention instance: ``M = P = N`` keys and queries, ``E = F``;
queries processed in blocks of ``P0``, keys streamed in chunks of ``M0``):

* Work.  An Einsum with MACs runs on the 2-D array (one MAC per PE per
  cycle).  Every other Einsum is element-wise or a reduction; its operations
  run on the *bound* unit: the vector unit (one op per lane per cycle, exp
  included) or the 2-D array (one op per PE per cycle, an exp costing
  :data:`EXP_PE_OPS`).  FLAT-like: everything element-wise on the vector unit
  (FLAT's separate softmax unit).  FuseMax-like: each element-wise Einsum is
  bound to whichever unit minimises the latency (every binding is tried).
* Pipelining.  Both dataflows are fused and double-buffered across query
  blocks, so the units overlap: latency = max(2-D array cycles, vector cycles,
  DRAM cycles).  (Generous to FLAT: its stages of one block still overlap
  with other blocks.)
* On-chip buffer.  A tensor that spans the sequence rank ``m`` and crosses a
  pass boundary (written in pass p, read in a later pass, per
  :func:`dataflow.analyze_passes`) must hold a whole row block: ``P0 x N``
  elements, double-buffered (the tensors live across the busiest pass
  boundary; an element-wise consumer overwrites its input in place); with
  one pass nothing grows with ``N``.  Streamed tensors hold one chunk
  (``M0`` keys; K and V double-buffered) or one block of ``P0`` queries.
  The buffer requirement is the sum of these footprints at the smallest
  block (the array's rows); the block used is the largest multiple of the
  rows (up to ``N``) that fits.
  When even the smallest block does not fit, the crossing tensors spill: each
  is written to DRAM once and read back once per consumer in a later pass.
* Traffic.  DRAM: Q read and the output written once, K and V read once per
  query block unless they also fit on chip, plus spills.  Global buffer:
  every Einsum reads each of its input tensors once per query block if the
  tensor has no query rank ``p`` (K, V), once otherwise, and writes its output
  once (operand reuse inside the array is free).
* Energy: MACs and PE ops at the arch's MAC energy, vector ops at its
  vector-op energy, buffer bytes at its global-buffer word energy per byte,
  DRAM bytes at its DRAM energy.  Every element is ``operand_bits`` wide.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from accel import Architecture, energy_table
from dataflow import Cascade, analyze_passes

from ._common import StudyError

__all__ = ["AttentionCost", "attention_cost", "DATAFLOWS", "EXP_PE_OPS"]

#: The two dataflows.
DATAFLOWS: tuple[str, ...] = ("flat", "fusemax")
#: PE-array operations per exponential (range reduction and a short polynomial).
EXP_PE_OPS = 4
_OP_WEIGHT_PE = {"exp": EXP_PE_OPS}


@dataclass(frozen=True)
class AttentionCost:
    """Latency, energy and buffer needs of one attention cascade under one dataflow.

    Parameters
    ----------
    dataflow : str
        ``'flat'`` or ``'fusemax'``.
    passes : int
        Passes over the sequence rank.
    block : int
        Queries per block ``P0``.
    buffer_need_bytes : int
        On-chip bytes to run without spilling with the smallest query block (the array's rows).
    fits : bool
        Whether ``buffer_need_bytes`` fits the global buffer (else the crossing tensors spill).
    array_cycles, vector_cycles, dram_cycles, cycles : float
        Busy cycles of each unit and the pipelined latency.
    macs : int
    dram_bytes, buffer_bytes : float
        Bytes moved to/from DRAM and the global buffer.
    energy_pj : float
    energy_by_part : tuple of (str, float)
        ``mac``, ``pe_ops``, ``vector``, ``global_buffer``, ``dram``.
    binding : tuple of (str, str)
        Element-wise Einsum -> ``'array'`` or ``'vector'``.
    utilization : float
        MACs over ``PEs x cycles``.
    """

    dataflow: str
    passes: int
    block: int
    buffer_need_bytes: int
    fits: bool
    array_cycles: float
    vector_cycles: float
    dram_cycles: float
    cycles: float
    macs: int
    dram_bytes: float
    buffer_bytes: float
    energy_pj: float
    energy_by_part: tuple[tuple[str, float], ...]
    binding: tuple[tuple[str, str], ...]
    utilization: float


def _seq(cascade: Cascade) -> tuple[int, int]:
    shapes = cascade.shapes
    if "p" not in shapes or "m" not in shapes:
        raise StudyError(f"attention_cost: cascade {cascade.name!r} needs ranks 'm' and 'p', has {sorted(shapes)!r}")
    return shapes["m"], shapes["p"]


def _crossing(cascade: Cascade) -> tuple[tuple[str, int, int], ...]:
    """Intermediates spanning the sequence rank read in a later pass than the one writing them.

    Each as ``(name, pass written, last pass reading it)``.
    """
    analysis = analyze_passes(cascade, "m")
    out = []
    for name in cascade.intermediates:
        if "m" not in cascade.tensors[name].dims:
            continue
        made = analysis.pass_of(cascade.producer(name).name)
        last = max(analysis.pass_of(c.name) for c in cascade.consumers(name))
        if last > made:
            out.append((name, made, last))
    return tuple(out)


def _footprint(cascade: Cascade, name: str, block: int, held: bool) -> int:
    """Elements of ``name`` resident at once: a ``block`` of queries, one chunk of keys (or all, if held)."""
    shapes = cascade.shapes
    chunk = shapes.get("m0", min(shapes["m"], 256))
    elements = 1
    for dim in cascade.tensors[name].dims:
        if dim == "p":
            elements *= block
        elif dim == "m":
            elements *= shapes["m"] if held else chunk
        elif dim.split("+")[0] == "m1":  # chunk index (``m1+1`` for a recurrence's output)
            elements *= 2  # the running values of this chunk and the next
        else:
            elements *= shapes[dim]
    return elements


def _buffer_need(cascade: Cascade, block: int, crossing: tuple[tuple[str, int, int], ...], word: float) -> int:
    """Bytes on chip: streamed tiles (K, V chunks double-buffered) plus, double-buffered, the held
    row blocks live across the busiest pass boundary (an element-wise consumer overwrites its input in place)."""
    held = {name for name, _, _ in crossing}
    total = 0.0
    for name in cascade.tensors:
        if name in held:
            continue
        total += _footprint(cascade, name, block, False) * (2 if name in ("K", "V") else 1)
    boundaries = {b for _, made, last in crossing for b in range(made, last)}
    rows = max((sum(_footprint(cascade, n, block, True) for n, made, last in crossing if made <= b < last) for b in boundaries),
               default=0)
    return int(math.ceil((total + 2 * rows) * word))


def _work(cascade: Cascade) -> tuple[int, dict[str, tuple[float, float]]]:
    """Total MACs, and per element-wise Einsum (cycles on one PE, cycles on one lane)."""
    macs, elementwise = 0, {}
    for e in cascade.einsums:
        m = e.macs(cascade.shapes)
        if m:
            macs += m
            continue
        ops = e.op_counts(cascade.shapes)
        elementwise[e.name] = (float(sum(n * _OP_WEIGHT_PE.get(op, 1) for op, n in ops.items())), float(sum(ops.values())))
    return macs, elementwise


def attention_cost(cascade: Cascade, arch: Architecture, dataflow: str) -> AttentionCost:
    """Cost of one attention cascade (a :func:`dataflow.library.attention` variant) on ``arch``.

    Parameters
    ----------
    cascade : dataflow.Cascade
        Attention with ranks ``m`` (keys), ``p`` (queries), inputs Q, K, V.
    arch : accel.Architecture
        Needs a vector unit.
    dataflow : str
        ``'flat'`` or ``'fusemax'``.

    Raises
    ------
    StudyError
        Unknown dataflow, a cascade without the attention ranks or an architecture without a vector unit.
    """
    if dataflow not in DATAFLOWS:
        raise StudyError(f"attention_cost: dataflow must be one of {DATAFLOWS}, not {dataflow!r}")
    if arch.vector_unit is None:
        raise StudyError(f"attention_cost: architecture {arch.name!r} has no vector unit")
    m_len, p_len = _seq(cascade)
    word = arch.operand_bits / 8
    gb = arch.levels[-1]
    crossing = _crossing(cascade)
    rows = arch.pe_array.rows
    blocks = [b for b in range(rows, p_len + 1, rows)] or [p_len]
    need = _buffer_need(cascade, blocks[0], crossing, word)
    fitting = [b for b in blocks if _buffer_need(cascade, b, crossing, word) <= gb.capacity]
    block = max(fitting) if fitting else blocks[0]
    n_blocks = math.ceil(p_len / block)
    # DRAM traffic
    el = cascade.tensor_elements
    kv = el("K") + el("V")
    kv_resident = _buffer_need(cascade, block, crossing, word) + kv * word <= gb.capacity
    dram = (el("Q") + sum(el(o) for o in cascade.outputs) + kv * (1 if kv_resident else n_blocks)) * word
    if not fitting:
        for name, _, _ in crossing:
            dram += el(name) * word * (1 + len(cascade.consumers(name)))
    # global-buffer traffic
    buf = 0.0
    for e in cascade.einsums:
        buf += el(e.output.tensor)
        for name in {a.tensor for a in e.inputs}:
            buf += el(name) * (1 if "p" in cascade.tensors[name].dims else n_blocks)
    buf *= word
    macs, elementwise = _work(cascade)
    pes, lanes = arch.num_pes * arch.arith.macs_per_cycle, arch.vector_unit.ops_per_cycle_total
    dram_cycles = dram / arch.dram.bandwidth
    names = sorted(elementwise)
    options = [("vector",) * len(names)] if dataflow == "flat" else list(itertools.product(("array", "vector"), repeat=len(names)))
    best = None
    for choice in options:
        arr = (macs + sum(elementwise[n][0] for n, c in zip(names, choice) if c == "array")) / pes
        vec = sum(elementwise[n][1] for n, c in zip(names, choice) if c == "vector") / lanes
        key = (max(arr, vec, dram_cycles), arr + vec)
        if best is None or key < best[0]:
            best = (key, choice, arr, vec)
    (cycles, _), choice, arr, vec = best
    energies = energy_table(arch)
    pe_ops = sum(elementwise[n][0] for n, c in zip(names, choice) if c == "array")
    vec_ops = sum(elementwise[n][1] for n, c in zip(names, choice) if c == "vector")
    gb_key = f"{gb.name}.read"
    parts = (
        ("mac", macs * energies["mac"]),
        ("pe_ops", pe_ops * energies["mac"]),
        ("vector", vec_ops * energies["vector.op"]),
        ("global_buffer", buf * energies.per_byte(gb_key)),
        ("dram", dram * energies.per_byte("dram.read")),
    )
    return AttentionCost(
        dataflow=dataflow, passes=analyze_passes(cascade, "m").count, block=block, buffer_need_bytes=need,
        fits=bool(fitting), array_cycles=arr, vector_cycles=vec, dram_cycles=dram_cycles, cycles=cycles, macs=macs,
        dram_bytes=dram, buffer_bytes=buf, energy_pj=sum(v for _, v in parts), energy_by_part=parts,
        binding=tuple(zip(names, choice)), utilization=macs / (arch.num_pes * cycles) if cycles else 0.0,
    )

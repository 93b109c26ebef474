"""GPU kernel plans: how a measured operator becomes kernels of CTAs on the SMs.

The generic per-Einsum mapper maps one Einsum onto one PE array; a GPU runs a
*grid* of CTAs, each a tile of the Einsum on one SM, dispatched to the SMs in
launch order.  This module is that GPU-specific mapping layer: it tiles the
workload (a ``dataflow`` cascade from :mod:`dataflow.library` or written
here) into CTAs, prices one CTA of each shape with :mod:`sim.analytical` on
the SM slice (:mod:`accel.calibrate._cta`), and records the kernel's
compulsory HBM traffic.

* GEMM: output tiles ``tm x tn`` from the CUTLASS/cuBLAS shapes in
  :data:`GEMM_TILES`, optionally split along ``k`` (split-K), which adds a
  reduction kernel that reads the FP32 partial sums.  As in cuBLAS, split-K
  only serves grids whose output tiles leave SMs idle: the split grid fills
  one wave at most.  All candidates are
  returned; the predictor keeps the fastest (as cuBLAS's heuristics aim to).
  Split-K partial sums are reduced either in the kernel (serially, through
  L2: each CTA moves its FP32 partial tile in and out) or by a second kernel
  (partials to HBM and back).
* Attention (flash-style, the FuseMax 1-pass cascade): one CTA per
  (batch, head, 128-query block) looping over 128-key blocks; causal CTAs
  stop at the diagonal block, so their work grows with the query block.
  Launch order is query block fastest, as in FlashAttention's grid.  An SM
  holds two FlashAttention-2 CTAs at once (:data:`ATTENTION_RESIDENT`), one of
  cuDNN's; a FlashAttention-2 CTA alone on its SM also waits out the load of
  each of its key blocks (``lone_trips``).
* Soft-max and layer-norm (:mod:`accel.calibrate._rows`): PyTorch's kernel for the row
  length, as many of its blocks per SM as threads, registers and shared memory allow; those
  blocks are one modelled CTA.  Their instructions (counted per element and per row) share
  the SM's issue slots, at the ``row_kernels`` fraction when enough warps are resident
  (``issue_warps``) and proportionally less often with fewer; each block also waits for its
  loads one step after another (a round trip each: the spec's DRAM latency plus the time
  the bytes all blocks of the chip have in flight take at the achievable HBM bandwidth).  A
  block holds its row on chip when the kernel keeps it in registers or shared memory (one
  read), else reads it once per pass of the cascade (:func:`dataflow.count_passes`: 3 for
  soft-max, 2 for Welford layer-norm); re-reads hit L2 while the rows in flight fit it (HBM
  sees each element read once and written once), and miss it entirely past its capacity (an
  LRU cache under a cyclic stream).  Scale and copy: one CTA per SM over equal chunks.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Iterator

from dataflow import count_passes, parse_cascade
from dataflow.library import attention as attention_cascade
from dataflow.library import gemm as gemm_cascade
from mapping import Mapping

from ._cta import CtaCost, attention_block, gemm_tile, vector_rows
from ._errors import CalibrationError
from ._gpu import GPUModel, PRECISIONS
from ._knobs import BACKENDS, Knobs
from ._measurements import Measurement
from ._rows import row_kernel

__all__ = ["CtaClass", "Kernel", "KernelPlan", "candidate_plans", "GEMM_TILES", "GEMM_SPLITS", "ATTENTION_BLOCK",
           "ATTENTION_RESIDENT"]

#: CTA output tiles (rows x columns) a GEMM may use.
GEMM_TILES: tuple[tuple[int, int], ...] = ((128, 256), (256, 128), (128, 128), (64, 256), (64, 128))
#: Split-K factors a GEMM may use.
GEMM_SPLITS: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 16)
#: Query and key block of a flash-attention CTA.
ATTENTION_BLOCK = 128
#: Per backend: CTAs one SM holds at once, from the launch configurations the profiler recorded
#: (benchmarks/gpu/h200_kernels.json): FlashAttention-2's 128-thread CTAs use 255 registers per
#: thread, so two fit the 64K registers of an SM; cuDNN's 384-thread CTAs take 232 KB of shared memory.
ATTENTION_RESIDENT = {"flash": 2, "cudnn": 1}
_MIN_K_SLICE = 128
_OUT_BYTES = 2  # BF16 results (the FP8 GEMMs write BF16 too)
_PARTIAL_BYTES = 4  # FP32 split-K partial sums

SOFTMAX_LINES = ("GM[p] = X[m,p] :: max(m)", "SN[m,p] = exp(X[m,p] - GM[p])", "SD[p] = SN[m,p]", "Y[m,p] = SN[m,p] / SD[p]")
LAYERNORM_LINES = ("S1[p] = X[m,p]", "SQ[m,p] = X[m,p] * X[m,p]", "S2[p] = SQ[m,p]", "XC[m,p] = X[m,p] - S1[p]",
                   "Y[m,p] = XC[m,p] * S2[p]")  # Welford: mean and variance in one pass, then normalize
SCALE_LINES = ("Y[m,p] = X[m,p] * 1.5",)
COPY_LINES = ("Y[m,p] = X[m,p]",)
_GEMM_KINDS = {"gemm_bf16": "bf16", "gemm_fp8_e4m3": "fp8_e4m3"}


@dataclass(frozen=True)
class CtaClass:
    """CTAs of one shape: per CTA, cycles at peak and bytes streamed.

    Parameters
    ----------
    compute_cycles : float
    fill_cycles : float
    stream_bytes : float
        Bytes the CTA moves beyond the SM (bounded by the SM's bandwidth).
    round_trips : float
        For a row-wise kernel whose modelled CTA is the thread blocks one SM holds at
        once, the load round trips one of those blocks waits for, one after another
        (each the DRAM latency plus its queueing behind ``in_flight``); 0 otherwise.
    in_flight : float
        Bytes the whole chip has in flight while such blocks run.
    warps : float
        For a row-wise kernel, the warps its blocks keep resident on the SM (their
        instructions issue at the knobs' rate only with enough of them); 0 otherwise.
    lone_trips : float
        Memory round trips the CTA waits for, unhidden, when it has its SM to itself: one per
        key block of a FlashAttention-2 CTA, whose four warps load the next K/V block and then
        wait for it, so that only a second CTA on the SM computes meanwhile; 0 otherwise.
    """

    compute_cycles: float
    fill_cycles: float
    stream_bytes: float
    round_trips: float = 0.0
    in_flight: float = 0.0
    lone_trips: float = 0.0
    warps: float = 0.0


@dataclass(frozen=True)
class Kernel:
    """One kernel launch: CTA classes in launch order and its HBM traffic.

    Parameters
    ----------
    name : str
    family : str or None
        Knob family whose achievable fraction scales the tensor rate; ``None``
        for vector-unit and streaming kernels (peak vector rate).
    classes : tuple of CtaClass
    pattern : tuple of int
        Class indices of consecutive CTAs; the launch order is ``pattern``
        repeated ``repeats`` times.
    repeats : int
    hbm_bytes : float
        Compulsory off-chip traffic (each operand read once, each result written once).
    macs : int
        Real multiply-accumulates.
    mappings : tuple of mapping.Mapping
        The per-CTA mappings the costs come from.
    resident : int
        CTAs of the kernel one SM holds at once (its registers and shared memory allow): ``k``
        of them on an SM share its rate, so each takes ``k`` times its own time, unless its own
        latency-bound chain (``lone_trips``) is longer.
    """

    name: str
    family: str | None
    classes: tuple[CtaClass, ...]
    pattern: tuple[int, ...]
    repeats: int
    hbm_bytes: float
    macs: int
    mappings: tuple[Mapping, ...] = ()
    resident: int = 1

    @property
    def ctas(self) -> int:
        """CTAs in the grid."""
        return len(self.pattern) * self.repeats

    def launch_order(self) -> Iterator[CtaClass]:
        """The CTAs' classes in launch order."""
        for _ in range(self.repeats):
            for i in self.pattern:
                yield self.classes[i]

    def counts(self) -> list[tuple[CtaClass, int]]:
        """Each class with the number of CTAs of it."""
        return [(c, self.pattern.count(i) * self.repeats) for i, c in enumerate(self.classes)]


@dataclass(frozen=True)
class KernelPlan:
    """The kernels one measured operator runs, in order.

    Parameters
    ----------
    measurement : Measurement
    precision : str
    kernels : tuple of Kernel
    description : str
        The tiling in words (``'tile 128x256, split-k 1'``).
    """

    measurement: Measurement
    precision: str
    kernels: tuple[Kernel, ...]
    description: str


def _cls(cost: CtaCost, blocks: int = 1, extra_bytes: float = 0.0) -> CtaClass:
    return CtaClass(cost.compute_cycles * blocks, cost.fill_cycles, cost.stream_bytes * blocks + extra_bytes)


def _stream_kernel(gpu: GPUModel, name: str, lines: tuple[str, ...], elements: int, element_bytes: int, hbm: float) -> Kernel:
    ctas = max(1, min(gpu.sms, math.ceil(elements / gpu.sm_arch("bf16").vector_unit.lanes)))
    per = math.ceil(elements / ctas)
    cost = vector_rows(gpu, lines, per, 1, element_bytes)
    return Kernel(name, None, (_cls(cost),), (0,), ctas, hbm, 0, tuple(m for r in cost.reports for m in r.mappings))


def _gemm_plans(m: Measurement, gpu: GPUModel) -> tuple[KernelPlan, ...]:
    precision = _GEMM_KINDS[m.kind]
    M, N, K = m.get("m"), m.get("n"), m.get("k")
    cascade = gemm_cascade(M, N, K)
    eb = PRECISIONS[precision].operand_bytes
    compulsory = cascade.tensor_bytes("A", 8 * eb) + cascade.tensor_bytes("B", 8 * eb) + cascade.tensor_bytes("Z", 8 * _OUT_BYTES)
    plans = []
    for tm, tn in GEMM_TILES:
        for split in GEMM_SPLITS:
            kslice = math.ceil(K / split)
            if split > 1 and kslice < _MIN_K_SLICE:
                break
            tiles = math.ceil(M / tm) * math.ceil(N / tn)
            if split > 1 and tiles * split > gpu.sms:
                break  # split-K only fills SMs the output tiles leave idle (one wave at most)
            cost = gemm_tile(gpu, precision, tm, tn, kslice)
            what = f"tile {tm}x{tn}, split-k {split}, {tiles * split} CTAs"
            if split == 1:
                main = Kernel(f"gemm {tm}x{tn}", m.kind, (_cls(cost),), (0,), tiles, compulsory, cascade.macs(), cost.mappings)
                plans.append(KernelPlan(m, precision, (main,), what))
                continue
            # Serial split-K: each CTA adds its FP32 partial tile into the result through L2, one kernel.
            partial_tile = 2 * tm * tn * _PARTIAL_BYTES
            serial = Kernel(f"gemm {tm}x{tn} split-k {split} (serial)", m.kind, (_cls(cost, 1, partial_tile),), (0,),
                            tiles * split, compulsory, cascade.macs(), cost.mappings)
            plans.append(KernelPlan(m, precision, (serial,), what + ", reduced in-kernel through L2"))
            # Parallel split-K: partial sums to HBM, then a reduction kernel.
            partials = split * M * N * _PARTIAL_BYTES
            main = Kernel(f"gemm {tm}x{tn} split-k {split}", m.kind, (_cls(cost),), (0,), tiles * split,
                          compulsory + partials, cascade.macs(), cost.mappings)
            reduce = _stream_kernel(gpu, "split-k reduction", COPY_LINES, M * N, _PARTIAL_BYTES, partials + M * N * _OUT_BYTES)
            plans.append(KernelPlan(m, precision, (main, reduce), what + ", reduced by a second kernel"))
    return tuple(plans)


def _attention_plan(m: Measurement, gpu: GPUModel, knobs: Knobs) -> KernelPlan:
    b, h, s, d, causal = (m.get(x) for x in ("b", "h", "s", "d", "causal"))
    backend = m.get("backend") or knobs.attention_default_backend
    if backend not in BACKENDS:
        raise CalibrationError(f"{m.where}: attention backend {backend!r} is not modelled; backends: {', '.join(BACKENDS)}")
    blk = min(ATTENTION_BLOCK, s)
    nq = math.ceil(s / blk)
    heads = b * h
    cascade = attention_cascade(1, M=nq * blk, P=nq * blk, E=d, F=d, M0=blk, H=heads)
    ops = sum(cascade.op_counts().values())
    vector_ops = (ops - 2 * cascade.macs()) // (heads * nq * nq)
    block = attention_block(gpu, blk, blk, d, vector_ops)
    io = 2 * blk * d * 2  # the CTA's Q block in, O block out (BF16)
    if causal:
        classes = tuple(_cls(block, i + 1, io) for i in range(nq))
        pattern = tuple(range(nq))
        macs = heads * block.macs * nq * (nq + 1) // 2
    else:
        classes, pattern, macs = (_cls(block, nq, io),), tuple([0] * nq), heads * block.macs * nq * nq
    hbm = sum(cascade.tensor_bytes(t, 16) for t in ("Q", "K", "V", "AV"))
    if backend == "flash":
        # FlashAttention-2's own key block (its kernel traits: 64 keys for head dim 128, 128 for 64): each one's
        # K/V load is a round trip that a lone CTA waits out.
        key_block = 64 if d > 64 else 128
        per_block = blk / key_block
        classes = tuple(dataclasses.replace(c, lone_trips=per_block * (i + 1 if causal else nq))
                        for i, c in enumerate(classes))
    kernel = Kernel(f"attention {backend}" + (" causal" if causal else ""), f"attention_{backend}", classes, pattern,
                    heads, hbm, macs, block.mappings, ATTENTION_RESIDENT[backend])
    return KernelPlan(m, "bf16", (kernel,), f"{backend}: {nq} query blocks x {heads} heads, {blk}-key blocks, "
                                            f"{kernel.resident} CTA(s) per SM")


def _l2_bytes(gpu: GPUModel) -> int:
    """Capacity of the spec's level named ``l2`` (0 when it has none: every re-read then goes to HBM)."""
    return next((lvl.capacity for lvl in gpu.arch.levels if lvl.name == "l2"), 0)


def row_variant(kind: str, cols: int) -> str:
    """The name of the kernel a row-wise operator runs for rows of ``cols`` BF16 elements
    (:func:`accel.calibrate._rows.row_kernel`): ``'warp'``, ``'register'``, ``'shared-memory'``,
    ``'multi-pass'`` (soft-max) or ``'welford'`` (layer-norm)."""
    lines = LAYERNORM_LINES if kind == "layernorm_bf16" else SOFTMAX_LINES
    return row_kernel(kind, cols, count_passes(parse_cascade(list(lines), {"m": cols, "p": 1}), "m")).name


def _rows_plan(m: Measurement, gpu: GPUModel) -> KernelPlan:
    rows, cols = m.get("rows"), m.get("cols")
    elements = rows * cols
    hbm = 2 * elements * 2  # each element read once from HBM and written once (re-reads of a row hit L1/L2)
    if m.kind == "scale_bf16":
        kernel = _stream_kernel(gpu, "scale", SCALE_LINES, elements, 2, hbm)
        return KernelPlan(m, "bf16", (kernel,), f"{kernel.ctas} CTAs over {elements} elements")
    lines = LAYERNORM_LINES if m.kind == "layernorm_bf16" else SOFTMAX_LINES
    cascade = parse_cascade(list(lines), {"m": cols, "p": rows}, name=m.kind)
    rk = row_kernel(m.kind, cols, count_passes(cascade, "m"))
    reads = rk.global_reads
    cost = vector_rows(gpu, lines, cols, reads, 2)
    blocks = math.ceil(rows / rk.rows_per_block)
    resident = min(rk.resident(gpu), blocks)
    per_cta = resident * rk.rows_per_block
    # The blocks one SM holds at once are one modelled CTA: their instructions share the SM's issue slots (one
    # warp instruction per clock on each of its lanes' four schedulers), their load round trips run side by side,
    # each queueing behind the bytes all blocks of the chip have in flight.
    lanes = gpu.sm_arch("bf16").vector_unit.lanes
    cls = CtaClass(per_cta * rk.instructions(cols) / lanes, 0.0, cost.stream_bytes * per_cta, rk.round_trips(cols),
                   min(blocks, gpu.sms * resident) * rk.block_flight(), warps=resident * rk.threads / 32)
    ctas = math.ceil(blocks / resident)
    what = (f"{rk.name} kernel, {rk.rows_per_block} row(s) per {rk.threads}-thread block ({rk.registers} registers "
            f"per thread, {rk.block_flight()} bytes in flight), {resident} blocks per SM at once, {reads} read(s) of "
            f"each row, {rk.round_trips(cols)} round trip(s) per block")
    # Re-reads of a row hit L2 while the rows in flight fit it; rows streamed cyclically through a full LRU
    # cache evict each other before the next pass, so past its capacity every pass reads HBM again.
    in_flight = min(rows, gpu.sms * per_cta) * cols * 2
    if reads > 1 and in_flight > _l2_bytes(gpu):
        hbm += (reads - 1) * elements * 2
        what += f", re-reads from HBM ({in_flight / 2**20:.0f} MiB of rows in flight > L2)"
    mappings = tuple(x for r in cost.reports for x in r.mappings)
    kernel = Kernel(m.kind.removesuffix("_bf16"), "row_kernels", (cls,), (0,), ctas, hbm, 0, mappings)
    return KernelPlan(m, "bf16", (kernel,), what)


def _copy_plan(m: Measurement, gpu: GPUModel) -> KernelPlan:
    elements = m.get("bytes") // 2
    kernel = _stream_kernel(gpu, "copy", COPY_LINES, elements, 1, 2 * elements)
    return KernelPlan(m, "bf16", (kernel,), f"{kernel.ctas} CTAs over {elements} bytes")


def candidate_plans(m: Measurement, gpu: GPUModel, knobs: Knobs) -> tuple[KernelPlan, ...]:
    """Every plan the GPU could run ``m`` with (one, except GEMM tilings).

    Parameters
    ----------
    m : Measurement
    gpu : GPUModel
    knobs : Knobs
        Only its default attention backend is read.

    Raises
    ------
    CalibrationError
        For an operator or attention backend the model lacks (naming the row).
    """
    if m.kind in _GEMM_KINDS:
        return _gemm_plans(m, gpu)
    if m.kind == "attention_bf16":
        return (_attention_plan(m, gpu, knobs),)
    if m.kind in ("softmax_bf16", "layernorm_bf16", "scale_bf16"):
        return (_rows_plan(m, gpu),)
    if m.kind == "copy":
        return (_copy_plan(m, gpu),)
    raise CalibrationError(f"{m.where}: no GPU model for operator {m.kind!r}")

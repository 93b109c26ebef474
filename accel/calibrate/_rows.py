"""PyTorch's row-wise CUDA kernels: which kernel a row length selects, its launch shape, how many share an SM.

Soft-max and layer-norm over the last axis of a BF16 matrix, as PyTorch 2.11 dispatches them
(``aten/src/ATen/native/cuda/SoftMax.cu``, ``PersistentSoftmax.cuh``, ``layer_norm_kernel.cu``):

* soft-max rows of at most 2048 elements (and 8 KB): ``softmax_warp_forward``, a warp per row,
  four warps (128 threads) per block, each lane holding its share of the row in registers;
* longer soft-max rows: one block per row of ``min(cols, 1024)`` threads
  (``SoftMaxForward_getBlockSize``); fewer than 10 elements per thread keep the row in
  registers (``cunn_SoftMaxForwardReg``, scalar loads all in flight at once); a row that fits
  the 48 KB a block may use is staged in shared memory (``cunn_SoftMaxForwardSmem``, 16-byte
  loads); longer rows are read from beyond the SM once per pass of the cascade
  (``cunn_SoftMaxForward``: max, sum, normalize);
* layer-norm: ``vectorized_layer_norm_kernel``, one 128-thread block per row, 4-element (8-byte)
  loads, a Welford pass then a normalizing pass over the row.

Registers per thread and shared memory per block are those the CUDA profiler recorded for the
measured rows (``benchmarks/gpu/h200_kernels.json``); the kernels are the same sm_90 binaries on
the H100 and the H200, so these are facts of the library, not of a device.  With the SM's limits
(threads and blocks from the CUDA guide, registers and shared memory from the spec) they give how
many blocks share an SM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._gpu import GPUModel

__all__ = ["RowKernel", "row_kernel", "INSTRUCTIONS"]

_WARP = 32
_SM_THREADS = 2048  # [CUDA] compute capability 9.0: resident threads per SM
_SM_BLOCKS = 32  # [CUDA] compute capability 9.0: resident blocks per SM
_REGISTER_UNIT = 8  # [CUDA] registers are allocated per warp in units of 256: 8 per thread
_VECTOR = 16  # bytes of one vectorized load (PyTorch's soft-max kernels: 8 BF16 elements)
_LAYERNORM_VECTOR = 8  # layer_norm_kernel.cu: vec_size = 4 elements, 8 bytes of BF16
_WARP_MAX_COLS = 2048  # host_softmax: dim_size <= 2048 and dim_size * sizeof <= 8192 take the warp kernel
_MAX_REGISTER_ELEMENTS = 10  # host_softmax: fewer than 10 elements per thread stay in registers
_BLOCK_SHARED = 48 * 1024  # [CUDA] shared memory a block may use without opting in (sharedMemPerBlock)
#: Lane instructions each kernel executes per element and per row: Nsight Compute's
#: ``smsp__inst_executed`` x 32 over the elements and rows of the rows it ran
#: (``benchmarks/gpu/h200_ncu.json``).  Warp: 40,320 per 1024-element row and 79,232 per
#: 2048-element row; register: 325,536 (4096) and 633,760 (8192); layer-norm: 67,296 (1024),
#: 157,920 (4096) and 1,003,744 (32768), on one line; the shared-memory (16384: 775,078) and
#: multi-pass (32768: 1,468,320) kernels share the register kernel's block reductions, so
#: their per-row part is its.
INSTRUCTIONS: dict[str, tuple[float, float]] = {
    "warp": (38.0, 1408.0),
    "register": (75.25, 17312.0),
    "shared-memory": (46.25, 17312.0),
    "multi-pass": (44.28, 17312.0),
    "welford": (29.5, 37088.0),
}


@dataclass(frozen=True)
class RowKernel:
    """One row-wise kernel and its launch shape.

    Parameters
    ----------
    name : str
        ``'warp'``, ``'register'``, ``'shared-memory'``, ``'multi-pass'`` or ``'welford'``.
    threads : int
        Threads per block.
    rows_per_block : int
    flight_bytes : int
        Bytes one thread has in flight per load step: a vector, or (register and warp
        kernels, whose loads are unrolled) its whole share of the row.
    registers : int
        Per thread.
    shared_bytes : int
        Per block.
    global_reads : int
        Reads of each row from beyond the SM (the cascade's passes for the multi-pass and
        layer-norm kernels; one for the kernels that keep the row on chip).
    reductions : int
        Block-wide reductions, each behind barriers (warp-level only for the warp kernel: 0).
    per_element, per_row : float
        Instructions the kernel executes (per thread: one lane of a warp instruction) for each
        element and for each row (its reductions, index arithmetic and epilogue), as Nsight
        Compute counted them (:data:`INSTRUCTIONS`).
    """

    name: str
    threads: int
    rows_per_block: int
    flight_bytes: int
    registers: int
    shared_bytes: int
    global_reads: int
    reductions: int
    per_element: float = 0.0
    per_row: float = 0.0

    def resident(self, gpu: GPUModel) -> int:
        """Blocks that share one SM: the fewest its threads, blocks, registers and shared memory allow."""
        sm = gpu.sm_arch("bf16")
        registers = sm.register_file.capacity * sm.pe_array.cols * 8 // sm.register_file.word_bits
        shared = next((lvl.capacity for lvl in sm.levels if lvl.name == "shared_memory"), 0)
        per_block = self.threads * (-(-self.registers // _REGISTER_UNIT) * _REGISTER_UNIT)
        limits = [_SM_BLOCKS, _SM_THREADS // self.threads, registers // per_block]
        if self.shared_bytes:
            limits.append(shared // self.shared_bytes)
        return max(1, min(limits))

    def block_flight(self) -> int:
        """Bytes one block has in flight."""
        return self.threads * self.flight_bytes

    def instructions(self, cols: int) -> float:
        """Lane instructions for one row of ``cols`` elements."""
        return self.per_row + self.per_element * cols

    def round_trips(self, cols: int) -> int:
        """Load round trips one block waits for: each read of its rows, in steps of what it has in flight."""
        return self.global_reads * -(-(self.rows_per_block * cols * 2) // self.block_flight())


def _pow2(n: int) -> int:
    return 1 << max(0, n - 1).bit_length()


def row_kernel(kind: str, cols: int, passes: int) -> RowKernel:
    """The kernel PyTorch runs for rows of ``cols`` BF16 elements.

    Parameters
    ----------
    kind : str
        ``'softmax_bf16'`` or ``'layernorm_bf16'``.
    cols : int
    passes : int
        Passes of the operator's cascade over a row (:func:`dataflow.count_passes`: 3 for
        soft-max, 2 for Welford layer-norm); every pass but the last ends in a reduction.
    """
    reductions = max(0, passes - 1)
    if kind == "layernorm_bf16":
        return RowKernel("welford", 128, 1, _LAYERNORM_VECTOR, 32, 24, passes, reductions, *INSTRUCTIONS["welford"])
    if cols <= _WARP_MAX_COLS:
        per_lane = _pow2(cols) // _WARP  # WARP_ITERATIONS: elements per lane, in registers
        batch = 2 if _pow2(cols) <= 128 else 1  # WARP_BATCH: rows per warp
        return RowKernel("warp", 128, 4 * batch, per_lane * 2, 16 + per_lane, 0, 1, 0, *INSTRUCTIONS["warp"])
    threads = min(1024, -(-cols // _WARP) * _WARP)  # SoftMaxForward_getBlockSize
    held = math.ceil(cols / threads)
    reduction_bytes = threads // _WARP * 4
    if held < _MAX_REGISTER_ELEMENTS:
        return RowKernel("register", threads, 1, 2 * held, 22 + 2 * held, reduction_bytes, 1, reductions,
                         *INSTRUCTIONS["register"])
    if cols * 2 < _BLOCK_SHARED - reduction_bytes:
        return RowKernel("shared-memory", threads, 1, _VECTOR, 32, cols * 2 + reduction_bytes, 1, reductions,
                         *INSTRUCTIONS["shared-memory"])
    return RowKernel("multi-pass", threads, 1, _VECTOR, 32, reduction_bytes, passes, reductions, *INSTRUCTIONS["multi-pass"])

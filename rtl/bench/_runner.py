"""Launch a cocotb bench on Icarus Verilog through cocotb's Python runner."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from rtl.hdl import HDLParamError, ToolMissingError, build_unit, to_verilog

__all__ = ["BenchResult", "run_bench", "bench_module", "require_icarus", "ICARUS_INSTALL"]

ICARUS_INSTALL = "sudo apt-get install iverilog (Debian/Ubuntu), brew install icarus-verilog (macOS), or `make setup`"

_MODULES = {
    "fp8_mul": "rtl.bench.bench_comb",
    "lmul": "rtl.bench.bench_comb",
    "int8_mac": "rtl.bench.bench_mac",
    "fp8_mac": "rtl.bench.bench_mac",
    "lmul_mac": "rtl.bench.bench_mac",
    "pe": "rtl.bench.bench_pe",
    "array": "rtl.bench.bench_array",
}
_MODES = ("random", "exhaustive")

# Yosys's Verilog backend declares ``reg \$auto$...dump_module$N = 0`` and reads
# it in every ``always @*`` block so that simulators evaluate those blocks at
# time 0. Icarus Verilog 11 raises no event for a declaration initializer, so
# a combinational output that depends only on registers (a state machine's
# ``ready``) would stay X. For simulation only, the initializer becomes an
# ``initial #0`` assignment, which does raise the event.
_AUTO_INIT = re.compile(r"reg (\\\$auto\$verilog_backend\S*)\s+= 0;")


def icarus_source(verilog: str) -> str:
    """``verilog`` with Yosys's time-0 evaluation trick made to work on Icarus 11."""
    return _AUTO_INIT.sub(lambda mt: f"reg {mt.group(1)} ;\n  initial #0 {mt.group(1)} = 1'h0;", verilog)


@dataclass(frozen=True)
class BenchResult:
    """Outcome of one cocotb run.

    Attributes
    ----------
    unit : str
        The unit benched.
    params : tuple of (str, object)
        Its parameters (after defaults).
    seed : int
        The stimulus seed.
    mode : str
        ``'random'`` or ``'exhaustive'``.
    tests : int
        cocotb tests run.
    failed : int
        cocotb tests failed.
    results_xml : Path
        cocotb's xUnit results file.
    log : Path
        The simulation log (the checks' counts and any mismatch).
    """

    unit: str
    params: tuple[tuple[str, object], ...]
    seed: int
    mode: str
    tests: int
    failed: int
    results_xml: Path
    log: Path

    @property
    def passed(self) -> bool:
        """Every test ran and none failed."""
        return self.tests > 0 and self.failed == 0


def require_icarus() -> str:
    """Path of ``iverilog``.

    Raises
    ------
    ToolMissingError
        Icarus Verilog is not installed; the message says how to install it.
    """
    path = shutil.which("iverilog")
    if path is None or shutil.which("vvp") is None:
        raise ToolMissingError("iverilog", "cocotb simulation with Icarus Verilog", ICARUS_INSTALL)
    return path


def bench_module(unit: str) -> str:
    """The cocotb test module that benches ``unit``.

    Raises
    ------
    HDLParamError
        Unknown unit.
    """
    if unit not in _MODULES:
        raise HDLParamError(f"no bench for unit {unit!r}; expected one of {sorted(_MODULES)}")
    return _MODULES[unit]


def run_bench(
    unit: str,
    params: Mapping[str, object] | None = None,
    *,
    build_root: str | Path,
    seed: int = 1,
    mode: str = "random",
    count: int = 2000,
) -> BenchResult:
    """Generate ``unit``, build it with Icarus and run its cocotb bench.

    One build folder per parameter set under ``build_root``. The bench reads
    its parameters, seed, mode and count from the environment.

    Parameters
    ----------
    unit : str
        A unit name of :func:`rtl.hdl.build_unit`.
    params : mapping, optional
        Its parameters.
    build_root : str or Path
        Folder for the build folders (e.g. a pytest ``tmp_path`` or ``build/``).
    seed : int
        Stimulus seed (logged by the bench).
    mode : str
        ``'exhaustive'`` (all 65,536 operand pairs of an 8-bit unit) or
        ``'random'`` (``count`` seeded random steps with specials).
    count : int
        Random steps, GEMMs for the array.

    Raises
    ------
    HDLParamError
        Unknown unit, bad parameters, unknown mode, or exhaustive mode for a
        unit with operands wider than 8 bits.
    ToolMissingError
        Icarus Verilog is not installed.
    """
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    module = bench_module(unit)
    if mode not in _MODES:
        raise HDLParamError(f"run_bench: mode must be one of {_MODES}, not {mode!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise HDLParamError(f"run_bench: seed must be a non-negative integer, not {seed!r}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise HDLParamError(f"run_bench: count must be a positive integer, not {count!r}")
    design = build_unit(unit, params)
    if mode == "exhaustive":
        bits = design.arith.operand_bits if design.arith is not None else len(design.component.a)
        if bits != 8:
            raise HDLParamError(f"run_bench: exhaustive mode needs 8-bit operands, {design.label} has {bits}")
    require_icarus()
    config = {"unit": unit, "params": [[k, v] for k, v in design.params], "seed": seed, "mode": mode, "count": count}
    key = hashlib.sha1(json.dumps([unit, config["params"]], default=str).encode()).hexdigest()[:12]
    build_dir = Path(build_root) / f"{unit}_{key}"
    build_dir.mkdir(parents=True, exist_ok=True)
    source = build_dir / f"{design.top}.v"
    text = icarus_source(to_verilog(design))
    if not source.exists() or source.read_text() != text:
        source.write_text(text)
    runner = get_runner("icarus")
    runner.build(
        sources=[source],
        hdl_toplevel=design.top,
        build_dir=build_dir,
        always=False,
        timescale=("1ns", "1ps"),
        log_file=build_dir / "build.log",
    )
    tag = f"{mode}_{seed}"
    log = build_dir / f"sim_{tag}.log"
    xml = runner.test(
        test_module=module,
        hdl_toplevel=design.top,
        build_dir=build_dir,
        test_dir=build_dir,
        extra_env={"ACCEL_BENCH": json.dumps(config, default=str)},
        results_xml=str(build_dir.resolve() / f"results_{tag}.xml"),
        log_file=log,
    )
    tests, failed = get_results(Path(xml))
    return BenchResult(unit, design.params, seed, mode, tests, failed, Path(xml), log)

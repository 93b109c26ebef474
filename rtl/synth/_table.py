"""The area table: every unit synthesized once, plus the gate-to-energy calibration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from rtl.hdl import HDLParamError, build_unit

from ._calibration import calibration_verilog
from ._gates import HOROWITZ_ADD8_PJ, HOROWITZ_MULT8_PJ
from ._yosys import SynthResult, synthesize, synthesize_verilog

__all__ = ["AREA_UNITS", "AreaTable", "area_table"]

AREA_UNITS: tuple[tuple[str, Mapping[str, object]], ...] = (
    ("int8_mac", {}),
    ("fp8_mul", {"fmt": "e4m3"}),
    ("fp8_mul", {"fmt": "e5m2"}),
    ("lmul", {"fmt": "e4m3"}),
    ("lmul", {"fmt": "e5m2"}),
    ("fp8_mac", {"fmt": "e4m3", "accumulator": "fp32"}),
    ("fp8_mac", {"fmt": "e5m2", "accumulator": "fp32"}),
    ("fp8_mac", {"fmt": "e4m3", "accumulator": "fp16"}),
    ("fp8_mac", {"fmt": "e4m3", "accumulator": "bf16"}),
    ("fp8_mac", {"fmt": "e4m3", "accumulator": "fixed", "width": 32, "frac_bits": 18}),
    ("lmul_mac", {"fmt": "e4m3", "accumulator": "fp32"}),
    ("lmul_mac", {"fmt": "e5m2", "accumulator": "fp32"}),
    ("pe", {"kind": "fp8", "dataflow": "output_stationary"}),
    ("array", {"kind": "fp8", "rows": 2, "cols": 2, "dataflow": "output_stationary"}),
)


@dataclass(frozen=True)
class AreaTable:
    """Synthesis results of several units and the energy calibration.

    Attributes
    ----------
    rows : tuple of SynthResult
        One per unit, in the order synthesized.
    mult8 : SynthResult
        The 8x8 multiplier calibration circuit.
    add8 : SynthResult
        The 8-bit adder cross-check circuit.
    """

    rows: tuple[SynthResult, ...]
    mult8: SynthResult
    add8: SynthResult

    @property
    def pj_per_ge(self) -> float:
        """Energy per gate equivalent per operation (pJ), from the 8-bit multiplier."""
        return HOROWITZ_MULT8_PJ / self.mult8.gate_equivalents

    @property
    def add8_check_pj(self) -> float:
        """The 8-bit adder's energy by the same rule (Horowitz: 0.03 pJ)."""
        return self.add8.gate_equivalents * self.pj_per_ge

    def energy_pj(self, row: SynthResult) -> float:
        """Energy per operation of ``row`` by the calibrated rule."""
        return row.gate_equivalents * self.pj_per_ge

    def find(self, unit: str, **params: object) -> SynthResult | None:
        """The first row of ``unit`` whose parameters include ``params``."""
        for row in self.rows:
            values = dict(row.params)
            if row.unit == unit and all(values.get(k) == v for k, v in params.items()):
                return row
        return None

    def lmul_ratio(self, fmt: str = "e4m3", metric: str = "gate_equivalents") -> float | None:
        """L-Mul over FP8 multiplier, same operand format, by ``metric``.

        ``metric``: ``'gate_equivalents'``, ``'generic_cells'`` or ``'ice40_luts'``.

        Raises
        ------
        HDLParamError
            Unknown metric.
        """
        if metric not in ("gate_equivalents", "generic_cells", "ice40_luts"):
            raise HDLParamError(f"lmul_ratio: unknown metric {metric!r}")
        lm, fp = self.find("lmul", fmt=fmt), self.find("fp8_mul", fmt=fmt)
        if lm is None or fp is None:
            return None
        return getattr(lm, metric) / getattr(fp, metric)

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON (every row with its energy estimate)."""
        rows = []
        for r in self.rows:
            d = r.as_dict()
            d["energy_pj_45nm"] = round(self.energy_pj(r), 4)
            rows.append(d)
        ratios = {}
        for fmt in ("e4m3", "e5m2"):
            for metric in ("gate_equivalents", "generic_cells", "ice40_luts"):
                value = self.lmul_ratio(fmt, metric)
                if value is not None:
                    ratios[f"{fmt}.{metric}"] = round(value, 3)
        return {
            "rows": rows,
            "calibration": {
                "mult8_gate_equivalents": round(self.mult8.gate_equivalents, 2),
                "pj_per_gate_equivalent": round(self.pj_per_ge, 6),
                "add8_gate_equivalents": round(self.add8.gate_equivalents, 2),
                "add8_check_pj": round(self.add8_check_pj, 4),
                "add8_horowitz_pj": HOROWITZ_ADD8_PJ,
            },
            "lmul_over_fp8_mul": ratios,
        }


def area_table(
    units: Iterable[tuple[str, Mapping[str, object]]] = AREA_UNITS, *, workdir: str | Path
) -> AreaTable:
    """Synthesize every unit of ``units`` (one Yosys process each) and the calibration circuits.

    Parameters
    ----------
    units : iterable of (unit, params)
        Default :data:`AREA_UNITS`.
    workdir : str or Path
        One subfolder per unit is made here.

    Raises
    ------
    HDLParamError
        A bad unit or parameter (checked for all units before any synthesis).
    SynthesisError
        Yosys failed.
    """
    designs = [build_unit(unit, params) for unit, params in units]
    work = Path(workdir)
    cal = {
        top: synthesize_verilog(text, top, work / top, label=top, unit=top)
        for top, text in calibration_verilog().items()
    }
    rows = tuple(synthesize(d, work / f"{i:02d}_{d.unit}") for i, d in enumerate(designs))
    return AreaTable(rows=rows, mult8=cal["calib_mult8"], add8=cal["calib_add8"])


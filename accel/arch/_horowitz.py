"""Built-in estimator: the Horowitz 45 nm table, with documented scaling rules.

Table (M. Horowitz, "Computing's energy problem (and what we can do about
it)", ISSCC 2014, 45 nm, 0.9 V; the same table L-Mul's paper uses):

=================  ========  ===========
operation          energy    area
=================  ========  ===========
8-bit int add      0.03 pJ   36 um^2
32-bit int add     0.1 pJ    137 um^2
8-bit int mult     0.2 pJ    282 um^2
32-bit int mult    3.1 pJ    3495 um^2
16-bit FP add      0.4 pJ    1360 um^2
32-bit FP add      0.9 pJ    4184 um^2
16-bit FP mult     1.1 pJ    1640 um^2
32-bit FP mult     3.7 pJ    7700 um^2
SRAM read, 64 b    8 KB: 10 pJ; 32 KB: 20 pJ; 1 MB: 100 pJ
DRAM, 64 b         1.3-2.6 nJ
=================  ========  ===========

Rules for what the table does not list (each stated in the ``source`` of the
estimates it produces):

* Integer adders and multipliers of other widths: a power law through the two
  table points, ``E(n) = E(8) (n/8)^k``; ``k`` is 0.87 for adders (about
  linear) and 1.98 for multipliers (about quadratic).  Areas likewise.
* FP multipliers: ``E = A (m+1)^2 + B (1+e+m)`` -- a significand multiplier
  quadratic in the significand plus a part linear in the total width
  (exponent adder, normalization, rounding) -- with ``A``, ``B`` solved so
  FP16 and FP32 hit the table.  This gives FP8 (E4M3, E5M2) and BF16.
* FP adders: a power law in total width through FP16 and FP32.
* A MAC is its multiplier plus an adder of the accumulator's format.
* L-Mul (Luo & Sun, arXiv 2410.00907): one integer add over the exponent and
  mantissa fields, ``e + m`` bits (the sign XOR is neglected), plus the accumulator.
* SRAM and register files: the 64-bit access energy is interpolated in
  log-capacity/log-energy between the 8 KB/32 KB/1 MB points (slope 0.5, about
  sqrt(capacity), below 32 KB; 0.46 above), extrapolated with the end slopes,
  and scaled linearly with the word width.  Reads and writes cost the same.
  Small arrays do not get cheaper without bound: the floor is a register-file
  access at the Eyeriss ratio (Chen et al., ISCA 2016: RF access = 1x a
  16-bit MAC), i.e. 4 x 0.8875 pJ = 3.55 pJ per 64 bits at 45 nm, reached near 1 KB.
* DRAM: the midpoint 1.95 nJ per 64 bits, 243.75 pJ/byte; not node-scaled.
* On-chip network hop: twice a 16-bit integer MAC per 16 bits moved, the
  inter-PE/MAC ratio of Eyeriss (Chen et al., ISCA 2016, normalized energy table).
* SRAM area: Intel's 45 nm 0.346 um^2 6T bit cell (Mistry et al., IEDM 2007)
  at an assumed 70 % array efficiency.
* Other nodes: :mod:`accel._scaling` (Stillmaker & Baas 2017); DRAM excepted.
"""

from __future__ import annotations

import math

from ._estimator import Action, Component, Estimate, Estimator
from ._formats import FORMATS, NumberFormat
from ._scaling import SCALING_SOURCE, area_factor, energy_factor

__all__ = ["HorowitzEstimator", "HOROWITZ_CITATION"]

HOROWITZ_CITATION = "Horowitz, ISSCC 2014, 45 nm"

INT_ADD_PJ = {8: 0.03, 32: 0.1}
INT_MULT_PJ = {8: 0.2, 32: 3.1}
FP_ADD_PJ = {16: 0.4, 32: 0.9}
FP_MULT_PJ = {16: 1.1, 32: 3.7}
INT_ADD_UM2 = {8: 36.0, 32: 137.0}
INT_MULT_UM2 = {8: 282.0, 32: 3495.0}
FP_ADD_UM2 = {16: 1360.0, 32: 4184.0}
FP_MULT_UM2 = {16: 1640.0, 32: 7700.0}
SRAM_64B_PJ = {8 * 1024: 10.0, 32 * 1024: 20.0, 1024 * 1024: 100.0}
DRAM_64B_PJ = (1300.0 + 2600.0) / 2
SRAM_BITCELL_UM2 = 0.346
SRAM_ARRAY_EFFICIENCY = 0.7
NOC_HOP_PER_MAC16 = 2.0
RF_PER_MAC16 = 1.0


def _power_law(points: dict[int, float], n: float) -> float:
    (x0, y0), (x1, y1) = sorted(points.items())
    k = math.log(y1 / y0) / math.log(x1 / x0)
    return y0 * (n / x0) ** k


def _fp_mult_fit(points: dict[int, float]) -> tuple[float, float]:
    """Solve ``A (m+1)^2 + B (1+e+m)`` through the FP16 and FP32 points."""
    f16, f32 = FORMATS["fp16"], FORMATS["fp32"]
    s16, s32 = (f16.mantissa_bits + 1) ** 2, (f32.mantissa_bits + 1) ** 2
    w16, w32 = f16.bits, f32.bits
    det = s16 * w32 - s32 * w16
    a = (points[16] * w32 - points[32] * w16) / det
    b = (s16 * points[32] - s32 * points[16]) / det
    return a, b


_FP_MULT_E = _fp_mult_fit(FP_MULT_PJ)
_FP_MULT_A = _fp_mult_fit(FP_MULT_UM2)


def _fp_mult(fmt: NumberFormat, coeffs: tuple[float, float]) -> float:
    a, b = coeffs
    return a * (fmt.mantissa_bits + 1) ** 2 + b * fmt.bits


def _mac16() -> float:
    """A 16-bit integer MAC at 45 nm: 16b mult + 32b add (Eyeriss's reference operation)."""
    return _power_law(INT_MULT_PJ, 16) + _power_law(INT_ADD_PJ, 32)


def _sram_64b(capacity: float) -> float:
    return max(_sram_curve(capacity), RF_PER_MAC16 * _mac16() * 64 / 16)


def _sram_curve(capacity: float) -> float:
    pts = sorted(SRAM_64B_PJ.items())
    if capacity <= pts[1][0]:
        (c0, e0), (c1, e1) = pts[0], pts[1]
    else:
        (c0, e0), (c1, e1) = pts[1], pts[2]
    k = math.log(e1 / e0) / math.log(c1 / c0)
    return e0 * (capacity / c0) ** k


class HorowitzEstimator(Estimator):
    """Energy and area from the Horowitz 45 nm table, scaled by the module's documented rules.

    Parameters
    ----------
    accuracy : int
        Declared accuracy (default 30: a textbook table with fitted scaling).
    """

    name = "horowitz_45nm"

    def __init__(self, accuracy: int = 30) -> None:
        self.accuracy = accuracy

    # -- building blocks at 45 nm: (value, rule) ------------------------------
    def _adder(self, fmt: NumberFormat, area: bool) -> tuple[float, str]:
        if fmt.is_float:
            v = _power_law(FP_ADD_UM2 if area else FP_ADD_PJ, fmt.bits)
            return v, f"{fmt.bits}b FP add"
        return _power_law(INT_ADD_UM2 if area else INT_ADD_PJ, fmt.bits), f"{fmt.bits}b int add"

    def _mult(self, fmt: NumberFormat, area: bool) -> tuple[float, str]:
        if fmt.is_float:
            return _fp_mult(fmt, _FP_MULT_A if area else _FP_MULT_E), f"{fmt.name} FP mult (fit through FP16/FP32)"
        return _power_law(INT_MULT_UM2 if area else INT_MULT_PJ, fmt.bits), f"{fmt.bits}b int mult"

    def _int_add_bits(self, bits: int, area: bool) -> float:
        return _power_law(INT_ADD_UM2 if area else INT_ADD_PJ, bits)

    def _mac(self, kind: str, inp: str, acc: str, mantissa: int | None, area: bool) -> tuple[float, str] | None:
        if inp not in FORMATS or acc not in FORMATS:
            return None
        add, add_rule = self._adder(FORMATS[acc], area)
        if kind == "lmul":
            if mantissa is None:
                return None
            bits = FORMATS[inp].exponent_bits + mantissa
            return self._int_add_bits(bits, area) + add, f"L-Mul = {bits}b int add + {add_rule}"
        mul, mul_rule = self._mult(FORMATS[inp], area)
        return mul + add, f"{mul_rule} + {add_rule}"

    def _base_energy(self, action: Action) -> tuple[float, str] | None:
        c, a = action.component, action
        if c == "mac" and a.name == "compute":
            return self._mac(a.get("kind"), a.get("input_format"), a.get("accumulate_format"), a.get("mantissa_bits"), False)
        if c in ("sram", "regfile") and a.name in ("read", "write"):
            cap, bits = a.get("capacity"), a.get("word_bits")
            if not cap or not bits:
                return None
            rule = "SRAM 64b access interpolated" if _sram_curve(cap) >= _sram_64b(cap) else "register-file floor (1x 16b MAC per 16 bits, Eyeriss)"
            return _sram_64b(cap) * bits / 64, f"{rule} at {cap} B, x{bits}/64 bits"
        if c == "noc" and a.name == "hop":
            bits = a.get("word_bits")
            if not bits:
                return None
            return NOC_HOP_PER_MAC16 * _mac16() * bits / 16, f"2 x 16b int MAC per 16 bits (Eyeriss ISCA 2016 ratio), {bits} bits"
        if c == "vector" and a.name == "op":
            fmt = FORMATS.get(a.get("format"))
            if fmt is None or not fmt.is_float:
                return None
            (m, mr), (s, sr) = self._mult(fmt, False), self._adder(fmt, False)
            return m + s, f"{mr} + {sr}"
        if c in ("int_add", "int_mult", "fp_add", "fp_mult") and a.name == "compute":
            return self._primitive(c, a, False)
        return None

    def _primitive(self, c: str, a: Action | Component, area: bool) -> tuple[float, str] | None:
        if c.startswith("int_"):
            bits = a.get("bits")
            if not isinstance(bits, int) or bits < 1:
                return None
            fmt = NumberFormat(f"int{bits}", bits, 0, bits, False)
        else:
            fmt = FORMATS.get(a.get("format"))
            if fmt is None or not fmt.is_float:
                return None
        return self._adder(fmt, area) if c.endswith("add") else self._mult(fmt, area)

    # -- Estimator interface ------------------------------------------------
    def energy(self, action: Action) -> Estimate | None:
        """Energy of ``action`` in pJ (see the module docstring for the rules)."""
        if action.component == "dram" and action.name in ("read", "write"):
            return Estimate(DRAM_64B_PJ / 8, "pJ", f"{HOROWITZ_CITATION}: DRAM 1.3-2.6 nJ/64b, midpoint, per byte", self.name, self.accuracy)
        node = action.get("technology_nm", 45)
        factor = energy_factor(node)
        base = self._base_energy(action)
        if base is None or factor is None:
            return None
        value, rule = base
        where = "" if node == 45 else f"; x{factor:.4g} to {node:g} nm ({SCALING_SOURCE})"
        return Estimate(value * factor, "pJ", f"{HOROWITZ_CITATION}: {rule}{where}", self.name, self.accuracy)

    def area(self, component: Component) -> Estimate | None:
        """Area of ``component`` in um^2 (MACs, SRAM/register files, vector lanes, primitives)."""
        node = component.get("technology_nm", 45)
        factor = area_factor(node)
        if factor is None:
            return None
        k = component.kind
        base: tuple[float, str] | None = None
        if k == "mac":
            g = component.get
            base = self._mac(g("kind"), g("input_format"), g("accumulate_format"), g("mantissa_bits"), True)
        elif k in ("sram", "regfile") and component.get("capacity"):
            bits = component.get("capacity") * 8
            base = (
                bits * SRAM_BITCELL_UM2 / SRAM_ARRAY_EFFICIENCY,
                f"{bits} bits x 0.346 um^2 cell (Intel 45 nm, Mistry et al. IEDM 2007) / 0.7 array efficiency",
            )
        elif k == "vector":
            fmt = FORMATS.get(component.get("format"))
            if fmt is not None and fmt.is_float:
                (m, mr), (s, sr) = self._mult(fmt, True), self._adder(fmt, True)
                base = (m + s, f"{mr} + {sr} per lane")
        elif k in ("int_add", "int_mult", "fp_add", "fp_mult"):
            base = self._primitive(k, component, True)
        if base is None:
            return None
        value, rule = base
        where = "" if node == 45 else f"; x{factor:.4g} to {node:g} nm ({SCALING_SOURCE})"
        cite = HOROWITZ_CITATION if k not in ("sram", "regfile") else "45 nm"
        return Estimate(value * factor, "um2", f"{cite}: {rule}{where}", self.name, self.accuracy)

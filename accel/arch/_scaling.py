"""Technology-node scaling of energy and area from 45 nm.

Source: A. Stillmaker and B. Baas, "Scaling equations for the accurate
prediction of CMOS device performance from 180 nm to 7 nm", Integration, the
VLSI Journal 58 (2017) 74-81 (with its erratum).

* Energy.  The paper fits, per node, energy per operation as a quadratic in
  supply voltage, ``E(V) = a V^2 + b V + c`` (its Table 5; HP models for 45 nm
  and below).  The factor from 45 nm to node ``n`` is ``E_n(V_n) / E_45(0.9 V)``:
  0.9 V is the operating point of the Horowitz 45 nm numbers this package
  scales, and ``V_n`` is the nominal supply assumed for node ``n`` below (an
  assumption of this package, listed with the coefficients).
* Area.  The paper's area scaling factors relative to 45 nm.
* Between tabulated nodes, factors are interpolated linearly in
  ``log(node)``-``log(factor)`` space.  Outside 7-180 nm there is no answer (``None``).
"""

from __future__ import annotations

import math

__all__ = ["energy_factor", "area_factor", "REFERENCE_NODE_NM", "SCALING_SOURCE", "NODES_NM"]

REFERENCE_NODE_NM = 45.0
SCALING_SOURCE = "Stillmaker & Baas, Integration 58 (2017)"

# node nm: (a, b, c, assumed nominal Vdd).  Coefficients from Table 5 of the paper.
_ENERGY_POLY: dict[float, tuple[float, float, float, float]] = {
    180: (0.0, 24.64, -17.98, 1.8),
    130: (7.171, -6.709, 2.904, 1.3),
    90: (4.762, -4.781, 2.092, 1.2),
    65: (3.755, -4.398, 1.975, 1.1),
    45: (1.018, -0.3107, 0.1539, 0.9),  # HP; 0.9 V as in Horowitz (ISSCC 2014)
    32: (0.8367, -0.4341, 0.1701, 0.9),  # HP
    20: (0.373, -0.1582, 0.04104, 0.9),  # HP
    16: (0.2958, -0.1241, 0.03024, 0.8),  # HP
    14: (0.2363, -0.09675, 0.02239, 0.8),  # HP
    10: (0.2068, -0.09311, 0.02375, 0.75),  # HP
    7: (0.1776, -0.09097, 0.02447, 0.7),  # HP
}

# Area at node n relative to 45 nm.
_AREA_FROM_45: dict[float, float] = {
    180: 19.0,
    130: 6.4,
    90: 2.8,
    65: 1.5,
    45: 1.0,
    32: 0.46,
    20: 0.21,
    16: 0.19,
    14: 0.17,
    10: 0.1,
    7: 0.059,
}

NODES_NM: tuple[float, ...] = tuple(sorted(_AREA_FROM_45))


def _poly(node: float) -> float:
    a, b, c, v = _ENERGY_POLY[node]
    return a * v * v + b * v + c


_ENERGY_FROM_45: dict[float, float] = {n: _poly(n) / _poly(45) for n in _ENERGY_POLY}


def _interpolate(table: dict[float, float], node_nm: float) -> float | None:
    if node_nm in table:
        return table[node_nm]
    nodes = sorted(table)
    if not nodes[0] <= node_nm <= nodes[-1]:
        return None
    hi = min(n for n in nodes if n > node_nm)
    lo = max(n for n in nodes if n < node_nm)
    t = (math.log(node_nm) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return math.exp(math.log(table[lo]) + t * (math.log(table[hi]) - math.log(table[lo])))


def energy_factor(node_nm: float) -> float | None:
    """Energy per operation at ``node_nm`` relative to 45 nm (``None`` outside 7-180 nm)."""
    return _interpolate(_ENERGY_FROM_45, float(node_nm))


def area_factor(node_nm: float) -> float | None:
    """Area at ``node_nm`` relative to 45 nm (``None`` outside 7-180 nm)."""
    return _interpolate(_AREA_FROM_45, float(node_nm))

"""Gate equivalents, area and energy from Yosys's generic gate cells.

Yosys ``synth`` maps a design to its internal one- and two-input gates
(``$_AND_``, ``$_XOR_``, ``$_MUX_``...) and flip-flops. Each is weighted by
the area of the matching cell of the NanGate FreePDK45 Open Cell Library,
relative to its NAND2_X1 (0.798 um^2), giving NAND2 gate equivalents (GE):

=========================  ==========  =====
cell                       45 nm cell  GE
=========================  ==========  =====
NOT                        INV_X1      0.67
NAND, NOR                  NAND2/NOR2  1.00
AND, OR, ANDNOT, ORNOT     AND2/OR2    1.33
AOI3, OAI3                 AOI21       1.33
AOI4, OAI4                 AOI22       1.67
XOR, XNOR                  XOR2/XNOR2  2.00
MUX                        MUX2_X1     2.33
flip-flop                  DFF_X1      5.67
  + enable                 + MUX2      +2.33
  + sync. set/reset        + AND2      +1.33
=========================  ==========  =====

Area = GE x 0.798 um^2 (45 nm).

Energy per operation = GE x ``E_PER_GE_PJ``. The constant is *calibrated*,
not derived from capacitances: an 8x8-bit unsigned multiplier built here
(:func:`calibration_designs`) is synthesized the same way, and its GE count
is set equal to Horowitz's 0.2 pJ for an 8-bit integer multiply at 45 nm
(ISSCC 2014, "Computing's energy problem"). That folds an average switching
activity of a multiplier-like datapath into the constant; the 8-bit adder
(0.03 pJ in the same table) is reported as a cross-check. The rule assumes
every unit toggles like a multiplier, so it ranks designs by size rather
than predicting power; it is an estimate of accuracy 80 (better than the
table's scaling rules, worse than a gate-level power simulation).
"""

from __future__ import annotations

__all__ = [
    "GE_WEIGHTS",
    "NAND2_UM2",
    "HOROWITZ_MULT8_PJ",
    "HOROWITZ_ADD8_PJ",
    "gate_equivalents",
    "flip_flops",
]

NAND2_UM2 = 0.798
HOROWITZ_MULT8_PJ = 0.2
HOROWITZ_ADD8_PJ = 0.03

GE_WEIGHTS: dict[str, float] = {
    "$_NOT_": 0.67,
    "$_BUF_": 0.67,
    "$_NAND_": 1.0,
    "$_NOR_": 1.0,
    "$_AND_": 1.33,
    "$_OR_": 1.33,
    "$_ANDNOT_": 1.33,
    "$_ORNOT_": 1.33,
    "$_AOI3_": 1.33,
    "$_OAI3_": 1.33,
    "$_AOI4_": 1.67,
    "$_OAI4_": 1.67,
    "$_XOR_": 2.0,
    "$_XNOR_": 2.0,
    "$_MUX_": 2.33,
    "$_NMUX_": 2.33,
}
_DFF_GE = 5.67
_ENABLE_GE = 2.33
_RESET_GE = 1.33


def _is_flop(cell: str) -> bool:
    return cell.startswith(("$_DFF", "$_SDFF", "$_DFFE", "$_SDFFE", "$_SDFFCE", "$_DLATCH", "$_ALDFF", "$_DFFSR"))


def flip_flops(cells: dict[str, int]) -> int:
    """Number of flip-flops among generic ``cells`` (name -> count)."""
    return sum(n for c, n in cells.items() if _is_flop(c))


def gate_equivalents(cells: dict[str, int]) -> float:
    """NAND2 gate equivalents of generic ``cells`` (name -> count).

    Raises
    ------
    ValueError
        A cell type with no weight (a design not mapped to generic gates).
    """
    total = 0.0
    for cell, count in cells.items():
        if cell in GE_WEIGHTS:
            total += GE_WEIGHTS[cell] * count
        elif _is_flop(cell):
            ge = _DFF_GE
            if cell.startswith(("$_DFFE", "$_SDFFE", "$_SDFFCE")):
                ge += _ENABLE_GE
            if cell.startswith(("$_SDFF", "$_DFFSR", "$_ALDFF")) or cell[-3:-1] in ("N0", "N1", "P0", "P1"):
                ge += _RESET_GE
            total += ge * count
        else:
            raise ValueError(f"gate_equivalents: no gate-equivalent weight for cell type {cell!r}")
    return total

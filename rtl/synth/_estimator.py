"""An energy/area estimator for the architecture model, from synthesis of our own RTL."""

from __future__ import annotations

from accel import Action, Component, Estimate, Estimator, EstimatorRegistry, default_registry

from ._gates import HOROWITZ_MULT8_PJ, NAND2_UM2
from ._table import AreaTable
from ._yosys import SynthResult

__all__ = ["RTLSynthesisEstimator", "rtl_registry"]

_SOURCE = (
    "Yosys synthesis of this project's RTL ({label}): {ge:.1f} NAND2-equivalents "
    "(NanGate 45 nm cell areas); {rule}"
)
_NODE_NM = 45


class RTLSynthesisEstimator(Estimator):
    """Energy per MAC and MAC area from the synthesized units of an :class:`AreaTable`.

    Answers ``mac``/``compute`` actions and ``mac`` components at 45 nm
    (``technology_nm`` 45 or absent) for the arithmetic units the table
    holds: ``int8_mac`` (INT32 accumulator), ``fp8_mac`` (E4M3/E5M2 into
    FP32/FP16/BF16) and ``lmul`` (E4M3/E5M2, ``mantissa_bits`` equal to the
    format's), at the ``pipeline_depth`` the attributes give (default 1)
    when the table holds that depth. Also ``fp_mult`` / ``compute`` of an FP8 format (the FP8
    multiplier). Anything else: ``None``, so the next estimator answers.

    Energy = gate equivalents x pJ per gate equivalent, calibrated on an 8x8
    multiplier synthesized the same way against Horowitz's 0.2 pJ; area =
    gate equivalents x 0.798 um^2 (NanGate 45 nm NAND2_X1).

    Parameters
    ----------
    table : AreaTable
        From :func:`area_table`.
    accuracy : int
        Declared accuracy, default 80.

    Raises
    ------
    TypeError
        ``table`` is not an AreaTable.
    """

    name = "rtl_synthesis"

    def __init__(self, table: AreaTable, accuracy: int = 80) -> None:
        if not isinstance(table, AreaTable):
            raise TypeError(f"RTLSynthesisEstimator: table must be an AreaTable, not {table!r}")
        self.table = table
        self.accuracy = accuracy

    def _row(self, attrs) -> SynthResult | None:
        if attrs.get("technology_nm", _NODE_NM) != _NODE_NM:
            return None
        kind, inp, acc = attrs.get("kind"), attrs.get("input_format"), attrs.get("accumulate_format")
        # A pipelined MAC (``arith.pipeline_depth``) is its own row: its stage registers are area too.
        depth = attrs.get("pipeline_depth", 1)
        if kind == "int8_mac" and inp in (None, "int8") and acc in (None, "int32"):
            return self.table.find("int8_mac", acc_bits=32, depth=depth)
        if inp not in ("e4m3", "e5m2") or acc not in ("fp32", "fp16", "bf16"):
            return None
        if kind == "fp8_mac":
            return self.table.find("fp8_mac", fmt=inp, accumulator=acc, depth=depth)
        if kind == "lmul":
            mant = attrs.get("mantissa_bits")
            if mant is not None and mant != {"e4m3": 3, "e5m2": 2}[inp]:
                return None
            return self.table.find("lmul_mac", fmt=inp, accumulator=acc, depth=depth)
        return None

    def energy(self, action: Action) -> Estimate | None:
        """Energy of one MAC (or FP8 multiply) in pJ, or ``None``."""
        if not isinstance(action, Action):
            raise TypeError(f"RTLSynthesisEstimator.energy: expected an Action, not {action!r}")
        row = None
        if action.component == "mac" and action.name == "compute":
            row = self._row(action)
        elif action.component == "fp_mult" and action.name == "compute" and action.get("technology_nm", _NODE_NM) == _NODE_NM:
            fmt = action.get("format")
            row = self.table.find("fp8_mul", fmt=fmt) if fmt in ("e4m3", "e5m2") else None
        if row is None:
            return None
        rule = (
            f"x {self.table.pj_per_ge:.3g} pJ per NAND2-equivalent, calibrated so that an 8x8 multiplier "
            f"({self.table.mult8.gate_equivalents:.1f} GE) costs {HOROWITZ_MULT8_PJ} pJ (Horowitz, ISSCC 2014)"
        )
        return Estimate(
            self.table.energy_pj(row),
            "pJ",
            _SOURCE.format(label=row.label, ge=row.gate_equivalents, rule=rule),
            self.name,
            self.accuracy,
        )

    def area(self, component: Component) -> Estimate | None:
        """Area of one MAC unit in um^2, or ``None``."""
        if not isinstance(component, Component):
            raise TypeError(f"RTLSynthesisEstimator.area: expected a Component, not {component!r}")
        if component.kind != "mac":
            return None
        row = self._row(component)
        if row is None:
            return None
        rule = f"x {NAND2_UM2} um^2 per NAND2-equivalent"
        return Estimate(
            row.area_um2, "um2", _SOURCE.format(label=row.label, ge=row.gate_equivalents, rule=rule), self.name, self.accuracy
        )


def rtl_registry(table: AreaTable) -> EstimatorRegistry:
    """``accel.default_registry()`` with an :class:`RTLSynthesisEstimator` of ``table`` registered."""
    return default_registry().register(RTLSynthesisEstimator(table))

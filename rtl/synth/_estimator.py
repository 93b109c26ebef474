"""An energy/area estimator for the architecture model, from synthesis of our own RTL."""

from __future__ import annotations

import functools
from typing import Union

from accel import Action, Component, Estimate, Estimator, EstimatorRegistry, default_registry
from rtl.hdl import DATAFLOWS, MAX_ARRAY_SIDE, HDLParamError, max_depth

from ._cache import SynthCache
from ._gates import HOROWITZ_MULT8_PJ, NAND2_UM2
from ._table import AreaTable
from ._yosys import SynthResult

__all__ = ["RTLSynthesisEstimator", "rtl_registry"]

_SOURCE = (
    "Yosys synthesis of this project's RTL ({label}): {ge:.1f} NAND2-equivalents "
    "(NanGate 45 nm cell areas; iCE40: {luts} LUT4s, {carries} carries, {ffs} FFs); {rule}"
)
_NODE_NM = 45
_FP8 = ("e4m3", "e5m2")
_FULL_MANTISSA = {"e4m3": 3, "e5m2": 2}
_ACC_BITS = {"fp32": 32, "fp16": 16, "bf16": 16}

Rows = Union[AreaTable, SynthCache]
#: The component whose table area at two nodes gives the node factor (any answers alike: one factor per node).
_PROBE = dict(kind="int8_mac", input_format="int8", accumulate_format="int32", pipeline_depth=1)


@functools.lru_cache(maxsize=32)
def _area_factor(node: object) -> float | None:
    """Area at ``node`` relative to 45 nm, as the default registry scales area (``None`` where it does not)."""
    if node == _NODE_NM:
        return 1.0
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        return None
    registry = default_registry()
    at = registry.area(Component.of("mac", **_PROBE, technology_nm=node))
    ref = registry.area(Component.of("mac", **_PROBE, technology_nm=_NODE_NM))
    return None if at is None or ref is None else at.value / ref.value


def _arith_params(attrs) -> tuple[str, dict[str, object]] | None:
    """``(generator kind, arithmetic parameters)`` of a MAC's attributes, or ``None`` if no unit builds it."""
    kind, inp, acc = attrs.get("kind"), attrs.get("input_format"), attrs.get("accumulate_format")
    if kind == "int8_mac" and inp in (None, "int8") and acc in (None, "int32"):
        return "int8", {"acc_bits": 32}
    if inp not in _FP8 or acc not in _ACC_BITS:
        return None
    if kind == "fp8_mac":
        return "fp8", {"fmt": inp, "accumulator": acc}
    if kind == "lmul":
        mant = attrs.get("mantissa_bits")
        if mant is not None and mant != _FULL_MANTISSA[inp]:
            return None
        return "lmul", {"fmt": inp, "accumulator": acc}
    return None


def _depth(attrs, kind: str) -> int | None:
    depth = attrs.get("pipeline_depth", 1)
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= max_depth(kind):
        return None
    return depth


def _pe_params(attrs) -> dict[str, object] | None:
    """The generated PE of a ``pe_array`` component's attributes, or ``None`` if the generator builds none.

    The generator's rules (:func:`rtl.hdl.arch_design`): a systolic network of
    one-cycle hops, an output- or weight-stationary dataflow, one MAC per PE,
    at most 64 PEs a side, a unit for the arithmetic and a pipeline no deeper
    than its cuts. An output-stationary PE gets its result register (the
    accumulator is read out while the next sum starts) when the register file
    holds outputs and two accumulator words.
    """
    if attrs.get("network") != "systolic" or attrs.get("hop_latency", 1) != 1 or attrs.get("macs_per_cycle", 1) != 1:
        return None
    dataflow = attrs.get("dataflow")
    if dataflow not in DATAFLOWS:
        return None
    for side in ("rows", "cols"):
        n = attrs.get(side)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_ARRAY_SIDE:
            return None
    arith = _arith_params(attrs)
    if arith is None:
        return None
    kind, params = arith
    depth = _depth(attrs, kind)
    if depth is None:
        return None
    acc_bits = 32 if kind == "int8" else _ACC_BITS[str(params["accumulator"])]
    capacity = attrs.get("rf_capacity") or 0
    capture = (dataflow == "output_stationary" and bool(attrs.get("rf_holds_output"))
               and isinstance(capacity, int) and 8 * capacity >= 2 * acc_bits)
    return {"kind": kind, **params, "dataflow": dataflow, "depth": depth, "capture": capture}


class RTLSynthesisEstimator(Estimator):
    """Energy per MAC, MAC area and PE-array area from synthesized units.

    Energy answers at 45 nm (``technology_nm`` 45 or absent); area at any
    node the default registry scales area to (Stillmaker & Baas, 7-180 nm),
    the 45 nm gate-equivalent area times the factor by which the registry's
    own area of a MAC changes from 45 nm to that node. For the arithmetic
    units the generator builds: ``int8_mac`` (INT32 accumulator),
    ``fp8_mac`` (E4M3/E5M2 into FP32/FP16/BF16) and ``lmul`` (E4M3/E5M2,
    ``mantissa_bits`` equal to the format's), each at the ``pipeline_depth``
    the attributes give (default 1; its stage registers are area too):

    * ``mac`` / ``compute`` actions and ``mac`` components: the MAC unit;
    * ``fp_mult`` / ``compute`` of an FP8 format: the FP8 multiplier;
    * ``pe_array`` components (``rows``, ``cols``, ``dataflow``, ``network``,
      ``hop_latency``, ``macs_per_cycle``, the MAC's attributes, and
      ``rf_capacity`` / ``rf_holds_output``): rows x cols of the generated
      processing element (MAC datapath, pipeline, accumulator and result
      registers, operand registers), for an array the generator builds.

    Anything else: ``None``, so the next estimator answers.

    Energy = gate equivalents x pJ per gate equivalent, calibrated on an 8x8
    multiplier synthesized the same way against Horowitz's 0.2 pJ; area =
    gate equivalents x 0.798 um^2 (NanGate 45 nm NAND2_X1).

    Parameters
    ----------
    table : AreaTable or SynthCache
        A fixed table from :func:`area_table`, answering for the units it
        holds; or a :class:`SynthCache`, which synthesizes (once, on disk)
        whatever unit is asked about.
    accuracy : int
        Declared accuracy, default 80.

    Raises
    ------
    TypeError
        ``table`` is neither.
    """

    name = "rtl_synthesis"

    def __init__(self, table: Rows, accuracy: int = 80) -> None:
        if not isinstance(table, (AreaTable, SynthCache)):
            raise TypeError(f"RTLSynthesisEstimator: table must be an AreaTable or a SynthCache, not {table!r}")
        self.table = table
        self.accuracy = accuracy

    def _row(self, attrs, *, any_node: bool = False) -> SynthResult | None:
        if not any_node and attrs.get("technology_nm", _NODE_NM) != _NODE_NM:
            return None
        arith = _arith_params(attrs)
        if arith is None:
            return None
        kind, params = arith
        depth = _depth(attrs, kind)
        if depth is None:
            return None
        unit = {"int8": "int8_mac", "fp8": "fp8_mac", "lmul": "lmul_mac"}[kind]
        return self.table.find(unit, **params, depth=depth)

    def _source(self, row: SynthResult, rule: str) -> str:
        return _SOURCE.format(label=row.label, ge=row.gate_equivalents, luts=row.ice40_luts, carries=row.ice40_carries,
                              ffs=row.ice40_ffs, rule=rule)

    def energy(self, action: Action) -> Estimate | None:
        """Energy of one MAC (or FP8 multiply) in pJ, or ``None``."""
        if not isinstance(action, Action):
            raise TypeError(f"RTLSynthesisEstimator.energy: expected an Action, not {action!r}")
        row = None
        if action.component == "mac" and action.name == "compute":
            row = self._row(action)
        elif action.component == "fp_mult" and action.name == "compute" and action.get("technology_nm", _NODE_NM) == _NODE_NM:
            fmt = action.get("format")
            row = self.table.find("fp8_mul", fmt=fmt) if fmt in _FP8 else None
        if row is None:
            return None
        rule = (
            f"x {self.table.pj_per_ge:.3g} pJ per NAND2-equivalent, calibrated so that an 8x8 multiplier "
            f"({self.table.mult8.gate_equivalents:.1f} GE) costs {HOROWITZ_MULT8_PJ} pJ (Horowitz, ISSCC 2014)"
        )
        return Estimate(self.table.energy_pj(row), "pJ", self._source(row, rule), self.name, self.accuracy)

    def area(self, component: Component) -> Estimate | None:
        """Area of one MAC unit or one PE array in um^2, or ``None``."""
        if not isinstance(component, Component):
            raise TypeError(f"RTLSynthesisEstimator.area: expected a Component, not {component!r}")
        node = component.get("technology_nm", _NODE_NM)
        factor = _area_factor(node)
        if factor is None or component.kind not in ("mac", "pe_array"):
            return None
        scaled = "" if node == _NODE_NM else f", x {factor:.4g} from 45 nm to {node:g} nm (the default registry's area scaling)"
        if component.kind == "mac":
            row = self._row(component, any_node=True)
            if row is None:
                return None
            rule = f"x {NAND2_UM2} um^2 per NAND2-equivalent{scaled}"
            return Estimate(factor * row.area_um2, "um2", self._source(row, rule), self.name, self.accuracy)
        params = _pe_params(component)
        if params is None:
            return None
        row = self.table.find("pe", **params)
        if row is None:
            return None
        pes = int(component.get("rows")) * int(component.get("cols"))
        rule = f"x {NAND2_UM2} um^2 per NAND2-equivalent, x {pes} PEs{scaled}"
        return Estimate(factor * pes * row.area_um2, "um2", self._source(row, rule), self.name, self.accuracy)

    def fpga_resources(self, component: Component, target: str) -> dict[str, int] | None:
        """FPGA resources of a ``pe_array`` component: rows x cols of its generated PE after ``synth_<target>``.

        Counted as :data:`rtl.synth.FPGA_RESOURCES` (LUT4s, carry cells,
        flip-flops, DSP blocks, block RAMs) by :meth:`SynthCache.fpga`; at any
        ``technology_nm`` (an FPGA has no node of ours). ``None`` for another
        component, an array the generator does not build, or a fixed
        :class:`AreaTable` (which holds no FPGA synthesis).

        Raises
        ------
        ValueError
            ``target`` is not one of :data:`rtl.synth.FPGA_TARGETS`.
        SynthesisError
            Yosys failed.
        """
        if not isinstance(component, Component):
            raise TypeError(f"RTLSynthesisEstimator.fpga_resources: expected a Component, not {component!r}")
        if not isinstance(self.table, SynthCache) or component.kind != "pe_array":
            return None
        params = _pe_params(component)
        if params is None:
            return None
        try:
            one = self.table.fpga("pe", params, target)
        except HDLParamError:
            return None
        pes = int(component.get("rows")) * int(component.get("cols"))
        return {name: pes * n for name, n in one.items()}


def rtl_registry(table: Rows) -> EstimatorRegistry:
    """``accel.default_registry()`` with an :class:`RTLSynthesisEstimator` of ``table`` registered."""
    return default_registry().register(RTLSynthesisEstimator(table))

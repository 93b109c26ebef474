"""A processing element of a systolic array, weight- or output-stationary."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ._arith import Arith, check_depth, delay, mac_datapath
from ._errors import HDLParamError

__all__ = ["ProcessingElement", "DATAFLOWS"]

DATAFLOWS = ("weight_stationary", "output_stationary")


def check_dataflow(dataflow: object, where: str) -> str:
    """Return ``dataflow`` if it is one of :data:`DATAFLOWS`.

    Raises
    ------
    HDLParamError
        Any other value.
    """
    if dataflow not in DATAFLOWS:
        raise HDLParamError(f"{where}: dataflow must be one of {DATAFLOWS}, not {dataflow!r}")
    return dataflow


class ProcessingElement(wiring.Component):
    """One PE: a MAC datapath with systolic operand registers.

    Every register updates only while ``adv`` is high (the array's enable; low
    freezes the PE, e.g. under output backpressure).

    Output-stationary (``dataflow='output_stationary'``): ``a`` moves right,
    ``b`` moves down, the accumulator stays. On an advancing edge with
    ``a_valid_in`` the PE performs ``acc <- acc + a_in*b_in``, or
    ``acc <- 0 + a_in*b_in`` when ``a_first_in`` marks the first term.

    Weight-stationary (``dataflow='weight_stationary'``): the PE holds a weight
    ``w``; ``a`` moves right and partial sums move down:
    ``psum_out <- psum_in + a_in*w`` (registered, with ``psum_valid_out``
    following ``a_valid_in``). With ``w_load`` the weight register takes
    ``w_in``; ``w_out`` passes the old weight on (a shift chain down a column).
    With ``shadow`` the shift chain is a second, shadow weight register
    (``w_load`` shifts it, ``w_out`` passes it on) and ``w_swap`` copies it
    into the weight the MAC reads (with ``w_load`` on the same edge: the
    value shifted in), so the next weights load while the PE computes.

    Parameters
    ----------
    spec : Arith
        The arithmetic, from :func:`arith`.
    dataflow : str
        ``'weight_stationary'`` or ``'output_stationary'``.
    depth : int
        MAC pipeline stages (1 to :func:`max_depth`): an operand pair entering
        the PE reaches the accumulator (output-stationary) or ``psum_out``
        (weight-stationary) ``depth`` advancing edges later; the valid and
        first flags travel with it.
    capture : bool
        Output-stationary only: add ``a_last_in``/``a_last_out`` (a flag that
        travels with ``a`` like ``a_first``) and a ``result`` register that
        takes the finished sum on the edge that adds the ``last`` term, so
        the next sum may start while this one is read out.
    soft_multiply : bool
        Build the MAC's multiplier of gates, never a DSP block (the same
        bits): for arrays with more PEs than the FPGA has DSP blocks.
    shadow : bool
        Weight-stationary only: a shadow weight register and ``w_swap``.

    Raises
    ------
    TypeError
        ``spec`` is not an :class:`Arith`.
    HDLParamError
        Unknown dataflow, ``depth`` out of range, ``capture`` with
        weight-stationary, ``shadow`` with output-stationary.
    """

    def __init__(self, spec: Arith, dataflow: str = "output_stationary", depth: int = 1, capture: bool = False, *,
                 soft_multiply: bool = False, shadow: bool = False) -> None:
        if not isinstance(spec, Arith):
            raise TypeError(f"ProcessingElement: spec must be an Arith from rtl.hdl.arith(), not {spec!r}")
        self.spec = spec
        self.dataflow = check_dataflow(dataflow, "ProcessingElement")
        self.depth = check_depth(spec, depth, "ProcessingElement")
        if capture and self.dataflow != "output_stationary":
            raise HDLParamError("ProcessingElement: capture applies to output_stationary only, not weight_stationary")
        self.capture = bool(capture)
        self.soft_multiply = bool(soft_multiply)
        if shadow and self.dataflow != "weight_stationary":
            raise HDLParamError("ProcessingElement: shadow applies to weight_stationary only, not output_stationary")
        self.shadow = bool(shadow)
        op = spec.operand_bits
        acc = signed(spec.acc_width) if spec.acc_signed else unsigned(spec.acc_width)
        ports = {
            "adv": In(1),
            "a_in": In(op),
            "a_valid_in": In(1),
            "a_out": Out(op),
            "a_valid_out": Out(1),
        }
        if self.dataflow == "output_stationary":
            ports.update(
                {
                    "a_first_in": In(1),
                    "a_first_out": Out(1),
                    "b_in": In(op),
                    "b_out": Out(op),
                    "acc": Out(acc),
                }
            )
            if self.capture:
                ports.update({"a_last_in": In(1), "a_last_out": Out(1), "result": Out(acc)})
        else:
            ports.update(
                {
                    "w_in": In(op),
                    "w_load": In(1),
                    "w_out": Out(op),
                    "psum_in": In(acc),
                    "psum_out": Out(acc),
                    "psum_valid_out": Out(1),
                }
            )
            if self.shadow:
                ports["w_swap"] = In(1)
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        with m.If(self.adv):
            m.d.sync += [self.a_out.eq(self.a_in), self.a_valid_out.eq(self.a_valid_in)]
        if self.dataflow == "output_stationary":
            acc = Signal.like(self.acc, name="acc_reg")
            base = Signal.like(self.acc, name="base")
            tail = self.depth - 1
            valid = delay(m, self.a_valid_in, tail, "valid", self.adv)
            first = delay(m, self.a_first_in, tail, "first", self.adv)
            m.d.comb += [base.eq(Mux(first, 0, acc)), self.acc.eq(acc)]
            nxt = mac_datapath(m, self.spec, self.a_in, self.b_in, base, "mac", depth=self.depth, en=self.adv,
                               soft=self.soft_multiply)
            with m.If(self.adv):
                m.d.sync += [self.b_out.eq(self.b_in), self.a_first_out.eq(self.a_first_in)]
                with m.If(valid):
                    m.d.sync += acc.eq(nxt)
            if self.capture:
                last = delay(m, self.a_last_in, tail, "last", self.adv)
                result = Signal.like(self.result, name="result_reg")
                m.d.comb += self.result.eq(result)
                with m.If(self.adv):
                    m.d.sync += self.a_last_out.eq(self.a_last_in)
                    with m.If(valid & last):
                        m.d.sync += result.eq(nxt)
        else:
            weight = Signal(self.spec.operand_bits, name="weight")
            chain = Signal(self.spec.operand_bits, name="weight_shadow") if self.shadow else weight
            m.d.comb += self.w_out.eq(chain)
            # The weight is read where the operand enters (the product path holds the old weight
            # for products in flight; loads wait for the array to empty).
            nxt = mac_datapath(m, self.spec, self.a_in, weight, self.psum_in, "mac", depth=self.depth, en=self.adv,
                               soft=self.soft_multiply)
            valid = delay(m, self.a_valid_in, self.depth - 1, "valid", self.adv)
            with m.If(self.adv):
                m.d.sync += [self.psum_out.eq(nxt), self.psum_valid_out.eq(valid)]
                with m.If(self.w_load):
                    m.d.sync += chain.eq(self.w_in)
                if self.shadow:
                    with m.If(self.w_swap):
                        m.d.sync += weight.eq(Mux(self.w_load, self.w_in, chain))
        return m

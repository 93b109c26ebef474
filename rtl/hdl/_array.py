"""A rows x cols systolic array of processing elements with stream interfaces."""

from __future__ import annotations

from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ._arith import Arith, check_depth
from ._errors import check_int
from ._pe import ProcessingElement, check_dataflow

__all__ = ["SystolicArray", "MAX_ARRAY_SIDE"]

MAX_ARRAY_SIDE = 64


class SystolicArray(wiring.Component):
    """A systolic PE array computing GEMMs, bit-exact with :func:`rtl.numerics.matmul_bits`.

    Both dataflows take one input beat per cycle on the ``inp`` stream and
    produce one row of results per beat on the ``out`` stream (valid/ready,
    :mod:`amaranth.lib.stream`). Inside, each operand row is skewed by its
    index so that the wavefronts meet in the right PE; bubbles (``inp.valid``
    low) flow through as idle cycles.

    Output-stationary: computes ``C = A @ B`` for ``A`` of shape
    ``(rows, K)`` and ``B`` of shape ``(K, cols)``, any ``K``. Input beat
    ``k`` carries column ``k`` of ``A`` (``a``, ``rows`` codes) and row ``k``
    of ``B`` (``b``, ``cols`` codes), ``first`` on ``k = 0`` and ``last`` on
    ``k = K - 1``. After the last beat the array drains (``inp.ready`` low)
    and then sends ``rows`` beats, row ``i`` of ``C`` each; input resumes
    when the last row is taken.

    Weight-stationary: holds ``W`` of shape ``(rows, cols)`` and computes
    ``C = A @ W`` for ``A`` of shape ``(M, rows)``, any ``M``. A beat with
    ``load`` set shifts ``w`` (``cols`` codes) into the top PE row, pushing
    the others down: send the rows of ``W`` last row first, ``rows`` beats.
    A beat without ``load`` carries row ``m`` of ``A`` (``a``, ``rows``
    codes); the array returns row ``m`` of ``C`` on ``out`` in order. Load
    beats wait (``inp.ready`` low) until no computation is in flight; an
    output beat not taken (``out.ready`` low) stalls the whole array.

    Payload bit layouts (LSB first, each field as declared):
    output-stationary ``inp``: ``a[0..rows)``, ``b[0..cols)``, ``first``,
    ``last``; weight-stationary ``inp``: ``a[0..rows)``, ``w[0..cols)``,
    ``load``; ``out``: ``c[0..cols)`` accumulator words.

    Parameters
    ----------
    spec : Arith
        The PE arithmetic, from :func:`arith`.
    rows, cols : int
        Array size, 1 to 64 each.
    dataflow : str
        ``'weight_stationary'`` or ``'output_stationary'``.
    depth : int
        MAC pipeline stages of every PE (see :class:`ProcessingElement`):
        each adds one cycle to the array's latency, none to its throughput.
    hard_multipliers : int, optional
        How many PEs (the first in row-major order) keep a ``*`` that
        synthesis maps to a DSP block; the others multiply in gates
        (``soft_multiply``). Default: all (see :func:`rtl.synth.ecp5_hard_multipliers`).

    Raises
    ------
    TypeError
        ``spec`` is not an :class:`Arith` or a size is not an integer.
    HDLParamError
        A size out of range or an unknown dataflow.
    """

    def __init__(
        self, spec: Arith, rows: int = 2, cols: int = 2, dataflow: str = "output_stationary", depth: int = 1,
        hard_multipliers: int | None = None,
    ) -> None:
        if not isinstance(spec, Arith):
            raise TypeError(f"SystolicArray: spec must be an Arith from rtl.hdl.arith(), not {spec!r}")
        self.depth = check_depth(spec, depth, "SystolicArray")
        self.rows = check_int("SystolicArray", "rows", rows, 1, MAX_ARRAY_SIDE)
        self.cols = check_int("SystolicArray", "cols", cols, 1, MAX_ARRAY_SIDE)
        self.dataflow = check_dataflow(dataflow, "SystolicArray")
        pes = self.rows * self.cols
        self.hard_multipliers = pes if hard_multipliers is None else check_int(
            "SystolicArray", "hard_multipliers", hard_multipliers, 0, pes)
        self.spec = spec
        op = unsigned(spec.operand_bits)
        acc = signed(spec.acc_width) if spec.acc_signed else unsigned(spec.acc_width)
        if self.dataflow == "output_stationary":
            layout = data.StructLayout(
                {"a": data.ArrayLayout(op, self.rows), "b": data.ArrayLayout(op, self.cols), "first": 1, "last": 1}
            )
        else:
            layout = data.StructLayout(
                {"a": data.ArrayLayout(op, self.rows), "w": data.ArrayLayout(op, self.cols), "load": 1}
            )
        self.in_layout = layout
        self.out_layout = data.ArrayLayout(acc, self.cols)
        super().__init__({"inp": In(stream.Signature(layout)), "out": Out(stream.Signature(self.out_layout))})

    def _delay(self, m: Module, adv, value, depth: int, name: str):
        for i in range(depth):
            reg = Signal.like(value, name=f"{name}_d{i}")
            with m.If(adv):
                m.d.sync += reg.eq(value)
            value = reg
        return value

    def elaborate(self, platform):
        m = Module()
        rows, cols = self.rows, self.cols
        pes = [[ProcessingElement(self.spec, self.dataflow, self.depth, soft_multiply=i * cols + j >= self.hard_multipliers)
                for j in range(cols)] for i in range(rows)]
        for i in range(rows):
            for j in range(cols):
                m.submodules[f"pe_{i}_{j}"] = pes[i][j]
        adv = Signal()
        fire = Signal()
        m.d.comb += fire.eq(self.inp.valid & self.inp.ready)
        payload = self.inp.payload
        if self.dataflow == "output_stationary":
            self._elaborate_os(m, pes, adv, fire, payload)
        else:
            self._elaborate_ws(m, pes, adv, fire, payload)
        for i in range(rows):
            for j in range(cols):
                pe = pes[i][j]
                m.d.comb += pe.adv.eq(adv)
                if j > 0:
                    left = pes[i][j - 1]
                    m.d.comb += [pe.a_in.eq(left.a_out), pe.a_valid_in.eq(left.a_valid_out)]
                    if self.dataflow == "output_stationary":
                        m.d.comb += pe.a_first_in.eq(left.a_first_out)
        return m

    def _elaborate_os(self, m, pes, adv, fire, payload):
        rows, cols = self.rows, self.cols
        m.d.comb += adv.eq(1)
        drain = Signal(range(rows + cols + self.depth))
        row = Signal(range(max(rows, 2)))
        for i in range(rows):
            pe = pes[i][0]
            m.d.comb += [
                pe.a_in.eq(self._delay(m, adv, payload.a[i], i, f"a{i}")),
                pe.a_valid_in.eq(self._delay(m, adv, fire, i, f"av{i}")),
                pe.a_first_in.eq(self._delay(m, adv, payload.first, i, f"af{i}")),
            ]
        for j in range(cols):
            m.d.comb += pes[0][j].b_in.eq(self._delay(m, adv, payload.b[j], j, f"b{j}"))
            for i in range(1, rows):
                m.d.comb += pes[i][j].b_in.eq(pes[i - 1][j].b_out)
        with m.Switch(row):
            for i in range(rows):
                with m.Case(i):
                    for j in range(cols):
                        m.d.comb += self.out.payload[j].eq(pes[i][j].acc)
        with m.FSM():
            with m.State("RUN"):
                m.d.comb += self.inp.ready.eq(1)
                with m.If(fire & payload.last):
                    m.d.sync += drain.eq(rows + cols - 2 + self.depth - 1)
                    m.next = "DRAIN"
            with m.State("DRAIN"):
                with m.If(drain == 0):
                    m.d.sync += row.eq(0)
                    m.next = "OUT"
                with m.Else():
                    m.d.sync += drain.eq(drain - 1)
            with m.State("OUT"):
                m.d.comb += self.out.valid.eq(1)
                with m.If(self.out.ready):
                    with m.If(row == rows - 1):
                        m.next = "RUN"
                    with m.Else():
                        m.d.sync += row.eq(row + 1)

    def _elaborate_ws(self, m, pes, adv, fire, payload):
        rows, cols = self.rows, self.cols
        m.d.comb += adv.eq(~(self.out.valid & ~self.out.ready))
        busy = Signal(range(rows + cols + self.depth + 2))
        load_ok = busy == 0
        m.d.comb += self.inp.ready.eq(adv & (~payload.load | load_ok))
        compute = fire & ~payload.load
        load = fire & payload.load
        with m.If(compute):
            m.d.sync += busy.eq(rows + cols + self.depth - 1)
        with m.Elif(adv & (busy != 0)):
            m.d.sync += busy.eq(busy - 1)
        for i in range(rows):
            pe = pes[i][0]
            m.d.comb += [
                pe.a_in.eq(self._delay(m, adv, payload.a[i], i, f"a{i}")),
                pe.a_valid_in.eq(self._delay(m, adv, compute, i, f"av{i}")),
            ]
        for j in range(cols):
            m.d.comb += pes[0][j].w_in.eq(payload.w[j])
            m.d.comb += pes[0][j].psum_in.eq(0)
            for i in range(rows):
                m.d.comb += pes[i][j].w_load.eq(load)
                if i > 0:
                    m.d.comb += [pes[i][j].w_in.eq(pes[i - 1][j].w_out), pes[i][j].psum_in.eq(pes[i - 1][j].psum_out)]
            bottom = pes[rows - 1][j]
            m.d.comb += self.out.payload[j].eq(self._delay(m, adv, bottom.psum_out, cols - 1 - j, f"c{j}"))
        m.d.comb += self.out.valid.eq(pes[rows - 1][cols - 1].psum_valid_out)

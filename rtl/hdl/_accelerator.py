"""The generated accelerator: banked operand buffers, an output-stationary PE array and a controller that runs a mapping."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ._arith import Arith, check_depth, delay
from ._errors import check_int
from ._pe import ProcessingElement
from ._plan import FoldPlan

__all__ = ["MappedAccelerator", "CYCLE_BITS"]

#: Width of the cycle counter the accelerator reports.
CYCLE_BITS = 32


def _bits(n: int) -> int:
    return max(1, (max(n, 1) - 1).bit_length())


class MappedAccelerator(wiring.Component):
    """An output-stationary array that runs one :class:`FoldPlan`.

    Blocks:

    * operand buffers: the row operand in ``rows`` banks (bank ``i`` feeds PE
      row ``i``), the column operand in ``cols`` banks, each a
      :class:`amaranth.lib.memory.Memory` (block RAM in synthesis) written
      through the load port and read by the controller with one cycle of
      latency;
    * the array: ``rows x cols`` :class:`ProcessingElement` (pipeline
      ``depth``; with ``plan.capture`` each PE has a result register), the
      row operand skewed by its row, the column operand by its column;
    * result buffers: one bank per column, one word of ``rows`` accumulators
      per fold, written by the readout schedule and read through ``rd_*``;
    * the controller: one counter per loop of the plan (the fold loops and
      the register-file loops), operand addresses as sums of counter times
      stride, beats issued back to back within a fold and folds
      ``plan.interval`` cycles apart, and a token line that writes column
      ``j`` of each fold ``plan.readout_delay + j`` cycles after the fold's
      first beat reached the array's corner.

    ``cycles`` reports the cycles from the first beat at the array's corner
    to the cycle the last result is written (``plan.array_cycles`` by the
    schedule), the figure compared with ``sim.cycle``.

    Ports
    -----
    start : In(1)
        A pulse in the idle state runs the plan once.
    busy, done : Out(1)
        Running; finished (held until the next start).
    cycles : Out(32)
        The run's array cycles (valid with ``done``).
    ld_sel, ld_bank, ld_addr, ld_data, ld_en : In
        Load port: ``ld_sel`` 0 writes row-operand bank ``ld_bank``, 1 a
        column-operand bank, word ``ld_addr`` takes ``ld_data``.
    rd_bank, rd_addr : In; rd_data : Out(rows * acc_width)
        Result read port (one cycle of latency): column ``rd_bank``'s word of
        fold ``rd_addr``, row 0 in the low bits.

    Parameters
    ----------
    plan : FoldPlan
    spec : Arith
        The PE arithmetic.
    hard_multipliers : int, optional
        PEs (the first in row-major order) whose multiplier synthesis may map
        to a DSP block; the others multiply in gates. Default: all.

    Raises
    ------
    TypeError
        ``plan`` or ``spec`` of the wrong type.
    HDLParamError
        ``plan.depth`` out of range for ``spec``; ``hard_multipliers`` outside
        0 to the PE count.
    """

    def __init__(self, plan: FoldPlan, spec: Arith, hard_multipliers: int | None = None) -> None:
        if not isinstance(plan, FoldPlan):
            raise TypeError(f"MappedAccelerator: plan must be a FoldPlan from plan_einsum(), not {plan!r}")
        if not isinstance(spec, Arith):
            raise TypeError(f"MappedAccelerator: spec must be an Arith from rtl.hdl.arith(), not {spec!r}")
        check_depth(spec, plan.depth, "MappedAccelerator", "arith.pipeline_depth")
        self.plan = plan
        self.spec = spec
        rows, cols = plan.rows, plan.cols
        self.hard_multipliers = rows * cols if hard_multipliers is None else check_int(
            "MappedAccelerator", "hard_multipliers", hard_multipliers, 0, rows * cols)
        depth_max = max(plan.bank_depth("row"), plan.bank_depth("col"))
        super().__init__(
            {
                "start": In(1),
                "busy": Out(1),
                "done": Out(1),
                "cycles": Out(CYCLE_BITS),
                "ld_sel": In(1),
                "ld_bank": In(_bits(max(rows, cols))),
                "ld_addr": In(_bits(depth_max)),
                "ld_data": In(spec.operand_bits),
                "ld_en": In(1),
                "rd_bank": In(_bits(cols)),
                "rd_addr": In(_bits(plan.folds)),
                "rd_data": Out(rows * spec.acc_width),
            }
        )

    def elaborate(self, platform):
        m = Module()
        plan, spec = self.plan, self.spec
        rows, cols, op_bits = plan.rows, plan.cols, spec.operand_bits
        loops = plan.outer + plan.inner
        n_outer = len(plan.outer)

        # -- loop counters (an odometer, innermost loop fastest) ----------------
        issue = Signal()
        ctrs = [Signal(range(lp.extent), name=f"ctr_{lp.level}_{lp.rank}") for lp in loops]
        wraps = [c == lp.extent - 1 for c, lp in zip(ctrs, loops)]
        for i in range(len(loops) - 1, -1, -1):
            carry = issue
            for w in wraps[i + 1:]:
                carry = carry & w
            with m.If(carry):
                m.d.sync += ctrs[i].eq(Mux(wraps[i], 0, ctrs[i] + 1))
        first = Signal()
        last = Signal()
        last_fold = Signal()
        m.d.comb += [
            first.eq(Cat(*[c == 0 for c in ctrs[n_outer:]], 1).all()),
            last.eq(Cat(*wraps[n_outer:], 1).all()),
            last_fold.eq(Cat(*wraps[:n_outer], 1).all()),
        ]

        # -- operand buffers ---------------------------------------------------
        edge = {}
        for which, banks in (("row", rows), ("col", cols)):
            outer_s, inner_s = plan.strides(which)
            depth = plan.bank_depth(which)
            addr = Signal(range(max(depth, 2)), name=f"{which}_addr")
            terms = [c * s for c, s in zip(ctrs, outer_s + inner_s) if s]
            m.d.comb += addr.eq(sum(terms) if terms else 0)
            datas = []
            for b in range(banks):
                mem = Memory(shape=unsigned(op_bits), depth=max(depth, 2), init=[])
                m.submodules[f"{which}_bank{b}"] = mem
                wp = mem.write_port()
                rp = mem.read_port()
                m.d.comb += [
                    wp.addr.eq(self.ld_addr),
                    wp.data.eq(self.ld_data),
                    wp.en.eq(self.ld_en & (self.ld_sel == (0 if which == "row" else 1)) & (self.ld_bank == b)),
                    rp.addr.eq(addr),
                    rp.en.eq(1),
                ]
                datas.append(rp.data)
            edge[which] = datas
        # The read data arrive one cycle after the address: the flags follow them.
        e_valid, e_first, e_last = Signal(), Signal(), Signal()
        m.d.sync += [e_valid.eq(issue), e_first.eq(issue & first), e_last.eq(issue & last)]

        # -- the PE array ------------------------------------------------------
        pes = [[ProcessingElement(spec, "output_stationary", plan.depth, capture=plan.capture,
                                  soft_multiply=i * cols + j >= self.hard_multipliers) for j in range(cols)]
               for i in range(rows)]
        for i in range(rows):
            for j in range(cols):
                pe = pes[i][j]
                m.submodules[f"pe_{i}_{j}"] = pe
                m.d.comb += pe.adv.eq(1)
                if j == 0:
                    m.d.comb += [
                        pe.a_in.eq(delay(m, edge["row"][i], i, f"a{i}")),
                        pe.a_valid_in.eq(delay(m, e_valid, i, f"av{i}")),
                        pe.a_first_in.eq(delay(m, e_first, i, f"af{i}")),
                    ]
                    if plan.capture:
                        m.d.comb += pe.a_last_in.eq(delay(m, e_last, i, f"al{i}"))
                else:
                    left = pes[i][j - 1]
                    m.d.comb += [pe.a_in.eq(left.a_out), pe.a_valid_in.eq(left.a_valid_out),
                                 pe.a_first_in.eq(left.a_first_out)]
                    if plan.capture:
                        m.d.comb += pe.a_last_in.eq(left.a_last_out)
                if i == 0:
                    m.d.comb += pe.b_in.eq(delay(m, edge["col"][j], j, f"b{j}"))
                else:
                    m.d.comb += pe.b_in.eq(pes[i - 1][j].b_out)

        # -- readout: column j of a fold, readout_delay + j cycles after its first beat --
        tok = e_valid & e_first
        taps = []
        line = tok
        for n in range(plan.readout_delay + cols):
            if n >= plan.readout_delay:
                taps.append(line)
            nxt = Signal(name=f"tok{n}")
            m.d.sync += nxt.eq(line)
            line = nxt
        word_bits = rows * spec.acc_width
        rd_sel = Signal.like(self.rd_bank)
        m.d.sync += rd_sel.eq(self.rd_bank)
        done_now = Signal()
        rd_words = []
        wcounts = []
        for j in range(cols):
            mem = Memory(shape=unsigned(word_bits), depth=max(plan.folds, 2), init=[])
            m.submodules[f"result_bank{j}"] = mem
            wp = mem.write_port()
            rp = mem.read_port()
            wcount = Signal(range(max(plan.folds, 2)), name=f"wcount{j}")
            wcounts.append(wcount)
            value = Cat(*[(pes[i][j].result if plan.capture else pes[i][j].acc).as_unsigned() for i in range(rows)])
            m.d.comb += [wp.addr.eq(wcount), wp.data.eq(value), wp.en.eq(taps[j]), rp.addr.eq(self.rd_addr), rp.en.eq(1)]
            with m.If(taps[j]):
                m.d.sync += wcount.eq(wcount + 1)
            rd_words.append(rp.data)
            if j == cols - 1:
                m.d.comb += done_now.eq(taps[j] & (wcount == plan.folds - 1))
        with m.Switch(rd_sel):
            for j in range(cols):
                with m.Case(j):
                    m.d.comb += self.rd_data.eq(rd_words[j])

        # -- cycle count and control --------------------------------------------
        cnt = Signal(CYCLE_BITS)
        started = Signal()
        done = Signal()
        cycles = Signal(CYCLE_BITS)
        m.d.comb += [self.done.eq(done), self.cycles.eq(cycles)]
        with m.If((started | tok) & ~done):
            m.d.sync += cnt.eq(cnt + 1)
        with m.If(tok):
            m.d.sync += started.eq(1)
        with m.If(done_now):
            m.d.sync += [done.eq(1), cycles.eq(cnt)]
        gap = plan.interval - plan.steady
        gapc = Signal(range(max(gap, 2)))
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [done.eq(0), started.eq(0), cnt.eq(0)] + [w.eq(0) for w in wcounts]
                    m.next = "ISSUE"
            with m.State("ISSUE"):
                m.d.comb += [issue.eq(1), self.busy.eq(1)]
                with m.If(last):
                    if gap > 0:
                        m.d.sync += gapc.eq(gap - 1)
                    with m.If(last_fold):
                        m.next = "DRAIN"
                    with m.Else():
                        m.next = "GAP" if gap > 0 else "ISSUE"
            with m.State("GAP"):
                m.d.comb += self.busy.eq(1)
                with m.If(gapc == 0):
                    m.next = "ISSUE"
                with m.Else():
                    m.d.sync += gapc.eq(gapc - 1)
            with m.State("DRAIN"):
                m.d.comb += self.busy.eq(1)
                with m.If(done_now):
                    m.next = "IDLE"
        return m

"""The generated accelerator: banked operand buffers, an output- or weight-stationary PE array and a controller that runs a mapping."""

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


def _odometer(m: Module, loops, step) -> tuple[list[Signal], list]:
    """One counter per loop, innermost fastest, advancing on cycles with ``step``; and each one's wrap condition."""
    ctrs = [Signal(range(lp.extent), name=f"ctr_{lp.level}_{lp.rank}") for lp in loops]
    wraps = [c == lp.extent - 1 for c, lp in zip(ctrs, loops)]
    for i in range(len(loops) - 1, -1, -1):
        carry = step
        for w in wraps[i + 1:]:
            carry = carry & w
        with m.If(carry):
            m.d.sync += ctrs[i].eq(Mux(wraps[i], 0, ctrs[i] + 1))
    return ctrs, wraps


def _bits(n: int) -> int:
    return max(1, (max(n, 1) - 1).bit_length())


class MappedAccelerator(wiring.Component):
    """An output- or weight-stationary array that runs one :class:`FoldPlan`.

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

    Weight-stationary (``plan.stationary``): the column operand's banks hold
    the weights, ``R`` words per fold shifted down each column from the top
    (into shadow registers, swapped in as a fold starts, when ``plan.double``);
    the row operand streams as above; each column's partial sums flow down
    and leave its bottom PE into the column's result bank, one accumulator
    per word at the output element's address, and a fold that continues a
    reduction feeds the stored partial sum into the column's top PE. The
    sequencer runs each fold's phases at fixed offsets: load, stream, drain.
    ``cycles`` counts from the first weight beat at the array's top.

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
        fold ``rd_addr``, row 0 in the low bits. Weight-stationary:
        ``Out(acc_width)``, word ``rd_addr`` of the column's result bank.

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
                "rd_addr": In(_bits(plan.result_depth if plan.stationary else plan.folds)),
                "rd_data": Out((1 if plan.stationary else rows) * spec.acc_width),
            }
        )

    def elaborate(self, platform):
        m = Module()
        if self.plan.stationary:
            self._elaborate_ws(m)
            return m
        plan, spec = self.plan, self.spec
        rows, cols, op_bits = plan.rows, plan.cols, spec.operand_bits
        loops = plan.outer + plan.inner
        n_outer = len(plan.outer)

        # -- loop counters (an odometer, innermost loop fastest) ----------------
        issue = Signal()
        ctrs, wraps = _odometer(m, loops, issue)
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

    def _pe_array(self, m: Module, dataflow: str, **kw) -> list[list[ProcessingElement]]:
        plan, rows, cols = self.plan, self.plan.rows, self.plan.cols
        pes = [[ProcessingElement(self.spec, dataflow, plan.depth, soft_multiply=i * cols + j >= self.hard_multipliers,
                                  **kw) for j in range(cols)] for i in range(rows)]
        for i in range(rows):
            for j in range(cols):
                m.submodules[f"pe_{i}_{j}"] = pes[i][j]
                m.d.comb += pes[i][j].adv.eq(1)
        return pes

    def _elaborate_ws(self, m: Module) -> None:
        """The weight-stationary accelerator (see :mod:`._plan` for the schedule)."""
        plan, spec = self.plan, self.spec
        rows, cols, op_bits, width = plan.rows, plan.cols, spec.operand_bits, spec.acc_width
        loops = plan.outer + plan.inner
        n_outer = len(plan.outer)
        steady, period = plan.steady, plan.interval

        # -- the beat odometer: the fold loops and the register-file loops -------
        issue = Signal()
        ctrs, wraps = _odometer(m, loops, issue)
        last, last_fold = Signal(), Signal()
        m.d.comb += [last.eq(Cat(*wraps[n_outer:], 1).all()), last_fold.eq(Cat(*wraps[:n_outer], 1).all())]

        def address(strides, name, words):
            addr = Signal(range(max(words, 2)), name=name)
            terms = [c * s for c, s in zip(ctrs, strides) if s]
            m.d.comb += addr.eq(sum(terms) if terms else 0)
            return addr

        def bank(name, words):
            mem = Memory(shape=unsigned(op_bits), depth=max(words, 2), init=[])
            m.submodules[name] = mem
            return mem

        def loader(mem, sel: int, b: int):
            wp = mem.write_port()
            m.d.comb += [wp.addr.eq(self.ld_addr), wp.data.eq(self.ld_data),
                         wp.en.eq(self.ld_en & (self.ld_sel == sel) & (self.ld_bank == b))]

        pes = self._pe_array(m, "weight_stationary", shadow=plan.double)

        # -- the streamed operand: one bank per PE row, skewed by its row ----------
        outer_s, inner_s = plan.strides("row")
        row_addr = address(outer_s + inner_s, "row_addr", plan.bank_depth("row"))
        e_valid = Signal()
        m.d.sync += e_valid.eq(issue)
        for i in range(rows):
            mem = bank(f"row_bank{i}", plan.bank_depth("row"))
            loader(mem, 0, i)
            rp = mem.read_port()
            m.d.comb += rp.addr.eq(row_addr)
            m.d.comb += [pes[i][0].a_in.eq(delay(m, rp.data, i, f"a{i}")),
                         pes[i][0].a_valid_in.eq(delay(m, e_valid, i, f"av{i}"))]
            for j in range(1, cols):
                m.d.comb += [pes[i][j].a_in.eq(pes[i][j - 1].a_out), pes[i][j].a_valid_in.eq(pes[i][j - 1].a_valid_out)]

        # -- the weights: one bank per PE column, R words per fold, shifted in from the top --------
        lissue = Signal()
        beat = Signal(range(max(rows, 2)))
        with m.If(lissue):
            m.d.sync += beat.eq(Mux(beat == rows - 1, 0, beat + 1))
        tiles = plan.bank_depth("col") // rows
        tile = address(plan.strides("col")[0] + (0,) * len(plan.inner), "weight_tile", tiles)
        w_addr = Signal(range(max(tiles * rows, 2)))
        m.d.comb += w_addr.eq(tile * rows + beat)
        w_load, w_swap = Signal(), Signal()
        m.d.sync += [w_load.eq(lissue), w_swap.eq(lissue & (beat == rows - 1))]
        for j in range(cols):
            mem = bank(f"weight_bank{j}", tiles * rows)
            loader(mem, 1, j)
            rp = mem.read_port()
            m.d.comb += [rp.addr.eq(w_addr), pes[0][j].w_in.eq(rp.data)]
            for i in range(rows):
                m.d.comb += pes[i][j].w_load.eq(w_load)
                if plan.double:
                    m.d.comb += pes[i][j].w_swap.eq(w_swap)
                if i > 0:
                    m.d.comb += [pes[i][j].w_in.eq(pes[i - 1][j].w_out), pes[i][j].psum_in.eq(pes[i - 1][j].psum_out)]

        # -- results: a partial sum in at each column's top, the sum out at its bottom -----------
        outer_s, inner_s = plan.result_strides()
        o_addr = address(outer_s + inner_s, "out_addr", plan.result_depth)
        o_first = Signal()  # the first fold of this output's reduction: it starts from zero
        m.d.comb += o_first.eq(Cat(*[c == 0 for c, red in zip(ctrs[:n_outer], plan.reduced_outer) if red], 1).all())
        ext = []
        written = Signal(range(max(plan.folds * steady + 1, 2)))
        done_now = Signal()
        for j in range(cols):
            mem = Memory(shape=unsigned(width), depth=max(plan.result_depth, 2), init=[])
            m.submodules[f"result_bank{j}"] = mem
            back, out, wp = mem.read_port(), mem.read_port(), mem.write_port()
            # The top PE adds the partial sum ``depth - 1`` cycles after its operand arrives (``j`` after the row's).
            r_addr = delay(m, o_addr, j + plan.depth - 1, f"raddr{j}")
            fresh = delay(m, o_first, j + plan.depth, f"fresh{j}")
            m.d.comb += [back.addr.eq(r_addr), pes[0][j].psum_in.eq(Mux(fresh, 0, back.data))]
            bottom = pes[rows - 1][j]
            m.d.comb += [wp.addr.eq(delay(m, r_addr, rows + 1, f"waddr{j}")), wp.data.eq(bottom.psum_out.as_unsigned()),
                         wp.en.eq(bottom.psum_valid_out), out.addr.eq(self.rd_addr)]
            ext.append(out.data)
            if j == cols - 1:
                with m.If(self.start):
                    m.d.sync += written.eq(0)
                with m.Elif(bottom.psum_valid_out):
                    m.d.sync += written.eq(written + 1)
                m.d.comb += done_now.eq(bottom.psum_valid_out & (written == plan.folds * steady - 1))
        rd_sel = Signal.like(self.rd_bank)
        m.d.sync += rd_sel.eq(self.rd_bank)
        with m.Switch(rd_sel):
            for j in range(cols):
                with m.Case(j):
                    m.d.comb += self.rd_data.eq(ext[j])

        # -- cycle count (from the first weight beat at the top) and the fold sequencer ---------
        cnt, cycles = Signal(CYCLE_BITS), Signal(CYCLE_BITS)
        started, done = Signal(), Signal()
        m.d.comb += [self.done.eq(done), self.cycles.eq(cycles)]
        with m.If((started | w_load) & ~done):
            m.d.sync += cnt.eq(cnt + 1)
        with m.If(w_load):
            m.d.sync += started.eq(1)
        with m.If(done_now):
            m.d.sync += [done.eq(1), cycles.eq(cnt)]
        phase = Signal(range(max(period, 2)))
        # Single weights: a fold loads (phases 0..R-1), then streams. Double: it streams from phase 0 while the next
        # fold's weights load in its last R phases, after one R-cycle preload.
        load_at, stream_at = (period - rows, 0) if plan.double else (0, rows)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [done.eq(0), started.eq(0), cnt.eq(0), phase.eq(0)]
                    m.next = "PRELOAD" if plan.double else "RUN"
            if plan.double:
                with m.State("PRELOAD"):
                    m.d.comb += [lissue.eq(1), self.busy.eq(1)]
                    with m.If(phase == rows - 1):
                        m.d.sync += phase.eq(0)
                        m.next = "RUN"
                    with m.Else():
                        m.d.sync += phase.eq(phase + 1)
            with m.State("RUN"):
                m.d.comb += [self.busy.eq(1), issue.eq((phase >= stream_at) & (phase < stream_at + steady)),
                             lissue.eq((phase >= load_at) & (phase < load_at + rows))]
                m.d.sync += phase.eq(Mux(phase == period - 1, 0, phase + 1))
                with m.If(issue & last & last_fold):
                    m.next = "DRAIN"
            with m.State("DRAIN"):
                m.d.comb += self.busy.eq(1)
                with m.If(done_now):
                    m.next = "IDLE"

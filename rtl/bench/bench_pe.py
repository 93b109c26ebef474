"""cocotb bench of one processing element (``pe``), either dataflow.

Driver: random operands (specials included), ``adv`` low on random stall
cycles, ``a_valid_in`` low on random idle cycles; output-stationary: random
``a_first_in`` sum starts; weight-stationary: random weight loads and random
``psum_in`` accumulator values (float specials included). Monitor: the PE's
registered outputs after every clock edge. Model: one
:func:`rtl.numerics.mac` step per valid advancing cycle; the pass-through
registers must repeat the inputs of the last advancing cycle.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from rtl.bench._models import acc_from_bus, mac_model, random_acc_values
from rtl.bench._stimulus import operand_stream
from rtl.bench._tb import TB, check_equal


class PeTB(TB):
    """PE bench: stimulus per cycle, expected register values per cycle."""

    @property
    def spec(self):
        return self.design.arith

    def stimulus(self) -> dict[str, np.ndarray]:
        n = self.count
        a, b = operand_stream(self.rng, n, self.spec.fmt)
        adv = (self.rng.random(n) < 0.9).astype(np.int64)
        valid = (self.rng.random(n) < 0.8).astype(np.int64)
        stim = {"adv": adv, "a_in": a, "a_valid_in": valid}
        if self.design.param("dataflow") == "output_stationary":
            first = (self.rng.random(n) < 0.08).astype(np.int64)
            first[0] = 1
            stim.update({"b_in": b, "a_first_in": first})
        else:
            load = (self.rng.random(n) < 0.05).astype(np.int64)
            load[0], adv[0] = 1, 1
            stim.update({"w_in": b, "w_load": load, "psum_in": random_acc_values(self.spec, self.rng, n)})
        return stim

    def expected(self, s: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = s["adv"].size
        os_flow = self.design.param("dataflow") == "output_stationary"
        names = ["a_out", "a_valid_out"] + (["b_out", "a_first_out", "acc"] if os_flow else ["w_out", "psum_out", "psum_valid_out"])
        out = {k: np.zeros(n, dtype=np.int64) for k in names}
        state = {k: 0 for k in names}
        # The MAC pipeline: (a, b or weight, valid, first) entries, depth - 1 of them in flight.
        pipe = [(0, 0, 0, 0)] * (self.design.param("depth") - 1)
        for i in range(n):
            if s["adv"][i]:
                other = s["b_in"][i] if os_flow else state["w_out"]
                entry = (s["a_in"][i], other, s["a_valid_in"][i], s["a_first_in"][i] if os_flow else 0)
                pipe = [entry] + pipe
                a, b, valid, first = pipe.pop()
                state["a_out"], state["a_valid_out"] = s["a_in"][i], s["a_valid_in"][i]
                if os_flow:
                    state["b_out"], state["a_first_out"] = s["b_in"][i], s["a_first_in"][i]
                    if valid:
                        base = 0 if first else state["acc"]
                        state["acc"] = int(mac_model(self.spec, a, b, np.int64(base)))
                else:
                    state["psum_out"] = int(mac_model(self.spec, a, b, s["psum_in"][i]))
                    state["psum_valid_out"] = valid
                    if s["w_load"][i]:
                        state["w_out"] = s["w_in"][i]
            for k in names:
                out[k][i] = state[k]
        return out


@cocotb.test()
async def pe_trace(dut):
    tb = PeTB(dut)
    tb.drive_zero(dut.adv, dut.a_in, dut.a_valid_in)
    await tb.start()
    stim = tb.stimulus()
    expected = tb.expected(stim)
    n = stim["adv"].size
    ins = {k: getattr(dut, k) for k in stim}
    outs = {k: getattr(dut, k) for k in expected}
    got = {k: np.zeros(n, dtype=np.int64) for k in expected}
    for i in range(n):
        for k, handle in ins.items():
            handle.value = int(stim[k][i]) & ((1 << len(handle)) - 1)
        await FallingEdge(dut.clk)
        for k, handle in outs.items():
            got[k][i] = int(handle.value)
    for k in ("acc", "psum_out"):
        if k in got:
            got[k] = np.array([acc_from_bus(tb.spec, int(v)) for v in got[k]], dtype=np.int64)
    for k in expected:
        check_equal(tb.log, f"{tb.design.label} {k}", got[k], expected[k], stim)

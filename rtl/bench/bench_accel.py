"""cocotb bench of a generated accelerator (:class:`rtl.hdl.MappedAccelerator`): one mapped Einsum end to end.

Driver: seeded operands (INT8 values, or every code of an FP8 format), laid
into the banks by the plan (:meth:`rtl.hdl.FoldPlan.layout`) and written
through the load port; one ``start`` pulse. Monitor: waits for ``done``,
reads ``cycles`` and every result word through the read port. Model: for
INT8, the ``dataflow`` executor on the same operands (float64, exact for INT8
products summed in an INT32 accumulator that does not overflow: the bench
checks the bound), compared bit for bit with the gathered output; for FP8
and L-Mul, :func:`rtl.bench._models.fold_model` (the golden MAC of
:mod:`rtl.numerics`, one step per beat in the plan's order; weight-stationary:
:func:`~rtl.bench._models.stationary_model`, one chain of steps per output
down the PE rows and over the folds) against every result word. The run's figures (cycles, values checked) go to
the JSON file named in the config for the caller to compare with ``sim.cycle``.
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

from rtl.bench._tb import PERIOD_NS, check_equal


def _design(cfg):
    from accel import parse_architecture
    from dataflow import loads_cascade
    from mapping import Mapping
    from rtl.hdl import build_accelerator

    arch = parse_architecture(cfg["arch"], "<bench arch>")
    cascade = loads_cascade(cfg["cascade"], "<bench cascade>")
    return build_accelerator(arch, cascade, Mapping.from_dict(cfg["mapping"]), cfg["top"]), cascade


@cocotb.test()
async def mapped_einsum(dut):
    from dataflow import execute

    cfg = json.loads(os.environ["ACCEL_ACCEL"])
    design, cascade = _design(cfg)
    plan, spec = design.plan, design.arch.spec
    log = dut._log
    rng = np.random.default_rng(int(cfg["seed"]))
    log.info("accelerator %s: einsum %s, seed %d, %d folds of %d beats, interval %d",
             design.top, plan.einsum, cfg["seed"], plan.folds, plan.steady, plan.interval)
    exact = spec.kind == "int8"
    low = -128 if exact else 0
    values = {n: rng.integers(low, low + 256, cascade.tensors[n].shape) for n in cascade.inputs}
    if exact:
        reduction = int(np.prod([plan.sizes[plan.ranks.index(r)] for r in plan.ranks if r not in plan.out.ranks]))
        assert reduction * 128 * 128 < 2**31, f"{reduction} terms could overflow the INT32 accumulator"

    for name in ("start", "ld_en", "ld_sel", "ld_bank", "ld_addr", "ld_data", "rd_bank", "rd_addr"):
        getattr(dut, name).value = 0
    Clock(dut.clk, PERIOD_NS, unit="ns").start()
    dut.rst.value = 1
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    # Driver: the loader writes every bank word (DMA's place; not counted in the run's cycles).
    mask = (1 << spec.operand_bits) - 1
    for sel, which in enumerate(("row", "col")):
        banks = plan.layout(which, values[getattr(plan, which).tensor])
        for b in range(banks.shape[0]):
            for a in range(banks.shape[1]):
                dut.ld_sel.value, dut.ld_bank.value, dut.ld_addr.value = sel, b, a
                dut.ld_data.value = int(banks[b, a]) & mask
                dut.ld_en.value = 1
                await FallingEdge(dut.clk)
    dut.ld_en.value = 0
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0
    limit = 4 * (plan.array_cycles + plan.rows + plan.steady + plan.cols) + 100
    for _ in range(limit):
        await FallingEdge(dut.clk)
        if int(dut.done.value):
            break
    assert int(dut.done.value), f"{design.top}: not done after {limit} cycles"
    cycles = int(dut.cycles.value)
    # Monitor: every result word (one cycle of read latency); output-stationary words pack a column's R sums.
    width = spec.acc_width
    per_word, depth = (1, plan.result_depth) if plan.stationary else (plan.rows, plan.folds)
    words = np.zeros((plan.cols, depth, per_word), dtype=np.int64)
    for j in range(plan.cols):
        for f in range(depth):
            dut.rd_bank.value, dut.rd_addr.value = j, f
            await FallingEdge(dut.clk)
            await ReadOnly()
            word = dut.rd_data.value.to_unsigned()
            for i in range(per_word):
                v = (word >> (i * width)) & ((1 << width) - 1)
                words[j, f, i] = v - (1 << width) if spec.acc_signed and v >> (width - 1) else v
            await FallingEdge(dut.clk)
    if plan.stationary:
        words = words[:, :, 0]
    if exact:
        expected = execute(cascade, values)[plan.out.tensor]
        checked = check_equal(log, f"{design.top} {plan.out.tensor}", plan.gather(words), expected.astype(np.int64), {})
    else:
        from rtl.bench._models import fold_model, stationary_model

        model = (stationary_model if plan.stationary else fold_model)(
            spec, plan, plan.layout("row", values[plan.row.tensor]), plan.layout("col", values[plan.col.tensor]))
        checked = check_equal(log, f"{design.top} result words", words, model, {})
    log.info("%s: %d array cycles (schedule %d)", design.top, cycles, plan.array_cycles)
    with open(cfg["result"], "w", encoding="utf-8") as f:
        json.dump({"cycles": cycles, "values": checked, "schedule_cycles": plan.array_cycles}, f)

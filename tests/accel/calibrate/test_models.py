"""Per-CTA costs, kernel plans and the two kernel-time models against hand-computed values."""

import math

import pytest

from dataflow.library import attention
from accel.calibrate import CtaClass, Kernel, Measurement, candidate_plans, load_gpu, load_knobs
from accel.calibrate._analytical import cta_seconds, kernel_fill, kernel_time
from accel.calibrate._cta import attention_block, gemm_tile
from accel.calibrate._plan import row_variant
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


@pytest.mark.parametrize("kind, cols, variant", [
    ("softmax_bf16", 1024, "warp"), ("softmax_bf16", 2048, "warp"), ("softmax_bf16", 4096, "block"),
    ("softmax_bf16", 24576, "block"), ("softmax_bf16", 32768, "multi-pass"), ("layernorm_bf16", 1024, "welford"),
])
def test_row_kernel_variant(kind, cols, variant):
    assert row_variant(kind, cols) == variant


def test_row_plans_read_long_rows_once_per_pass(gpu, knobs):
    def plan(kind, rows, cols):
        (p,) = candidate_plans(Measurement(kind, (("rows", rows), ("cols", cols)), 1.0), gpu, knobs)
        return p.kernels[0], p.description

    on_chip, what = plan("softmax_bf16", 1024, 16384)
    assert "1 read(s)" in what and "2 blocks per SM" in what  # 1024-thread blocks: two fit 2048 threads
    assert on_chip.classes[0].block_bytes == 2 * 16384 * 2 and on_chip.ctas == 512
    multi, what = plan("softmax_bf16", 1024, 32768)
    assert "3 read(s)" in what and multi.classes[0].block_bytes == 4 * 32768 * 2  # max, sum, normalize, then write
    norm, what = plan("layernorm_bf16", 512, 32768)
    assert "2 read(s)" in what and "16 blocks per SM" in what  # Welford pass + normalize, 128-thread blocks
    assert norm.classes[0].block_bytes == 3 * 32768 * 2 * 8  # a 128-thread block keeps 1/8 of the bytes in flight
    assert multi.hbm_bytes == 2 * 1024 * 32768 * 2 and norm.hbm_bytes == 2 * 512 * 32768 * 2  # re-reads hit L2
    # 1024 rows of 64 KiB in flight (16 blocks on each SM) overflow the H100's 50 MB L2: the second pass reads HBM.
    big, what = plan("layernorm_bf16", 1024, 32768)
    assert big.hbm_bytes == 3 * 1024 * 32768 * 2 and "re-reads from HBM (64 MiB of rows in flight > L2)" in what
    h200 = candidate_plans(Measurement("layernorm_bf16", (("rows", 1024), ("cols", 24576)), 1.0), load_gpu("h200"), knobs)
    assert h200[0].kernels[0].hbm_bytes == 2 * 1024 * 24576 * 2  # 48 MiB fit the H200's 60 MB


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

"""Per-CTA costs, kernel plans and the two kernel-time models against hand-computed values."""

import math

import pytest

from dataflow.library import attention
from accel.calibrate import CtaClass, Kernel, Measurement, candidate_plans, load_gpu, load_knobs
from accel.calibrate._analytical import cta_seconds, kernel_time
from accel.calibrate._cta import gemm_tile
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
    """132 equal CTAs take one wave, 133 take two: in both models."""
    one = cta_seconds(CtaClass(1e5, 0.0, 0.0), gpu, knobs, "gemm_bf16")[0] + knobs.cta_fill_us * 1e-6
    launch = knobs.launch_us * 1e-6
    for n, waves in ((1, 1), (132, 1), (133, 2), (264, 2), (265, 3)):
        k = _uniform(n, 1e5)
        assert kernel_time(k, gpu, knobs).seconds == pytest.approx(launch + waves * one, rel=1e-12)
        assert simulate_kernel(k, gpu, knobs).seconds == pytest.approx(launch + waves * one, rel=1e-12)


def test_irregular_grid_tail(gpu, knobs):
    """132 light CTAs then one heavy: dispatch puts the heavy one after a light one."""
    light, heavy = CtaClass(1e4, 0.0, 0.0), CtaClass(1e5, 0.0, 0.0)
    k = Kernel("k", "gemm_bf16", (light, heavy), tuple([0] * 132 + [1]), 1, 0.0, 0)
    tl = sum(cta_seconds(light, gpu, knobs, "gemm_bf16")[::2])
    th = sum(cta_seconds(heavy, gpu, knobs, "gemm_bf16")[::2])
    launch = knobs.launch_us * 1e-6
    assert simulate_kernel(k, gpu, knobs).seconds == pytest.approx(launch + tl + th, rel=1e-12)
    mean = (132 * tl + th) / 133
    closed = max(th, 2 * mean, (132 * tl + th) / 132 + th - mean)
    assert kernel_time(k, gpu, knobs).seconds == pytest.approx(launch + closed, rel=1e-12)


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

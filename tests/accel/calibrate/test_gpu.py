"""The H100 spec and its per-SM slices."""

import pytest

from accel import derive
from accel.calibrate import CalibrationError, GPUModel, load_gpu


@pytest.fixture(scope="module")
def gpu():
    return load_gpu("h100")


def test_datasheet_figures(gpu):
    a = gpu.arch
    assert (gpu.sms, a.pe_array.cols, a.arith.macs_per_cycle, a.clock_mhz) == (132, 4, 512, 1830)
    assert gpu.peak_flops("bf16") == pytest.approx(989.4e12, rel=1e-4)  # whitepaper, dense BF16
    assert gpu.peak_flops("fp8_e4m3") == pytest.approx(1978.9e12, rel=1e-4)  # whitepaper, dense FP8
    assert gpu.hbm_bytes_per_second == pytest.approx(3.35e12, rel=1e-4)  # datasheet, HBM3
    assert a.level("l2").capacity == 52428800
    assert a.level("shared_memory").capacity == 132 * 228 * 1024
    assert a.register_file.capacity * a.pe_array.cols == 256 * 1024


def test_sm_slice(gpu):
    bf16, fp8 = gpu.sm_arch("bf16"), gpu.sm_arch("fp8_e4m3")
    assert (bf16.pe_array.rows, bf16.pe_array.cols) == (1, 4)
    assert bf16.level("shared_memory").capacity == 228 * 1024
    assert bf16.level("shared_memory").read_bandwidth == 128
    assert bf16.dram.bandwidth * 132 == pytest.approx(gpu.arch.dram.bandwidth)
    assert bf16.vector_unit.lanes == 128
    assert (fp8.arith.kind, fp8.arith.input_format, fp8.arith.macs_per_cycle) == ("fp8_mac", "e4m3", 1024)
    assert gpu.sm_arch("bf16") is bf16  # cached


def test_bad_gpu_architectures(gpu):
    with pytest.raises(CalibrationError, match=r"architecture 'h100' has no vector_unit"):
        GPUModel(derive(gpu.arch, {"vector_unit": None}))
    with pytest.raises(CalibrationError, match=r"pe_array.rows must count the SMs \(>= 2\), not 1"):
        GPUModel(derive(gpu.arch, {"pe_array.rows": 1}))
    with pytest.raises(TypeError, match=r"GPUModel needs an accel.Architecture, not 'h100'"):
        GPUModel("h100")
    with pytest.raises(CalibrationError, match=r"unknown precision 'fp4'; known: bf16, fp8_e4m3"):
        gpu.sm_arch("fp4")

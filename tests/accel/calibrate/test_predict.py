"""Predictions with the stored knobs: per-row bounds, the issue's goal, reports, splits."""

import pytest

from sim import Report
from accel.calibrate import MODELS, compare, default_measurement_files, in_goal, load_gpu, load_knobs, load_measurements, predict


@pytest.fixture(scope="module")
def gpu():
    return load_gpu("h100")


@pytest.fixture(scope="module")
def sets():
    return [load_measurements(p) for p in default_measurement_files()]


@pytest.fixture(scope="module")
def result(sets):
    return compare(sets, None, load_knobs())  # each file on its own device


def _row(sets, source, label):
    return next(m for s in sets for m in s.rows if m.source == source and m.label == label)


@pytest.mark.parametrize(
    "label, bound",
    [
        ("gemm_bf16 m=4096 n=4096 k=4096", 0.10),
        ("gemm_fp8_e4m3 m=8192 n=4096 k=4096", 0.10),
        ("gemm_bf16 m=1 n=4096 k=4096", 0.30),
        ("attention_bf16 b=1 h=32 s=8192 d=128 causal=false backend=flash", 0.10),
        ("attention_bf16 b=1 h=32 s=16384 d=128 causal=true backend=cudnn", 0.30),
        ("copy bytes=4294967296", 0.10),
        ("softmax_bf16 rows=1024 cols=32768", 0.30),  # its re-reads hit L2 but queue behind HBM in the model
        ("softmax_bf16 rows=8192 cols=8192", 0.10),
        ("softmax_bf16 rows=32768 cols=1024", 0.10),
    ],
)
@pytest.mark.parametrize("model", MODELS)
def test_rows_within_bounds(gpu, sets, label, bound, model):
    p = predict(_row(sets, "h100_measured.json", label), gpu, load_knobs(), model)
    assert abs(p.rel_error) < bound, (label, p.seconds, p.measurement.seconds)


@pytest.mark.parametrize(
    "label, bound",
    [
        ("gemm_fp8_e4m3 m=16 n=4096 k=16384", 0.25),  # split-K FP8 at a small M, K 16K
        ("gemm_bf16 m=8192 n=16 k=4096", 0.25),  # one small N
        ("softmax_bf16 rows=1024 cols=65536", 0.15),  # the multi-pass kernel
        ("softmax_bf16 rows=4096 cols=16384", 0.15),  # a long row held on chip
        ("softmax_bf16 rows=32768 cols=2048", 0.25),  # the warp kernel with 24 warps resident
        ("layernorm_bf16 rows=65536 cols=1024", 0.25),  # short rows: the instructions of a block's reductions
        ("layernorm_bf16 rows=2048 cols=8192", 0.15),  # long rows: 8-byte loads, one round trip after another
        ("layernorm_bf16 rows=256 cols=65536", 0.25),  # two blocks per SM: round trips at the idle latency
        ("attention_bf16 b=1 h=32 s=16384 d=64 causal=true backend=flash", 0.15),
        ("attention_bf16 b=1 h=32 s=512 d=128 causal=true backend=flash", 0.15),  # 128 CTAs: each alone on its SM
    ],
)
def test_h200_rows_from_the_spec_alone(sets, label, bound):
    """H200 rows, predicted with knobs fitted on H100 rows only and the H200's spec."""
    p = predict(_row(sets, "h200_measured.json", label), load_gpu("h200"), load_knobs())
    assert abs(p.rel_error) < bound, (label, p.seconds, p.measurement.seconds)


def test_prediction_carries_a_report(gpu, sets):
    m = _row(sets, "h100_measured.json", "gemm_bf16 m=16384 n=4096 k=4096")
    for model, simulator in (("analytical", "analytical"), ("simpy", "cycle")):
        p = predict(m, gpu, load_knobs(), model)
        r = p.report
        assert isinstance(r, Report) and r.simulator == simulator and r.arch == "h100"
        assert r.seconds == pytest.approx(p.seconds, rel=1e-12)
        assert sum(v for _, v in r.cycles_by_cause) == pytest.approx(r.total_cycles, rel=1e-9)
        assert r.macs == 16384 * 4096 * 4096
        assert r.mappings and dict(r.provenance)["plan"] == p.plan.description
        assert p.plan.description.startswith("tile 128x256, split-k 1, 2048 CTAs")  # 16 x 128 tiles: 15.5 waves -> 16


def test_goal_rows_of_both_devices_stay_in_bounds(result):
    """Goal rows (GEMM m x 4096 x 4096, attention 512 to 32K): median |error| under 10% and no row over 30% on
    each device, also on the rows no fit used (the H200's are all unseen: predicted from its spec)."""
    for device in ("h100", "h200"):
        for model in MODELS:
            for split in ("all", "held-out"):
                s = result.summary(model, split, "goal rows", device)
                assert s.median_abs < 0.10 and s.max_abs < 0.30, s
    assert result.summary("analytical", "calibration", "all rows", "h200") is None


def test_splits(result, sets):
    rows = [r for r in result.rows if r.prediction.model == "analytical"]
    assert len(rows) == sum(len(s.rows) for s in sets)
    cal = [r for r in rows if r.split == "calibration"]
    assert len(cal) == 27
    assert {r.measurement.source for r in cal} == {"h100_calibration.json", "h100_measured.json"}
    reference = {m.label.replace(" backend=cudnn", "") for s in sets if s.source == "h100_calibration.json" for m in s.rows}
    extra = [r for r in cal if r.measurement.label.replace(" backend=cudnn", "") not in reference]
    assert [r.measurement.label for r in extra] == ["attention_bf16 b=1 h=32 s=4096 d=128 causal=false backend=flash",
                                                   "softmax_bf16 rows=8192 cols=8192", "softmax_bf16 rows=1024 cols=32768",
                                                   "copy bytes=2097152"]
    # Our cuDNN row at s=4096 (the lower) and the reference's, which named no backend (the default, cuDNN), are one
    # shape: ours is fitted on, the reference's is its repeat.
    split = {r.measurement.label: r.split for r in rows if r.device == "h100"}
    assert split["attention_bf16 b=1 h=32 s=4096 d=128 causal=false backend=cudnn"] == "calibration"
    assert split["attention_bf16 b=1 h=32 s=4096 d=128 causal=false"] == "repeat"
    assert "gemm_bf16 m=1 n=4096 k=4096" in {r.measurement.label for r in rows if r.split == "held-out"}
    # The same shape measured on the H200 is unseen: the fit saw only the H100.
    h200 = [r for r in rows if r.device == "h200"]
    assert len(h200) == 173 and {r.split for r in h200} == {"held-out"}
    assert sum(r.goal for r in rows) == sum(in_goal(m) for s in sets for m in s.rows) == 57 + 63


def test_compare_rejects_unknown_model(gpu, sets):
    from accel.calibrate import CalibrationError

    with pytest.raises(CalibrationError, match=r"model must be one of \('analytical', 'simpy'\), not 'roofline'"):
        compare(sets, gpu, load_knobs(), ("roofline",))

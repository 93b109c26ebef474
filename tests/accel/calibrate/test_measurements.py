"""Measurement files: the two shipped files load; bad input is rejected with the row named."""

import json

import pytest

from accel.calibrate import (
    CalibrationError,
    KINDS,
    Measurement,
    candidate_plans,
    default_measurement_files,
    load_gpu,
    load_knobs,
    load_measurements,
    parse_measurements,
    predict,
)


def _doc(*rows, **top):
    return {"device": "NVIDIA H100 80GB HBM3", **top, "rows": list(rows)}


GEMM = {"kind": "gemm_bf16", "m": 128, "n": 256, "k": 64, "ms": 0.01}


def test_shipped_files_load():
    ref, ours, h200 = (load_measurements(p) for p in default_measurement_files())
    assert (ref.source, len(ref.rows)) == ("h100_calibration.json", 23)
    assert (ours.source, len(ours.rows)) == ("h100_measured.json", 83)
    assert (h200.source, h200.device, len(h200.rows)) == ("h200_measured.json", "NVIDIA H200", 173)
    assert {m.kind for m in ours.rows} == set(KINDS) - {"layernorm_bf16"}
    assert {m.kind for m in h200.rows} == set(KINDS)
    first = ours.rows[0]
    assert first.label == "gemm_bf16 m=1 n=4096 k=4096"
    assert first.where == "h100_measured.json row 0"
    assert first.seconds == pytest.approx(first.ms * 1e-3)
    assert ref.rows[19].get("backend") is None  # the reference names no attention backend
    assert dict(ref.meta)["sms"] == 132
    assert "splitKreduce" in h200.rows[0].kernels  # our H200 rows name the kernels cuBLAS ran


def test_row_fields_and_values():
    s = parse_measurements(_doc(GEMM, {"kind": "attention_bf16", "backend": "flash", "b": 1, "h": 2, "s": 256, "d": 64,
                                       "causal": True, "ms": 0.02}), source="x.json")
    assert s.rows[0].params == (("m", 128), ("n", 256), ("k", 64))
    assert s.rows[1].get("causal") is True and s.rows[1].get("backend") == "flash"
    assert s.rows[1].where == "x.json row 1"


def test_unknown_field_names_row_and_field():
    row = dict(GEMM, time_us=10.0)
    with pytest.raises(CalibrationError, match=r"x\.json: 1 error in measurement file:\n  row 0 \(gemm_bf16\): unknown field 'time_us'"):
        parse_measurements(_doc(row), source="x.json")


def test_time_without_its_unit():
    row = {k: v for k, v in GEMM.items() if k != "ms"}
    row["time"] = 0.01
    with pytest.raises(CalibrationError) as info:
        parse_measurements(_doc(GEMM, row), source="x.json")
    text = str(info.value)
    assert "2 errors" in text
    assert "row 1 (gemm_bf16): unknown field 'time'" in text
    assert "row 1 (gemm_bf16): missing field 'ms' (the median time in milliseconds; a time needs its unit, 'ms')" in text


def test_unknown_kind_and_missing_shape_field():
    bad_kind = {"kind": "conv2d_bf16", "ms": 1.0}
    no_k = {k: v for k, v in GEMM.items() if k != "k"}
    with pytest.raises(CalibrationError) as info:
        parse_measurements(_doc(bad_kind, no_k))
    text = str(info.value)
    assert "row 0: kind must be one of ('gemm_bf16'," in text and "not 'conv2d_bf16'" in text
    assert "row 1 (gemm_bf16): missing field 'k'" in text


@pytest.mark.parametrize(
    "change, message",
    [
        ({"m": 0}, r"row 0 \(gemm_bf16\): 'm' must be a positive integer, not 0"),
        ({"m": 2.5}, r"'m' must be a positive integer, not 2.5"),
        ({"m": True}, r"'m' must be a positive integer, not True"),
        ({"ms": -1}, r"'ms' must be a positive number of milliseconds, not -1"),
        ({"ms": "fast"}, r"'ms' must be a positive number of milliseconds, not 'fast'"),
        ({"tflops": "high"}, r"'tflops' must be a finite number, not 'high'"),
    ],
)
def test_bad_values(change, message):
    with pytest.raises(CalibrationError, match=message):
        parse_measurements(_doc(dict(GEMM, **change)))


def test_attention_causal_must_be_boolean():
    row = {"kind": "attention_bf16", "b": 1, "h": 2, "s": 256, "d": 64, "causal": 1, "ms": 0.02}
    with pytest.raises(CalibrationError, match=r"row 0 \(attention_bf16\): 'causal' must be true or false, not 1"):
        parse_measurements(_doc(row))


def test_file_level_errors(tmp_path):
    with pytest.raises(CalibrationError, match=r"unknown top-level field 'gpu'; allowed: device, sms"):
        parse_measurements(_doc(GEMM, gpu="H100"))
    with pytest.raises(CalibrationError, match=r"'rows' must be a non-empty list, not \[\]"):
        parse_measurements(_doc())
    with pytest.raises(CalibrationError, match=r"'device' must be a non-empty string, not None"):
        parse_measurements({"rows": [GEMM]})
    with pytest.raises(CalibrationError, match=r"<data>: a measurement file must be a JSON object, not list"):
        parse_measurements([GEMM])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CalibrationError, match=r"bad\.json: not valid JSON"):
        load_measurements(bad)
    with pytest.raises(FileNotFoundError):
        load_measurements(tmp_path / "missing.json")


def test_operator_or_backend_the_model_lacks_names_the_row(tmp_path):
    path = tmp_path / "m.json"
    row = {"kind": "attention_bf16", "backend": "xformers", "b": 1, "h": 2, "s": 256, "d": 64, "causal": False, "ms": 0.02}
    path.write_text(json.dumps(_doc(GEMM, row)))
    m = load_measurements(path).rows[1]
    with pytest.raises(CalibrationError, match=r"m\.json row 1: attention backend 'xformers' is not modelled; backends: cudnn, flash"):
        predict(m, load_gpu(), load_knobs())
    lacking = Measurement("rmsnorm_bf16", (("rows", 4),), 1.0, "m.json", 7)
    with pytest.raises(CalibrationError, match=r"m\.json row 7: no GPU model for operator 'rmsnorm_bf16'"):
        candidate_plans(lacking, load_gpu(), load_knobs())
    row = {"kind": "rmsnorm_bf16", "rows": 4, "cols": 1024, "ms": 0.01}
    path.write_text(json.dumps(_doc(GEMM, row)))
    with pytest.raises(CalibrationError, match=r"m\.json: 1 error in measurement file:\n  row 1: kind must be one of"):
        load_measurements(path)


def test_unknown_device_names_the_file(tmp_path):
    from accel.calibrate import compare, device_gpu

    assert device_gpu("NVIDIA H200").arch.name == "h200" and device_gpu("NVIDIA H100 80GB HBM3").arch.name == "h100"
    path = tmp_path / "a100.json"
    path.write_text(json.dumps(dict(_doc(GEMM), device="NVIDIA A100-SXM4-80GB")))
    s = load_measurements(path)
    with pytest.raises(CalibrationError, match=r"a100\.json: 'device' 'NVIDIA A100-SXM4-80GB' is not a modelled GPU; "
                                               r"known devices: 'NVIDIA H100 80GB HBM3' \(h100\), 'NVIDIA H200' \(h200\)"):
        compare([s], None, load_knobs())
    assert len(compare([s], load_gpu("h100"), load_knobs(), ("analytical",)).rows) == 1  # an explicit GPU overrides

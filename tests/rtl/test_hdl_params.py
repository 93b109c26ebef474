"""Generator parameters: every bad input is refused with a clear message before any HDL is built."""

from __future__ import annotations

import pytest

from rtl.hdl import (
    UNITS,
    Fp8Mac,
    Fp8Multiplier,
    HDLParamError,
    Int8Mac,
    LMul,
    ProcessingElement,
    SystolicArray,
    arith,
    build_unit,
    parse_params,
    unit_params,
)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Fp8Multiplier("e3m4"), HDLParamError, r"Fp8Multiplier: unsupported format 'e3m4'; expected one of \['e4m3', 'e5m2'\]"),
        (lambda: Fp8Multiplier("bf16"), HDLParamError, r"unsupported format 'bf16'"),
        (lambda: Fp8Multiplier(8), TypeError, r"fmt must be a format name or a FloatFormat, not 8"),
        (lambda: Fp8Multiplier("e4m3", registered=1), TypeError, r"registered must be a bool, not 1"),
        (lambda: LMul("fp64"), HDLParamError, r"LMul: unsupported format 'fp64'"),
        (lambda: LMul(exp_bits=5, man_bits=11), HDLParamError, r"a 5-bit exponent leaves room for at most 10 mantissa bits in a 16-bit L-Mul operand, not 11"),
        (lambda: LMul(exp_bits=5, man_bits=0), HDLParamError, r"LMul: man_bits must be in \[1, 23\], not 0"),
        (lambda: LMul(exp_bits=1, man_bits=3), HDLParamError, r"LMul: exp_bits must be in \[2, 8\], not 1"),
        (lambda: LMul(exp_bits=4, man_bits=2.5), TypeError, r"LMul: man_bits must be an integer, not 2.5"),
        (lambda: LMul("e4m3", saturate="yes"), TypeError, r"saturate must be a bool, not 'yes'"),
        (lambda: Int8Mac(acc_bits=8), HDLParamError, r"arith: acc_bits must be in \[16, 64\], not 8"),
        (lambda: Int8Mac(overflow="clip"), HDLParamError, r"overflow must be one of \('wrap', 'saturate'\), not 'clip'"),
        (lambda: Fp8Mac("e4m3", "fp64"), HDLParamError, r"kind must be one of .*not 'fp64'"),
        (lambda: Fp8Mac("e4m3", "fixed", width=70, frac_bits=8), HDLParamError, r"width must be in \[2, 62\], not 70"),
        (lambda: Fp8Mac("e4m3", "fixed", width=16), HDLParamError, r"kind 'fixed' needs frac_bits"),
        (lambda: Fp8Mac("e4m3", "fp32", width=16), HDLParamError, r"width and frac_bits apply to a 'fixed' accumulator only, not 'fp32'"),
        (lambda: arith("int4"), HDLParamError, r"kind must be one of \('int8', 'fp8', 'lmul'\), not 'int4'"),
        (lambda: arith("int8", fmt="e4m3"), HDLParamError, r"kind 'int8' takes no fmt, got 'e4m3'"),
        (lambda: ProcessingElement(arith("fp8"), "row_stationary"), HDLParamError, r"dataflow must be one of \('weight_stationary', 'output_stationary'\), not 'row_stationary'"),
        (lambda: ProcessingElement("fp8"), TypeError, r"spec must be an Arith"),
        (lambda: SystolicArray(arith("fp8"), 0, 2), HDLParamError, r"SystolicArray: rows must be in \[1, 64\], not 0"),
        (lambda: SystolicArray(arith("fp8"), 2, -1), HDLParamError, r"SystolicArray: cols must be in \[1, 64\], not -1"),
        (lambda: SystolicArray(arith("fp8"), 2, 65), HDLParamError, r"cols must be in \[1, 64\], not 65"),
        (lambda: SystolicArray(arith("fp8"), True, 2), TypeError, r"rows must be an integer, not True"),
        (lambda: build_unit("fp16_mul"), HDLParamError, r"unknown unit 'fp16_mul'; expected one of \['int8_mac'"),
        (lambda: build_unit("array", {"row": 2}), HDLParamError, r"unit 'array': unknown parameter\(s\) \['row'\]; expected some of"),
        (lambda: build_unit("array", {"rows": "two"}), HDLParamError, r"unit 'array': parameter 'rows' must be an integer, not 'two'"),
        (lambda: build_unit("array", {"rows": "0"}), HDLParamError, r"rows must be in \[1, 64\], not 0"),
        (lambda: build_unit("lmul", {"registered": "maybe"}), HDLParamError, r"parameter 'registered' must be a boolean \(true/false\), not 'maybe'"),
        (lambda: build_unit("lmul", {"fmt": "e4m3", "man_bits": 3}), HDLParamError, r"give either fmt or exp_bits/man_bits, not both"),
        (lambda: build_unit("pe", {"kind": "lmul", "fmt": "e9m2"}), HDLParamError, r"exp_bits must be in \[2, 8\], not 9"),
        (lambda: parse_params("rows=2,cols"), HDLParamError, r"--params: expected name=value, not 'cols'"),
        (lambda: parse_params("rows=2,rows=3"), HDLParamError, r"--params: 'rows' given twice"),
    ],
)
def test_bad_parameters_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_hdl_param_error_is_a_value_error():
    assert issubclass(HDLParamError, ValueError)


def test_parse_params_converts_through_the_schema():
    design = build_unit("array", parse_params("rows=3, cols=1,kind=int8,dataflow=weight_stationary"))
    assert (design.param("rows"), design.param("cols")) == (3, 1)
    assert design.arith.label == "int8_acc32"
    assert design.label == "array[cols=1,dataflow=weight_stationary,kind=int8,rows=3]"
    assert design.component.dataflow == "weight_stationary"


def test_every_unit_has_a_schema_with_defaults():
    assert set(UNITS) == {"int8_mac", "fp8_mul", "fp8_mac", "lmul", "lmul_mac", "pe", "array"}
    for unit in UNITS:
        schema = unit_params(unit)
        assert schema, unit
        assert build_unit(unit).unit == unit


@pytest.mark.parametrize(
    ("kwargs", "label", "acc_width", "signed"),
    [
        ({"kind": "int8", "acc_bits": 24, "overflow": "saturate"}, "int8_acc24_sat", 24, True),
        ({"kind": "fp8"}, "fp8_e4m3_fp32", 32, False),
        ({"kind": "fp8", "fmt": "e5m2", "accumulator": "bf16"}, "fp8_e5m2_bf16", 16, False),
        ({"kind": "fp8", "accumulator": "fixed", "width": 20, "frac_bits": 9}, "fp8_e4m3_fixed20q9", 20, True),
        ({"kind": "lmul", "fmt": "e4m2", "accumulator": "fp16"}, "lmul_e4m2_fp16", 16, False),
        ({"kind": "lmul", "fmt": "bf16"}, "lmul_bf16_fp32", 32, False),
    ],
)
def test_arith_labels_and_widths(kwargs, label, acc_width, signed):
    spec = arith(**kwargs)
    assert spec.label == label
    assert spec.acc_width == acc_width
    assert spec.acc_signed is signed

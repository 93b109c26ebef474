"""Estimators, the registry, and energy/area tables against hand-computed values."""

from __future__ import annotations

import math

import pytest

from accel import (
    Action,
    Component,
    Estimate,
    Estimator,
    EstimatorRegistry,
    HorowitzEstimator,
    NoEstimateError,
    area_table,
    default_registry,
    derive,
    energy_table,
    load_architecture,
)

# --- hand computation of the scaling rules (independent of accel._scaling) ---------------------
# Stillmaker & Baas (2017) Table 5: E(V) = a V^2 + b V + c.  45 nm HP at 0.9 V (Horowitz's point).
E45 = 1.018 * 0.9**2 - 0.3107 * 0.9 + 0.1539  # 0.69885
E32 = 0.8367 * 0.9**2 - 0.4341 * 0.9 + 0.1701  # 0.457137 (the paper's erratum example value, 0.4571)
E20 = 0.373 * 0.9**2 - 0.1582 * 0.9 + 0.04104  # 0.20079
E65 = 3.755 * 1.1**2 - 4.398 * 1.1 + 1.975  # 1.68075


def loglog(n, n_lo, f_lo, n_hi, f_hi):
    t = math.log(n / n_lo) / math.log(n_hi / n_lo)
    return math.exp(math.log(f_lo) + t * math.log(f_hi / f_lo))


S28 = loglog(28, 32, E32 / E45, 20, E20 / E45)  # 0.51779
S22 = loglog(22, 32, E32 / E45, 20, E20 / E45)  # 0.33948
S65 = E65 / E45  # 2.40502

# Horowitz 45 nm: 8b mult 0.2 pJ, 32b int add 0.1 pJ; 16b int mult by the power law through
# (8, 0.2) and (32, 3.1): 0.2 * 2**(log(15.5)/log(4)) = 0.2 * sqrt(15.5).
INT16_MULT = 0.2 * math.sqrt(15.5)  # 0.787401
# FP mult = A (m+1)^2 + B (1+e+m) through FP16 (1.1 pJ) and FP32 (3.7 pJ):
# 121 A + 16 B = 1.1, 576 A + 32 B = 3.7  ->  A = 24/5344, B = 185.9/5344.
BF16_MULT = (64 * 24 + 16 * 185.9) / 5344  # 0.844012
E4M3_MULT = (16 * 24 + 8 * 185.9) / 5344  # 0.350150

MAC_PJ = {
    "tpu_like": (0.2 + 0.1) * S28,  # INT8 mult + INT32 add, 28 nm: 0.15534
    "eyeriss_like": (INT16_MULT + 0.1) * S65,  # INT16 mult + INT32 add, 65 nm: 2.1342
    "fusemax_like": BF16_MULT + 0.9,  # BF16 mult + FP32 add, 45 nm: 1.74401
    "edge": (0.2 + 0.1) * S22,  # INT8 at 22 nm: 0.10184
}

# The same, as plain numbers (pJ per MAC), to catch a change in the rules themselves.
MAC_PJ_LITERAL = {"tpu_like": 0.15534, "eyeriss_like": 2.1342, "fusemax_like": 1.74401, "edge": 0.10184}


def test_hand_computed_factors_are_what_we_think():
    assert S28 == pytest.approx(0.51779, abs=1e-5)
    assert S22 == pytest.approx(0.33948, abs=1e-5)
    assert S65 == pytest.approx(2.40502, abs=1e-5)
    assert BF16_MULT == pytest.approx(0.844012, abs=1e-6)


@pytest.mark.parametrize("name", list(MAC_PJ))
def test_energy_per_mac_of_each_example(name):
    table = energy_table(load_architecture(name))
    assert table["mac"] == pytest.approx(MAC_PJ[name], rel=1e-9)
    assert table["mac"] == pytest.approx(MAC_PJ_LITERAL[name], rel=1e-4)
    assert table.estimate("mac").estimator == "horowitz_45nm"
    assert "Horowitz, ISSCC 2014" in table.estimate("mac").source


def test_energy_per_mac_of_fp8_and_lmul_variants():
    base = derive(load_architecture("fusemax_like"), {"arith.kind": "fp8_mac"})
    assert energy_table(base)["mac"] == pytest.approx(E4M3_MULT + 0.9, rel=1e-9)
    lmul = derive(base, {"arith.kind": "lmul", "arith.input_format": "e4m3", "arith.mantissa_bits": 3})
    # one 7-bit integer add (e + m = 4 + 3) on the power law through (8, 0.03), (32, 0.1), plus the FP32 add
    add7 = 0.03 * (7 / 8) ** (math.log(0.1 / 0.03) / math.log(4))
    assert energy_table(lmul)["mac"] == pytest.approx(add7 + 0.9, rel=1e-9)
    assert "L-Mul = 7b int add" in energy_table(lmul).estimate("mac").source


@pytest.mark.parametrize(
    "action, pj",
    [
        (Action.of("int_add", "compute", bits=8), 0.03),
        (Action.of("int_add", "compute", bits=32), 0.1),
        (Action.of("int_mult", "compute", bits=8), 0.2),
        (Action.of("int_mult", "compute", bits=32), 3.1),
        (Action.of("fp_add", "compute", format="fp16"), 0.4),
        (Action.of("fp_add", "compute", format="fp32"), 0.9),
        (Action.of("fp_mult", "compute", format="fp16"), 1.1),
        (Action.of("fp_mult", "compute", format="fp32"), 3.7),
        (Action.of("sram", "read", capacity=8 * 1024, word_bits=64), 10.0),
        (Action.of("sram", "read", capacity=32 * 1024, word_bits=64), 20.0),
        (Action.of("sram", "write", capacity=1024 * 1024, word_bits=64), 100.0),
        (Action.of("sram", "read", capacity=1024 * 1024, word_bits=128), 200.0),
        (Action.of("sram", "read", capacity=16 * 1024, word_bits=64), 10.0 * math.sqrt(2)),
        (Action.of("dram", "read"), 1950.0 / 8),
        (Action.of("dram", "write", technology_nm=7), 1950.0 / 8),  # DRAM is not node-scaled
        (Action.of("regfile", "read", capacity=64, word_bits=16), INT16_MULT + 0.1),  # floor: 1x 16b MAC per 16 bits
        (Action.of("noc", "hop", word_bits=16), 2 * (INT16_MULT + 0.1)),
        (Action.of("vector", "op", format="fp32"), 3.7 + 0.9),
        (Action.of("mac", "compute", kind="int8_mac", input_format="int8", accumulate_format="int32", technology_nm=32), 0.3 * E32 / E45),
    ],
)
def test_horowitz_reproduces_the_table(action, pj):
    est = HorowitzEstimator().energy(action)
    assert est.value == pytest.approx(pj, rel=1e-9)
    assert est.unit == "pJ" and est.accuracy == 30


def test_horowitz_declines_what_it_cannot_estimate():
    h = HorowitzEstimator()
    assert h.energy(Action.of("mac", "compute", kind="int8_mac", input_format="int8", accumulate_format="int32", technology_nm=5)) is None
    assert h.energy(Action.of("laser", "fire")) is None
    assert h.energy(Action.of("fp_add", "compute", format="int8")) is None
    assert h.area(Component.of("sram", capacity=1024, technology_nm=200)) is None


def test_horowitz_areas():
    h = HorowitzEstimator()
    assert h.area(Component.of("int_mult", bits=8)).value == pytest.approx(282.0)
    assert h.area(Component.of("fp_mult", format="fp32")).value == pytest.approx(7700.0)
    assert h.area(Component.of("sram", capacity=1024)).value == pytest.approx(8192 * 0.346 / 0.7)
    assert h.area(Component.of("sram", capacity=1024, technology_nm=7)).value == pytest.approx(8192 * 0.346 / 0.7 * 0.059)


def test_area_table_of_edge():
    arch = load_architecture("edge")
    area = area_table(arch)
    f22 = loglog(22, 32, 0.46, 20, 0.21)  # Stillmaker & Baas area factors from 45 nm
    mac45 = 282.0 + 137.0  # 8b int mult + 32b int add
    assert area["mac"] == pytest.approx(256 * mac45 * f22, rel=1e-9)
    assert area["scratchpad"] == pytest.approx(65536 * 8 * 0.346 / 0.7 * f22, rel=1e-9)
    assert area.total_um2 == pytest.approx(sum(e.um2 for e in area.entries))
    with pytest.raises(KeyError, match=r"area table of 'edge' has no component 'l9'"):
        area["l9"]


def test_energy_table_keys_units_and_per_byte():
    arch = load_architecture("edge")
    t = energy_table(arch)
    assert t.keys() == (
        "mac", "rf.read", "rf.write", "scratchpad.read", "scratchpad.write", "l2.read", "l2.write",
        "dram.read", "dram.write", "noc.hop",
    )
    # 64 KiB scratchpad, 128-bit words: 20 pJ * (64/32)^(log 5 / log 32) per 64 b, x2 for 128 b, at 22 nm.
    sp = 20.0 * 2 ** (math.log(5) / math.log(32)) * 2 * S22
    assert t["scratchpad.read"] == pytest.approx(sp, rel=1e-9)
    assert t.per_byte("scratchpad.read") == pytest.approx(sp / 16, rel=1e-9)
    assert t.per_byte("dram.read") == t["dram.read"] == pytest.approx(243.75)
    assert t.entry("noc.hop").bits == 8
    with pytest.raises(ValueError, match=r"action 'mac' is compute, not data movement; it has no per-byte energy"):
        t.per_byte("mac")
    with pytest.raises(KeyError, match=r"energy table of 'edge' has no action 'l3.read'"):
        t["l3.read"]
    assert set(t.as_dict()["mac"]) == {"pJ", "per", "bits", "source", "estimator", "accuracy"}
    assert "vector.op" in energy_table(load_architecture("fusemax_like"))


def test_spec_dram_energy_wins():
    t = energy_table(load_architecture("fusemax_like"))
    assert t["dram.read"] == 31.2
    assert t.estimate("dram.write") == Estimate(31.2, "pJ", "architecture spec: dram.energy_per_byte", "spec", 100)


class _Fixed(Estimator):
    def __init__(self, name, accuracy, pj, component="mac"):
        self.name, self.accuracy, self.pj, self.component = name, accuracy, pj, component

    def energy(self, action):
        if action.component != self.component:
            return None
        return Estimate(self.pj, "pJ", f"fixed {self.pj}", self.name, self.accuracy)


def test_most_accurate_answer_wins_and_ties_go_to_the_first():
    reg = default_registry().register(_Fixed("low", 10, 9.0)).register(_Fixed("high", 90, 1.0)).register(_Fixed("high2", 90, 2.0))
    assert [e.name for e in reg.estimators] == ["high", "high2", "horowitz_45nm", "low"]
    arch = load_architecture("edge")
    t = energy_table(arch, reg)
    assert t["mac"] == 1.0 and t.estimate("mac").estimator == "high"
    assert t.estimate("l2.read").estimator == "horowitz_45nm"  # 'high' does not answer: next best
    assert [c.estimator for c in reg.energy_candidates(Action.of("mac", "compute"))] == ["high", "high2", "low"]


def test_registry_checks_what_it_registers():
    reg = default_registry()
    with pytest.raises(ValueError, match=r"an estimator named 'horowitz_45nm' is already registered"):
        reg.register(HorowitzEstimator())
    with pytest.raises(TypeError, match=r"can only register Estimator instances, not 'horowitz'"):
        reg.register("horowitz")
    with pytest.raises(ValueError, match=r"estimator 'x' accuracy must be an integer in 0..100, not 101"):
        reg.register(_Fixed("x", 101, 1.0))


def test_no_estimate_names_every_missing_action():
    arch = derive(load_architecture("edge"), {"technology_nm": 5})
    with pytest.raises(NoEstimateError, match=r"no estimator answers for 8 action\(s\) of 'edge': mac = mac.compute\(") as info:
        energy_table(arch)
    assert "registered: horowitz_45nm (accuracy 30)" in str(info.value)
    assert isinstance(info.value, ValueError)
    # DRAM energy is not node-scaled, so at 5 nm only DRAM answers; with no estimator at all, nothing does.
    with pytest.raises(NoEstimateError, match=r"no estimator answers for 10 action\(s\) of 'edge'.*; registered: none$"):
        energy_table(load_architecture("edge"), EstimatorRegistry())

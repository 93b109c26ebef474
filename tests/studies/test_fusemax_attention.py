"""Study 3: the pipelined attention model (closed forms, buffer rules, spills) and a reduced run."""

from __future__ import annotations

import pytest

from accel import derive, energy_table, load_architecture
from dataflow.library import attention
from studies import StudyError, fusemax_attention
from studies._attention_model import EXP_PE_OPS, attention_cost


@pytest.fixture(scope="module")
def arch():
    return load_architecture("fusemax_like")


def test_flat_3pass_closed_form(arch):
    n = 1024
    c = attention_cost(attention(3, M=n, P=n, E=64, F=64), arch, "flat")
    assert c.passes == 3 and c.macs == 2 * n * n * 64
    assert c.array_cycles == pytest.approx(c.macs / (256 * 256))
    # GM max, SN sub+exp, SD add, A div: 5 ops per score on 256 lanes
    assert c.vector_cycles == pytest.approx(5 * n * n / 256)
    assert c.cycles == max(c.array_cycles, c.vector_cycles, c.dram_cycles)
    assert c.utilization == pytest.approx(c.macs / (256 * 256 * c.cycles))
    assert all(unit == "vector" for _, unit in c.binding)


def test_fusemax_binds_softmax_to_the_array(arch):
    n = 1024
    c = attention_cost(attention(3, M=n, P=n, E=64, F=64), arch, "fusemax")
    assert dict(c.binding) == {"A": "array", "GM": "array", "SD": "array", "SN": "array"}
    assert c.array_cycles == pytest.approx((c.macs + (1 + EXP_PE_OPS + 1 + 1 + 1) * n * n) / (256 * 256))
    assert c.utilization > 0.9


def test_buffer_need_grows_with_n_only_with_several_passes(arch):
    def need(variant, n):
        return attention_cost(attention(variant, M=n, P=n, E=64, F=64, M0=256), arch, "flat").buffer_need_bytes

    assert need(1, 1024) == need(1, 8192)
    # one held row block of scores (QK, then SN in place), double-buffered: 2 x 256 x N x 2 bytes
    assert need(3, 8192) - need(3, 4096) == 2 * 256 * 4096 * 2
    assert need(2, 8192) - need(2, 4096) == 2 * 256 * 4096 * 2


def test_spills_when_the_rows_do_not_fit(arch):
    small = derive(arch, {"levels.global_buffer.capacity": 1 << 20})
    n = 2048
    cascade = attention(3, M=n, P=n, E=64, F=64)
    fit, spill = attention_cost(cascade, arch, "flat"), attention_cost(cascade, small, "flat")
    assert fit.fits and not spill.fits
    # QK and SN written once and read once more in a later pass (plus K/V re-reads per block)
    assert spill.dram_bytes - fit.dram_bytes >= 2 * 2 * n * n * 2
    e = energy_table(small)
    assert dict(spill.energy_by_part)["dram"] == pytest.approx(spill.dram_bytes * e.per_byte("dram.read"))


def test_bad_input(arch):
    with pytest.raises(StudyError, match="dataflow must be one of \\('flat', 'fusemax'\\), not 'tpu'"):
        attention_cost(attention(1, M=64, P=64, M0=16), arch, "tpu")
    no_vec = derive(arch, {"vector_unit": None})
    with pytest.raises(StudyError, match="has no vector unit"):
        attention_cost(attention(1, M=64, P=64, M0=16), no_vec, "flat")


def test_reduced_run(tmp_path):
    r = fusemax_attention.run(tmp_path, reduced=True)
    t = r.table
    assert sorted(set(t.seq_len)) == [1024, 2048] and len(t) == 12
    assert set(t.dataflow) == {"unfused", "flat", "fusemax"}
    one = t[(t.cascade == "1-pass") & (t.dataflow == "fusemax")].sort_values("seq_len")
    flat = t[(t.cascade == "3-pass") & (t.dataflow == "flat")].sort_values("seq_len")
    unfused = t[(t.cascade == "3-pass") & (t.dataflow == "unfused")].sort_values("seq_len")
    # through the toolchain: fused designs, the FLAT-like one with every element-wise Einsum on the vector unit
    assert (one.fused_einsums == 10).all() and (flat.fused_groups >= 1).all()
    assert (flat.on_array == "").all() and (one.on_array != "").all()
    assert (one.latency_cycles.to_numpy() < flat.latency_cycles.to_numpy()).all()
    assert (flat.latency_cycles.to_numpy() < unfused.latency_cycles.to_numpy()).all()
    assert (one.utilization > 0.5).all()
    # the side model is kept as a cross-check of the same designs
    assert one.model_latency_cycles.notna().all() and unfused.model_latency_cycles.isna().all()
    assert "speedup" in r.findings and "side model" in r.findings and r.plots[0].is_file()

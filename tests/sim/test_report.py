"""sim.Report: consistency checks, derived values, combining a cascade's reports."""

from __future__ import annotations

import pytest

from sim import EnergyItem, Report, ReportError, TensorAccesses, combine


def _report(name="a", cycles=(("compute", 60.0), ("bandwidth_stall.dram", 30.0), ("fill_drain", 10.0)), arch="edge", **kw):
    base = dict(
        name=name, simulator="analytical", arch=arch, clock_mhz=400.0, total_cycles=sum(v for _, v in cycles),
        cycles_by_cause=cycles,
        energy=(EnergyItem("mac", "compute", 100, 0.5, "MAC", "table"), EnergyItem("dram", "read", 10, 20.0, "byte", "spec")),
        accesses=(TensorAccesses("dram", "A", reads=10), TensorAccesses("rf", "Z", writes=5, drains=5)),
        macs=100, ops=100, peak_ops_per_cycle=4, spatial_utilization=0.5,
    )
    base.update(kw)
    return Report(**base)


def test_derived_values():
    r = _report()
    assert r.energy_pj == 100 * 0.5 + 10 * 20.0
    assert r.edp == r.energy_pj * 100
    assert r.utilization == 100 / (4 * 100)
    assert r.seconds == pytest.approx(100 / 400e6)
    assert r.cycles("bandwidth_stall") == 30 and r.cycles("dependency_wait") == 0
    assert r.energy_by_component() == {"mac": 50.0, "dram": 200.0}
    assert r.access("rf", "Z").total == 10 and r.access("rf", "A").total == 0
    d = r.to_dict()
    assert d["cycles_by_cause"]["bandwidth_stall.dram"] == 30 and d["energy"][1]["pj"] == 200.0


def test_causes_must_add_up():
    with pytest.raises(ReportError, match=r"report 'a': cycles by cause sum to 90.0, not total_cycles 100"):
        _report(total_cycles=100, cycles=(("compute", 60.0), ("fill_drain", 30.0)))


def test_unknown_cause_is_rejected():
    with pytest.raises(ReportError, match=r"report 'a': unknown cycle cause 'waiting'"):
        _report(cycles=(("waiting", 5.0),))


def test_combine_sums_a_cascade():
    a = _report("a")
    b = _report("b", cycles=(("compute", 40.0), ("dependency_wait", 10.0)), spatial_utilization=1.0)
    c = combine([a, b], name="both")
    assert c.name == "both" and c.total_cycles == 150
    assert dict(c.cycles_by_cause) == {"compute": 100.0, "bandwidth_stall.dram": 30.0, "fill_drain": 10.0, "dependency_wait": 10.0}
    assert c.energy_pj == a.energy_pj + b.energy_pj
    assert c.access("dram", "A").reads == 20
    assert c.macs == 200
    assert c.spatial_utilization == pytest.approx((0.5 * 100 + 1.0 * 50) / 150)


def test_combine_rejects_other_architectures_and_nothing():
    with pytest.raises(ReportError, match=r"cannot combine reports of different architectures: 'a' on 'edge'"):
        combine([_report("a"), _report("b", arch="tpu_like")])
    with pytest.raises(ReportError, match=r"combine needs at least one report, got none"):
        combine([])

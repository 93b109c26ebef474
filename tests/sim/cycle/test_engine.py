"""The SimPy engine: exact timelines, double buffering, contention, deadlock, watchdog, bad input."""

from __future__ import annotations

import pytest

from accel import derive
from dataflow import library
from sim.cycle import (
    CapacityError,
    DeadlockError,
    HardwareConfig,
    WatchdogError,
    simulate,
)


@pytest.fixture
def tiny(make_arch, make_mapping):
    """2x2 weight-stationary array; Z[2,2] = A[2,4] * B[4,2] in two k folds; DRAM: 4 B/cycle, 3 cycles latency."""

    def run(**changes):
        config = changes.pop("config", HardwareConfig())
        kwargs = {k: changes.pop(k) for k in ("max_cycles", "validate") if k in changes}
        arch = derive(make_arch(2, 2, "weight_stationary", dram_latency=3), {"dram.bandwidth": 4.0, **changes})
        cascade = library.gemm(M=2, N=2, K=4)
        mapping = make_mapping(cascade, arch, rf={"m": 2}, spatial_rows={"k": 2}, spatial_cols={"n": 2}, outer={"k": 2})
        return simulate(cascade.einsums[0], cascade.shapes, arch, mapping, config=config, **kwargs)

    return run


def test_exact_timeline_of_a_tiny_gemm(tiny):
    result = tiny()
    events = [(e.track, e.name, e.start, e.end) for e in result.events]
    # Step 0: A (2x2 int8, 4 B) and B (4 B) leave DRAM after 3 cycles of latency on two DMA
    # channels; their one-cycle bursts share the DRAM bus (A at 3, B at 4).  The array waits
    # until 5, streams (one port cycle) and runs one fold: R=2 preload + (R-1)+(C-1)=2 skew +
    # T=M=2 steady = 6 cycles.  Double buffering: step 1's fills start when step 0 begins (5)
    # and arrive at 9 and 10, before step 0 ends at 11, so step 1 runs 11..17 with no wait.
    # Finally Z (2x2 int32, 16 B) drains to DRAM in 16/4 = 4 bus cycles: 17..21.
    assert events == [
        ("dram.bus", "fill A", 3, 4),
        ("buf.write", "fill A", 3, 4),
        ("dma0", "fill A", 0, 4),
        ("dram.bus", "fill B", 4, 5),
        ("buf.write", "fill B", 4, 5),
        ("dma1", "fill B", 0, 5),
        ("controller", "wait", 0, 5),
        ("buf.read", "stream", 5, 6),
        ("buf.write", "stream", 5, 6),
        ("dram.bus", "fill A", 8, 9),
        ("buf.write", "fill A", 8, 9),
        ("dma0", "fill A", 5, 9),
        ("dram.bus", "fill B", 9, 10),
        ("buf.write", "fill B", 9, 10),
        ("dma1", "fill B", 5, 10),
        ("pe_array", "Z step 0", 5, 11),
        ("buf.read", "stream", 11, 12),
        ("buf.write", "stream", 11, 12),
        ("pe_array", "Z step 1", 11, 17),
        ("dram.bus", "drain Z", 17, 21),
        ("buf.read", "drain Z", 17, 21),
        ("dma0", "drain Z", 17, 21),
    ]
    report = result.report
    assert report.total_cycles == 21
    assert dict(report.cycles_by_cause) == {"compute": 4, "fill_drain": 8, "bandwidth_stall.dram": 9, "dependency_wait": 0}
    assert report.access("dram", "A").reads == 8 and report.access("dram", "Z").writes == 4


def test_runs_are_repeatable(tiny):
    assert tiny().events == tiny().events


def test_double_buffering_overlaps_loads_with_compute(tiny):
    double = tiny()
    serial = tiny(config=HardwareConfig(prefetch_depth=0))
    assert serial.total_cycles > double.total_cycles
    busy = [(e.start, e.end) for e in serial.events if e.track == "pe_array"]
    for e in serial.events:
        if e.track.startswith("dma") and e.name.startswith("fill"):
            assert all(e.end <= s or e.start >= t for s, t in busy), e  # no load while the array computes


def test_deeper_prefetch_never_hurts(tiny):
    assert tiny(config=HardwareConfig(prefetch_depth=2)).total_cycles <= tiny().total_cycles


def test_one_dma_channel_serializes_latencies(tiny):
    assert tiny(config=HardwareConfig(dma_channels=1)).total_cycles > tiny().total_cycles


def test_single_ported_bank_makes_reads_and_writes_contend(tiny):
    two = tiny(**{"levels.buf.read_bandwidth": 1.0, "levels.buf.write_bandwidth": 1.0})
    one = tiny(**{"levels.buf.read_bandwidth": 1.0, "levels.buf.write_bandwidth": 1.0, "levels.buf.ports": 1})
    assert one.total_cycles > two.total_cycles
    assert {e.track for e in one.events if e.track.startswith("buf")} == {"buf.port"}


def test_a_tile_larger_than_its_level_is_refused(tiny):
    with pytest.raises(CapacityError, match=r"the mapping of 'Z' does not fit architecture 'sys2x2' \(cycle 0\)"):
        tiny(**{"levels.buf.capacity": 8})
    with pytest.raises(
        CapacityError,
        match=r"tile of 'Z' for Z step 0 \[k=0\] needs 16 bytes of level 'buf', which holds 8: the mapping does not fit",
    ) as info:
        tiny(**{"levels.buf.capacity": 8}, validate=False)
    assert info.value.cycle == 0 and info.value.tile == "Z step 0 [k=0]"


def test_tiles_that_do_not_fit_together_deadlock_with_a_clear_message(tiny):
    # Each tile fits 20 bytes, the step's three (Z 16 B, A 4 B, B 4 B) do not: the loader holds
    # Z and A and waits for B's bytes, which nothing will ever free.
    with pytest.raises(DeadlockError) as info:
        tiny(**{"levels.buf.capacity": 20}, validate=False)
    message = str(info.value)
    assert message.startswith("deadlock at cycle 0 at Z step 0 [k=0]: ")
    assert "loader waits for 4 bytes of 'buf' for a tile of 'B' (Z step 0 [k=0]); 0 of 20 free" in message
    assert "pe_array waits for the loader to start Z step 0 [k=0]" in message
    assert info.value.cycle == 0 and info.value.exit_code == 3


def test_watchdog_stops_a_run_past_its_limit(tiny):
    with pytest.raises(
        WatchdogError,
        match=r"watchdog: the simulation passed 10 cycles without finishing; stuck at Z step 0 \[k=0\] \(cycle 10\): "
        r"pe_array waits for its 1 fold\(s\) of Z step 0 \[k=0\] to end at cycle 11",
    ) as info:
        tiny(max_cycles=10)
    assert info.value.cycle == 10 and info.value.tile == "Z step 0 [k=0]"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dma_channels": 0}, "HardwareConfig.dma_channels must be a positive integer, not 0"),
        ({"prefetch_depth": -1}, "HardwareConfig.prefetch_depth must be a non-negative integer, not -1"),
    ],
)
def test_hardware_config_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HardwareConfig(**kwargs)


def test_simulate_rejects_bad_arguments(make_arch, tiny):
    cascade = library.gemm(M=2, N=2, K=2)
    with pytest.raises(TypeError, match="mapping must be a mapping.Mapping"):
        simulate(cascade.einsums[0], cascade.shapes, make_arch(2, 2), {"m": 2})
    with pytest.raises(TypeError, match="simulate: arch must be accel.Architecture, not 'tpu_like'"):
        simulate(cascade.einsums[0], cascade.shapes, "tpu_like", {"m": 2})
    with pytest.raises(TypeError, match="simulate: einsum must be dataflow.Einsum, not 'Z'"):
        simulate("Z", cascade.shapes, make_arch(2, 2), {"m": 2})
    with pytest.raises(ValueError, match="run_programs: max_cycles must be a positive integer, not 0"):
        tiny(max_cycles=0)

"""Fold timing and the PE-array pipeline against SCALE-Sim 3.0.0's closed forms.

SCALE-Sim (Samajdar et al., "A Systematic Methodology for Characterizing
Scalability of DNN Accelerators using SCALE-Sim", ISPASS 2020, Sec. III) gives
the runtime of an ``Sr x Sc`` operand mapping with ``T`` temporal steps on an
``R x C`` systolic array, folds not overlapped, as::

    cycles = (2R + C + T - 2) * ceil(Sr / R) * ceil(Sc / C)

and its released code (PyPI ``scalesim`` 3.0.0) counts output stationary
without the separate ``R``-cycle output drain, ``R + C + T - 2`` per fold;
with, for a GEMM ``(M x K) x (K x N)`` (a convolution's ``Npixels`` = M,
``Wconv`` = K, ``Nfilter`` = N):

* output stationary:  Sr = M, Sc = N, T = K
* weight stationary:  Sr = K, Sc = N, T = M
* input stationary:   Sr = K, Sc = M, T = N
"""

from __future__ import annotations

import math

import pytest

from dataflow import library
from sim.cycle import fold_timing, simulate


def scalesim_cycles(dataflow: str, R: int, C: int, M: int, N: int, K: int) -> int:
    Sr, Sc, T = {
        "output_stationary": (M, N, K),
        "weight_stationary": (K, N, M),
        "input_stationary": (K, M, N),
    }[dataflow]
    per_fold = (R if dataflow == "output_stationary" else 2 * R) + C + T - 2
    return per_fold * math.ceil(Sr / R) * math.ceil(Sc / C)


def scalesim_mapping(gemm_mapping, dataflow, cascade, arch, R, C, M, N, K):
    """The mapping SCALE-Sim's dataflow implies: Sr on the rows, Sc on the columns, T in the PEs."""
    sr, sc, t = {"output_stationary": ("m", "n", "k"), "weight_stationary": ("k", "n", "m"), "input_stationary": ("k", "m", "n")}[dataflow]
    size = {"m": M, "n": N, "k": K}
    return gemm_mapping(
        cascade, arch, rf={t: size[t]}, spatial_rows={sr: R}, spatial_cols={sc: C},
        outer={sr: math.ceil(size[sr] / R), sc: math.ceil(size[sc] / C)},
    )


@pytest.mark.parametrize("dataflow", ["weight_stationary", "output_stationary", "input_stationary"])
@pytest.mark.parametrize("R, C, M, N, K", [(4, 4, 8, 8, 8), (4, 3, 10, 6, 8), (8, 4, 5, 7, 9), (2, 5, 3, 11, 4)])
def test_pipeline_matches_scalesim(make_arch, make_mapping, dataflow, R, C, M, N, K):
    arch = make_arch(R, C, dataflow)
    cascade = library.gemm(M=M, N=N, K=K)
    mapping = scalesim_mapping(make_mapping, dataflow, cascade, arch, R, C, M, N, K)
    result = simulate(cascade.einsums[0], cascade.shapes, arch, mapping)
    report = result.report
    expected = scalesim_cycles(dataflow, R, C, M, N, K)
    assert report.cycles("compute") + report.cycles("fill_drain") == expected
    busy = sum(e.duration for e in result.events if e.track == "pe_array")
    assert busy == expected
    # With ample bandwidth the only other cycles are the first tiles' arrival (the two operand
    # tiles share the DRAM bus: one cycle each) and the last output tile's write-back (one cycle).
    assert report.cycles("bandwidth_stall") == 3
    assert report.total_cycles == expected + 3


def test_folds_and_steady_state_split(make_arch, make_mapping):
    arch = make_arch(4, 3, "weight_stationary")
    cascade = library.gemm(M=10, N=6, K=8)
    result = simulate(cascade.einsums[0], cascade.shapes, arch, scalesim_mapping(make_mapping, "weight_stationary", cascade, arch, 4, 3, 10, 6, 8))
    # 2 row folds x 2 column folds, T = M = 10 steady cycles each, 2R + C - 2 = 9 of fill and drain.
    assert result.report.cycles("compute") == 4 * 10
    assert result.report.cycles("fill_drain") == 4 * 9
    assert result.programs[0].folds == 4


def test_double_buffered_weights_hide_the_preload(make_arch, make_mapping):
    # Room for two weights per PE: each fold's R-cycle preload overlaps the previous fold's stream.
    single = make_arch(4, 4, "weight_stationary", rf_capacity=1)
    double = make_arch(4, 4, "weight_stationary", rf_capacity=2)
    cascade = library.gemm(M=8, N=8, K=8)
    runs = [
        simulate(cascade.einsums[0], cascade.shapes, a, scalesim_mapping(make_mapping, "weight_stationary", cascade, a, 4, 4, 8, 8, 8)).report
        for a in (single, double)
    ]
    folds = 4
    assert runs[0].cycles("fill_drain") == folds * (2 * 4 + 4 - 2)
    assert runs[1].cycles("fill_drain") == folds * (4 + 4 - 2) + 4  # skew per fold, one exposed preload
    assert runs[0].cycles("compute") == runs[1].cycles("compute") == folds * 8


def test_fold_timing_phases():
    ws = fold_timing(4, 3, 10, stationary="weight")
    assert (ws.preload, ws.skew, ws.steady, ws.drain, ws.total) == (4, 5, 10, 0, 19)
    os_ = fold_timing(4, 3, 10, stationary="output", pipeline_depth=3)
    assert (os_.preload, os_.skew, os_.steady, os_.drain, os_.total) == (0, 5, 10, 2, 17)  # R + C + T - 2, MAC pipeline
    bus = fold_timing(4, 3, 10, network="broadcast", hop_latency=2)
    assert (bus.preload, bus.skew, bus.drain, bus.total) == (0, 2, 0, 12)
    slow = fold_timing(4, 3, 10, hop_latency=2)
    assert slow.total == 2 * (2 * 4 + 3 - 2) + 10
    db = fold_timing(4, 3, 10, double_buffered=True)
    assert db.run(3, first=True) == 3 * 15 + 4
    assert db.run(3, first=False) == 3 * 15
    assert db.run(0) == 0
    os_db = fold_timing(4, 3, 10, stationary="output", pipeline_depth=3, double_buffered=True)
    assert os_db.run(3, last=True) == 3 * 15 + 2  # the MAC pipeline drains once, after the last fold
    assert os_db.run(3, last=False) == 3 * 15


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rows": 0}, "fold_timing: rows must be an integer >= 1, not 0"),
        ({"steady": 1.5}, "fold_timing: steady must be an integer >= 0, not 1.5"),
        ({"hop_latency": -1}, "fold_timing: hop_latency must be an integer >= 0, not -1"),
        ({"network": "mesh"}, "fold_timing: network must be 'systolic' or 'broadcast', not 'mesh'"),
        ({"stationary": "psum"}, "fold_timing: stationary must be 'weight', 'input' or 'output', not 'psum'"),
    ],
)
def test_fold_timing_bad_input(kwargs, message):
    args = {"rows": 4, "cols": 4, "steady": 8, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        fold_timing(args.pop("rows"), args.pop("cols"), args.pop("steady"), **args)


def test_fold_timing_pipelined_runs():
    # 4 x 3 array, T = 10: preload L = 4, skew 5; pipelined folds start one interval II apart
    ws = fold_timing(4, 3, 10, stationary="weight", pipelined=True)
    assert (ws.shift, ws.interval) == (4, 14)  # II = T + L: the next preload follows the last operand
    assert ws.run(3) == (4 + 5) + 2 * 14 + 10
    assert ws.run(1) == ws.total == 19  # one fold: exactly SCALE-Sim's 2R + C + T - 2
    db = fold_timing(4, 3, 10, stationary="weight", double_buffered=True, pipelined=True)
    assert db.interval == 10 and db.run(3) == 9 + 2 * 10 + 10  # II = max(T, L): the preload hides under the stream
    short = fold_timing(4, 3, 2, stationary="input", double_buffered=True, pipelined=True)
    assert short.interval == 4 and short.run(3) == 9 + 2 * 4 + 2  # a stream shorter than the shift waits for it
    os_ = fold_timing(4, 3, 10, stationary="output", pipeline_depth=3, pipelined=True)
    assert (os_.preload, os_.interval) == (0, 14)  # no preload; the finished outputs take R cycles to leave
    assert os_.run(3) == 5 + 2 * 14 + 10 + 2  # skew and the MAC pipeline once
    # split over tile steps: the fill goes to the first, the last stream and drain to the last
    assert os_.run(2, first=True, last=False) + os_.run(1, first=False, last=True) == os_.run(3)
    assert ws.run(2, first=True, last=False) == 9 + 2 * 14 and ws.run(2, first=False, last=False) == 2 * 14
    bus = fold_timing(4, 3, 10, network="broadcast", hop_latency=2, pipeline_depth=3, pipelined=True)
    assert (bus.shift, bus.interval) == (0, 10) and bus.run(3) == 2 + 3 * 10 + 2
    assert ws.run(0) == bus.run(0) == 0


def _gemm_run(make_arch, make_mapping, dataflow, network="systolic", **arch_args):
    arch = make_arch(4, 4, dataflow, network=network, **arch_args)
    cascade = library.gemm(M=8, N=8, K=8)
    mapping = scalesim_mapping(make_mapping, dataflow, cascade, arch, 4, 4, 8, 8, 8)
    return simulate(cascade.einsums[0], cascade.shapes, arch, mapping)


# GEMM 8 x 8 x 8 on 4 x 4 (R = C = 4, L = 4, skew 6), SCALE-Sim's mapping: 4 folds of T = 8 steady cycles
@pytest.mark.parametrize("dataflow, network, arch_args, off, on", [
    # weight / input stationary, one stationary element per PE: II = T + L = 12, fill = L + skew = 10
    ("weight_stationary", "systolic", {}, 4 * (2 * 4 + 4 + 8 - 2), 10 + 3 * 12 + 8),
    ("input_stationary", "systolic", {}, 4 * (2 * 4 + 4 + 8 - 2), 10 + 3 * 12 + 8),
    # a second stationary element per PE (the TPU's weight double buffer): II = max(T, L) = 8
    ("weight_stationary", "systolic", {"rf_capacity": 2}, 4 * (4 + 8 - 2 + 4) + 4, 10 + 3 * 8 + 8),
    ("input_stationary", "systolic", {"rf_capacity": 2}, 4 * (4 + 8 - 2 + 4) + 4, 10 + 3 * 8 + 8),
    # a three-stage MAC pipeline drains once instead of after every fold
    ("weight_stationary", "systolic", {"pipeline_depth": 3}, 4 * (2 * 4 + 4 + 8 - 2 + 2), 10 + 3 * 12 + 8 + 2),
    # output stationary, one 32-bit accumulator per PE: no preload, fill = skew = 6, outputs out in L: II = 12
    ("output_stationary", "systolic", {}, 4 * (4 + 4 + 8 - 2), 6 + 3 * 12 + 8),
    # a second accumulator: the outputs leave while the next fold accumulates, II = 8
    ("output_stationary", "systolic", {"rf_capacity": 8}, 4 * (4 + 4 + 8 - 2), 6 + 3 * 8 + 8),
    # broadcast bus: one hop to fill, then the folds' streams back to back
    ("weight_stationary", "broadcast", {}, 4 * (1 + 8), 1 + 4 * 8),
])
def test_fold_pipelining_hand_computed(make_arch, make_mapping, dataflow, network, arch_args, off, on):
    runs = [_gemm_run(make_arch, make_mapping, dataflow, network, fold_pipelining=flag, **arch_args) for flag in (False, True)]
    for result, expected in zip(runs, (off, on)):
        report = result.report
        assert report.cycles("compute") == 4 * 8
        assert report.cycles("compute") + report.cycles("fill_drain") == expected
        assert sum(e.duration for e in result.events if e.track == "pe_array") == expected
        assert report.total_cycles == expected + 3  # first operand tiles (2) and the last output tile (1)
    assert runs[0].programs[0].timing.pipelined is False and runs[1].programs[0].timing.pipelined is True
    assert len(runs[1].programs[0].steps) > 1  # the intervals run across tile steps


def test_fold_pipelining_off_is_scalesim(make_arch, make_mapping):
    # the option's default: the architecture without it prices SCALE-Sim's per-fold timing
    for dataflow in ("weight_stationary", "output_stationary", "input_stationary"):
        result = _gemm_run(make_arch, make_mapping, dataflow)
        assert result.programs[0].timing.pipelined is False
        assert result.report.cycles("compute") + result.report.cycles("fill_drain") == scalesim_cycles(dataflow, 4, 4, 8, 8, 8)

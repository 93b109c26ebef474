"""Lowering a mapping into tile steps: which tiles move, when, from where."""

from __future__ import annotations

import pytest

from dataflow import library
from mapping import build_problem
from sim.cycle import lower


@pytest.fixture
def reduction(make_arch, make_mapping):
    """Z[2,4] = A[2,4] * B[4,4] on 2x2 (WS), DRAM loops k (outer) then n: Z's partial sums go out and come back."""
    arch = make_arch(2, 2, "weight_stationary")
    cascade = library.gemm(M=2, N=4, K=4)
    mapping = make_mapping(cascade, arch, rf={"m": 2}, spatial_rows={"k": 2}, spatial_cols={"n": 2},
                           outer={"k": 2, "n": 2}, order=("k", "n", "m"))
    return build_problem(cascade.einsums[0], cascade.shapes, arch), mapping


def _moves(step):
    return [(m.kind, m.tensor, m.src, m.dst, m.nbytes) for m in step.fills + step.drains]


def test_tiles_move_when_their_loops_advance(reduction):
    problem, mapping = reduction
    program = lower(problem, mapping)
    assert [s.label for s in program.steps] == [
        "Z step 0 [k=0, n=0]", "Z step 1 [k=0, n=1]", "Z step 2 [k=1, n=0]", "Z step 3 [k=1, n=1]",
    ]
    assert program.folds == 4 and program.timing.total == 2 * 2 + 2 + 2 - 2  # 2R + C + T - 2, T = M = 2
    # A[m, k] is indexed by k only: it moves when k advances; B[k, n] and Z[m, n] at every fold.
    # Z's tile (2 x 2 int32 = 16 B) is drained when n advances, and re-read on its second visit (k = 1).
    assert _moves(program.steps[0]) == [("fill", "A", "dram", "buf", 4), ("fill", "B", "dram", "buf", 4),
                                        ("drain", "Z", "buf", "dram", 16)]
    assert _moves(program.steps[1]) == [("fill", "B", "dram", "buf", 4), ("drain", "Z", "buf", "dram", 16)]
    assert _moves(program.steps[2]) == [("fill", "Z", "dram", "buf", 16), ("fill", "A", "dram", "buf", 4),
                                        ("fill", "B", "dram", "buf", 4), ("drain", "Z", "buf", "dram", 16)]
    assert _moves(program.steps[3]) == [("fill", "Z", "dram", "buf", 16), ("fill", "B", "dram", "buf", 4),
                                        ("drain", "Z", "buf", "dram", 16)]
    # Every tile taken is given back.
    taken = sorted((a.level, a.tensor, a.nbytes) for s in program.steps for a in s.allocs)
    given = sorted((a.level, a.tensor, a.nbytes) for s in program.steps for a in s.frees)
    assert taken == given


def test_a_schedule_redirects_dram_traffic_to_the_scratchpad(reduction):
    # ``buf`` is the outermost on-chip level: the schedule's scratchpad.  A tensor the schedule
    # keeps there needs no copy; one it loads comes from DRAM once per tile; partial sums stay.
    problem, mapping = reduction
    program = lower(problem, mapping, resident={"A"}, loaded={"B"}, stored=())
    moves = [m for s in program.steps for m in s.fills + s.drains]
    assert [m for m in moves if m.tensor == "A"] == []
    assert [m.src for m in moves if m.tensor == "B"] == ["dram"] * 4  # four distinct tiles, each loaded once
    assert [m for m in moves if m.tensor == "Z"] == []  # not stored: it stays in the scratchpad
    assert all(a.level != "buf" for s in program.steps for a in s.allocs)  # the schedule placed them already
    stored = lower(problem, mapping, loaded={"A", "B"}, stored={"Z"})
    # Each Z tile's final version (after k = 1) goes to DRAM; the partial sums never leave.
    assert [(m.kind, m.dst, s.index) for s in stored.steps for m in s.fills + s.drains if m.tensor == "Z"] == [
        ("drain", "dram", 2), ("drain", "dram", 3),
    ]

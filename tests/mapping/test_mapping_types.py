"""Mapping construction, validation messages, capacity checks and loop-nest rendering."""

from __future__ import annotations

import pytest

import accel
import dataflow
from mapping import (
    InfeasibleMappingError,
    Mapping,
    MappingError,
    build_problem,
    check_fits,
    render_loop_nest,
    validate_mapping,
)

GEMM = dataflow.library.build("gemm", M=8, N=8, K=8)
E = GEMM.einsums[0]
EDGE = accel.load_architecture("edge")
LEVELS = ("rf", "scratchpad", "l2", "dram")
RANKS = ("m", "n", "k")


def _m(temporal, rows=(1, 1, 1), cols=(1, 1, 1), orders=None, einsum="Z"):
    return Mapping(einsum, RANKS, LEVELS, temporal, orders or (RANKS,) * 4, rows, cols)


GOOD = ((1, 1, 2), (1, 1, 1), (1, 1, 4), (2, 2, 1))


def test_good_mapping_validates_and_round_trips():
    m = _m(GOOD, rows=(4, 1, 1), cols=(1, 4, 1))
    problem = validate_mapping(E, GEMM.shapes, EDGE, m)
    assert problem.level_names == LEVELS
    assert m.padded_sizes == (8, 8, 8)
    assert Mapping.from_dict(m.to_dict()) == m


def test_ragged_factors_are_rejected():
    with pytest.raises(MappingError, match=r"temporal\['rf'\] must have 3 factors \(one per rank\), not \(1, 2\)"):
        _m(((1, 2), (1, 1, 1), (1, 1, 1), (8, 8, 8)))


def test_non_positive_factor_is_rejected():
    with pytest.raises(MappingError, match=r"factors must be positive integers, not \(0, 1, 1\)"):
        _m(((0, 1, 1), (1, 1, 1), (1, 1, 1), (8, 8, 8)))


def test_order_must_be_a_permutation():
    with pytest.raises(MappingError, match=r"order at 'l2' must be a permutation of \('m', 'n', 'k'\), not \('m', 'm', 'k'\)"):
        _m(GOOD, orders=(RANKS, RANKS, ("m", "m", "k"), RANKS))


def test_uncovered_rank_is_rejected():
    m = _m(((1, 1, 2), (1, 1, 1), (1, 1, 2), (2, 2, 1)), rows=(4, 1, 1), cols=(1, 4, 1))
    with pytest.raises(MappingError, match=r"factors of rank 'k' multiply to 4, less than its size 8"):
        validate_mapping(E, GEMM.shapes, EDGE, m)


def test_too_many_pe_rows_is_rejected():
    m = _m(((1, 1, 8), (1, 1, 1), (1, 1, 1), (1, 1, 1)), rows=(8, 4, 1), cols=(1, 2, 1))
    with pytest.raises(MappingError, match=r"spatial_rows use 32 PE rows, but 'edge' has 16"):
        validate_mapping(E, GEMM.shapes, EDGE, m)


def test_rank_not_allowed_on_axis_is_rejected():
    arch = accel.derive(EDGE, {"pe_array.row_ranks": ["m"]})
    m = _m(((1, 1, 2), (1, 1, 1), (1, 1, 1), (2, 2, 1)), rows=(4, 1, 4), cols=(1, 4, 1))
    with pytest.raises(MappingError, match=r"rank 'k' may not be unrolled on the array rows of 'edge' \(factor 4\)"):
        validate_mapping(E, GEMM.shapes, arch, m)


def test_capacity_violation_names_level_and_tiles():
    # rf holds Z only: 4 x 4 int32 partial sums per PE = 64 bytes > 32
    m = _m(((4, 4, 1), (1, 1, 1), (1, 1, 8), (2, 2, 1)))
    with pytest.raises(MappingError, match=r"does not fit level 'rf' of 'edge': its tiles need 64 bytes per PE \(Z: 64\) but it holds 32"):
        validate_mapping(E, GEMM.shapes, EDGE, m)


def test_mapping_of_other_einsum_is_rejected():
    with pytest.raises(MappingError, match=r"mapping of 'Y' does not map Einsum 'Z'"):
        validate_mapping(E, GEMM.shapes, EDGE, _m(GOOD, einsum="Y"))


def test_wrong_type_is_rejected():
    with pytest.raises(TypeError, match=r"mapping must be a mapping.Mapping, not 'x'"):
        validate_mapping(E, GEMM.shapes, EDGE, "x")


def test_workload_that_cannot_fit_is_infeasible():
    arch = accel.derive(EDGE, {"register_file.capacity": 2, "register_file.word_bits": 16})
    with pytest.raises(InfeasibleMappingError, match=r"level 'rf' holds 2 bytes per PE, less than the smallest tiles it must keep \(one element each: Z: 4 B\)") as info:
        check_fits(build_problem(E, GEMM.shapes, arch))
    assert info.value.exit_code == 3


def test_roles_follow_declared_weights_else_second_operand():
    conv = dataflow.library.build("conv2d", C=2, K=2, H=4, W=4, R=3, S=3)
    p = build_problem(conv.einsums[-1], conv.shapes, EDGE, weights=conv.weights)
    assert {t.name: t.role for t in p.tensors} == {"O": "output", "I": "input", "W": "weight"}
    p = build_problem(E, GEMM.shapes, EDGE)
    assert {t.name: t.role for t in p.tensors} == {"Z": "output", "A": "input", "B": "weight"}
    assert [t.bits for t in p.tensors] == [32, 8, 8]
    # a copy (padding) accumulates nothing: its output keeps the operand width
    padded = dataflow.library.build("conv2d", C=2, K=2, H=4, W=4, R=3, S=3, padding=1)
    p = build_problem(padded.einsum("IP"), padded.shapes, EDGE, weights=padded.weights)
    assert [(t.name, t.bits) for t in p.tensors] == [("IP", 8), ("I", 8)] and p.ops_per_point == 0


def test_render_loop_nest():
    m = _m(GOOD, rows=(4, 1, 1), cols=(1, 4, 1), orders=(RANKS, RANKS, ("k", "m", "n"), ("n", "m", "k")))
    assert render_loop_nest(m, {"rf": ["Z"], "scratchpad": ["A", "B"], "l2": ["Z", "A", "B"]}) == "\n".join([
        "dram [-]",
        "| for n in [0:2)",
        "|   for m in [0:2)",
        "l2 [Z A B]",
        "|     for k in [0:4)",
        "scratchpad [A B]",
        "rf (per PE) [Z]",
        "|       spatial_for m in [0:4) (rows)",
        "|         spatial_for n in [0:4) (cols)",
        "|           for k in [0:2)",
        "|             mac",
    ])


def test_footprint_of_one_rank_dimensions_equals_the_affine_box():
    from mapping import TensorInfo

    plain = TensorInfo("A", "input", 8, ((1, 0, 0), (0, 0, 1)), (8, 5))
    strided = TensorInfo("I", "input", 8, ((1, 0, 0), (0, 2, 1)), (8, 13))
    assert plain.axes == (0, 2) and strided.axes is None
    assert plain.relevant == (True, False, True) and strided.relevant == (True, True, True)
    for ext in [(1, 1, 1), (3, 7, 2), (8, 1, 9), (20, 4, 5)]:
        box = 1
        for row, size in zip(plain.coeffs, plain.dim_sizes):
            box *= min(size, sum(c * (e - 1) for c, e in zip(row, ext)) + 1)
        assert plain.footprint(ext) == box
    assert strided.footprint((2, 3, 3)) == 2 * min(13, 2 * 2 + 2 + 1)


def test_malformed_mapping_parts_raise_in_order():
    ranks, levels = ("m", "n"), ("rf", "buf", "dram")
    good = dict(temporal=((1, 1), (2, 2), (1, 1)), orders=(ranks,) * 3, spatial_rows=(1, 1), spatial_cols=(1, 1))
    with pytest.raises(MappingError, match=r"temporal\['buf'\] factors must be positive integers"):
        Mapping("e", ranks, levels, **{**good, "temporal": ((1, 1), (2, 0), (1, 1)), "spatial_rows": (0, 1)})
    with pytest.raises(MappingError, match="order at 'rf' must be a permutation"):
        Mapping("e", ranks, levels, **{**good, "orders": (("m", "m"), ranks, ranks), "spatial_rows": (0, 1)})
    with pytest.raises(MappingError, match="spatial_cols factors must be positive integers"):
        Mapping("e", ranks, levels, **{**good, "spatial_cols": (1, True)})
    m = Mapping("e", list(ranks), list(levels), [[1, 1], [2, 2], [1, 1]], [["n", "m"]] * 3, [2, 1], (1, 1))
    assert m.temporal == ((1, 1), (2, 2), (1, 1)) and m.orders == (("n", "m"),) * 3 and m.spatial_rows == (2, 1)

"""Timeloop v4 problem files as a one-Einsum cascade, and bad problems named with their place."""

from __future__ import annotations

import pytest

from dataflow import CascadeFileError, loads_timeloop_problem

PROBLEM = """\
problem:
  version: 0.4
  instance: {C: 4, M: 8, N: 1, P: 5, Q: 6, R: 3, S: 3, Hstride: 2, Wstride: 1, H: 13, W: 8, Hpad: 0, Wpad: 0}
  shape:
    name: conv
    coefficients:
    - {name: Wstride, default: 1}
    - {name: Hstride, default: 1}
    dimensions: [C, M, R, S, N, P, Q]
    data_spaces:
    - name: Weights
      projection: [[[C]], [[M]], [[R]], [[S]]]
    - name: Inputs
      projection: [[[N]], [[C]], [[R], [P, Wstride]], [[S], [Q, Hstride]]]
    - name: Outputs
      projection: [[[N]], [[M]], [[Q]], [[P]]]
      read_write: true
"""


def test_the_problem_is_its_einsum():
    c = loads_timeloop_problem(PROBLEM, "p.yaml")
    (e,) = c.einsums
    assert str(e) == "Outputs[n,m,q,p] = Weights[c,m,r,s] * Inputs[n,c,r+p,s+q*2]"
    assert c.shapes == {"c": 4, "m": 8, "n": 1, "p": 5, "q": 6, "r": 3, "s": 3}
    assert c.weights == ("Weights",)
    assert c.macs() == 1 * 8 * 5 * 6 * 4 * 3 * 3
    assert c.tensors["Inputs"].shape == (1, 4, 3 + 5 - 1, 3 + (6 - 1) * 2)  # the extent the projection spans


@pytest.mark.parametrize("old, new, message", [
    ("C: 4, ", "", "p.yaml: problem.instance: no size for dimension(s) C"),
    ("M: 8", "M: 0", "p.yaml: problem.instance.M: a dimension's size is a positive integer, not 0"),
    ("H: 13, ", "Z: 13, ", "p.yaml: problem.instance.Z: neither a dimension"),
    ("[[R], [P, Wstride]]", "[[R], [P, Dstride]]", "p.yaml: problem.shape.data_spaces[1].projection[2][1]: unknown coefficient 'Dstride'"),
    ("[[[N]], [[M]], [[Q]], [[P]]]", "[[[N]], [[M]], [[Q]], [[X]]]", "p.yaml: problem.shape.data_spaces[2].projection[3][0]: unknown dimension 'X'"),
    ("      read_write: true\n", "", "p.yaml: problem.shape.data_spaces: exactly one data space is read_write"),
    ("version: 0.4", "version: 0.3", "p.yaml: problem.version: Timeloop v4 problems are version 0.4"),
    ("    name: conv\n", "    name: conv\n    densities: {}\n", "p.yaml: problem.shape.densities: unknown key"),
])
def test_bad_problems(old, new, message):
    assert old in PROBLEM
    with pytest.raises(CascadeFileError) as info:
        loads_timeloop_problem(PROBLEM.replace(old, new, 1), "p.yaml")
    assert str(info.value).startswith(message), str(info.value)


def test_commands_take_a_timeloop_problem_file(tmp_path):
    import json

    from click.testing import CliRunner

    from accel.cli import main

    path = tmp_path / "problem.yaml"
    path.write_text(PROBLEM)
    result = CliRunner().invoke(main, ["map", str(path), "edge", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["cascade"] == "conv" and data["total"]["macs"] == 1 * 8 * 5 * 6 * 4 * 3 * 3
    path.write_text(PROBLEM.replace("M: 8", "M: -1"))
    result = CliRunner().invoke(main, ["map", str(path), "edge"])
    assert result.exit_code == 2 and "problem.instance.M: a dimension's size is a positive integer, not -1" in result.output

"""Small sweep specs shared by the sweep tests."""

from __future__ import annotations

import pytest

# 2 array sizes x 3 units x 2 scratchpads = 12 points on a small GEMM; the 1-byte
# scratchpad cannot hold one element of A and B, so those 6 points are infeasible.
SMALL = """
name: small
base: edge
workloads:
  - {name: gemm, params: {M: 32, N: 32, K: 32}}
axes:
  pe_array.rows: [4, 8]
  unit:
    - {label: int8, arith.kind: int8_mac}
    - {label: fp8, arith.kind: fp8_mac}
    - {label: lmul, arith.kind: lmul, arith.input_format: e4m3, arith.mantissa_bits: 3}
  spad:
    - {label: normal, levels.scratchpad.capacity: 65536}
    - {label: tiny, levels.scratchpad.capacity: 1, levels.scratchpad.word_bits: 8}
mapping: {mapper: search, samples: 100, seed: 0}
"""


@pytest.fixture
def small_spec_path(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path

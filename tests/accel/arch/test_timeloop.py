"""Timeloop v4 architecture import: containers, components and their attributes, notes, and what cannot be expressed."""

from __future__ import annotations

import pytest

from accel.arch import SpecError, import_architecture

SPEC = """\
architecture:
  version: 0.4
  nodes:
  - !Container
    name: system
  - !Component
    name: DRAM
    class: DRAM
    attributes: {type: LPDDR4, width: 64, datawidth: 8}
  - !Container
    name: toy
    attributes: {technology: "40nm"}
  - !Component
    name: glb
    class: smartbuffer_SRAM
    attributes: {depth: 4096, width: 64, n_banks: 4, datawidth: 8, read_bandwidth: 16, write_bandwidth: 8}
    constraints:
      dataspace: {keep: [Inputs, Outputs], bypass: [Weights]}
  - !Container
    name: PE_column
    spatial: {meshX: 6}
  - !Container
    name: PE
    spatial: {meshY: 4}
  - !Parallel
    nodes:
    - !Component
      name: w_spad
      class: smartbuffer_RF
      attributes: {depth: 32, width: 16, datawidth: 8}
      constraints: {dataspace: {keep: [Weights]}}
    - !Component
      name: o_spad
      class: smartbuffer_RF
      attributes: {depth: 8, width: 16, datawidth: 16}
      constraints: {dataspace: {keep: [Outputs]}}
    - !Component
      name: in_reg
      class: storage
      subclass: aladdin_register
      attributes: {depth: 1, width: 8, datawidth: 8}
      constraints: {dataspace: {keep: [Inputs]}}
  - !Component
    name: mac
    class: intmac
    attributes: {multiplier_width: 8, adder_width: 16}
"""


def _import(tmp_path, text, name="arch.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return import_architecture(path)


def test_nodes_become_their_parts(tmp_path):
    out = _import(tmp_path, SPEC)
    a = out.architecture
    assert out.format == "timeloop" and a.name == "toy" and a.technology_nm == 40.0
    assert (a.pe_array.rows, a.pe_array.cols) == (4, 6)  # meshY rows, meshX columns, nested containers multiply
    (glb,) = a.levels
    assert (glb.name, glb.capacity, glb.word_bits, glb.banks, glb.read_bandwidth, glb.write_bandwidth, glb.holds,
            glb.latency) == ("glb", 32768, 64, 4, 16.0, 8.0, ("input", "output"), 0)
    assert (a.register_file.capacity, a.register_file.word_bits, a.register_file.holds) == (64 + 16, 16, ("weight", "output"))
    assert (a.dram.bandwidth, a.dram.latency) == (8.0, 0)
    assert a.arith.kind == "int8_mac" and out.energy is None
    assert any("w_spad" in n and "o_spad" in n and "merged into one register file of 80 bytes" in n for n in out.notes)
    assert any("one-word registers in_reg [input]: the MAC's operand latches" in n for n in out.notes)


def test_a_buffer_between_two_fan_outs_cannot_be_expressed(tmp_path):
    text = SPEC.replace("  - !Container\n    name: PE\n", "  - !Component\n    name: pe_buf\n    class: smartbuffer_RF\n"
                        "    attributes: {depth: 64, width: 8, datawidth: 8}\n  - !Container\n    name: PE\n")
    with pytest.raises(SpecError) as info:
        _import(tmp_path, text)
    (path, message), = info.value.errors
    assert path == "architecture.nodes[6].spatial"
    assert "a second spatial fan-out below the per-PE storage architecture.nodes[5] (pe_buf)" in message


@pytest.mark.parametrize("old, new, place", [
    ("version: 0.4", "version: 0.3", "architecture.version"),
    ("depth: 4096, ", "", "architecture.nodes[3].attributes.depth"),
    ("meshX: 6", "meshZ: 6", "architecture.nodes[4].spatial"),
    ("class: intmac\n    attributes: {multiplier_width: 8", "class: intmac\n    attributes: {multiplier_width: 4",
     "architecture.nodes[7].attributes.multiplier_width"),
    ('technology: "40nm"', 'technology: "forty"', "architecture.nodes[2].attributes.technology"),
    ("    name: glb\n", "    name: rf\n", "architecture.nodes[3].name"),
    ("  - !Component\n    name: DRAM\n    class: DRAM\n", "  - !Widget\n    name: DRAM\n    class: DRAM\n", "architecture.nodes[1]"),
])
def test_bad_nodes_name_their_place(tmp_path, old, new, place):
    assert old in SPEC
    with pytest.raises(SpecError) as info:
        _import(tmp_path, SPEC.replace(old, new, 1))
    assert place in [p for p, _ in info.value.errors], info.value.errors

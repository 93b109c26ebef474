"""Hostile input of every kind the command line reads, through ``accel`` in-process (rules: ``conftest.py``).

Each kind starts from a valid input, then applies a few drawn mutations: a value replaced by a hostile one (an
integer past float range, a negative size, infinity, NaN, a string, a list, a mapping, null, a superscript digit),
a key deleted or added, and text-level damage (a line repeated, so a key is given twice; an alias bomb; a
recursive alias; deep nesting; a truncation; stray characters; UTF-16 or non-UTF-8 bytes; a 40-digit integer).
"""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]

_SCALE = float(os.environ.get("ACCEL_FUZZ_SCALE", "1"))


def examples(n: int) -> int:
    """``n`` examples, times ``ACCEL_FUZZ_SCALE`` (``make fuzz`` sets it)."""
    return max(1, int(n * _SCALE))


HOSTILE = (10**40, -(10**40), 2**63, 2**53 + 1, -1, 0, 1.5, math.inf, -math.inf, math.nan, "abc", "", "²", "1e999",
           [], {}, None, True, [1, [2, [3]]], {"a": {"b": 1}}, "../../x", "x" * 300)


# -- mutations ------------------------------------------------------------------------------------------------
def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _get(node, path):
    for p in path:
        node = node[p]
    return node


@st.composite
def mutated_tree(draw, base):
    """``base`` with one to three structural mutations."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _get(data, path[:-1]), path[-1]
        op = draw(st.sampled_from(("replace", "replace", "delete", "add")))
        if op == "replace":
            parent[key] = copy.deepcopy(draw(st.sampled_from(HOSTILE)))
        elif op == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(("zz", "Name", "levels", "1", "rows")))] = copy.deepcopy(draw(st.sampled_from(HOSTILE)))
        else:
            parent.append(copy.deepcopy(draw(st.sampled_from(HOSTILE))))
    return data


_BOMB = "".join(f"l{i + 1}: &l{i + 1} [" + ", ".join([f"*l{i}"] * 10) + "]\n" for i in range(9))
_TEXT_OPS = ("none", "none", "duplicate_line", "bomb", "recursive", "deep", "truncate", "insert", "utf16", "latin1",
             "bigint", "two_documents", "tag")


@st.composite
def damaged_text(draw, text: str, fmt: str = "yaml"):
    """``text`` with one drawn text-level damage (or none); bytes where the damage is an encoding."""
    op = draw(st.sampled_from(_TEXT_OPS))
    lines = text.splitlines(keepends=True)
    if op == "duplicate_line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        return "".join(lines[: i + 1] + [lines[i]] + lines[i + 1:]) if fmt == "yaml" else \
            text.replace(", ", ", " + text.split(", ")[0].lstrip("{") + ", ", 1)
    if op == "bomb":
        return ("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n" + _BOMB + text) if fmt == "yaml" else text
    if op == "recursive":
        return (text + "zz: &r [*r]\n") if fmt == "yaml" else text
    if op == "deep":
        n = draw(st.sampled_from((50, 200, 5000)))
        return (text + "zz: " + "[" * n + "]" * n + "\n") if fmt == "yaml" else ("[" * n + text + "]" * n)
    if op == "truncate":
        return text[: draw(st.integers(0, max(0, len(text) - 1)))]
    if op == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(("\x00", "\t", ":", "[", "{", "&a ", "*a ", "'", "\ufeff", "- ", "\x85"))) + text[at:]
    if op == "utf16":
        return text.encode("utf-16")
    if op == "latin1":
        return text.encode("utf-8") + b"\nname_\xe9\xff: 1\n"
    if op == "bigint":
        return text.replace(next((w for w in text.replace(",", " ").split() if w.strip("}]").isdigit()), "@@"), "9" * 40, 1)
    if op == "two_documents":
        return (text + "---\n" + text) if fmt == "yaml" else (text + text)
    if op == "tag":
        return (text + "zz: !!python/object/apply:os.system [echo]\n") if fmt == "yaml" else text
    return text


def keys(*trees) -> tuple[str, ...]:
    """Every key of ``trees`` in the forms a message uses for a place (``name:``, ``pe_array.``, ``'ms'``, ``rows[``)."""
    found = {k for tree in trees for path in _paths(tree) for k in path if isinstance(k, str)}
    found |= {"zz", "Name", "1"}  # the keys mutations add
    return tuple(f for k in sorted(found) for f in (f"{k}:", f"{k}.", f"'{k}'", f"{k}[")) + ("<top>", "unknown key")


def _dump_yaml(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# -- architecture specs ---------------------------------------------------------------------------------------
_ARCH = yaml.safe_load((ROOT / "accel" / "examples" / "edge.yaml").read_text())


@settings(max_examples=examples(60))
@given(st.data())
def test_architecture_specs(cli, data):
    text = data.draw(mutated_tree(_ARCH).map(_dump_yaml) | st.just(_dump_yaml(_ARCH)))
    cli.reset()
    cli.write("arch.yaml", data.draw(damaged_text(text)))
    cli("arch", "show", "arch.yaml", "--json", names=("arch.yaml",), places=keys(_ARCH))


@settings(max_examples=examples(30))
@given(st.sampled_from(("clock_mhz", "pe_array.rows", "levels.scratchpad.capacity", "levels[1].banks", "dram.bandwidth",
                        "arith.kind", "arith.mantissa_bits", "levels[9].capacity", "nope", "pe_array")),
       st.sampled_from(("&a [*a]", "9" * 40, "1e999", ".nan", "-1", "0", "[[[[", "{a: 1, a: 2}", "lmul", "", "2**40",
                        "0x7fffffffffffffff", "1:30", "~", "[1, 2]", "7")))
def test_architecture_set_values(cli, path, value):
    cli.reset()
    cli("arch", "show", "edge", "--set", f"{path}={value}", "--json", places=("--set", path))


# -- cascade files and Einsum text ----------------------------------------------------------------------------
_CASCADES = [yaml.safe_load((ROOT / "dataflow" / "examples" / f).read_text()) for f in ("gemm.yaml", "layernorm.yaml")]


@settings(max_examples=examples(60))
@given(st.data())
def test_cascade_files(cli, data):
    base = data.draw(st.sampled_from(_CASCADES))
    text = data.draw(mutated_tree(base).map(_dump_yaml))
    cli.reset()
    cli.write("c.yaml", data.draw(damaged_text(text)))
    cli("workload", "show", "c.yaml", "--json", names=("c.yaml",), places=keys(*_CASCADES))


_TOKENS = ("A[m,k]", "B[k,n]", "Z[m,n]", "A[m]", "A[m+1]", "A[m*2+k]", "A[m*99999999999999999999]", "A[-m]", "A[]",
           "*", "+", "-", "/", "(", ")", "exp(", "max(", ",", "::", "sum(k)", "max(m)", "=", "2", "0.5", "1e999", "inf",
           "m", "Q", ":", "#", "@", "²", "A[m,k,n]", "relu(", "sum(q)")


@st.composite
def einsum_lines(draw):
    if draw(st.booleans()):
        n = draw(st.sampled_from((3, 150, 250, 2000)))
        op = draw(st.sampled_from(("*", "+", "-")))
        return "Z[m,n] = " + f" {op} ".join(["A[m,k]"] * n) + " :: sum(k)"
    return "Z[m,n] = " + " ".join(draw(st.lists(st.sampled_from(_TOKENS), max_size=12)))


@settings(max_examples=examples(60))
@given(einsum_lines())
def test_einsum_text(cli, line):
    cli.reset()
    cli.write("e.yaml", _dump_yaml({"name": "e", "shapes": {"m": 4, "n": 4, "k": 4}, "einsums": [line]}))
    cli("workload", "show", "e.yaml", "--json", names=("e.yaml",))


# -- workload parameters on the command line ------------------------------------------------------------------
@settings(max_examples=examples(40))
@given(st.sampled_from(("M", "K", "sizes", "fused_stats", "nope", "")),
       st.one_of(st.sampled_from(("abc", "1.5", "²", "٣", "-3", "0", "9" * 40, "1e999", "nan", "true", "maybe", "64,32",
                                  "", "2**40", "1_0")),
                 st.text(max_size=8)))
def test_workload_parameters(cli, name, value):
    workload = "layernorm" if name == "fused_stats" else "mlp" if name == "sizes" else "gemm"
    cli.reset()
    cli("workload", "show", workload, "-p", f"{name}={value}", "--rank", "m" if workload == "gemm" else "p", "--json",
        places=("parameter", "-p", "--param", "--rank", "rank"))


# -- sweep specs ----------------------------------------------------------------------------------------------
_SWEEP = {
    "name": "tiny", "description": "a tiny sweep", "base": "edge",
    "workloads": [{"name": "gemm", "params": {"M": 8, "N": 8, "K": 8}}],
    "axes": {"pe_array.rows": [4, 8], "levels.scratchpad.capacity": {"range": [4096, 65536], "scale": "log", "integer": True, "steps": 2}},
    "sampling": {"method": "grid"},
    "mapping": {"mapper": "search", "samples": 20, "seed": 0},
    "objectives": ["latency", "energy"],
}


@settings(max_examples=examples(40))
@given(st.data())
def test_sweep_specs(cli, data):
    text = data.draw(mutated_tree(_SWEEP).map(_dump_yaml))
    cli.reset()
    cli.write("s.yaml", data.draw(damaged_text(text)))
    cli("sweep", "run", "s.yaml", "--store", "s.sqlite", "--workers", "0", "--json", names=("s.yaml",), places=keys(_SWEEP))


@settings(max_examples=examples(12))
@given(st.sampled_from((b"", b"not a database", b"SQLite format 3\x00" + b"\x00" * 100, None)))
def test_sweep_store_files(cli, content):
    """A store that is empty, not SQLite, damaged, or an ordinary SQLite file: refused and left byte for byte."""
    import sqlite3

    cli.reset()
    cli.write("s.yaml", _dump_yaml(_SWEEP))
    if content is None:  # an ordinary SQLite file in rollback-journal mode
        db = sqlite3.connect(cli.folder / "s.sqlite")
        db.execute("CREATE TABLE t (x)")
        db.commit()
        db.close()
    else:
        cli.write("s.sqlite", content)
    before = (cli.folder / "s.sqlite").read_bytes()
    for args in (("sweep", "run", "s.yaml", "--store", "s.sqlite", "--workers", "0"), ("sweep", "status", "s.sqlite"),
                 ("sweep", "resume", "s.sqlite", "--workers", "0"), ("sweep", "export", "s.sqlite", "out.csv")):
        out = cli(*args, "--json", names=("s.sqlite",), places=("store", "SQLite", "empty file"))
        assert out.code == 2
        assert (cli.folder / "s.sqlite").read_bytes() == before


# -- measurement files ----------------------------------------------------------------------------------------
_MEASUREMENTS = {"device": "NVIDIA H100 80GB HBM3", "rows": [
    {"kind": "gemm_bf16", "m": 64, "n": 64, "k": 64, "ms": 0.01},
    {"kind": "softmax_bf16", "rows": 128, "cols": 128, "ms": 0.002},
]}


def _dump_json(data) -> str:
    return json.dumps(data, indent=1)


@settings(max_examples=examples(40))
@given(st.data())
def test_measurement_files(cli, data):
    text = data.draw(mutated_tree(_MEASUREMENTS).map(_dump_json))
    cli.reset()
    cli.write("m.json", data.draw(damaged_text(text, "json")))
    cli("calibrate", "m.json", "--model", "analytical", "--summary-only", "--json", names=("m.json",),
        places=keys(_MEASUREMENTS))


# -- ONNX models ----------------------------------------------------------------------------------------------
def _onnx_model(duplicate: bool = False) -> bytes:
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 4])
    w = helper.make_tensor("W", TensorProto.FLOAT, [3, 4], [0.5] * 12)
    nodes = [helper.make_node("MatMul", ["X", "W"], ["H"], name="mm"), helper.make_node("Relu", ["H"], ["Y"], name="relu")]
    if duplicate:
        nodes.append(helper.make_node("Neg", ["H"], ["Y"], name="neg"))
    graph = helper.make_graph(nodes, "g", [x], [y], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


@settings(max_examples=examples(40))
@given(st.data())
def test_onnx_files(cli, data):
    model = bytearray(_onnx_model(duplicate=data.draw(st.booleans())))
    for _ in range(data.draw(st.integers(0, 3))):
        op = data.draw(st.sampled_from(("flip", "truncate", "append")))
        if op == "flip" and model:
            model[data.draw(st.integers(0, len(model) - 1))] ^= data.draw(st.integers(1, 255))
        elif op == "truncate":
            del model[data.draw(st.integers(0, len(model))):]
        else:
            model += bytes(data.draw(st.lists(st.integers(0, 255), max_size=16)))
    name = data.draw(st.sampled_from((None, "", "../../x", "/tmp/x", "ok_name", "a b", "x" * 300)))
    cli.reset()
    cli.write("m.onnx", bytes(model))
    args = ["workload", "import", "m.onnx", "-o", data.draw(st.sampled_from(("out.yaml", "m.onnx"))), "--json"]
    if name is not None:
        args += ["--name", name]
    out = cli(*args, names=("m.onnx", "--name", "-o/--output"), places=("node", "--name", "output", "ONNX"))
    if out.code == 0:
        assert (cli.folder / "m.onnx").read_bytes() == bytes(model), "the model was overwritten"
        assert json.loads(out.stdout)["cascade"] == (name or "m")


# -- the simulator's trace file -------------------------------------------------------------------------------
@settings(max_examples=examples(6))
@given(st.sampled_from(("../../escape", "/tmp/escape", "..", "a/b", ".hidden", "ok")))
def test_simulate_trace_stays_in_the_working_folder(cli, name):
    cli.reset()
    inner = cli.folder / "work"
    inner.mkdir()
    (inner / "c.yaml").write_text(_dump_yaml({"name": name, "shapes": {"m": 4, "n": 4, "k": 4},
                                              "einsums": ["Z[m,n] = A[m,k] * B[k,n]"]}))
    outside = sorted(p.name for p in cli.folder.iterdir())
    sub = type(cli)(inner)
    out = sub("simulate", "c.yaml", "edge", "--json", names=("c.yaml",))
    assert sorted(p.name for p in cli.folder.iterdir()) == outside, "the trace was written outside the working folder"
    if out.code == 0:
        assert Path(json.loads(out.stdout)["trace"]).parent == Path(".")

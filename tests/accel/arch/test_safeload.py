"""The safe YAML/JSON loader every reader uses: each refusal names the file and the place."""

from __future__ import annotations

import pytest

from accel.arch import LoadError, load_json, load_yaml, read_text
from accel.errors import BadInputError

_BOMB = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"l{i + 1}: &l{i + 1} [" + ", ".join([f"*l{i}"] * 10) + "]\n" for i in range(9))


@pytest.mark.parametrize(("text", "message"), [
    ("a: 1\nb: 2\na: 3\n", r"^f\.yaml, line 3, column 1: duplicate key 'a' \(first given on line 1\)"),
    ("a:\n  b: 1\n  b: 2\n", r"^f\.yaml, line 3, column 3: duplicate key 'b'"),
    ("a: &x [1, *x]\n", r"^f\.yaml, line 1, column 11: recursive alias \*x"),
    (_BOMB, r"^f\.yaml, line 7, column 10: alias \*l5 expands to more than 1,000,000 nodes"),
    ("a: " + "[" * 150 + "]" * 150 + "\n", r"^f\.yaml, line 1, column \d+: nested more than 100 levels deep"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", r"^f\.yaml, line 1, column \d+: nested more than 100 levels deep"),
    ("a: " + "9" * 40 + "\n", r"^f\.yaml, line 1, column 4: integer of 40 digits is out of range"),
    ("a: 9223372036854775808\n", r"^f\.yaml, line 1, column 4: integer 9223372036854775808 is out of range"),
    ("a: 2024-13-45\n", r"^f\.yaml, line 1, column 4: cannot read '2024-13-45'"),
    ("a: 1\n---\nb: 2\n", r"^f\.yaml, line 2, column 1: more than one YAML document"),
    ("a: [1, 2\n", r"^f\.yaml, line 2, column 1: malformed YAML: expected ',' or ']'"),
    ("a: !!python/object/apply:os.system [ls]\n", r"^f\.yaml, line 1, column 4: malformed YAML: could not determine a constructor"),
])
def test_yaml_refusals_name_the_place(text, message):
    with pytest.raises(LoadError, match=message) as info:
        load_yaml(text, "f.yaml")
    assert isinstance(info.value, BadInputError)


def test_yaml_keeps_what_safe_load_reads():
    text = "base: &b {x: 1, y: [1, 2]}\nother:\n  <<: *b\n  x: 2\nbig: 9223372036854775807\nf: .inf\n"
    assert load_yaml(text, "f.yaml") == {"base": {"x": 1, "y": [1, 2]}, "other": {"x": 2, "y": [1, 2]},
                                         "big": 2**63 - 1, "f": float("inf")}
    assert load_yaml("", "f.yaml") is None


@pytest.mark.parametrize(("text", "message"), [
    ('{"a": 1, "b": {"a": 2}, "a": 3}', r"^f\.json, line 1, column 25: duplicate key 'a'"),
    ('{\n "rows": [{"k": 1,\n  "k": 2}]}', r"^f\.json, line 3, column 3: duplicate key 'k'"),
    ('{"ms": NaN}', r"^f\.json, line 1, column 8: NaN is not a JSON number"),
    ('[1, -Infinity]', r"^f\.json, line 1, column 5: -Infinity is not a JSON number"),
    ('[1e400]', r"^f\.json, line 1, column 2: number 1e400 is out of range"),
    ('{"m": ' + "1" * 50 + "}", r"^f\.json, line 1, column 7: integer 1{30}\.\.\. is out of range"),
    ("[" * 150 + "]" * 150, r"^f\.json, line 1, column 101: nested more than 100 levels deep"),
    ('{"a": 1,}', r"^f\.json, line 1, column 9: not valid JSON: Expecting property name"),
])
def test_json_refusals_name_the_place(text, message):
    with pytest.raises(LoadError, match=message):
        load_json(text, "f.json")


def test_json_keeps_what_json_reads():
    assert load_json('{"a": [1, 2.5, true, null, "x"], "b": {"a": 9223372036854775807}}', "f.json") == \
        {"a": [1, 2.5, True, None, "x"], "b": {"a": 2**63 - 1}}


@pytest.mark.parametrize(("data", "message"), [
    ("a: 1\n".encode("utf-16"), r"^f\.yaml: the file is UTF-16 text \(it starts with a UTF-16 byte-order mark\)"),
    ("a: 1\n".encode("utf-32"), r"^f\.yaml: the file is UTF-32 text"),
    (b"a: 1\nb: \xff\n", r"^f\.yaml, line 2, column 4: not UTF-8 text: byte 0xff cannot be decoded"),
    (b"a\x00:\x001\x00", r"^f\.yaml, line 1, column 2: the file holds a NUL character"),
])
def test_encodings_are_named(tmp_path, data, message):
    path = tmp_path / "f.yaml"
    path.write_bytes(data)
    with pytest.raises(LoadError, match=message):
        read_text(path, "f.yaml")


def test_a_utf8_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_yaml(read_text(path), str(path)) == {"a": 1}


def test_readers_report_through_their_own_errors(tmp_path):
    from accel import SpecError, load_architecture
    from dataflow import CascadeFileError, load_cascade

    arch = tmp_path / "a.yaml"
    arch.write_text("name: a\nname: b\n")
    with pytest.raises(SpecError, match=r"a\.yaml: 1 error in architecture spec:\n  line 2, column 1: duplicate key 'name'"):
        load_architecture(arch)
    cascade = tmp_path / "c.yaml"
    cascade.write_bytes("name: c\n".encode("utf-16"))
    with pytest.raises(CascadeFileError, match=r"c\.yaml: the file is UTF-16 text"):
        load_cascade(cascade)

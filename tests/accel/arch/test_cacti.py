"""The CACTI estimator plug-in: its input, its answers, its rank against the other estimators, and the fallback.

A stand-in ``cacti`` (a small script) takes the place of CACTI 7 here: it checks the input file this estimator
writes and answers in CACTI's output format, so the tests need no CACTI build.
"""

from __future__ import annotations

import stat
import sys

import pytest

from accel import default_registry, derive, energy_table, load_architecture
from accel.arch import CactiEstimator, UserTableEstimator

FAKE = """#!{python}
import sys, pathlib
cfg = pathlib.Path(sys.argv[2])
lines = dict(l.rsplit(" ", 1) for l in cfg.read_text().splitlines() if l.startswith("-") and " " in l)
size = int(lines["-size (bytes)"]); width = int(lines["-output/input bus width"]); node = float(lines["-technology (u)"])
if size == 4096:
    sys.exit(1)  # a configuration "CACTI" rejects
rw = int(lines["-read-write port"]); ex_r = int(lines["-exclusive read port"]); ex_w = int(lines["-exclusive write port"])
banks = int(lines["-UCA bank count"])
read = size / 1e6 * width / 64 + ex_r + 10 * rw
pathlib.Path(str(cfg) + ".out").write_text(
    "Tech node (nm), Capacity (bytes), Number of banks, Associativity, Output width (bits), Access time (ns), "
    "Random cycle time (ns), Dynamic search energy (nJ), Dynamic read energy (nJ), Dynamic write energy (nJ), "
    "Standby leakage per bank(mW), Area (mm2), \\n"
    f"{{node * 1000:g}}, {{size}}, {{banks}}, 1, {{width}}, 0.5, 0.6, N/A, {{read / 1000}}, {{2 * read / 1000}}, 1.0, {{size / 1e6}}, \\n")
"""


@pytest.fixture
def cacti(tmp_path):
    folder = tmp_path / "cacti_master"
    (folder / "tech_params").mkdir(parents=True)
    exe = folder / "cacti"
    exe.write_text(FAKE.format(python=sys.executable))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return CactiEstimator(exe)


def _arch(node=45, **changes):
    return derive(load_architecture("edge"), {"technology_nm": node, **changes})


def test_answers_sram_from_its_configuration(cacti):
    a = _arch(**{"levels.scratchpad.ports": 2, "levels.scratchpad.banks": 8})
    reg = default_registry().register(cacti)
    table = energy_table(a, reg)
    sp = a.level("scratchpad")
    read = sp.capacity / 1e6 * sp.word_bits / 64 + 1  # the stand-in's formula: two ports -> one exclusive read port
    assert table["scratchpad.read"] == pytest.approx(read) and table["scratchpad.write"] == pytest.approx(2 * read)
    est = table.estimate("scratchpad.read")
    assert (est.estimator, est.accuracy) == ("cacti7", 50)
    assert f"{sp.capacity} B, {sp.word_bits}-bit word, 2 port(s), 8 bank(s), 45 nm" in est.source
    l2 = a.level("l2")  # one port: a read-write port
    assert table["l2.read"] == pytest.approx(l2.capacity / 1e6 * l2.word_bits / 64 + 10)
    (l2_component,) = [c for c in _components(a) if c.get("level") == "l2"]
    assert cacti.area(l2_component).value == pytest.approx(l2.capacity)  # the stand-in's mm^2 = capacity / 1e6


def _components(a):
    from accel.arch import Component

    return [Component.of("sram", capacity=lv.capacity, word_bits=lv.word_bits, level=lv.name, ports=lv.ports,
                         banks=lv.banks, technology_nm=a.technology_nm) for lv in a.levels]


def test_ranked_by_declared_accuracy(cacti, tmp_path):
    a = _arch()
    reg = default_registry().register(cacti)
    assert energy_table(a, reg).estimate("scratchpad.read").estimator == "cacti7"  # 50 beats Horowitz's 30
    table = UserTableEstimator.from_dict({"name": "lib", "accuracy": 60, "source": "vendor",
                                          "energy": [{"component": "sram", "action": "read", "pJ": 1.5}]})
    reg.register(table)
    assert energy_table(a, reg).estimate("scratchpad.read").estimator == "lib"  # a user's table (60) beats CACTI
    assert energy_table(a, reg).estimate("scratchpad.write").estimator == "cacti7"


@pytest.mark.parametrize("changes, why", [
    ({"technology_nm": 28}, "a node CACTI has no parameters for"),
    ({"levels.scratchpad.capacity": 4096}, "a configuration CACTI rejects"),
])
def test_no_answer_falls_back_to_horowitz(cacti, changes, why):
    a = derive(load_architecture("edge"), {"technology_nm": 45, **changes})
    table = energy_table(a, default_registry().register(cacti))
    assert table.estimate("scratchpad.read").estimator == "horowitz_45nm", why
    assert table.estimate("rf.read").estimator == "horowitz_45nm"  # 32 B: smaller than CACTI models


def test_find_returns_none_without_cacti(monkeypatch, tmp_path):
    monkeypatch.delenv("ACCEL_CACTI", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert CactiEstimator.find() is None
    assert CactiEstimator.find(tmp_path / "nothing") is None


def test_find_takes_the_environment(monkeypatch, cacti):
    monkeypatch.setenv("ACCEL_CACTI", str(cacti.executable))
    assert CactiEstimator.find().executable == cacti.executable


def test_a_program_without_tech_params_is_not_cacti(tmp_path):
    exe = tmp_path / "cacti"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    with pytest.raises(FileNotFoundError, match="has no tech_params folder beside it"):
        CactiEstimator(exe)


def test_cli_show_with_and_without_cacti(monkeypatch, cacti, tmp_path):
    import json

    from click.testing import CliRunner

    from accel.cli import main

    monkeypatch.setenv("ACCEL_CACTI", str(cacti.executable))
    data = json.loads(CliRunner().invoke(main, ["arch", "show", "eyeriss_like", "--set", "technology_nm=45", "--cacti", "--json"]).output)
    assert data["cacti"] == f"CACTI: {cacti.executable}"
    assert {v["estimator"] for k, v in data["energy"].items() if k.endswith((".read", ".write")) and not k.startswith(("rf", "dram"))} == {"cacti7"}
    monkeypatch.delenv("ACCEL_CACTI")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    result = CliRunner().invoke(main, ["arch", "show", "edge", "--cacti"])
    assert result.exit_code == 0 and "CACTI not found ($ACCEL_CACTI, PATH, zigzag): the built-in table answers instead" in result.output

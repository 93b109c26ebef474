"""The packages import only downward: a walk over every import of every module (function-local ones too).

Layers, bottom first (``../shared/DESIGN.md``): a module may import its own layer or a lower one, never a higher
one. A package's ``__init__`` is the module of its own name, so what it imports is held to its layer too (an
``import accel.arch`` runs ``accel/__init__.py`` first).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("accel", "dataflow", "mapping", "memory", "sim", "rtl", "studies", "benchmarks")

#: (module prefix, layer): the longest matching prefix decides.
LAYERS: tuple[tuple[str, int], ...] = (
    # 1. workloads, the architecture, golden numerics, the error families
    ("dataflow", 1), ("accel", 1), ("accel.arch", 1), ("accel.errors", 1), ("rtl", 1), ("rtl.numerics", 1),
    # 2. mapping types, memory (graphs, scratchpads, schedules, residency)
    ("mapping", 2), ("memory", 2),
    # 3. the simulators: price given mappings and schedules
    ("sim", 3),
    # 4. the searches: the per-Einsum mapper, the COSMA scheduler
    ("mapping.search", 4), ("mapping.cosma", 4),
    # 5. the pipeline
    ("accel.pipeline", 5),
    # 6. applications
    ("accel.cli", 6), ("accel.sweep", 6), ("accel.calibrate", 6), ("studies", 6), ("benchmarks", 6),
    ("rtl.hdl", 6), ("rtl.bench", 6), ("rtl.synth", 6),
)
NAMES = {1: "bottom (workloads, architecture, numerics)", 2: "mapping types / memory", 3: "simulators",
         4: "searches", 5: "pipeline", 6: "applications"}


def layer_of(module: str) -> int | None:
    best = None
    for prefix, layer in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return None if best is None else best[1]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str | None = None):
    """(line, imported module) for every import statement in the file, at any depth."""
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from pkg import sub` imports the subpackage pkg.sub where it is one
                yield node.lineno, f"{target}.{alias.name}"


def _sources():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def test_every_module_has_a_layer():
    missing = [_module_name(p) for p in _sources() if layer_of(_module_name(p)) is None]
    assert not missing, f"modules outside every layer: {missing}"


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_no_import_goes_up_a_layer():
    upward = []
    for path in _sources():
        here = _module_name(path)
        mine = layer_of(here)
        for line, target in _imports(path):
            if target.split(".")[0] not in PACKAGES or not _is_module(target):
                continue
            theirs = layer_of(target)
            if theirs is not None and theirs > mine:
                upward.append(f"{path.relative_to(ROOT)}:{line}: {here} ({NAMES[mine]}) imports {target} ({NAMES[theirs]})")
    assert not upward, "imports that go up a layer:\n" + "\n".join(upward)


@pytest.mark.parametrize(("module", "layer"), [("accel.arch._loader", 1), ("mapping._problem", 2), ("mapping.search._mapper", 4),
                                               ("sim.cycle._api", 3), ("accel.cli.map", 6), ("accel", 1)])
def test_layer_of(module, layer):
    assert layer_of(module) == layer


def test_the_walk_sees_function_local_and_relative_imports(tmp_path):
    probe = tmp_path / "_probe.py"
    probe.write_text("def f():\n    from mapping.search import map_einsum\n    from ..cycle import simulate\n")
    found = list(_imports(probe, "sim.analytical._probe"))
    assert (2, "mapping.search") in found and (3, "sim.cycle") in found

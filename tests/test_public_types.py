"""No ``Any`` in the public signatures between packages.

Every package's exported names (its ``__all__``), and every name one package imports from another package's
modules (``from mapping._problem import Problem`` in ``sim``), are walked: functions (parameters and return), classes
(their fields, the public methods and properties they define, their ``__init__``), type aliases and annotated
constants.
Each annotation is resolved with :func:`typing.get_type_hints`, with the names a module imports only under
``if TYPE_CHECKING:`` added, and the resolved type is searched for ``typing.Any`` through its arguments, forward
references and aliases. Classes of ours that a checked annotation names are walked too, so a private result type
returned by a public function is held to the same rule. Where a hint cannot be resolved, its text is searched.
"""

from __future__ import annotations

import ast
import collections.abc
import dataclasses
import functools
import importlib
import importlib.util
import inspect
import re
import sys
import types
import typing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("accel", "dataflow", "mapping", "memory", "sim", "rtl", "studies")

#: Every package whose ``__all__`` is public.
PACKAGES = (
    "accel", "accel.arch", "accel.errors", "accel.pipeline", "accel.cli", "accel.sweep", "accel.calibrate",
    "dataflow", "dataflow.library", "dataflow.onnx",
    "mapping", "mapping.search", "mapping.cosma",
    "memory",
    "sim", "sim.analytical", "sim.cycle",
    "rtl", "rtl.numerics", "rtl.hdl", "rtl.bench", "rtl.synth",
    "studies",
)

#: Offenders allowed for now ("qualified name: annotation" -> its file). Empty: every public annotation is typed;
#: an entry added for work in progress must leave as its owner fixes it (the test below fails on a stale one).
EXCLUDED: dict[str, str] = {}

_ANY_TEXT = re.compile(r"\bAny\b")
#: Modules whose generics (``dict[...]``, ``Mapping[...]``, ``Callable[...]``) are searched through their parameters.
_TYPING_HOMES = ("builtins", "typing", "collections", "types", "typing_extensions", "os", "pathlib", "contextlib")


def _package_of(module: str) -> str:
    """The package of :data:`PACKAGES` that ``module`` belongs to (the longest prefix)."""
    best = module.split(".")[0]
    for package in PACKAGES:
        if (module == package or module.startswith(package + ".")) and len(package) > len(best):
            best = package
    return best


def _imported_across() -> set[tuple[str, str]]:
    """(module, name) for every ``from module import name`` of ours that crosses from one package into another."""
    pairs: set[tuple[str, str]] = set()
    for path in sorted(p for top in (*OURS, "benchmarks") for p in (ROOT / top).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        here = ".".join(parts)
        base_package = here if path.name == "__init__.py" else here.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = base_package.split(".")
                target = ".".join(base[: len(base) - (node.level - 1)] + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] not in OURS or _package_of(target) == _package_of(here):
                continue
            pairs.update((target, alias.name) for alias in node.names if alias.name != "*")
    return pairs


def _ours(obj: object) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in OURS


def _type_checking_names(module: types.ModuleType) -> dict[str, object]:
    """The names ``module`` imports under ``if TYPE_CHECKING:`` (imported here, where layers do not apply)."""
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return {}
    names: dict[str, object] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                if isinstance(statement, (ast.Import, ast.ImportFrom)):
                    space = {"__name__": module.__name__, "__package__": module.__package__}
                    exec(compile(ast.Module([statement], []), module.__name__, "exec"), space)  # noqa: S102
                    names.update({k: v for k, v in space.items() if not k.startswith("__")})
    return names


_NAMESPACES: dict[str, dict[str, object]] = {}


def _namespace(module_name: str) -> dict[str, object]:
    if module_name not in _NAMESPACES:
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
        space = dict(_type_checking_names(module))
        space.update(vars(module))
        _NAMESPACES[module_name] = space
    return _NAMESPACES[module_name]


def _hints(obj: object, module_name: str) -> dict[str, object]:
    """The annotations of a function or module resolved to types where possible, else their text (a class's own
    annotations: ``vars(cls)['__annotations__']``, resolved the same way in the class's module)."""
    try:
        if isinstance(obj, type):
            own = {k: v for k, v in typing.get_type_hints(obj, globalns=_namespace(module_name)).items()
                   if k in vars(obj).get("__annotations__", {})}
            return own
        return typing.get_type_hints(obj, globalns=_namespace(module_name))
    except Exception:  # noqa: BLE001 - an unresolvable hint is searched as text
        return dict(vars(obj).get("__annotations__", {}) if isinstance(obj, type) else getattr(obj, "__annotations__", {}) or {})


def _walk_type(tp: object, module_name: str, seen: set[int], found: list[type]) -> bool:
    """Whether ``tp`` mentions ``Any``; classes of ours it names are appended to ``found``."""
    if tp is typing.Any:
        return True
    if isinstance(tp, str):
        space = _namespace(module_name)
        try:
            tp = eval(tp, space)  # noqa: S307 - an annotation's text, evaluated in its own module
        except Exception:  # noqa: BLE001
            return bool(_ANY_TEXT.search(tp))
        return _walk_type(tp, module_name, seen, found)
    if isinstance(tp, typing.ForwardRef):
        return _walk_type(tp.__forward_arg__, module_name, seen, found)
    if id(tp) in seen:
        return False
    seen.add(id(tp))
    if isinstance(tp, type) and not typing.get_args(tp):
        if _ours(tp):
            found.append(tp)
        return False
    if isinstance(tp, typing.TypeVar):
        return any(_walk_type(t, module_name, seen, found) for t in (tp.__bound__, *tp.__constraints__) if t is not None)
    value = getattr(tp, "__value__", None)  # a `type X = ...` alias
    if value is not None:
        return _walk_type(value, module_name, seen, found)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        args = args[:1]
    elif origin is typing.Literal:
        args = ()
    if isinstance(origin, type) and _ours(origin):
        found.append(origin)
    if isinstance(origin, type) and not _ours(origin) and origin.__module__.split(".")[0] not in _TYPING_HOMES:
        return False  # a third-party generic's own parameters (numpy's ``dtype[Any]`` inside ``ArrayLike``) are not ours
    return any(_walk_type(arg, module_name, seen, found) for arg in args if arg is not Ellipsis and arg is not type(None))


def _callable_places(name: str, func: object, module_name: str) -> typing.Iterator[tuple[str, object, str]]:
    func = inspect.unwrap(func) if callable(func) else func
    for key, tp in _hints(func, getattr(func, "__module__", module_name) or module_name).items():
        yield f"{name}: {key}", tp, getattr(func, "__module__", module_name) or module_name


def _class_places(cls: type) -> typing.Iterator[tuple[str, object, str]]:
    """Fields, public methods and properties of ``cls`` and of its bases of ours, each named under ``cls``."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    for klass in cls.__mro__:
        if not _ours(klass):
            continue
        for key, tp in _hints(klass, klass.__module__).items():
            if not key.startswith("_"):
                yield f"{name}.{key}", tp, klass.__module__
        for attr, value in vars(klass).items():
            if attr.startswith("_") and attr not in ("__init__", "__call__", "__new__"):
                continue
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property):
                value = value.fget
            elif isinstance(value, functools.cached_property):
                value = value.func
            if inspect.isfunction(value) and _ours(value):
                if attr == "__init__" and dataclasses.is_dataclass(cls):
                    continue  # generated from the fields, checked above
                yield from _callable_places(f"{name}.{attr}", value, klass.__module__)


def _offences() -> list[tuple[str, str]]:
    """(place, the file it is in) for every public annotation that mentions ``Any``."""
    offences: list[tuple[str, str]] = []
    queue: list[type] = []
    done: set[type] = set()

    def check(place: str, tp: object, module_name: str) -> None:
        found: list[type] = []
        if _walk_type(tp, module_name, set(), found):
            file = sys.modules[module_name].__file__ or module_name
            offences.append((place, str(Path(file).resolve().relative_to(ROOT))))
        queue.extend(found)

    exported = {(package, name) for package in PACKAGES for name in importlib.import_module(package).__all__}
    for module_name, export in sorted(exported | _imported_across()):
        module = importlib.import_module(module_name)
        if not hasattr(module, export) and importlib.util.find_spec(f"{module_name}.{export}") is not None:
            continue  # `from package import submodule`
        obj = getattr(module, export)
        if isinstance(obj, types.ModuleType):
            continue
        if isinstance(obj, type):
            queue.append(obj)
        elif inspect.isfunction(obj) or isinstance(obj, functools.partial):
            for place, tp, where in _callable_places(f"{obj.__module__}.{obj.__qualname__}", obj, module_name):
                check(place, tp, where)
        elif obj is typing.Any or typing.get_origin(obj) is not None or isinstance(obj, (typing.TypeVar, types.UnionType)):
            check(f"{module_name}.{export} (alias)", obj, module_name)
        elif export in (module_hints := _hints(module, module_name)):
            check(f"{module_name}.{export}", module_hints[export], module_name)
    while queue:
        cls = queue.pop()
        if cls in done or not _ours(cls):
            continue
        done.add(cls)
        for place, tp, where in _class_places(cls):
            check(place, tp, where)
    return sorted(set(offences))


def test_no_any_in_public_signatures():
    offences = _offences()
    new = [f"{file}: {place}" for place, file in offences if place not in EXCLUDED]
    assert not new, "public annotations that mention Any:\n" + "\n".join(new)


def test_the_exclusions_are_still_offenders():
    """An exclusion that no longer offends must leave the list."""
    offending = {place: file for place, file in _offences()}
    stale = [f"{place} ({file})" for place, file in EXCLUDED.items() if offending.get(place) != file]
    assert not stale, "exclusions that are no longer offenders (or moved):\n" + "\n".join(stale)


# the checker itself -------------------------------------------------------------------------------------------

def test_the_walk_finds_any_where_it_hides():
    space: dict[str, object] = {}
    exec("import typing\nAlias = dict[str, list[typing.Any]]\nRec = typing.Union[int, list['Rec']]", space)  # noqa: S102
    assert _walk_type(space["Alias"], __name__, set(), [])
    assert _walk_type(typing.Optional[typing.Callable[..., typing.Any]], __name__, set(), [])
    assert _walk_type("Any", __name__, set(), [])  # unresolvable text is searched
    assert not _walk_type(space["Rec"], __name__, set(), [])  # a recursive alias ends
    assert not _walk_type(collections.abc.Mapping[str, int], __name__, set(), [])


_PLANTED = """
from __future__ import annotations
import dataclasses
from typing import Any

Plain = dict[str, Any]

@dataclasses.dataclass(frozen=True)
class Result:
    name: str
    report: Plain
    def get(self, key: str) -> list[Any]:
        return []
    def size(self) -> int:
        return 0
"""


def test_a_planted_any_is_found_in_fields_and_methods():
    name = "accel._planted_probe"
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(_PLANTED, vars(module))  # noqa: S102
        found = [place for place, tp, where in _class_places(module.Result) if _walk_type(tp, where, set(), [])]
    finally:
        del sys.modules[name]
        _NAMESPACES.pop(name, None)
    assert found == [f"{name}.Result.report", f"{name}.Result.get: return"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_exports_a_list(package):
    assert isinstance(importlib.import_module(package).__all__, (list, tuple))

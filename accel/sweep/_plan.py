"""From a validated spec to the list of (design point, workload) tasks, each with its content hash."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._area import area_registry, design_area, design_fpga
from ._evaluate import PointTask
from ._hash import content_hash, tool_version
from ._spec import SweepSpec

if TYPE_CHECKING:
    from accel.arch import Architecture

    from ._sampling import DesignPoint

__all__ = ["plan"]


def plan(spec: SweepSpec) -> tuple[PointTask, ...]:
    """Every task of ``spec``: design points (in sampled order) x workloads (in spec order).

    A design whose derived architecture is invalid becomes an ``'invalid'``
    task (keyed on the base and its changes) rather than an error, so one bad
    combination of axis values does not stop a sweep.  Tasks with the same
    content hash are kept once.

    Parameters
    ----------
    spec : SweepSpec

    Raises
    ------
    TypeError
        If ``spec`` is not a :class:`SweepSpec`.
    """
    from accel import SpecError, derive, to_dict

    if not isinstance(spec, SweepSpec):
        raise TypeError(f"plan takes a SweepSpec, not {spec!r}")
    version = tool_version()
    base = to_dict(spec.base)
    options = spec.mapping.to_dict()
    derived: list[tuple[DesignPoint, Architecture | None, str]] = []
    for design in spec.designs():
        try:
            derived.append((design, derive(spec.base, dict(design.changes)), ""))
        except SpecError as exc:
            derived.append((design, None, "invalid architecture: " + "; ".join(f"{p}: {m}" for p, m in exc.errors)))
    registry = area_registry(spec.area, [a for _, a, _ in derived if a is not None])
    tasks: list[PointTask] = []
    seen: set[str] = set()
    for design, derived_arch, reason in derived:
        arch = to_dict(derived_arch) if derived_arch is not None else None
        area = design_area(derived_arch, registry) if derived_arch is not None else ()
        fpga = design_fpga(derived_arch, registry, spec.fpga) if derived_arch is not None and spec.area == "rtl" else ()
        for wl in spec.workloads:
            content = {
                "arch": arch if arch is not None else {"base": base, "changes": [list(c) for c in design.changes]},
                "workload": wl.text,
                "mapping": options,
                "simulator": spec.simulator,
                "area": [list(a) for a in area],
                "tool": version,
            }
            if fpga:  # only where there are resources, so the keys of other sweeps stay as they were
                content["fpga"] = {"target": spec.fpga, "resources": [list(f) for f in fpga]}
            key = content_hash(content)
            if key in seen:
                continue
            seen.add(key)
            tasks.append(PointTask(key, design.index, wl.label, design.changes, design.labels, arch, wl.text,
                                   spec.mapping, spec.simulator, reason, area, fpga))
    return tuple(tasks)

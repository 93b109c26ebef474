"""Timeloop v4 architecture specs (``architecture: {version: 0.4, nodes: [...]}``) as an accel :class:`Architecture`.

The node list is read top down, ``!Parallel`` groups flattened:

* a ``DRAM`` component -> DRAM (bandwidth: its ``width`` bits per cycle);
* storage components before the first spatial container -> on-chip levels,
  outermost first, each holding the data spaces its ``dataspace.keep``
  names (``Weights`` -> weight, ``Inputs`` -> input, ``Outputs`` -> output;
  no constraint: any): capacity ``depth * width / 8`` bytes, word ``width``
  bits, ``n_banks`` banks, bandwidth ``read_bandwidth`` / ``write_bandwidth``
  words of ``datawidth`` bits per cycle;
* containers with ``spatial: {meshX, meshY}`` -> the PE array (``meshY`` rows,
  ``meshX`` columns; nested containers with no storage between multiply);
* storage below the array: one-word registers (``depth: 1``) are the MAC's
  operand latches, which accel keeps implicitly; the other per-PE buffers
  become the register file (several, as Eyeriss's three scratchpads, merge
  into one of their summed capacity, noted);
* the compute component (``class: intmac``) -> the MAC (``multiplier_width``
  8 or 16 bits);
* ``technology: "45nm"`` on any node -> ``technology_nm``.

Timeloop states no clock, no latencies and (left out) no bandwidth limit;
accel's values for them are noted.  Energies are Accelergy's (the run's ERT),
not the spec's: the import carries none.  Mapspace ``constraints`` are not
part of the architecture and are noted as not imported.

Not expressible, an error naming the node: storage between two spatial
fan-outs (Simba's per-PE buffers feeding a second fan-out of vector MACs),
more than one compute component, a spatial fan-out below the compute.
"""

from __future__ import annotations

import re

from .._types import YamlValue
from ._compute import ArithmeticUnit
from ._errors import SpecError
from ._peer import PeerImport
from ._schema import RESERVED_LEVEL_NAMES
from ._types import DRAM, Architecture, MemoryLevel, PEArray, RegisterFile
from ._zigzag import DEFAULT_CLOCK_MHZ, DEFAULT_TECHNOLOGY_NM

__all__ = ["from_timeloop", "TIMELOOP_DATASPACES"]

#: Timeloop data space -> accel tensor role (other names are kept as tensor names).
TIMELOOP_DATASPACES = {"Weights": "weight", "Inputs": "input", "Outputs": "output"}
_COMPUTE = ("intmac", "fpmac", "mac", "compute")
_MACS = {8: ("int8_mac", "int8", "int32"), 16: ("int16_mac", "int16", "int32")}
_NODE_KINDS = ("Container", "Component", "Parallel", "Hierarchical", "Nothing")
_COMPONENT = ("!", "name", "class", "subclass", "attributes", "constraints", "required_actions", "area_share",
              "enabled")
_CONTAINER = ("!", "name", "attributes", "spatial", "constraints", "enabled")
_WHAT = "Timeloop v4 architecture"


def _flatten(nodes: YamlValue, where: str, errors: list[tuple[str, str]]) -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []
    if not isinstance(nodes, list):
        errors.append((where, f"a list of nodes, not {nodes!r}"))
        return out
    for i, node in enumerate(nodes):
        at = f"{where}[{i}]"
        if not isinstance(node, dict) or node.get("!") not in _NODE_KINDS:
            errors.append((at, f"a node tagged one of {', '.join('!' + k for k in _NODE_KINDS)}, not {node!r}"))
            continue
        if node["!"] in ("Parallel", "Hierarchical"):
            out += _flatten(node.get("nodes"), f"{at}.nodes", errors)
        elif node["!"] != "Nothing":
            out.append((at, node))
    return out


def _keep(node: dict) -> tuple[str, ...]:
    space = ((node.get("constraints") or {}).get("dataspace") or {})
    keep = space.get("keep")
    if not keep:
        return ("any",)
    return tuple(TIMELOOP_DATASPACES.get(k, k) for k in keep)


def _positive(attrs: dict, key: str, at: str, errors: list[tuple[str, str]], default: float | None = None) -> float | None:
    value = attrs.get(key, default)
    if value is None:
        errors.append((f"{at}.attributes.{key}", "missing"))
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        errors.append((f"{at}.attributes.{key}", f"a positive number, not {value!r}"))
        return None
    return value


def from_timeloop(data: YamlValue, source: str, notes: list[str] | None = None, *, clock_mhz: float | None = None,
                  technology_nm: float | None = None) -> PeerImport:
    """Translate a Timeloop v4 architecture's data (see the module docstring).

    Raises
    ------
    SpecError
        Listing every node that is malformed or cannot be expressed, each with its path.
    """
    notes = list(notes or [])
    errors: list[tuple[str, str]] = []
    arch_data = data.get("architecture") if isinstance(data, dict) else None
    if not isinstance(arch_data, dict):
        raise SpecError([("architecture", "missing: a Timeloop v4 file has architecture: {version, nodes}")], source, _WHAT)
    for key in data:
        if key not in ("architecture", "variables", "problem", "mapper", "mapping", "constraints", "globals"):
            errors.append((str(key), "unknown top-level key of a Timeloop v4 specification"))
    for key in ("problem", "mapper", "mapping", "constraints"):
        if key in data:
            notes.append(f"{key}: not part of the architecture, not imported here")
    version = arch_data.get("version")
    if str(version) not in ("0.4", "0.4.0"):
        errors.append(("architecture.version", f"Timeloop v4 architectures are version 0.4, not {version!r}"))
    nodes = _flatten(arch_data.get("nodes"), "architecture.nodes", errors)
    name = None
    node_tech = None
    dram = None
    levels: list[MemoryLevel] = []
    per_pe: list[tuple[str, dict]] = []
    latches: list[str] = []
    rows = cols = 1
    spatial_seen = False
    storage_below_spatial: str | None = None
    mac = None
    for at, node in nodes:
        attrs = node.get("attributes") or {}
        label = f"{at} ({node.get('name')})"
        if not isinstance(attrs, dict):
            errors.append((f"{at}.attributes", f"a mapping, not {attrs!r}"))
            continue
        tech = attrs.get("technology")
        if tech is not None:
            found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*nm\s*", str(tech))
            if not found:
                errors.append((f"{at}.attributes.technology", f"a node like \"45nm\", not {tech!r}"))
            else:
                node_tech = float(found.group(1))
        if node["!"] == "Container":
            for key in node:
                if key not in _CONTAINER:
                    errors.append((f"{at}.{key}", f"unknown key of a container; allowed: {', '.join(_CONTAINER[1:])}"))
            if not spatial_seen and not node.get("spatial"):
                name = node.get("name") or name  # the innermost container above the PE array names the design
            if node.get("constraints"):
                notes.append(f"{label}: constraints not imported (mapspace constraints are the mapper's, not the architecture's)")
            spatial = node.get("spatial")
            if spatial:
                if not isinstance(spatial, dict) or set(spatial) - {"meshX", "meshY"}:
                    errors.append((f"{at}.spatial", f"meshX and/or meshY, not {spatial!r}"))
                    continue
                if mac is not None:
                    errors.append((f"{at}.spatial", "a spatial fan-out below the compute"))
                if storage_below_spatial is not None:
                    errors.append((f"{at}.spatial", f"a second spatial fan-out below the per-PE storage "
                                                    f"{storage_below_spatial}: accel's PE array is one 2-D level with "
                                                    "one register file per PE (a buffer between two fan-outs, as "
                                                    "Simba's, cannot be expressed)"))
                mx, my = spatial.get("meshX", 1), spatial.get("meshY", 1)
                if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (mx, my)):
                    errors.append((f"{at}.spatial", f"positive integer meshX / meshY, not {spatial!r}"))
                    continue
                cols, rows = cols * mx, rows * my
                spatial_seen = True
            continue
        for key in node:
            if key not in _COMPONENT:
                errors.append((f"{at}.{key}", f"unknown key of a component; allowed: {', '.join(_COMPONENT[1:])}"))
        cls = str(node.get("class", ""))
        if cls.upper() == "DRAM":
            if levels or spatial_seen or dram is not None:
                errors.append((at, f"{label}: DRAM must be the outermost storage, once"))
                continue
            width = _positive(attrs, "width", at, errors, 64)
            if width:
                dram = DRAM(width / 8, 0)
                notes.append(f"{label}: DRAM bandwidth {width / 8:g} B/cycle (its width; Timeloop bounds none "
                             "unless given), latency 0 (Timeloop models none)")
            continue
        if cls in _COMPUTE or node.get("subclass") in _COMPUTE:
            if mac is not None:
                errors.append((at, f"{label}: a second compute component; accel's PE has one MAC"))
                continue
            width = attrs.get("multiplier_width", attrs.get("datawidth", 8))
            if width not in _MACS:
                errors.append((f"{at}.attributes.multiplier_width", f"8 or 16 bits, not {width!r}"))
                continue
            mac = _MACS[width]
            continue
        depth = _positive(attrs, "depth", at, errors)
        width = _positive(attrs, "width", at, errors)
        datawidth = _positive(attrs, "datawidth", at, errors, width)
        if not (depth and width and datawidth):
            continue
        if mac is not None:
            errors.append((at, f"{label}: storage below the compute"))
            continue
        if not spatial_seen:
            lname = str(node.get("name"))
            if not lname.isidentifier() or lname in RESERVED_LEVEL_NAMES:
                errors.append((f"{at}.name", f"an accel level name: an identifier other than "
                                             f"{', '.join(sorted(RESERVED_LEVEL_NAMES))}, not {lname!r}"))
                continue
            banks = int(attrs.get("n_banks", 1))
            if "read_bandwidth" in attrs or "write_bandwidth" in attrs:
                rbw = _positive(attrs, "read_bandwidth", at, errors, attrs.get("write_bandwidth"))
                wbw = _positive(attrs, "write_bandwidth", at, errors, attrs.get("read_bandwidth"))
                if not (rbw and wbw):
                    continue
                read, write = rbw * datawidth / 8, wbw * datawidth / 8
            else:
                read = write = width / 8 * banks
                notes.append(f"{label}: no bandwidth given (Timeloop bounds none); {read:g} B/cycle, one "
                             f"{width}-bit word per bank per cycle")
            ports = int(attrs.get("nports", attrs.get("num_ports", 2)))
            levels.append(MemoryLevel(lname, int(depth * width // 8), int(width), float(read), float(write),
                                      ports=ports, banks=banks, holds=_keep(node), latency=0))
            continue
        storage_below_spatial = storage_below_spatial or label
        if depth == 1 and width == datawidth:
            latches.append(f"{node.get('name')} [{' '.join(_keep(node))}]")
        else:
            per_pe.append((label, {"bytes": int(depth * width // 8), "width": int(width), "holds": _keep(node)}))
    if dram is None:
        errors.append(("architecture.nodes", "no DRAM component (class: DRAM), the outermost storage"))
    if not levels:
        errors.append(("architecture.nodes", "no on-chip storage above the PE array: accel needs at least one level"))
    if not spatial_seen:
        errors.append(("architecture.nodes", "no spatial container (spatial: {meshX, meshY}): no PE array"))
    if mac is None:
        errors.append(("architecture.nodes", "no compute component (class: intmac)"))
    if not per_pe and not latches:
        errors.append(("architecture.nodes", "no storage in the PEs"))
    if errors:
        raise SpecError(errors, source, _WHAT)
    if per_pe:
        holds = tuple(dict.fromkeys(h for _, p in per_pe for h in p["holds"]))
        if "any" in holds:
            holds = ("any",)
        rf = RegisterFile(sum(p["bytes"] for _, p in per_pe), max(p["width"] for _, p in per_pe), holds)
        if len(per_pe) > 1:
            notes.append(f"{', '.join(label for label, _ in per_pe)}: per-PE buffers merged into one register file "
                         f"of {rf.capacity} bytes holding {', '.join(holds)} (accel's PE has one)")
    else:  # registers only: the register file is the registers
        rf = RegisterFile(len(latches) * 8, 64, ("any",))
        notes.append("the PEs have only one-word registers: a register file of one word per register stands for them")
    if latches:
        notes.append(f"one-word registers {', '.join(latches)}: the MAC's operand latches, which accel keeps "
                     "implicitly (no level of their own)")
    notes.append("latencies 0 (Timeloop models none); levels with two ports (reads and writes do not take turns) "
                 "unless nports is given")
    if clock_mhz is None:
        notes.append(f"clock_mhz: Timeloop states none; {DEFAULT_CLOCK_MHZ:g} MHz")
    tech = technology_nm or node_tech
    if tech is None:
        notes.append(f"technology_nm: the spec states none; {DEFAULT_TECHNOLOGY_NM:g} nm")
    notes.append("energies: Accelergy's (the run's ERT), not in the spec; accel's estimators answer unless a table is given")
    kind, fmt, acc = mac
    try:
        arch = Architecture(
            name=str(name or "timeloop_arch"), clock_mhz=float(clock_mhz or DEFAULT_CLOCK_MHZ),
            technology_nm=float(tech or DEFAULT_TECHNOLOGY_NM),
            pe_array=PEArray(rows, cols, network="broadcast", hop_latency=1, dataflow="flexible"),
            register_file=rf, levels=tuple(reversed(levels)), dram=dram, arith=ArithmeticUnit(kind, fmt, acc),
            description=f"imported from {source} (Timeloop v4 architecture)",
        )
    except ValueError as exc:
        raise SpecError([("architecture", str(exc))], source, _WHAT) from None
    notes.append(f"pe_array: {rows} x {cols} (meshY x meshX), broadcast network (Timeloop's default multicast), "
                 "dataflow flexible")
    return PeerImport(arch, None, tuple(notes), "timeloop", source, None)

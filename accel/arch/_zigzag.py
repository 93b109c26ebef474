"""ZigZag hardware YAML (ZigZag 3.x ``inputs/hardware/*.yaml``) as an accel :class:`Architecture`.

What each ZigZag key becomes (ZigZag's units: bits, bits per cycle, pJ per access):

* ``operational_array``: ``sizes`` [D1, D2] -> ``pe_array.rows`` / ``cols``
  (a 1-D array: one column); ``systolic_dimensions`` non-empty -> a systolic
  network, else broadcast; ``input_precision`` (default 8, 8) -> the MAC kind;
  ``unit_energy`` -> pJ per MAC.
* a memory with ``served_dimensions: []`` (one instance per multiplier) ->
  the per-PE register file; several such memories (one per operand, as in
  ZigZag's ``tpu_like``) become one register file holding their operands, of
  their summed capacity (noted).
* a memory serving every array dimension -> an on-chip level holding its
  operands (others bypass it), in the order the operands' hierarchies give;
  the outermost memory, holding every operand -> DRAM.
* ``size`` (bits) -> capacity (bytes); a port's ``bandwidth_max`` -> the
  access width (``word_bits``, the widest port) and bandwidth (read: read and
  read-write ports, write: write and read-write ports, in bytes per cycle);
  the number of ports -> ``ports``; ``latency`` -> latency.
* ``r_cost`` / ``w_cost`` (pJ per access of ``bandwidth_max`` bits, as
  ZigZag's cost model charges them) -> the energy table: pJ per word of a
  level, pJ per byte of DRAM (``cost / (bandwidth_max / 8)``).
* operands: ``I1`` -> input, ``I2`` -> weight, ``O`` -> output (ZigZag's
  ``memory_operand_links`` of its bundled mappings: ``W: I2, I: I1``).

Not expressible, an error naming the key: a memory serving some array
dimensions but not others (``served_dimensions: [D1]`` on a 2-D array: a
buffer shared along rows and private along columns), in-memory compute
arrays, arrays of more than two dimensions, two per-PE memories for one
operand, a per-PE memory above a shared one, hierarchies whose orders
contradict each other, an outermost memory that does not hold every operand.
"""

from __future__ import annotations

from .._types import YamlValue
from ._compute import ArithmeticUnit
from ._errors import SpecError
from ._peer import PeerImport
from ._schema import RESERVED_LEVEL_NAMES
from ._types import DRAM, Architecture, MemoryLevel, PEArray, RegisterFile
from ._user_table import UserTableEstimator

__all__ = ["from_zigzag", "ZIGZAG_OPERANDS", "DEFAULT_CLOCK_MHZ", "DEFAULT_TECHNOLOGY_NM"]

#: ZigZag memory operand -> accel tensor role.
ZIGZAG_OPERANDS = {"I1": "input", "I2": "weight", "O": "output"}
#: Neither ZigZag nor Timeloop states a clock or a node: these defaults are used, and noted.
DEFAULT_CLOCK_MHZ = 1000.0
DEFAULT_TECHNOLOGY_NM = 28.0

_TOP = ("name", "memories", "operational_array", "dataflows")
_MEMORY = ("size", "r_cost", "w_cost", "area", "latency", "mem_type", "auto_cost_extraction", "operands", "ports",
           "served_dimensions", "force_double_buffering")
_MEMORY_REQUIRED = ("size", "latency", "operands", "ports", "served_dimensions")
_PORT = ("name", "type", "bandwidth_min", "bandwidth_max", "allocation")
_ARRAY = ("dimensions", "is_imc", "systolic_dimensions", "sizes", "input_precision", "unit_energy", "unit_area",
          "imc_type", "adc_resolution", "bit_serial_precision")
_MACS = {8: ("int8_mac", "int8", "int32"), 16: ("int16_mac", "int16", "int32")}


def _int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v


def _unknown(d: dict, allowed: tuple[str, ...], where: str, errors: list[tuple[str, str]]) -> None:
    for k in d:
        if k not in allowed:
            errors.append((f"{where}.{k}" if where else str(k), f"unknown key; ZigZag's keys here: {', '.join(allowed)}"))


class _Memory:
    def __init__(self, name: str, size: int, latency: int, operands: list[str], served: list[str], r_cost: YamlValue,
                 w_cost: YamlValue, read_bits: int, write_bits: int, word_bits: int, ports: int) -> None:
        self.name, self.size, self.latency, self.operands, self.served = name, size, latency, operands, served
        self.r_cost, self.w_cost = r_cost, w_cost
        self.read_bits, self.write_bits, self.word_bits, self.ports = read_bits, write_bits, word_bits, ports


def _ports(raw: YamlValue, where: str, errors: list[tuple[str, str]]) -> tuple[int, int, int, int] | None:
    if not isinstance(raw, list) or not raw:
        errors.append((where, f"a non-empty list of ports, not {raw!r}"))
        return None
    read = write = widest = 0
    ok = True
    for i, port in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(port, dict):
            errors.append((at, f"a port (name, type, bandwidth_min, bandwidth_max, allocation), not {port!r}"))
            ok = False
            continue
        _unknown(port, _PORT, at, errors)
        kind, bw = port.get("type"), port.get("bandwidth_max")
        if kind not in ("read", "write", "read_write"):
            errors.append((f"{at}.type", f"one of read, write, read_write, not {kind!r}"))
            ok = False
        if not _int(bw) or bw < 1:
            errors.append((f"{at}.bandwidth_max", f"a positive integer (bits per cycle), not {bw!r}"))
            ok = False
            continue
        if kind in ("read", "read_write"):
            read += bw
        if kind in ("write", "read_write"):
            write += bw
        widest = max(widest, bw)
    return (read, write, widest, len(raw)) if ok else None


def _memories(raw: YamlValue, dims: list[str], errors: list[tuple[str, str]], notes: list[str]) -> list[_Memory]:
    if not isinstance(raw, dict) or not raw:
        errors.append(("memories", f"a mapping of memory name -> memory, not {raw!r}"))
        return []
    out = []
    for name, mem in raw.items():
        where = f"memories.{name}"
        if not isinstance(mem, dict):
            errors.append((where, f"a memory (size, latency, operands, ports, served_dimensions, ...), not {mem!r}"))
            continue
        _unknown(mem, _MEMORY, where, errors)
        missing = [k for k in _MEMORY_REQUIRED if k not in mem]
        for k in missing:
            errors.append((f"{where}.{k}", "missing (ZigZag requires it)"))
        if missing:
            continue
        size, latency, operands, served = mem["size"], mem["latency"], mem["operands"], mem["served_dimensions"]
        ok = True
        if not _int(size) or size < 8:
            errors.append((f"{where}.size", f"a capacity in bits, at least 8, not {size!r}"))
            ok = False
        elif size % 8:
            errors.append((f"{where}.size", f"{size} bits is not a whole number of bytes (accel capacities are bytes)"))
            ok = False
        if not _int(latency) or latency < 0:
            errors.append((f"{where}.latency", f"a non-negative integer (cycles), not {latency!r}"))
            ok = False
        if not isinstance(operands, list) or not operands or any(o not in ZIGZAG_OPERANDS for o in operands):
            errors.append((f"{where}.operands", f"a non-empty list of {', '.join(ZIGZAG_OPERANDS)}, not {operands!r}"))
            ok = False
        if not isinstance(served, list) or any(d not in dims for d in served):
            errors.append((f"{where}.served_dimensions", f"a list of the array's dimensions ({', '.join(dims)}), not {served!r}"))
            ok = False
        elif served and set(served) != set(dims):
            errors.append((f"{where}.served_dimensions",
                           f"{served!r} serves some of the array's dimensions ({', '.join(dims)}) but not all: one "
                           "instance shared along those and private along the others, which accel's hierarchy (a "
                           "per-PE register file, then levels shared by the whole array) cannot represent"))
            ok = False
        for key in ("r_cost", "w_cost"):
            value = mem.get(key)
            if value is not None and (not _num(value) or value < 0):
                errors.append((f"{where}.{key}", f"pJ per access, a number >= 0, not {value!r}"))
                ok = False
        if mem.get("auto_cost_extraction"):
            notes.append(f"memories.{name}.auto_cost_extraction: ZigZag would ask CACTI for its costs; accel's "
                         "estimators answer instead (the CACTI plug-in where it is installed)")
        if mem.get("area"):
            notes.append(f"memories.{name}.area: not imported (accel's area estimators answer)")
        if mem.get("force_double_buffering"):
            notes.append(f"memories.{name}.force_double_buffering: accel double-buffers wherever a tile fits twice")
        ports = _ports(mem["ports"], f"{where}.ports", errors)
        if ports is None or not ok:
            continue
        read, write, widest, count = ports
        if not read or not write:
            errors.append((f"{where}.ports", f"needs a read and a write port (has {read} read and {write} write bits per cycle)"))
            continue
        out.append(_Memory(str(name), size, latency, list(operands), list(served), mem.get("r_cost"), mem.get("w_cost"),
                           read, write, widest, count))
    return out


def _order(memories: list[_Memory], errors: list[tuple[str, str]]) -> list[_Memory]:
    """Shared memories innermost first, consistent with every operand's hierarchy (file order per operand)."""
    before: dict[str, set[str]] = {m.name: set() for m in memories}
    for op in ZIGZAG_OPERANDS:
        chain = [m.name for m in memories if op in m.operands]
        for inner, outer in zip(chain, chain[1:]):
            before[outer].add(inner)
    done: list[_Memory] = []
    left = list(memories)
    while left:
        ready = [m for m in left if before[m.name] <= {d.name for d in done}]
        if not ready:
            errors.append(("memories", "the operands' hierarchies contradict each other (memories "
                                       f"{', '.join(m.name for m in left)} each sit inside another for some operand)"))
            return done
        done.append(ready[0])
        left.remove(ready[0])
    return done


def from_zigzag(data: YamlValue, source: str, notes: list[str] | None = None, *, clock_mhz: float | None = None,
                technology_nm: float | None = None) -> PeerImport:
    """Translate a ZigZag hardware spec's data (see the module docstring).

    Raises
    ------
    SpecError
        Listing every key that is malformed or cannot be expressed, each with its path.
    """
    notes = list(notes or [])
    errors: list[tuple[str, str]] = []
    what = "ZigZag hardware spec"
    if not isinstance(data, dict):
        raise SpecError([("", f"a mapping with keys name, memories, operational_array, not {type(data).__name__}")], source, what)
    _unknown(data, _TOP, "", errors)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        errors.append(("name", f"a non-empty string, not {name!r}"))
    oa = data.get("operational_array")
    dims: list[str] = []
    sizes: list[int] = []
    if not isinstance(oa, dict):
        errors.append(("operational_array", f"a mapping (dimensions, sizes, unit_energy, ...), not {oa!r}"))
        oa = {}
    else:
        _unknown(oa, _ARRAY, "operational_array", errors)
        if oa.get("is_imc"):
            errors.append(("operational_array.is_imc", "in-memory compute arrays cannot be expressed in accel"))
        dims, sizes = oa.get("dimensions"), oa.get("sizes")
        if not isinstance(dims, list) or not 1 <= len(dims) <= 2 or len(set(dims)) != len(dims):
            errors.append(("operational_array.dimensions",
                           f"one or two distinct dimensions (accel's PE array has rows and columns), not {dims!r}"))
            dims = []
        if dims and (not isinstance(sizes, list) or len(sizes) != len(dims) or not all(_int(s) and s >= 1 for s in sizes)):
            errors.append(("operational_array.sizes", f"a positive size per dimension, not {sizes!r}"))
            sizes = []
        systolic = oa.get("systolic_dimensions") or []
        if not isinstance(systolic, list) or any(d not in dims for d in systolic):
            errors.append(("operational_array.systolic_dimensions", f"a list of the array's dimensions, not {systolic!r}"))
        elif systolic and set(systolic) != set(dims):
            notes.append(f"operational_array.systolic_dimensions {systolic!r}: accel's network is one kind for the "
                         "whole array, systolic here")
        precision = oa.get("input_precision", [8, 8])
        if not isinstance(precision, list) or len(precision) != 2 or precision[0] != precision[1] or precision[0] not in _MACS:
            errors.append(("operational_array.input_precision",
                           f"equal operand widths of {' or '.join(map(str, _MACS))} bits, not {precision!r}"))
        unit_energy = oa.get("unit_energy")
        if unit_energy is not None and (not _num(unit_energy) or unit_energy < 0):
            errors.append(("operational_array.unit_energy", f"pJ per MAC, a number >= 0, not {unit_energy!r}"))
    if "dataflows" in data:
        notes.append("dataflows: not imported (accel's mapper chooses the spatial unrolling; constrain it with "
                     "pe_array.row_ranks / col_ranks)")
    memories = _memories(data.get("memories"), dims, errors, notes) if dims else []
    if errors:
        raise SpecError(errors, source, what)
    per_pe = [m for m in memories if not m.served]
    shared = _order([m for m in memories if m.served], errors)
    for op, role in ZIGZAG_OPERANDS.items():
        chain = [m for m in memories if op in m.operands]
        inner = [m.name for m in chain if not m.served]
        if len(inner) > 1:
            errors.append((f"memories.{inner[1]}.served_dimensions",
                           f"a second per-PE memory for operand {op} ({inner[0]} is one): accel's PEs have one register file"))
        seen_shared = False
        for m in chain:
            if m.served:
                seen_shared = True
            elif seen_shared:
                errors.append((f"memories.{m.name}.served_dimensions",
                               f"a per-PE memory above a shared one for operand {op}: accel's register file is innermost"))
    if not per_pe:
        errors.append(("memories", "no per-PE memory (served_dimensions: []): accel's PEs have a register file"))
    if not shared:
        errors.append(("memories", "no memory shared by the whole array: the outermost one becomes DRAM"))
    elif set(shared[-1].operands) != set(ZIGZAG_OPERANDS):
        errors.append((f"memories.{shared[-1].name}.operands",
                       f"the outermost memory becomes DRAM and must hold every operand ({', '.join(ZIGZAG_OPERANDS)}), "
                       f"not {shared[-1].operands!r}"))
    if errors:
        raise SpecError(errors, source, what)

    def roles(m: _Memory) -> tuple[str, ...]:
        return tuple(ZIGZAG_OPERANDS[o] for o in ZIGZAG_OPERANDS if o in m.operands)

    spec = f"ZigZag hardware spec {source}"
    energy: list[dict] = []
    kind, fmt, acc = _MACS[oa.get("input_precision", [8, 8])[0]]
    if oa.get("unit_energy") is not None:
        energy.append({"component": "mac", "action": "compute", "match": {"kind": kind}, "pJ": float(oa["unit_energy"]),
                       "source": f"{spec}: operational_array.unit_energy"})
    rf_roles = tuple(r for m in per_pe for r in roles(m))
    rf = RegisterFile(sum(m.size for m in per_pe) // 8, max(m.word_bits for m in per_pe), rf_roles)
    if len(per_pe) > 1:
        notes.append(f"memories {', '.join(m.name for m in per_pe)}: per-PE memories of different operands, merged "
                     f"into one register file of {rf.capacity} bytes holding {', '.join(rf_roles)} (accel's PE has "
                     "one); its energy per access comes from accel's estimators, as one register file has one cost")
    else:
        m = per_pe[0]
        for key, action in (("r_cost", "read"), ("w_cost", "write")):
            cost = getattr(m, key)
            if cost is not None:
                energy.append({"component": "regfile", "action": action, "pJ": float(cost),
                               "source": f"{spec}: memories.{m.name}.{key} per {m.word_bits}-bit access"})
    levels = []
    for m in shared[:-1]:
        if m.name in RESERVED_LEVEL_NAMES or not m.name.isidentifier():
            raise SpecError([(f"memories.{m.name}", f"becomes an accel level, whose name must be an identifier other "
                                                    f"than {', '.join(sorted(RESERVED_LEVEL_NAMES))}")], source, what)
        levels.append(MemoryLevel(m.name, m.size // 8, m.word_bits, m.read_bits / 8, m.write_bits / 8,
                                  ports=m.ports, banks=1, holds=roles(m), latency=m.latency))
        for key, action in (("r_cost", "read"), ("w_cost", "write")):
            cost = getattr(m, key)
            if cost is not None:
                energy.append({"component": "sram", "action": action, "match": {"level": m.name}, "pJ": float(cost),
                               "source": f"{spec}: memories.{m.name}.{key} per {m.word_bits}-bit access"})
    top = shared[-1]
    if top.read_bits != top.write_bits:
        notes.append(f"memories.{top.name}: DRAM takes one bandwidth, the read ports' ({top.read_bits} bits per cycle)")
    dram = DRAM(top.read_bits / 8, top.latency)
    for key, action in (("r_cost", "read"), ("w_cost", "write")):
        cost = getattr(top, key)
        if cost is not None:
            energy.append({"component": "dram", "action": action, "pJ": float(cost) / (top.word_bits / 8),
                           "source": f"{spec}: memories.{top.name}.{key} per {top.word_bits}-bit access, per byte"})
    energy.append({"component": "noc", "action": "hop", "pJ": 0.0,
                   "source": f"{spec}: ZigZag charges no energy for moving operands between PEs"})
    notes.append(f"memories.{top.name}: the outermost memory becomes DRAM, whose capacity accel does not bound")
    notes.append("memories: bandwidth_min (ZigZag's access granularity) is not imported; accel moves whole tiles "
                 "at bandwidth_max")
    if clock_mhz is None:
        notes.append(f"clock_mhz: ZigZag states none; {DEFAULT_CLOCK_MHZ:g} MHz (cycle counts do not depend on it)")
    if technology_nm is None:
        notes.append(f"technology_nm: ZigZag states none; {DEFAULT_TECHNOLOGY_NM:g} nm (used only by actions the "
                     "spec gives no energy for)")
    rows = sizes[0]
    cols = sizes[1] if len(sizes) > 1 else 1
    systolic = bool(oa.get("systolic_dimensions"))
    notes.append(f"pe_array: {rows} x {cols} ({'x'.join(dims)}), network {'systolic' if systolic else 'broadcast'}, "
                 "dataflow flexible (ZigZag's temporal mapping decides what stays in the PEs)")
    try:
        arch = Architecture(
            name=name, clock_mhz=float(clock_mhz or DEFAULT_CLOCK_MHZ),
            technology_nm=float(technology_nm or DEFAULT_TECHNOLOGY_NM),
            pe_array=PEArray(rows, cols, network="systolic" if systolic else "broadcast", hop_latency=1, dataflow="flexible"),
            register_file=rf, levels=tuple(levels), dram=dram, arith=ArithmeticUnit(kind, fmt, acc),
            description=f"imported from {source} (ZigZag hardware spec)",
        )
    except ValueError as exc:  # a name accel does not take (a level name that is no identifier, ...)
        raise SpecError([("memories", str(exc))], source, what) from None
    table = {"name": f"zigzag_{name}", "accuracy": 100, "source": spec, "energy": energy}
    return PeerImport(arch, UserTableEstimator.from_dict(table, source), tuple(notes), "zigzag", source, table)

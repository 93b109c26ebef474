"""A GPU seen through the architecture spec: the whole chip and the slice one SM owns.

The spec describes the chip (``accel/examples/h100.yaml``): the PE array's
rows are SMs and its columns the tensor cores of one SM.  A CTA (thread
block) runs on one SM, so per-CTA costs are evaluated by :mod:`sim.analytical`
on the *SM slice*: the same spec with one PE row and, per SM, ``1/rows`` of
every memory level's capacity and bandwidth, of the HBM bandwidth and of the
vector unit's lanes (:func:`accel.derive` builds it).

Precisions: the spec has one arithmetic unit (BF16 tensor cores).  The FP8
E4M3 variant is derived from it with twice the MACs per clock per tensor
core, the ratio of the dense FP8 to dense BF16 peaks of the H100 whitepaper
(1978.9 / 989.4 TFLOP/s); see :data:`PRECISIONS`.

Energy estimators answer only for 7-180 nm; the H100 is 4N.  The SM slice is
therefore evaluated at ``technology_nm = 7`` so that :mod:`sim.analytical` can
build its energy table; the calibration reports times only and never uses
those energies.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import resources

from accel import Architecture, derive, load_architecture

from ._errors import CalibrationError

__all__ = ["PRECISIONS", "Precision", "GPUModel", "gpu_model", "load_gpu", "H100_SPEC", "SPECS", "DEVICES", "device_gpu"]


@dataclass(frozen=True)
class Precision:
    """A tensor-core datatype: how its arithmetic unit derives from the spec's.

    Parameters
    ----------
    name : str
        ``'bf16'`` or ``'fp8_e4m3'``.
    arith_kind, input_format : str
        The ``arith`` fields of the derived architecture.
    rate_ratio : int
        MACs per clock relative to the spec's unit.
    operand_bytes : int
        Bytes of one input element in memory.
    source : str
        Where the ratio comes from.
    """

    name: str
    arith_kind: str
    input_format: str
    rate_ratio: int
    operand_bytes: int
    source: str


#: The tensor-core datatypes the calibration models.
PRECISIONS: dict[str, Precision] = {
    "bf16": Precision("bf16", "bf16_mac", "bf16", 1, 2, "the spec's arithmetic unit"),
    "fp8_e4m3": Precision(
        "fp8_e4m3", "fp8_mac", "e4m3", 2, 1,
        "H100 whitepaper: dense FP8 1978.9 TFLOP/s = 2 x dense BF16 989.4 TFLOP/s per clock",
    ),
}

#: Path of the H100 spec inside the ``accel`` package.
H100_SPEC = "h100.yaml"
#: The shipped GPU specs (``accel/examples``), by short name.
SPECS: dict[str, str] = {"h100": H100_SPEC, "h200": "h200.yaml"}
#: Device names as measurement files record them (``torch.cuda.get_device_properties(0).name``) -> spec.
DEVICES: dict[str, str] = {"NVIDIA H100 80GB HBM3": "h100", "NVIDIA H200": "h200"}

_ENERGY_NODE_NM = 7.0


@dataclass(frozen=True)
class GPUModel:
    """The chip and its per-SM slices.

    Parameters
    ----------
    arch : accel.Architecture
        The whole chip (rows = SMs, cols = tensor cores per SM).

    Raises
    ------
    CalibrationError
        If the architecture has no vector unit (soft-max and element-wise
        kernels run on it) or fewer than two PE rows.
    """

    arch: Architecture

    def __post_init__(self) -> None:
        if not isinstance(self.arch, Architecture):
            raise TypeError(f"GPUModel needs an accel.Architecture, not {self.arch!r}")
        if self.arch.vector_unit is None:
            raise CalibrationError(f"architecture {self.arch.name!r} has no vector_unit; a GPU model needs its CUDA cores as one")
        if self.arch.pe_array.rows < 2:
            raise CalibrationError(
                f"architecture {self.arch.name!r}: pe_array.rows must count the SMs (>= 2), not {self.arch.pe_array.rows!r}"
            )

    @property
    def sms(self) -> int:
        """Streaming multiprocessors (PE rows)."""
        return self.arch.pe_array.rows

    @property
    def clock_hz(self) -> float:
        """Clock in Hz."""
        return self.arch.clock_hz

    @property
    def hbm_bytes_per_second(self) -> float:
        """Peak off-chip bandwidth."""
        return self.arch.dram_bytes_per_second

    def peak_flops(self, precision: str) -> float:
        """Peak dense tensor FLOP/s of the chip for ``precision``."""
        return self.arch.peak_ops_per_second * _precision(precision).rate_ratio

    def sm_arch(self, precision: str) -> Architecture:
        """The slice of one SM with the arithmetic unit of ``precision`` (cached)."""
        return _sm_slice(self.arch, precision)


def _precision(name: str) -> Precision:
    try:
        return PRECISIONS[name]
    except KeyError:
        raise CalibrationError(f"unknown precision {name!r}; known: {', '.join(PRECISIONS)}") from None


@functools.lru_cache(maxsize=16)
def _sm_slice(arch: Architecture, precision: str) -> Architecture:
    p = _precision(precision)
    rows = arch.pe_array.rows
    changes: dict[str, object] = {"pe_array.rows": 1, "technology_nm": _ENERGY_NODE_NM, "dram.bandwidth": arch.dram.bandwidth / rows}
    for i, lvl in enumerate(arch.levels):
        changes[f"levels[{i}].capacity"] = max(1, lvl.capacity // rows)
        changes[f"levels[{i}].read_bandwidth"] = lvl.read_bandwidth / rows
        changes[f"levels[{i}].write_bandwidth"] = lvl.write_bandwidth / rows
        changes[f"levels[{i}].banks"] = max(1, lvl.banks // rows)
    changes["vector_unit.lanes"] = max(1, arch.vector_unit.lanes // rows)
    if p.arith_kind != arch.arith.kind or p.rate_ratio != 1:
        changes.update({
            "arith.kind": p.arith_kind,
            "arith.input_format": p.input_format,
            "arith.accumulate_format": "fp32",
            "arith.macs_per_cycle": arch.arith.macs_per_cycle * p.rate_ratio,
        })
    return derive(arch, changes)


def gpu_model(arch: Architecture) -> GPUModel:
    """The :class:`GPUModel` of a chip architecture.

    Parameters
    ----------
    arch : accel.Architecture

    Raises
    ------
    CalibrationError
        See :class:`GPUModel`.
    """
    return GPUModel(arch)


def load_gpu(name_or_path: str | os.PathLike[str] = "h100") -> GPUModel:
    """Load a GPU architecture: a shipped spec (``'h100'``, ``'h200'``: :data:`SPECS`) or a path to a spec file.

    Parameters
    ----------
    name_or_path : str or PathLike

    Raises
    ------
    FileNotFoundError
        For a path that does not exist.
    accel.SpecError
        For an invalid spec.
    CalibrationError
        See :class:`GPUModel`.
    """
    name = os.fspath(name_or_path)
    if name in SPECS:
        return _shipped(name)
    return GPUModel(load_architecture(name_or_path))


@functools.lru_cache(maxsize=None)
def _shipped(name: str) -> GPUModel:
    with resources.as_file(resources.files("accel").joinpath("examples", SPECS[name])) as path:
        return GPUModel(load_architecture(path))


def device_gpu(device: str, source: str = "<data>") -> GPUModel:
    """The shipped GPU model of a measurement file's ``device`` (:data:`DEVICES`).

    Raises
    ------
    CalibrationError
        For a device no shipped spec describes, naming the file and the device.
    """
    if device not in DEVICES:
        known = ", ".join(f"{d!r} ({s})" for d, s in DEVICES.items())
        raise CalibrationError(f"{source}: 'device' {device!r} is not a modelled GPU; known devices: {known}"
                               " (or pass an architecture explicitly)")
    return load_gpu(DEVICES[device])

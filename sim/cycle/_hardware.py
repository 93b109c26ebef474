"""The simulated hardware: DRAM and its DMA engines, banked on-chip levels, the PE array.

Every component is a set of SimPy resources; a transfer or a fold holds the
resources it uses for a burst of cycles computed in closed form, so one
event covers a whole tile transfer or run of folds.

* DRAM: one bus of ``dram.bandwidth`` bytes per cycle, ``dram.latency``
  cycles from request to first byte.  DMA engines (``dma_channels``) carry
  transfers; a channel waits out the latency without holding the bus, so
  outstanding requests overlap their latencies and only the bursts serialize.
* On-chip level: ``banks`` banks, each with ``read_bandwidth / banks`` and
  ``write_bandwidth / banks`` bytes per cycle.  With ``ports >= 2`` a bank has
  a read port and a write port that work at once; with one port reads and
  writes share it.  A tensor lives in one bank (tensors are dealt to banks in
  order of first use), and its capacity is a pool of bytes tiles are taken
  from and returned to.
* The PE array: one resource; a run of folds holds it and the read/write
  ports of the banks it streams from and to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import simpy

__all__ = ["HardwareConfig", "Level", "Hardware"]


@dataclass(frozen=True)
class HardwareConfig:
    """Knobs of the simulated hardware that the architecture spec does not fix.

    Parameters
    ----------
    dma_channels : int
        DMA engines between DRAM and the chip; each carries one transfer at a
        time (the number of outstanding requests).
    prefetch_depth : int
        Tile steps the loader may run ahead of the PE array (1: double
        buffering, 0: loads and compute alternate).

    Raises
    ------
    ValueError
        For a non-positive channel count or a negative depth.
    """

    dma_channels: int = 2
    prefetch_depth: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.dma_channels, bool) or not isinstance(self.dma_channels, int) or self.dma_channels < 1:
            raise ValueError(f"HardwareConfig.dma_channels must be a positive integer, not {self.dma_channels!r}")
        if isinstance(self.prefetch_depth, bool) or not isinstance(self.prefetch_depth, int) or self.prefetch_depth < 0:
            raise ValueError(f"HardwareConfig.prefetch_depth must be a non-negative integer, not {self.prefetch_depth!r}")


class Level:
    """One banked on-chip level."""

    def __init__(self, env: simpy.Environment, spec: Any, order: int) -> None:
        self.name = spec.name
        self.order = order
        self.capacity = int(spec.capacity)
        self.space = simpy.Container(env, capacity=self.capacity, init=self.capacity)
        self.banks = int(spec.banks)
        self.read_bw = float(spec.read_bandwidth) / self.banks
        self.write_bw = float(spec.write_bandwidth) / self.banks
        self.latency = int(spec.latency)
        self.word_bits = int(spec.word_bits)
        self.read_ports: list[simpy.Resource] = []
        self.write_ports: list[simpy.Resource] = []
        for _ in range(self.banks):
            read = simpy.Resource(env, capacity=1)
            self.read_ports.append(read)
            self.write_ports.append(read if spec.ports < 2 else simpy.Resource(env, capacity=1))
        self.shared_port = spec.ports < 2
        self._bank_of: dict[str, int] = {}

    def bank(self, tensor: str) -> int:
        """The bank ``tensor`` lives in (dealt round-robin in order of first use)."""
        if tensor not in self._bank_of:
            self._bank_of[tensor] = len(self._bank_of) % self.banks
        return self._bank_of[tensor]

    def port(self, tensor: str, write: bool) -> tuple[tuple[int, int, int], simpy.Resource, str]:
        """Sort key, resource and track name of the port an access to ``tensor`` uses."""
        b = self.bank(tensor)
        if self.shared_port:
            return (self.order, b, 0), self.read_ports[b], f"{self.name}.bank{b}"
        if write:
            return (self.order, b, 1), self.write_ports[b], f"{self.name}.bank{b}.write"
        return (self.order, b, 0), self.read_ports[b], f"{self.name}.bank{b}.read"

    def cycles(self, nbytes: int, write: bool) -> int:
        """Cycles to move ``nbytes`` through one bank."""
        return math.ceil(nbytes / (self.write_bw if write else self.read_bw)) if nbytes else 0


class Hardware:
    """All simulated components of one architecture."""

    def __init__(self, env: simpy.Environment, arch: Any, config: HardwareConfig) -> None:
        self.env = env
        self.arch = arch
        self.config = config
        self.levels = {lvl.name: Level(env, lvl, i + 1) for i, lvl in enumerate(arch.levels)}
        self.dram_bw = float(arch.dram.bandwidth)
        self.dram_latency = int(arch.dram.latency)
        self.bus = simpy.Resource(env, capacity=1)
        self.channels = [simpy.Resource(env, capacity=1) for _ in range(config.dma_channels)]
        self.array = simpy.Resource(env, capacity=1)
        self._next_channel = 0

    def dram_cycles(self, nbytes: int) -> int:
        """Bus cycles of a burst of ``nbytes``."""
        return math.ceil(nbytes / self.dram_bw) if nbytes else 0

    def channel(self) -> tuple[int, simpy.Resource]:
        """The next DMA channel, round-robin (deterministic)."""
        i = self._next_channel
        self._next_channel = (i + 1) % len(self.channels)
        return i, self.channels[i]

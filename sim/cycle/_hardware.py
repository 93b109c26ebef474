"""The simulated hardware: DRAM and its DMA engines, banked on-chip levels, the PE array.

Every component is a set of SimPy resources; a transfer or a fold holds the
resources it uses for a burst of cycles computed in closed form, so one
event covers a whole tile transfer or run of folds.

* DRAM: one bus of ``dram.bandwidth`` bytes per cycle, ``dram.latency``
  cycles from request to first byte.  DMA engines (``dma_channels``) carry
  transfers, each taken by the lowest-numbered free engine; an engine waits
  out the latency without holding the bus, so outstanding requests overlap
  their latencies and only the bursts serialize.
* On-chip level: a read path and a write path that work at once (with
  ``ports >= 2``; a single port is shared by reads and writes), each access
  holding its path for its burst, so concurrent streams and DMA transfers
  contend.  Words are interleaved over the ``banks`` banks, each with
  ``read_bandwidth / banks`` (``write_bandwidth / banks``) bytes per cycle:
  a tile of ``w`` words is served by ``min(banks, w)`` banks, so small tiles
  get a fraction of the level's bandwidth.  The capacity is a pool of bytes
  tiles are taken from and returned to.
* The PE array: one resource; a run of folds holds the read/write paths of
  the levels it streams from and to for the cycles its bytes need.
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
    """One banked on-chip level: a read path and a write path (one shared path with a single port)."""

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
        self.shared_port = spec.ports < 2
        self.read_port = simpy.Resource(env, capacity=1)
        self.write_port = self.read_port if self.shared_port else simpy.Resource(env, capacity=1)
        self._spans: dict[str, int] = {}

    def note_tile(self, tensor: str, nbytes: int) -> None:
        """Record a tile of ``tensor``: its words are interleaved over ``min(banks, words)`` banks."""
        spans = min(self.banks, max(1, -(-nbytes * 8 // self.word_bits)))
        self._spans[tensor] = max(spans, self._spans.get(tensor, 1))

    def port(self, tensor: str, write: bool) -> tuple[tuple[int, int], simpy.Resource, str]:
        """Sort key, resource and track name of the path an access to ``tensor`` uses."""
        if self.shared_port:
            return (self.order, 0), self.read_port, f"{self.name}.port"
        if write:
            return (self.order, 1), self.write_port, f"{self.name}.write"
        return (self.order, 0), self.read_port, f"{self.name}.read"

    def rate(self, write: bool, tensor: str) -> float:
        """Bytes per cycle an access to ``tensor`` gets: the banks its tiles are interleaved over."""
        return (self.write_bw if write else self.read_bw) * self._spans.get(tensor, self.banks)

    def cycles(self, nbytes: int, write: bool, tensor: str) -> int:
        """Cycles to move ``nbytes`` of ``tensor``."""
        return math.ceil(nbytes / self.rate(write, tensor)) if nbytes else 0


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
        self.dma = simpy.Resource(env, capacity=config.dma_channels)
        self._free_channels = list(range(config.dma_channels))

    def dram_cycles(self, nbytes: int) -> int:
        """Bus cycles of a burst of ``nbytes``."""
        return math.ceil(nbytes / self.dram_bw) if nbytes else 0

    def take_channel(self) -> int:
        """The lowest-numbered free DMA channel (call once a ``dma`` request is granted)."""
        return self._free_channels.pop(0)

    def give_channel(self, channel: int) -> None:
        """Return a DMA channel to the free list."""
        self._free_channels.append(channel)
        self._free_channels.sort()

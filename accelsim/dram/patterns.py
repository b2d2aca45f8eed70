"""Access patterns: what a DMA engine asks of the DRAM, as requests and as the bursts they split into.

A pattern moves ``total_bytes`` in requests of ``request_bytes`` (each rounded up to whole bursts),
``write_fraction`` of the requests being writes, spread evenly (request k is a write when
⌊(k+1)·f⌋ > ⌊k·f⌋: f = 1/3 writes every third request). Addresses:

* ``sequential``: reads walk up from 0, writes from ``write_base`` (half the part plus half a row stride,
  so the two streams start in different banks), each request right after the previous one of its kind;
* ``strided``: the same, one request every ``stride_bytes``;
* ``random``: request-aligned addresses drawn uniformly over the part (numpy PCG64, ``seed``).

The same streams feed DRAMSim3 (``scripts/make_dramsim3_reference.py`` writes them as its traces) and both
of our models, so the figures compare like with like.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accelsim.base.errors import InputError
from accelsim.dram.address import layout
from accelsim.dram.part import MemorySystem

KINDS = ("sequential", "strided", "random")


#: Sizes beyond any memory system (1 PiB): addresses and burst counts stay far inside int64.
MAX_BYTES = 2**50
#: numpy's generators take seeds in [0, 2^64).
MAX_SEED = 2**64 - 1
#: DMA requests outstanding at most, as the hardware key ``dram.requests_in_flight`` takes (accelsim.hardware.limits);
#: the request-level model keeps the count in int64 (2^63 passed it: tests/test_fuzz_contracts.py).
MAX_IN_FLIGHT = 2**16


@dataclass(frozen=True)
class Pattern:
    """What moves and how it is requested.

    Attributes:
        kind: "sequential", "strided" or "random".
        total_bytes: useful bytes moved.
        request_bytes: bytes per DMA request (0: one burst).
        stride_bytes: strided only: distance between the starts of consecutive requests of one direction.
        write_fraction: share of the requests that are writes, 0..1.
        requests_in_flight: DMA requests outstanding at most (0: only the controller's queues limit).
        seed: random addresses.
    """

    kind: str = "sequential"
    total_bytes: int = 1 << 20
    request_bytes: int = 0
    stride_bytes: int = 0
    write_fraction: float = 0.0
    requests_in_flight: int = 0
    seed: int = 0

    def validate(self, source: str = "pattern") -> Pattern:
        if self.kind not in KINDS:
            raise InputError(source, "--pattern", f"expected one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.total_bytes <= 0:
            raise InputError(source, "--bytes", f"expected a positive number of bytes, got {self.total_bytes}")
        if self.request_bytes < 0:
            raise InputError(source, "--request-bytes", f"expected bytes >= 0, got {self.request_bytes}")
        if not 0.0 <= self.write_fraction <= 1.0:
            raise InputError(source, "--write-fraction", f"expected a fraction in [0, 1], got {self.write_fraction}")
        if not 0 <= self.requests_in_flight <= MAX_IN_FLIGHT:
            raise InputError(source, "--requests-in-flight", f"expected an integer in [0, {MAX_IN_FLIGHT}] (0: no "
                                                             f"limit), got {self.requests_in_flight}")
        for flag, v in (("--bytes", self.total_bytes), ("--request-bytes", self.request_bytes),
                        ("--stride", self.stride_bytes)):
            if v > MAX_BYTES:
                raise InputError(source, flag, f"expected at most 2^50 bytes (1 PiB), got {v}")
        if not 0 <= self.seed <= MAX_SEED:
            raise InputError(source, "--seed", f"expected an integer in [0, 2^64 - 1], got {self.seed}")
        return self


@dataclass(frozen=True)
class BurstStream:
    """A pattern as bursts in issue order (arrays of shape (n_bursts,)).

    Attributes:
        addr: byte address of each burst (burst-aligned).
        is_write: direction of each burst.
        request: index of the DMA request each burst belongs to (non-decreasing).
        useful_bytes: bytes the pattern asked for (≤ bursts · burst_bytes).
        n_requests: DMA requests.
    """

    addr: np.ndarray
    is_write: np.ndarray
    request: np.ndarray
    useful_bytes: int
    n_requests: int


def request_bus_bytes(pattern: Pattern, burst_bytes: int) -> int:
    """A request's size on the bus: ``request_bytes`` rounded up to whole bursts (one burst if 0)."""
    r = pattern.request_bytes or burst_bytes
    return math.ceil(r / burst_bytes) * burst_bytes


def write_mask(n_requests: int, write_fraction: float) -> np.ndarray:
    """Request k is a write when ⌊(k+1)·f⌋ > ⌊k·f⌋ (writes spread evenly)."""
    k = np.arange(n_requests, dtype=np.float64)
    return np.floor((k + 1) * write_fraction + 1e-9) > np.floor(k * write_fraction + 1e-9)


def burst_stream(pattern: Pattern, mem: MemorySystem, source: str = "pattern") -> BurstStream:
    """Expand a pattern into the bursts a DMA engine issues, in order."""
    pattern.validate(source)
    org = mem.part.org
    burst = org.burst_bytes
    rb = request_bus_bytes(pattern, burst)
    req_bytes = pattern.request_bytes or burst
    n_req = math.ceil(pattern.total_bytes / req_bytes)
    capacity = org.capacity_bytes
    if rb > capacity // 4:
        raise InputError(source, "--request-bytes", f"expected at most a quarter of the part ({capacity // 4} B)")
    w = write_mask(n_req, pattern.write_fraction)
    lay = layout(org, mem.controller.address_map)
    write_base = capacity // 2 + lay.stride_bytes("ro") // 2
    if pattern.kind == "random":
        rng = np.random.default_rng(pattern.seed)
        start = rng.integers(0, capacity // rb, size=n_req, dtype=np.int64) * rb
    else:
        step = rb
        if pattern.kind == "strided":
            step = pattern.stride_bytes
            if step < rb or step % burst:
                raise InputError(source, "--stride", f"expected a multiple of the burst ({burst} B) of at least the "
                                                     f"request ({rb} B), got {pattern.stride_bytes}")
        # index of each request among those of its own direction
        nth = np.where(w, np.cumsum(w) - 1, np.cumsum(~w) - 1).astype(np.int64)
        start = np.where(w, write_base, 0) + nth * step
        if int(start.max()) + rb > capacity:
            raise InputError(source, "--bytes", f"the pattern runs past the end of the part ({capacity} B)")
    # bursts per request: the last one may be shorter
    sizes = np.full(n_req, req_bytes, dtype=np.int64)
    sizes[-1] = pattern.total_bytes - req_bytes * (n_req - 1)
    nb = -(-sizes // burst)
    request = np.repeat(np.arange(n_req, dtype=np.int64), nb)
    first = np.cumsum(nb) - nb
    offset = (np.arange(request.size, dtype=np.int64) - first[request]) * burst
    addr = (start[request] + offset) % capacity
    return BurstStream(addr=addr, is_write=w[request], request=request, useful_bytes=int(pattern.total_bytes),
                       n_requests=int(n_req))


def dramsim3_trace_lines(stream: BurstStream) -> list[str]:
    """DRAMSim3's trace format: ``0xADDR READ|WRITE CYCLE``; cycle 0 = issue as soon as accepted."""
    ops = np.where(stream.is_write, "WRITE", "READ")
    return [f"{a:#x} {o} 0" for a, o in zip(stream.addr.tolist(), ops.tolist(), strict=True)]

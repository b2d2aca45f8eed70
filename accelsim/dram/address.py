"""Address map: which bits of a byte address select channel, rank, bank group, bank, row and column.

As in DRAMSim3: the bits below one burst (``log2(burst_bytes)``) are dropped, then the six fields are laid
out least significant last in the order the map names them. The column field counts bursts within a row
(``log2(bursts_per_row)`` bits), so ``co`` lowest means a stream reads a whole row before it moves on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.dram.part import DRAMOrganisation, parse_address_map


def _log2(n: int) -> int:
    return int(n).bit_length() - 1


@dataclass(frozen=True)
class AddressLayout:
    """Bit position and width of every field, after dropping ``shift`` burst-offset bits."""

    shift: int
    pos: dict[str, int]
    width: dict[str, int]

    def stride_bytes(self, fld: str) -> int:
        """Bytes between consecutive values of one field (e.g. the next row of the same bank)."""
        return 1 << (self.shift + self.pos[fld])


def layout(org: DRAMOrganisation, address_map: str) -> AddressLayout:
    widths = {"ch": _log2(org.channels), "ra": _log2(org.ranks), "bg": _log2(org.bankgroups),
              "ba": _log2(org.banks_per_group), "ro": _log2(org.rows), "co": _log2(org.bursts_per_row)}
    pos, p = {}, 0
    for fld in reversed(parse_address_map(address_map)):
        pos[fld] = p
        p += widths[fld]
    return AddressLayout(shift=_log2(org.burst_bytes), pos=pos, width=widths)


@dataclass(frozen=True)
class Decoded:
    """Per-address fields, each an int64 array of the addresses' shape.

    ``bank`` is the bank's index within its channel: (rank · bankgroups + bankgroup) · banks_per_group + bank.
    """

    channel: np.ndarray
    rank: np.ndarray
    bankgroup: np.ndarray
    bank: np.ndarray
    row: np.ndarray
    column: np.ndarray


def decode(addr: np.ndarray, org: DRAMOrganisation, lay: AddressLayout) -> Decoded:
    """Split byte addresses (int64 array) into DRAM coordinates."""
    a = np.asarray(addr, dtype=np.int64) >> lay.shift

    def f(name: str) -> np.ndarray:
        return (a >> lay.pos[name]) & ((1 << lay.width[name]) - 1)

    rank, bg, ba = f("ra"), f("bg"), f("ba")
    bank = (rank * org.bankgroups + bg) * org.banks_per_group + ba
    return Decoded(channel=f("ch"), rank=rank, bankgroup=bg, bank=bank, row=f("ro"), column=f("co"))

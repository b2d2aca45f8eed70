"""Stored bytes, metadata and decode work of every weight format: the one place that computes them.

The simulator (dense versus compressed transfers) and gst_train (the compression ratio it logs) both call
these functions, so training and simulation agree on what "compressed" costs.

A weight tensor is stored ``[rows, cols] = [out, in]``. Every function here accepts Python ints or NumPy
integer arrays of equal shape (element-wise), so one code path serves a single tensor and a whole trace.

Formats and what the trace records for them (``stored_values`` = values held in memory, padding included;
``nnz_units`` = the kept units: elements, groups or blocks):

========  ====================================  ============================================  ==========================
scheme    stored_values                         metadata bytes                                decoded values
========  ====================================  ============================================  ==========================
dense     rows·cols                             0                                             0 (no decode)
bc(b)     ceil(rows/b)·ceil(cols/b)·b           0 (index pattern implied)                     stored_values·b
group     nnz_groups·gr·gc                      ceil(ceil(rows/gr)·ceil(cols/gc) / 8) bitmap  stored_values
bitmap    nnz                                   ceil(rows·cols / 8)                           stored_values
csr       nnz                                   nnz·idx_bytes + (rows+1)·4, idx 2 B if cols   stored_values
                                                ≤ 65536 else 4 B
nm(N:M)   rows·ceil(cols/M)·N                   ceil(stored_values·ceil(log2 M) / 8)           stored_values
========  ====================================  ============================================  ==========================
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from accelsim.base.errors import InputError

#: Scheme names in code order (the code is what the engines see).
SCHEMES: tuple[str, ...] = ("dense", "bc", "group", "bitmap", "csr", "nm")
SCHEME_CODE: dict[str, int] = {name: i for i, name in enumerate(SCHEMES)}
DENSE, BC, GROUP, BITMAP, CSR, NM = range(len(SCHEMES))

#: Value widths of the dtypes a trace may name.
DTYPE_BITS: dict[str, int] = {"fp32": 32, "bf16": 16, "fp16": 16, "int8": 8}

#: Bytes of one CSR row pointer.
CSR_ROWPTR_BYTES = 4


def _cdiv(a, b):
    """Ceiling division for ints or integer arrays (b > 0)."""
    return -(-a // b)


def scheme_code(name: str, source: str = "", field: str = "scheme") -> int:
    """Code of scheme ``name``; an unknown name is an :class:`InputError`."""
    try:
        return SCHEME_CODE[name]
    except KeyError:
        raise InputError(source, field, f"unknown scheme {name!r}; expected one of {', '.join(SCHEMES)}") from None


@dataclass(frozen=True)
class Format:
    """How one weight tensor is stored: its scheme, the scheme's parameters, and how many units it keeps.

    The one format record: gst_train describes its layers with it, the canonical TD3 step
    (:mod:`accelsim.trace.td3_step`) writes it into every weight-side transaction, and the trace stores its fields
    as columns of the same names.

    Attributes:
        scheme: one of :data:`SCHEMES`.
        block_size: block-circulant block size b (bc).
        group_rows, group_cols: group shape gr×gc (group; 1×g groups along the input dimension by default).
        nm_n, nm_m: N kept of every M consecutive input weights (nm).
        nnz_units: kept units (elements for bitmap/csr, groups for group, blocks for bc); -1 = all of them.
    Parameters that do not apply are 0.
    """

    scheme: str = "dense"
    block_size: int = 0
    group_rows: int = 0
    group_cols: int = 0
    nm_n: int = 0
    nm_m: int = 0
    nnz_units: int = -1

    @property
    def code(self) -> int:
        return scheme_code(self.scheme)

    def all_units(self, rows: int, cols: int) -> int:
        """Units of a [rows, cols] tensor when everything is kept."""
        if self.code == GROUP:
            return int(_cdiv(rows, self.group_rows) * _cdiv(cols, self.group_cols))
        if self.code == BC:
            return int(_cdiv(rows, self.block_size) * _cdiv(cols, self.block_size))
        return rows * cols

    def resolved(self, rows: int, cols: int) -> Format:
        """This format with ``nnz_units`` made concrete for a [rows, cols] tensor."""
        return self if self.nnz_units >= 0 else replace(self, nnz_units=self.all_units(rows, cols))

    def resolve(self, rows: int, cols: int) -> tuple[int, int]:
        """(stored_values, nnz_units) of a [rows, cols] tensor in this format."""
        nnz = self.resolved(rows, cols).nnz_units
        sv = expected_stored_values(self.code, rows, cols, nnz, self.block_size, self.group_rows, self.group_cols,
                                    self.nm_n, self.nm_m)
        return int(sv), nnz


DENSE_FORMAT = Format()


def expected_stored_values(code, rows, cols, nnz_units, block, group_rows, group_cols, nm_n, nm_m):
    """Stored value count a format implies for ``nnz_units`` kept units (see the module table)."""
    b = np.maximum(block, 1)
    gr = np.maximum(group_rows, 1)
    gc = np.maximum(group_cols, 1)
    m = np.maximum(nm_m, 1)
    dense = rows * cols
    bc = _cdiv(rows, b) * _cdiv(cols, b) * b
    group = nnz_units * gr * gc
    nm = rows * _cdiv(cols, m) * nm_n
    return np.select(
        [code == DENSE, code == BC, code == GROUP, code == NM],
        [dense, bc, group, nm],
        default=nnz_units,
    )


def metadata_bytes(code, rows, cols, stored_values, group_rows, group_cols, nm_m):
    """Bytes of index metadata (bitmaps, CSR indices, N:M position codes) for one tensor."""
    gr = np.maximum(group_rows, 1)
    gc = np.maximum(group_cols, 1)
    groups = _cdiv(rows, gr) * _cdiv(cols, gc)
    idx_bytes = np.where(cols <= 65536, 2, 4)
    # ceil(log2 M) bits of position per kept value; M = 1 needs none.
    m = np.maximum(nm_m, 1)
    pos_bits = np.ceil(np.log2(m)).astype(np.int64)
    return np.select(
        [code == GROUP, code == BITMAP, code == CSR, code == NM],
        [
            _cdiv(groups, 8),
            _cdiv(rows * cols, 8),
            stored_values * idx_bytes + (rows + 1) * CSR_ROWPTR_BYTES,
            _cdiv(stored_values * pos_bits, 8),
        ],
        default=0,
    )


def value_bytes(stored_values, value_bits):
    """Bytes of stored values (rounded up to whole bytes per tensor)."""
    return _cdiv(stored_values * value_bits, 8)


def stored_bytes(code, rows, cols, stored_values, value_bits, group_rows=0, group_cols=0, nm_m=0):
    """Total stored bytes (values + metadata) of a tensor in its recorded format."""
    return value_bytes(stored_values, value_bits) + metadata_bytes(
        code, rows, cols, stored_values, group_rows, group_cols, nm_m
    )


def dense_bytes(rows, cols, value_bits):
    """Bytes of the same tensor stored dense in its dtype (BC layers count their expanded values)."""
    return value_bytes(rows * cols, value_bits)


def decoded_values(code, rows, cols, stored_values, block):
    """Values the decoder produces or scatters to hand a format to the PE array (0 for dense).

    BC expands every stored length-b vector into its b×b circulant block; sparse formats scatter each
    stored value once.
    """
    b = np.maximum(block, 1)
    bc = _cdiv(rows, b) * _cdiv(cols, b) * b * b
    return np.select([code == DENSE, code == BC], [0, bc], default=stored_values)


def compression_ratio(stored, dense) -> float:
    """1 − stored/dense bytes (0 for dense, → 1 for tiny storage). ``stored``, ``dense`` summed first."""
    total_dense = float(np.sum(dense))
    if total_dense <= 0:
        return 0.0
    return 1.0 - float(np.sum(stored)) / total_dense


@dataclass(frozen=True)
class CompressionRatio:
    """How much smaller a set of weights is stored than dense.

    Attributes:
        bytes: 1 − stored bytes / dense bytes; stored = values + metadata, biases counted dense on both sides.
        params: 1 − stored values / dense values, biases counted on both sides.
    """

    bytes: float
    params: float


def weight_compression(code, rows, cols, stored_values, value_bits, group_rows, group_cols, nm_m,
                       bias_values) -> CompressionRatio:
    """THE compression ratio of a set of weight tensors, one entry per tensor (arrays of equal shape).

    Training logs it (gst_train's ``Compressor.ratios``), ``accelsim validate`` and ``accelsim compare``
    report it (through :func:`accelsim.trace.analysis.segment_compression`): one definition, so they agree.
    Over the weights of all six networks (each target counted with its online network's
    storage), biases dense.
    """
    bias_b = bias_values * value_bits // 8
    stored_b = stored_bytes(code, rows, cols, stored_values, value_bits, group_rows, group_cols, nm_m) + bias_b
    dense_b = dense_bytes(rows, cols, value_bits) + bias_b
    dense_p = np.sum(rows * cols + bias_values)
    params = 1.0 - float(np.sum(stored_values + bias_values)) / float(dense_p) if dense_p > 0 else 0.0
    return CompressionRatio(compression_ratio(stored_b, dense_b), params)


#: Phases whose weight rows touch the master weights (the trace's phase names): the optimizer's update and
#: the Polyak update of the targets.
MASTER_PHASES: tuple[str, ...] = ("update", "polyak")
#: Tensors kept in the optimizer's type (the trace's tensor names): Adam's moments.
OPTIMIZER_TENSORS: tuple[str, ...] = ("adam_m", "adam_v")


@dataclass(frozen=True)
class Precision:
    """The types a chip stores and computes in, whatever type a trace was recorded in.

    Attributes:
        dtype: the datapath and storage type of weights (the working copy the PE array reads), gradients,
            activations and the replay batch.
        optimizer_dtype: the type of Adam's moments and of the master weights the optimizer and the Polyak
            update read and write (mixed-precision training keeps them wide: a bf16 weight cannot take a
            3e-4 Adam step or a tau = 0.005 Polyak step).

    Per trace row (arrays of the trace's ``tensor``, ``phase`` and ``direction`` names, shape (R,)):
    :meth:`value_bits` is the type a row's values are stored in; :meth:`cast_bits` is the type of the working
    copy that a master-weight write also writes when the two types differ (0 elsewhere): the update writes the
    new master weights and their cast to ``dtype`` in one transaction, sharing the metadata.
    """

    dtype: str = "fp32"
    optimizer_dtype: str = "fp32"

    def _master(self, tensor: np.ndarray, phase: np.ndarray) -> np.ndarray:
        return (tensor == "weight") & np.isin(phase, MASTER_PHASES)

    def value_bits(self, tensor: np.ndarray, phase: np.ndarray) -> np.ndarray:
        """Bits per stored value of each row: the optimizer's type for moments and master weights, else ``dtype``."""
        wide = self._master(tensor, phase) | np.isin(tensor, OPTIMIZER_TENSORS)
        return np.where(wide, DTYPE_BITS[self.optimizer_dtype], DTYPE_BITS[self.dtype]).astype(np.int64)

    def cast_bits(self, tensor: np.ndarray, phase: np.ndarray, direction: np.ndarray) -> np.ndarray:
        """Bits per value of the working copy written beside the master weights (0: no second copy)."""
        if self.dtype == self.optimizer_dtype:
            return np.zeros(len(tensor), dtype=np.int64)
        cast = self._master(tensor, phase) & (direction == "write")
        return np.where(cast, DTYPE_BITS[self.dtype], 0).astype(np.int64)


def encode_summary(fmt: Format, rows: int, cols: int, dtype: str = "fp32") -> dict[str, int]:
    """Stored values, value/metadata/total/dense bytes of one [rows, cols] tensor: the scalar form of the
    vectorised functions the reader and the workload use, for a user's own encoder and for the tests."""
    bits = DTYPE_BITS[dtype]
    sv, _ = fmt.resolve(rows, cols)
    vb = int(value_bytes(sv, bits))
    mb = int(metadata_bytes(fmt.code, rows, cols, sv, fmt.group_rows, fmt.group_cols, fmt.nm_m))
    return {"stored_values": sv, "value_bytes": vb, "meta_bytes": mb, "total_bytes": vb + mb,
            "dense_bytes": int(dense_bytes(rows, cols, bits))}

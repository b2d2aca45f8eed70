import numpy as np
import pytest

from accelsim.base.errors import InputError
from accelsim.trace import formats
from accelsim.trace.formats import Format, encode_summary


def test_dense_bytes_by_dtype():
    for dtype, bits in formats.DTYPE_BITS.items():
        s = encode_summary(Format(), 256, 17, dtype)
        assert s["total_bytes"] == 256 * 17 * bits // 8 == s["dense_bytes"]
        assert s["meta_bytes"] == 0


def test_block_circulant_stores_one_vector_per_block_with_padding():
    # 256x17 with b=8: ceil(256/8)=32 block rows, ceil(17/8)=3 block cols, 8 values each.
    s = encode_summary(Format("bc", block_size=8), 256, 17)
    assert s["stored_values"] == 32 * 3 * 8
    assert s["total_bytes"] == 32 * 3 * 8 * 4
    assert s["meta_bytes"] == 0
    # Square, divisible: exactly 1/b of dense.
    s = encode_summary(Format("bc", block_size=4), 256, 256)
    assert s["total_bytes"] * 4 == s["dense_bytes"]


def test_group_sparse_values_and_group_bitmap():
    s = encode_summary(Format("group", group_rows=1, group_cols=4, nnz_units=1000), 256, 256)
    assert s["stored_values"] == 4000
    assert s["meta_bytes"] == (256 * 64) // 8  # one bit per group
    assert s["total_bytes"] == 4000 * 4 + 2048


def test_bitmap_csr_nm():
    s = encode_summary(Format("bitmap", nnz_units=300), 100, 30)
    assert (s["stored_values"], s["meta_bytes"]) == (300, -(-3000 // 8))
    s = encode_summary(Format("csr", nnz_units=300), 100, 30)
    assert s["meta_bytes"] == 300 * 2 + 101 * 4  # 16-bit column indices, 32-bit row pointers
    s = encode_summary(Format("csr", nnz_units=10), 2, 70000)
    assert s["meta_bytes"] == 10 * 4 + 3 * 4  # wide rows need 32-bit indices
    s = encode_summary(Format("nm", nm_n=2, nm_m=4), 256, 256)
    assert s["stored_values"] == 256 * 128
    assert s["meta_bytes"] == 256 * 128 * 2 // 8  # 2 bits of position per kept value


def test_vectorised_equals_scalar():
    rng = np.random.default_rng(0)
    rows = rng.integers(1, 300, 50)
    cols = rng.integers(1, 300, 50)
    code = rng.integers(0, len(formats.SCHEMES), 50)
    for i in range(50):
        sv = int(formats.expected_stored_values(code[i], rows[i], cols[i], 7, 4, 1, 4, 2, 4))
        scalar = formats.stored_bytes(code[i], rows[i], cols[i], sv, 32, 1, 4, 4)
        vec = formats.stored_bytes(code, rows, cols,
                                   formats.expected_stored_values(code, rows, cols, 7, 4, 1, 4, 2, 4), 32, 1, 4, 4)
        assert vec[i] == scalar


def test_decoded_values():
    assert formats.decoded_values(formats.DENSE, 8, 8, 64, 0) == 0
    assert formats.decoded_values(formats.BC, 8, 8, 16, 4) == 64  # 4 blocks of 4x4 expanded
    assert formats.decoded_values(formats.GROUP, 8, 8, 12, 0) == 12


def test_compression_ratio():
    assert formats.compression_ratio([25], [100]) == pytest.approx(0.75)
    assert formats.compression_ratio([0], [0]) == 0.0


def test_unknown_scheme_is_input_error():
    with pytest.raises(InputError, match="unknown scheme 'zip'"):
        formats.scheme_code("zip", "t.parquet")

"""How a captured layer's weight is stored: its :class:`~accelsim.trace.formats.Format` and, when sparse, its
element mask ``[rows, cols]`` (``[out, in]``; conv: ``[C_out, C_in/groups·prod(kernel)]``).

In order of precedence:

1. a format the user declared for the layer (``Recorder(formats=...)``), or one a parametrization of its weight
   declares as its ``accelsim_format`` attribute (block-circulant, N:M, groups through
   ``torch.nn.utils.parametrize``); its kept units come from the weight's zeros (groups, elements) or are all
   of them (bc, nm, dense);
2. a mask from ``torch.nn.utils.prune`` (the ``weight_mask`` buffer): the sparse scheme (default bitmap) with the
   mask's nonzeros;
3. zeros found in the weight (looked for every ``scan_every`` steps): the sparse scheme when it stores fewer bytes
   than dense;
4. otherwise dense.

torch is needed only to call these (the tensors are the caller's); this module imports none.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from accelsim.trace import formats
from accelsim.trace.formats import DENSE_FORMAT, Format

#: The sparse schemes a mask may be stored in.
SPARSE_SCHEMES = ("bitmap", "csr")


def trained_parameter(module: Any, name: str) -> Any:
    """The trained parameter behind ``module.<name>`` (``name`` is "weight" or "bias"): ``<name>_orig`` under
    ``torch.nn.utils.prune``, the parametrization's ``original``, else the attribute itself (None when absent)."""
    orig = getattr(module, f"{name}_orig", None)
    if orig is not None:
        return orig
    par = getattr(module, "parametrizations", None)
    if par is not None and name in par:
        return par[name].original
    return getattr(module, name, None)


def parametrized_format(module: Any) -> Format | None:
    """A format that a parametrization of ``module.weight`` declares (its ``accelsim_format``), if any."""
    par = getattr(module, "parametrizations", None)
    if par is None or "weight" not in par:
        return None
    for p in par["weight"]:
        fmt = getattr(p, "accelsim_format", None)
        if isinstance(fmt, Format):
            return fmt
    return None


def prune_mask(module: Any) -> Any:
    """The ``torch.nn.utils.prune`` mask of ``module.weight`` (a tensor), or None."""
    return getattr(module, "weight_mask", None)


def _nonzero(weight: Any, rows: int, cols: int) -> np.ndarray:
    return (weight.detach() != 0).reshape(rows, cols).cpu().numpy()


def resolve_declared(fmt: Format, nonzero: np.ndarray | None, rows: int, cols: int) -> Format:
    """``fmt`` with its kept units counted from the weight's nonzeros where the scheme keeps a subset."""
    if fmt.nnz_units >= 0 or nonzero is None:
        return fmt.resolved(rows, cols)
    if fmt.code == formats.GROUP:
        gr, gc = fmt.group_rows, fmt.group_cols
        g = np.pad(nonzero, ((0, -rows % gr), (0, -cols % gc)))
        units = int(g.reshape(g.shape[0] // gr, gr, g.shape[1] // gc, gc).any(axis=(1, 3)).sum())
        return Format(**{**fmt.__dict__, "nnz_units": units})
    if fmt.code in (formats.BITMAP, formats.CSR):
        return Format(**{**fmt.__dict__, "nnz_units": int(nonzero.sum())})
    return fmt.resolved(rows, cols)


def sparse_pays(nnz: int, rows: int, cols: int, scheme: str, dtype: str) -> bool:
    """Whether ``scheme`` with ``nnz`` kept values stores fewer bytes than dense."""
    bits = formats.DTYPE_BITS[dtype]
    code = formats.SCHEME_CODE[scheme]
    sparse = formats.stored_bytes(code, rows, cols, nnz, bits)
    return int(sparse) < int(formats.dense_bytes(rows, cols, bits))


def layer_storage(module: Any, rows: int, cols: int, dtype: str, declared: Format | None, sparse_scheme: str,
                  scan: bool) -> tuple[Format, np.ndarray | None] | None:
    """The layer's (format, mask or None) now, or None when it cannot have changed since the last look (no
    declared format or prune mask, and ``scan`` is False)."""
    declared = declared or parametrized_format(module)
    if declared is not None:
        sparse_kind = declared.code in (formats.GROUP, formats.BITMAP, formats.CSR)
        nz = _nonzero(module.weight, rows, cols) if sparse_kind and declared.nnz_units < 0 else None
        fmt = resolve_declared(declared, nz, rows, cols)
        return fmt, nz if declared.code in (formats.BITMAP, formats.CSR) else None
    mask = prune_mask(module)
    if mask is not None:
        m = (mask.detach() != 0).reshape(rows, cols).cpu().numpy()
        return Format(sparse_scheme, nnz_units=int(m.sum())), m
    if not scan:
        return None
    nz = _nonzero(module.weight, rows, cols)
    nnz = int(nz.sum())
    if nnz < rows * cols and sparse_pays(nnz, rows, cols, sparse_scheme, dtype):
        return Format(sparse_scheme, nnz_units=nnz), nz
    return DENSE_FORMAT.resolved(rows, cols), None

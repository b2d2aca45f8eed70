"""Block-circulant expansion and its adjoint as compiled loops, one pair per block size.

A block-circulant weight [out, in] with block size b stores one length-b vector per b×b block:
``v`` [G, ob, ib, b] (G layers of one shape, e.g. the twin critics), and block (p, q) is
C[i, j] = v[p, q, (i − j) mod b]. :func:`expand` writes the dense [G, out, in] weight (padding cropped),
:func:`project` sums a dense gradient [G, out, in] back onto the vectors (the adjoint of the expansion).

Why loops: torch has no kernel for this pattern; its general gather and scatter (``index_select`` and
``index_add_`` over a precomputed index, :mod:`gst_train.layers`) read an int64 index as large as the
weight and run at about 0.5 ns per element here, and everything else tried (a matmul with the circulant
basis, unfold plus a transposing copy, ``take``, ``gather``) was slower. With b known at compile time (a
closure constant, so the b×b loops unroll and ``(i − j) mod b`` folds away) one thread expands a
2×256×256 stack in about 25 us against 70 us for ``index_select`` on two threads, and projects it in about
30 us against 60 us, when the data is in cache; inside the training loop, where it is not, both take two to
three times as long (``benchmarks/bench_train.py`` measures the whole update). Both are exact: the
expansion copies, and the projection adds the terms of each vector entry in a fixed order (row by row), so
runs stay deterministic.

Kernels compile on first use per block size (a second or two; closures are not cached on disk by numba).
Only the no-autograd paths use them: the differentiable expansion stays torch's ``index_select``.
"""

from __future__ import annotations

import functools

import numba
import torch


@functools.cache
def _kernels(b: int):
    """The (expand, project) pair for block size ``b``, compiled on first call (b is a closure constant)."""

    # Row by row: each output row is written (and each gradient row read) front to back in one stream, which
    # the prefetcher follows; block by block (b rows at once) measured 1-2 % slower per update in the loop.
    # Rows (expansion) and block rows (projection: the b rows that add into one vector row) are split over
    # numba's threads, as many as the run's torch threads (gst_train.train sets both): the data comes from
    # and goes to 2-thread GEMMs, so one thread alone pulls half of it from the other core's cache.
    @numba.njit(boundscheck=False, nogil=True, parallel=True)
    def expand_k(v, out):  # v [G, ob, ib, b] -> out [G, out_f, in_f]
        G = v.shape[0]
        out_f, in_f = out.shape[1], out.shape[2]
        fi = in_f // b  # full blocks along a row; an edge block (padding cropped) after them
        for gr in numba.prange(G * out_f):
            g = gr // out_f
            r = gr - g * out_f
            p = r // b
            i = r - p * b
            for q in range(fi):
                for j in range(b):
                    out[g, r, q * b + j] = v[g, p, q, (i - j) % b]
            for c in range(fi * b, in_f):
                out[g, r, c] = v[g, p, fi, (i - (c - fi * b)) % b]

    @numba.njit(boundscheck=False, nogil=True, parallel=True)
    def project_k(dw, vg):  # dw [G, out_f, in_f] -> vg [G, ob, ib, b]
        G, ob = vg.shape[0], vg.shape[1]
        out_f, in_f = dw.shape[1], dw.shape[2]
        fi = in_f // b
        for gp in numba.prange(G * ob):
            g = gp // ob
            p = gp - g * ob
            vg[g, p] = 0.0
            for r in range(p * b, min(out_f, p * b + b)):  # a fixed order: deterministic sums
                i = r - p * b
                for q in range(fi):
                    for j in range(b):
                        vg[g, p, q, (i - j) % b] += dw[g, r, q * b + j]
                for c in range(fi * b, in_f):
                    vg[g, p, fi, (i - (c - fi * b)) % b] += dw[g, r, c]

    return expand_k, project_k


def _check(t: torch.Tensor, what: str) -> None:
    # The kernels run without bounds checks: refuse what they were not written for, loudly.
    if t.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{what}: expected float32 or float64, got {t.dtype}")


def expand(vec: torch.Tensor, out_f: int, in_f: int) -> torch.Tensor:
    """Dense [..., out_f, in_f] weights from BC vectors ``vec`` [..., ob, ib, b] (no autograd)."""
    *lead, ob, ib, b = vec.shape
    if ob != -(-out_f // b) or ib != -(-in_f // b):
        raise ValueError(f"BC vectors of shape {tuple(vec.shape)} do not tile a [{out_f}, {in_f}] weight")
    _check(vec, "BC vectors")
    v = vec.detach().reshape(-1, ob, ib, b).contiguous()
    out = torch.empty(v.shape[0], out_f, in_f, dtype=vec.dtype)
    _kernels(b)[0](v.numpy(), out.numpy())
    return out.view(*lead, out_f, in_f)


def project(dW: torch.Tensor, block: int) -> torch.Tensor:
    """Gradient w.r.t. BC vectors [..., ob, ib, b] from the gradient ``dW`` [..., out, in] of the expansion."""
    *lead, out_f, in_f = dW.shape
    ob, ib = -(-out_f // block), -(-in_f // block)
    _check(dW, "BC weight gradient")
    d = dW.detach().reshape(-1, out_f, in_f).contiguous()
    out = torch.empty(d.shape[0], ob, ib, block, dtype=dW.dtype)
    _kernels(block)[1](d.numpy(), out.numpy())
    return out.view(*lead, ob, ib, block)

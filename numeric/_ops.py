"""Dense blocks, JVPs and VJPs from a :class:`~numeric._compile.BlockPlan`, and the layout
and working memory of the coefficients they read (private).

Feature-major throughout: coefficients are ``(d, B)``, vectors ``(d, B)`` or ``(d, B, m)``,
where ``d`` is H, or for a coefficient between two matrices of a term the dimension they
share (``V diag(a) U`` with U of ``rows="K"``: a is (K, B)); the carry and the ``diag(a) W``
coefficients are always (H, B), H the size of the block's output state (the LSTMP's ``h``
has P).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from ._memo import per_object
from ._parallel import matmul_into

__all__ = ["fill_block", "jvp_block", "vjp_block", "coefficient_shapes", "coefficient_outputs",
           "coefficient_rows", "fill_bytes", "widest_dim"]


def _bc(a, ndim):
    """Broadcast a (d, B) coefficient against a (d, B, m) operand."""
    if ndim == 3 and isinstance(a, np.ndarray) and a.ndim == 2:
        return a[:, :, None]
    return a


def _matmul(W, v, out=None):
    """``W @ v`` for v of shape (d, B) or (d, B, m), into ``out`` when given."""
    if v.ndim == 2:
        return np.matmul(W, v, out=out)
    d, B, m = v.shape
    res = (W @ v.reshape(d, B * m)).reshape(W.shape[0], B, m)
    return res if out is None else np.copyto(out, res) or out


def fill_block(plan, params, coefs, out: np.ndarray, slab=None) -> np.ndarray:
    r"""Write the dense block into ``out`` (B, H, H_in), a possibly strided view.

    Row block ``i`` of every sample is one product: ``J[:, i, :] = A_i @ S_i`` with
    :math:`A_i` (B, K) the coefficients of row ``i`` and :math:`S_i` (K, H_in) row ``i``
    of each matrix plus :math:`e_i` for the carry; all ``i`` in one ``np.matmul``.
    ``slab`` (H, K, B), when given, already holds the row coefficients then the carry.
    """
    diag, rows, general = coefs
    B, H = out.shape[0], out.shape[1]
    K = len(rows) + (diag is not None)
    if K == 1 and diag is not None:  # diag(d): zeros at fill speed, then the diagonal
        out.fill(0)
        d = diag if slab is None else slab[:, 0]
        np.copyto(_diagonal(out), np.broadcast_to(d, (H, B)).T)
    elif K:
        # (H, K, B) slab filled with contiguous rows, read as (H, B, K): a Fortran-order
        # (B, K) matrix per row i, which BLAS takes without a copy
        A = slab
        if A is None:
            A = np.empty((H, K, B), dtype=out.dtype)
            for k, a in enumerate(rows):
                A[:, k] = a
            if diag is not None:
                A[:, K - 1] = diag
        matmul_into(A.transpose(0, 2, 1), plan.row_stack(params), out.transpose(1, 0, 2))
    else:
        out.fill(0)
    for (names, _), cs in zip(plan.general, general, strict=True):
        out += _general_dense(params, names, cs, B, out.dtype)
    return out


def _diagonal(out):
    """The writeable (B, H) view of the diagonals of ``out`` (B, H, H), strided or not."""
    B, H = out.shape[0], out.shape[1]
    return np.lib.stride_tricks.as_strided(out, (B, H), (out.strides[0],
                                                        out.strides[1] + out.strides[2]))


def _general_dense(params, names, cs, B, dtype):
    """diag(a0) W1 diag(a1) W2 ... for every sample, (B, H, H_in); a_k is (d_k, B), d_k the
    columns of W_k (products (B, H, d_k) on the way)."""
    W = params.arrays[names[0]]
    a0 = np.broadcast_to(cs[0] if cs[0] is not None else 1.0, (W.shape[0], B))
    M = np.multiply(a0.T[:, :, None], W[None], dtype=dtype)
    for k, a in enumerate(cs[1:]):
        if a is not None:
            M *= np.broadcast_to(a, (M.shape[2], B)).T[:, None, :]
        if k + 1 < len(names):
            M = M @ params.arrays[names[k + 1]]
    return M


def jvp_block(plan, params, coefs, v: np.ndarray) -> np.ndarray:
    """``J v`` for v (H_in, B[, m]) without forming J."""
    diag, rows, general = coefs
    nd = v.ndim
    out = None
    if diag is not None:
        out = _bc(diag, nd) * v
    if rows:
        Y = _matmul(params.stacked(plan.row_names), v)
        H = Y.shape[0] // len(rows)
        for k, a in enumerate(rows):
            term = _bc(a, nd) * Y[k * H:(k + 1) * H]
            out = term if out is None else np.add(out, term, out=out)
    for (names, _), cs in zip(plan.general, general, strict=True):
        u = v
        for k in range(len(names), -1, -1):
            if cs[k] is not None:
                u = _bc(cs[k], nd) * u
            if k:
                u = _matmul(params.arrays[names[k - 1]], u)
        out = u if out is None else np.add(out, u, out=out)
    if out is None:
        out = np.zeros_like(v)
    return out


def vjp_block(plan, params, coefs, g: np.ndarray, H_in: int, *, out=None, add=False,
              work=None) -> np.ndarray:
    r"""``g^T J`` (as a column, (H_in, B[, m])) without forming J.

    .. math:: g^\top \Bigl[\operatorname{diag}(d) + \sum_k \operatorname{diag}(a_k) W_k\Bigr]
        = d \odot g + [a_1 \odot g; a_2 \odot g; \ldots]^\top [W_1; W_2; \ldots]

    (one GEMM with the transposed row stack); other terms right to left. ``out`` receives
    the result (``add``: added to it); ``work = (U, tmp)`` is scratch for the stacked
    operand (K H, B[, m]) and one term (like ``out``), so nothing is allocated.
    """
    diag, rows, general = coefs
    nd = g.ndim
    U, tmp = work if work is not None else (None, None)
    first = not add  # the next term overwrites ``out`` (else it goes to ``tmp`` and is added)

    def slot():
        return out if first else tmp

    def done(y):
        nonlocal out, first
        if out is None:
            out = y
        elif not first:
            out += y
        first = False

    if diag is not None:
        done(np.multiply(_bc(diag, nd), g, out=slot()))
    if rows:
        H = g.shape[0]
        if U is None:
            U = np.empty((len(rows) * H, *g.shape[1:]), dtype=np.result_type(g, *rows))
        for k, a in enumerate(rows):
            np.multiply(_bc(a, nd), g, out=U[k * H:(k + 1) * H])
        done(_matmul(params.stacked(plan.row_names, transpose=True), U, slot()))
    for (names, _), cs in zip(plan.general, general, strict=True):
        u = g if cs[0] is None else _bc(cs[0], nd) * g
        for k, name in enumerate(names):
            u = _matmul(params.arrays[name].T, u)
            if cs[k + 1] is not None:
                u = _bc(cs[k + 1], nd) * u
        done(u if slot() is None else np.copyto(slot(), u) or slot())
    if out is None:
        out = np.zeros((H_in, *g.shape[1:]), dtype=g.dtype)
    elif first:
        out.fill(0)
    return out


# -- coefficient layouts and working memory ---------------------------------------------------

def coefficient_shapes(prog, keys, sizes, B) -> list:
    """Shapes of the coefficient kernel's outputs for blocks ``keys``: per block one
    (H, K, B) slab (row coefficients, then the carry: the layout :func:`fill_block`
    multiplies), then (d, B) for each coefficient of the other terms, d the size of its
    dimension (:attr:`~numeric._compile.BlockPlan.dims`; H unless the term passes through
    another dimension of the cell; H is the size of the block's output state)."""
    shapes = []
    for k in keys:
        plan = prog.plan(k)
        K = len(plan.row_names) + plan.has_diag
        shapes += [(sizes[plan.row_dim], K, B)] if K else []
        shapes += [(sizes[d], B) for d in plan.dims[K:]]
    return shapes


def fill_bytes(prog, params, keys, n: int) -> int:
    """Working memory of filling ``n`` samples of blocks ``keys``: the coefficient kernel's
    work space, the coefficients, and the largest product ``diag(a0) W1 diag(a1) W2 ...``
    of a term (formed per sample as (n, H, d) arrays, d the columns of its matrices: a
    dimension of the cell's own may make it larger than the Jacobian)."""
    per, const = _fill_items(params, prog, tuple(keys))
    return (per * n + const) * params.dtype.itemsize


@per_object
def _fill_items(params, prog, keys: tuple) -> tuple:
    """(numbers per sample, numbers per batch) of :func:`fill_bytes` (kept per params)."""
    sizes = params.sizes
    kernel = prog.kernel((), prog.coef_exprs(keys))
    ws = kernel.workspace_shapes(sizes, 2)
    per = sum(r for r, c in ws if c == 2)  # rows per sample; columns are (d, 1)
    const = sum(r for r, c in ws if c == 1)
    per += sum(int(np.prod(s)) // 2 for s in coefficient_shapes(prog, keys, sizes, 2))
    prod = 0
    for k in keys:
        for names, _ in prog.plan(k).general:
            shapes = [params.arrays[w].shape for w in names]
            cols = [c for _, c in shapes]
            # M (n, H, c_k) and the next product M @ W_{k+1} (n, H, c_{k+1}) coexist
            prod = max(prod, shapes[0][0] * max([cols[0], *map(sum, pairwise(cols))]))
    return per + prod, const


def widest_dim(prog, keys, sizes) -> int:
    """The largest size of a dimension the terms of blocks ``keys`` pass through (H and
    every state's size at least): the rows of the widest intermediate of a JVP or VJP."""
    cell = prog.cell
    return max([sizes[cell.hidden_dim], *(sizes[d] for d in cell.state_dims),
                *(sizes[d] for k in keys for d in prog.plan(k).dims)])


def coefficient_rows(prog, keys, sizes) -> int:
    """Rows of all coefficient vectors of blocks ``keys`` (per sample): m H when all are
    of the state dimension."""
    return sum(sizes[d] for k in keys for d in prog.plan(k).dims)


def coefficient_outputs(prog, keys, arrays):
    """Arrays shaped by :func:`coefficient_shapes` -> (flat kernel outputs, slabs by block)."""
    outs, slabs, it = [], {}, iter(arrays)
    for k in keys:
        plan = prog.plan(k)
        K = len(plan.row_names) + plan.has_diag
        A = slabs[k] = next(it) if K else None
        if plan.has_diag:
            outs.append(A[:, K - 1])
        outs += [A[:, j] for j in range(len(plan.row_names))]
        outs += [next(it) for _ in range(plan.n_exprs - K)]
    return outs, slabs

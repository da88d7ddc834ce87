r"""Batched state Jacobians, per-path decompositions, JVPs and VJPs.

The Jacobian of a block is the derived sum of terms

.. math::

    \frac{\partial h_{next}}{\partial h} = \sum_{\text{terms}}
    \operatorname{diag}(a_0)\, W_1 \operatorname{diag}(a_1)\, W_2 \cdots,

with the coefficient vectors :math:`a_k` compiled from ``derive(cell).jacobian``. For the
PyTorch GRU: :math:`\operatorname{diag}(z) + \operatorname{diag}(z(1-z)(h-n)) W_{hz}
+ \operatorname{diag}((1-z)(1-n^2) r) W_{hn} + \operatorname{diag}((1-z)(1-n^2) r(1-r)
(W_{hn} h + b_{hn})) W_{hr}`.

>>> import numpy as np, numeric
>>> p = numeric.init("lstm", hidden_size=3, input_size=2, seed=0)
>>> x, h, c = np.ones((4, 2)), np.zeros((4, 3)), np.zeros((4, 3))   # (B, I), (B, H), (B, H)
>>> numeric.jacobian(p, x, (h, c)).shape               # (B, H, H): dh_next/dh, c fixed
(4, 3, 3)
>>> J = numeric.jacobian(p, x, (h, c), full=True)      # (B, 2H, 2H) over (h, c)
>>> bool(np.allclose(J[:, 3:, 3:], numeric.jacobian(p, x, (h, c), block=("c", "c"))))
True
"""

from __future__ import annotations

import numpy as np

from ._compile import coefficient_dims
from ._errors import NumericError
from ._memory import scratch_arrays
from ._ops import (
    coefficient_outputs,
    coefficient_rows,
    coefficient_shapes,
    fill_block,
    fill_bytes,
    jvp_block,
    vjp_block,
    widest_dim,
)
from ._parallel import run_halves
from ._validate import boolean, byte_count, check_states, require_memory
from .params import Params
from .step import prepare

#: public functions only: the helpers taking the private ``Program`` are imported by name
__all__ = ["jacobian", "jacobian_chunks", "paths", "term_coefficients", "jvp", "vjp"]

#: what to use instead when a Jacobian does not fit
HINT = ("use numeric.jacobian_chunks (or singular_values/spectral_norms, which stream), "
        "numeric.jvp/vjp (J never formed), or a smaller batch")


def resolve_block(prog, block):
    """Normalise ``block`` (``None`` = main, ``('c', 'c')``, ``('h_next', 'h')``)."""
    if block is None:
        s = prog.state_names[0]
        return (s, s)
    if (not isinstance(block, (tuple, list)) or len(block) != 2
            or not all(isinstance(b, str) for b in block)):
        raise NumericError(f"block must be a pair of state names, got {block!r}; "
                           f"blocks: {list(prog.blocks)}")
    key = (str(block[0]).removesuffix("_next"), str(block[1]))
    if key not in prog.blocks:
        raise NumericError(f"cell {prog.cell.title!r} has no block {block!r}; "
                           f"blocks: {list(prog.blocks)}")
    return key


def chunk_size(B: int, per_sample: int, max_bytes, what: str) -> int:
    """Samples per chunk so a chunk holds at most ``max_bytes`` (already checked with
    :func:`~numeric._validate.byte_count`); error if one sample cannot fit."""
    if max_bytes is None:
        return max(B, 1)
    if per_sample > max_bytes:
        raise NumericError(f"one sample of {what} needs {per_sample} bytes, more than "
                           f"max_bytes={max_bytes}; raise max_bytes, or use numeric.jvp/vjp "
                           "(J never formed)")
    return max(1, int(max_bytes // per_sample))


def block_shape(params, prog, full, key) -> tuple:
    """``(rows, cols)`` of the Jacobian: the full state's size twice (``full``), else the
    sizes of block ``key``'s output and input states (the LSTMP's dh/dc is (P, H))."""
    if full:
        return (params.state_size, params.state_size)
    size = dict(zip(prog.state_names, params.state_sizes, strict=True))
    return (size[key[0]], size[key[1]])


def state_slices(params) -> list:
    """The slice of each state in the full state (states of sizes ``params.state_sizes``,
    concatenated in the order of ``cell.states``)."""
    out, k = [], 0
    for n in params.state_sizes:
        out.append(slice(k, k + n))
        k += n
    return out


def jacobian_setup(params, x, state, full, block, max_bytes):
    """Every check of :func:`jacobian` and :func:`jacobian_chunks` but the memory one:
    ``(prog, xT, sT, B, full, key, D, nb, max_bytes)``, ``D = (rows, cols)``."""
    full = boolean(full, "full")
    max_bytes = None if max_bytes is None else byte_count(max_bytes, "max_bytes")
    prog, xT, sT, B = prepare(params, x, state)
    if full and block is not None:
        raise NumericError(f"pass either full=True or block={block!r}, not both")
    key = resolve_block(prog, block)
    D = block_shape(params, prog, full, key)
    nb = chunk_size(B, D[0] * D[1] * params.dtype.itemsize, max_bytes,
                    f"a {D[0]}x{D[1]} {params.dtype} Jacobian")
    return prog, xT, sT, B, full, key, D, nb, max_bytes


def _fill(prog, params, full, key, out, coefs, slabs=None):
    """Dense block ``key`` (or every block, ``full``) into ``out`` from the coefficient
    groupings ``coefs`` (by block; ``slabs`` by block when already laid out)."""
    keys = prog.blocks if full else (key,)

    def dense(k, view):
        slab = None if slabs is None else slabs[k]
        return fill_block(prog.plan(k), params, coefs[k], view, slab=slab)

    if not full:
        return dense(key, out)
    span = dict(zip(prog.state_names, state_slices(params), strict=True))
    for a in prog.state_names:
        for b in prog.state_names:
            view = out[:, span[a], span[b]]
            if (a, b) in keys:
                dense((a, b), view)
            else:
                view.fill(0)
    return out


def block_coefficients(prog, params, xT, sT, *, next_states=False):
    """(next states or (), {block: coefficient grouping}) for every block, one kernel run."""
    keys = tuple(prog.blocks)
    nxt, groups = prog.coefficients(params, xT, sT, [prog.plan(k) for k in keys],
                                    next_states=next_states)
    return nxt, dict(zip(keys, groups, strict=True))


def _slices(B, nb):
    return [slice(b, min(b + nb, B)) for b in range(0, B, nb)]


def _batch(state, sl):
    if isinstance(state, (tuple, list)):
        return tuple(np.asarray(s)[sl] for s in state)
    return np.asarray(state)[sl]


def jacobian(params: Params, x, state, *, full: bool = False, block=None, max_bytes=None,
             out=None) -> np.ndarray:
    r"""The batched Jacobian of the next state with respect to the previous one.

    Parameters
    ----------
    params : Params
    x : ndarray (B, I)
    state : ndarray (B, H) or tuple of them (LSTM: ``(h, c)``)
    full : bool
        Multi-state cells: the whole (B, D, D) state Jacobian, D the sum of the states'
        sizes (``S*H`` when all have the hidden size; the LSTMP's ``P + H``), blocks in
        the order of ``cell.states`` (LSTM: ``(h, c)``).
    block : pair of state names, optional
        One block, e.g. ``('c', 'c')`` for :math:`\partial c_{next} / \partial c`.
        Default: the main block :math:`\partial h_{next} / \partial h` (LSTM: ``c`` fixed).
    max_bytes : int, optional
        At most this many bytes of Jacobians: the (B, D, D) output (unless ``out`` is
        given) and each batch chunk worked on.
    out : ndarray, optional
        Preallocated writeable output of the right shape and dtype (not overlapping ``x``
        or ``state``).

    Returns
    -------
    ndarray (B, D, D_in)
        One block: its output and input states' sizes (``D = D_in = H`` but for states of
        other sizes, as the LSTMP's (P, H) block ``('h', 'c')``); ``full``: the full
        state's size twice. Batch size 0 gives (0, D, D_in).

    Raises
    ------
    NumericError
        Before any allocation: for bad arguments (named with their value or shape), when
        the output needs more than ``max_bytes``, when it and the working memory of a
        chunk (coefficients, term products) need more than the available memory (use
        :func:`jacobian_chunks` or a smaller batch), or when one sample exceeds ``max_bytes``.
    """
    prog, xT, sT, B, full, key, D, nb, max_bytes = jacobian_setup(params, x, state, full,
                                                                  block, max_bytes)
    shape = (B, *D)
    nbytes = B * D[0] * D[1] * params.dtype.itemsize
    if out is None:
        require_memory(nbytes, f"a {shape} {params.dtype} Jacobian", limit=max_bytes, hint=HINT)
    elif (not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != params.dtype
          or not out.flags.writeable):
        desc = (f"shape {out.shape}, dtype {out.dtype}"
                + ("" if out.flags.writeable else ", read-only")
                if isinstance(out, np.ndarray) else type(out).__name__)
        raise NumericError(f"out has {desc}; expected a writeable {shape} {params.dtype} array")
    elif any(np.may_share_memory(out, a) for a in (xT, *sT)):
        raise NumericError("out overlaps the memory of x or state; pass a separate array")
    n0 = min(nb, B)
    require_memory(fill_bytes(prog, params, tuple(prog.blocks) if full else (key,), n0)
                   + (nbytes if out is None else 0),
                   f"a {shape} {params.dtype} Jacobian with the coefficients and term products "
                   f"of {n0} samples at a time", hint=HINT)
    if out is None:
        out = np.empty(shape, dtype=params.dtype)
    _fill_batch(prog, params, xT, sT, full, key, out, nb)
    return out


def _fill_batch(prog, params, xT, sT, full, key, out, nb):
    """Generated coefficient kernel + dense fill over batch chunks of at most ``nb``
    samples, the batch halves on two threads; scratch memory is reused between calls."""
    keys = tuple(prog.blocks) if full else (key,)
    kernel = prog.kernel((), prog.coef_exprs(keys))
    dt = params.dtype

    def work(part):
        n0 = min(nb, part.stop - part.start)
        ws_shapes = kernel.workspace_shapes(params.sizes, n0)
        shapes = ws_shapes + coefficient_shapes(prog, keys, params.sizes, n0)
        with scratch_arrays(shapes, dt) as arrays:
            ws, coef = arrays[:len(ws_shapes)], arrays[len(ws_shapes):]
            for sl in _slices(part.stop - part.start, nb):
                sl = slice(part.start + sl.start, part.start + sl.stop)
                n = sl.stop - sl.start
                outs, slabs = coefficient_outputs(prog, keys, [a[..., :n] for a in coef])
                prog.run(kernel, params, xT[:, sl], tuple(s[:, sl] for s in sT), outs,
                         [w[:, :n] if w.shape[1] == n0 else w for w in ws])
                _fill(prog, params, full, key, out[sl], prog.group(keys, outs), slabs)

    B = out.shape[0]
    prog.warm(params, keys)
    if nb >= B:
        run_halves(work, B, out.nbytes)
    else:
        work(slice(0, B))


def jacobian_chunks(params: Params, x, state, *, full=False, block=None, max_bytes=None):
    """An iterator of ``(batch_slice, J_chunk)`` pairs, never holding more than one chunk.

    Chunks hold at most ``max_bytes`` of Jacobians (default: the whole batch in one).
    ``J_chunk`` is reused between chunks: copy it if you keep it. Batch size 0 yields
    nothing.

    Raises
    ------
    NumericError
        At the call, not when iterated: for bad arguments (as :func:`jacobian`), or when
        one chunk needs more than ``max_bytes`` or than the available memory.
    """
    prog, xT, sT, B, full, key, D, nb, max_bytes = jacobian_setup(params, x, state, full,
                                                                  block, max_bytes)
    n0 = min(nb, B)
    require_memory(n0 * D[0] * D[1] * params.dtype.itemsize,
                   f"a chunk of {n0} {D[0]}x{D[1]} {params.dtype} Jacobians",
                   hint="pass max_bytes to bound each chunk, or use a smaller batch")
    require_memory(n0 * D[0] * D[1] * params.dtype.itemsize
                   + fill_bytes(prog, params, tuple(prog.blocks) if full else (key,), n0),
                   f"a chunk of {n0} {D[0]}x{D[1]} {params.dtype} Jacobians with their coefficients "
                   "and term products",
                   hint="pass max_bytes to bound each chunk, or use a smaller batch")
    return chunk_iter(prog, params, xT, sT, full, key, D, nb, B)


def chunk_iter(prog, params, xT, sT, full, key, D, nb, B):
    """``(batch_slice, J_chunk)`` over chunks of ``nb`` samples (checked arguments);
    ``D = (rows, cols)``."""
    if B == 0:
        return
    buf = np.empty((min(nb, B), *D), dtype=params.dtype)
    for sl in _slices(B, nb):
        n = sl.stop - sl.start
        _fill_batch(prog, params, xT[:, sl], tuple(s[:, sl] for s in sT), full, key, buf[:n], n)
        yield sl, buf[:n]


def paths(params: Params, x, state, *, block=None) -> dict:
    """The per-path decomposition ``{label: (B, H, H_in)}`` of a block (H, H_in its states'
    sizes); the values sum to it.

    >>> import numpy as np, numeric
    >>> p = numeric.init("gru", 3, 2, seed=0)
    >>> list(numeric.paths(p, np.ones((1, 2)), np.zeros((1, 3))))
    ['carry', 'update gate', 'candidate', 'reset gate']

    Raises
    ------
    NumericError
        For bad arguments (as :func:`jacobian`), or when the (B, H, H) arrays of all paths
        do not fit in the available memory (before allocating them).
    """
    prog, xT, sT, B = prepare(params, x, state)
    key = resolve_block(prog, block)
    labels = prog.jac.blocks[key].labels()
    H, H_in = block_shape(params, prog, False, key)
    plans = [prog.plan(key, label) for label in labels]
    rows = sum(params.sizes[d] for p in plans for d in p.dims)
    require_memory(len(labels) * B * H * H_in * params.dtype.itemsize
                   + fill_bytes(prog, params, (key,), B) + rows * B * params.dtype.itemsize,
                   f"{len(labels)} path blocks of shape ({B}, {H}, {H_in}) {params.dtype}",
                   hint="call paths on batch slices, or use a smaller batch")
    _, groups = prog.coefficients(params, xT, sT, plans)
    return {label: fill_block(plan, params, c, np.empty((B, H, H_in), dtype=params.dtype))
            for label, plan, c in zip(labels, plans, groups, strict=True)}


def term_coefficients(params: Params, x, state, *, block=None) -> list:
    """Each term of a block with its coefficient vectors evaluated: ``[(Term, [(B, d), ...])]``.

    ``d`` is the size of the coefficient's dimension (H, or a dimension of the cell's own
    between two matrices, see :func:`~numeric._compile.coefficient_dims`). Constant
    coefficients (the trailing ``1`` of ``diag(a) W``) are broadcast to (B, d).

    Raises
    ------
    NumericError
        For bad arguments (as :func:`jacobian`), or when the coefficients do not fit in the
        available memory.
    """
    prog, xT, sT, B = prepare(params, x, state)
    key = resolve_block(prog, block)
    terms = prog.jac.blocks[key].terms
    rows_dim = params.cell.state_dims[prog.state_names.index(key[0])]
    dims = [d for t in terms for d in coefficient_dims(params.cell, t, rows_dim)]
    rows = sum(params.sizes[d] for d in dims)
    require_memory(2 * rows * B * params.dtype.itemsize,
                   f"{len(dims)} coefficient vectors of {rows} entries for {B} samples",
                   hint="use a smaller batch")
    vals = iter(prog.evaluate(params, xT, sT, exprs=tuple(c for t in terms for c in t.coeffs),
                              dims=dims))
    return [(t, [np.ascontiguousarray(next(vals).T, dtype=params.dtype) for _ in t.coeffs])
            for t in terms]


def full_jvp(prog, params, coefs, vT: tuple) -> tuple:
    """Full-state ``J v`` in feature-major layout: tuple over states of (H_s, B[, m]), H_s
    each state's size; ``coefs`` by block (:func:`block_coefficients`)."""
    outs = []
    for a, n in zip(prog.state_names, params.state_sizes, strict=True):
        acc = None
        for b, v in zip(prog.state_names, vT, strict=True):
            if (a, b) in prog.blocks:
                y = jvp_block(prog.plan((a, b)), params, coefs[(a, b)], v)
                acc = y if acc is None else np.add(acc, y, out=acc)
        outs.append(acc if acc is not None
                    else np.zeros((n, *vT[0].shape[1:]), dtype=vT[0].dtype))
    return tuple(outs)


def full_vjp(prog, params, coefs, gT: tuple, outs=None, work=None) -> tuple:
    """Full-state ``g^T J`` in feature-major layout: tuple over states of (H_s, B[, m]).

    ``coefs`` by block (:func:`block_coefficients`). ``outs`` (one array per state) receive
    the result and ``work`` (``{block: U}`` plus ``"tmp"``, see :func:`vjp_block`) is
    scratch, so that a loop of VJPs allocates nothing.
    """
    res = []
    for bi, (b, H_in) in enumerate(zip(prog.state_names, params.state_sizes, strict=True)):
        acc, added = (None if outs is None else outs[bi]), False
        for a, g in zip(prog.state_names, gT, strict=True):
            if (a, b) in prog.blocks:
                w = None if work is None else (work[(a, b)], work["tmp"][bi])
                acc = vjp_block(prog.plan((a, b)), params, coefs[(a, b)], g, H_in, out=acc,
                                add=added, work=w)
                added = True
        if not added:
            acc = (np.zeros((H_in, *gT[0].shape[1:]), dtype=gT[0].dtype) if acc is None
                   else (acc.fill(0) or acc))
        res.append(acc)
    return tuple(res)


def _tangent(params, v, B, name):
    parts = check_states(params, v, name)
    if parts[0].shape[0] != B:
        raise NumericError(f"{name} has batch size {parts[0].shape[0]} "
                           f"(shape {parts[0].shape}); the state has batch size {B}")
    return tuple(p.T for p in parts)


def _apply(product, params, x, state, t, name):
    prog, xT, sT, B = prepare(params, x, state)
    tT = _tangent(params, t, B, name)
    sizes, keys = params.sizes, tuple(prog.blocks)
    # the coefficients, the result and the products' temporaries (two per state, two of
    # the largest dimension a term passes through)
    rows = (coefficient_rows(prog, keys, sizes) + 4 * params.state_size
            + 2 * widest_dim(prog, keys, sizes))
    require_memory(rows * B * params.dtype.itemsize,
                   f"{name} products for ({B}, {params.state_size}) states",
                   hint="use a smaller batch")
    res = product(prog, params, block_coefficients(prog, params, xT, sT)[1], tT)
    parts = tuple(np.ascontiguousarray(r.T) for r in res)
    return parts[0] if len(parts) == 1 else parts


def jvp(params: Params, x, state, v):
    """:math:`J v` for every sample, without forming J (full state for multi-state cells).

    ``v`` is shaped like ``state``; so is the result (batch size 0: (0, H) arrays).

    Raises
    ------
    NumericError
        For bad arguments (as :func:`jacobian`; ``v`` named with its shape).
    """
    return _apply(full_jvp, params, x, state, v, "v")


def vjp(params: Params, x, state, g):
    """:math:`g^\\top J` for every sample, without forming J (full state for multi-state cells).

    ``g`` is shaped like ``state``; so is the result (batch size 0: (0, H) arrays).

    Raises
    ------
    NumericError
        For bad arguments (as :func:`jacobian`; ``g`` named with its shape).
    """
    return _apply(full_vjp, params, x, state, g, "g")

r"""Gradient norms over long horizons, by a VJP chain accumulated in log space.

With :math:`s_{t+1} = f(x_t, s_t)` and :math:`J_t = \partial s_{t+1} / \partial s_t`,

.. math::

    \log \bigl\| v^\top \tfrac{\partial s_T}{\partial s_t} \bigr\|
    = \log \|v\| + \sum_{u=t}^{T-1} \log \frac{\|g_u\|}{\|g_{u+1}\|},
    \qquad g_T = v / \|v\|, \quad g_u = \frac{g_{u+1}^\top J_u}{\|g_{u+1}^\top J_u\|}\ \text{(renormalised)},

so ``T = 10 000`` steps of a strongly contracting cell never underflow. J is never formed.

>>> import numpy as np, numeric
>>> p = numeric.init("gru", hidden_size=4, input_size=2, seed=0)
>>> res = numeric.gradient_norms(p, np.zeros((6, 3, 2)), np.zeros((3, 4)))
>>> res.log_norms.shape, res.norms().shape       # (T, B): t = 0 .. T-1
((6, 3), (6, 3))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._compile import program
from ._errors import NumericError
from ._memory import scratch
from ._ops import coefficient_rows, widest_dim
from ._parallel import run_halves
from ._validate import (
    byte_count,
    check_params,
    check_sequence,
    check_states,
    require_memory,
    seed_value,
)
from .jacobian import full_vjp, state_slices
from .params import Params

__all__ = ["gradient_norms", "GradientNorms", "random_unit_state", "chain_bytes"]


@dataclass(frozen=True)
class GradientNorms:
    r"""Result of :func:`gradient_norms`.

    Attributes
    ----------
    log_norms : ndarray (T, B)
        ``log_norms[t]`` :math:`= \log \| v^\top \partial s_T / \partial s_t \|`;
        ``t = T - 1`` is one step back. ``t = T`` (the identity, :math:`\log\|v\|`) is
        not stored.
    v : tuple of ndarray (B, H)
        The cotangent at time T, per state.
    """

    log_norms: np.ndarray
    v: tuple

    def norms(self) -> np.ndarray:
        """The norms themselves, ``exp(log_norms)`` (may underflow to 0 for long horizons)."""
        with np.errstate(under="ignore"):
            return np.exp(self.log_norms)

    def log_rate(self) -> np.ndarray:
        """Mean log-norm growth per step back, (B,): ``(log_norms[0] - log_norms[-1]) / (T - 1)``.

        Negative when gradients vanish (``log a`` for a constant ``J = a Q``, Q orthogonal).
        """
        T = self.log_norms.shape[0]
        if T < 2:
            raise NumericError(f"log_rate needs T >= 2 steps, got log_norms of shape "
                               f"{self.log_norms.shape}")
        return (self.log_norms[0] - self.log_norms[-1]) / (T - 1)


def random_unit_state(params, B: int, seed: int) -> tuple:
    """A random unit vector over the full state per sample, as a tuple of (B, H_s), H_s
    each state's size."""
    v = np.random.default_rng(seed).normal(size=(B, params.state_size))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    v = v.astype(params.dtype)
    return tuple(v[:, sl] for sl in state_slices(params))


#: per-step state bytes (B x H) from which the batch halves run on two threads: at
#: B = 256, H = 128 two threads took 2.3 against 3.2 ms per step in float64 (256 KiB) and
#: 1.24 against 1.19 ms in float32 (128 KiB, GIL-bound)
MIN_STEP_BYTES = 1 << 18

#: default memory for coefficients kept from the forward pass (recomputed beyond it): 1 GiB
#: keeps every step of T = 1000, B = 256, H = 128 float64 (measured 11% faster than 512 MiB)
STORE_BYTES = 1 << 30


def gradient_norms(params: Params, xs, state0, v=None, *, seed: int = 0,
                   store_bytes: int = STORE_BYTES) -> GradientNorms:
    """Log-norms of :math:`v^\\top \\partial s_T / \\partial s_t` for t = 0..T-1, every sample.

    Parameters
    ----------
    params : Params
    xs : ndarray (T, B, I)
    state0 : ndarray (B, H) or tuple (LSTM ``(h, c)``)
        The state :math:`s_0`; the chain runs through the full state (LSTM: h and c).
    v : like ``state0``, optional
        The cotangent at time T; default a fixed random unit vector per sample from ``seed``.
    seed : int
        A non-negative integer (used when ``v`` is not given).
    store_bytes : int
        Memory for the Jacobian coefficients of the forward pass, kept for the last steps
        so the backward pass is one GEMM per step; earlier steps recompute their forward
        pass from stored states (kept only for those steps). The store is kept for the
        next call (re-faulting fresh memory dominated on a virtual machine);
        :func:`numeric.release_memory` returns it.

    Returns
    -------
    GradientNorms
        ``log_norms`` (T, B); batch size 0 gives (T, 0).

    Raises
    ------
    NumericError
        Before any work: for bad arguments (named with their value or shape; ``seed`` and
        ``store_bytes`` as well), or when the state history, the coefficient store and the
        result do not fit in the available memory.
    """
    check_params(params)
    seed = seed_value(seed)
    store_bytes = byte_count(store_bytes, "store_bytes")
    states = check_states(params, state0, "state0")
    B = states[0].shape[0]
    xs = check_sequence(params, xs, B)
    if v is not None:
        vs = check_states(params, v, "v")
        if vs[0].shape[0] != B:
            raise NumericError(f"v has batch size {vs[0].shape[0]} (shape {vs[0].shape}); "
                               f"the state has batch size {B}")
    prog = program(params.cell)
    T = xs.shape[0]
    require_memory(chain_bytes(prog, params, T, B, store_bytes),
                   f"gradient_norms over T = {T} steps for {B} samples (state size "
                   f"{params.state_size}, {params.dtype})",
                   hint="use fewer steps, a smaller batch or a smaller store_bytes")
    if v is None:
        vs = random_unit_state(params, B, seed)
    gT = tuple(np.ascontiguousarray(p.T) for p in vs)
    sT = tuple(s.T for s in states)
    out = np.empty((T, B), dtype=np.float64)

    def work(sl):
        out[:, sl] = _chain(prog, params, xs[:, sl], tuple(s[:, sl] for s in sT),
                            tuple(g[:, sl] for g in gT), store_bytes / 2)

    prog.warm(params)
    run_halves(work, B, B * params.state_size * params.dtype.itemsize, MIN_STEP_BYTES)
    return GradientNorms(out, tuple(np.ascontiguousarray(p) for p in vs))


def chain_bytes(prog, params, T: int, B: int, store_bytes: int) -> int:
    """Bytes :func:`gradient_norms` allocates at most: the kept coefficients (within
    ``store_bytes``), the states of the other steps, the per-step buffers, the results."""
    SH, it = params.state_size, params.dtype.itemsize
    R = coefficient_rows(prog, tuple(prog.blocks), params.sizes)
    per_step = max(R * B * it, 1)
    # one slice holding the whole batch with half the store keeps the fewest steps
    n_keep = min(T, int(store_bytes / 2) // per_step)
    store = min(store_bytes, T * per_step)
    hist = (T - n_keep) * SH * B * it
    # the spare coefficients, the kernel's work space (about as many rows), the states,
    # cotangents and VJP scratch, two products of the widest dimension a term passes through
    d = widest_dim(prog, tuple(prog.blocks), params.sizes)
    buffers = (2 * R + 8 * SH + 2 * d) * B * it + SH * B * 8
    return store + hist + buffers + 2 * T * B * 8


class _Backward:
    """Allocation-free full-state VJPs ``g -> g^T J`` for one batch slice: the output and
    scratch buffers of :func:`~numeric.jacobian.full_vjp`, two output sets used in turn."""

    def __init__(self, prog, params, B, dtype):
        sizes = params.sizes
        self.prog, self.params = prog, params
        self.work = {key: np.empty((len(prog.plan(key).row_names)
                                    * sizes[prog.plan(key).row_dim], B), dtype=dtype)
                     for key in prog.blocks}
        self.work["tmp"] = [np.empty((n, B), dtype=dtype) for n in params.state_sizes]
        self.bufs = [[np.empty((n, B), dtype=dtype) for n in params.state_sizes]
                     for _ in range(2)]
        self.flip = 0

    def __call__(self, coefs, g):
        self.flip ^= 1
        return full_vjp(self.prog, self.params, coefs, g, self.bufs[self.flip], self.work)


def _chain(prog, params, xs, sT, gT, store_bytes):
    """(T, b) log-norms for one batch slice: forward keeping the VJP coefficients of the
    last steps (within ``store_bytes``) and the states of the others, then the backward
    chain (recomputing the forward pass only where nothing was kept). One generated kernel
    computes the next state and every coefficient per step, into preallocated buffers."""
    T, B = xs.shape[0], xs.shape[1]
    dt = params.dtype
    keys = tuple(prog.blocks)
    kernel = prog.kernel(prog.next_names, prog.coef_exprs(keys))
    # the coefficients of a step, stacked by rows: each is (d, B), d = H unless its term
    # passes through another dimension of the cell
    rows = [params.sizes[d] for k in keys for d in prog.plan(k).dims]
    ends = np.cumsum(rows).tolist()
    bounds = tuple(zip([0, *ends[:-1]], ends, strict=True))
    R = ends[-1] if ends else 0
    per_step = max(R * B * dt.itemsize, 1)
    n_keep = min(T, int(max(store_bytes, 0) // per_step))
    keep_from = T - n_keep
    with scratch((n_keep, R, B), dt) as store:
        return _run_chain(prog, params, kernel, keys, xs, sT, gT, store, bounds, keep_from)


def _run_chain(prog, params, kernel, keys, xs, sT, gT, store, bounds, keep_from):
    T, B = xs.shape[0], xs.shape[1]
    dt, D, spans = params.dtype, params.state_size, state_slices(params)
    ws = prog.workspace(kernel, params, B, dt)
    spare = np.empty(store.shape[1:], dtype=dt) if keep_from else None
    hist = np.empty((keep_from, D, B), dtype=dt)  # full states where nothing was kept
    # the full state (D, B) twice, each as its per-state (H_s, B) views
    flat = [np.empty((D, B), dtype=dt) for _ in range(2)]
    state = [[f[sl] for sl in spans] for f in flat]
    for k, s in enumerate(sT):
        np.copyto(state[0][k], s)
    for t in range(T):
        cur, new = state[t % 2], state[(t + 1) % 2]
        if t < keep_from:
            hist[t] = flat[t % 2]
        coef = store[t - keep_from] if t >= keep_from else spare
        prog.run(kernel, params, xs[t].T, tuple(cur), [*new, *[coef[a:b] for a, b in bounds]],
                 ws)
    back = _Backward(prog, params, B, dt)
    g = [np.array(p) for p in gT]
    # ||v|| = s ||v / s|| with s = max |v_i|: no overflow for any finite v (float32 too)
    s = np.max([np.abs(p).max(axis=0, initial=0) for p in g], axis=0)
    for p in g:
        np.divide(p, s, out=p, where=s > 0)
    n0 = np.sqrt(sum((p * p).sum(axis=0) for p in g))
    with np.errstate(divide="ignore"):
        acc = np.log(s.astype(np.float64)) + np.log(np.where(s > 0, n0, 1.0))
    for p in g:
        np.divide(p, n0, out=p, where=n0 > 0)
        p[:, n0 == 0] = 0
    out = np.empty((T, B), dtype=np.float64)
    n = np.empty(B, dtype=dt)
    logn = np.empty(B, dtype=np.float64)
    for t in range(T - 1, -1, -1):
        if t >= keep_from:
            coef = store[t - keep_from]
        else:
            coef = spare
        coef = [coef[a:b] for a, b in bounds]
        if t < keep_from:
            prog.run(kernel, params, xs[t].T, tuple(hist[t][sl] for sl in spans),
                     [*state[0], *coef], ws)
        g = back(prog.group(keys, coef), g)
        np.einsum("ib,ib->b", g[0], g[0], out=n)
        for p in g[1:]:
            n += np.einsum("ib,ib->b", p, p)
        np.sqrt(n, out=n)
        with np.errstate(divide="ignore"):
            np.log(n, out=logn, casting="unsafe")
        acc += logn
        for p in g:
            np.divide(p, n, out=p, where=n > 0)
        out[t] = acc
    return out

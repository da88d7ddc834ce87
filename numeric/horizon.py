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
from ._parallel import run_halves
from ._validate import check_sequence, check_states
from .jacobian import block_coefficients, full_vjp
from .params import Params
from .step import next_states

__all__ = ["gradient_norms", "GradientNorms", "random_unit_state"]


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
    """A random unit vector over the full state per sample, as a tuple of (B, H)."""
    S, H = len(params.cell.states), params.hidden_size
    v = np.random.default_rng(seed).normal(size=(B, S * H))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    v = v.astype(params.dtype)
    return tuple(v[:, k * H:(k + 1) * H] for k in range(S))


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
    store_bytes : int
        Memory for the Jacobian coefficients of the forward pass, kept for the last steps
        so the backward pass is one GEMM per step; earlier steps recompute their forward
        pass from stored states (kept only for those steps).
    """
    if not isinstance(params, Params):
        raise NumericError(f"expected numeric.Params, got {type(params).__name__}")
    states = check_states(params, state0, "state0")
    B = states[0].shape[0]
    xs = check_sequence(params, xs, B)
    if v is None:
        vs = random_unit_state(params, B, seed)
    else:
        vs = check_states(params, v, "v")
        if vs[0].shape[0] != B:
            raise NumericError(f"v has batch size {vs[0].shape[0]} (shape {vs[0].shape}); "
                               f"the state has batch size {B}")
    prog = program(params.cell)
    T = xs.shape[0]
    gT = tuple(np.ascontiguousarray(p.T) for p in vs)
    sT = tuple(s.T for s in states)
    out = np.empty((T, B), dtype=np.float64)

    def work(sl):
        out[:, sl] = _chain(prog, params, xs[:, sl], tuple(s[:, sl] for s in sT),
                            tuple(g[:, sl] for g in gT), store_bytes / 2)

    prog.warm(params)
    run_halves(work, B, T * B * params.hidden_size)
    return GradientNorms(out, tuple(np.ascontiguousarray(p) for p in vs))


def _coef_bytes(coefs) -> int:
    n = 0
    for diag, rows, general in coefs.values():
        for a in (diag, *rows, *(c for cs in general for c in cs)):
            n += a.nbytes if isinstance(a, np.ndarray) else 0
    return n


def _chain(prog, params, xs, sT, gT, store_bytes):
    """(T, b) log-norms for one batch slice: forward keeping the VJP coefficients of the
    last steps (within ``store_bytes``) and the states of the others, then the backward
    chain (recomputing the forward pass only where nothing was kept)."""
    T, B = xs.shape[0], xs.shape[1]
    kept = {}
    # decide how many of the last steps can keep their coefficients: measure one step
    env = prog.forward(params, xs[0].T, sT)
    per_step = max(_coef_bytes(block_coefficients(prog, env)), 1)
    keep_from = T - min(T, int(max(store_bytes, 0) // per_step))
    # states only for the steps whose coefficients are recomputed
    hist = [np.empty((keep_from, params.hidden_size, B), dtype=params.dtype) for _ in sT]
    for t in range(T):
        if t < keep_from:
            for hbuf, s in zip(hist, sT, strict=True):
                hbuf[t] = s
        env = prog.forward(params, xs[t].T, sT)
        if t >= keep_from:
            kept[t] = block_coefficients(prog, env)
        sT = next_states(prog, env)
    g = tuple(np.array(p) for p in gT)
    n0 = np.sqrt(sum((p * p).sum(axis=0) for p in g))
    with np.errstate(divide="ignore"):
        acc = np.log(n0)
    g = tuple(np.divide(p, n0, out=np.zeros_like(p), where=n0 > 0) for p in g)
    out = np.empty((T, B), dtype=np.float64)
    for t in range(T - 1, -1, -1):
        coefs = kept.pop(t, None)
        if coefs is None:
            env = prog.forward(params, xs[t].T, tuple(hbuf[t] for hbuf in hist))
            coefs = block_coefficients(prog, env)
        g = full_vjp(prog, params, None, g, coefs)
        n = np.sqrt(sum(np.einsum("ib,ib->b", p, p) for p in g))
        with np.errstate(divide="ignore"):
            acc = acc + np.log(n)
        g = tuple(np.divide(p, n, out=p, where=n > 0) for p in g)
        out[t] = acc
    return out

"""A tiny stand-in for the ``numeric`` API, used only to test the harness (``--engine standin``).

Same signatures as the real engine for what the benchmark calls: ``init``, ``jacobian``,
``gradient_norms``. GRU (pytorch convention) and LSTM only; straightforward NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    cell: str
    convention: str | None
    weight_ih: np.ndarray
    weight_hh: np.ndarray
    bias_ih: np.ndarray
    bias_hh: np.ndarray


@dataclass(frozen=True)
class Norms:
    log_norms: np.ndarray


def init(cell, hidden_size, input_size, convention=None, scheme="pytorch", seed=0,
         dtype=np.float64):
    G = {"gru": 3, "lstm": 4}[cell]
    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(hidden_size)

    def u(*shape):
        return rng.uniform(-k, k, size=shape).astype(dtype)

    return Params(cell, convention, u(G * hidden_size, input_size),
                  u(G * hidden_size, hidden_size), u(G * hidden_size), u(G * hidden_size))


def _sig(a):
    return 0.5 * np.tanh(0.5 * a) + 0.5


def _gru(p, x, h):
    H = h.shape[1]
    gi = x @ p.weight_ih.T + p.bias_ih
    gh = h @ p.weight_hh.T + p.bias_hh
    r = _sig(gi[:, :H] + gh[:, :H])
    z = _sig(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return r, z, n, gh[:, 2 * H:], (1 - z) * n + z * h


def jacobian(params, x, state, *, full=False, block=None, out=None):
    W = params.weight_hh
    if params.cell == "gru":
        h = state
        H = h.shape[1]
        r, z, n, ghn, _ = _gru(params, x, h)
        dn = (1 - z) * (1 - n * n)
        J = ((z * (1 - z) * (h - n))[:, :, None] * W[H:2 * H]
             + (dn * r)[:, :, None] * W[2 * H:]
             + (dn * r * (1 - r) * ghn)[:, :, None] * W[:H])
        J[:, np.arange(H), np.arange(H)] += z
    else:
        h, c = state
        H = h.shape[1]
        a = x @ params.weight_ih.T + params.bias_ih + h @ W.T + params.bias_hh
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), \
            _sig(a[:, 3 * H:])
        tc = np.tanh(f * c + i * g)
        dcdh = ((c * f * (1 - f))[:, :, None] * W[H:2 * H] + (g * i * (1 - i))[:, :, None] * W[:H]
                + (i * (1 - g * g))[:, :, None] * W[2 * H:3 * H])
        dhdh = (tc * o * (1 - o))[:, :, None] * W[3 * H:] + (o * (1 - tc * tc))[:, :, None] * dcdh
        if full:
            J = np.zeros((h.shape[0], 2 * H, 2 * H), dtype=h.dtype)
            J[:, :H, :H] = dhdh
            J[:, :H, H:][:, np.arange(H), np.arange(H)] = o * (1 - tc * tc) * f
            J[:, H:, :H] = dcdh
            J[:, H:, H:][:, np.arange(H), np.arange(H)] = f
        else:
            J = dhdh
    if out is not None:
        out[...] = J
        return out
    return J


def gradient_norms(params, xs, state0, v=None):
    hs = [state0]
    for t in range(xs.shape[0]):
        hs.append(_gru(params, xs[t], hs[-1])[-1])
    g = np.ones_like(state0) if v is None else np.asarray(v)
    logs = np.log(np.linalg.norm(g, axis=-1))
    norm = np.linalg.norm(g, axis=-1)
    g = g / norm[:, None]
    out = np.empty(xs.shape[:2], dtype=state0.dtype)
    for t in reversed(range(xs.shape[0])):
        g = np.einsum("bi,bij->bj", g, jacobian(params, xs[t], hs[t]))
        norm = np.linalg.norm(g, axis=-1)
        logs = logs + np.log(norm)
        out[t] = logs
        g = g / norm[:, None]
    return Norms(out)

"""Independent references for the pre-timing checks: NumPy cells and complex-step Jacobians.

Nothing here comes from ``derivations`` or ``numeric``: the cells are written from their
equations (PyTorch's packed layout and gate order) and differentiated by the complex step

.. math::

    \\frac{\\partial f_i}{\\partial h_j} \\approx \\frac{\\operatorname{Im} f_i(h + \\mathrm{i}\\,
    \\epsilon e_j)}{\\epsilon},\\qquad \\epsilon = 10^{-30},

which has no subtractive cancellation, so it agrees with an exact Jacobian to rounding.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-30


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def gru_step(p, x, h):
    """GRU (pytorch convention) h' for x (B, I), h (B, H); works on complex arrays."""
    H = h.shape[-1]
    gi = x @ np.asarray(p.weight_ih).T + np.asarray(p.bias_ih)
    gh = h @ np.asarray(p.weight_hh).T + np.asarray(p.bias_hh)
    r = _sigmoid(gi[:, :H] + gh[:, :H])
    z = _sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h


def lstm_step(p, x, h, c):
    """LSTM (h', c') for x (B, I), h, c (B, H); works on complex arrays."""
    H = h.shape[-1]
    a = (x @ np.asarray(p.weight_ih).T + np.asarray(p.bias_ih)
         + h @ np.asarray(p.weight_hh).T + np.asarray(p.bias_hh))
    i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H])
    g, o = np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
    c_next = f * c + i * g
    return o * np.tanh(c_next), c_next


def complex_step_jacobian(f, s):
    """(B, M, N) Jacobian of ``f`` ((B, N) -> (B, M)) at ``s`` by the complex step."""
    s = np.asarray(s, dtype=np.float64)
    cols = []
    for j in range(s.shape[1]):
        sc = s.astype(np.complex128)
        sc[:, j] += 1j * _EPS
        cols.append(np.imag(f(sc)) / _EPS)
    return np.stack(cols, axis=-1)


def gru_jacobian(p, x, h):
    """(B, H, H) dh'/dh of the GRU."""
    return complex_step_jacobian(lambda hh: gru_step(p, x, hh), h)


def lstm_jacobian(p, x, h, c, *, full: bool):
    """dh'/dh with c fixed (B, H, H), or the (h, c) state Jacobian (B, 2H, 2H)."""
    if not full:
        return complex_step_jacobian(lambda hh: lstm_step(p, x, hh, c)[0], h)
    H = h.shape[1]
    return complex_step_jacobian(
        lambda s: np.concatenate(lstm_step(p, x, s[:, :H], s[:, H:]), axis=1),
        np.concatenate([h, c], axis=1))


def gru_gradient_log_norms(p, xs, h0, v):
    """(T, B) log||v^T dh_T/dh_t||, t = 0..T-1, from explicit complex-step Jacobian products."""
    hs = [np.asarray(h0, dtype=np.float64)]
    for t in range(xs.shape[0]):
        hs.append(gru_step(p, xs[t], hs[-1]))
    g = np.asarray(v, dtype=np.float64)
    out = []
    for t in reversed(range(xs.shape[0])):
        g = np.einsum("bi,bij->bj", g, gru_jacobian(p, xs[t], hs[t]))
        out.append(np.log(np.linalg.norm(g, axis=-1)))
    return np.stack(out[::-1])

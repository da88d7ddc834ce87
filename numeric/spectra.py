r"""Spectra of the state Jacobian: streamed singular values and Lyapunov exponents.

Lyapunov exponents by the QR method (natural log, per step, with :math:`J_t` itself):

.. math::

    J_t Q_t = Q_{t+1} R_t, \qquad
    \lambda_i = \frac1T \sum_{t=0}^{T-1} \log \lvert (R_t)_{ii} \rvert,

and the sum rule :math:`\sum_i \lambda_i = \frac1T \sum_t \log\lvert\det J_t\rvert` when
all exponents are computed.

>>> import numpy as np, numeric
>>> p = numeric.init("elman", hidden_size=3, input_size=2, seed=0)
>>> lam = numeric.lyapunov(p, np.zeros((50, 2, 2)), np.zeros((2, 3)), k=2)
>>> lam.shape                                        # (B, k)
(2, 2)
>>> bool((lam[:, 0] >= lam[:, 1]).all())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._compile import program
from ._errors import NumericError
from ._validate import check_sequence, check_states
from .jacobian import _fill, block_coefficients, full_jvp, jacobian_chunks, resolve_block
from .params import Params

__all__ = ["lyapunov", "log_det_mean", "lyapunov_sum_rule", "SumRule", "singular_values",
           "spectral_norms", "sigma_min"]


def _sequence_inputs(params, xs, state0):
    if not isinstance(params, Params):
        raise NumericError(f"expected numeric.Params, got {type(params).__name__}")
    states = check_states(params, state0, "state0")
    B = states[0].shape[0]
    xs = check_sequence(params, xs, B)
    return program(params.cell), xs, tuple(s.T for s in states), B


def lyapunov(params: Params, xs, state0, k=None, *, seed: int = 0) -> np.ndarray:
    """The ``k`` leading Lyapunov exponents along the trajectory, (B, k), descending.

    The tangent space is the full state (LSTM: (h, c), dimension 2H); ``k`` defaults to
    all of it. Uses JVPs with ``k`` tangent vectors; J is never formed.
    """
    prog, xs, sT, B = _sequence_inputs(params, xs, state0)
    H, S = params.hidden_size, len(prog.state_names)
    D = S * H
    k = D if k is None else k
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= D:
        raise NumericError(f"k must be an integer in [1, {D}] (the state dimension), got {k!r}")
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(B, D, k)))
    Q = Q.astype(params.dtype)
    acc = np.zeros((B, k))
    for t in range(xs.shape[0]):
        nxt, coefs = block_coefficients(prog, params, xs[t].T, sT, next_states=True)
        QT = np.ascontiguousarray(Q.transpose(1, 0, 2))       # (D, B, k)
        Z = full_jvp(prog, params, coefs, tuple(QT[s * H:(s + 1) * H] for s in range(S)))
        Z = np.concatenate(Z, axis=0).transpose(1, 0, 2)      # (B, D, k)
        Q, R = np.linalg.qr(Z)
        with np.errstate(divide="ignore"):
            acc += np.log(np.abs(np.diagonal(R, axis1=1, axis2=2)))
        sT = nxt
    lam = acc / xs.shape[0]
    return -np.sort(-lam, axis=1)


def log_det_mean(params: Params, xs, state0) -> np.ndarray:
    r""":math:`\frac1T \sum_t \log\lvert\det J_t\rvert` of the full state Jacobian, (B,)."""
    prog, xs, sT, B = _sequence_inputs(params, xs, state0)
    D = params.hidden_size * len(prog.state_names)
    key = resolve_block(prog, None)
    J = np.empty((B, D, D), dtype=params.dtype)
    acc = np.zeros(B)
    for t in range(xs.shape[0]):
        sT, coefs = block_coefficients(prog, params, xs[t].T, sT, next_states=True)
        _fill(prog, params, True, key, J, coefs)
        acc += np.linalg.slogdet(J.astype(np.float64))[1]
    return acc / xs.shape[0]


@dataclass(frozen=True)
class SumRule:
    """Sum of all Lyapunov exponents vs the mean log-determinant, per sample."""

    sum_exponents: np.ndarray
    mean_log_det: np.ndarray

    @property
    def max_abs_error(self) -> float:
        return float(np.max(np.abs(self.sum_exponents - self.mean_log_det)))

    def ok(self, atol: float = 1e-8) -> bool:
        return self.max_abs_error <= atol


def lyapunov_sum_rule(params: Params, xs, state0, *, seed: int = 0) -> SumRule:
    """Check :math:`\\sum_i \\lambda_i = \\frac1T \\sum_t \\log|\\det J_t|` on a trajectory."""
    lam = lyapunov(params, xs, state0, seed=seed)
    return SumRule(lam.sum(axis=1), log_det_mean(params, xs, state0))


_WHICH = ("all", "max", "min")


def singular_values(params: Params, x, state, *, which: str = "all", full: bool = False,
                    block=None, max_bytes=None) -> np.ndarray:
    """Singular values of each sample's Jacobian, streamed over batch chunks.

    ``which='all'`` gives (B, D) descending; ``'max'`` the spectral norms (B,); ``'min'``
    the smallest singular values (B,). At most ``max_bytes`` of Jacobians are held at once.
    """
    if which not in _WHICH:
        raise NumericError(f"which must be one of {_WHICH}, got {which!r}")
    out = None
    for sl, J in jacobian_chunks(params, x, state, full=full, block=block,
                                 max_bytes=max_bytes):
        s = np.linalg.svd(J, compute_uv=False)
        if out is None:
            B = np.shape(state[0] if isinstance(state, (tuple, list)) else state)[0]
            out = np.empty((B, s.shape[1]) if which == "all" else (B,), dtype=s.dtype)
        out[sl] = s if which == "all" else (s[:, 0] if which == "max" else s[:, -1])
    return out


def spectral_norms(params: Params, x, state, **kw) -> np.ndarray:
    """:math:`\\|J\\|_2` per sample, (B,), streamed (see :func:`singular_values`)."""
    return singular_values(params, x, state, which="max", **kw)


def sigma_min(params: Params, x, state, **kw) -> np.ndarray:
    """:math:`\\sigma_{min}(J)` per sample, (B,), streamed (see :func:`singular_values`)."""
    return singular_values(params, x, state, which="min", **kw)

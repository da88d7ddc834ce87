r"""Spectra of the state Jacobian: streamed singular values and Lyapunov exponents.

Lyapunov exponents by the QR method (natural log, per step, with :math:`J_t` itself):

.. math::

    J_t Q_t = Q_{t+1} R_t, \qquad
    \lambda_i = \frac1T \sum_{t=0}^{T-1} \log \lvert (R_t)_{ii} \rvert,

and the sum rule :math:`\sum_i \lambda_i = \frac1T \sum_t \log\lvert\det J_t\rvert` when
all exponents are computed. The factorization need not follow every step: with
:math:`P = J_{t+m-1} \cdots J_t`,

.. math::

    P Q_t = Q_{t+m} R, \qquad R = R_{t+m-1} \cdots R_t, \qquad
    \log\lvert R_{ii} \rvert = \sum_{j=t}^{t+m-1} \log\lvert (R_j)_{ii} \rvert

(QR is unique up to signs), so the frames are orthonormalized every :math:`m` steps, ``m``
chosen after each factorization from the spread of :math:`\log\lvert R_{ii}\rvert`, an
estimate of the condition number the next product will reach (kept below about
:math:`10^4` in float64, so each :math:`\log\lvert R_{ii}\rvert` keeps about
:math:`10^{-12}` relative accuracy), from 1 up to 32. An interval whose product turns out
worse conditioned than estimated, or loses rank, is redone with a shorter one. The
Jacobians are formed and multiplied (one batched GEMM per step) when they fit in 64 MiB,
else the frames go through the derived blocks' JVPs.

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
from ._ops import coefficient_rows, fill_bytes, widest_dim
from ._validate import (
    check_nonempty,
    check_params,
    check_sequence,
    check_states,
    choice,
    finite_real,
    positive_int,
    require_memory,
    seed_value,
)
from .jacobian import (
    _fill,
    block_coefficients,
    chunk_iter,
    full_jvp,
    jacobian_setup,
    resolve_block,
    state_slices,
)
from .params import Params

__all__ = ["lyapunov", "log_det_mean", "lyapunov_sum_rule", "SumRule", "singular_values",
           "spectral_norms", "sigma_min"]

#: Jacobian bytes per chunk of :func:`singular_values` when ``max_bytes`` is not given
SV_CHUNK_BYTES = 64 << 20


def _sequence_inputs(params, xs, state0):
    check_params(params)
    states = check_states(params, state0, "state0")
    B = states[0].shape[0]
    xs = check_sequence(params, xs, B)
    return program(params.cell), xs, tuple(s.T for s in states), B


def _lyapunov_k(params, k):
    D = params.state_size
    if k is None:
        return D
    k = positive_int(k, "k")
    if k > D:
        raise NumericError(f"k must be an integer in [1, {D}] (the state dimension), got {k}")
    return k


def _lyapunov_bytes(params, B, k):
    prog = program(params.cell)
    D = params.state_size
    keys = tuple(prog.blocks)
    # the coefficients of a step, and two (d, B, k) products of the widest dimension a
    # term passes through
    work = (coefficient_rows(prog, keys, params.sizes)
            + 2 * widest_dim(prog, keys, params.sizes) * k) * B * params.dtype.itemsize
    # tangent frames Q (float64 draw, cast, transposed copy), Z, and QR's Q and R; the
    # dense Jacobians when they are formed
    dense = B * D * D * params.dtype.itemsize
    return (5 * D * k + 2 * k * k) * B * 8 + work + (dense if dense <= DENSE_BYTES else 0)


def _log_det_bytes(params, B):
    prog = program(params.cell)
    D = params.state_size
    # J, its float64 copy, the LU factorisation of slogdet; the coefficients and term
    # products of the fill
    return (B * D * D * (params.dtype.itemsize + 16)
            + fill_bytes(prog, params, tuple(prog.blocks), B))


def lyapunov(params: Params, xs, state0, k=None, *, seed: int = 0) -> np.ndarray:
    """The ``k`` leading Lyapunov exponents along the trajectory, (B, k), descending.

    The tangent space is the full state (LSTM: (h, c), dimension 2H); ``k`` defaults to
    all of it. Uses JVPs with ``k`` tangent vectors; J is never formed. Batch size 0
    gives (0, k).

    Raises
    ------
    NumericError
        Before any work: for bad arguments (``k`` not an integer in [1, D], ``seed`` not a
        non-negative integer, bad arrays named with their shape), or when the (B, D, k)
        tangent frames do not fit in the available memory.
    """
    seed = seed_value(seed)
    k = _lyapunov_k(check_params(params), k)
    prog, xs, sT, B = _sequence_inputs(params, xs, state0)
    D = params.state_size
    require_memory(_lyapunov_bytes(params, B, k),
                   f"Lyapunov tangent frames ({B}, {D}, {k})",
                   hint="use fewer exponents k or a smaller batch")
    return _lyapunov(prog, params, xs, sT, B, D, k, seed)


def _lyapunov(prog, params, xs, sT, B, D, k, seed):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(B, D, k)))
    Q = Q.astype(params.dtype)
    product = _tangent_product(prog, params, B, D)
    acc = np.zeros((B, k))
    log_kappa, growth = _LIMITS[np.dtype(params.dtype).char]
    T, t, m = xs.shape[0], 0, 1
    while t < T:
        m = min(m, T - t)
        Z, s = Q, sT
        for j in range(m):
            s, Z = product(xs[t + j], s, Z)
        Qn, R = np.linalg.qr(Z)
        with np.errstate(divide="ignore"):
            d = np.log(np.abs(np.diagonal(R, axis1=1, axis2=2)))
        if not np.all(np.isfinite(d)):
            if m > 1:                 # a rank lost inside the interval: step by step
                m = 1
                continue
            acc += d                  # a singular Jacobian: -inf, as the per-step method
            Q, sT, t = Qn, s, t + 1
            continue
        spread = _spread(d) / m
        if m > 1 and spread * m > 2 * log_kappa:
            m = max(1, m // 2)        # the estimate was wrong: a shorter interval
            continue
        acc += d
        Q, sT, t = Qn, s, t + m
        m = _interval(spread, np.max(np.abs(d), initial=0.0) / m, log_kappa, growth)
    lam = acc / T
    return -np.sort(-lam, axis=1)


#: per frame dtype: (log of the condition number the product of the Jacobians between two
#: orthonormalizations may reach, estimated by the spread of R's diagonal; the largest
#: |log| growth of a column in between). log|R_ii| keeps about eps * kappa relative
#: accuracy: kappa = 1e4 in float64 (1e-12), 10 in float32 (1e-6, its per-step level);
#: exp(200) and exp(40) are far from each dtype's overflow and underflow
_LIMITS = {"d": (np.log(1e4), 200.0), "f": (np.log(10.0), 40.0)}
#: at most this many Jacobians between two QR factorizations
MAX_INTERVAL = 32
#: the Jacobians are formed (B, D, D) when they take at most this many bytes, else the
#: frames are pushed through the derived blocks (JVPs, J never formed)
DENSE_BYTES = 64 << 20


def _spread(d) -> float:
    """log of the largest ratio of R's diagonal entries over the batch: a lower estimate
    of the log condition number of the interval's product."""
    return float(np.max(d.max(axis=1) - d.min(axis=1), initial=0.0))


def _interval(rate: float, grows: float, log_kappa: float, growth: float) -> int:
    """Jacobians until the next QR: the spread (per step ``rate``) stays below
    ``log_kappa`` and a column's |log| growth (per step ``grows``) below ``growth``."""
    m = MAX_INTERVAL
    if rate > 0:
        m = min(m, int(log_kappa / rate))
    if grows > 0:
        m = min(m, int(growth / grows))
    return max(1, m)


def _tangent_product(prog, params, B, D):
    """``product(x, sT, Z) -> (next sT, J Z)`` for frames Z (B, D, k): the dense Jacobian
    times Z when it fits in DENSE_BYTES, else the derived blocks' JVPs."""
    spans = state_slices(params)
    if B * D * D * params.dtype.itemsize <= DENSE_BYTES:
        key = resolve_block(prog, None)
        J = np.empty((B, D, D), dtype=params.dtype)

        def dense(x, sT, Z):
            nxt, coefs = block_coefficients(prog, params, x.T, sT, next_states=True)
            _fill(prog, params, True, key, J, coefs)
            return nxt, np.matmul(J, Z)

        return dense

    def jvps(x, sT, Z):
        nxt, coefs = block_coefficients(prog, params, x.T, sT, next_states=True)
        ZT = np.ascontiguousarray(Z.transpose(1, 0, 2))      # (D, B, k)
        out = full_jvp(prog, params, coefs, tuple(ZT[sl] for sl in spans))
        return nxt, np.concatenate(out, axis=0).transpose(1, 0, 2)

    return jvps


def log_det_mean(params: Params, xs, state0) -> np.ndarray:
    r""":math:`\frac1T \sum_t \log\lvert\det J_t\rvert` of the full state Jacobian, (B,).

    Batch size 0 gives (0,).

    Raises
    ------
    NumericError
        Before any work: for bad arguments, or when the (B, D, D) Jacobians and their
        factorisation do not fit in the available memory.
    """
    prog, xs, sT, B = _sequence_inputs(params, xs, state0)
    D = params.state_size
    require_memory(_log_det_bytes(params, B), f"log-determinants of ({B}, {D}, {D}) Jacobians",
                   hint="use a smaller batch")
    return _log_det_mean(prog, params, xs, sT, B, D)


def _log_det_mean(prog, params, xs, sT, B, D):
    key = resolve_block(prog, None)
    J = np.empty((B, D, D), dtype=params.dtype)
    acc = np.zeros(B)
    for t in range(xs.shape[0]):
        sT, coefs = block_coefficients(prog, params, xs[t].T, sT, next_states=True)
        _fill(prog, params, True, key, J, coefs)
        acc += np.linalg.slogdet(J.astype(np.float64, copy=False))[1]
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
        return self.max_abs_error <= finite_real(atol, "atol")


def lyapunov_sum_rule(params: Params, xs, state0, *, seed: int = 0) -> SumRule:
    """Check :math:`\\sum_i \\lambda_i = \\frac1T \\sum_t \\log|\\det J_t|` on a trajectory.

    Raises
    ------
    NumericError
        Before any work: for bad arguments (as :func:`lyapunov`), for batch size 0
        (nothing to check), or when the Lyapunov frames and the Jacobians of
        :func:`log_det_mean` do not fit in the available memory.
    """
    seed = seed_value(seed)
    prog, xs, sT, B = _sequence_inputs(params, xs, state0)
    check_nonempty(B, "state0")
    D = params.state_size
    require_memory(max(_lyapunov_bytes(params, B, D), _log_det_bytes(params, B)),
                   f"the Lyapunov sum rule for ({B}, {D}, {D}) frames and Jacobians",
                   hint="use a smaller batch")
    lam = _lyapunov(prog, params, xs, sT, B, D, D, seed)
    return SumRule(lam.sum(axis=1), _log_det_mean(prog, params, xs, sT, B, D))


_WHICH = ("all", "max", "min")


def singular_values(params: Params, x, state, *, which: str = "all", full: bool = False,
                    block=None, max_bytes=None) -> np.ndarray:
    """Singular values of each sample's Jacobian, streamed over batch chunks.

    ``which='all'`` gives (B, D) descending (D the smaller side of a non-square block); ``'max'`` the spectral norms (B,); ``'min'``
    the smallest singular values (B,); batch size 0 gives (0, D) or (0,). At most
    ``max_bytes`` of Jacobians are held at once (default: chunks of 64 MiB, or one sample).

    Raises
    ------
    NumericError
        Before any work: for bad arguments (``which`` not one of ``'all'``, ``'max'``,
        ``'min'``; the others as :func:`numeric.jacobian`), when one sample needs more than
        ``max_bytes``, or when a chunk does not fit in the available memory.
    """
    which = choice(which, "which", _WHICH)
    prog, xT, sT, B, full, key, D, nb, max_bytes = jacobian_setup(params, x, state, full,
                                                                  block, max_bytes)
    per = D[0] * D[1] * params.dtype.itemsize
    k = min(D)  # singular values of a (rows, cols) Jacobian
    if max_bytes is None:
        nb = max(1, SV_CHUNK_BYTES // per)
    n0 = min(nb, B)
    # the chunk, the copy and work space of the SVD, the result; the fill's working memory
    require_memory(3 * n0 * per + B * k * 8
                   + fill_bytes(prog, params, tuple(prog.blocks) if full else (key,), n0),
                   f"singular values of {n0} {D[0]}x{D[1]} {params.dtype} Jacobians at a time",
                   hint="pass a smaller max_bytes, or use a smaller batch")
    out = np.empty((B, k) if which == "all" else (B,), dtype=params.dtype)
    for sl, J in chunk_iter(prog, params, xT, sT, full, key, D, nb, B):
        s = np.linalg.svd(J, compute_uv=False)
        out[sl] = s if which == "all" else (s[:, 0] if which == "max" else s[:, -1])
    return out


def spectral_norms(params: Params, x, state, *, full: bool = False, block=None,
                   max_bytes=None) -> np.ndarray:
    """:math:`\\|J\\|_2` per sample, (B,), streamed (see :func:`singular_values`);
    batch size 0 gives (0,).

    Raises
    ------
    NumericError
        As :func:`singular_values`: bad arguments or memory, before any work.
    """
    return singular_values(params, x, state, which="max", full=full, block=block,
                           max_bytes=max_bytes)


def sigma_min(params: Params, x, state, *, full: bool = False, block=None,
              max_bytes=None) -> np.ndarray:
    """:math:`\\sigma_{min}(J)` per sample, (B,), streamed (see :func:`singular_values`);
    batch size 0 gives (0,).

    Raises
    ------
    NumericError
        As :func:`singular_values`: bad arguments or memory, before any work.
    """
    return singular_values(params, x, state, which="min", full=full, block=block,
                           max_bytes=max_bytes)

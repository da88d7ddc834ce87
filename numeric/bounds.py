r"""The derived norm bounds evaluated in batch, next to the exact singular values.

For a block :math:`J = \sum_k \operatorname{diag}(a_{k,0}) W_{k,1} \operatorname{diag}(a_{k,1})
\cdots` (:mod:`derivations.bounds`), per sample:

.. math::

    \sigma_{\min}(J) \ge \underbrace{\min_i |\kappa_i| - \sum_{k \ne \text{carry}}
    \prod_j \|a_{k,j}\|_\infty \prod_j \|W_{k,j}\|_2}_{\texttt{lower}},
    \qquad
    \|J\|_2 \le \underbrace{\sum_k \prod_j \|a_{k,j}\|_\infty \prod_j
    \|W_{k,j}\|_2}_{\texttt{upper}} \le \texttt{global\_upper},

and, where the cell has a carrying gate :math:`g \to g^\ast`, the saturation bound
:math:`\|J - I\|_2 \le K \varepsilon` with :math:`\varepsilon = \max_i |g_i - g^\ast|`.

>>> import numpy as np, numeric
>>> p = numeric.init("gru", hidden_size=6, input_size=3, seed=0)
>>> x, h = np.ones((5, 3)), np.zeros((5, 6))          # (B, I), (B, H)
>>> r = check_bounds(p, x, h)
>>> r.norm.shape, bool(r.ok.all()), bool((r.norm <= r.upper).all())   # (B,)
((5,), True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import derivations as dv
from derivations._bounds_range import RangeSource
from derivations.bounds import NoGlobalBound
from derivations.facts import BoundKind
from derivations.statements import Norm

from ._bound_norms import BoundContext, bound_functions, weight_norms
from ._errors import NumericError
from ._validate import (
    check_nonempty,
    check_params,
    check_sequence,
    check_states,
    finite_real,
    require_memory,
)
from .jacobian import block_shape, jacobian, term_coefficients
from .params import Params
from .step import prepare, rollout

__all__ = ["BoundCheck", "HorizonCheck", "check_bounds", "check_horizon", "weight_norms"]


@dataclass(frozen=True)
class BoundCheck:
    """Per-sample (B,) arrays; ``nan`` where a bound is not defined for the block
    (``global_upper`` and ``global_tightness`` where the block has no global bound, a
    :class:`~derivations.bounds.NoGlobalBound`: the sLSTM, through i = exp(i~) or 1/n').

    ``in_domain`` is False where a state that the invariant lemma bounds (``|h| <= 1``) is
    outside [-1, 1]: the global bound assumes it, so ``ok`` skips that check there.
    """

    block: object
    norm: np.ndarray
    sigma_min: np.ndarray
    upper: np.ndarray
    global_upper: np.ndarray
    lower: np.ndarray
    gap: np.ndarray  # ||J - I||_2 where the block has a saturation bound
    saturation: np.ndarray  # K * epsilon, the saturation bound on the gap
    epsilon: np.ndarray
    in_domain: np.ndarray
    ok: np.ndarray

    @property
    def tightness(self) -> np.ndarray:
        """``norm / upper`` (1 = tight)."""
        return self.norm / self.upper

    @property
    def global_tightness(self) -> np.ndarray:
        """``upper / global_upper``."""
        return self.upper / self.global_upper

    @property
    def lower_tightness(self) -> np.ndarray:
        """``lower / sigma_min`` where the lower bound is positive, else nan."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.lower > 0, self.lower / self.sigma_min, np.nan)


def _term_uppers(ctx: BoundContext, tcs):
    """Per term: prod ||a_j||_inf * prod ||W_j||_2, each (B,)."""
    out = []
    for t, cs in tcs:
        u = np.ones(cs[0].shape[0])
        for c in cs:
            u = u * np.abs(c).max(axis=1)
        for W in t.matrices:
            u = u * ctx.norms[Norm(W, 2)]
        out.append(u)
    return out


@dataclass(frozen=True)
class _BlockResult:
    """The bounds of one block per sample (B,); ``nan`` where not defined or not computed."""

    upper: np.ndarray
    global_upper: np.ndarray
    lower: np.ndarray
    norm: np.ndarray
    sigma_min: np.ndarray
    gap: np.ndarray
    saturation: np.ndarray
    epsilon: np.ndarray


def _block_check(ctx: BoundContext, key, exact=True) -> _BlockResult:
    """Bounds of one block; with ``exact`` also its singular values and identity gap."""
    params, x, states = ctx.params, ctx.x, ctx.states
    bb = dv.derive(params.cell).bounds.blocks[key]
    fns = bound_functions(params.cell)[key]
    tcs = term_coefficients(params, x, _public(params, states), block=key)
    ups = _term_uppers(ctx, tcs)
    B = states[0].shape[0]
    nan = np.full(B, np.nan)
    upper = np.sum(ups, axis=0)
    # no global bound (exp, a division: ``NoGlobalBound``): nan, not inf, so no ratio is taken
    glob = nan if _no_global(bb) else ctx.evaluate(fns.global_upper)
    lower = nan
    if bb.carry is not None:
        carry = sum(cs[0] for t, cs in tcs if t.is_diagonal)
        rest = [u for (t, _), u in zip(tcs, ups, strict=True) if not t.is_diagonal]
        lower = np.abs(carry).min(axis=1) - (np.sum(rest, axis=0) if rest else 0.0)
    if not exact:
        return _BlockResult(upper, glob, lower, nan, nan, nan, nan, nan)
    J = jacobian(params, x, _public(params, states), block=key)
    sv = np.linalg.svd(J, compute_uv=False)
    gap = satur = eps = nan
    sat = fns.saturation
    if sat is not None:
        gap = np.linalg.norm(J - np.eye(J.shape[1]), 2, axis=(1, 2))
        g = ctx.forward()[sat.gate.name].T
        eps = np.abs(g - sat.towards).max(axis=1)
        satur = ctx.evaluate(fns.K) * eps
    return _BlockResult(upper, glob, lower, sv[:, 0], sv[:, -1], gap, satur, eps)


def _no_global(bb) -> bool:
    """True if the block has no global upper bound (a :class:`NoGlobalBound`)."""
    return isinstance(bb.get(BoundKind.GLOBAL_UPPER), NoGlobalBound)


def _public(params, states):
    return states[0] if len(states) == 1 else tuple(states)


def _in_domain(params, states):
    env = dv.derive(params.cell).bounds.env
    ok = np.ones(states[0].shape[0], dtype=bool)
    for s, a in zip(params.cell.states, states, strict=True):
        if env.why.get(s) is RangeSource.INVARIANT:
            ok &= np.abs(a).max(axis=1) <= 1.0
    return ok


def check_bounds(params: Params, x, state, *, which=None, rtol=None) -> BoundCheck:
    r"""Evaluate every per-step bound of a block and compare with its exact singular values.

    Parameters
    ----------
    params : Params
    x : ndarray (B, I)
    state : ndarray (B, H), or the tuple ``(h, c)`` for LSTM
    which : None, pair of state names, or ``'full'``
        The block: default the main block (LSTM: :math:`\partial h_t / \partial h_{t-1}`
        with ``c`` fixed, as :func:`numeric.jacobian`), e.g. ``('c', 'c')`` for the
        constant error carousel, or ``'full'`` for the whole state Jacobian (upper bounds
        combined through the matrix of block bounds).
    rtol : float, optional
        Relative slack for rounding (default 1e-9 in float64, 1e-4 in float32).

    Returns
    -------
    BoundCheck
        Per-sample (B,) arrays: ``norm``, ``sigma_min``, ``upper``, ``global_upper``,
        ``lower``, ``gap``, ``saturation``, ``epsilon``, ``in_domain``, ``ok``, and the
        ratios ``tightness``, ``global_tightness``, ``lower_tightness``.

    Raises
    ------
    NumericError
        Before any work: for bad arrays (named with their shape), an unknown block or a
        ``which`` that is not None, ``'full'`` or a pair of state names, an ``rtol`` that is
        not a finite positive number, batch size 0 (nothing to check), or Jacobians that do
        not fit in the available memory.
    """
    check_params(params)
    tol = _tolerance(params, rtol)
    names = tuple(s.name for s in params.cell.states)
    blocks = dv.derive(params.cell).bounds.blocks
    if isinstance(which, str) and which == "full":
        key = "full" if len(names) > 1 else (names[0], names[0])
    elif which is None:
        key = (names[0], names[0])
    elif (isinstance(which, (tuple, list)) and len(which) == 2
          and all(isinstance(w, str) for w in which)):
        key = tuple(which)
        if key not in blocks:
            raise NumericError(f"which={which!r}: cell {params.cell.title!r} has blocks "
                               f"{list(blocks)} (or 'full')")
    else:
        raise NumericError(f"which must be None, 'full' or a pair of state names (cell "
                           f"{params.cell.title!r} has blocks {list(blocks)}), got {which!r} "
                           f"({type(which).__name__})")
    prog, xT, sT, B = prepare(params, x, state)
    check_nonempty(B, "state")
    D = block_shape(params, prog, key == "full", key)
    # J, the copy and work space of the SVD, J - I and its SVD
    require_memory(4 * B * D[0] * D[1] * 8,
                   f"checking the bounds of ({B}, {D[0]}, {D[1]}) Jacobians",
                   hint="check a smaller batch")
    states = tuple(np.ascontiguousarray(s.T) for s in sT)
    x = xT.T
    if key == "full":
        return _full_check(params, x, states, names, tol)
    r = _block_check(BoundContext(params, x, states), key)
    dom = _in_domain(params, states)
    ok = _ok(r, dom, tol)
    return BoundCheck(key, r.norm, r.sigma_min, r.upper, r.global_upper, r.lower, r.gap,
                      r.saturation, r.epsilon, dom, ok)


def _tolerance(params, rtol) -> float:
    if rtol is not None:
        return finite_real(rtol, "rtol", positive=True)
    return 1e-9 if params.dtype == np.float64 else 1e-4


def _ok(r: _BlockResult, dom, tol):
    slack = tol * np.maximum(1.0, r.upper)
    ok = r.norm <= r.upper + slack
    ok &= ~dom | np.isnan(r.global_upper) | (
        r.upper <= r.global_upper + tol * np.maximum(1.0, r.global_upper))
    ok &= np.isnan(r.lower) | (r.sigma_min >= r.lower - slack)
    ok &= np.isnan(r.saturation) | (r.gap <= r.saturation + slack)
    return ok


def _full_upper(ctx: BoundContext, names):
    """Spectral norms of the (B, S, S) matrices of block upper and global bounds."""
    params, states = ctx.params, ctx.states
    blocks = dv.derive(params.cell).bounds.blocks
    S = len(names)
    B = states[0].shape[0]
    N = np.zeros((B, S, S))
    G = np.zeros((B, S, S))
    for a, oa in enumerate(names):
        for b, ob in enumerate(names):
            if (oa, ob) in blocks:
                r = _block_check(ctx, (oa, ob), exact=False)
                N[:, a, b], G[:, a, b] = r.upper, r.global_upper
    # a block without a global bound (nan) leaves the full state Jacobian without one
    glob = (np.linalg.norm(G, 2, axis=(1, 2)) if np.isfinite(G).all()
            else np.full(B, np.nan))
    return np.linalg.norm(N, 2, axis=(1, 2)), glob


def _full_check(params, x, states, names, tol):
    B = states[0].shape[0]
    upper, glob = _full_upper(BoundContext(params, x, states), names)
    J = jacobian(params, x, _public(params, states), full=True)
    sv = np.linalg.svd(J, compute_uv=False)
    nan = np.full(B, np.nan)
    r = _BlockResult(upper, glob, nan, sv[:, 0], sv[:, -1], nan, nan, nan)
    dom = _in_domain(params, states)
    return BoundCheck("full", r.norm, r.sigma_min, upper, glob, nan, nan, nan, nan, dom,
                      _ok(r, dom, tol))


@dataclass(frozen=True)
class HorizonCheck:
    r"""Multi-step bounds over a rollout, per sample (B,) and per step (T, B).

    ``norm``/``sigma_min`` are those of :math:`\partial s_T / \partial s_0` (the product of
    the per-step Jacobians); ``upper``/``lower`` the products of the per-step bounds
    (``lower`` is nan unless every step's lower bound is positive).
    """

    norm: np.ndarray
    sigma_min: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    step_upper: np.ndarray
    step_lower: np.ndarray
    ok: np.ndarray


def check_horizon(params: Params, xs, state0, *, rtol=None) -> HorizonCheck:
    r"""Roll out ``xs`` (T, B, I) from ``state0`` and check the multi-step bounds.

    .. math::

        \sigma_{\min}\Big(\prod_t J_t\Big) \ge \prod_t L_t \ (\text{all } L_t > 0), \qquad
        \Big\|\prod_t J_t\Big\|_2 \le \prod_t U_t.

    Single-state cells use the main block; multi-state cells (LSTM) the full state
    Jacobian, whose per-step upper bound is the spectral norm of the matrix of block bounds.

    Raises
    ------
    NumericError
        Before any work: for bad arrays (named with their shape; ``xs`` needs T >= 1), an
        ``rtol`` that is not a finite positive number, batch size 0 (nothing to check), or
        a trajectory and Jacobian products that do not fit in the available memory.
    """
    check_params(params)
    tol = _tolerance(params, rtol)
    states = check_states(params, state0, "state0")
    B = states[0].shape[0]
    xs = check_sequence(params, xs, B)
    check_nonempty(B, "state0")
    T, S, D = xs.shape[0], len(states), params.state_size
    # the trajectory, then per step J, the product so far and the new product, and the SVD
    require_memory(T * B * D * params.dtype.itemsize + 5 * B * D * D * 8,
                   f"checking {T} steps of ({B}, {D}, {D}) Jacobian products",
                   hint="check fewer steps or a smaller batch")
    traj = rollout(params, xs, states[0] if S == 1 else states)
    multi = S > 1
    prev = states[0] if S == 1 else states
    P = None
    ups, lows = [], []
    key = (params.cell.states[0].name,) * 2
    norms = weight_norms(params)
    for t in range(T):
        ctx = BoundContext(params, xs[t], check_states(params, prev), norms)
        if multi:
            up = _full_upper(ctx, [s.name for s in params.cell.states])[0]
            low = np.full(up.shape, np.nan)
        else:
            r = _block_check(ctx, key, exact=False)
            up, low = r.upper, r.lower
        J = jacobian(params, xs[t], prev, full=multi)
        P = J if P is None else J @ P
        ups.append(up)
        lows.append(low)
        prev = tuple(a[t] for a in traj) if multi else traj[t]
    sv = np.linalg.svd(P, compute_uv=False)
    ups, lows = np.array(ups), np.array(lows)
    upper = np.prod(ups, axis=0)
    lower = np.where((lows > 0).all(axis=0), np.prod(lows, axis=0), np.nan)
    slack = tol * T * np.maximum(1.0, upper)
    ok = (sv[:, 0] <= upper + slack) & (np.isnan(lower) | (sv[:, -1] >= lower * (1 - tol * T)))
    return HorizonCheck(sv[:, 0], sv[:, -1], upper, lower, ups, lows, ok)

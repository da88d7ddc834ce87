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
import sympy as sp

import derivations as dv
from derivations.bounds import norm_target

from ._errors import NumericError
from ._validate import (
    check_nonempty,
    check_params,
    check_sequence,
    check_states,
    finite_real,
    require_memory,
)
from .jacobian import jacobian, term_coefficients
from .params import Params
from .step import prepare, rollout

__all__ = ["BoundCheck", "HorizonCheck", "check_bounds", "check_horizon", "weight_norms"]


@dataclass(frozen=True)
class BoundCheck:
    """Per-sample (B,) arrays; ``nan`` where a bound is not defined for the block.

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


def weight_norms(params: Params) -> dict:
    """Norm-symbol name -> value: ``norm2_W`` (spectral), ``norminf_W`` (max row sum),
    ``norminf_b`` (max entry) for every weight and bias (cached on ``params``).

    Raises
    ------
    NumericError
        If ``params`` is not a :class:`numeric.Params`.
    """
    check_params(params)
    hit = params._cache.get(("bound-norms",))
    if hit is None:
        hit = {}
        for W in params.cell.weights:
            a = params.arrays[W.name]
            hit[f"norm2_{W.name}"] = float(np.linalg.norm(a, 2))
            hit[f"norminf_{W.name}"] = float(np.abs(a).sum(axis=1).max())
        for b in params.cell.biases:
            hit[f"norminf_{b.name}"] = float(np.abs(params.arrays[b.name]).max())
        params._cache[("bound-norms",)] = hit
    return hit


_LAMBDAS: dict = {}


def _eval_norm_expr(expr, params, states, x):
    """Evaluate a SymPy expression in norm symbols, per sample (B,).

    Weight and bias norms come from :func:`weight_norms`; ``norminf`` of a state or the
    input per sample, and of a quantity of the cell (an unbounded intermediate such as
    ``q = (U h) * (W x)``, of any dimension) per sample from the forward pass.
    """
    B = states[0].shape[0]
    vals = weight_norms(params)
    subs = {}
    names = {s.name: a for s, a in zip(params.cell.states, states, strict=True)}
    names[params.cell.inputs[0].name] = x
    quantities = {q.symbol.name for q in params.cell.quantities}
    env = None
    for s in sp.sympify(expr).free_symbols:
        if s.name in vals:
            subs[s] = vals[s.name]
            continue
        tgt = norm_target(s)
        if tgt is not None and tgt[0] not in names and tgt[0] in quantities:
            if env is None:
                prog, xT, sT, _ = prepare(params, x, _public(params, states))
                env = prog.forward(params, xT, sT)
            names[tgt[0]] = env[tgt[0]].T
        if tgt is None or tgt[0] not in names:
            raise NumericError(f"cannot evaluate norm symbol {s} of {params.cell.title!r}")
        subs[s] = np.abs(names[tgt[0]]).max(axis=1, initial=0.0)
    key = (expr, tuple(subs))
    fn = _LAMBDAS.get(key)
    if fn is None:
        fn = _LAMBDAS[key] = sp.lambdify(list(subs), expr, modules="numpy")
    return np.broadcast_to(np.asarray(fn(*subs.values()), dtype=float), (B,)).copy()


def _term_uppers(params, tcs):
    """Per term: prod ||a_j||_inf * prod ||W_j||_2, each (B,)."""
    norms = weight_norms(params)
    out = []
    for t, cs in tcs:
        u = np.ones(cs[0].shape[0])
        for c in cs:
            u = u * np.abs(c).max(axis=1)
        for W in t.matrices:
            u = u * norms[f"norm2_{W.name}"]
        out.append(u)
    return out


def _block_check(params, x, states, key, exact=True):
    """Bounds of one block; with ``exact`` also its singular values and identity gap."""
    bb = dv.derive(params.cell).bounds.blocks[key]
    tcs = term_coefficients(params, x, _public(params, states), block=key)
    ups = _term_uppers(params, tcs)
    B = states[0].shape[0]
    out = {"upper": np.sum(ups, axis=0),
           "global": _eval_norm_expr(bb.global_upper, params, states, x)}
    nan = np.full(B, np.nan)
    out["lower"] = out["gap"] = out["saturation"] = out["eps"] = nan
    if bb.carry is not None:
        carry = sum(cs[0] for t, cs in tcs if t.is_diagonal)
        rest = [u for (t, _), u in zip(tcs, ups, strict=True) if not t.is_diagonal]
        out["lower"] = np.abs(carry).min(axis=1) - (np.sum(rest, axis=0) if rest else 0.0)
    if not exact:
        return out
    J = jacobian(params, x, _public(params, states), block=key)
    sv = np.linalg.svd(J, compute_uv=False)
    out["norm"], out["smin"] = sv[:, 0], sv[:, -1]
    sat = bb.get("saturation")
    if sat is not None:
        out["gap"] = np.linalg.norm(J - np.eye(J.shape[1]), 2, axis=(1, 2))
        prog, xT, sT, _ = prepare(params, x, _public(params, states))
        env = prog.forward(params, xT, sT)
        g = env[sat.data["gate"].name].T
        out["eps"] = np.abs(g - sat.data["value"]).max(axis=1)
        out["saturation"] = _eval_norm_expr(sat.data["K"], params, states, x) * out["eps"]
    return out


def _public(params, states):
    return states[0] if len(states) == 1 else tuple(states)


def _in_domain(params, states):
    env = dv.derive(params.cell).bounds.env
    ok = np.ones(states[0].shape[0], dtype=bool)
    for s, a in zip(params.cell.states, states, strict=True):
        if env.why.get(s) == "invariant":
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
    D = params.hidden_size * (len(names) if key == "full" else 1)
    # J, the copy and work space of the SVD, J - I and its SVD
    require_memory(4 * B * D * D * 8, f"checking the bounds of ({B}, {D}, {D}) Jacobians",
                   hint="check a smaller batch")
    states = tuple(np.ascontiguousarray(s.T) for s in sT)
    x = xT.T
    if key == "full":
        return _full_check(params, x, states, names, tol)
    r = _block_check(params, x, states, key)
    dom = _in_domain(params, states)
    ok = _ok(r["norm"], r["smin"], r["upper"], r["global"], r["lower"], r["gap"],
             r["saturation"], dom, tol)
    return BoundCheck(key, r["norm"], r["smin"], r["upper"], r["global"], r["lower"], r["gap"],
                      r["saturation"], r["eps"], dom, ok)


def _tolerance(params, rtol) -> float:
    if rtol is not None:
        return finite_real(rtol, "rtol", positive=True)
    return 1e-9 if params.dtype == np.float64 else 1e-4


def _ok(norm, smin, upper, glob, lower, gap, satur, dom, tol):
    slack = tol * np.maximum(1.0, upper)
    ok = norm <= upper + slack
    ok &= ~dom | (upper <= glob + tol * np.maximum(1.0, glob))
    ok &= np.isnan(lower) | (smin >= lower - slack)
    ok &= np.isnan(satur) | (gap <= satur + slack)
    return ok


def _full_upper(params, x, states, names):
    """Spectral norms of the (B, S, S) matrices of block upper and global bounds."""
    blocks = dv.derive(params.cell).bounds.blocks
    S = len(names)
    B = states[0].shape[0]
    N = np.zeros((B, S, S))
    G = np.zeros((B, S, S))
    for a, oa in enumerate(names):
        for b, ob in enumerate(names):
            if (oa, ob) in blocks:
                r = _block_check(params, x, states, (oa, ob), exact=False)
                N[:, a, b], G[:, a, b] = r["upper"], r["global"]
    return np.linalg.norm(N, 2, axis=(1, 2)), np.linalg.norm(G, 2, axis=(1, 2))


def _full_check(params, x, states, names, tol):
    B = states[0].shape[0]
    upper, glob = _full_upper(params, x, states, names)
    J = jacobian(params, x, _public(params, states), full=True)
    sv = np.linalg.svd(J, compute_uv=False)
    nan = np.full(B, np.nan)
    gap = nan
    dom = _in_domain(params, states)
    ok = _ok(sv[:, 0], sv[:, -1], upper, glob, nan, gap, nan, dom, tol)
    return BoundCheck("full", sv[:, 0], sv[:, -1], upper, glob, nan, gap, nan, nan, dom, ok)


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
    T, S, H = xs.shape[0], len(states), params.hidden_size
    D = S * H if S > 1 else H
    # the trajectory, then per step J, the product so far and the new product, and the SVD
    require_memory(S * T * B * H * params.dtype.itemsize + 5 * B * D * D * 8,
                   f"checking {T} steps of ({B}, {D}, {D}) Jacobian products",
                   hint="check fewer steps or a smaller batch")
    traj = rollout(params, xs, states[0] if S == 1 else states)
    multi = S > 1
    prev = states[0] if S == 1 else states
    P = None
    ups, lows = [], []
    key = (params.cell.states[0].name,) * 2
    for t in range(T):
        parts = check_states(params, prev)
        if multi:
            up = _full_upper(params, xs[t], parts, [s.name for s in params.cell.states])[0]
            low = np.full(up.shape, np.nan)
        else:
            r = _block_check(params, xs[t], parts, key, exact=False)
            up, low = r["upper"], r["lower"]
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

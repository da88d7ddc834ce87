r"""One point of a sweep: :func:`sweep_point` computes every metric from the point alone.

At a point (cell, scheme, :math:`\sigma_w`, gate bias :math:`\beta`, H, T, input, seed):

- parameters ``numeric.init(cell, H, I, scheme=scheme, seed=seed, scale=sigma_w,
  t_max=t_max or T)`` (``scale`` multiplies the recurrent weights, those acting on states),
  then :math:`\beta` added to the carrying gate's bias (:func:`gate_bias_offset`);
- inputs :math:`x_t` (T, B, I) drawn from ``numpy.random.default_rng(seed)``; the initial
  state zero;
- metrics (medians over the batch B unless said otherwise):

  - ``lyapunov`` (k,): the median of each of the k leading exponents of
    :func:`numeric.lyapunov` (``seed=seed``);
  - ``grad_rate``: per sample the least-squares slope of
    :math:`\log\|v^\top \partial s_T/\partial s_t\|` against :math:`n = T - t`
    (:func:`numeric.gradient_norms`, ``seed=seed``), then the median;
  - ``weyl_positive``: the fraction of (step, sample) pairs, over all T steps, where the
    Weyl lower bound :math:`\min_i|\kappa_i| - \|E\|_2` of the carrying block (the first
    state's own block with a carry term: GRU ``h``, LSTM ``c``) is positive
    (:func:`numeric.check_bounds`'s ``lower``); NaN for a cell without such a block;
  - ``saturation_0``, ``saturation_1``: the fractions of the carrying gate's values (all
    steps, samples and units) within ``saturation_tol`` of 0 and of 1; NaN without a
    carrying gate;
  - ``tightness_median``, ``tightness_p90``: :math:`\|J\|_2 / U` of the full state
    Jacobian (:func:`numeric.check_bounds`, ``which="full"``, as the zoo table) at
    ``bound_steps`` evenly spaced steps, median and 90th percentile over steps and samples.

A point whose computation raises returns ``{"failed": message}``.

>>> from numeric import SweepSpec
>>> spec = SweepSpec.from_dict({"axes": {"H": [4], "T": [20]}, "settings": {"batch": 2}})
>>> r = sweep_point(spec, spec.point((0,) * len(spec.dims)))
>>> sorted(r), r["lyapunov"].shape          # (k,)
(['grad_rate', 'lyapunov', 'saturation_0', 'saturation_1', 'tightness_median', 'tightness_p90', 'weyl_positive'], (1,))
"""

from __future__ import annotations

import numpy as np

from ._errors import NumericError
from .sweep_spec import SweepSpec

__all__ = ["sweep_point", "point_params", "point_inputs", "gate_bias_offset", "carry_block",
           "least_squares_rate", "VARIABLES"]

#: the result variables of each metric
VARIABLES = {"lyapunov": ("lyapunov",), "grad_rate": ("grad_rate",),
             "weyl_positive": ("weyl_positive",), "saturation": ("saturation_0", "saturation_1"),
             "tightness": ("tightness_median", "tightness_p90")}

#: Jacobian bytes per chunk of steps for the bound checks
_CHUNK_BYTES = 32 << 20


def gate_bias_offset(params, beta: float):
    r"""``params`` with :math:`\beta` added to the carrying gate's bias, signed so that
    :math:`\beta > 0` moves the gate towards carrying.

    The gate's pre-activation reads the sum of its biases, so :math:`\beta` goes to the
    first bias the gate reads directly (GRU ``b_iz``, LSTM ``b_if``), with sign ``+`` when
    the gate carries towards 1 (GRU pytorch/cho ``z``, LSTM ``f``) and ``-`` towards 0
    (GRU seed ``z``, MGU ``f``). A gate that reads its biases through other quantities
    (minLSTM, RG-LRU, sLSTM) gets :math:`\pm\beta` on each such bias, the sign that moves it
    towards carrying (as ``scheme="chrono"``). No other bias moves.

    >>> import numeric
    >>> p = numeric.init("gru", 3, 2, seed=0)
    >>> q = gate_bias_offset(p, 2.0)
    >>> [n for n in p.arrays if not np.array_equal(p.arrays[n], q.arrays[n])]
    ['b_iz']
    """
    from ._init import _biases_towards, _direct_biases

    beta = float(beta)
    if beta == 0.0:
        return params
    c = params.cell
    if c.carrying is None:
        raise NumericError(f"gate_bias {beta!r}: cell {c.title!r} has no carrying gate; "
                           "only gate_bias 0 applies to it")
    defs = {q.symbol.name: q.expr for q in c.quantities}
    direct = _direct_biases(c, defs[c.carrying.gate.name])
    if direct:
        sign = 1.0 if c.carrying.towards == 1 else -1.0
        moves = {direct[0]: sign}
    else:
        moves = _biases_towards(c, c.carrying)
    return params.with_arrays(**{n: params.arrays[n] + s * beta for n, s in moves.items()})


def point_params(spec: SweepSpec, point: dict):
    """The parameters of ``point``: :func:`numeric.init` then :func:`gate_bias_offset`."""
    from ._init import init
    from .params import resolve_cell

    cell = resolve_cell(*point["cell"].split(":"))
    H, T = point["H"], point["T"]
    I_ = H if cell.input_in_state_dim else spec.settings["input_size"]
    t_max = spec.settings["t_max"] or T
    p = init(cell, H, I_, scheme=point["scheme"], seed=point["seed"], scale=point["sigma_w"],
             t_max=t_max if point["scheme"] == "chrono" else None)
    return gate_bias_offset(p, point["gate_bias"])


def point_inputs(spec: SweepSpec, point: dict, input_size: int) -> np.ndarray:
    """The inputs (T, B, I) of ``point`` from ``default_rng(seed)``: ``normal:s`` draws
    :math:`s\\,N(0, 1)`, ``uniform:a`` draws :math:`U(-a, a)`, ``zeros`` none."""
    T, B = point["T"], spec.settings["batch"]
    name, _, number = point["input"].partition(":")
    rng = np.random.default_rng(point["seed"])
    shape = (T, B, input_size)
    if name == "zeros":
        return np.zeros(shape)
    a = float(number)
    if name == "normal":
        return a * rng.standard_normal(shape)
    return rng.uniform(-1.0, 1.0, size=shape) * a


def carry_block(cell):
    """The first state's own block ``(s, s)`` whose Jacobian has a carry term (the Weyl
    lower bound's block), or None."""
    import derivations as dv

    blocks = dv.derive(cell).bounds.blocks
    for s in cell.states:
        key = (s.name, s.name)
        if key in blocks and blocks[key].carry is not None:
            return key
    return None


def least_squares_rate(log_norms: np.ndarray) -> np.ndarray:
    r"""Per sample (B,), the least-squares slope of ``log_norms[t]`` (T, B) against
    :math:`n = T - t`; a sample with a non-finite log-norm gives ``-inf`` if one is
    ``-inf`` (an exactly zero gradient) and NaN otherwise.

    >>> n = np.arange(5, 0, -1.0)[:, None]                     # n = T - t, T = 5
    >>> rate = least_squares_rate(np.log(0.5) * n + 3.0)      # (B,) = (1,)
    >>> rate.shape, bool(np.allclose(rate, np.log(0.5), rtol=1e-12))
    ((1,), True)
    """
    T = log_norms.shape[0]
    n = T - np.arange(T, dtype=float)
    nc = n - n.mean()
    finite = np.isfinite(log_norms).all(axis=0)
    safe = np.where(np.isfinite(log_norms), log_norms, 0.0)
    slope = nc @ (safe - safe.mean(axis=0)) / (nc @ nc)
    neg = np.isneginf(log_norms).any(axis=0)
    return np.where(finite, slope, np.where(neg, -np.inf, np.nan))


def _states_before(s0, traj, ts):
    """The state entering each step of ``ts`` (s0 at t = 0), per state, (len(ts), B, H)."""
    parts = traj if isinstance(traj, tuple) else (traj,)
    first = s0 if isinstance(s0, tuple) else (s0,)
    return [np.concatenate([f[None], a[:-1]])[ts] for f, a in zip(first, parts, strict=True)]


def _chunks(n_steps: int, B: int, D: int):
    per = max(1, _CHUNK_BYTES // max(1, 4 * B * D * D * 8))
    return [slice(i, min(i + per, n_steps)) for i in range(0, n_steps, per)]


def _flat(xs, states, sl):
    n, B = xs[sl].shape[:2]
    x = xs[sl].reshape(n * B, -1)
    st = tuple(s[sl].reshape(n * B, -1) for s in states)
    return x, (st[0] if len(st) == 1 else st)


def _weyl_and_gates(p, xs, states, tol, want_weyl, want_sat):
    """(fraction of positive Weyl lower bounds, fraction of gate values near 0, near 1),
    over all steps, each None when not asked for."""
    from ._bound_norms import BoundContext
    from .bounds import _block_check, weight_norms

    key = carry_block(p.cell)
    gate = p.cell.carrying.gate.name if p.cell.carrying is not None else None
    D = p.hidden_size
    positive = total = near0 = near1 = count = 0
    norms = weight_norms(p) if want_weyl and key is not None else None
    for sl in _chunks(xs.shape[0], xs.shape[1], D):
        x, st = _flat(xs, states, sl)
        st = st if isinstance(st, tuple) else (st,)
        ctx = BoundContext(p, x, tuple(np.ascontiguousarray(s) for s in st), norms)
        if want_weyl and key is not None:
            lower = _block_check(ctx, key, exact=False).lower
            positive += int((lower > 0).sum())
            total += lower.size
        if want_sat and gate is not None:
            g = ctx.forward()[gate]
            near0 += int((np.abs(g) <= tol).sum())
            near1 += int((np.abs(g - 1.0) <= tol).sum())
            count += g.size
    weyl = (positive / total if total else np.nan) if want_weyl else None
    sat = ((near0 / count, near1 / count) if count else (np.nan, np.nan)) if want_sat else None
    return weyl, sat


def _tightness(p, xs, states, n_steps):
    from .bounds import check_bounds

    T = xs.shape[0]
    ts = np.unique(np.linspace(0, T - 1, min(n_steps, T)).round().astype(int))
    xs_s, st_s = xs[ts], [s[ts] for s in states]
    D = p.hidden_size * len(p.cell.states)
    ratios = []
    for sl in _chunks(len(ts), xs.shape[1], D):
        x, st = _flat(xs_s, st_s, sl)
        bc = check_bounds(p, x, st, which="full")
        ratios.append(bc.norm / bc.upper)
    r = np.concatenate(ratios)
    return float(np.median(r)), float(np.quantile(r, 0.9))


def _compute(spec: SweepSpec, point: dict) -> dict:
    from .horizon import gradient_norms
    from .spectra import lyapunov
    from .step import rollout

    p = point_params(spec, point)
    B, k = spec.settings["batch"], spec.settings["k"]
    xs = point_inputs(spec, point, p.input_size)
    z = [np.zeros((B, p.hidden_size)) for _ in p.cell.states]
    s0 = z[0] if len(z) == 1 else tuple(z)
    seed, m = point["seed"], spec.metrics
    out = {}
    with np.errstate(all="ignore"):
        if "lyapunov" in m:
            out["lyapunov"] = np.median(lyapunov(p, xs, s0, k=k, seed=seed), axis=0)
        if "grad_rate" in m:
            logn = gradient_norms(p, xs, s0, seed=seed).log_norms
            out["grad_rate"] = float(np.median(least_squares_rate(logn)))
        want_weyl, want_sat = "weyl_positive" in m, "saturation" in m
        if want_weyl or want_sat or "tightness" in m:
            traj = rollout(p, xs, s0)
            states = _states_before(s0, traj, np.arange(xs.shape[0]))
            if want_weyl or want_sat:
                weyl, sat = _weyl_and_gates(p, xs, states, spec.settings["saturation_tol"],
                                            want_weyl, want_sat)
                if want_weyl:
                    out["weyl_positive"] = weyl
                if want_sat:
                    out["saturation_0"], out["saturation_1"] = sat
            if "tightness" in m:
                out["tightness_median"], out["tightness_p90"] = _tightness(
                    p, xs, states, spec.settings["bound_steps"])
    return out


def sweep_point(spec, point: dict) -> dict:
    """Every metric of the spec at ``point`` (axis name -> value), reproducible from the
    point alone; ``{"failed": message}`` if the computation raises (the spec and the point
    themselves are checked first: NumericError for a malformed one).

    Returns
    -------
    dict
        Variable name -> value: ``lyapunov`` an array (k,), the others floats (see the
        module docstring), for the spec's metrics.
    """
    spec = SweepSpec.from_dict(spec)
    point = spec.check_point(point)
    try:
        return _compute(spec, point)
    except Exception as exc:  # a point that raises is recorded, the sweep goes on
        text = str(exc).strip().splitlines()
        return {"failed": f"{type(exc).__name__}: {text[0] if text else ''}".strip()}

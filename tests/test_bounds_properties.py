"""Property-based proof of the gating bounds, per cell and convention, against references.

Every exact norm is computed from the complex-step Jacobian of the hand-written cells of
:mod:`tests._reference`, never from the engine under test. In the ``ci`` profile
each property runs 200 examples per cell (parametrized by cell). The public properties of
:mod:`numeric.testing` (what users run on their own cells) run on every built-in cell too.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import derivations as dv
import numeric
from derivations.facts import BoundKind
from numeric.bounds import check_bounds, weight_norms
from numeric.testing import check_case

from ._reference import KEYS, rand_params, ref_gates, ref_jacobian, ref_step
from .strategies import carrying_shifts, horizons, keyed_cases

RTOL = 1e-9
CARRYING = [k for k in KEYS if k[0] != "elman"]


def _shift_gates(name, P, shift):
    """Add ``shift`` to the input-side bias of every sigmoid gate (towards saturation)."""
    cell = dv.cell(name, None if name != "gru" else "pytorch")
    for q in cell.quantities:
        if isinstance(q.expr, dv.sigmoid):
            bs = [b.name for b in cell.biases if b in q.expr.free_symbols]
            P[bs[0]] = P[bs[0]] + shift
    return P


def _setup(case, shift=None):
    rng = case.rng()
    H, I, B = case.hidden, case.inputs, case.batch
    P = rand_params(case.name, case.convention, H, I, rng, scale=case.scale)
    P = _shift_gates(case.name, P, case.bias_shift if shift is None else shift)
    x = rng.normal(size=(B, I))
    h = rng.uniform(-1, 1, size=(B, H))
    state = (h, 3 * rng.normal(size=(B, H))) if case.name == "lstm" else h
    params = numeric.Params(dv.cell(case.name, case.convention), P)
    return params, P, x, state


def _svals(J):
    """Largest and smallest singular values from the eigenvalues of J^T J (B, n, n)."""
    ev = np.linalg.eigvalsh(np.swapaxes(J, 1, 2) @ J).clip(0)
    return np.sqrt(ev[:, -1]), np.sqrt(ev[:, 0])


@pytest.mark.parametrize(("name", "conv"), KEYS)
@given(data=st.data())
def test_per_step_bounds_hold(name, conv, data):
    # LSTM: H <= 32, so that its full state (2H) stays within the 64 of the other cells
    case = data.draw(keyed_cases(name, conv, max_hidden=32 if name == "lstm" else 64))
    params, P, x, state = _setup(case)
    r = check_bounds(params, x, state)
    J = ref_jacobian(name, conv, P, x, state, wrt=0, out=0)
    sv = np.linalg.svd(J, compute_uv=False)
    norm, smin = sv[:, 0], sv[:, -1]
    tol = RTOL * np.maximum(1, r.upper)
    np.testing.assert_allclose(r.norm, norm, rtol=1e-8, atol=1e-12)
    assert (norm <= r.upper + tol).all()
    assert (r.upper <= r.global_upper * (1 + RTOL)).all()
    pos = r.lower > 0
    assert (smin[pos] >= r.lower[pos] - tol[pos]).all()
    sat = ~np.isnan(r.saturation)
    gap = np.linalg.norm(J - np.eye(J.shape[1]), 2, axis=(1, 2))
    assert (gap[sat] <= r.saturation[sat] + tol[sat]).all()
    assert r.ok.all()
    if name == "lstm":
        cc = check_bounds(params, x, state, which=("c", "c"))
        Jcc = ref_jacobian(name, conv, P, x, state, wrt=1, out=1)
        f = np.diagonal(Jcc, axis1=1, axis2=2)
        # dc'/dc = diag(f): sigma_min = min f exactly, ||dc'/dc - I|| = max(1 - f)
        np.testing.assert_allclose(cc.sigma_min, f.min(axis=1), rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(cc.lower, f.min(axis=1), rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(cc.gap, (1 - f).max(axis=1), rtol=1e-9, atol=1e-15)
        for out, wrt in ((0, 1), (1, 0)):                # dh'/dc and dc'/dh
            rb = check_bounds(params, x, state, which=(("h", "c")[out], ("h", "c")[wrt]))
            sv = np.linalg.svd(ref_jacobian(name, conv, P, x, state, wrt=wrt, out=out),
                               compute_uv=False)
            nb, sb = sv[:, 0], sv[:, -1]
            assert (nb <= rb.upper * (1 + RTOL) + 1e-15).all()
            assert (rb.upper <= rb.global_upper * (1 + RTOL)).all() and rb.ok.all()
            pos = rb.lower > 0
            assert (sb[pos] >= rb.lower[pos] * (1 - 1e-9) - 1e-15).all()
        full = check_bounds(params, x, state, which="full")
        Jf = ref_jacobian(name, conv, P, x, state)
        nf, _ = _svals(Jf)
        assert (nf <= full.upper * (1 + RTOL)).all() and full.ok.all() and cc.ok.all()


@pytest.mark.parametrize(("name", "conv"), KEYS)
@given(data=st.data())
def test_multistep_bounds_hold_over_random_horizons(name, conv, data):
    case = data.draw(keyed_cases(name, conv, max_hidden=24, max_input=8, max_batch=3))
    T = data.draw(horizons(1, 12))
    params, P, _, state = _setup(case)
    rng = case.rng()
    xs = rng.normal(size=(T, case.batch, case.inputs))
    hc = numeric.bounds.check_horizon(params, xs, state)
    prod, s = None, state
    for t in range(T):
        J = ref_jacobian(name, conv, P, xs[t], s)
        prod = J if prod is None else J @ prod
        s = ref_step(name, conv, P, xs[t], s)
    sv = np.linalg.svd(prod, compute_uv=False)   # products can be ill-conditioned: SVD
    norm, smin = sv[:, 0], sv[:, -1]
    upper = np.prod(hc.step_upper, axis=0)
    assert (norm <= upper * (1 + T * RTOL) + 1e-300).all()
    pos = (hc.step_lower > 0).all(axis=0)
    lower = np.prod(hc.step_lower, axis=0)
    assert (smin[pos] >= lower[pos] * (1 - 1e-7)).all()
    np.testing.assert_allclose(hc.upper, upper, rtol=1e-9)
    np.testing.assert_allclose(hc.norm, norm, rtol=1e-6, atol=1e-13)
    assert hc.ok.all()


@pytest.mark.parametrize(("name", "conv"), KEYS)
@given(data=st.data())
def test_invariants_hold_along_rollouts(name, conv, data):
    case = data.draw(keyed_cases(name, conv, max_hidden=32, max_input=8))
    T = data.draw(horizons(1, 30))
    params, P, _, state = _setup(case)
    xs = 3 * case.rng().normal(size=(T, case.batch, case.inputs))
    s = state
    for t in range(T):
        nxt = ref_step(name, conv, P, xs[t], s)
        if name == "lstm":
            f, _ = ref_gates(name, conv, P, xs[t], s)
            c_prev, c = s[1], nxt[1]
            assert (np.abs(c) <= f * np.abs(c_prev) + 1 + 1e-12).all()
            assert (np.abs(c).max(axis=1) <= f.max(axis=1) * np.abs(c_prev).max(axis=1)
                    + 1 + 1e-12).all()
            assert (np.abs(nxt[0]) < 1).all()
        else:
            assert (np.abs(nxt) <= 1).all()
        s = nxt


@pytest.mark.parametrize(("name", "conv"), CARRYING)
@given(data=st.data())
def test_saturation_limits_hold_at_their_rates(name, conv, data):
    case = data.draw(keyed_cases(name, conv, max_hidden=32, max_input=8, regime="critical"))
    push = data.draw(carrying_shifts(2.0, 12.0))
    params, P, x, state = _setup(case, shift=0.0)
    sat = next(b for b in dv.derive(name, conv).bounds.all() if b.kind is BoundKind.SATURATION)
    gate, value = sat.gate.name, sat.towards
    bias = next(b.name for b in params.cell.biases
                if b in params.cell.definitions[params.cell.symbol(gate)].free_symbols)
    P[bias] = P[bias] + (push if value == 1 else -push)
    params = numeric.Params(params.cell, P)
    g, a = ref_gates(name, conv, P, x, state)
    eps = np.abs(g - value).max(axis=1)
    margin = (a if value == 1 else -a).min(axis=1)
    assert (eps <= np.exp(-margin)).all()          # 1 - sigma(a) < e^{-a}
    key = ("c", "c") if name == "lstm" else None
    r = check_bounds(params, x, state, which=key)
    blk = (1, 1) if name == "lstm" else (0, 0)
    J = ref_jacobian(name, conv, P, x, state, wrt=blk[0], out=blk[1])
    gap = np.linalg.norm(J - np.eye(J.shape[1]), 2, axis=(1, 2))
    K = float(sat.K.xreplace(weight_norms(params)))
    np.testing.assert_allclose(r.epsilon, eps, rtol=1e-9, atol=1e-300)
    assert (gap <= K * eps * (1 + RTOL) + 1e-15).all()
    assert (gap <= K * np.exp(-margin) * (1 + RTOL)).all()


@given(data=st.data())
def test_elman_vanishing_rate_is_at_most_the_recurrent_norm_power(data):
    case = data.draw(keyed_cases("elman", None, max_hidden=32, max_input=8,
                                 regime="contracting"))
    k = data.draw(horizons(1, 25))
    params, P, _, h = _setup(case)
    w = np.linalg.norm(P["W_hh"], 2)
    assert w < 1 or case.hidden == 1 or True
    xs = case.rng().normal(size=(k, case.batch, case.inputs))
    prod = None
    for t in range(k):
        J = ref_jacobian("elman", None, P, xs[t], h)
        prod = J if prod is None else J @ prod
        h = ref_step("elman", None, P, xs[t], h)
    norm, _ = _svals(prod)
    assert (norm <= w**k * (1 + k * RTOL) + 1e-300).all()


@pytest.mark.parametrize(("name", "conv"), KEYS)
@given(data=st.data())
def test_public_properties_hold_for_builtin_cells(name, conv, data):
    # numeric.testing's step, bounds and carrying properties (one implementation for the
    # built-in cells and users' own): the references there are complex step through
    # ``step``, the ones above the hand-written cells of tests._reference
    case = data.draw(keyed_cases(name, conv, max_hidden=16, max_input=8, max_batch=3))
    props = ("step", "bounds") + (("carrying",) if case.cell.carrying is not None else ())
    check_case(case, props, push=data.draw(carrying_shifts(2.0, 12.0)))

"""Gradient norms over long horizons and Lyapunov spectra, against explicit Jacobian
products (complex step), closed-form rates and the log-determinant sum rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric
from tests._numeric_cases import flat_state, make_case
from tests.strategies import cell_cases


def _trajectory(p, xs, s0):
    """States s_0 .. s_{T-1} (each step's evaluation point), via step."""
    out, s = [], s0
    for x in xs:
        out.append(s)
        s = numeric.step(p, x, s)
    return out


@given(cell_cases(max_hidden=10, max_batch=3), st.integers(1, 6))
@settings(max_examples=15)
def test_gradient_norms_equal_explicit_jacobian_products(case, T):
    p, x, s0 = make_case(case)
    rng = np.random.default_rng(case.seed % 1000)
    xs = rng.normal(size=(T, case.batch, p.input_size))
    res = numeric.gradient_norms(p, xs, s0, seed=3)
    v = flat_state(res.v)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-12)
    states = _trajectory(p, xs, s0)
    g = v.copy()
    want = np.empty((T, case.batch))
    for t in range(T - 1, -1, -1):
        J = numeric.step_jacobian(p, xs[t], states[t])   # complex step, full state
        g = np.einsum("bi,bij->bj", g, J)
        want[t] = np.linalg.norm(g, axis=1)
    # The derived coefficients are evaluated from the outputs (1 - n^2 from n), so in deep
    # saturation a derivative below ~1e-16 is only absolutely accurate: compare norms with
    # an absolute floor, logs where the norm is well above it.
    # A kinked cell (relu, max) has no complex step: the reference is central differences,
    # whose error (third derivative times eps^2, plus ulp/eps with eps = 1e-6) is ~1e-10
    # absolute per entry for O(1) states: a relative 1e-6 and an absolute 1e-10 floor.
    rtol, atol = (1e-6, 1e-10) if p.cell.kinks else (1e-9, 1e-13)
    np.testing.assert_allclose(res.norms(), want, rtol=rtol, atol=atol)
    big = want > (1e-3 if p.cell.kinks else 1e-6)
    np.testing.assert_allclose(res.log_norms[big], np.log(want[big]), rtol=rtol, atol=rtol)


def test_gradient_norms_with_explicit_v_scale_with_its_norm():
    p = numeric.init("lstm", 5, 2, seed=0)
    rng = np.random.default_rng(0)
    xs, s0 = rng.normal(size=(4, 2, 2)), (np.zeros((2, 5)), np.zeros((2, 5)))
    v = (rng.normal(size=(2, 5)), rng.normal(size=(2, 5)))
    a = numeric.gradient_norms(p, xs, s0, v)
    b = numeric.gradient_norms(p, xs, s0, (3 * v[0], 3 * v[1]))
    np.testing.assert_allclose(b.log_norms - a.log_norms, np.log(3.0), atol=1e-12)


def test_gradient_norms_survive_ten_thousand_contracting_steps():
    """Elman at h = 0 with W_hh = a Q (Q orthogonal), x = 0, b = 0: J_t = a Q exactly, so
    log ||v^T (aQ)^(T-t)|| = (T - t) log a; at a = 0.01 the norm is e^-46000 (far below
    the smallest double)."""
    H, T, a = 6, 10_000, 0.01
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(H, H)))
    p = numeric.from_arrays("elman", weight_ih=np.ones((H, 2)), weight_hh=a * q)
    res = numeric.gradient_norms(p, np.zeros((T, 2, 2)), np.zeros((2, H)))
    want = (T - np.arange(T))[:, None] * np.log(a) * np.ones((1, 2))
    assert np.all(np.isfinite(res.log_norms))
    np.testing.assert_allclose(res.log_norms, want, rtol=1e-10)
    np.testing.assert_allclose(res.log_rate(), np.log(a), rtol=1e-10)
    assert res.norms()[0, 0] == 0.0     # the plain norm underflows; the log does not


def test_gradient_norms_of_contracting_gru_decay_at_least_at_the_bound_rate():
    """||v^T dh_T/dh_t|| <= prod_u ||J_u||_2 (submultiplicativity), every value finite."""
    T, B, H, K = 2000, 2, 8, 50
    p = numeric.init("gru", H, 3, seed=1, scale=0.05)
    p = p.with_arrays(b_iz=p.arrays["b_iz"] - 4.0)    # z -> 0: no carry, strong contraction
    xs = np.random.default_rng(2).normal(size=(T, B, 3))
    h0 = np.zeros((B, H))
    res = numeric.gradient_norms(p, xs, h0)
    assert np.all(np.isfinite(res.log_norms))
    hs = numeric.rollout(p, xs, h0)                     # h_1 .. h_T
    log_norm_J = [np.log(np.linalg.svd(numeric.step_jacobian(p, xs[t], hs[t - 1]),
                                       compute_uv=False)[:, 0]) for t in range(T - K, T)]
    assert np.all(res.log_norms[T - K] <= np.sum(log_norm_J, axis=0) + 1e-9)
    assert np.all(res.log_norms[0] < -1000)


@given(cell_cases(max_hidden=8, max_batch=2), st.integers(2, 25))
@settings(max_examples=10)
def test_lyapunov_sum_rule(case, T):
    p, x, s0 = make_case(case)
    xs = np.random.default_rng(case.seed % 1000).normal(size=(T, case.batch, p.input_size))
    rule = numeric.lyapunov_sum_rule(p, xs, s0)
    finite = np.isfinite(rule.mean_log_det)
    # log-det from complex-step Jacobians of step (independent of the engine's J)
    states = _trajectory(p, xs, s0)
    Js = [numeric.step_jacobian(p, xs[t], states[t]) for t in range(T)]
    ld = np.mean([np.linalg.slogdet(J)[1] for J in Js], axis=0)
    # Both sides lose about eps * cond(J_t) of log|det J_t| (QR and LU of a nearly singular
    # J): the tolerance scales with the worst conditioning met along the trajectory, of
    # the engine's J (both sides factor it) and of the complex-step one (which may take the
    # other branch of a kink, e.g. the stabilized sLSTM's max, where the engine's J is
    # singular to rounding and both sides only see noise)
    Je = [numeric.jacobian(p, xs[t], states[t], full=True) for t in range(T)]
    cond = np.max([np.linalg.cond(J) for J in (*Js, *Je)], axis=0)
    tol = 1e-9 + 64 * np.finfo(float).eps * cond
    # a kinked cell's J_t can be exactly singular (an inactive ReLU unit, a stabilizer row
    # of zeros): log|det| = -inf, or a rounding-level finite value, on either side; a
    # smallest singular value within 1e4 ulps of the largest carries no log|det| either
    finite &= np.isfinite(ld) & (cond * np.finfo(float).eps < 1e-4)
    diff = np.abs(rule.sum_exponents[finite] - rule.mean_log_det[finite])
    assert np.all(diff <= tol[finite])
    # the forward pass's 1 - f, 1 - z lose relative accuracy in saturation, hence 1e-6
    np.testing.assert_allclose(rule.mean_log_det[finite], ld[finite], rtol=1e-6, atol=1e-6)


def test_lyapunov_of_constant_scaled_rotation_is_log_scale():
    H, a = 5, 0.3
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(H, H)))
    p = numeric.from_arrays("elman", weight_ih=np.ones((H, 1)), weight_hh=a * q)
    lam = numeric.lyapunov(p, np.zeros((40, 3, 1)), np.zeros((3, H)))
    np.testing.assert_allclose(lam, np.log(a), rtol=1e-12)


def test_lyapunov_leading_k_match_full_spectrum():
    """Diagonal Elman at h = 0: J = diag(d), exponents -> log|d| sorted (O(1/T) transient)."""
    d = np.array([0.9, -0.5, 0.2, 0.05])
    T = 2000
    p = numeric.from_arrays("elman", weight_ih=np.ones((4, 1)), weight_hh=np.diag(d))
    xs, h0 = np.zeros((T, 1, 1)), np.zeros((1, 4))
    lam2 = numeric.lyapunov(p, xs, h0, k=2)
    np.testing.assert_allclose(lam2[0], np.log([0.9, 0.5]), atol=5e-3)
    full = numeric.lyapunov(p, xs, h0)
    np.testing.assert_allclose(full[0], np.log(np.abs(d)), atol=5e-3)
    np.testing.assert_allclose(full.sum(), np.log(np.abs(d)).sum(), rtol=1e-12)
    with pytest.raises(numeric.NumericError, match="k must be"):
        numeric.lyapunov(p, np.zeros((3, 1, 1)), np.zeros((1, 4)), k=5)


def test_two_thread_gradient_norms_match_each_half_alone(monkeypatch):
    from numeric import horizon

    T, B, H = 48, 24, 128
    monkeypatch.setattr(horizon, "MIN_STEP_BYTES", B * H * 8)  # threads for B, not B/2
    p = numeric.init("lstm", H, 4, seed=3)
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(T, B, 4))
    s0 = (rng.uniform(-1, 1, (B, H)), rng.normal(size=(B, H)))
    v = (rng.normal(size=(B, H)), rng.normal(size=(B, H)))
    both = numeric.gradient_norms(p, xs, s0, v).log_norms
    for sl in (slice(0, B // 2), slice(B // 2, B)):
        alone = numeric.gradient_norms(p, xs[:, sl], tuple(a[sl] for a in s0),
                                       tuple(a[sl] for a in v)).log_norms
        np.testing.assert_allclose(both[:, sl], alone, rtol=1e-12, atol=1e-12)
    # and a small store budget (recompute most steps) changes nothing
    low = numeric.gradient_norms(p, xs, s0, v, store_bytes=1).log_norms
    np.testing.assert_allclose(low, both, rtol=1e-12, atol=1e-12)


TIGHT = {"rtol": 1e-12, "atol": 1e-12}


def test_reused_scratch_memory_never_leaks_into_results():
    """Calls of different sizes share kept scratch buffers (gradient-norm store, Jacobian
    slabs and temporaries); results equal those computed on fresh memory, also when two
    threads call at once, and after release_memory.

    Equal to rounding, not bit for bit: the same computation on other buffers may meet
    other alignments and BLAS thread splits, which change summation order. A leak of
    stale memory is off by far more than the 1e-12 allowed here (11 float64 steps of
    unit-norm VJPs accumulate a few eps each)."""
    import threading

    rng = np.random.default_rng(5)
    p = numeric.init("gru", hidden_size=12, input_size=5, seed=1)
    xs = [rng.normal(size=(T, 4, 5)) for T in (7, 3, 11)]
    h0 = rng.normal(size=(4, 12)) * 0.5
    numeric.release_memory()
    fresh = [numeric.gradient_norms(p, x, h0, seed=2).log_norms for x in xs]
    J_fresh = numeric.jacobian(p, xs[0][0], h0)
    for _ in range(2):  # now every call runs on kept, dirty memory
        for x, want in zip(xs, fresh, strict=True):
            np.testing.assert_allclose(numeric.gradient_norms(p, x, h0, seed=2).log_norms, want,
                                       **TIGHT)
        np.testing.assert_allclose(numeric.jacobian(p, xs[0][0], h0), J_fresh, **TIGHT)
    got = {}

    def run(k):
        got[k] = numeric.gradient_norms(p, xs[k], h0, seed=2).log_norms

    threads = [threading.Thread(target=run, args=(k,)) for k in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for k in range(3):
        np.testing.assert_allclose(got[k], fresh[k], **TIGHT)
    numeric.release_memory()
    np.testing.assert_allclose(numeric.gradient_norms(p, xs[2], h0, seed=2).log_norms,
                               fresh[2], **TIGHT)

"""User cells whose Jacobian passes through a dimension of their own (``rows="K"``) and
whose input has a dimension of its own (``dim="E"``): every engine entry point against
independent references (complex step and central differences of a forward pass written
here in NumPy, SVDs and determinants of those Jacobians, explicit Jacobian products), the
symbolic proof at n = 1..3, and memory refusals that count the K-sized products."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import derivations as dv
import numeric
from derivations.proof import prove
from derivations.statements import Norm
from tests._user_cells import gated_bottleneck, two_state_features

BOTTLENECK = gated_bottleneck()
TWO_STATE = two_state_features()


def _scaled_bottleneck():
    """h' = tanh(V u + A x + b) with the linear K feature u = 2 U h: the coefficient
    between V and U is the constant 2 (a K-vector no expression names)."""
    cb = dv.CellBuilder("scaled_bottleneck", reference="test")
    x, h = cb.input("x", dim="E"), cb.state("h")
    U = cb.weight("U", rows="K")
    V, A = cb.weights("V A")
    u = cb.let("u", 2 * (U @ h), role="bottleneck")
    cb.update(h, dv.tanh(V @ u + A @ x + cb.bias("b")))
    return cb.build()


SCALED = _scaled_bottleneck()


def _unbounded_feature():
    """h' = tanh(V (q * q) + A x + b) with q = (U h) * (W x) of dimension K: the K
    coefficient 2 q (W x) has no supremum, so the global bound reads ||q||_inf."""
    cb = dv.CellBuilder("unbounded_feature", reference="test")
    x, h = cb.input("x", dim="E"), cb.state("h")
    U, W = cb.weight("U", rows="K"), cb.weight("W", rows="K")
    V, A = cb.weights("V A")
    q = cb.let("q", (U @ h) * (W @ x), role="feature")
    cb.update(h, dv.tanh(V @ (q * q) + A @ x + cb.bias("b")))
    return cb.build()


def _chained_dimensions():
    """h' = h / 2 + tanh(V w + A x + b) / 2 through two dimensions of the cell's own:
    u = tanh(U h) (K), w = sigmoid(W_m u) (M); the term diag(a0) V diag(a1) W_m diag(a2) U
    has coefficients in K and in M, and the carry is the constant 1/2."""
    cb = dv.CellBuilder("chained_dimensions", reference="test")
    x, h = cb.input("x", dim="E"), cb.state("h")
    U, W_m = cb.weight("U", rows="K"), cb.weight("W_m", rows="M")
    V, A = cb.weights("V A")
    u = cb.let("u", dv.tanh(U @ h), role="first")
    w = cb.let("w", dv.sigmoid(W_m @ u), role="second")
    cb.update(h, dv.tanh(V @ w + A @ x + cb.bias("b")) / 2 + h / 2)
    return cb.build()


UNBOUNDED = _unbounded_feature()
CHAINED = _chained_dimensions()


def _sig(u):
    return 1 / (1 + np.exp(-u))


# -- independent forward passes (complex-safe), written from the equations ------------------

def _bottleneck_next(a, x, s):
    (h,) = s
    u = np.tanh(h @ a["U"].T)
    g = _sig(x @ a["W_g"].T + h @ a["U_g"].T + a["b_g"])
    n = np.tanh((u * u) @ a["V"].T + u @ a["V_l"].T + x @ a["A"].T + a["b_n"])
    return (g * h + (1 - g) * n,)


def _two_state_next(a, x, s):
    h, c = s
    p = np.tanh(x @ a["W_p"].T + c @ a["U_p"].T)
    f = _sig(x @ a["W_f"].T + h @ a["U_f"].T + a["b_f"])
    m = np.tanh(p @ a["V_c"].T + a["b_c"])
    c_next = f * c + (1 - f) * m
    o = _sig(h @ a["U_o"].T + (p * p) @ a["V_o"].T + a["b_o"])
    return (o * np.tanh(c_next), c_next)


def _scaled_next(a, x, s):
    (h,) = s
    return (np.tanh((2 * (h @ a["U"].T)) @ a["V"].T + x @ a["A"].T + a["b"]),)


def _unbounded_next(a, x, s):
    (h,) = s
    q = (h @ a["U"].T) * (x @ a["W"].T)
    return (np.tanh((q * q) @ a["V"].T + x @ a["A"].T + a["b"]),)


def _chained_next(a, x, s):
    (h,) = s
    w = _sig(np.tanh(h @ a["U"].T) @ a["W_m"].T)
    return (np.tanh(w @ a["V"].T + x @ a["A"].T + a["b"]) / 2 + h / 2,)


FORWARD = {"gated_bottleneck": _bottleneck_next, "two_state_features": _two_state_next,
           "scaled_bottleneck": _scaled_next, "unbounded_feature": _unbounded_next,
           "chained_dimensions": _chained_next}

#: (cell, H, E, sizes of the other dimensions): every dimension a size of its own
CASES = {"bottleneck": (BOTTLENECK, 4, 3, {"K": 6}),
         "two-state": (TWO_STATE, 3, 5, {"P": 7}),
         "scaled": (SCALED, 4, 2, {"K": 5}),
         "unbounded": (UNBOUNDED, 3, 2, {"K": 4}),
         "chained": (CHAINED, 3, 4, {"K": 5, "M": 2})}


def _case(name, B=5, seed=0, dtype=np.float64, scale=1.5):
    cell, H, E, sizes = CASES[name]
    p = numeric.init(cell, H, E, sizes=sizes, seed=seed, scale=scale, dtype=dtype)
    rng = np.random.default_rng(seed + 100)
    x = rng.normal(size=(B, E))
    parts = tuple(rng.uniform(-0.9, 0.9, size=(B, H)) for _ in cell.states)
    return p, x, parts


def _public(parts):
    return parts[0] if len(parts) == 1 else tuple(parts)


def _flat(state):
    return np.concatenate(state, axis=1) if isinstance(state, tuple) else state


def _forward(p, x, parts):
    a = {k: v.astype(np.float64) for k, v in p.arrays.items()}
    return np.concatenate(FORWARD[p.cell.name](a, x, parts), axis=1)


def _ref_jacobian(p, x, parts, method="complex"):
    """(B, S*H, S*H) full-state Jacobian of the NumPy forward pass above."""
    s = np.concatenate(parts, axis=1)
    B, D = s.shape
    H = D // len(parts)
    J = np.empty((B, D, D))
    for j in range(D):
        if method == "complex":
            e = np.zeros((B, D), dtype=complex)
            e[:, j] = 1e-20j
            f = _forward(p, x, np.split(s + e, len(parts), axis=1))
            J[:, :, j] = f.imag / 1e-20
        else:
            e = np.zeros((B, D))
            e[:, j] = 1e-6
            hi = _forward(p, x, np.split(s + e, len(parts), axis=1))
            lo = _forward(p, x, np.split(s - e, len(parts), axis=1))
            J[:, :, j] = (hi - lo) / 2e-6
    assert H * len(parts) == D
    return J


def _block(J, p, key):
    names = [s.name for s in p.cell.states]
    H = p.hidden_size
    a, b = names.index(key[0]), names.index(key[1])
    return J[:, a * H:(a + 1) * H, b * H:(b + 1) * H]


# -- the symbolic side: derived and proven -------------------------------------------------

# the unbounded cell only at n = 1: its brute-force Jacobian of tanh(V (q * q)) with
# q = (U h) * (W x) takes 80 s at n = 2 and overflows SymPy's recursion at n = 3 (so does
# the same cell with every dimension H: a limit of the proof, not of the dimensions)
@pytest.mark.parametrize(("name", "n"), [(name, n) for name in CASES for n in (1, 2, 3)
                                         if name != "unbounded" or n == 1])
def test_cells_through_other_dimensions_are_proven(name, n):
    cell = CASES[name][0]
    result = prove(cell, n)
    assert result.ok
    extra = [d for d in cell.dimensions if d not in ("H", "E")]
    assert result.sizes["H"] == n and all(result.sizes[d] not in (n,) for d in extra)


def test_prove_takes_every_size_of_a_user_dimension():
    assert prove(BOTTLENECK, 2, 1, sizes={"K": 4}).sizes == {"H": 2, "E": 1, "K": 4}
    assert prove(TWO_STATE, 1, 3, sizes={"P": 1}).ok


def test_the_plans_name_the_dimension_of_every_coefficient():
    from numeric._compile import program
    plan = program(BOTTLENECK).plan(("h", "h"))
    assert plan.dims.count("K") == 2 and set(plan.dims) == {"H", "K"}
    assert set(program(TWO_STATE).plan(("c", "c")).dims) == {"H", "P"}
    assert program(SCALED).plan(("h", "h")).dims == ("H", "K")
    assert program(CHAINED).plan(("h", "h")).dims == ("H", "H", "M", "K")
    # an ordinary cell keeps every coefficient in H
    assert set(program(dv.cell("gru")).plan(("h", "h")).dims) == {"H"}


# -- Jacobians -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_jacobian_matches_complex_step_and_central_differences(name):
    p, x, parts = _case(name)
    ref = _ref_jacobian(p, x, parts)
    fd = _ref_jacobian(p, x, parts, method="central")
    np.testing.assert_allclose(fd, ref, atol=1e-8)  # the two references agree
    J = numeric.jacobian(p, x, _public(parts), full=True)
    np.testing.assert_allclose(J, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(J, fd, rtol=1e-7, atol=1e-8)
    # the engine's own step-only reference agrees with the one written here
    np.testing.assert_allclose(numeric.step_jacobian(p, x, _public(parts)), ref, atol=1e-14)
    res = numeric.check_jacobian(p, x, _public(parts))
    assert res.ok and res.max_rel_complex_step <= 1e-12, res


def test_every_block_of_the_two_state_cell_matches_its_slice():
    p, x, parts = _case("two-state")
    ref = _ref_jacobian(p, x, parts)
    for key in [("h", "h"), ("h", "c"), ("c", "h"), ("c", "c")]:
        got = numeric.jacobian(p, x, parts, block=key)
        np.testing.assert_allclose(got, _block(ref, p, key), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(numeric.jacobian(p, x, parts), _block(ref, p, ("h", "h")),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(CASES))
def test_float32_jacobian_within_float32_tolerance(name):
    p, x, parts = _case(name, dtype=np.float32)
    J = numeric.jacobian(p, x.astype(np.float32),
                         _public(tuple(s.astype(np.float32) for s in parts)), full=True)
    assert J.dtype == np.float32
    np.testing.assert_allclose(J, _ref_jacobian(p, x, parts), rtol=1e-4, atol=2e-6)


@pytest.mark.parametrize("name", ["bottleneck", "two-state"])
def test_chunks_and_bounded_memory_give_the_same_jacobian(name):
    p, x, parts = _case(name, B=7)
    full = len(parts) > 1
    J = numeric.jacobian(p, x, _public(parts), full=full)
    one = J[0].nbytes
    out = np.empty_like(J)  # max_bytes bounds the output too: chunks of two samples into out
    numeric.jacobian(p, x, _public(parts), full=full, max_bytes=2 * one, out=out)
    np.testing.assert_allclose(out, J, rtol=1e-14, atol=1e-15)
    seen = np.zeros(7, dtype=bool)
    for sl, chunk in numeric.jacobian_chunks(p, x, _public(parts), full=full, max_bytes=3 * one):
        assert chunk.shape[0] <= 3
        np.testing.assert_allclose(chunk, J[sl], rtol=1e-14, atol=1e-15)
        seen[sl] = True
    assert seen.all()


@pytest.mark.parametrize("name", list(CASES))
def test_paths_and_term_coefficients_rebuild_the_block(name):
    p, x, parts = _case(name)
    ref = _block(_ref_jacobian(p, x, parts), p, (p.cell.states[0].name,) * 2)
    np.testing.assert_allclose(sum(numeric.paths(p, x, _public(parts)).values()), ref,
                               rtol=1e-12, atol=1e-14)
    total = np.zeros_like(ref)
    for term, cs in numeric.term_coefficients(p, x, _public(parts)):
        dims = [p.sizes[d] for d in numeric._compile.coefficient_dims(p.cell, term)]
        assert [c.shape for c in cs] == [(x.shape[0], d) for d in dims]
        for b in range(x.shape[0]):
            M = np.diag(cs[0][b])
            for W, c in zip(term.matrices, cs[1:], strict=True):
                M = M @ p.arrays[W.name] @ np.diag(c[b])
            total[b] += M
    np.testing.assert_allclose(total, ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(CASES))
def test_jvp_and_vjp_match_the_reference_jacobian(name):
    p, x, parts = _case(name)
    ref = _ref_jacobian(p, x, parts)
    rng = np.random.default_rng(1)
    v = tuple(rng.normal(size=s.shape) for s in parts)
    Jv = _flat(numeric.jvp(p, x, _public(parts), _public(v)))
    gJ = _flat(numeric.vjp(p, x, _public(parts), _public(v)))
    np.testing.assert_allclose(Jv, np.einsum("bij,bj->bi", ref, _flat(_public(v))),
                               rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(gJ, np.einsum("bi,bij->bj", _flat(_public(v)), ref),
                               rtol=1e-12, atol=1e-13)


# -- spectra -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_singular_values_match_svd_of_complex_step_jacobian(name):
    p, x, parts = _case(name, B=6)
    ref = _ref_jacobian(p, x, parts)
    want = np.linalg.svd(ref, compute_uv=False)
    got = numeric.singular_values(p, x, _public(parts), full=True)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    chunked = numeric.singular_values(p, x, _public(parts), full=True,
                                      max_bytes=ref[0].nbytes)  # one sample per chunk
    np.testing.assert_allclose(chunked, want, rtol=1e-10, atol=1e-13)
    main = _block(ref, p, (p.cell.states[0].name,) * 2)
    sv = np.linalg.svd(main, compute_uv=False)
    np.testing.assert_allclose(numeric.spectral_norms(p, x, _public(parts)), sv[:, 0],
                               rtol=1e-10)
    np.testing.assert_allclose(numeric.sigma_min(p, x, _public(parts)), sv[:, -1],
                               rtol=1e-8, atol=1e-13)


def _trajectory(p, xs, parts):
    """Evaluation points s_0 .. s_{T-1} from the NumPy forward pass."""
    out, s = [], tuple(parts)
    a = {k: v.astype(np.float64) for k, v in p.arrays.items()}
    for x in xs:
        out.append(s)
        s = FORWARD[p.cell.name](a, x, s)
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_lyapunov_sum_rule_and_log_det_match_reference_determinants(name):
    p, x, parts = _case(name, B=3)
    T = 6
    xs = np.random.default_rng(2).normal(size=(T, 3, x.shape[1]))
    want = np.mean([np.linalg.slogdet(_ref_jacobian(p, xs[t], s))[1]
                    for t, s in enumerate(_trajectory(p, xs, parts))], axis=0)
    np.testing.assert_allclose(numeric.log_det_mean(p, xs, _public(parts)), want,
                               rtol=1e-9, atol=1e-9)
    lam = numeric.lyapunov(p, xs, _public(parts))
    assert lam.shape == (3, p.hidden_size * len(parts))
    assert (np.diff(lam, axis=1) <= 0).all()
    np.testing.assert_allclose(lam.sum(axis=1), want, rtol=1e-9, atol=1e-9)
    rule = numeric.lyapunov_sum_rule(p, xs, _public(parts))
    assert rule.ok(1e-9), rule
    # one exponent is the growth of one vector: between the mean log sigma_min and the
    # mean log sigma_max of the steps (submultiplicativity)
    sv = np.array([np.linalg.svd(_ref_jacobian(p, xs[t], s), compute_uv=False)
                   for t, s in enumerate(_trajectory(p, xs, parts))])  # (T, B, D)
    top = numeric.lyapunov(p, xs, _public(parts), k=1)[:, 0]
    assert (top <= np.log(sv[:, :, 0]).mean(axis=0) + 1e-9).all()
    assert (top >= np.log(sv[:, :, -1]).mean(axis=0) - 1e-9).all()


# -- gradient norms ---------------------------------------------------------------------------

@pytest.mark.parametrize("store_bytes", [1 << 30, 1, 2000])
@pytest.mark.parametrize("name", list(CASES))
def test_gradient_norms_equal_explicit_products_of_reference_jacobians(name, store_bytes):
    # store_bytes: every step kept, none (all recomputed), and some of the last steps
    p, x, parts = _case(name, B=3)
    T = 5
    xs = np.random.default_rng(3).normal(size=(T, 3, x.shape[1]))
    res = numeric.gradient_norms(p, xs, _public(parts), seed=4, store_bytes=store_bytes)
    g = _flat(res.v)
    want = np.empty((T, 3))
    states = _trajectory(p, xs, parts)
    for t in range(T - 1, -1, -1):
        g = np.einsum("bi,bij->bj", g, _ref_jacobian(p, xs[t], states[t]))
        want[t] = np.linalg.norm(g, axis=1)
    np.testing.assert_allclose(res.norms(), want, rtol=1e-9, atol=1e-14)


def test_gradient_norms_in_float32_follow_float64():
    p, x, parts = _case("two-state", B=4)
    xs = np.random.default_rng(5).normal(size=(8, 4, x.shape[1]))
    a = numeric.gradient_norms(p, xs, parts, seed=1)
    b = numeric.gradient_norms(p.astype(np.float32), xs.astype(np.float32),
                               tuple(s.astype(np.float32) for s in parts), seed=1)
    np.testing.assert_allclose(b.log_norms, a.log_norms, atol=1e-4)


# -- bounds ------------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [0.5, 1.5, 4.0])
@pytest.mark.parametrize("name", list(CASES))
def test_check_bounds_hold_and_upper_bounds_the_exact_norm(name, scale):
    p, x, parts = _case(name, B=6, scale=scale)
    ref = _ref_jacobian(p, x, parts)
    names = [s.name for s in p.cell.states]
    whichs = [None] + ([("h", "c"), ("c", "h"), ("c", "c"), "full"] if len(names) > 1 else [])
    for which in whichs:
        r = numeric.check_bounds(p, x, _public(parts), which=which)
        J = ref if which == "full" else _block(ref, p, which or (names[0],) * 2)
        exact = np.linalg.norm(J, 2, axis=(1, 2))
        assert r.ok.all(), (which, r)
        np.testing.assert_allclose(r.norm, exact, rtol=1e-10)
        assert (r.upper >= exact * (1 - 1e-12)).all()
        dom = r.in_domain
        assert dom.all()  # |h| <= 0.9
        assert (r.global_upper[dom] >= r.upper[dom] * (1 - 1e-12)).all()
        if not np.isnan(r.lower).all():
            smin = np.linalg.svd(J, compute_uv=False)[:, -1]
            assert (smin >= r.lower - 1e-12).all()


def test_saturation_bound_of_the_gated_bottleneck_holds_as_the_gate_closes():
    p, x, h = _case("bottleneck", B=4)
    for shift in (0.0, 4.0, 12.0):
        q = p.with_arrays(b_g=p.arrays["b_g"] + shift)
        r = numeric.check_bounds(q, x, h[0])
        assert r.ok.all() and np.isfinite(r.saturation).all()
        J = _ref_jacobian(q, x, h)
        gap = np.linalg.norm(J - np.eye(J.shape[1]), 2, axis=(1, 2))
        np.testing.assert_allclose(r.gap, gap, rtol=1e-9, atol=1e-14)
        assert (gap <= r.saturation * (1 + 1e-12) + 1e-15).all()


@pytest.mark.parametrize("name", ["bottleneck", "two-state"])
def test_check_horizon_bounds_the_reference_product(name):
    p, x, parts = _case(name, B=3)
    xs = np.random.default_rng(6).normal(size=(4, 3, x.shape[1]))
    r = numeric.bounds.check_horizon(p, xs, _public(parts))
    P = None
    for t, s in enumerate(_trajectory(p, xs, parts)):
        J = _ref_jacobian(p, xs[t], s)
        J = J if len(parts) > 1 else _block(J, p, ("h", "h"))
        P = J if P is None else J @ P
    np.testing.assert_allclose(r.norm, np.linalg.norm(P, 2, axis=(1, 2)), rtol=1e-9)
    assert r.ok.all() and (r.upper >= r.norm).all()


# -- random sizes -----------------------------------------------------------------------------

@given(st.sampled_from(["bottleneck", "two-state"]), st.integers(1, 5), st.integers(1, 4),
       st.integers(1, 6), st.integers(1, 3), st.integers(0, 2**16))
@settings(max_examples=20)
def test_any_sizes_match_complex_step(name, H, E, K, B, seed):
    cell, _, _, sizes = CASES[name]
    (d,) = sizes
    p = numeric.init(cell, H, E, sizes={d: K}, seed=seed, scale=2.0)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, E))
    parts = tuple(rng.uniform(-1, 1, size=(B, H)) for _ in cell.states)
    ref = _ref_jacobian(p, x, parts)
    np.testing.assert_allclose(numeric.jacobian(p, x, _public(parts), full=True), ref,
                               rtol=1e-11, atol=1e-14)
    res = numeric.gradient_norms(p, x[None], _public(parts), seed=seed)
    want = np.linalg.norm(np.einsum("bi,bij->bj", _flat(res.v), ref), axis=1)
    np.testing.assert_allclose(res.norms()[0], want, rtol=1e-10, atol=1e-14)


# -- memory: the K-sized products are counted -------------------------------------------------

AVAILABLE = 1 << 30


@pytest.fixture(scope="module")
def wide():
    """H = 2 and K = 200 000: a (B, H, H) Jacobian is small, the (B, H, K) products and
    the (K, B) coefficients of B = 20 000 samples are tens of GiB."""
    p = numeric.init(BOTTLENECK, 2, 1, sizes={"K": 200_000}, seed=0, dtype=np.float32)
    B = 20_000
    x = np.zeros((B, 1), dtype=np.float32)
    h = np.zeros((B, 2), dtype=np.float32)
    return p, x, h


WIDE_CALLS = {
    "jacobian": lambda p, x, h: numeric.jacobian(p, x, h),
    "jacobian-out": lambda p, x, h: numeric.jacobian(
        p, x, h, out=np.empty((x.shape[0], 2, 2), dtype=np.float32)),
    "jacobian_chunks": lambda p, x, h: numeric.jacobian_chunks(p, x, h),
    "singular_values": lambda p, x, h: numeric.singular_values(p, x, h),
    "paths": lambda p, x, h: numeric.paths(p, x, h),
    "term_coefficients": lambda p, x, h: numeric.term_coefficients(p, x, h),
    "jvp": lambda p, x, h: numeric.jvp(p, x, h, h),
    "vjp": lambda p, x, h: numeric.vjp(p, x, h, h),
    "gradient_norms": lambda p, x, h: numeric.gradient_norms(p, x[None], h),
    "lyapunov": lambda p, x, h: numeric.lyapunov(p, x[None], h),
    "log_det_mean": lambda p, x, h: numeric.log_det_mean(p, x[None], h),
    "check_bounds": lambda p, x, h: numeric.check_bounds(p, x, h),
}


@pytest.mark.parametrize("name", list(WIDE_CALLS))
def test_products_through_a_wide_dimension_are_refused_before_allocating(wide, monkeypatch,
                                                                           name):
    p, x, h = wide
    monkeypatch.setattr(numeric._validate, "available_memory", lambda: AVAILABLE)
    tracemalloc.start()
    try:
        with pytest.raises(numeric.NumericError) as err:
            WIDE_CALLS[name](p, x, h)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert re.search(r" needs [0-9.e+]+ GiB, more than the 1 GiB of memory available; \w",
                     str(err.value)), str(err.value)
    assert peak < (1 << 20), f"{peak} bytes allocated before the error"


def test_a_wide_dimension_works_on_a_batch_that_fits(wide):
    p, _, _ = wide
    rng = np.random.default_rng(0)
    x, h = rng.normal(size=(2, 1)), rng.uniform(-0.5, 0.5, size=(2, 2))
    p64 = p.astype(np.float64)
    J = numeric.jacobian(p64, x, h)
    np.testing.assert_allclose(J, numeric.step_jacobian(p64, x, h), rtol=1e-11, atol=1e-13)


def test_a_global_bound_reading_the_norm_of_a_quantity_is_evaluated_per_sample():
    # the same unbounded feature in H: the global bound reads ||q||_inf of a quantity of
    # the cell, which check_bounds takes per sample from the forward pass (it refused the
    # norm symbol before)
    cb = dv.CellBuilder("unbounded_h", reference="test")
    x, h = cb.input("x"), cb.state("h")
    U, W, V, A = cb.weights("U W V A")
    q = cb.let("q", (U @ h) * (W @ x), role="feature")
    cb.update(h, dv.tanh(V @ (q * q) + A @ x + cb.bias("b")))
    cell = cb.build()
    glob = dv.derive(cell).bounds.blocks[("h", "h")].global_upper
    assert any(n.arg == cell.symbol("q") and n.p == sp.oo for n in glob.atoms(Norm))
    for c, sizes in ((cell, None), (UNBOUNDED, {"K": 4})):
        p = numeric.init(c, 3, 2, sizes=sizes, seed=0, scale=1.5)
        rng = np.random.default_rng(0)
        xs, hs = rng.normal(size=(6, 2)), rng.uniform(-0.9, 0.9, size=(6, 3))
        r = numeric.check_bounds(p, xs, hs)
        a = p.arrays
        qv = (hs @ a["U"].T) * (xs @ a["W"].T)
        # 2 ||U||_2 ||V||_2 ||W||_inf ||q||_inf ||x||_inf, written out
        want = (2 * np.linalg.norm(a["U"], 2) * np.linalg.norm(a["V"], 2)
                * np.abs(a["W"]).sum(axis=1).max() * np.abs(qv).max(axis=1)
                * np.abs(xs).max(axis=1))
        np.testing.assert_allclose(r.global_upper, want, rtol=1e-12)
        J = numeric.step_jacobian(p, xs, hs)
        assert r.ok.all() and (np.linalg.norm(J, 2, axis=(1, 2)) <= r.upper * (1 + 1e-12)).all()


@pytest.mark.parametrize("name", ["bottleneck", "two-state", "chained"])
def test_two_thread_path_matches_complex_step(monkeypatch, name):
    """Above the threading threshold the batch halves run on two threads, each with its
    own K-sized coefficient scratch (reused between calls): the same Jacobians."""
    from numeric import _parallel

    monkeypatch.setattr(_parallel, "MIN_PARALLEL_BYTES", 1)
    monkeypatch.setattr(numeric.horizon, "MIN_STEP_BYTES", 1)
    for B in (9, 2):
        p, x, parts = _case(name, B=B, seed=B)
        ref = _ref_jacobian(p, x, parts)
        J = numeric.jacobian(p, x, _public(parts), full=True)
        np.testing.assert_allclose(J, ref, rtol=1e-12, atol=1e-14)
        res = numeric.gradient_norms(p, x[None], _public(parts), seed=1)
        want = np.linalg.norm(np.einsum("bi,bij->bj", _flat(res.v), ref), axis=1)
        np.testing.assert_allclose(res.norms()[0], want, rtol=1e-10, atol=1e-14)


# -- bad inputs that a K-sized array could be mistaken for --------------------------------------

def _bad_calls():
    """name -> (call on (p, x, h) of the bottleneck case, K = 6, pattern of the message)."""
    K = np.zeros((5, 6))
    return {
        "x-of-K": (lambda p, x, h: numeric.jacobian(p, K, h), r"x has shape \(5, 6\)"),
        "state-of-K": (lambda p, x, h: numeric.jacobian(p, x, K), r"state has shape \(5, 6\)"),
        "chunks-state-of-K": (lambda p, x, h: numeric.jacobian_chunks(p, x, K),
                              r"state has shape \(5, 6\)"),
        "jvp-v-of-K": (lambda p, x, h: numeric.jvp(p, x, h, K), r"v has shape \(5, 6\)"),
        "vjp-g-of-K": (lambda p, x, h: numeric.vjp(p, x, h, K), r"g has shape \(5, 6\)"),
        "block-of-quantity": (lambda p, x, h: numeric.jacobian(p, x, h, block=("u", "h")),
                              r"no block \('u', 'h'\)"),
        "paths-block": (lambda p, x, h: numeric.paths(p, x, h, block=("h", "u")),
                        r"no block \('h', 'u'\)"),
        "terms-block": (lambda p, x, h: numeric.term_coefficients(p, x, h, block=("u", "u")),
                        r"no block \('u', 'u'\)"),
        "sv-block": (lambda p, x, h: numeric.singular_values(p, x, h, block=("h", "u")),
                     r"no block \('h', 'u'\)"),
        "which-quantity": (lambda p, x, h: numeric.check_bounds(p, x, h, which=("u", "u")),
                           r"which=\('u', 'u'\)"),
        "gn-v-of-K": (lambda p, x, h: numeric.gradient_norms(p, x[None], h, K),
                      r"v has shape \(5, 6\)"),
        "gn-xs-of-K": (lambda p, x, h: numeric.gradient_norms(p, K[None], h),
                       r"xs has shape \(1, 5, 6\)"),
        "lyapunov-k-is-K": (lambda p, x, h: numeric.lyapunov(p, x[None], h, k=6),
                            r"k must be an integer in \[1, 4\].*got 6"),
        "horizon-xs-of-K": (lambda p, x, h: numeric.bounds.check_horizon(p, K[None], h),
                            r"xs has shape \(1, 5, 6\)"),
        "check-jacobian-state": (lambda p, x, h: numeric.check_jacobian(p, x, K),
                                 r"state has shape \(5, 6\)"),
        "sum-rule-state0": (lambda p, x, h: numeric.lyapunov_sum_rule(p, x[None], K),
                            r"state0 has shape \(5, 6\)"),
        "params-V-other-K": (lambda p, x, h: numeric.Params(
            BOTTLENECK, {**p.arrays, "V": np.zeros((4, 7))}), r"'V' has shape \(4, 7\), so K = 7"),
        "with-arrays-U-other-K": (lambda p, x, h: p.with_arrays(U=np.zeros((7, 4))),
                                  r"K = 6, but 'U' already fixed K = 7"),
    }


@pytest.mark.parametrize("name", list(_bad_calls()))
def test_bad_inputs_of_a_cell_with_its_own_dimensions_name_the_argument(name):
    call, pattern = _bad_calls()[name]
    p, x, (h,) = _case("bottleneck")
    with pytest.raises(numeric.NumericError, match=pattern):
        call(p, x, h)

"""An activation the toolkit does not ship (softplus, ``tests/_softplus.py``) through the
engine: the forward step against a NumPy transcription of the cell written here, the
Jacobian against central differences and complex step of that transcription, and the
engine's other entry points (paths, JVP/VJP, gradient norms) against that reference.
The sigmoid and tanh fast paths keep relative accuracy at saturation beside it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric
from derivations.facts import Role
from numeric._activations import Generic
from tests._softplus import np_softplus, registered_softplus, softplus_cell


@pytest.fixture(scope="module", autouse=True)
def softplus():
    """softplus registered while this module runs (the registry is global)."""
    with registered_softplus() as cls:
        yield cls


@pytest.fixture(scope="module")
def cell(softplus):
    return softplus_cell(softplus)


def _sigmoid(u):
    return 1 / (1 + np.exp(-u))


def _softplus_any(u):
    """softplus for the reference: NumPy's logaddexp on reals, log(1 + e^u) on complex."""
    return np.log(1 + np.exp(u)) if np.iscomplexobj(u) else np_softplus(u)


def ref_step(p, x, h):
    """The cell of ``softplus_cell`` written out in NumPy, batch first: (B, I), (B, H)."""
    a = p.arrays
    g = _sigmoid(x @ a["W_g"].T + h @ a["U_g"].T + a["b_g"])
    n = _softplus_any(x @ a["W_n"].T + h @ a["U_n"].T + a["b_n"])
    return g * h + (1 - g) * np.tanh(n) - _softplus_any(h @ a["V"].T) / 4


def ref_jacobian(p, x, h, method):
    """(B, H, H) d h'/d h of :func:`ref_step` by central differences or complex step."""
    B, H = h.shape
    J = np.empty((B, H, H))
    for j in range(H):
        e = np.zeros(H)
        if method == "complex":
            e[j] = 1e-20
            J[:, :, j] = ref_step(p, x, h + 1j * e).imag / 1e-20
        else:
            e[j] = 1e-6
            J[:, :, j] = (ref_step(p, x, h + e) - ref_step(p, x, h - e)) / 2e-6
    return J


def _case(cell, seed, H=5, I=3, B=4, scale=1.0):
    p = numeric.init(cell, H, I, seed=seed, scale=scale)
    rng = np.random.default_rng(seed + 1)
    return p, rng.normal(size=(B, I)) * scale, rng.uniform(-1, 1, (B, H))


@given(st.integers(0, 2**16), st.sampled_from([0.5, 1.0, 4.0]), st.integers(1, 6))
@settings(max_examples=20)
def test_step_matches_numpy_transcription(cell, seed, scale, H):
    p, x, h = _case(cell, seed, H=H, scale=scale)
    np.testing.assert_allclose(numeric.step(p, x, h), ref_step(p, x, h), rtol=1e-13,
                               atol=1e-13)


@pytest.mark.parametrize("scale", [0.5, 1.0, 4.0])
def test_jacobian_matches_central_differences_and_complex_step(cell, scale):
    p, x, h = _case(cell, 7, scale=scale)
    J = numeric.jacobian(p, x, h)
    cs = ref_jacobian(p, x, h, "complex")
    fd = ref_jacobian(p, x, h, "central")
    size = max(1.0, np.abs(cs).max())
    np.testing.assert_allclose(J, cs, rtol=0, atol=1e-12 * size)
    np.testing.assert_allclose(J, fd, rtol=0, atol=1e-7 * size)


def test_engine_complex_step_runs_through_the_declared_rewrite(cell):
    p, x, h = _case(cell, 3)
    J = numeric.jacobian(p, x, h)
    np.testing.assert_allclose(numeric.step_jacobian(p, x, h, method="complex"), J,
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(numeric.step_jacobian(p, x, h, method="central"), J,
                               rtol=0, atol=1e-7)
    assert numeric.check_jacobian(p, x, h).ok


def test_complex_step_without_an_analytic_rewrite_is_refused_before_work(cell, monkeypatch):
    p, x, h = _case(cell, 3)
    monkeypatch.setattr(Generic, "analytic", property(lambda self: None))
    for fn in (lambda: numeric.check_jacobian(p, x, h, method="complex"),
               lambda: numeric.step_jacobian(p, x, h, method="complex")):
        with pytest.raises(numeric.NumericError, match=r"activation\(s\) \['softplus'\].*"
                                                       r"softplus_gated.*method='central'"):
            fn()
    np.testing.assert_allclose(numeric.step_jacobian(p, x, h, method="central"),
                               ref_jacobian(p, x, h, "central"), rtol=0, atol=1e-8)
    # the default ("auto") falls back to central differences for such a cell
    res = numeric.check_jacobian(p, x, h)
    assert res.methods == ("central",) and res.ok


def test_float32_follows_float64(cell):
    p, x, h = _case(cell, 11)
    J32 = numeric.jacobian(p.astype(np.float32), x.astype(np.float32), h.astype(np.float32))
    assert J32.dtype == np.float32
    np.testing.assert_allclose(J32, ref_jacobian(p, x, h, "complex"), rtol=0, atol=2e-5)


def test_paths_jvp_and_vjp_match_the_reference(cell):
    p, x, h = _case(cell, 5)
    ref = ref_jacobian(p, x, h, "complex")
    np.testing.assert_allclose(sum(numeric.paths(p, x, h).values()), ref, rtol=0, atol=1e-12)
    v = np.random.default_rng(0).normal(size=h.shape)
    np.testing.assert_allclose(numeric.jvp(p, x, h, v), np.einsum("bij,bj->bi", ref, v),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(numeric.vjp(p, x, h, v), np.einsum("bi,bij->bj", v, ref),
                               rtol=0, atol=1e-12)


def test_gradient_norms_equal_explicit_products_of_reference_jacobians(cell):
    p, _, h0 = _case(cell, 9, B=3)
    rng = np.random.default_rng(2)
    T = 4
    xs, v = rng.normal(size=(T, 3, 3)), rng.normal(size=h0.shape)
    got = numeric.gradient_norms(p, xs, h0, v=v).log_norms          # (T, B)
    h, prods, g = h0, [], v
    hs = []
    for t in range(T):
        hs.append(h)
        h = ref_step(p, xs[t], h)
    for t in reversed(range(T)):  # g^T J_{T-1} ... J_t
        g = np.einsum("bi,bij->bj", g, ref_jacobian(p, xs[t], hs[t], "complex"))
        prods.append(np.log(np.linalg.norm(g, axis=1)))
    want = np.array(prods[::-1])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_saturated_fast_paths_keep_relative_accuracy_beside_softplus(cell):
    """The sigmoid and tanh fast paths at saturation (gate and candidate pre-activations
    near 40): the candidate path's coefficient (1 - g)(1 - e^{-n})(1 - tanh^2 n), about
    1e-52, is relatively accurate (as derived, 1 - g and 1 - tanh^2 would round to 0)."""
    p, x, h = _case(cell, 4)
    p = p.with_arrays(b_g=p.arrays["b_g"] + 40.0, b_n=p.arrays["b_n"] + 40.0)
    a = p.arrays
    u_g = x @ a["W_g"].T + h @ a["U_g"].T + a["b_g"]
    n = np_softplus(x @ a["W_n"].T + h @ a["U_n"].T + a["b_n"])
    t = np.exp(-2 * n)
    coef = _sigmoid(-u_g) * -np.expm1(-n) * 4 * t / (1 + t) ** 2     # (B, H)
    assert 1e-60 < coef.max() < 1e-40
    got = next(v for k, v in numeric.paths(p, x, h).items() if k.role is Role.CANDIDATE)
    np.testing.assert_allclose(got, coef[:, :, None] * a["U_n"], rtol=1e-12, atol=0)


def test_kernel_evaluates_softplus_on_arrays_columns_and_constants(softplus):
    """Generated code: softplus of a vector, of a bias column, and of a constant (folded),
    against NumPy's logaddexp."""
    import sympy as sp

    from numeric._codegen import Kernel, Let

    a, b, beta = sp.symbols("a b beta")
    exprs = [softplus(a), softplus(beta) * b, softplus(sp.Integer(2)) * b,
             1 - sp.exp(-softplus(a - b))]
    k = Kernel([Let(f"y{i}", e) for i, e in enumerate(exprs)],
               {"a": ("H", False), "b": ("H", False), "beta": ("H", True)},
               tuple(f"y{i}" for i in range(4)))
    rng = np.random.default_rng(0)
    v = {"a": rng.normal(size=(3, 4)) * 30, "b": rng.normal(size=(3, 4)),
         "beta": rng.normal(size=(3, 1))}
    outs = [np.empty((3, 4)) for _ in exprs]
    k(v, outs, k.workspace({"H": 3}, 4, np.float64), {"H": 3})
    want = [np.logaddexp(0, v["a"]), np.logaddexp(0, v["beta"]) * v["b"],
            np.logaddexp(0, 2.0) * v["b"], _sigmoid(v["a"] - v["b"])]
    for o, w in zip(outs, want, strict=True):
        np.testing.assert_allclose(o, w, rtol=1e-13, atol=1e-300)

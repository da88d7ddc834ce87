"""Scalars (cb.scalar), elementwise vectors (cb.vector) and the irnn init scheme."""

import numpy as np
import pytest

import derivations as dv
import numeric


def _cell(name="t_scalar"):
    cb = dv.CellBuilder(name)
    x, h = cb.input("x", dim="H"), cb.state("h")
    W = cb.weight("W")
    u = cb.vector("u", init=(0.5, 0.75))
    c = cb.scalar("c", default=8)
    cb.update(h, dv.tanh(W @ x + u * h) * dv.exp(-h * h / c))
    return cb.build()


def test_scalar_default_fills_params_and_matches_a_numpy_reference():
    cell = _cell()
    assert cell.scalars == {cell.symbol("c"): 8.0} and cell.vectors == (cell.symbol("u"),)
    p = numeric.init(cell, 5, 5, seed=0)
    assert p.arrays["c"].shape == () and float(p.arrays["c"]) == 8.0
    assert np.all((p.arrays["u"] >= 0.5) & (p.arrays["u"] <= 0.75))
    rng = np.random.default_rng(0)
    x, h = rng.normal(size=(3, 5)), rng.uniform(-1, 1, (3, 5))
    for c in (8.0, 2.0):   # one kernel per cell, the value per params
        q = p.with_arrays(c=c)
        ref = np.tanh(x @ q.arrays["W"].T + q.arrays["u"] * h) * np.exp(-h * h / c)
        np.testing.assert_allclose(numeric.step(q, x, h), ref, rtol=1e-12)
        assert numeric.check_jacobian(q, x, h).ok


def test_from_arrays_scalar_optional_and_validated():
    cell = _cell()
    W, u = np.eye(3), np.ones(3)
    assert float(numeric.from_arrays(cell, W=W, u=u).arrays["c"]) == 8.0
    assert float(numeric.from_arrays(cell, W=W, u=u, c=3.0).arrays["c"]) == 3.0
    with pytest.raises(numeric.NumericError, match=r"scalar 'c'"):
        numeric.from_arrays(cell, W=W, u=u, c=float("nan"))
    with pytest.raises(numeric.NumericError, match=r"scalar 'c' has shape \(3,\)"):
        numeric.from_arrays(cell, W=W, u=u, c=np.ones(3))


def test_bad_scalar_and_vector_declarations_are_refused_by_name():
    cb = dv.CellBuilder("bad")
    h = cb.state("h")
    cb.input("x")
    W = cb.weight("W")
    with pytest.raises(dv.DerivationError, match=r"default of scalar 'beta'"):
        cb.scalar("beta", default=float("inf"))
    with pytest.raises(dv.DerivationError, match=r"default of scalar 'flag'"):
        cb.scalar("flag", default=True)
    c = cb.scalar("c", default=1.0)
    with pytest.raises(dv.DerivationError, match=r"'c' is a scalar"):
        cb.update(h, W @ c)
    v = cb.vector("v", dim="K")
    with pytest.raises(dv.DerivationError, match=r"shapes cannot match.*v \(K\)"):
        cb.update(h, v * h)
    with pytest.raises(dv.DerivationError, match=r"init of vector 'w'"):
        cb.vector("w", init=(1.0, 0.0))


def test_irnn_gives_identity_recurrent_matrices_and_zero_biases():
    p = numeric.init("elman", 6, 3, scheme="irnn", seed=0)
    np.testing.assert_array_equal(p.arrays["W_hh"], np.eye(6))
    assert not p.arrays["b_ih"].any() and not p.arrays["b_hh"].any()


def test_irnn_refused_for_a_cell_without_a_recurrent_matrix():
    with pytest.raises(numeric.NumericError, match=r"'irnn'.*t_scalar"):
        numeric.init(_cell(), 4, 4, scheme="irnn")

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


def test_positive_scalar_is_a_positive_symbol_and_refuses_nonpositive_values():
    cb = dv.CellBuilder("t_positive")
    x, h = cb.input("x", dim="H"), cb.state("h")
    W = cb.weight("W")
    c = cb.scalar("c", default=8, positive=True)
    cb.update(h, dv.exp(-c) * h + W @ x)
    cell = cb.build()
    assert c.is_positive and cell.symbol("c").is_positive and cell.scalars == {c: 8.0}
    assert dv.cell("rglru").symbol("c").is_positive   # the RG-LRU's c = 8 > 0
    W = np.eye(3)
    assert float(numeric.from_arrays(cell, W=W, c=0.25).arrays["c"]) == 0.25
    for bad in (0.0, -1.0, np.array(-2.0)):
        with pytest.raises(numeric.NumericError, match=r"scalar 'c' is declared positive.*got"):
            numeric.from_arrays(cell, W=W, c=bad)
    p = numeric.init(cell, 3, 3, seed=0)
    with pytest.raises(numeric.NumericError, match=r"scalar 'c' is declared positive"):
        p.with_arrays(c=-8.0)
    bad = dv.CellBuilder("t_positive_bad")
    for default in (0, -8, -0.5):
        with pytest.raises(dv.DerivationError, match=r"default of scalar 'k'.*> 0"):
            bad.scalar("k", default=default, positive=True)
    with pytest.raises(dv.DerivationError, match=r"positive of scalar 'k'"):
        bad.scalar("k", default=1, positive="yes")
    assert bad.scalar("k", default=-1).is_positive is None   # an undeclared sign: real


def test_irnn_gives_identity_recurrent_matrices_and_zero_biases():
    p = numeric.init("elman", 6, 3, scheme="irnn", seed=0)
    np.testing.assert_array_equal(p.arrays["W_hh"], np.eye(6))
    assert not p.arrays["b_ih"].any() and not p.arrays["b_hh"].any()


def test_irnn_refused_for_a_cell_without_a_recurrent_matrix():
    with pytest.raises(numeric.NumericError, match=r"'irnn'.*t_scalar"):
        numeric.init(_cell(), 4, 4, scheme="irnn")

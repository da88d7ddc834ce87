"""The lemmas: each SymPy proof re-runs, wrong claims fail, and numbers agree independently."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import derivations as dv
from derivations.functions import sigmoid, tanh
from derivations.lemmas import (
    Lemma,
    convex_combination_lemma,
    invariant_lemma,
    lemmas,
    sigmoid_derivative_lemma,
    tanh_derivative_lemma,
)


def test_every_lemma_verifies_and_prints():
    ls = lemmas()
    names = [lem.name for lem in ls]
    assert names[:3] == ["sigmoid derivative", "tanh derivative", "convex combination"]
    assert len(ls) == 3 + len(dv.all_cells()) + 1   # + the growth of LSTM c
    for lem in ls:
        assert isinstance(lem, Lemma)
        assert lem.verify(), lem.name
        assert lem.statement_latex and "\\text{" in lem.proof_latex()


def test_sigmoid_lemma_matches_finite_differences_of_the_logistic_function():
    # independent: central differences of 1/(1+exp(-u)) on a grid, max at u = 0 equal to 1/4
    u = np.linspace(-12, 12, 240001)
    s = 1 / (1 + np.exp(-u))
    d = np.gradient(s, u)
    assert d.max() <= 0.25 + 1e-9 and d.min() > 0
    assert d.max() == pytest.approx(0.25, abs=1e-8)
    np.testing.assert_allclose(d[1:-1], (s * (1 - s))[1:-1], atol=1e-8)


def test_tanh_lemma_matches_finite_differences():
    u = np.linspace(-10, 10, 200001)
    d = np.gradient(np.tanh(u), u)
    assert 0 < d.min() and d.max() == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize(
    ("lemma", "expected"),
    [(sigmoid_derivative_lemma(sp.Rational(1, 5)), False),
     (sigmoid_derivative_lemma(sp.Rational(24, 100)), False),
     (sigmoid_derivative_lemma(sp.Rational(1, 4)), True),
     (sigmoid_derivative_lemma(sp.Rational(1, 3)), True),   # weaker but true
     (tanh_derivative_lemma(sp.Rational(9, 10)), False),
     (tanh_derivative_lemma(sp.S.One), True)])
def test_a_wrong_bound_fails_verification(lemma, expected):
    assert lemma.verify() is expected


def test_convex_combination_lemma_and_its_steps():
    lem = convex_combination_lemma()
    assert lem.verify()
    assert len(lem.steps) == 3 and all(s.run()[0] for s in lem.steps)


@given(st.floats(0, 1), st.floats(-1, 1), st.floats(-1, 1))
def test_convex_combination_numerically(a, p, q):
    assert -1 - 1e-12 <= a * p + (1 - a) * q <= 1 + 1e-12


def test_invariant_fails_for_a_cell_whose_update_leaves_the_box():
    # h' = h + tanh(W h): no invariant; the lemma must refuse it
    cb = dv.CellBuilder("leaky")
    x, h = cb.input("x"), cb.state("h")
    (W,) = cb.weights("W")
    (U,) = cb.weights("U")
    cb.update(h, h + tanh(W @ h + U @ x))
    assert not invariant_lemma(cb.build()).verify()


def test_invariant_holds_for_a_user_convex_cell():
    cb = dv.CellBuilder("mine")
    x, h = cb.input("x"), cb.state("h")
    W, U = cb.weights("W U")
    a = cb.let("a", sigmoid(W @ h + U @ x), role="gate")
    cb.update(h, a * h - (1 - a) * tanh(U @ x))
    assert invariant_lemma(cb.build()).verify()


def test_lstm_cell_state_growth_lemma():
    from derivations.lemmas import growth_lemma

    lstm = dv.cell("lstm")
    lem = growth_lemma(lstm, lstm.symbol("c"))
    assert lem.verify()
    assert lem.statement_latex == r"|c_{t}| \le f_{t} \odot |c_{t-1}| + 1"
    # independent: |f c + i g| <= f |c| + 1 on random gate values
    rng = np.random.default_rng(0)
    f, i, g, c = rng.uniform(0, 1, 10**5), rng.uniform(0, 1, 10**5), rng.uniform(-1, 1, 10**5), \
        rng.normal(0, 5, 10**5)
    assert (np.abs(f * c + i * g) <= f * np.abs(c) + 1).all()


def test_growth_lemma_refuses_a_non_affine_update():
    from derivations.lemmas import growth_lemma

    cb = dv.CellBuilder("sq")
    x, h = cb.input("x"), cb.state("h")
    (W,) = cb.weights("W")
    f = cb.let("f", sigmoid(W @ x), role="gate")
    cb.update(h, f * h * h)
    c = cb.build()
    assert not growth_lemma(c, c.symbol("h")).verify()

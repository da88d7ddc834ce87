"""The lemmas: each SymPy proof re-runs, wrong claims fail, numbers agree independently, and a
new activation gets its lemma (and its bounds) from its declaration alone."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import derivations as dv
from derivations.facts import BoundKind
from derivations.functions import ACTIVATIONS, sigmoid, tanh
from derivations.lemmas import (
    Lemma,
    LemmaText,
    convex_combination_lemma,
    derivative_lemma,
    invariant_lemma,
    lemmas,
    sigmoid_derivative_lemma,
    tanh_derivative_lemma,
)
from derivations.statements import Norm
from reports._statements import Printers
from reports.engines import compile_typst
from tests._softplus import registered_softplus
from tests._suite_cells import CORE


def test_every_lemma_verifies_and_prints():
    ls = lemmas()
    names = [lem.name for lem in ls]
    assert names[:3] == ["sigmoid derivative", "tanh derivative", "convex combination"]
    # one derivative lemma per registered activation, the convex combination, then by hand
    # per cell: the invariant |h| <= 1 where the update keeps [-1, 1] (the tanh/convex-
    # combination cells; CIFG's c is a convex combination too); relu's range [0, oo) (no
    # invariant); the growth |c'| <= f |c| + 1 of LSTM's and the peephole LSTM's c.
    # The stabilized sLSTM's f, i lie in (0, 1] (exp of a nonpositive argument, by its max),
    # so its c and n grow at most as |c'| <= f |c| + 1, |n'| <= f |n| + 1. minGRU/minLSTM
    # (unbounded candidate), RG-LRU and the paper-form sLSTM (i = exp(i~)) get none.
    # (IndRNN with tanh keeps [-1, 1] too.) The hand list covers the cells that predate the
    # torchrecurrent zoo; the zoo's lemmas are checked below (each verifies and prints).
    cells = ["elman", "gru (pytorch)", "gru (cho)", "gru (seed)", "lstm", "minimalrnn", "mgu",
             "peephole_lstm", "cifg_lstm", "indrnn (tanh)"]
    want = ([f"{a} derivative" for a in ACTIVATIONS if a not in ("sigmoid", "tanh")]
            + [f"hidden-state invariant ({c})" for c in cells]
            + ["state range (elman (relu), h)", "state range (indrnn, h)",
               "state growth (lstm, c)", "state growth (peephole_lstm, c)"]
            + [f"state growth (slstm_stabilized ({conv}), {s})"
               for conv in ("sigmoid", "exp") for s in ("c", "n")])
    core = [lem.name for lem in ls[3:] if lem.cell is None or lem.cell.name in CORE]
    assert sorted(core) == sorted(want)
    for lem in ls:
        assert isinstance(lem, Lemma)
        assert lem.verify(), lem.name
        pr = Printers.for_cell(lem.cell) if lem.cell else Printers()
        assert all(pr.both(lem.statement))
        for step in lem.steps:
            ok, node = step.run()
            assert ok and isinstance(step.description, LemmaText) and all(pr.both(node))


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
    c, f = lstm.symbol("c"), lstm.symbol("f")
    lem = growth_lemma(lstm, c)
    assert lem.verify()
    # |c_t| <= f_t |c_{t-1}| + 1, as structure
    assert lem.statement == sp.Le(sp.Abs(lstm.next_states[c]), f * sp.Abs(c) + 1, evaluate=False)
    # independent: |f c + i g| <= f |c| + 1 on random gate values
    rng = np.random.default_rng(0)
    f, i, g, c = rng.uniform(0, 1, 10**5), rng.uniform(0, 1, 10**5), rng.uniform(-1, 1, 10**5), \
        rng.normal(0, 5, 10**5)
    assert (np.abs(f * c + i * g) <= f * np.abs(c) + 1).all()


def test_relu_cells_get_a_range_lemma_not_an_invariant():
    from derivations.lemmas import LemmaKind, growth_lemma, range_lemma

    for name, conv in (("elman", "relu"), ("indrnn", None)):
        cell = dv.cell(name, conv)
        h = cell.symbol("h")
        lem = range_lemma(cell, h)
        assert lem.kind is LemmaKind.RANGE and lem.verify()
        assert lem.statement.parts[:2] == (
            sp.Contains(cell.next_states[h], sp.Interval(0, sp.oo), evaluate=False),
            LemmaText.FOR_ALL_T)
        assert LemmaText.NO_INVARIANT in lem.statement.parts
        assert not invariant_lemma(cell).verify()          # relu leaves [-1, 1]
        # the state enters through W h: not affine, refused, and printable
        grow = growth_lemma(cell, h)
        assert not grow.verify()
        assert all(Printers.for_cell(cell).both(grow.statement))
    # a state that is not one activation's output gets no range lemma
    assert not range_lemma(dv.cell("gru"), dv.cell("gru").symbol("h")).verify()
    # independent: relu of normal pre-activations is >= 0 and exceeds any box
    u = np.random.default_rng(0).normal(0, 50, 10**5)
    assert np.maximum(u, 0).min() == 0 and np.maximum(u, 0).max() > 1


def test_growth_lemma_refuses_a_non_affine_update():
    from derivations.lemmas import growth_lemma

    cb = dv.CellBuilder("sq")
    x, h = cb.input("x"), cb.state("h")
    (W,) = cb.weights("W")
    f = cb.let("f", sigmoid(W @ x), role="gate")
    cb.update(h, f * h * h)
    c = cb.build()
    assert not growth_lemma(c, c.symbol("h")).verify()


def test_lemma_statements_print_and_compile_in_typst(tmp_path):
    src = []
    for lem in lemmas():
        pr = Printers.for_cell(lem.cell) if lem.cell else Printers()
        src.append(pr.typst.doprint(lem.statement))
        src += [pr.typst.doprint(s.run()[1]) for s in lem.steps]
    (tmp_path / "lemmas.typ").write_text("\n\n".join(f"$ {t} $" for t in src), encoding="utf-8")
    assert compile_typst(tmp_path / "lemmas.typ").stat().st_size > 1000


@pytest.fixture
def softplus():
    """softplus, declared once (tests._softplus), registered for the test."""
    with registered_softplus() as cls:
        yield cls


def test_a_new_activation_gets_its_lemma_and_bounds_from_its_declaration(softplus):
    # the lemma comes from the registry: derivative checked on log(1 + e^u), range (0, 1]
    lem = next(x for x in lemmas() if x.name == "softplus derivative")
    assert lem.verify() and len(lem.steps) == 4
    wrong = derivative_lemma(ACTIVATIONS["softplus"], sp.Rational(9, 10))
    assert not wrong.verify()
    # independent: d/du log(1 + e^u) = 1 - exp(-softplus(u)) in (0, 1), by finite differences
    u = np.linspace(-20, 20, 400001)
    y = np.logaddexp(0, u)
    d = np.gradient(y, u)
    np.testing.assert_allclose(d[1:-1], (1 - np.exp(-y))[1:-1], atol=1e-8)
    assert 0 < d.min() and d.max() < 1
    # a cell using it: the derivative 1 - exp(-q) is bounded by the declared sup 1
    cb = dv.CellBuilder("softgate")
    x, h = cb.input("x"), cb.state("h")
    W, U, V = cb.weights("W U V")
    z = cb.let("z", sigmoid(W @ h + U @ x), role="update gate")
    q = cb.let("q", softplus(V @ h), role="candidate")
    cb.update(h, z * h + (1 - z) * q)
    cb.carrying(z, 1)
    cell = cb.build()
    b = dv.derive(cell).bounds
    V_, W_ = cell.symbol("V"), cell.symbol("W")
    h_, q_ = cell.symbol("h"), cell.symbol("q")
    want = 1 + Norm(V_) + (Norm(h_, sp.oo) + Norm(q_, sp.oo)) * Norm(W_) / 4
    assert sp.simplify(b.main.global_upper - want) == 0
    assert b.main.get(BoundKind.SATURATION) is not None
    pr = Printers.for_cell(cell)
    for x_ in b.all():
        assert r"\operatorname{softplus}" not in pr.latex.doprint(x_.statement)  # q is named
        assert pr.typst.doprint(x_.statement)
    assert r"\operatorname{softplus}" in pr.latex.doprint(cell.definitions[q_])

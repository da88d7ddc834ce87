"""The operations of issue 11 (exp, log, softplus, relu, hard_sigmoid, mingru_g, sqrt,
division, max/min): each declaration against SymPy's diff of its rewrite, central
differences of its NumPy function and torch autograd at the kinks; small cells using them
derived, proven (n = 2, 3) and checked numerically at H = 64."""

import numpy as np
import pytest
import sympy as sp

import derivations as dv
import numeric
from derivations.facts import BoundKind
from derivations.functions import ACTIVATIONS
from derivations.proof import prove
from derivations.statements import Norm

NEW = ("exp", "log", "softplus", "relu", "hard_sigmoid", "mingru_g")
_u = sp.Symbol("u", real=True)
# points away from every kink (0, +-3) and inside log's domain
POINTS = np.array([0.3, 0.7, 1.9, 2.5, 4.0])
SIGNED = np.concatenate([-POINTS, POINTS])


def _points(name):
    return POINTS if name == "log" else SIGNED


@pytest.mark.parametrize("name", NEW)
def test_declared_derivative_equals_sympy_diff_of_the_rewrite(name):
    act = ACTIVATIONS[name]
    form = act.function(_u).rewrite(sp.exp)
    d_ref = sp.diff(form, _u)
    d_decl = act.derivative(form)
    for p in _points(name):
        ref = float(d_ref.subs(_u, sp.Float(p, 30)).evalf(30))
        got = float(d_decl.subs(_u, sp.Float(p, 30)).evalf(30))
        assert got == pytest.approx(ref, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("name", NEW)
def test_declared_derivative_equals_central_differences_of_numpy(name):
    act = ACTIVATIONS[name]
    y = sp.Symbol("y")
    d_of_y = sp.lambdify(y, act.derivative(y), modules=[{"Heaviside": _heaviside}, "numpy"])
    u = _points(name)
    delta = 1e-6
    fd = (act.numpy(u + delta) - act.numpy(u - delta)) / (2 * delta)
    np.testing.assert_allclose(d_of_y(act.numpy(u)), fd, rtol=1e-7, atol=1e-8)


def _heaviside(x, h0=0.5):
    return np.heaviside(x, h0)


@pytest.mark.parametrize("name", [n for n in NEW if ACTIVATIONS[n].derivative_sup is not None])
def test_derivative_supremum_is_attained_not_exceeded_by_sampling(name):
    act = ACTIVATIONS[name]
    y = sp.Symbol("y")
    d_of_y = sp.lambdify(y, act.derivative(y), modules=[{"Heaviside": _heaviside}, "numpy"])
    u = np.linspace(-30, 30, 200001)
    vals = d_of_y(act.numpy(u))
    sup = float(act.derivative_sup)
    assert vals.max() <= sup * (1 + 1e-12)
    assert vals.max() >= sup * (1 - 1e-3)


@pytest.mark.parametrize("name", ["exp", "log"])
def test_exp_and_log_declare_no_derivative_supremum(name):
    assert ACTIVATIONS[name].derivative_sup is None


def test_values_match_torch_and_kink_derivatives_match_autograd():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    refs = {"relu": torch.relu, "hard_sigmoid": F.hardsigmoid, "softplus": F.softplus,
            "exp": torch.exp,
            "mingru_g": lambda t: torch.where(t >= 0, t + 0.5, t.sigmoid())}
    kinks = {"relu": [0.0], "hard_sigmoid": [-3.0, 3.0], "mingru_g": [0.0]}
    y = sp.Symbol("y")
    for name, fn in refs.items():
        act = ACTIVATIONS[name]
        pts = np.concatenate([SIGNED, kinks.get(name, [])])
        t = torch.tensor(pts, dtype=torch.float64, requires_grad=True)
        fn(t).sum().backward()
        np.testing.assert_allclose(act.numpy(pts), fn(t).detach().numpy(), rtol=1e-12)
        d_of_y = sp.lambdify(y, act.derivative(y), modules=[{"Heaviside": _heaviside}, "numpy"])
        np.testing.assert_allclose(d_of_y(act.numpy(pts)), t.grad.numpy(), rtol=1e-7,
                                   atol=1e-15)  # torch: 1/6 as a float32 constant
    # max / min: autograd splits a tie 1/2 - 1/2, as SymPy's Heaviside(0) = 1/2
    a = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    torch.maximum(a, b).sum().backward()
    A, B = sp.symbols("A B")
    assert float(sp.diff(dv.maximum(A, B), A).subs({A: 1, B: 1})) == float(a.grad[0])


def _indrnn():
    cb = dv.CellBuilder("t_indrnn")
    x, h = cb.input("x"), cb.state("h")
    W = cb.weight("W")
    b = cb.bias("b")
    u = cb.vector("u", init=(0.0, 1.0))
    cb.update(h, dv.relu(W @ x + u * h + b))
    return cb.build()


def _slstm():
    cb = dv.CellBuilder("t_slstm")
    x, h, c, n = cb.input("x"), cb.state("h"), cb.state("c"), cb.state("n")
    W_i, R_i, W_f, R_f, W_z, R_z, W_o, R_o = cb.weights("W_i R_i W_f R_f W_z R_z W_o R_o")
    b_i, b_f, b_z, b_o = cb.biases("b_i b_f b_z b_o")
    i = cb.let("i", dv.exp(W_i @ x + R_i @ h + b_i))
    f = cb.let("f", dv.sigmoid(W_f @ x + R_f @ h + b_f))
    z = cb.let("z", dv.tanh(W_z @ x + R_z @ h + b_z))
    o = cb.let("o", dv.sigmoid(W_o @ x + R_o @ h + b_o))
    c_next = cb.update(c, f * c + i * z)
    n_next = cb.update(n, f * n + i)
    cb.update(h, o * c_next / n_next)
    return cb.build()


def _kinked():
    cb = dv.CellBuilder("t_kinked")
    x, h = cb.input("x"), cb.state("h")
    W, U, V = cb.weights("W U V")
    b = cb.bias("b")
    g = cb.let("g", dv.hard_sigmoid(W @ x + U @ h + b))
    m = cb.let("m", dv.mingru_g(V @ h))
    cb.update(h, g * dv.maximum(h, m) + (1 - g) * dv.minimum(dv.softplus(m), dv.sqrt(1 + h**2)))
    return cb.build()


CELLS = {"indrnn": _indrnn, "slstm": _slstm, "kinked": _kinked}


@pytest.mark.parametrize("make", CELLS.values(), ids=CELLS.keys())
def test_small_cells_prove_at_n_2_and_3(make):
    cell = make()
    for n in (2, 3):
        res = prove(cell, n)
        assert res.ok
        assert res.almost_everywhere == bool(cell.kinks)
    assert prove(cell, 2).kinks == cell.kinks


@pytest.mark.parametrize("make", CELLS.values(), ids=CELLS.keys())
def test_small_cells_engine_matches_step_derivatives_at_h64(make):
    cell = make()
    p = numeric.init(cell, 64, 64, seed=0)
    rng = np.random.default_rng(1)
    states = tuple(rng.uniform(0.2, 1.0, (2, 64)) for _ in cell.states)
    x = rng.normal(size=(2, 64))
    res = numeric.check_jacobian(p, x, states if len(states) > 1 else states[0])
    assert res.ok
    assert res.methods == (("central",) if cell.kinks else ("complex", "central"))


def test_complex_step_through_a_kink_is_refused_by_name():
    cell = _kinked()
    p = numeric.init(cell, 4, 4, seed=0)
    x, h = np.ones((1, 4)), np.full((1, 4), 0.5)
    with pytest.raises(numeric.NumericError, match=r"t_kinked.*central"):
        numeric.step_jacobian(p, x, h, method="complex")


def test_unbounded_derivative_gives_no_global_bound_naming_it():
    b = dv.derive(_slstm()).bounds
    g = b.blocks[("c", "h")].get(BoundKind.GLOBAL_UPPER)
    assert "exp' is unbounded" in g.reasons and g.expr == sp.oo
    assert b.blocks[("c", "c")].get(BoundKind.GLOBAL_UPPER).expr == 1   # D(f), f in (0, 1)
    # the state-dependent bound still holds numerically
    p = numeric.init(_slstm(), 6, 6, seed=0)
    rng = np.random.default_rng(2)
    st = tuple(rng.uniform(0.2, 1.0, (3, 6)) for _ in range(3))
    assert np.all(numeric.check_bounds(p, rng.normal(size=(3, 6)), st).ok)


def test_relu_cell_global_bound_uses_the_vector_norm():
    cell = _indrnn()
    g = dv.derive(cell).bounds.main.get(BoundKind.GLOBAL_UPPER)
    assert g.expr == Norm(cell.symbol("u"), sp.oo)      # |u * relu'| <= ||u||_inf

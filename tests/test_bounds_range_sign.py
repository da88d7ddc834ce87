"""The range engine's sign rule: an increasing activation with values unbounded above (exp)
of an argument bounded above is bounded (RangeSource.MONOTONE), and the RG-LRU's global
bound ||dh'/dh|| <= 1 that follows holds, tightly, on samples."""

import numpy as np
import pytest
import sympy as sp

import derivations as dv
import numeric
from derivations._bound_types import NoGlobalBound
from derivations._bounds_range import Env, RangeSource, cell_env
from derivations._bounds_sign import monotone_range, nonpositive
from derivations.facts import BoundKind


def _decay_cell(name, positive, *, stabilized=False):
    """h' = a h + x with a = exp(-c g s) (g a gate, s = softplus(-u)), or with the
    stabilizer a = exp(p - max(p, q)) of unbounded pre-activations p, q."""
    cb = dv.CellBuilder(name)
    x, h = cb.input("x", dim="H"), cb.state("h")
    W_g = cb.weight("W_g")
    if stabilized:
        W_q = cb.weight("W_q")
        p = cb.let("p", W_g @ x)
        m = cb.let("m", dv.functions.maximum(p, W_q @ x))
        a = cb.let("a", dv.exp(p - m))
    else:
        u = cb.vector("u")
        c = cb.scalar("c", default=2, positive=positive)
        g = cb.let("g", dv.sigmoid(W_g @ x))
        a = cb.let("a", dv.exp(-c * g * dv.functions.softplus(-u)))
    cb.update(h, a * h + x)
    return cb.build()


def test_exp_of_a_provably_nonpositive_argument_lies_in_0_1():
    # by hand: c > 0, g in [0, 1], softplus > 0, so -c g softplus(-u) <= 0 and
    # 0 < exp(.) <= exp(0) = 1; J = D(a): ||J|| <= 1
    cell = _decay_cell("t_sign_pos", positive=True)
    env = cell_env(cell)
    a = cell.symbol("a")
    assert env.ranges[a] == (0, 1) and env.why[a] is RangeSource.MONOTONE
    g = dv.derive(cell).bounds.main.get(BoundKind.GLOBAL_UPPER)
    assert not isinstance(g, NoGlobalBound) and g.expr == 1


def test_exp_of_an_argument_of_unknown_sign_stays_unbounded_with_its_reason():
    # c real of either sign: -c g softplus(-u) may be positive, exp' = exp has no supremum
    cell = _decay_cell("t_sign_real", positive=False)
    assert cell.symbol("a") not in cell_env(cell).ranges
    g = dv.derive(cell).bounds.main.get(BoundKind.GLOBAL_UPPER)
    assert isinstance(g, NoGlobalBound) and g.expr == sp.oo
    assert g.reasons == ("exp' is unbounded",) and g.activations == ("exp",)
    # the paper-form sLSTM's i = exp(i~) keeps its reason too
    b = dv.derive("slstm", "sigmoid").bounds
    assert "exp' is unbounded" in b.block("c", "h").get(BoundKind.GLOBAL_UPPER).reasons


def test_the_stabilizer_rule_bounds_exp_of_p_minus_max():
    # p - max(p, q) <= 0 for every p, q (unbounded, unknown sign): exp(p - m) in (0, 1]
    cell = _decay_cell("t_sign_max", positive=False, stabilized=True)
    env = cell_env(cell)
    assert env.ranges[cell.symbol("a")] == (0, 1)
    assert env.why[cell.symbol("a")] is RangeSource.MONOTONE
    assert dv.derive(cell).bounds.main.global_upper == 1
    # the rule itself, and what it does not claim
    p, q, r = sp.symbols("p q r")
    assert nonpositive(p - sp.Max(p, q), Env()) and nonpositive(q - sp.Max(p, q), Env())
    assert nonpositive(sp.Min(p, q) - q, Env())
    assert not nonpositive(p - sp.Max(q, r), Env()) and not nonpositive(sp.Max(p, q) - p, Env())
    # exp of a bounded argument: [exp(lo), exp(hi)]; of an unknown one: none
    env = Env({r: (0, 1)})
    assert monotone_range(sp.exp(r - 1), env) == (sp.exp(-1), 1)
    assert monotone_range(sp.exp(p), env) is None


def test_stabilized_slstm_gates_are_bounded_and_only_the_division_remains():
    for conv in ("sigmoid", "exp"):
        b = dv.derive("slstm_stabilized", conv).bounds
        for q in ("f", "i"):
            s = b.cell.symbol(q)
            assert b.env.ranges[s] == (0, 1) and b.env.why[s] is RangeSource.MONOTONE
        for key, bb in b.blocks.items():
            g = bb.get(BoundKind.GLOBAL_UPPER)
            if key[0] == "h":   # h' = o c'/n': n' has no positive lower bound
                assert isinstance(g, NoGlobalBound) and g.reasons == ("division by n_next",)
            else:
                assert not isinstance(g, NoGlobalBound), key


@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("c", [None, 0.5, 30.0])
def test_rglru_global_bound_one_holds_on_samples(scale, c):
    H = 16
    p = numeric.init("rglru", H, H, seed=3)
    changes = {n: scale * np.asarray(a) for n, a in p.arrays.items()
               if n in ("W_a", "W_x", "b_a", "b_x")}
    if c is not None:
        changes["c"] = c
    p = p.with_arrays(**changes)
    rng = np.random.default_rng(0)
    x, h = rng.normal(size=(64, H)), rng.normal(size=(64, H))
    chk = numeric.check_bounds(p, x, h)
    assert np.all(chk.global_upper == 1.0)
    assert np.all(chk.norm <= 1.0 + 1e-12) and chk.ok.all()
    if c is None and scale == 1.0:   # at the RG-LRU's init a = sigma(Lambda)^(8 r) >= 0.9
        assert chk.global_tightness.max() > 0.9
    # the exact Jacobian is diag(a): its spectral norm is max a, independently computed
    J = numeric.jacobian(p, x, h)
    assert np.allclose(np.linalg.norm(J, 2, axis=(1, 2)), chk.norm, rtol=1e-10)


def test_rglru_refuses_a_nonpositive_c():
    p = numeric.init("rglru", 4, 4, seed=0)
    for bad in (0.0, -8.0):
        with pytest.raises(numeric.NumericError, match=r"scalar 'c' is declared positive"):
            p.with_arrays(c=bad)

"""The symbolic bounds: hand-derived global bounds, brute-force suprema, user cells, LaTeX."""

import itertools

import numpy as np
import pytest
import sympy as sp

import derivations as dv
from derivations._bounds_range import Env, cell_env, interval, sup_abs
from derivations.bounds import Bounds, derive_bounds, norm_symbol
from derivations.facts import Carrying
from derivations.functions import sigmoid, tanh
from derivations.language import MatVec

KEYS = [(n, c) for n, convs in dv.CELLS.items() for c in convs]


def n2(name):
    return sp.Symbol(f"norm2_{name}", nonnegative=True)


def ninf(name):
    return sp.Symbol(f"norminf_{name}", nonnegative=True)


Q = sp.Rational(1, 4)
# written out by hand from DESIGN.md's closed forms and the lemmas (not from the code)
HAND_GLOBAL = {
    ("elman", None): {("h", "h"): n2("W_hh")},
    ("gru", "pytorch"): {("h", "h"): 1 + n2("W_hz") / 2 + n2("W_hn")
                         + Q * n2("W_hr") * (ninf("W_hn") + ninf("b_hn"))},
    ("gru", "cho"): {("h", "h"): 1 + n2("W_hz") / 2 + n2("W_hn") + Q * n2("W_hn") * n2("W_hr")},
    ("gru", "seed"): {("h", "h"): 1 + n2("W_hz") / 2 + n2("W_hn") + Q * n2("W_hn") * n2("W_hr")},
    ("lstm", None): {("h", "h"): Q * n2("W_ho") + Q * n2("W_hi") + Q * ninf("c") * n2("W_hf")
                     + n2("W_hg"),
                     ("h", "c"): 1,
                     ("c", "h"): Q * n2("W_hi") + Q * ninf("c") * n2("W_hf") + n2("W_hg"),
                     ("c", "c"): 1},
    ("minimalrnn", None): {("h", "h"): 1 + n2("U_h") / 2},
    ("mgu", None): {("h", "h"): 1 + n2("W_hf") / 2 + n2("W_hn") + Q * n2("W_hn") * n2("W_hf")},
}
# saturation constants K in ||J - I|| <= K eps, by hand: (1 - z) z <= eps, |h - n| <= 2, ...
HAND_K = {
    ("gru", "pytorch"): 1 + 2 * n2("W_hz") + n2("W_hn")
    + Q * n2("W_hr") * (ninf("W_hn") + ninf("b_hn")),
    ("gru", "cho"): 1 + 2 * n2("W_hz") + n2("W_hn") + Q * n2("W_hn") * n2("W_hr"),
    ("gru", "seed"): 1 + 2 * n2("W_hz") + n2("W_hn") + Q * n2("W_hn") * n2("W_hr"),
    ("lstm", None): sp.S.One,
    ("minimalrnn", None): 1 + 2 * n2("U_h"),
    ("mgu", None): 1 + 2 * n2("W_hf") + n2("W_hn") + Q * n2("W_hn") * n2("W_hf"),
}


@pytest.mark.parametrize(("name", "conv"), KEYS)
def test_global_upper_bounds_equal_the_hand_derived_ones(name, conv):
    b = dv.derive(name, conv).bounds
    assert isinstance(b, Bounds) and b is dv.derive(name, conv).bounds  # cached
    for key, want in HAND_GLOBAL[(name, conv)].items():
        assert sp.simplify(b.blocks[key].global_upper - want) == 0, key


@pytest.mark.parametrize(("name", "conv"), KEYS)
def test_saturation_constants_equal_the_hand_derived_ones(name, conv):
    b = dv.derive(name, conv).bounds
    sats = [x for x in b.all() if x.kind == "saturation"]
    if (name, conv) not in HAND_K:
        assert sats == []
        return
    assert len(sats) == 1
    assert sp.simplify(sats[0].expr - HAND_K[(name, conv)]) == 0
    gate, value = sats[0].data["gate"], sats[0].data["value"]
    assert dv.cell(name, conv).carrying == Carrying(gate, value)


def _grid(lo, hi, k=9):
    return np.unique(np.concatenate([np.linspace(float(lo), float(hi), k), [0.5, -0.5]])
                     .clip(float(lo), float(hi)))


@pytest.mark.parametrize(("name", "conv"), KEYS)
def test_every_coefficient_supremum_is_a_bound_and_attained_on_a_grid(name, conv):
    # brute force: evaluate |a| on a grid over the atoms' ranges (unbounded atoms in [-1, 1],
    # i.e. with every norm set to 1) and compare with the derived supremum at norms = 1
    cell = dv.cell(name, conv)
    env = cell_env(cell)
    b = dv.derive(name, conv).bounds
    for bb in b.blocks.values():
        for tb in bb.terms:
            for a, s in zip(tb.term.coeffs, tb.sups, strict=True):
                atoms = sorted(a.atoms(sp.Symbol, MatVec, sigmoid, tanh) - {
                    x for m in a.atoms(MatVec) for x in m.free_symbols},
                    key=sp.default_sort_key)
                atoms = [x for x in atoms if not any(x in m.args for m in a.atoms(sigmoid, tanh)
                                                     if m != x)]
                d = {x: sp.Dummy() for x in atoms}
                f = sp.lambdify(list(d.values()), a.xreplace(d), "numpy")
                grids = [_grid(*(env.range(x) or (-1, 1))) for x in atoms]
                best = max(abs(float(f(*pt))) for pt in itertools.product(*grids))
                bound = float(s.subs({x: 1 for x in s.free_symbols}))
                assert best <= bound + 1e-12, (name, tb.term.label, a, s)
                assert best >= bound - 1e-12, (name, tb.term.label, a, s, best)


def test_interval_engine_against_dense_sampling():
    z, h, n, r = sp.symbols("z h n r")
    env = Env({z: (0, 1), r: (0, 1), h: (-1, 1), n: (-1, 1)})
    exprs = [z * (1 - z) * (h - n), (1 - z) * n + z * h, r * (1 - r) * h * (1 - n**2),
             (2 * z - 1) ** 2 * h, z**3 - z]
    rng = np.random.default_rng(0)
    pts = {z: rng.uniform(0, 1, 200000), r: rng.uniform(0, 1, 200000),
           h: rng.uniform(-1, 1, 200000), n: rng.uniform(-1, 1, 200000)}
    for e in exprs:
        lo, hi = (float(v) for v in interval(e, env))
        f = sp.lambdify([z, h, n, r], e, "numpy")
        vals = f(pts[z], pts[h], pts[n], pts[r])
        assert lo - 1e-12 <= vals.min() and vals.max() <= hi + 1e-12
        assert vals.min() <= lo + 0.02 and vals.max() >= hi - 0.02   # and it is tight


def test_sup_abs_of_unbounded_parts_uses_named_norms():
    cell = dv.cell("gru", "pytorch")
    env = cell_env(cell)
    W, b, h = cell.symbol("W_hn"), cell.symbol("b_hn"), cell.symbol("h")
    assert sup_abs(MatVec(W, h) + b, env) == norm_symbol(W) + norm_symbol(b)


def _user_mgu():
    cb = dv.CellBuilder("my_mgu")
    x, h = cb.input("x"), cb.state("h")
    W_if, W_hf, W_in, W_hn = cb.weights("W_if W_hf W_in W_hn")
    b_if, b_hf, b_in, b_hn = cb.biases("b_if b_hf b_in b_hn")
    f = cb.let("f", sigmoid(W_if @ x + b_if + W_hf @ h + b_hf), role="forget gate")
    n = cb.let("n", tanh(W_in @ x + b_in + W_hn @ (f * h) + b_hn), role="candidate")
    cb.update(h, (1 - f) * h + f * n)
    cb.carrying(f, 0)
    return cb.build()


def test_a_user_cell_gets_the_same_bounds_as_the_builtin_with_no_extra_code():
    mine = dv.derive(_user_mgu()).bounds
    ref = dv.derive("mgu").bounds
    assert sp.simplify(mine.main.global_upper - ref.main.global_upper) == 0
    kinds = [x.kind for x in mine.all()]
    assert kinds == [x.kind for x in ref.all()]
    assert "saturation" in kinds and "lower" in kinds


def test_elman_gets_the_pascanu_mikolov_bengio_condition_with_gamma_one():
    van = [x for x in dv.derive("elman").bounds.all() if x.kind == "vanishing"]
    assert len(van) == 1
    assert van[0].data["gamma"] == 1 and van[0].expr == n2("W_hh")
    assert "Pascanu" in van[0].name and r"\sigma_{\max}(W_{hh})" in van[0].statement_latex


def test_lstm_identity_gap_and_carry():
    b = dv.derive("lstm").bounds
    cc = b.block("c", "c")
    f = dv.cell("lstm").symbol("f")
    assert cc.carry == f and cc.get("identity gap") is not None
    assert r"\max_i |1 - f_{t}|_i" in cc.get("identity gap").statement_latex
    assert b.main.get("lower") is None   # dh/dh has no diagonal carry


@pytest.mark.parametrize(("name", "conv"), KEYS)
def test_every_bound_has_a_statement_and_proof_in_latex(name, conv):
    b = dv.derive(name, conv).bounds
    assert b.all()
    for x in b.all():
        assert x.statement_latex and x.proof_latex
        assert x.statement_latex.count("{") == x.statement_latex.count("}")
        assert "norm2_" not in x.statement_latex and "MatVec" not in x.statement_latex
    assert r"\paragraph{" in b.latex()


def test_derive_bounds_rejects_non_derivations():
    with pytest.raises(dv.DerivationError, match="needs a Derivation, got str"):
        derive_bounds("gru")


@pytest.mark.parametrize(("name", "conv"), [k for k in KEYS if k[0] not in ("elman", "lstm")])
def test_gated_cells_have_no_weight_norm_vanishing_condition(name, conv):
    # the carry's supremum 1 survives with every weight norm at 0 (by hand: sup z = 1)
    van = [x for x in dv.derive(name, conv).bounds.all() if "vanishing" in x.kind]
    assert [x.kind for x in van] == ["no vanishing condition"]
    assert van[0].data["floor"] == 1

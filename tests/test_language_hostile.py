"""The cell language refuses bad cells where they are written, and every valid name works.

Each hostile case asserts :class:`derivations.DerivationError` (never AttributeError,
TypeError or SympifyError) and that the message names the offending argument or value.
Valid but tricky names (``out``, ``np``, ``I``, ``beta``, ``lambda_``, ...) are checked end to
end against independent references: the brute-force SymPy proof, a hand-written NumPy
forward pass, and complex-step Jacobians.
"""

from __future__ import annotations

import keyword

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import derivations as dv
import numeric
from derivations.proof import MAX_SIZE, instantiate, prove


def _base():
    cb = dv.CellBuilder("t")
    x, h = cb.input("x"), cb.state("h")
    W, U = cb.weight("W"), cb.weight("U")
    b = cb.bias("b")
    return cb, x, h, W, U, b


def _finish(cb, x, h, W, U, b):
    cb.update(h, dv.tanh(W @ x + U @ h + b))
    return cb.build()


# (id, action on a fresh builder, pattern the message must contain)
BUILDER_CASES = [
    ("let-list", lambda cb, x, h, W, U, b: cb.let("f", [1, 2]), r"'f'.*\[1, 2\] \(list\)"),
    ("let-none", lambda cb, x, h, W, U, b: cb.let("f", None), r"'f'.*None"),
    ("let-dict", lambda cb, x, h, W, U, b: cb.let("f", {}), r"'f'.*dict"),
    ("let-bool", lambda cb, x, h, W, U, b: cb.let("f", True), r"'f'.*True"),
    ("let-string", lambda cb, x, h, W, U, b: cb.let("f", "x"), r"'f' is the string 'x'"),
    ("let-string-I", lambda cb, x, h, W, U, b: cb.let("f", "I*h"), r"'f' is the string"),
    ("let-constant", lambda cb, x, h, W, U, b: cb.let("f", 1), r"'f' is the constant 1"),
    ("let-weight", lambda cb, x, h, W, U, b: cb.let("f", W), r"weight 'W' must be applied"),
    ("let-complex", lambda cb, x, h, W, U, b: cb.let("f", 1j * h), r"'f'.*constant .*I"),
    ("let-imaginary", lambda cb, x, h, W, U, b: cb.let("f", sp.I * h), r"'f'.*constant I"),
    ("let-nan", lambda cb, x, h, W, U, b: cb.let("f", float("nan") * h), r"'f'.*nan"),
    ("let-inf", lambda cb, x, h, W, U, b: cb.let("f", sp.oo * h), r"'f'.*oo"),
    ("let-zoo", lambda cb, x, h, W, U, b: cb.let("f", sp.zoo + h), r"'f'.*zoo"),
    ("let-sin", lambda cb, x, h, W, U, b: cb.let("f", sp.sin(h)), r"unknown function .sin.*.f."),
    ("let-abs", lambda cb, x, h, W, U, b: cb.let("f", sp.Abs(h)), r"unknown function 'Abs'"),
    ("let-undefined-fn", lambda cb, x, h, W, U, b: cb.let("f", sp.Function("g")(h)),
     r"unknown function 'g'"),
    ("let-derivative", lambda cb, x, h, W, U, b: cb.let("f", sp.Derivative(h, x)),
     r"'f' contains Derivative"),
    ("let-matrix", lambda cb, x, h, W, U, b: cb.let("f", sp.Matrix([h])), r"'f'.*Matrix"),
    ("let-symbolic-power", lambda cb, x, h, W, U, b: cb.let("f", h ** b),
     r"exponent b in 'f'"),
    ("let-undeclared", lambda cb, x, h, W, U, b: cb.let("f", h + sp.Symbol("q")),
     r"'f' uses 'q'"),
    ("let-bad-role", lambda cb, x, h, W, U, b: cb.let("f", h, role=5), r"role of 'f'.*5"),
    ("let-empty-role", lambda cb, x, h, W, U, b: cb.let("f", h, role=""), r"role of 'f'"),
    ("let-bad-display", lambda cb, x, h, W, U, b: cb.let("f", h, display=5), r"display of 'f'.*5"),
    ("let-latex-display", lambda cb, x, h, W, U, b: cb.let("f", h, display="f_{t}"),
     r"display of 'f' must be a derivations.naming.Name.*'f_\{t\}'.*not parsed"),
    ("state-latex-display", lambda cb, x, h, W, U, b: cb.state("C", display=r"C_{t}"),
     r"display of 'C' must be .*Name\('C'\)"),
    ("let-name-int", lambda cb, x, h, W, U, b: cb.let(5, h), r"symbol name .*5 \(int\)"),
    ("let-name-space", lambda cb, x, h, W, U, b: cb.let("in put", h), r"'in put'"),
    ("let-name-keyword", lambda cb, x, h, W, U, b: cb.let("lambda", h), r"'lambda' is a Python keyword"),
    ("let-name-in", lambda cb, x, h, W, U, b: cb.let("in", h), r"'in' is a Python keyword"),
    ("let-name-empty", lambda cb, x, h, W, U, b: cb.let("", h), r"identifier.*''"),
    ("let-name-underscore", lambda cb, x, h, W, U, b: cb.let("_cse0", h), r"'_cse0' starts with '_'"),
    ("let-name-long", lambda cb, x, h, W, U, b: cb.let("a" * 500, h), r"500 characters"),
    ("let-twice", lambda cb, x, h, W, U, b: (cb.let("f", h), cb.let("f", h)), r"'f' is declared twice"),
    ("update-string", lambda cb, x, h, W, U, b: cb.update(h, "x"), r"'h_next' is the string 'x'"),
    ("update-none", lambda cb, x, h, W, U, b: cb.update(h, None), r"'h_next'.*None"),
    ("update-constant", lambda cb, x, h, W, U, b: cb.update(h, 0), r"update of 'h' is the constant"),
    ("update-input", lambda cb, x, h, W, U, b: cb.update(x, h), r"x is not a state of cell 't'"),
    ("update-string-state", lambda cb, x, h, W, U, b: cb.update("h", h), r"'h' is not a state"),
    ("update-array-state", lambda cb, x, h, W, U, b: cb.update(np.zeros(2), h), r"not a state"),
    ("update-weight-state", lambda cb, x, h, W, U, b: cb.update(W, h), r"Weight\(W\) is not a state"),
    ("update-twice", lambda cb, x, h, W, U, b: (cb.update(h, h), cb.update(h, h)), r"'h'.*updated twice"),
    ("update-wrong-dim", lambda cb, x, h, W, U, b: cb.update(h, x), r"update of 'h' has dimension I"),
    ("update-bad-role", lambda cb, x, h, W, U, b: cb.update(h, h, role=[]), r"role of the update of 'h'"),
    ("update-bad-display", lambda cb, x, h, W, U, b: cb.update(h, h, display=3), r"display of 'h_next'"),
    ("next-name-taken", lambda cb, x, h, W, U, b: (cb.let("h_next", h), cb.update(h, h)),
     r"next state of 'h' is named 'h_next'.*already declares"),
    ("matmul-string", lambda cb, x, h, W, U, b: W @ "x", r"W @ 'x'"),
    ("matmul-number", lambda cb, x, h, W, U, b: W @ 3, r"W @ 3"),
    ("matmul-constant", lambda cb, x, h, W, U, b: W @ sp.Integer(2), r"W @ 2"),
    ("matmul-weight", lambda cb, x, h, W, U, b: W @ U, r"W @ U"),
    ("matmul-array", lambda cb, x, h, W, U, b: W @ np.ones(2), r"W @ array"),
    ("weight-plus", lambda cb, x, h, W, U, b: W + h, r"weight 'W' must be applied"),
    ("weight-times", lambda cb, x, h, W, U, b: h * W, r"weight 'W' must be applied"),
    ("weight-in-sigmoid", lambda cb, x, h, W, U, b: dv.sigmoid(W), r"weight 'W' must be applied"),
    ("weight-in-tanh", lambda cb, x, h, W, U, b: dv.tanh(W), r"weight 'W' must be applied"),
    ("weight-matmul-mismatch", lambda cb, x, h, W, U, b: (cb.let("f", W @ x), cb.let("g", W @ h)),
     r"W has I columns but is applied to h of dimension H"),
    ("weight-rows-int", lambda cb, x, h, W, U, b: cb.weight("V", rows=5), r"rows of weight 'V'.*5"),
    ("weight-rows-space", lambda cb, x, h, W, U, b: cb.weight("V", rows="K K"), r"rows of weight 'V'.*'K K'"),
    ("weight-rows-keyword", lambda cb, x, h, W, U, b: cb.weight("V", rows="for"), r"'for' is a Python keyword"),
    ("input-dim-int", lambda cb, x, h, W, U, b: cb.input("y", dim=3), r"dim of input 'y'.*3"),
    ("input-dim-space", lambda cb, x, h, W, U, b: cb.input("y", dim="in put"), r"dim of input 'y'.*'in put'"),
    ("input-dim-underscore", lambda cb, x, h, W, U, b: cb.input("y", dim="_d"), r"'_d' starts with '_'"),
    ("input-name-none", lambda cb, x, h, W, U, b: cb.input(None), r"symbol name .*None"),
    ("state-name-list", lambda cb, x, h, W, U, b: cb.state(["c"]), r"symbol name .*\['c'\]"),
    ("bias-name-keyword", lambda cb, x, h, W, U, b: cb.bias("class"), r"'class' is a Python keyword"),
    ("weights-int", lambda cb, x, h, W, U, b: cb.weights(5), r"weights must be .*5"),
    ("weights-empty", lambda cb, x, h, W, U, b: cb.weights("  "), r"weights names nothing"),
    ("weights-bad-item", lambda cb, x, h, W, U, b: cb.weights(["A", 3]), r"symbol name .*3"),
    ("biases-none", lambda cb, x, h, W, U, b: cb.biases(None), r"biases must be .*None"),
    ("layout-int", lambda cb, x, h, W, U, b: cb.layout(weight_ih=5), r"layout 'weight_ih' .*5"),
    ("layout-bad-name", lambda cb, x, h, W, U, b: cb.layout(weight_ih=["W", 3]), r"layout 'weight_ih'.*3"),
    ("layout-unknown", lambda cb, x, h, W, U, b: (cb.layout(weight_ih="W Z"), _finish(cb, x, h, W, U, b)),
     r"layout 'weight_ih' names unknown parameters \['Z'\]"),
    ("layout-mixed", lambda cb, x, h, W, U, b: (cb.layout(weight_hh="U b"), _finish(cb, x, h, W, U, b)),
     r"layout 'weight_hh'.*mixes weights and biases"),
    ("layout-shapes", lambda cb, x, h, W, U, b: (cb.layout(weight_hh="W U"), _finish(cb, x, h, W, U, b)),
     r"layout 'weight_hh'.*different shapes: W \('H', 'I'\), U \('H', 'H'\)"),
    ("layout-twice", lambda cb, x, h, W, U, b: (cb.layout(weight_hh="U U"), _finish(cb, x, h, W, U, b)),
     r"parameter 'U' appears twice"),
    ("layout-two-entries", lambda cb, x, h, W, U, b: (cb.layout(a="U", c="U"), _finish(cb, x, h, W, U, b)),
     r"parameter 'U' appears in layout 'a' and in layout 'c'"),
    ("layout-key-is-symbol", lambda cb, x, h, W, U, b: (cb.layout(W="W"), _finish(cb, x, h, W, U, b)),
     r"layout 'W'.*also a symbol"),
    ("attribute-carrying", lambda cb, x, h, W, U, b: cb.attributes(carrying=5),
     r"attribute 'carrying'.*5.*call cb.carrying\(gate, towards\)"),
    ("attribute-carrying-text", lambda cb, x, h, W, U, b: cb.attributes(carrying="h to 1"),
     r"attribute 'carrying'.*'h to 1'.*call cb.carrying\(gate, towards\)"),
    ("carrying-unknown-gate", lambda cb, x, h, W, U, b: cb.carrying(sp.Symbol("z"), 1),
     r"carrying gate must be a quantity of the cell.*'z'"),
    ("carrying-state", lambda cb, x, h, W, U, b: cb.carrying(h, 1),
     r"carrying gate must be a quantity of the cell.*'h'"),
    ("carrying-towards", lambda cb, x, h, W, U, b: (cb.let("g", dv.sigmoid(U @ h)),
                                                     cb.carrying(sp.Symbol("g"), -1)),
     r"carrying towards must be 0 or 1.*-1"),
    ("unused-weight", lambda cb, x, h, W, U, b: (cb.update(h, dv.tanh(U @ h)), cb.build()),
     r"weights \['W'\] are never applied"),
    ("never-updated", lambda cb, x, h, W, U, b: cb.build(), r"state \['h'\] is never updated"),
    ("weight-outside-matmul", lambda cb, x, h, W, U, b: cb.let("f", W.symbol * h),
     r"weight 'W' in 'f' must be applied with @"),
]


@pytest.mark.parametrize(("action", "pattern"), [c[1:] for c in BUILDER_CASES],
                         ids=[c[0] for c in BUILDER_CASES])
def test_bad_cell_definition_is_refused_by_name(action, pattern):
    parts = _base()
    with pytest.raises(dv.DerivationError, match=pattern):
        action(*parts)


CONSTRUCTOR_CASES = [
    ("name-none", dict(name=None), r"cell name must be a string, got None"),
    ("name-space", dict(name="my cell"), r"cell name .*'my cell'"),
    ("name-keyword", dict(name="class"), r"'class' is a Python keyword"),
    ("name-empty", dict(name=""), r"cell name .*''"),
    ("convention-int", dict(name="c", convention=5), r"convention must be .*5"),
    ("convention-empty", dict(name="c", convention=""), r"convention must be a non-empty"),
    ("reference-int", dict(name="c", reference=5), r"reference must be a string"),
    ("description-list", dict(name="c", description=[]), r"description must be a string"),
    ("hidden-int", dict(name="c", hidden=5), r"hidden dimension name must be a string"),
    ("hidden-space", dict(name="c", hidden="H H"), r"hidden dimension name .*'H H'"),
]


@pytest.mark.parametrize(("kwargs", "pattern"), [c[1:] for c in CONSTRUCTOR_CASES],
                         ids=[c[0] for c in CONSTRUCTOR_CASES])
def test_bad_builder_arguments_are_refused_by_name(kwargs, pattern):
    with pytest.raises(dv.DerivationError, match=pattern):
        dv.CellBuilder(**kwargs)


@pytest.mark.parametrize(("args", "pattern"), [
    ((5,), r"unknown cell 5"),
    ((None,), r"unknown cell None"),
    (([],), r"unknown cell \[\]"),
    (("grux",), r"unknown cell 'grux'"),
    (("gru", 5), r"unknown convention 5 for cell 'gru'"),
    (("gru", []), r"unknown convention \[\] for cell 'gru'"),
    (("gru", "keras"), r"unknown convention 'keras'"),
    (("elman", "pytorch"), r"unknown convention 'pytorch' for cell 'elman'"),
])
@pytest.mark.parametrize("fn", [dv.cell, dv.derive], ids=["cell", "derive"])
def test_unknown_cells_and_conventions_are_refused(fn, args, pattern):
    with pytest.raises(dv.DerivationError, match=pattern):
        fn(*args)


def test_a_builder_instead_of_its_cell_is_refused_with_the_fix():
    cb = dv.CellBuilder("c")
    with pytest.raises(dv.DerivationError, match=r"cb\.build\(\)"):
        dv.derive(cb)
    with pytest.raises(dv.DerivationError, match=r"cb\.build\(\)"):
        prove(cb, 2)


@pytest.mark.parametrize("n", [0, -1, 2.5, "3", True, None, 10**6, MAX_SIZE + 1,
                               np.float64(2.0), [2]])
def test_prove_refuses_bad_sizes_before_any_work(n):
    with pytest.raises(dv.DerivationError, match=rf"n must be an integer from 1 to {MAX_SIZE}"):
        prove(dv.cell("elman"), n)


@pytest.mark.parametrize(("m", "sizes", "pattern"), [
    (0, None, r"m must be an integer from 1"),
    ("2", None, r"m must be an integer from 1"),
    (MAX_SIZE + 1, None, r"m must be an integer from 1"),
    (None, {"Z": 2}, r"sizes names \['Z'\].*dimensions: \['H', 'I'\]"),
    (None, [("I", 2)], r"sizes must be a dict"),
    (None, {"I": 0}, r"sizes\['I'\] must be an integer from 1"),
    (None, {"H": 3}, r"sizes\['H'\] = 3 contradicts n = 2"),
    (1, {"I": 3}, r"sizes\['I'\] = 3 contradicts m = 1"),
])
def test_prove_refuses_bad_input_and_extra_sizes(m, sizes, pattern):
    with pytest.raises(dv.DerivationError, match=pattern):
        prove(dv.cell("gru"), 2, m, sizes=sizes)


def test_prove_refuses_an_input_size_for_a_cell_read_in_the_state_dimension():
    cb = dv.CellBuilder("tied")
    x, h = cb.input("x", dim="H"), cb.state("h")
    cb.update(h, dv.tanh(cb.weight("U") @ h + x))
    cell = cb.build()
    assert prove(cell, 2).ok and prove(cell, 2, 2).ok
    with pytest.raises(dv.DerivationError, match=r"m must be n = 2 or None, got 3"):
        prove(cell, 2, 3)


# -- valid names that would trip a naive code generator work end to end -------------------

def tricky_cell():
    """A gated cell whose every name is something a generator or SymPy also uses."""
    cb = dv.CellBuilder("np")
    out, np_ = cb.input("out"), cb.state("np")
    I_, E_, lam, S_ = cb.weights("I E lambda_ S")
    a0, o0 = cb.biases("a0 o0")
    beta = cb.let("beta", dv.sigmoid(I_ @ out + E_ @ np_ + a0), role="gate")
    x0 = cb.let("x0", dv.tanh(lam @ out + S_ @ (beta * np_) + o0), role="candidate")
    cb.update(np_, beta * np_ + (1 - beta) * x0)
    cb.carrying(beta, 1)
    return cb.build()


def _tricky_reference(p, x, h):
    """The tricky cell's next state, written out with NumPy (an independent forward pass)."""
    a = p.arrays

    def sig(u):
        return 1 / (1 + np.exp(-u))

    beta = sig(x @ a["I"].T + h @ a["E"].T + a["a0"])
    x0 = np.tanh(x @ a["lambda_"].T + (beta * h) @ a["S"].T + a["o0"])
    return beta * h + (1 - beta) * x0


def test_names_that_clash_with_generated_code_are_proven():
    cell = tricky_cell()
    for n in (1, 2, 3):
        assert prove(cell, n).ok
        assert prove(cell, n, 1).ok


def test_names_that_clash_with_generated_code_work_numerically():
    cell = tricky_cell()
    p = numeric.init(cell, 4, 3, seed=2, scale=1.5)
    rng = np.random.default_rng(0)
    x, h = rng.normal(size=(5, 3)), rng.uniform(-0.9, 0.9, size=(5, 4))
    np.testing.assert_allclose(numeric.step(p, x, h), _tricky_reference(p, x, h),
                               rtol=1e-12, atol=1e-14)
    res = numeric.check_jacobian(p, x, h)
    assert res.max_rel_complex_step <= 1e-10, res
    parts = numeric.paths(p, x, h)
    np.testing.assert_allclose(sum(parts.values()), numeric.jacobian(p, x, h), atol=1e-13)
    assert numeric.check_bounds(p, x, h).ok.all()
    assert numeric.init(cell, 4, 3, scheme="chrono", t_max=20).arrays["a0"].shape == (4,)
    assert "np" in dv.derive(cell).latex()


def test_proof_entries_never_collide_between_symbols():
    # a vector named W_0 next to a matrix W: entry names 'W_0_1' would have coincided;
    # the state's entries then aliased the weight's and the brute force differentiated both
    cb = dv.CellBuilder("alias")
    x, s = cb.input("x"), cb.state("W_0")
    W, U = cb.weight("W"), cb.weight("U")
    cb.update(s, dv.tanh(W @ x + U @ s))
    cell = cb.build()
    assert all(prove(cell, n).ok for n in (2, 3))
    inst = instantiate(cell, 2)
    entries = [str(e) for s_ in (*cell.inputs, *cell.states, *cell.weights)
               for e in inst.values[s_]]
    assert len(entries) == len(set(entries))


# -- fuzz: whatever the user passes, the builder answers with DerivationError or works -------

_junk = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.complex_numbers(),
                  st.text(max_size=12), st.binary(max_size=4),
                  st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=2),
                                                                       st.integers(), max_size=2))


@given(name=_junk)
def test_any_name_is_either_valid_or_refused_by_name(name):
    cb, x, h, W, U, b = _base()
    ok = (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)
          and not name.startswith("_") and name not in {"x", "h", "W", "U", "b"})
    if ok:
        assert cb.let(name, h).name == name
        return
    with pytest.raises(dv.DerivationError, match="symbol name"):
        cb.let(name, h)


@given(expr=_junk)
def test_any_non_expression_is_refused_with_derivation_error(expr):
    cb, x, h, W, U, b = _base()
    with pytest.raises(dv.DerivationError, match="'f'"):
        cb.let("f", expr)


@given(dim=_junk, role=_junk, display=_junk)
def test_any_bad_option_is_refused_with_derivation_error(dim, role, display):
    cb, x, h, W, U, b = _base()
    calls = [(lambda: cb.input("y", dim=dim), "dim of input 'y'"),
             (lambda: cb.weight("V", rows=dim), "rows of weight 'V'"),
             (lambda: cb.let("f", h, role=role), "role of 'f'"),
             (lambda: cb.let("g", h, display=display), "display of 'g'"),
             (lambda: cb.layout(weight_hh=dim), "layout 'weight_hh'"),
             (lambda: cb.attributes(gate_order=role), "attribute 'gate_order'")]
    for call, named in calls:
        try:
            call()
        except dv.DerivationError as exc:
            assert named in str(exc) or "symbol name" in str(exc) or "a parameter name" in str(exc)

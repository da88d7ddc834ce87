"""The generated buffer-reusing kernels (numeric._codegen) against independent evaluation.

Reference: the same SymPy expressions evaluated by ``sympy.lambdify`` with textbook NumPy
formulas for the activations (``1/(1+exp(-u))``, ``1/cosh(u)**2``), which allocate fresh
arrays and share no code with the kernel. Random expression trees come from hypothesis.
"""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from sympy.codegen.cfunctions import expm1, log1p

import derivations as dv
from numeric._activations import sigmoid_pair_into
from numeric._codegen import Kernel, Let, MatMul, Sech2, SigmoidC, SigmoidPair

A, B_, C = sp.symbols("a b c")  # (H, B) vectors
BIAS = sp.Symbol("beta")  # (H, 1) column
INPUTS = {"a": ("H", False), "b": ("H", False), "c": ("H", False), "beta": ("H", True)}
REF = [{"sigmoid": lambda u: 1 / (1 + np.exp(-u)), "SigmoidC": lambda u: 1 / (1 + np.exp(u)),
        "Sech2": lambda u: 1 / np.cosh(u) ** 2, "tanh": np.tanh}, "numpy"]


def _exprs():
    leaves = st.sampled_from([A, B_, C, BIAS, sp.Integer(1), sp.Integer(2), sp.Rational(1, 2)])

    def extend(children):
        un = st.sampled_from([dv.sigmoid, sp.tanh, SigmoidC, Sech2, lambda e: -e,
                              lambda e: e**2, lambda e: 1 - e, lambda e: e**3])
        return st.one_of(
            st.builds(lambda f, e: f(e), un, children),
            st.builds(lambda e, f: e + f, children, children),
            st.builds(lambda e, f: e - f, children, children),
            st.builds(lambda e, f: e * f, children, children),
            st.builds(lambda e: e / (2 + sp.tanh(e) ** 2), children),
        )
    return st.recursive(leaves, extend, max_leaves=12)


def _data(H=3, Bn=4, seed=0):
    rng = np.random.default_rng(seed)
    vals = {n: rng.uniform(-2, 2, size=(H, Bn)) for n in "abc"}
    vals["beta"] = rng.uniform(-2, 2, size=(H, 1))
    return vals


@given(st.lists(_exprs(), min_size=1, max_size=4), st.integers(0, 2**16))
def test_random_expressions_match_lambdify(exprs, seed):
    lets = [Let(f"y{k}", e) for k, e in enumerate(exprs)]
    k = Kernel(lets, INPUTS, tuple(x.name for x in lets))
    vals = _data(seed=seed)
    before = {n: v.copy() for n, v in vals.items()}
    outs = [np.full((3, 4), np.nan) for _ in lets]
    k(vals, outs, k.workspace({"H": 3}, 4, np.float64), {"H": 3})
    for n in vals:  # inputs are never written
        assert np.array_equal(vals[n], before[n])
    f = sp.lambdify([A, B_, C, BIAS], exprs, modules=REF)
    for got, e, want in zip(outs, exprs, f(*(before[n] for n in ("a", "b", "c", "beta"))),
                            strict=True):
        want = np.broadcast_to(np.asarray(want, dtype=float), (3, 4))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=str(e))


def test_constant_subexpressions_fold_through_every_function():
    """cse may name a constant (1/(2 + tanh(1)^2)); functions of it fold to numbers."""
    c = 1 / (sp.tanh(1) ** 2 + 2)
    exprs = [c, Sech2(c), SigmoidC(c) * A, dv.sigmoid(c) + sp.tanh(c)]
    k = Kernel([Let(f"y{i}", e) for i, e in enumerate(exprs)], INPUTS,
               tuple(f"y{i}" for i in range(4)))
    v = _data()
    outs = [np.empty((3, 4)) for _ in exprs]
    k(v, outs, k.workspace({"H": 3}, 4, np.float64), {"H": 3})
    cf = 1 / (np.tanh(1) ** 2 + 2)
    want = [cf, 1 / np.cosh(cf) ** 2, v["a"] / (1 + np.exp(cf)),
            1 / (1 + np.exp(-cf)) + np.tanh(cf)]
    for o, w in zip(outs, want, strict=True):
        np.testing.assert_allclose(o, np.broadcast_to(w, (3, 4)), rtol=1e-14)


def test_later_steps_read_earlier_ones_and_outputs_are_distinct():
    """A chain whose intermediate is both an output and an operand; equal outputs."""
    q, r = sp.symbols("q r")
    steps = [Let("q", A * B_ + BIAS), Let("r", sp.tanh(q) * q), Let("s", q)]
    k = Kernel(steps, INPUTS, ("q", "r", "s", "q"))
    v = _data()
    outs = [np.empty((3, 4)) for _ in range(4)]
    k(v, outs, k.workspace({"H": 3}, 4, np.float64), {"H": 3})
    q_ref = v["a"] * v["b"] + v["beta"]
    for o, want in zip(outs, [q_ref, np.tanh(q_ref) * q_ref, q_ref, q_ref], strict=True):
        np.testing.assert_allclose(o, want, rtol=1e-15)
    assert len({o.ctypes.data for o in outs}) == 4


def test_matmul_stack_and_sigmoid_pair():
    """Stacked GEMM outputs sliced per weight, and sigma with its accurate complement."""
    rng = np.random.default_rng(1)
    H, I, Bn = 3, 2, 5
    W = rng.normal(size=(2 * H, I))
    x = rng.normal(size=(I, Bn)) * 30  # saturating pre-activations
    u, w = sp.symbols("u w")
    steps = [MatMul((("u", "H"), ("w", "H")), ("W",), sp.Symbol("x"), "I"),
             Let("p", u + BIAS), SigmoidPair("s", "sc", "p"), Let("y", sp.Symbol("sc") * w)]
    k = Kernel(steps, {"x": ("I", False), "beta": ("H", True)}, ("s", "sc", "y"))
    beta = rng.normal(size=(H, 1))
    outs = [np.empty((H, Bn)) for _ in range(3)]
    sizes = {"H": H, "I": I}
    k({"x": x, "beta": beta}, outs, k.workspace(sizes, Bn, np.float64), sizes, [W])
    pre = W[:H] @ x + beta
    s_ref = np.where(pre >= 0, 1 / (1 + np.exp(-np.abs(pre))),
                     np.exp(-np.abs(pre)) / (1 + np.exp(-np.abs(pre))))
    sc_ref = np.where(pre < 0, 1 / (1 + np.exp(-np.abs(pre))),
                      np.exp(-np.abs(pre)) / (1 + np.exp(-np.abs(pre))))
    np.testing.assert_allclose(outs[0], s_ref, rtol=1e-14)
    np.testing.assert_allclose(outs[1], sc_ref, rtol=1e-14)  # relative, also near 0
    np.testing.assert_allclose(outs[2], sc_ref * (W[H:] @ x), rtol=1e-14)


def test_dead_steps_are_not_evaluated():
    steps = [Let("q", sp.tanh(A)), Let("r", dv.sigmoid(B_))]
    k = Kernel(steps, INPUTS, ("r",))
    assert "tanh" not in k.source and "_sigmoid(" in k.source


@pytest.mark.parametrize("fn", [sp.Function("mystery"), sp.gamma, sp.Abs])
def test_unknown_function_is_a_clear_error(fn):
    """Neither a registered activation nor an analytic elementary function: refused by name
    (Abs too: complex step through it would be wrong)."""
    from numeric import NumericError
    with pytest.raises(NumericError, match=rf"cannot evaluate {fn.__name__}\(a\).*registered "
                                           "activation"):
        Kernel([Let("q", fn(A))], INPUTS, ("q",))


@pytest.mark.parametrize("fn", [sp.exp, sp.log, sp.sin, sp.cos, sp.sinh, sp.cosh, expm1, log1p])
def test_elementary_functions_match_numpy(fn):
    """Elementary functions an activation's derivative may use, against NumPy directly,
    on arrays, on a bias column, and folded on a constant."""
    exprs = [fn(A * A + 1), fn(BIAS * BIAS + 1) * B_, fn(sp.Rational(1, 3)) * C]
    k = Kernel([Let(f"y{i}", e) for i, e in enumerate(exprs)], INPUTS,
               tuple(f"y{i}" for i in range(3)))
    v = _data()
    outs = [np.empty((3, 4)) for _ in exprs]
    k(v, outs, k.workspace({"H": 3}, 4, np.float64), {"H": 3})
    f = getattr(np, fn.__name__)
    want = [f(v["a"] ** 2 + 1), f(v["beta"] ** 2 + 1) * v["b"], f(1 / 3) * v["c"]]
    for o, w in zip(outs, want, strict=True):
        np.testing.assert_allclose(o, w, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pair_saturates_exactly(dtype):
    """sigma(-40) = e^-40/(1+e^-40) relatively accurate; |u| = 1e4 exact 0 and 1, no FP flags."""
    u = np.array([-1e4, -40.0, 0.0, 40.0, 1e4], dtype=dtype)
    q, c = np.empty_like(u), np.empty_like(u)
    with np.errstate(all="raise"):
        sigmoid_pair_into(u, q, c)
    tail = 4.2483542552915889e-18          # e^-40 / (1 + e^-40) by mpmath, 30 digits
    rtol = 8 * np.finfo(dtype).eps         # exp within 4 ulp on every SIMD kernel, + roundings
    np.testing.assert_allclose(q, [0.0, tail, 0.5, 1 - tail, 1.0], rtol=rtol, atol=0)
    np.testing.assert_allclose(c, [1.0, 1 - tail, 0.5, tail, 0.0], rtol=rtol, atol=0)


def test_user_cell_and_its_compiled_program_are_freed_together():
    """The derivation and the compiled program are kept on the cell, not in a module-level
    cache: once the user drops the cell (and its parameters), all of it is collected."""
    import gc
    import weakref

    import numeric
    from numeric._compile import program
    from tests._user_cells import gated_indrnn

    cell = gated_indrnn("gated_indrnn_gc")
    p = numeric.init(cell, hidden_size=3, input_size=2, seed=0)
    J = numeric.jacobian(p, np.ones((2, 2)), np.zeros((2, 3)))
    assert program(cell) is program(cell) and dv.derive(cell) is dv.derive(cell)
    refs = [weakref.ref(o) for o in (cell, program(cell), dv.derive(cell))]
    del cell, p
    gc.collect()
    assert [r() for r in refs] == [None, None, None]
    assert J.shape == (2, 3, 3)

"""Parameter creation refuses bad knobs, arrays and sizes by name, before any allocation;
cells with dimensions of their own (``rows="K"``, ``dim="E"``) work end to end.

Hostile cases assert :class:`numeric.NumericError` and that the message names the argument
or array (and its value or shape). The positive cases compare against independent
references: a forward pass written out with NumPy, complex-step Jacobians
(``numeric.check_jacobian``) and the brute-force SymPy proof (``derivations.proof.prove``).
"""

from __future__ import annotations

import numpy as np
import pytest

import derivations as dv
import numeric
from derivations.proof import prove

NaN, Inf = float("nan"), float("inf")

INIT_CASES = [
    ("hidden-0", dict(hidden_size=0), r"hidden_size must be an integer >= 1, got 0"),
    ("hidden-neg", dict(hidden_size=-1), r"hidden_size .* got -1"),
    ("hidden-float", dict(hidden_size=2.5), r"hidden_size .* got 2\.5 \(float\)"),
    ("hidden-str", dict(hidden_size="8"), r"hidden_size .* got '8' \(str\)"),
    ("hidden-bool", dict(hidden_size=True), r"hidden_size .* got True \(bool\)"),
    ("hidden-none", dict(hidden_size=None), r"hidden_size .* got None"),
    ("input-0", dict(input_size=0), r"input_size must be an integer >= 1, got 0"),
    ("input-float", dict(input_size=2.0), r"input_size .* got 2\.0"),
    ("input-str", dict(input_size="8"), r"input_size .* got '8'"),
    ("input-bool", dict(input_size=False), r"input_size .* got False"),
    ("input-none", dict(input_size=None), r"input_size .* got None"),
    ("seed-str", dict(seed="x"), r"seed must be a non-negative integer, got 'x'"),
    ("seed-neg", dict(seed=-1), r"seed .* got -1"),
    ("seed-float", dict(seed=1.5), r"seed .* got 1\.5"),
    ("seed-none", dict(seed=None), r"seed .* got None"),
    ("seed-bool", dict(seed=True), r"seed .* got True"),
    ("scale-str", dict(scale="2"), r"scale must be a finite real number, got '2'"),
    ("scale-nan", dict(scale=NaN), r"scale .* got nan"),
    ("scale-inf", dict(scale=Inf), r"scale .* got inf"),
    ("scale-none", dict(scale=None), r"scale .* got None"),
    ("scale-complex", dict(scale=1j), r"scale .* got 1j"),
    ("tmax-str", dict(scheme="chrono", t_max="100"), r"t_max must be a finite real number, got '100'"),
    ("tmax-nan", dict(scheme="chrono", t_max=NaN), r"t_max .* got nan"),
    ("tmax-2", dict(scheme="chrono", t_max=2), r"needs a finite t_max > 2, got t_max=2"),
    ("tmax-none", dict(scheme="chrono", t_max=None), r"needs a finite t_max > 2, got t_max=None"),
    ("tmax-low-any-scheme", dict(t_max=1.5), r"needs a finite t_max > 2, got t_max=1\.5"),
    ("tmax-str-any-scheme", dict(t_max="9"), r"t_max must be a finite real number, got '9'"),
    ("dtype-nonsense", dict(dtype="nonsense"), r"dtype must be float32 or float64, got 'nonsense'"),
    ("dtype-int32", dict(dtype=np.int32), r"dtype must be float32 or float64, got .*int32"),
    ("dtype-float16", dict(dtype=np.float16), r"dtype must be float32 or float64, got .*float16"),
    ("dtype-complex", dict(dtype=complex), r"dtype must be float32 or float64"),
    ("scheme-int", dict(scheme=5), r"unknown scheme 5"),
    ("scheme-xavier", dict(scheme="xavier"), r"unknown scheme 'xavier'"),
    ("scheme-list", dict(scheme=[]), r"unknown scheme \[\]"),
    ("convention-bad", dict(convention="keras"), r"unknown convention 'keras' for cell 'gru'"),
    ("convention-int", dict(convention=5), r"unknown convention 5"),
    ("sizes-list", dict(sizes=[("H", 2)]), r"sizes must be a dict"),
    ("sizes-unknown", dict(sizes={"K": 2}), r"sizes names dimension 'K'.*\['H', 'I'\]"),
    ("sizes-hidden", dict(sizes={"H": 2}), r"sizes\['H'\]: H is given by hidden_size"),
    ("sizes-input", dict(sizes={"I": 2}), r"sizes\['I'\]: I is given by input_size"),
    ("memory", dict(hidden_size=10**6), r"init\('gru \(pytorch\)', hidden_size=1000000.*needs "
                                          r"[\d.e+]+ GiB, more than .*smaller hidden_size"),
]


@pytest.mark.parametrize(("kwargs", "pattern"), [c[1:] for c in INIT_CASES],
                         ids=[c[0] for c in INIT_CASES])
def test_init_refuses_bad_knobs_by_name(kwargs, pattern):
    args = {"hidden_size": 3, "input_size": 2, **kwargs}
    with pytest.raises(numeric.NumericError, match=pattern):
        numeric.init("gru", **args)


@pytest.mark.parametrize("cell", [5, None, [], "grux"])
def test_init_refuses_unknown_cells(cell):
    with pytest.raises(numeric.NumericError, match=r"unknown cell"):
        numeric.init(cell, 3, 2)


def test_init_accepts_numpy_integers_and_large_seeds():
    p = numeric.init("gru", np.int64(3), np.int32(2), seed=np.uint64(2**40), scale=np.float32(2))
    q = numeric.init("gru", 3, 2, seed=2**40, scale=2.0)
    assert (p.hidden_size, p.input_size) == (3, 2)
    for k in p.arrays:
        np.testing.assert_array_equal(p.arrays[k], q.arrays[k])


# -- Params / from_arrays / with_arrays / astype -------------------------------------------

def _elman_arrays(H=3, I_=2):
    rng = np.random.default_rng(0)
    return {"W_ih": rng.normal(size=(H, I_)), "W_hh": rng.normal(size=(H, H)),
            "b_ih": rng.normal(size=H), "b_hh": rng.normal(size=H)}


PARAMS_CASES = [
    ("none", {"W_hh": None}, r"parameter 'W_hh' is None; expected an array of shape \(H, H\)"),
    ("string", {"W_hh": "abc"}, r"parameter 'W_hh'.*'abc'"),
    ("ragged", {"W_hh": [[1.0, 2.0], [3.0]]}, r"parameter 'W_hh' is not array-like"),
    ("object", {"W_hh": object()}, r"parameter 'W_hh'"),
    ("int", {"W_hh": np.eye(3, dtype=int)}, r"parameter 'W_hh' has dtype int64"),
    ("complex", {"W_hh": np.eye(3) * 1j}, r"parameter 'W_hh' has complex dtype"),
    ("nan", {"W_hh": np.full((3, 3), NaN)}, r"parameter 'W_hh' \(shape \(3, 3\)\) has 9 non-finite"),
    ("scalar", {"W_hh": np.float64(1.0)}, r"weight 'W_hh' has shape \(\); expected a matrix of shape \(H, H\)"),
    ("3d", {"W_hh": np.zeros((3, 3, 1))}, r"weight 'W_hh' has shape \(3, 3, 1\)"),
    ("vector", {"W_hh": np.zeros(3)}, r"weight 'W_hh' has shape \(3,\)"),
    ("0x0", {"W_hh": np.zeros((0, 0))}, r"'W_hh' has shape \(0, 0\): dimension H must be at least 1"),
    ("6x0", {"W_ih": np.zeros((6, 0))}, r"'W_ih' has shape \(6, 0\): dimension I must be at least 1"),
    ("bias-2d", {"b_hh": np.zeros((3, 1))}, r"bias 'b_hh' has shape \(3, 1\); expected \(H,\)"),
    ("bias-empty", {"b_ih": np.zeros(0)}, r"'b_ih' has shape \(0,\): dimension H must be at least 1"),
    ("conflict", {"W_hh": np.zeros((4, 4))}, r"'W_hh' has shape \(4, 4\), so H = 4, but 'W_ih' already fixed H = 3"),
]


@pytest.mark.parametrize(("change", "pattern"), [c[1:] for c in PARAMS_CASES],
                         ids=[c[0] for c in PARAMS_CASES])
def test_params_refuses_bad_arrays_by_name_and_shape(change, pattern):
    with pytest.raises(numeric.NumericError, match=pattern):
        numeric.Params("elman", {**_elman_arrays(), **change})
    p = numeric.Params("elman", _elman_arrays())
    with pytest.raises(numeric.NumericError, match=pattern):
        p.with_arrays(**change)


@pytest.mark.parametrize(("args", "kwargs", "pattern"), [
    (("elman", [1, 2]), {}, r"arrays must be a dict .* got list"),
    (("elman", None), {}, r"arrays must be a dict .* got NoneType"),
    (("elman", {"W_ih": np.zeros((3, 2))}), {}, r"missing \['W_hh', 'b_ih', 'b_hh'\]"),
    (("elman", {**_elman_arrays(), "W_zz": np.eye(3)}), {}, r"unknown \['W_zz'\]"),
    (("elman", _elman_arrays()), {"dtype": "nonsense"}, r"dtype must be float32 or float64, got 'nonsense'"),
    (("elman", _elman_arrays()), {"dtype": np.int8}, r"dtype must be float32 or float64"),
    (("elman", _elman_arrays()), {"sizes": {"K": 2}}, r"sizes names dimension 'K'"),
    (("elman", _elman_arrays()), {"sizes": {"H": 4}}, r"sizes\['H'\] = 4, so H = 4, but 'W_ih' already fixed H = 3"),
    ((None, {}), {}, r"unknown cell None"),
])
def test_params_refuses_bad_arguments(args, kwargs, pattern):
    with pytest.raises(numeric.NumericError, match=pattern):
        numeric.Params(*args, **kwargs)


@pytest.mark.parametrize("dtype", ["nonsense", np.int32, np.float16, complex, [1]])
def test_astype_refuses_non_float_dtypes(dtype):
    p = numeric.Params("elman", _elman_arrays())
    with pytest.raises(numeric.NumericError, match=r"dtype must be float32 or float64"):
        p.astype(dtype)


def test_with_arrays_refuses_unknown_names():
    p = numeric.Params("elman", _elman_arrays())
    with pytest.raises(numeric.NumericError, match=r"no parameters \['W_zz'\]"):
        p.with_arrays(W_zz=np.eye(3))


FROM_ARRAYS_CASES = [
    ("0x0", dict(weight_ih=np.zeros((0, 0)), weight_hh=np.zeros((0, 0))),
     r"weight_ih has shape \(0, 0\); expected \(G\*H, I\) with G = 3 gates \(W_ir, W_iz, W_in\)"),
    ("6x0", dict(weight_ih=np.zeros((6, 2)), weight_hh=np.zeros((6, 0))),
     r"weight_hh has shape \(6, 0\); expected \(G\*H, H\) with G = 3"),
    ("3d", dict(weight_ih=np.zeros((6, 2)), weight_hh=np.zeros((6, 2, 1))),
     r"weight_hh has shape \(6, 2, 1\)"),
    ("scalar", dict(weight_ih=np.zeros((6, 2)), weight_hh=np.float64(3)), r"weight_hh has shape \(\)"),
    ("not-divisible", dict(weight_ih=np.zeros((7, 2)), weight_hh=np.zeros((6, 2))),
     r"weight_ih has shape \(7, 2\); expected \(G\*H, I\) with G = 3"),
    ("bias-2d", dict(weight_ih=np.zeros((6, 2)), weight_hh=np.zeros((6, 2)), bias_hh=np.zeros((6, 1))),
     r"bias_hh has shape \(6, 1\); expected \(G\*H,\)"),
    ("ragged", dict(weight_ih=np.zeros((6, 2)), weight_hh=[[1.0, 2.0], [3.0]]),
     r"weight_hh is not array-like"),
    ("string", dict(weight_ih=np.zeros((6, 2)), weight_hh="abc"), r"weight_hh .*'abc'"),
    ("none-only", dict(), r"missing \['W_ir'"),
    ("dtype", dict(weight_ih=np.zeros((6, 2)), weight_hh=np.zeros((6, 2)), dtype="nonsense"),
     r"dtype must be float32 or float64, got 'nonsense'"),
    ("mismatch", dict(weight_ih=np.zeros((6, 2)), weight_hh=np.zeros((9, 3))),
     r"'W_hr' has shape \(3, 3\), so H = 3, but 'W_ir' already fixed H = 2"),
    ("both", dict(weight_ih=np.zeros((6, 2)), weight_hh=np.zeros((6, 2)), W_hr=np.zeros((2, 2))),
     r"parameter 'W_hr' is given both packed and by name"),
    ("unknown-symbol", dict(weight_ih=np.zeros((6, 2)), weight_hh=np.zeros((6, 2)), W_zz=np.eye(2)),
     r"unknown \['W_zz'\]"),
]


@pytest.mark.parametrize(("kwargs", "pattern"), [c[1:] for c in FROM_ARRAYS_CASES],
                         ids=[c[0] for c in FROM_ARRAYS_CASES])
def test_from_arrays_refuses_bad_packed_arrays_by_name(kwargs, pattern):
    with pytest.raises(numeric.NumericError, match=pattern):
        numeric.from_arrays("gru", **kwargs)


def test_from_arrays_refuses_packed_names_a_cell_does_not_have():
    with pytest.raises(numeric.NumericError, match=r"no packed layout \(weight_ih given\)"):
        numeric.from_arrays(_k_cell(), weight_ih=np.zeros((3, 2)))
    with pytest.raises(numeric.NumericError, match=r"no packed 'bias_ih' \(bias_ih given\); "
                                                   r"layout keys: \['bias_hh', 'weight_hh'\]"):
        numeric.from_arrays(_k_cell(layout=True), bias_ih=np.zeros(3))


@pytest.mark.parametrize("shape", [(10**6, 10**6), (3 * 10**6, 10**6)])
def test_huge_arrays_are_refused_before_any_copy(shape):
    big = np.broadcast_to(np.zeros(1), shape)  # a view: terabytes it does not hold
    with pytest.raises(numeric.NumericError, match=r"needs [\d.e+]+ GiB, more than"):
        numeric.Params("elman", {**_elman_arrays(), "W_hh": big})
    with pytest.raises(numeric.NumericError, match=r"needs [\d.e+]+ GiB, more than"):
        numeric.from_arrays("elman", weight_ih=np.zeros((shape[0], 2)), weight_hh=big)


# -- cells with dimensions of their own ------------------------------------------------------

def _k_cell(layout=False):
    """x (dim E) -> a K-dimensional feature k = tanh(W_xk x); a gate and a candidate of h read
    it through (H, K) weights. Every Jacobian coefficient lives in H."""
    cb = dv.CellBuilder("kfeat", reference="test")
    x, h = cb.input("x", dim="E"), cb.state("h")
    W_xk = cb.weight("W_xk", rows="K")
    V_g, U_g, V_n, U_n = cb.weights("V_g U_g V_n U_n")
    b_g, b_n = cb.biases("b_g b_n")
    k = cb.let("k", dv.tanh(W_xk @ x), role="feature")
    g = cb.let("g", dv.sigmoid(V_g @ k + U_g @ h + b_g), role="gate")
    n = cb.let("n", dv.tanh(V_n @ k + U_n @ (g * h) + b_n), role="candidate")
    cb.update(h, g * h + (1 - g) * n)
    if layout:
        cb.layout(weight_hh="U_g U_n", bias_hh="b_g b_n")
    return cb.build()


def _k_reference(p, x, h):
    a = p.arrays

    def sig(u):
        return 1 / (1 + np.exp(-u))

    k = np.tanh(x @ a["W_xk"].T)
    g = sig(k @ a["V_g"].T + h @ a["U_g"].T + a["b_g"])
    n = np.tanh(k @ a["V_n"].T + (g * h) @ a["U_n"].T + a["b_n"])
    return g * h + (1 - g) * n


def test_cell_with_extra_dimensions_needs_their_sizes():
    cell = _k_cell()
    assert cell.dimensions == ("H", "E", "K")
    with pytest.raises(numeric.NumericError, match=r"dimension\(s\) K \(of W_xk, V_g, V_n\).*"
                                                   r"sizes=\{'K': 4\}"):
        numeric.init(cell, 3, 2)
    with pytest.raises(numeric.NumericError, match=r"sizes\['K'\] must be an integer >= 1, got 0"):
        numeric.init(cell, 3, 2, sizes={"K": 0})
    with pytest.raises(numeric.NumericError, match=r"needs [\d.e+]+ GiB"):
        numeric.init(cell, 3, 2, sizes={"K": 10**12})


@pytest.mark.parametrize("scheme", ["pytorch", "orthogonal"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cell_with_extra_dimensions_end_to_end(scheme, dtype):
    cell = _k_cell()
    p = numeric.init(cell, 4, 3, sizes={"K": 5}, scheme=scheme, seed=1, scale=1.5, dtype=dtype)
    assert p.sizes == {"H": 4, "E": 3, "K": 5}
    assert p.arrays["W_xk"].shape == (5, 3) and p.arrays["V_g"].shape == (4, 5)
    rng = np.random.default_rng(3)
    x, h = rng.normal(size=(6, 3)), rng.uniform(-0.9, 0.9, size=(6, 4))
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(numeric.step(p, x, h), _k_reference(p, x, h), rtol=tol, atol=tol)
    res = numeric.check_jacobian(p, x, h)
    assert res.ok, res
    # the same parameters read back by name infer every size from the arrays
    q = numeric.Params(cell, dict(p.arrays))
    assert q.sizes == p.sizes
    np.testing.assert_array_equal(numeric.jacobian(q, x, h), numeric.jacobian(p, x, h))
    assert p.astype(np.float64).sizes == p.sizes


def test_cell_with_extra_dimensions_is_proven_at_every_size():
    cell = _k_cell()
    for n in (1, 2, 3):
        r = prove(cell, n)
        assert r.ok and r.sizes["H"] == n and r.sizes["K"] not in (n, r.sizes["E"])
    assert prove(cell, 2, 1, sizes={"K": 4}).sizes == {"H": 2, "E": 1, "K": 4}


def test_a_dimension_no_array_fixes_comes_from_sizes():
    # the input's dimension E is read by no weight: the arrays cannot tell its size
    cb = dv.CellBuilder("dead_input")
    x, h = cb.input("x", dim="E"), cb.state("h")
    cb.let("unused", x * x)
    cb.update(h, dv.tanh(cb.weight("U") @ h + cb.bias("b")))
    cell = cb.build()
    arrays = {"U": np.eye(2) * 0.5, "b": np.zeros(2)}
    with pytest.raises(numeric.NumericError, match=r"size of dimension\(s\) \['E'\].*sizes="):
        numeric.Params(cell, arrays)
    p = numeric.Params(cell, arrays, sizes={"E": 3})
    assert (p.hidden_size, p.input_size) == (2, 3)
    assert p.with_arrays(b=np.ones(2)).input_size == 3
    assert numeric.init(cell, 2, 3).input_size == 3
    h0 = np.full((1, 2), 0.25)
    np.testing.assert_allclose(numeric.step(p, np.zeros((1, 3)), h0), np.tanh(0.5 * h0))


def test_input_size_of_a_cell_read_in_the_state_dimension_must_match():
    cb = dv.CellBuilder("tied")
    x, h = cb.input("x", dim="H"), cb.state("h")
    cb.update(h, dv.tanh(cb.weight("U") @ h + x))
    cell = cb.build()
    assert numeric.init(cell, 3, 3).hidden_size == 3
    with pytest.raises(numeric.NumericError, match=r"input_size must equal hidden_size = 3, got 2"):
        numeric.init(cell, 3, 2)


def test_jacobian_through_another_dimension_is_proven_and_evaluated():
    # h' = tanh(V (k * k) + A x + b), k = tanh(W h) of dimension K: the Jacobian term
    # diag(1 - h'^2) V diag(2 k (1 - k^2)) W has a coefficient in K
    cb = dv.CellBuilder("bottleneck")
    x, h = cb.input("x", dim="E"), cb.state("h")
    W, V, A = cb.weight("W", rows="K"), cb.weight("V"), cb.weight("A")
    k = cb.let("k", dv.tanh(W @ h), role="bottleneck")
    cb.update(h, dv.tanh(V @ (k * k) + A @ x + cb.bias("b")))
    cell = cb.build()
    assert all(prove(cell, n).ok for n in (1, 2, 3))
    p = numeric.init(cell, 3, 2, sizes={"K": 5}, seed=0)
    rng = np.random.default_rng(0)
    x, h = rng.normal(size=(2, 2)), rng.normal(size=(2, 3))
    a = p.arrays
    kk = np.tanh(h @ a["W"].T)
    ref = np.tanh((kk * kk) @ a["V"].T + x @ a["A"].T + a["b"])
    np.testing.assert_allclose(numeric.step(p, x, h), ref, rtol=1e-12)
    # the engine evaluates the K-dimensional coefficient too (more in test_numeric_dimensions)
    np.testing.assert_allclose(numeric.jacobian(p, x, h), numeric.step_jacobian(p, x, h),
                               rtol=1e-12, atol=1e-14)


def test_from_arrays_reads_a_user_layout_and_names():
    cell = _k_cell(layout=True)
    rng = np.random.default_rng(5)
    U = rng.normal(size=(8, 4))  # U_g; U_n stacked
    by_name = {"W_xk": rng.normal(size=(5, 3)), "V_g": rng.normal(size=(4, 5)),
               "V_n": rng.normal(size=(4, 5))}
    p = numeric.from_arrays(cell, weight_hh=U, **by_name)
    np.testing.assert_array_equal(p.arrays["U_n"], U[4:])
    assert not p.arrays["b_g"].any() and p.sizes == {"H": 4, "E": 3, "K": 5}
    # a cell without that layout entry but with a symbol called weight_hh gets it by name
    cb = dv.CellBuilder("named")
    h = cb.state("h")
    cb.input("x", dim="H")
    cb.update(h, dv.tanh(cb.weight("weight_hh") @ h))
    q = numeric.from_arrays(cb.build(), weight_hh=np.eye(2))
    np.testing.assert_array_equal(q.arrays["weight_hh"], np.eye(2))


def test_generated_kernels_refuse_bad_names_and_missing_sizes():
    import sympy as sp

    from numeric._codegen import Kernel, Let

    a = sp.Symbol("a")
    with pytest.raises(numeric.NumericError, match=r"dimension names \['in put'\]"):
        Kernel([Let("y", a + 1)], {"a": ("in put", False)}, ("y",))
    with pytest.raises(numeric.NumericError, match=r"kernel name 'lambda'"):
        Kernel([Let("y", a + 1)], {"a": ("H", False)}, ("y",), name="lambda")
    k = Kernel([Let("y", a * a + a)], {"a": ("K", False)}, ("y",))
    with pytest.raises(numeric.NumericError, match=r"size of dimension\(s\) \['K'\]"):
        k.workspace({"H": 3}, 2, np.float64)


@pytest.mark.parametrize("inputs", [0, 2])
def test_cells_without_exactly_one_input_are_refused_before_any_draw(inputs):
    cb = dv.CellBuilder("inputs")
    h = cb.state("h")
    xs = [cb.input(f"x{k}", dim="H") for k in range(inputs)]
    cb.update(h, dv.tanh(cb.weight("U") @ h + sum(xs)))
    cell = cb.build()
    assert prove(cell, 2).ok
    with pytest.raises(numeric.NumericError, match=rf"has {inputs} inputs.*supports one"):
        numeric.init(cell, 10**6, 10**6)  # refused before the memory check, too
    with pytest.raises(numeric.NumericError, match=rf"has {inputs} inputs"):
        numeric.Params(cell, {"U": np.eye(2)})

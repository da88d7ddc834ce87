"""The cells of issue 11 against their papers' equations, transcribed here in plain NumPy
(independent of the generated engine), and the sLSTM's stabilized form against its
unstabilized one.

Each reference below is written from the paper, not from the cell language: the engine's
``step`` must equal it and the engine's ``jacobian`` must equal central differences of it.
"""

import numpy as np
import pytest

import derivations as dv
import numeric
from tests._numeric_cases import draw_states, input_size

RTOL = 1e-12


def _sig(u):
    return 0.5 * (1.0 + np.tanh(0.5 * u))


def _softplus(u):
    return np.logaddexp(0.0, u)


def _g(u):
    return np.where(u >= 0, u + 0.5, _sig(u))


def _lin(p, W, b, x):
    return x @ p.arrays[W].T + p.arrays[b][None]


# -- references from the papers: (params, x (B, I), state) -> next state -------------------
def ref_elman_relu(p, x, h):
    a = p.arrays
    return np.maximum(x @ a["W_ih"].T + a["b_ih"] + h @ a["W_hh"].T + a["b_hh"], 0.0)


def ref_indrnn(p, x, h):
    a = p.arrays
    return np.maximum(x @ a["W"].T + a["u"] * h + a["b"], 0.0)


def ref_peephole(p, x, state):
    h, c = state
    a = p.arrays

    def pre(k):
        return x @ a[f"W_i{k}"].T + a[f"b_i{k}"] + h @ a[f"W_h{k}"].T + a[f"b_h{k}"]

    i = _sig(pre("i") + a["p_i"] * c)
    f = _sig(pre("f") + a["p_f"] * c)
    g = np.tanh(pre("g"))
    c2 = f * c + i * g
    o = _sig(pre("o") + a["p_o"] * c2)
    return o * np.tanh(c2), c2


def ref_cifg(p, x, state):
    h, c = state
    a = p.arrays

    def pre(k):
        return x @ a[f"W_i{k}"].T + a[f"b_i{k}"] + h @ a[f"W_h{k}"].T + a[f"b_h{k}"]

    f, g, o = _sig(pre("f")), np.tanh(pre("g")), _sig(pre("o"))
    c2 = f * c + (1 - f) * g
    return o * np.tanh(c2), c2


def ref_mingru(p, x, h, g=False):
    z = _sig(_lin(p, "W_z", "b_z", x))
    ht = _lin(p, "W_h", "b_h", x)
    return (1 - z) * h + z * (_g(ht) if g else ht)


def ref_minlstm(p, x, h):
    f, i = _sig(_lin(p, "W_f", "b_f", x)), _sig(_lin(p, "W_i", "b_i", x))
    return f / (f + i) * h + i / (f + i) * _lin(p, "W_h", "b_h", x)


def ref_rglru(p, x, h):
    r, i = _sig(_lin(p, "W_a", "b_a", x)), _sig(_lin(p, "W_x", "b_x", x))
    c = float(p.arrays["c"])
    a = _sig(p.arrays["Lambda"]) ** (c * r)  # a_t = sigma(Lambda)^(c r_t)
    return a * h + np.sqrt(1 - a**2) * (i * x)


def ref_slstm(p, x, state, exp_forget=False):
    h, c, n = state
    A = p.arrays

    def pre(k):
        return x @ A[f"W_{k}"].T + h @ A[f"R_{k}"].T + A[f"b_{k}"]

    i = np.exp(pre("i"))
    f = np.exp(pre("f")) if exp_forget else _sig(pre("f"))
    z, o = np.tanh(pre("z")), _sig(pre("o"))
    c2, n2 = f * c + i * z, f * n + i
    return o * c2 / n2, c2, n2


CASES = [
    ("elman", "relu", ref_elman_relu),
    ("indrnn", None, ref_indrnn),
    ("peephole_lstm", None, ref_peephole),
    ("cifg_lstm", None, ref_cifg),
    ("mingru", "paper", ref_mingru),
    ("mingru", "g", lambda p, x, h: ref_mingru(p, x, h, g=True)),
    ("minlstm", "paper", ref_minlstm),
    ("rglru", None, ref_rglru),
    ("slstm", "sigmoid", ref_slstm),
    ("slstm", "exp", lambda p, x, s: ref_slstm(p, x, s, exp_forget=True)),
]


def _draw(p, B, rng):
    """Inputs ~ N(0, 1) and states in [-1, 1], the sLSTM normalizer in [0.5, 2] (its
    domain: a positive sum)."""
    x = rng.standard_normal((B, p.input_size))
    states = draw_states(p.cell, rng, B, p.hidden_size, bound=1.0)
    return x, states[0] if len(states) == 1 else states


def _flat(s):
    return np.concatenate(s, axis=-1) if isinstance(s, tuple) else s


def _central(ref, p, x, state, eps=1e-6):
    """d(next state)/d(state) of ``ref`` by central differences, (B, D, D)."""
    parts = state if isinstance(state, tuple) else (state,)
    sizes = [s.shape[1] for s in parts]
    flat = _flat(state)
    B, D = flat.shape
    J = np.empty((B, D, D))

    def split(v):
        out = tuple(np.split(v, np.cumsum(sizes)[:-1], axis=1))
        return out if len(out) > 1 else out[0]

    for k in range(D):
        e = np.zeros(D)
        e[k] = eps
        J[:, :, k] = (_flat(ref(p, x, split(flat + e))) - _flat(ref(p, x, split(flat - e)))) \
            / (2 * eps)
    return J


@pytest.mark.parametrize(("name", "conv", "ref"), CASES,
                         ids=[f"{n}-{c}" for n, c, _ in CASES])
def test_step_matches_paper_equations(name, conv, ref):
    p = numeric.init(cell := dv.cell(name, conv), 12, input_size(cell, 5, 12), seed=3)
    x, state = _draw(p, 4, np.random.default_rng(1))
    got, want = numeric.step(p, x, state), ref(p, x, state)
    np.testing.assert_allclose(_flat(got), _flat(want), rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize(("name", "conv", "ref"), CASES,
                         ids=[f"{n}-{c}" for n, c, _ in CASES])
def test_state_jacobian_matches_central_differences_of_paper(name, conv, ref):
    p = numeric.init(cell := dv.cell(name, conv), 6, input_size(cell, 3, 6), seed=5)
    x, state = _draw(p, 3, np.random.default_rng(2))
    J = numeric.jacobian(p, x, state, full=True)
    # central differences: error O(eps^2 f''') + O(ulp / eps); away from relu's kink
    # (pre-activations of random draws are 1e-6 from 0 with probability ~1e-6)
    np.testing.assert_allclose(J, _central(ref, p, x, state), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("conv", ["paper", "g"])
def test_mingru_jacobian_is_the_carry_diag_one_minus_z(conv):
    p = numeric.init(dv.cell("mingru", conv), 16, 4, seed=0)
    x, h = _draw(p, 5, np.random.default_rng(0))
    z = _sig(_lin(p, "W_z", "b_z", x))
    want = np.einsum("bi,ij->bij", 1 - z, np.eye(16))
    np.testing.assert_allclose(numeric.jacobian(p, x, h), want, rtol=1e-13, atol=0)


def test_rglru_decay_is_sigma_lambda_to_the_c_r_and_below_one():
    p = numeric.init(dv.cell("rglru"), 16, 16, seed=0)
    x, h = _draw(p, 5, np.random.default_rng(0))
    a = np.diagonal(numeric.jacobian(p, x, h), axis1=1, axis2=2)
    r = _sig(_lin(p, "W_a", "b_a", x))
    np.testing.assert_allclose(a, _sig(p.arrays["Lambda"]) ** (8.0 * r), rtol=1e-13)
    assert np.all((0 < a) & (a < 1))
    # the init keeps sigma(Lambda)^8 in [0.9, 0.999] (De et al. 2024)
    a_max = _sig(p.arrays["Lambda"]) ** 8
    assert np.all((a_max >= 0.9 - 1e-12) & (a_max <= 0.999 + 1e-12))


def test_rglru_scalar_c_is_a_parameter():
    p = numeric.init(dv.cell("rglru"), 8, 8, seed=1)
    q = p.with_arrays(c=np.asarray(2.0))
    x, h = _draw(q, 3, np.random.default_rng(4))
    np.testing.assert_allclose(numeric.step(q, x, h), ref_rglru(q, x, h), rtol=RTOL)
    assert not np.allclose(numeric.step(q, x, h), numeric.step(p, x, h))


# -- the sLSTM: stabilized form == paper form -----------------------------------------------
@pytest.mark.parametrize("conv", ["sigmoid", "exp"])
def test_slstm_stabilized_gives_the_same_h_and_dh_dh(conv):
    """c_s = c e^{-m}, n_s = n e^{-m}: the stabilized step gives the paper's h' and the same
    dh'/dh (with c, n held fixed), since h' = o c'/n' does not see the common scale."""
    H, I_ = 10, 4
    paper = numeric.init(dv.cell("slstm", conv), H, I_, seed=7)
    stab_cell = dv.cell("slstm_stabilized", conv)
    stab = numeric.from_arrays(stab_cell, **paper.arrays)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, I_))
    h = rng.uniform(-1, 1, (6, H))
    c = rng.standard_normal((6, H))
    n = rng.uniform(0.5, 3.0, (6, H))
    m = rng.uniform(-3.0, 3.0, (6, H))
    h1, c1, n1 = numeric.step(paper, x, (h, c, n))
    hs, cs, ns, ms = numeric.step(stab, x, (h, c * np.exp(-m), n * np.exp(-m), m))
    np.testing.assert_allclose(hs, h1, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cs * np.exp(ms), c1, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ns * np.exp(ms), n1, rtol=1e-12)
    Jp = numeric.jacobian(paper, x, (h, c, n), block=("h", "h"))
    Js = numeric.jacobian(stab, x, (h, c * np.exp(-m), n * np.exp(-m), m), block=("h", "h"))
    np.testing.assert_allclose(Js, Jp, rtol=1e-11, atol=1e-13)


def test_slstm_stabilized_does_not_overflow_where_the_paper_form_does():
    """Input-gate pre-activations of 800: exp overflows float64, the stabilizer does not."""
    H = 4
    stab = numeric.init(dv.cell("slstm_stabilized"), H, 2, seed=0)
    stab = stab.with_arrays(b_i=np.full(H, 800.0))
    x = np.zeros((1, 2))
    s = (np.zeros((1, H)), np.zeros((1, H)), np.zeros((1, H)), np.zeros((1, H)))
    for _ in range(3):
        s = numeric.step(stab, x, s)
    assert all(np.all(np.isfinite(v)) for v in s)
    assert np.all(np.abs(s[0]) < 1)


def test_the_report_finds_exactly_the_cells_whose_gates_read_only_the_input():
    """From the papers: IndRNN (relu or tanh), minGRU, minLSTM, the RG-LRU, the T-RNN (no
    recurrent weight) and the bistable cell BR (elementwise recurrent weights) have a diagonal
    state Jacobian (no gate reads h through a matrix); every other built-in cell does not."""
    from reports._sec_recent import diagonal_cells

    assert set(diagonal_cells()) == {"indrnn", "indrnn (tanh)", "mingru (paper)", "mingru (g)",
                                     "minlstm (paper)", "minlstm (g)", "rglru", "trnn", "br"}


def test_diagonal_decay_equals_the_product_of_the_papers_decays():
    """The report's diagonal-decay numbers for the RG-LRU: log10 max_j prod_t a_tj, with
    a_t = sigma(Lambda)^(8 r_t) computed here from the paper, and the engine's product."""
    from reports import _fig_data as fd

    cfg = fd.FigConfig(T=30, B=1, H=6, I=6, lyap_steps=1, lyap_batch=1, lyap_hidden=2,
                       sweep_batch=1, sweep_biases=(0.0,), hist_every=1)
    out = fd.diagonal_decay("rglru", None, cfg, seed=0)
    p = numeric.init(dv.cell("rglru"), 6, 6, seed=0)
    xs = np.random.default_rng(1).standard_normal((30, 1, 6))
    r = _sig(xs[:, 0] @ p.arrays["W_a"].T + p.arrays["b_a"])
    log_a = 8.0 * r * np.log(_sig(p.arrays["Lambda"]))
    want = np.log10(np.exp(np.cumsum(log_a[::-1], axis=0))).max(axis=1)
    np.testing.assert_allclose(out["product"], want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out["measured"], want, rtol=1e-9, atol=1e-10)


NEW = [("elman", "relu"), ("indrnn", None), ("peephole_lstm", None), ("cifg_lstm", None),
       ("mingru", "paper"), ("mingru", "g"), ("minlstm", "paper"), ("minlstm", "g"),
       ("rglru", None), ("slstm", "sigmoid"), ("slstm", "exp"),
       ("slstm_stabilized", "sigmoid"), ("slstm_stabilized", "exp")]


@pytest.mark.parametrize(("name", "conv"), NEW, ids=[f"{n}-{c}" for n, c in NEW])
def test_engine_matches_complex_step_or_central_differences_at_h64(name, conv):
    """The issue's acceptance: H = 64, complex step for analytic cells, central differences
    for kinked ones (relu, g, max), states drawn in the cell's domain."""
    cell = dv.cell(name, conv)
    p = numeric.init(cell, 64, input_size(cell, 16, 64), seed=11)
    x, state = _draw(p, 2, np.random.default_rng(12))
    res = numeric.check_jacobian(p, x, state)
    assert res.methods == (("central",) if cell.kinks else ("complex", "central")), res
    assert res.ok, res

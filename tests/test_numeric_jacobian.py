"""The engine's Jacobians against independent references: complex step, central finite
differences, brute-force SymPy ``Matrix.jacobian`` on explicit instances, dense algebra."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import derivations as dv
import numeric
from derivations.facts import Role
from derivations.functions import ACTIVATIONS, sigmoid
from derivations.proof import instantiate
from tests._numeric_cases import draw_states, flat_state, input_size, make_case, other_sizes
from tests._suite_cells import KEYS
from tests.strategies import cell_cases


@given(cell_cases(max_hidden=64, max_batch=3))
def test_jacobian_matches_complex_step(case):
    p, x, s = make_case(case)
    assume(not p.cell.kinks)  # complex step is for analytic cells; kinked: central below
    J = numeric.jacobian(p, x, s, full=True)
    ref = numeric.step_jacobian(p, x, s, method="complex")
    scale = max(1.0, np.abs(ref).max())
    np.testing.assert_allclose(J, ref, rtol=0, atol=1e-10 * scale)


@given(cell_cases(max_hidden=12, max_batch=2))
@settings(max_examples=10)
def test_jacobian_matches_central_differences(case):
    p, x, s = make_case(case)
    res = numeric.check_jacobian(p, x, s)
    assert res.ok, res
    assert res.max_rel_finite_diff <= 1e-6


def _elementary(expr):
    """``expr`` with every activation written in elementary functions (its rewrite)."""
    expr = expr.replace(sigmoid, lambda u: 1 / (1 + sp.exp(-u)))
    for name in ("softplus", "mingru_g", "relu", "hard_sigmoid"):
        f = ACTIVATIONS[name].function
        expr = expr.replace(f, lambda u, f=f: f(u).rewrite(sp.exp))
    return expr


#: digits of the SymPy reference: a saturated coefficient such as 1 - tanh(60)^2 ~ 1e-52
#: cancels 52 digits of tanh(60) = 1 - 2e-52, so 60 would leave 8; 120 leaves 68
DIGITS = 120


def _numeric_sympy(expr):
    return complex(sp.sympify(expr).evalf(DIGITS)).real


def sympy_reference(p, x, parts):
    """Full state Jacobian of sample 0 from brute-force ``Matrix.jacobian`` of the explicit
    instance, evaluated with :data:`DIGITS`-digit Floats (no lambdify, no NumPy)."""
    cell, n, m = p.cell, p.hidden_size, p.input_size
    own = (cell.hidden_dim, cell.dims[cell.inputs[0]])
    inst = instantiate(cell, n, m, sizes={d: k for d, k in p.sizes.items() if d not in own}
                       or None)
    sub = {}
    pairs = [(cell.inputs[0], x[0])] + [(s_, v[0]) for s_, v in zip(cell.states, parts,
                                                                      strict=True)]
    pairs += [(cell.symbol(k), a.reshape(-1)) for k, a in p.arrays.items()
              if cell.symbol(k) not in cell.scalars]
    sub.update({c: sp.Float(float(p.arrays[c.name]), DIGITS) for c in cell.scalars})
    for sym, arr in pairs:
        sub.update({e: sp.Float(float(a), DIGITS) for e, a in zip(inst.values[sym], arr,
                                                                 strict=True)})
    o = np.cumsum([0, *p.state_sizes]).tolist()   # each state's rows in the full state
    ref = np.empty((o[-1], o[-1]))
    for i, s_out in enumerate(cell.states):
        out_vec = inst.values[cell.next_states[s_out]]
        for j, s_in in enumerate(cell.states):
            brute = out_vec.jacobian(inst.values[s_in]).applyfunc(_elementary).xreplace(sub)
            ref[o[i]:o[i + 1], o[j]:o[j + 1]] = [
                [_numeric_sympy(brute[a, b]) for b in range(brute.cols)]
                for a in range(brute.rows)]
    return ref


@pytest.mark.parametrize("key", KEYS, ids=[f"{n}-{c}" for n, c in KEYS])
@pytest.mark.parametrize("n", [1, 3])
def test_jacobian_matches_bruteforce_sympy_jacobian(key, n):
    """Matrix.jacobian of the explicit instance, numerically substituted (no lambdify)."""
    cell = dv.cell(*key)
    m = input_size(cell, 2, n)
    p = numeric.init(cell, n, m, seed=n + 7, scale=1.5, sizes=other_sizes(cell, n))
    rng = np.random.default_rng(n)
    x = rng.normal(size=(1, m))
    parts = list(draw_states(cell, rng, 1, n, bound=0.9))
    state = tuple(parts) if len(parts) > 1 else parts[0]
    J = numeric.jacobian(p, x, state, full=True)[0]
    np.testing.assert_allclose(J, sympy_reference(p, x, parts), rtol=1e-12, atol=1e-13)


@given(cell_cases(max_hidden=16, max_batch=3, names=("lstm",)))
def test_lstm_blocks_assemble_into_full_jacobian(case):
    p, x, s = make_case(case)
    H = case.hidden
    full = numeric.jacobian(p, x, s, full=True)
    for a, ia in (("h", 0), ("c", 1)):
        for b, ib in (("h", 0), ("c", 1)):
            blk = numeric.jacobian(p, x, s, block=(a, b))
            np.testing.assert_allclose(full[:, ia * H:(ia + 1) * H, ib * H:(ib + 1) * H], blk,
                                       rtol=0, atol=1e-15)
    # the default block is dh_next/dh with c held fixed: the complex-step top-left block
    ref = numeric.step_jacobian(p, x, s)
    np.testing.assert_allclose(numeric.jacobian(p, x, s), ref[:, :H, :H], atol=1e-12)


@given(cell_cases(max_hidden=16, max_batch=3))
def test_paths_sum_to_jacobian(case):
    p, x, s = make_case(case)
    prog_blocks = dv.derive(p.cell).jacobian.blocks
    for key in prog_blocks:
        parts = numeric.paths(p, x, s, block=key)
        assert list(parts) == prog_blocks[key].labels()
        J = numeric.jacobian(p, x, s, block=key)
        np.testing.assert_allclose(sum(parts.values()), J, rtol=1e-12, atol=1e-14)


def test_paths_of_pytorch_gru_match_hand_written_terms():
    """Each labelled path equals the DESIGN.md formula, written out by hand with NumPy."""
    p = numeric.init("gru", 5, 3, seed=3, scale=2.0)
    rng = np.random.default_rng(0)
    x, h = rng.normal(size=(2, 3)), rng.uniform(-0.9, 0.9, size=(2, 5))
    A = p.arrays
    sig = lambda u: 1 / (1 + np.exp(-u))  # noqa: E731
    r = sig(x @ A["W_ir"].T + A["b_ir"] + h @ A["W_hr"].T + A["b_hr"])
    z = sig(x @ A["W_iz"].T + A["b_iz"] + h @ A["W_hz"].T + A["b_hz"])
    hn = h @ A["W_hn"].T + A["b_hn"]
    n = np.tanh(x @ A["W_in"].T + A["b_in"] + r * hn)
    want = {
        "carry": np.einsum("bi,ij->bij", z, np.eye(5)),
        "update gate": (z * (1 - z) * (h - n))[:, :, None] * A["W_hz"],
        "candidate": ((1 - z) * (1 - n**2) * r)[:, :, None] * A["W_hn"],
        "reset gate": ((1 - z) * (1 - n**2) * r * (1 - r) * hn)[:, :, None] * A["W_hr"],
    }
    got = numeric.paths(p, x, h)
    for k, v in want.items():
        np.testing.assert_allclose(got[k], v, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(numeric.step(p, x, h), (1 - z) * n + z * h, rtol=1e-13)


@given(cell_cases(max_hidden=24, max_batch=3))
def test_jvp_and_vjp_match_dense_products(case):
    p, x, s = make_case(case)
    J = numeric.jacobian(p, x, s, full=True)
    rng = np.random.default_rng(case.seed % 1000)
    S, D = len(p.cell.states), p.state_size   # D: the states' sizes summed (S H, or P + H)
    v = rng.normal(size=(case.batch, D))
    g = rng.normal(size=(case.batch, D))

    def split(a):
        parts = np.split(a, np.cumsum(p.state_sizes)[:-1], axis=1)
        return tuple(parts) if S > 1 else parts[0]

    Jv = flat_state(numeric.jvp(p, x, s, split(v)))
    gJ = flat_state(numeric.vjp(p, x, s, split(g)))
    scale = max(1.0, np.abs(J).max()) * D
    np.testing.assert_allclose(Jv, np.einsum("bij,bj->bi", J, v), atol=1e-13 * scale)
    np.testing.assert_allclose(gJ, np.einsum("bi,bij->bj", g, J), atol=1e-13 * scale)


@given(cell_cases(max_hidden=16, max_batch=3))
def test_term_coefficients_rebuild_the_block(case):
    p, x, s = make_case(case)
    J = numeric.jacobian(p, x, s)
    total = np.zeros_like(J)
    for term, cs in numeric.term_coefficients(p, x, s):
        M = np.einsum("bi,ij->bij", cs[0], np.eye(J.shape[1]))   # the first state's size
        for W, a in zip(term.matrices, cs[1:], strict=True):
            M = M @ p.arrays[W.name] * a[:, None, :]
        total += M
    np.testing.assert_allclose(total, J, rtol=1e-12, atol=1e-14)


@given(cell_cases(max_hidden=20, max_batch=7), st.integers(1, 6))
def test_chunked_equals_unchunked(case, per_chunk):
    p, x, s = make_case(case)
    full = len(p.cell.states) > 1
    D = p.state_size if full else p.state_sizes[0]
    J = numeric.jacobian(p, x, s, full=full)
    mb = per_chunk * D * D * 8
    # chunks change the GEMM blocking, so agreement is to rounding, not bitwise
    tol = 1e-14 * max(1.0, np.abs(J).max())
    if J.nbytes > mb:  # max_bytes bounds the output too: chunks only into a given ``out``
        with pytest.raises(numeric.NumericError, match=r"Jacobian needs .* more than max_bytes"):
            numeric.jacobian(p, x, s, full=full, max_bytes=mb)
    out = np.empty_like(J)
    np.testing.assert_allclose(numeric.jacobian(p, x, s, full=full, max_bytes=mb, out=out), J,
                               atol=tol)
    got = np.empty_like(J)
    for sl, chunk in numeric.jacobian_chunks(p, x, s, full=full, max_bytes=mb):
        assert chunk.shape[0] <= per_chunk
        got[sl] = chunk
    np.testing.assert_allclose(got, J, atol=tol)
    sv = np.linalg.svd(J, compute_uv=False)
    np.testing.assert_allclose(numeric.spectral_norms(p, x, s, full=full, max_bytes=mb),
                               sv[:, 0], rtol=1e-12)
    np.testing.assert_allclose(numeric.sigma_min(p, x, s, full=full, max_bytes=mb),
                               sv[:, -1], rtol=1e-9, atol=1e-15)


def test_single_sample_too_big_raises_before_allocation():
    p = numeric.init("gru", 64, 3)
    x, h = np.zeros((2, 3)), np.zeros((2, 64))
    with pytest.raises(numeric.NumericError, match="32768 bytes.*max_bytes=1000"):
        numeric.jacobian(p, x, h, max_bytes=1000)
    with pytest.raises(numeric.NumericError, match="max_bytes"):
        numeric.sigma_min(p, x, h, max_bytes=1000)


def test_out_parameter_is_filled_and_checked():
    p = numeric.init("lstm", 6, 2, seed=1)
    x, s = np.ones((3, 2)), (np.zeros((3, 6)), np.full((3, 6), 0.3))
    out = np.full((3, 12, 12), np.nan)
    res = numeric.jacobian(p, x, s, full=True, out=out)
    assert res is out
    np.testing.assert_allclose(out, numeric.step_jacobian(p, x, s), atol=1e-12)
    with pytest.raises(numeric.NumericError, match=r"\(3, 6, 6\)"):
        numeric.jacobian(p, x, s, out=np.empty((3, 6, 5)))


@given(cell_cases(max_hidden=32, max_batch=3))
def test_float32_within_float32_tolerance(case):
    p64, x, s = make_case(case)
    p32 = p64.astype(np.float32)
    J64 = numeric.jacobian(p64, x, s, full=True)
    s32 = tuple(a.astype(np.float32) for a in s) if isinstance(s, tuple) else s.astype(np.float32)
    J32 = numeric.jacobian(p32, x.astype(np.float32), s32, full=True)
    assert J32.dtype == np.float32
    scale = max(1.0, np.abs(J64).max())
    np.testing.assert_allclose(J32, J64, atol=2e-5 * scale * np.sqrt(case.hidden + case.inputs))
    n32 = flat_state(numeric.step(p32, x.astype(np.float32), s32))
    assert n32.dtype == np.float32
    np.testing.assert_allclose(n32, flat_state(numeric.step(p64, x, s)), atol=1e-5 * scale)


#: cells that biases of +-1e4 (other parameters zero) saturate inside their domain. Left
#: out, because the saturated point is outside it by the cell's own math: the paper-form
#: sLSTM's exponential input gate overflows at e^1e4 (its stabilized form, kept, is the one
#: the engine runs), minLSTM's f/(f + i) is 0/0 when both gates underflow to 0, and the
#: RG-LRU with c = 0 has a = 1, where sqrt(1 - a^2) has no derivative.
# not saturable by biases alone: the sLSTM's exponential gates, minLSTM's normalized gates,
# the RG-LRU's decay
SATURABLE = [k for k in KEYS if k[0] not in ("slstm", "minlstm", "rglru")]


@pytest.mark.parametrize("key", SATURABLE, ids=[f"{n}-{c}" for n, c in SATURABLE])
def test_saturated_preactivations_are_exact_and_warning_free(key):
    """|pre-activation| >= 1e4: every sigmoid/tanh of biases alone (weights 0) is exactly 0,
    1 or -1, with no overflow warnings, and the Jacobian is finite and exact."""
    I = 4 if dv.cell(*key).input_in_state_dim else 2
    p = numeric.init(*key[:1], 4, I, convention=key[1], seed=0,
                     sizes=other_sizes(dv.cell(*key), 4))
    zeros = {k: np.zeros_like(v) for k, v in p.parameters.items()}
    for sign in (1.0, -1.0):
        big = {b: np.full_like(p.arrays[b], sign * 1e4) for b in p.arrays if b.startswith("b")}
        q = p.with_arrays(**{**zeros, **big})
        s = tuple(np.full((2, n), 0.5) for n in q.state_sizes)
        s = s if len(s) > 1 else s[0]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for name, u, vals in _gate_values(q, np.zeros((2, I)), s):
                expect = {"sigmoid": float(u > 0), "tanh": np.sign(u)}
                assert np.all(vals == expect[name]), (name, u, vals)
            J = numeric.jacobian(q, np.zeros((2, I)), s, full=True)
        assert np.all(np.isfinite(J))
        # complex step is exact to rounding; central differences (kinked cells) of values as
        # large as the stabilizer m ~ 1e4 lose ulp(1e4) / eps ~ 2e-6
        atol = 1e-5 if q.cell.kinks else 1e-12
        np.testing.assert_allclose(J, numeric.step_jacobian(q, np.zeros((2, I)), s), atol=atol)


def _gate_values(params, x, s):
    """``(activation name, pre-activation, values)`` of each sigmoid/tanh quantity whose
    argument, with the weights at 0, is a sum of biases of magnitude >= 1e4 (a gate of a
    mix of states, ATR's sigma(p - q) of equal biases, NAS's tanh(o_0 o_1) are not)."""
    from numeric._compile import program
    from numeric.step import prepare

    cell = params.cell
    prog, xT, sT, _ = prepare(params, x, s)
    env = prog.forward(params, xT, sT)
    values = {b: sp.Float(float(params.arrays[b.name][0])) for b in cell.biases}
    out = []
    for q in cell.quantities:
        if not isinstance(q.expr, (sigmoid, sp.tanh)):
            continue
        u = q.expr.args[0].xreplace({m: 0 for m in q.expr.args[0].atoms(dv.MatVec)})
        u = sp.sympify(u).xreplace(values)
        if u.free_symbols or abs(float(u)) < 1e4:
            continue
        name = "sigmoid" if isinstance(q.expr, sigmoid) else "tanh"
        out.append((name, float(u), env[q.symbol.name]))
    assert program(params.cell) is prog
    return out


def test_seed_equals_cho_with_negated_update_gate():
    """DESIGN.md: negating z's weights and bias maps the seed GRU onto Cho's exactly."""
    seed = numeric.init("gru", 7, 3, convention="seed", seed=4, scale=1.7)
    neg = {k: -v for k, v in seed.arrays.items() if k in ("W_iz", "W_hz", "b_iz", "b_hz")}
    cho = numeric.from_arrays("gru", convention="cho", **{**seed.arrays, **neg})
    rng = np.random.default_rng(1)
    x, h = rng.normal(size=(4, 3)), rng.uniform(-1, 1, size=(4, 7))
    np.testing.assert_allclose(numeric.step(seed, x, h), numeric.step(cho, x, h), atol=1e-14)
    np.testing.assert_allclose(numeric.jacobian(seed, x, h), numeric.jacobian(cho, x, h),
                               atol=1e-14)


def test_user_defined_cell_gets_the_engine():
    """A CellBuilder cell (peephole-free IndRNN-like gated cell) needs no NumPy code."""
    cb = dv.CellBuilder("gated_ind", reference="test")
    x, h = cb.input("x"), cb.state("h")
    W_x, W_g, U_g = cb.weights("W_x W_g U_g")
    b, b_g = cb.biases("b b_g")
    g = cb.let("g", sigmoid(W_g @ x + U_g @ h + b_g), role="gate")
    cand = cb.let("a", sp.tanh(W_x @ x + b + g * h * h), role="candidate")
    cb.update(h, g * h + (1 - g) * cand)
    cell = cb.build()
    p = numeric.init(cell, 9, 4, seed=2, scale=2.0)
    rng = np.random.default_rng(5)
    x_, h_ = rng.normal(size=(3, 4)), rng.uniform(-1, 1, size=(3, 9))
    res = numeric.check_jacobian(p, x_, h_)
    assert res.ok and res.max_rel_complex_step < 1e-12, res
    # forward equals a hand-written NumPy version of the same equations
    A = p.arrays
    gg = 1 / (1 + np.exp(-(x_ @ A["W_g"].T + h_ @ A["U_g"].T + A["b_g"])))
    aa = np.tanh(x_ @ A["W_x"].T + A["b"] + gg * h_ * h_)
    np.testing.assert_allclose(numeric.step(p, x_, h_), gg * h_ + (1 - gg) * aa, rtol=1e-13)


@pytest.mark.parametrize("key", KEYS, ids=[f"{n}-{c}" for n, c in KEYS])
@pytest.mark.parametrize("shift", [-20.0, 20.0])
def test_saturated_jacobian_keeps_relative_accuracy(key, shift):
    """Deep saturation (biases +-20): entries ~ e^-40 are relatively accurate against a
    120-digit SymPy reference, not rounded to 0 by ``1 - z`` or ``1 - n**2`` with z, n -> 1."""
    cell = dv.cell(*key)
    m = input_size(cell, 2, 3)
    p = numeric.init(cell, 3, m, seed=3, sizes=other_sizes(cell, 3))
    p = p.with_arrays(**{b: p.arrays[b] + shift for b in p.arrays if b.startswith("b")})
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, m))
    parts = list(draw_states(cell, rng, 1, 3, bound=0.9))
    J = numeric.jacobian(p, x, tuple(parts) if len(parts) > 1 else parts[0], full=True)[0]
    ref = sympy_reference(p, x, parts)
    floor = 1e-300
    if any(p.cell.roles[q] is Role.NORMALIZER_STATE for q in p.cell.next_states.values()):
        # h' = o c'/n': dh'/dh = o (dc' n' - c' dn') / n'^2 cancels (c'/n' -> z) when the
        # exponential input gate saturates; the closed form keeps absolute accuracy only
        floor = 1e-6 * np.abs(ref).max()
    rel = np.abs(J - ref) / np.maximum(np.abs(ref), floor)
    assert np.all(rel <= 1e-9), (rel.max(), J, ref)


def test_two_thread_path_matches_complex_step(monkeypatch):
    """Above the threading threshold: the two-half pipeline gives the same Jacobian."""
    from numeric import _parallel

    B, H = 40, 64
    monkeypatch.setattr(_parallel, "MIN_PARALLEL_BYTES", B * H * H * 8)
    for key in (("gru", "pytorch"), ("lstm", None)):
        p = numeric.init(key[0], H, 3, convention=key[1], seed=2, scale=1.3)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(B, 3))
        s = tuple(rng.uniform(-0.9, 0.9, size=(B, H)) for _ in p.cell.states)
        s = s if len(s) > 1 else s[0]
        J = numeric.jacobian(p, x, s, full=True)
        np.testing.assert_allclose(J, numeric.step_jacobian(p, x, s), atol=1e-11)


@given(cell_cases(max_hidden=12, max_batch=3))
@settings(max_examples=15)
def test_matrix_jvp_used_by_lyapunov_matches_dense(case):
    """The k-column JVP (H, B, k) behind ``lyapunov`` equals J @ V for every sample."""
    from numeric._compile import program
    from numeric.jacobian import block_coefficients, full_jvp
    from numeric.step import prepare

    p, x, s = make_case(case)
    J = numeric.jacobian(p, x, s, full=True)
    D, k = p.state_size, 3
    o = np.cumsum([0, *p.state_sizes]).tolist()   # each state's rows in the full state
    V = np.random.default_rng(1).normal(size=(case.batch, D, k))
    prog, xT, sT, _ = prepare(p, x, s)
    assert prog is program(p.cell)
    coefs = block_coefficients(prog, p, xT, sT)[1]
    VT = V.transpose(1, 0, 2)
    got = np.concatenate(full_jvp(prog, p, coefs, tuple(VT[a:b] for a, b in itertools.pairwise(o))),
                         axis=0).transpose(1, 0, 2)
    scale = max(1.0, np.abs(J).max()) * D
    np.testing.assert_allclose(got, J @ V, atol=1e-13 * scale)


#: NumPy's exp is within 4 ulp on every SIMD kernel it dispatches (its accuracy tests allow
#: that much), and each kernel adds at most 4 correctly rounded operations of 1/2 ulp: 8 eps
#: in all. A bound of 2 ulp held on one CPU and would fail on another.
RTOL_EXP = 8 * np.finfo(np.float64).eps


def test_activation_kernels_are_relatively_accurate_and_warning_free():
    """sigmoid, 1 - sigmoid (alone and as a pair) and 1 - tanh^2 against 50-digit mpmath."""
    import mpmath

    from numeric._activations import sech2, sech2_into, sigmoid, sigmoid_c, sigmoid_pair

    mpmath.mp.dps = 50
    u = np.array([-1.7e308, -1e4, -745.0, -700.0, -40.0, -3.0, -1e-8, 0.0, 2.5, 40.0, 700.0,
                  1e4, 1e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            got = {"s": sigmoid(u), "c": sigmoid_c(u), "d": sech2(u)}
            got["ps"], got["pc"] = sigmoid_pair(u)
            got["di"] = sech2_into(u, np.empty_like(u), np.empty_like(u))
    for i, ui in enumerate(u):
        ref_s = 1 / (1 + mpmath.exp(-mpmath.mpf(ui)))
        ref_d = 1 / mpmath.cosh(mpmath.mpf(ui)) ** 2
        refs = {"s": ref_s, "c": 1 - ref_s, "d": ref_d, "di": ref_d, "ps": ref_s, "pc": 1 - ref_s}
        for k, ref in refs.items():
            ref = float(ref)
            if ref < 1e-300:    # below the normal range: must underflow to (near) zero
                assert got[k][i] < 1e-300
            else:
                assert abs(got[k][i] - ref) <= RTOL_EXP * ref, (k, ui, got[k][i], ref)
    # complex step through the sigmoid: Im sigma(u + i e) / e = sigma'(u)
    eps = 1e-20
    z = sigmoid(u[4:-4] + 1j * eps)
    s = sigmoid(u[4:-4])
    np.testing.assert_allclose(z.imag / eps, s * sigmoid_c(u[4:-4]), rtol=1e-14)

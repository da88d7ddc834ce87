"""Named cases: seed == cho under update-gate negation, chrono forgetting times, non-vacuity."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import derivations as dv
import numeric
from derivations.bounds import NoGlobalBound
from derivations.facts import BoundKind
from numeric.bounds import check_bounds, check_horizon

from ._numeric_cases import draw_states, input_size
from ._reference import rand_params, ref_jacobian, sig
from .strategies import keyed_cases

NEGATE = ("W_iz", "W_hz", "b_iz", "b_hz")


@given(data=st.data())
def test_seed_equals_cho_under_update_gate_negation(data):
    case = data.draw(keyed_cases("gru", "cho", max_hidden=32, max_input=8))
    rng = case.rng()
    P = rand_params("gru", "cho", case.hidden, case.inputs, rng, scale=case.scale)
    Q = {k: (-v if k in NEGATE else v) for k, v in P.items()}
    x = rng.normal(size=(case.batch, case.inputs))
    h = rng.uniform(-1, 1, size=(case.batch, case.hidden))
    cho = check_bounds(numeric.Params(dv.cell("gru", "cho"), P), x, h)
    seed = check_bounds(numeric.Params(dv.cell("gru", "seed"), Q), x, h)
    # the reference Jacobians agree (hand-written cells), and so does every bound
    np.testing.assert_allclose(ref_jacobian("gru", "seed", Q, x, h),
                               ref_jacobian("gru", "cho", P, x, h), rtol=1e-12, atol=1e-14)
    for f in ("norm", "sigma_min", "upper", "global_upper", "lower", "gap", "saturation"):
        np.testing.assert_allclose(getattr(seed, f), getattr(cho, f), rtol=1e-10, atol=1e-14)


def test_seed_and_cho_symbolic_bounds_coincide():
    s, c = dv.derive("gru", "seed").bounds, dv.derive("gru", "cho").bounds
    assert s.main.global_upper == c.main.global_upper
    ks = [b.expr for b in s.all() if b.kind is BoundKind.SATURATION]
    kc = [b.expr for b in c.all() if b.kind is BoundKind.SATURATION]
    assert ks == kc and len(ks) == 1


@pytest.mark.parametrize(("name", "conv", "bias", "sign"),
                         [("lstm", None, "b_if", 1), ("gru", "pytorch", "b_iz", 1),
                          ("gru", "seed", "b_iz", -1)])
@pytest.mark.parametrize("t_max", [10, 100, 1000])
def test_chrono_forgetting_times_spread_over_two_to_t_max(name, conv, bias, sign, t_max):
    H = 1000
    p = numeric.init(name, H, 3, convention=conv, scheme="chrono", t_max=t_max, seed=5)
    b = sign * p.arrays[bias]
    times = 1 / (1 - sig(b))          # characteristic forgetting time of the carrying gate
    np.testing.assert_allclose(times, 1 + np.exp(b), rtol=1e-9)
    assert times.min() >= 2 - 1e-9 and times.max() <= t_max + 1e-6
    # exp(b) ~ U[1, T_max - 1], so the times are uniform on [2, T_max]: KS distance small
    u = np.sort((times - 2) / (t_max - 2))
    ks = np.max(np.abs(u - (np.arange(1, H + 1) - 0.5) / H))
    assert ks < 0.06   # 1.36 / sqrt(H) = 0.043 is the 95% KS quantile


def test_chrono_lstm_cell_memory_decays_at_the_forgetting_rate():
    # with h-independent gates (recurrent weights 0, input 0), c_t = f^t c_0 + (...)
    # and the c -> c product over k steps is diag(f^k): decay time 1 / (1 - f)
    p = numeric.init("lstm", 16, 2, scheme="chrono", t_max=50, seed=2)
    zeros = {k: np.zeros_like(v) for k, v in p.arrays.items() if k.startswith("W_")}
    p = p.with_arrays(**zeros)
    f = sig(p.arrays["b_if"] + p.arrays["b_hf"])
    k = 20
    x = np.zeros((1, 2))
    h, c = np.zeros((1, 16)), np.ones((1, 16))
    prod = np.eye(16)[None]
    for _ in range(k):
        prod = numeric.jacobian(p, x, (h, c), block=("c", "c")) @ prod
        h, c = numeric.step(p, x, (h, c))
    np.testing.assert_allclose(np.diagonal(prod[0]), f**k, rtol=1e-10)
    r = check_bounds(p, x, (h, c), which=("c", "c"))
    np.testing.assert_allclose(r.lower, f.min(), rtol=1e-12)
    np.testing.assert_allclose(r.gap, (1 - f).max(), rtol=1e-10)


@pytest.mark.parametrize(("conv", "sign"), [("pytorch", 1), ("cho", 1), ("seed", -1)])
@given(data=st.data())
def test_gru_lower_bound_is_not_vacuous_when_the_update_gate_carries(conv, sign, data):
    # default-scale weights, update-gate bias pushed 8 towards carrying
    case = data.draw(keyed_cases("gru", conv, max_hidden=64, max_input=16, regime="critical"))
    H, I = case.hidden, min(case.inputs, case.hidden)
    rng = case.rng()
    P = rand_params("gru", conv, H, I, rng)
    P["b_iz"] = P["b_iz"] + sign * 8.0
    x = rng.uniform(-1, 1, size=(case.batch, I))
    h = rng.uniform(-1, 1, size=(case.batch, H))
    params = numeric.Params(dv.cell("gru", conv), P)
    r = check_bounds(params, x, h)
    assert (r.lower > 0.9).all(), r.lower
    ev = np.linalg.eigvalsh(np.swapaxes(J := ref_jacobian("gru", conv, P, x, h), 1, 2) @ J)
    assert (np.sqrt(ev[:, 0].clip(0)) >= r.lower - 1e-12).all()
    # and over a horizon the product of lower bounds stays informative
    xs = rng.uniform(-1, 1, size=(5, case.batch, I))
    hc = check_horizon(params, xs, h)
    assert (hc.lower > 0.9**5).all() and hc.ok.all()


def test_check_bounds_rejects_bad_input():
    p = numeric.init("gru", 4, 3, seed=0)
    with pytest.raises(numeric.NumericError, match="has blocks"):
        check_bounds(p, np.zeros((2, 3)), np.zeros((2, 4)), which=("c", "c"))
    with pytest.raises(numeric.NumericError, match=r"\(2, 5\)"):
        check_bounds(p, np.zeros((2, 3)), np.zeros((2, 5)))
    with pytest.raises(numeric.NumericError, match="expected numeric.Params"):
        check_bounds({"W": 1}, np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(numeric.NumericError, match=r"xs has shape \(2, 3\); expected \(T, B, I=3\)"):
        check_horizon(p, np.zeros((2, 3)), np.zeros((2, 4)))


def test_global_bound_is_skipped_outside_the_invariant_domain():
    p = numeric.init("elman", 3, 2, seed=0, scale=3.0)
    h = np.full((1, 3), 5.0)          # |h| > 1: outside the invariant's domain
    r = check_bounds(p, np.zeros((1, 2)), h)
    assert not r.in_domain.any() and r.ok.all()


# -- the cells of issue 11 -------------------------------------------------------------------
NEW_KEYS = [("elman", "relu"), ("indrnn", None), ("peephole_lstm", None), ("cifg_lstm", None),
            ("mingru", "paper"), ("mingru", "g"), ("minlstm", "paper"), ("minlstm", "g"),
            ("rglru", None), ("slstm", "sigmoid"), ("slstm", "exp"),
            ("slstm_stabilized", "sigmoid"), ("slstm_stabilized", "exp")]


def _central_block(p, x, states, out, wrt, d=1e-6):
    """d out' / d wrt by central differences of ``numeric.step`` (independent of the
    Jacobian engine), (B, H, H)."""
    names = [s.name for s in p.cell.states]
    i, j = names.index(out), names.index(wrt)
    B, H = states[0].shape
    J = np.empty((B, H, H))
    for k in range(H):
        hi, lo = [s.copy() for s in states], [s.copy() for s in states]
        hi[j][:, k] += d
        lo[j][:, k] -= d
        pack = (lambda s: s[0]) if len(states) == 1 else tuple
        f_hi = numeric.step(p, x, pack(hi))
        f_lo = numeric.step(p, x, pack(lo))
        f_hi, f_lo = (f_hi, f_lo) if len(states) > 1 else ((f_hi,), (f_lo,))
        J[:, :, k] = (f_hi[i] - f_lo[i]) / (2 * d)
    return J


@pytest.mark.parametrize(("name", "conv"), NEW_KEYS)
@pytest.mark.parametrize(("scale", "shift"), [(0.3, 0.0), (1.0, 0.0), (3.0, 2.0), (1.0, -4.0)])
def test_every_bound_that_exists_holds_on_the_new_cells(name, conv, scale, shift):
    # every regime (small, critical, saturating weights; gates pushed both ways): no
    # warning (warnings are errors), every block ok; where the cell has no global bound
    # (NoGlobalBound: RG-LRU, sLSTM) global_upper is nan, never inf, and no ratio is taken
    cell = dv.cell(name, conv)
    H, B = 5, 4
    I = input_size(cell, 3, H)
    rng = np.random.default_rng(11)
    p = numeric.init(cell, H, I, seed=3, scale=scale)
    p = p.with_arrays(**{b: p.arrays[b] + shift for b in p.arrays if b.startswith("b")})
    x = rng.normal(size=(B, I))
    states = draw_states(cell, rng, B, H)
    state = states if len(states) > 1 else states[0]
    bounds = dv.derive(cell).bounds
    for key, bb in bounds.blocks.items():
        r = check_bounds(p, x, state, which=key)
        assert r.ok.all(), (key, r.norm, r.upper, r.global_upper)
        none = isinstance(bb.get(BoundKind.GLOBAL_UPPER), NoGlobalBound)
        assert np.isnan(r.global_upper).all() == none and not np.isinf(r.global_upper).any()
        assert np.isnan(r.global_tightness).all() == none
        # independent: the spectral norm of the central-difference block
        fd = np.linalg.norm(_central_block(p, x, states, *key), 2, axis=(1, 2))
        assert (fd <= r.upper * (1 + 1e-5) + 1e-6).all(), key
        if not none:
            assert (fd <= r.global_upper * (1 + 1e-5) + 1e-6).all(), key
    full = check_bounds(p, x, state, which="full") if len(states) > 1 else None
    if full is not None:
        assert full.ok.all() and not np.isinf(full.global_upper).any()
        none = any(isinstance(bb.get(BoundKind.GLOBAL_UPPER), NoGlobalBound)
                   for bb in bounds.blocks.values())
        assert np.isnan(full.global_upper).all() == none
    xs = rng.normal(size=(4, B, I))
    assert check_horizon(p, xs, state).ok.all()


@pytest.mark.parametrize(("name", "conv", "gate", "towards"),
                         [("minlstm", "paper", "f_n", 1), ("rglru", None, "a", 1),
                          ("slstm_stabilized", "sigmoid", "f", 1),
                          ("slstm_stabilized", "exp", "f", 1)])
def test_chrono_reaches_a_gate_that_reads_its_biases_through_other_gates(name, conv, gate,
                                                                         towards):
    # the gate has no bias of its own (minLSTM's f / (f + i), the RG-LRU's exp(-c r
    # softplus(-Lambda)), the sLSTM's exp(log f + m - m')): chrono pushes the biases it reads
    # towards carrying, so on zero inputs from zero states the gate is closer to its carrying
    # value than under the default init, and as close as the LSTM's chrono forget gate
    from numeric.step import prepare

    H, T = 64, 100
    values = {}
    for scheme in ("pytorch", "chrono"):
        p = numeric.init(name, H, H, convention=conv, scheme=scheme, t_max=T, seed=1)
        s = tuple(np.zeros((1, H)) for _ in p.cell.states)
        prog, xT, sT, _ = prepare(p, np.zeros((1, H)), s if len(s) > 1 else s[0])
        values[scheme] = prog.evaluate(p, xT, sT, (gate,))[0]
    gap = {k: np.median(np.abs(towards - v)) for k, v in values.items()}
    assert gap["chrono"] < gap["pytorch"] / 5
    lstm = numeric.init("lstm", H, H, scheme="chrono", t_max=T, seed=1)
    f = sig(lstm.arrays["b_if"] + lstm.arrays["b_hf"])
    assert gap["chrono"] <= 1.5 * np.median(1 - f)

"""The family "LSTM variants" against references written apart from the cell language.

* each cell's step, written again in plain NumPy from torchrecurrent's ``forward`` (packed
  arrays, chunk order), equals the torch module and ``numeric.step`` (1e-12 relative), and
  ``numeric.jacobian`` equals central differences of that NumPy step;
* each paper's equations, in its own symbols, equal the cell where the code's extra
  parameters vanish or take the paper's value, and differ where they do not (the
  differences the cell docstrings state): the original LSTM's centred sigmoids ``g``,
  ``h`` are the code's ``tanh`` with ``c = s / 2`` and a halved candidate; the SCRN's
  recurrent state is the paper's output ``y_t``; two torchrecurrent docstrings (WMCLSTM,
  SCRN) disagree with their code, which the cells follow;
* the loader refuses every option the cells do not model (activations, a missing learnable
  scalar, a ``scalars=`` for a learnable one) by name, and reads modules without biases;
* the carry: the original LSTM's ``dc/dc`` is the identity for every parameter (and ``c``
  grows without bound); closing the input gate and opening the forget gate makes the
  ``c`` rows of the Jacobian ``[0, I]`` at the rate of the saturation bound; SCRN's
  context carries ``alpha I`` exactly; JANET returns ``h = c``; the mLSTM's recurrent paths
  vanish with ``W_mx x + b_mx``; every derived per-step bound holds on samples.

The module-against-torch checks of every class (autograd Jacobian, layer and state-dict
loading, ``prove``) are in ``tests/test_zoo.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

import derivations as dv
import numeric as nm
from derivations.facts import BoundKind
from numeric import NumericError
from tests._zoo_numpy import rel, rows, sig, split

torch = pytest.importorskip("torch")
tr = pytest.importorskip("torchrecurrent")

H, I_, B = 5, 3, 4
TOL = 1e-12
CELLS = ("original_lstm", "peephole_lstm", "multiplicative_lstm", "reslstm", "wmclstm", "ran",
         "scrn", "janet")


# -- torchrecurrent's forward, in NumPy (state-dict names, chunk order) -----------------

def original_code(sd, x, state):
    h, c = state
    gi, gc, go = split(x @ sd["weight_ih"].T + sd["bias_ih"] + h @ sd["weight_hh"].T
                       + sd["bias_hh"], 3)
    c_new = c + sig(gi) * np.tanh(gc)
    return sig(go) * np.tanh(c_new), c_new


def peephole_code(sd, x, state, *, o_reads_old_c=False):
    h, c = state
    gi, gf, gc, go = split(x @ sd["weight_ih"].T + sd["bias_ih"] + h @ sd["weight_hh"].T
                           + sd["bias_hh"], 4)
    p_i, p_f, p_o = split(sd["weight_ph"], 3)
    c_new = sig(gf + p_f * c) * c + sig(gi + p_i * c) * np.tanh(gc)
    o = sig(go + p_o * (c if o_reads_old_c else c_new))
    return o * np.tanh(c_new), c_new


def mlstm_code(sd, x, state):
    h, c = state
    x1, x2, x3, x4, x5 = split(x @ sd["weight_ih"].T + sd["bias_ih"], 5)
    m = x1 * (h @ sd["weight_hh"].T + sd["bias_hh"])
    m1, m2, m3, m4 = split(m @ sd["weight_mh"].T + sd["bias_mh"], 4)
    c_new = sig(x3 + m2) * c + sig(x2 + m1) * np.tanh(x4 + m3)
    return sig(x5 + m4) * np.tanh(c_new), c_new


def reslstm_code(sd, x, state):
    h, c = state
    gi, gf, gc, go = split(x @ sd["weight_ih"].T + sd["bias_ih"] + h @ sd["weight_hh"].T
                           + sd["bias_hh"], 4)
    p_i, p_f, p_o = split(sd["weight_ph"], 3)
    c_new = sig(gf + p_f * c) * c + sig(gi + p_i * c) * np.tanh(gc)
    o = sig(go + p_o * c_new)
    return o * (np.tanh(c_new) @ sd["weight_proj"].T + x @ sd["weight_res"].T), c_new


def wmc_code(sd, x, state):
    h, c = state
    gi, gf, gc, go = split(x @ sd["weight_ih"].T + sd["bias_ih"] + h @ sd["weight_hh"].T
                           + sd["bias_hh"], 4)
    V1, V2, V3 = rows(sd["weight_mh"], 3)
    d1, d2, d3 = split(sd["bias_mh"], 3)
    c_new = (sig(gf + np.tanh(c @ V2.T + d2)) * c
             + sig(gi + np.tanh(c @ V1.T + d1)) * np.tanh(gc))
    o = sig(go + np.tanh(c_new @ V3.T + d3))
    return o * np.tanh(c_new), c_new


def ran_code(sd, x, state):
    h, c = state
    Wc, Wi, Wf = rows(sd["weight_ih"], 3)
    Ui, Uf = rows(sd["weight_hh"], 2)
    bi, bf = split(sd["bias_ih"], 2)
    ci, cf = split(sd["bias_hh"], 2)
    c_new = (sig(x @ Wi.T + bi + h @ Ui.T + ci) * (x @ Wc.T)
             + sig(x @ Wf.T + bf + h @ Uf.T + cf) * c)
    return np.tanh(c_new), c_new


def scrn_code(sd, x, state):
    h, s = state
    alpha = float(sd["alpha"])
    xs, xh = split(x @ sd["weight_ih"].T + sd["bias_ih"], 2)
    R, U = rows(sd["weight_hh"], 2)
    bR, bU = split(sd["bias_hh"], 2)
    s_new = (1 - alpha) * xs + alpha * s
    cs, cy = split(s_new @ sd["weight_ch"].T + sd["bias_ch"], 2)
    z = sig(xh + h @ R.T + bR + cs)
    return np.tanh(z @ U.T + bU + cy), s_new


def janet_code(sd, x, state):
    h, c = state
    s, sc = split(x @ sd["weight_ih"].T + sd["bias_ih"] + h @ sd["weight_hh"].T
                  + sd["bias_hh"], 2)
    c_new = sig(s) * c + (1.0 - sig(s - float(sd["beta"]))) * np.tanh(sc)
    return c_new, c_new


CODE = {"OriginalLSTMCell": original_code, "PeepholeLSTMCell": peephole_code,
        "MultiplicativeLSTMCell": mlstm_code, "ResLSTMCell": reslstm_code,
        "WMCLSTMCell": wmc_code, "RANCell": ran_code, "SCRNCell": scrn_code,
        "JANETCell": janet_code}


# -- helpers ------------------------------------------------------------------------------

def module(cls, *, seed=0, input_size=I_, scale=0.8, **kwargs):
    """A float64 module with parameters uniform in [-scale, scale]; SCRN's alpha (a float32
    parameter, see ``test_scrn_rounds_one_minus_alpha_in_float32``) uniform in [0.5, 1),
    where torch's float32 ``1 - alpha`` is exact (Sterbenz)."""
    mod = getattr(tr, cls)(input_size, H, dtype=torch.float64, **kwargs)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in mod.named_parameters():
            u = torch.rand(p.shape, generator=g, dtype=torch.float64)
            p.copy_(0.5 + 0.5 * u if (cls, name) == ("SCRNCell", "alpha") else (2 * u - 1) * scale)
    return mod


def state_dict(mod):
    return {k: v.detach().numpy().copy() for k, v in mod.state_dict().items()}


def draw(seed=1, input_size=I_):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(B, input_size)), (0.7 * rng.normal(size=(B, H)),
                                              0.7 * rng.normal(size=(B, H)))


def run(mod, x, state):
    out = mod(torch.from_numpy(x), tuple(torch.from_numpy(s) for s in state))
    return tuple(o.detach().numpy() for o in out)


def set_params(mod, **values):
    with torch.no_grad():
        for k, v in values.items():
            getattr(mod, k).copy_(torch.as_tensor(v, dtype=torch.float64))


def central_jacobian(f, state, eps=1e-6):
    """(B, 2H, 2H) central differences of ``f(state) -> (h, c)`` over the stacked state."""
    flat = np.concatenate(state, axis=-1)
    J = np.zeros((B, 2 * H, 2 * H))
    for k in range(2 * H):
        d = np.zeros_like(flat)
        d[:, k] = eps
        up = np.concatenate(f(tuple(split(flat + d, 2))), axis=-1)
        dn = np.concatenate(f(tuple(split(flat - d, 2))), axis=-1)
        J[:, :, k] = (up - dn) / (2 * eps)
    return J


# -- (1) the code, written again, equals the module and numeric.step ----------------------

@pytest.mark.parametrize("cls", sorted(CODE))
def test_numpy_forward_equals_torch_and_numeric_step(cls):
    mod = module(cls)
    x, state = draw()
    ref = CODE[cls](state_dict(mod), x, state)
    for a, b in zip(run(mod, x, state), ref, strict=True):
        assert rel(a, b) < TOL, cls
    p = nm.from_torch(mod)
    for a, b in zip(nm.step(p, x, state), ref, strict=True):
        assert rel(a, b) < TOL, cls


@pytest.mark.parametrize("cls", sorted(CODE))
def test_jacobian_equals_central_differences_of_the_numpy_forward(cls):
    mod = module(cls, seed=3)
    x, state = draw(4)
    sd = state_dict(mod)
    ref = central_jacobian(lambda s: CODE[cls](sd, x, s), state)
    J = nm.jacobian(nm.from_torch(mod), x, state, full=True)
    assert np.max(np.abs(J - ref)) < 1e-8 * max(1.0, np.max(np.abs(ref))), cls


# -- (2) the papers' equations, in their own symbols -------------------------------------

def test_original_lstm_paper_squashing_is_the_code_with_c_halved():
    """Hochreiter & Schmidhuber's g(x) = 4 sigma(x) - 2 = 2 tanh(x/2) and h(x) = 2 sigma(x) - 1
    = tanh(x/2): the paper's cell with state s is the code's with c = s/2 and the candidate's
    pre-activation halved; with the weights as they are, the two differ."""
    mod = module("OriginalLSTMCell", seed=5)
    sd = state_dict(mod)
    x, (y, s) = draw(6)
    W = np.concatenate([sd["weight_ih"], sd["weight_hh"]], axis=1)   # [W_x W_h] per unit
    b = sd["bias_ih"] + sd["bias_hh"]                                 # one bias per unit
    net_in, net_c, net_out = split(np.concatenate([x, y], axis=1) @ W.T + b, 3)
    s_new = s + sig(net_in) * (4 * sig(net_c) - 2)                    # s_c(t), eq. with g
    y_new = sig(net_out) * (2 * sig(s_new) - 1)                       # y^c(t), eq. with h
    p = nm.from_torch(mod)
    half = dict(p.arrays)
    for k in ("W_ig", "W_hg", "b_ig", "b_hg"):
        half[k] = p.arrays[k] / 2
    h_c, c_c = nm.step(nm.Params(p.cell, half), x, (y, s / 2))
    assert rel(c_c, s_new / 2) < TOL and rel(h_c, y_new) < TOL
    h_raw, _ = nm.step(p, x, (y, s / 2))
    assert rel(h_raw, y_new) > 1e-2


def test_peephole_output_gate_reads_the_new_cell():
    mod = module("PeepholeLSTMCell", seed=7)
    x, state = draw(8)
    torch_h, _ = run(mod, x, state)
    old_h, _ = peephole_code(state_dict(mod), x, state, o_reads_old_c=True)
    assert rel(torch_h, old_h) > 1e-3
    assert rel(nm.step(nm.from_torch(mod), x, state)[0], torch_h) < TOL


def test_mlstm_paper_without_biases_is_the_module_without_biases():
    """Krause et al.'s equations (no biases) against a module built with bias=False,
    recurrent_bias=False, multiplicative_bias=False (zero buffers, read by the loader)."""
    mod = module("MultiplicativeLSTMCell", seed=9, bias=False, recurrent_bias=False,
                 multiplicative_bias=False)
    sd = state_dict(mod)
    assert not any(np.any(sd[k]) for k in ("bias_ih", "bias_hh", "bias_mh"))
    W_mx, W_ix, W_fx, W_hx, W_ox = rows(sd["weight_ih"], 5)
    W_mh = sd["weight_hh"]
    W_im, W_fm, W_hm, W_om = rows(sd["weight_mh"], 4)
    x, (h, c) = draw(10)
    m = (x @ W_mx.T) * (h @ W_mh.T)
    h_hat = x @ W_hx.T + m @ W_hm.T
    i, o, f = (sig(x @ W_ix.T + m @ W_im.T), sig(x @ W_ox.T + m @ W_om.T),
               sig(x @ W_fx.T + m @ W_fm.T))
    c_new = f * c + i * np.tanh(h_hat)
    h_new = np.tanh(c_new) * o
    ours = nm.step(nm.from_torch(mod), x, (h, c))
    assert rel(ours[0], h_new) < TOL and rel(ours[1], c_new) < TOL


def test_reslstm_paper_identity_shortcut_and_one_bias():
    """Kim et al. with W_h = I (input size = hidden size) and one bias per gate: the module
    with weight_res = I and bias_hh = 0."""
    mod = module("ResLSTMCell", seed=11, input_size=H)
    set_params(mod, weight_res=np.eye(H), bias_hh=np.zeros(4 * H))
    sd = state_dict(mod)
    W_xi, W_xf, W_xc, W_xo = rows(sd["weight_ih"], 4)
    W_hi, W_hf, W_hc, W_ho = rows(sd["weight_hh"], 4)
    b_i, b_f, b_c, b_o = split(sd["bias_ih"], 4)
    w_ci, w_cf, w_co = split(sd["weight_ph"], 3)
    W_p = sd["weight_proj"]
    x, (h, c) = draw(12, input_size=H)
    i = sig(x @ W_xi.T + h @ W_hi.T + w_ci * c + b_i)
    f = sig(x @ W_xf.T + h @ W_hf.T + w_cf * c + b_f)
    c_new = f * c + i * np.tanh(x @ W_xc.T + h @ W_hc.T + b_c)
    o = sig(x @ W_xo.T + h @ W_ho.T + w_co * c_new + b_o)
    m = np.tanh(c_new) @ W_p.T
    h_new = o * (m + x)
    ours = nm.step(nm.from_torch(mod), x, (h, c))
    assert rel(ours[0], h_new) < TOL and rel(ours[1], c_new) < TOL


def test_wmclstm_paper_is_the_code_without_memory_bias_and_the_docstring_is_not():
    """Landi et al.: tanh(W_c c) added to each gate (no bias inside); torchrecurrent's
    docstring (no tanh, candidate without W_hh h + b_hh) is not what its forward does."""
    mod = module("WMCLSTMCell", seed=13, memory_bias=False)
    sd = state_dict(mod)
    x, (h, c) = draw(14)
    Wx, Wh = rows(sd["weight_ih"], 4), rows(sd["weight_hh"], 4)
    bx, bh = split(sd["bias_ih"], 4), split(sd["bias_hh"], 4)
    W_ic, W_fc, W_oc = rows(sd["weight_mh"], 3)
    pre = [x @ Wx[k].T + h @ Wh[k].T + bx[k] + bh[k] for k in range(4)]
    g = np.tanh(pre[2])
    i = sig(pre[0] + np.tanh(c @ W_ic.T))
    f = sig(pre[1] + np.tanh(c @ W_fc.T))
    c_new = f * c + i * g
    o = sig(pre[3] + np.tanh(c_new @ W_oc.T))
    h_new = o * np.tanh(c_new)
    ours = nm.step(nm.from_torch(mod), x, (h, c))
    assert rel(ours[0], h_new) < TOL and rel(ours[1], c_new) < TOL
    # torchrecurrent's docstring: W_mh c + b_mh without tanh, candidate sigma_c(W_ih^c x + b)
    c_doc = (sig(pre[1] + c @ W_fc.T) * c
             + sig(pre[0] + c @ W_ic.T) * np.tanh(x @ Wx[2].T + bx[2]))
    assert rel(c_doc, c_new) > 1e-2


def test_ran_paper_tanh_is_the_code_and_identity_is_not_offered():
    mod = module("RANCell", seed=15, recurrent_bias=False)
    sd = state_dict(mod)
    W_cx, W_ix, W_fx = rows(sd["weight_ih"], 3)
    W_ih, W_fh = rows(sd["weight_hh"], 2)
    b_i, b_f = split(sd["bias_ih"], 2)
    x, (h, c) = draw(16)
    c_tilde = x @ W_cx.T
    i = sig(h @ W_ih.T + x @ W_ix.T + b_i)
    f = sig(h @ W_fh.T + x @ W_fx.T + b_f)
    c_new = i * c_tilde + f * c
    ours = nm.step(nm.from_torch(mod), x, (h, c))
    assert rel(ours[1], c_new) < TOL and rel(ours[0], np.tanh(c_new)) < TOL
    assert rel(ours[0], c_new) > 1e-2          # RAN(identity), h = c, is another cell


def test_scrn_recurrent_state_is_the_papers_output():
    """Mikolov et al. with alpha = 0.95 fixed, no biases: torchrecurrent's new h is the
    paper's y_t = tanh(U h_t + V s_t), computed from the paper's hidden layer h_t =
    sigma(P s_t + A x_t + R h_{t-1}), which is not what recurs."""
    mod = module("SCRNCell", seed=17, bias=False, recurrent_bias=False, context_bias=False)
    set_params(mod, alpha=0.95)
    sd = state_dict(mod)
    B_, A = rows(sd["weight_ih"], 2)
    R, U = rows(sd["weight_hh"], 2)
    P, V = rows(sd["weight_ch"], 2)
    alpha = mod.alpha.item()                   # 0.95 as float32: see the tests below
    x, (h_prev, s) = draw(18)
    s_new = (1 - alpha) * (x @ B_.T) + alpha * s
    h_paper = sig(s_new @ P.T + x @ A.T + h_prev @ R.T)
    y = np.tanh(h_paper @ U.T + s_new @ V.T)
    p = nm.from_torch(mod)
    assert float(p.arrays["alpha"]) == alpha and abs(alpha - 0.95) < 1e-7
    ours = nm.step(p, x, (h_prev, s))
    assert rel(ours[0], y) < TOL and rel(ours[1], s_new) < TOL
    assert rel(ours[0], h_paper) > 1e-2        # torchrecurrent's docstring's h(t)


def test_janet_paper_beta_one_and_h_equals_c():
    mod = module("JANETCell", seed=19, recurrent_bias=False)
    set_params(mod, beta=1.0)
    sd = state_dict(mod)
    W_f, W_c = rows(sd["weight_ih"], 2)
    U_f, U_c = rows(sd["weight_hh"], 2)
    b_f, b_c = split(sd["bias_ih"], 2)
    x, (h, c) = draw(20)
    s = h @ U_f.T + x @ W_f.T + b_f
    c_tilde = np.tanh(h @ U_c.T + x @ W_c.T + b_c)
    c_new = sig(s) * c + (1 - sig(s - 1.0)) * c_tilde
    ours = nm.step(nm.from_torch(mod), x, (h, c))
    assert rel(ours[1], c_new) < TOL
    np.testing.assert_array_equal(ours[0], ours[1])
    t_h, t_c = mod(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    assert t_h is t_c                          # torchrecurrent returns the same tensor twice


@pytest.mark.parametrize("cls,name", [("SCRNCell", "alpha"), ("JANETCell", "beta")])
def test_learnable_scalar_is_float32_even_in_a_float64_module(cls, name):
    """torchrecurrent builds it as ``nn.Parameter(torch.tensor(value))`` (float32, whatever
    ``dtype``); the loader reads the value torch computes with, not the decimal asked for."""
    mod = getattr(tr, cls)(I_, H, dtype=torch.float64, **{name: 0.1})
    assert getattr(mod, name).dtype == torch.float32 and mod.weight_ih.dtype == torch.float64
    value = float(nm.from_torch(mod).arrays[name])
    assert value == float(np.float32(0.1)) and value != 0.1


def test_scrn_rounds_one_minus_alpha_in_float32():
    """torch computes ``(1 - self.alpha)`` on the float32 parameter (alpha = 0.1 here): the context update is
    ``fl32(1 - alpha) (B x + b_B) + alpha s``. numeric.step computes 1 - alpha in float64, so
    the two agree to float32 rounding (exactly when alpha is in [0.5, 2], as drawn above)."""
    mod = module("SCRNCell", seed=37)
    set_params(mod, alpha=0.1)
    sd = state_dict(mod)
    x, state = draw(38)
    _, s_torch = run(mod, x, state)
    a32 = np.float32(0.1)
    xs, _ = split(x @ sd["weight_ih"].T + sd["bias_ih"], 2)
    s_fl32 = np.float64(np.float32(1) - a32) * xs + np.float64(a32) * state[1]
    assert rel(s_torch, s_fl32) < TOL
    _, s_ours = nm.step(nm.from_torch(mod), x, state)
    assert 1e-12 < rel(s_ours, s_torch) < 2.0 ** -23
    assert rel(s_ours, (1 - np.float64(a32)) * xs + np.float64(a32) * state[1]) < TOL


# -- (3) what the loader refuses, by name ---------------------------------------------------

@pytest.mark.parametrize("cls", ["PeepholeLSTMCell", "ResLSTMCell"])
@pytest.mark.parametrize("option,attr,value", [("nonlinearity", "act", "relu"),
                                               ("gate_nonlinearity", "gate_act",
                                                "hard_sigmoid")])
def test_other_activations_are_refused_by_name(cls, option, attr, value):
    mod = module(cls, **{option: value})
    with pytest.raises(NumericError, match=rf"{attr}=.*not supported"):
        nm.from_torch(mod)
    layer = getattr(tr, cls[:-len("Cell")])(I_, H, dtype=torch.float64, **{option: value})
    with pytest.raises(NumericError, match=attr):
        nm.from_torch(layer)


@pytest.mark.parametrize("cls,cell,name", [("SCRNCell", "scrn", "alpha"),
                                           ("JANETCell", "janet", "beta")])
def test_learnable_scalar_is_read_from_the_state_dict_never_guessed(cls, cell, name):
    mod = module(cls, seed=21)
    sd = mod.state_dict()
    p = nm.from_torch(sd, cell=cell)
    assert float(p.arrays[name]) == getattr(mod, name).item()
    del sd[name]
    with pytest.raises(NumericError, match=rf"'{name}'"):
        nm.from_torch(sd, cell=cell)
    with pytest.raises(NumericError, match=r"not hyper-parameters it keeps outside"):
        nm.from_torch(mod.state_dict(), cell=cell, scalars={name: 0.5})


@pytest.mark.parametrize("cls,cell,key", [("PeepholeLSTMCell", "peephole_lstm", "weight_ph"),
                                          ("ResLSTMCell", "reslstm", "weight_res"),
                                          ("WMCLSTMCell", "wmclstm", "weight_mh"),
                                          ("SCRNCell", "scrn", "weight_ch")])
def test_a_missing_packed_array_is_named(cls, cell, key):
    sd = module(cls).state_dict()
    del sd[key]
    with pytest.raises(NumericError, match=key):
        nm.from_torch(sd, cell=cell)


@pytest.mark.parametrize("cls", sorted(CODE))
def test_modules_without_biases_read_as_zero_biases(cls):
    mod = module(cls, seed=23, bias=False, recurrent_bias=False)
    x, state = draw(24)
    ours = nm.step(nm.from_torch(mod), x, state)
    for a, b in zip(ours, run(mod, x, state), strict=True):
        assert rel(a, b) < TOL, cls


# -- (4) the carry, and the derived bounds on samples ------------------------------------

def _blocks(J):
    return J[:, :H, :H], J[:, :H, H:], J[:, H:, :H], J[:, H:, H:]


def test_original_lstm_carry_is_the_identity_and_c_grows_without_bound():
    mod = module("OriginalLSTMCell", seed=25, scale=2.0)
    p = nm.from_torch(mod)
    x, state = draw(26)
    _, _, _, J_cc = _blocks(nm.jacobian(p, x, state, full=True))
    np.testing.assert_array_equal(J_cc, np.broadcast_to(np.eye(H), J_cc.shape))
    bb = dv.derive_bounds(dv.derive("original_lstm")).block("c", "c")
    assert bb.carry == 1 and bb.global_upper == 1 and bb.rest_global == 0
    assert bb.get(BoundKind.SATURATION) is None      # no gate in the carry to saturate
    # the input gate closed (b_ii = -400, i ~ e^-400): c' = c and dc'/dh = 0 in float64
    arr = dict(p.arrays)
    arr["b_ii"] = np.full(H, -400.0)
    q = nm.Params(p.cell, arr)
    _, c_new = nm.step(q, x, state)
    np.testing.assert_array_equal(c_new, state[1])
    _, _, J_ch, _ = _blocks(nm.jacobian(q, x, state, full=True))
    assert np.max(np.abs(J_ch)) < 1e-100
    # the input gate and candidate open (i = g = 1 in float64): c_T = c_0 + T, unbounded
    arr.update(b_ii=np.full(H, 400.0), b_ig=np.full(H, 400.0))
    q = nm.Params(p.cell, arr)
    h, c = state
    for _ in range(50):
        h, c = nm.step(q, x, (h, c))
    np.testing.assert_allclose(c, state[1] + 50, rtol=0, atol=1e-12)


# forget bias (towards carrying) and input-gate bias (closed) of each cell with a carry gate
SATURATE = {"peephole_lstm": ({"b_if": 30.0}, {"b_ii": -30.0}),
            "multiplicative_lstm": ({"b_fx": 30.0}, {"b_ix": -30.0}),
            "reslstm": ({"b_xf": 30.0}, {"b_xi": -30.0}),
            "wmclstm": ({"b_if": 30.0}, {"b_ii": -30.0}),
            "ran": ({"b_fx": 30.0}, {"b_ix": -30.0}),
            "janet": ({"b_if": 30.0}, {})}


@pytest.mark.parametrize("name", sorted(SATURATE))
def test_forget_open_input_closed_makes_the_cell_rows_carry(name):
    """f -> 1, i -> 0 (JANET: 1 - u -> 0 through the same pre-activation): the c rows of the
    Jacobian tend to [0, I]; where the derivation gives a saturation bound
    ||dc/dc - I|| <= K max(1 - f), it holds on the blocks computed here."""
    p = nm.init(name, H, I_, seed=27)
    x, state = draw(28)
    forget, closed = SATURATE[name]
    arr = dict(p.arrays)
    for k, v in {**forget, **closed}.items():
        arr[k] = np.full(H, v)
    q = nm.Params(p.cell, arr)
    _, _, J_ch, J_cc = _blocks(nm.jacobian(q, x, state, full=True))
    gap = np.linalg.norm(J_cc - np.eye(H), 2, axis=(1, 2))
    assert gap.max() < 1e-10 and np.max(np.abs(J_ch)) < 1e-10
    sat = dv.derive_bounds(dv.derive(name)).block("c", "c").get(BoundKind.SATURATION)
    r = nm.check_bounds(q, x, state, which=("c", "c"))
    assert bool(np.all(r.ok))
    if sat is not None:
        assert np.all(r.epsilon < 1e-12) and np.all(gap <= r.saturation * (1 + 1e-9) + 1e-15)


def test_scrn_context_carries_alpha_exactly():
    mod = module("SCRNCell", seed=29)
    set_params(mod, alpha=0.75)               # exact in float32
    p = nm.from_torch(mod)
    x, state = draw(30)
    _, J_hs, J_sh, J_ss = _blocks(nm.jacobian(p, x, state, full=True))
    np.testing.assert_array_equal(J_ss, np.broadcast_to(0.75 * np.eye(H), J_ss.shape))
    assert np.max(np.abs(J_sh)) == 0.0 and np.max(np.abs(J_hs)) > 1e-3
    assert dv.cell("scrn").carrying is None
    sv = np.linalg.svd(J_ss, compute_uv=False)
    np.testing.assert_allclose(sv, 0.75, rtol=1e-14)


def test_mlstm_recurrent_paths_vanish_with_the_input_factor():
    """Every path from h runs through m = (W_mx x + b_mx) * (W_mh h + b_mh): with x = 0 and
    b_mx = 0 the h columns of the Jacobian are 0 exactly."""
    p = nm.init("multiplicative_lstm", H, I_, seed=31)
    arr = dict(p.arrays)
    arr["b_mx"] = np.zeros(H)
    q = nm.Params(p.cell, arr)
    _, state = draw(32)
    J = nm.jacobian(q, np.zeros((B, I_)), state, full=True)
    J_hh, _, J_ch, _ = _blocks(J)
    assert np.max(np.abs(J_hh)) == 0.0 and np.max(np.abs(J_ch)) == 0.0
    x, _ = draw(33)
    assert np.max(np.abs(_blocks(nm.jacobian(q, x, state, full=True))[0])) > 1e-3


@pytest.mark.parametrize("name", [n for n in CELLS if dv.cell(n).carrying is not None])
def test_chrono_biases_the_carrying_gate_towards_carrying(name):
    """Tallec & Ollivier: the carrying gate's input-side bias is +-log U[1, T - 1] (sign
    towards carrying: + for a forget gate, - for the original LSTM's input gate), its
    recurrent-side bias 0, every other input gate's bias the opposite."""
    c = dv.cell(name)
    p = nm.init(c, H, I_, scheme="chrono", t_max=100, seed=34)
    gate, sign = c.carrying.gate, (1.0 if c.carrying.towards == 1 else -1.0)

    def biases(q):
        return [b.name for b in c.biases if b in q.expr.free_symbols and b not in c.vectors]

    defs = {q.symbol: q for q in c.quantities}
    own = biases(defs[gate])
    b = p.arrays[own[0]]
    assert np.all(sign * b >= 0) and np.all(sign * b <= np.log(99)) and np.any(sign * b > 1)
    assert all(np.all(p.arrays[n] == 0) for n in own[1:])
    for q in c.quantities:
        if q.role is dv.Role.INPUT_GATE and q.symbol != gate:
            np.testing.assert_array_equal(p.arrays[biases(q)[0]], -b)


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("scale", [0.3, 1.0, 3.0])
def test_derived_bounds_hold_on_samples(name, scale):
    c = dv.cell(name)
    dv.derive_bounds(dv.derive(c))            # every cell's bounds derive (no raise)
    p = nm.init(c, H, I_, seed=35, scale=scale)
    x, state = draw(36)
    for which in ["full", *[k for k in dv.derive(c).jacobian.blocks
                            if not dv.derive(c).jacobian.blocks[k].is_zero]]:
        r = nm.check_bounds(p, 2 * x, state, which=which)
        assert bool(np.all(r.ok)), (name, scale, which)

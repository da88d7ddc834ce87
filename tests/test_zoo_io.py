"""The family ``io`` (cells with a separate output or a delayed input) of issue 12.

* Each cell's equations, transcribed here in plain NumPy from its paper (the differences of
  torchrecurrent's code, which the cells follow, written out where they are), equal
  ``numeric.step`` / ``numeric.output`` (1e-12).
* The classes the generic harness cannot map one-to-one: the strongly-typed cells carry
  :math:`x_{t-1}` (gatebound its projections :math:`V x_{t-1}`); the tauGRU's delay line
  lives in its layer. Their step equals the torch module's and their Jacobian equals torch
  autograd's through the chain rule (1e-10); the tauGRU (and the T-GRU, the +RNN) layers
  equal a gatebound rollout over a sequence.
* The loaders refuse every option the cells do not model, naming it.
* The carry: the carrying gate saturated makes the carried block the identity.
"""

from __future__ import annotations

import numpy as np
import pytest

import derivations as dv
import numeric as nm
from derivations.proof import prove
from tests._zoo_numpy import rel

torch = pytest.importorskip("torch")
tr = pytest.importorskip("torchrecurrent")

TOL_STEP, TOL_JAC = 1e-12, 1e-10
I_, H_, B_ = 3, 4, 5


def _sig(u):
    return 1.0 / (1.0 + np.exp(-u))


def _blocks(a, n):
    return np.split(np.asarray(a), n)


def _packed(rng, n, I, H, scale=0.8):
    """Random torchrecurrent-style packed arrays with ``n`` blocks."""
    return {"weight_ih": rng.uniform(-scale, scale, (n * H, I)),
            "weight_hh": rng.uniform(-scale, scale, (n * H, I if n == 3 else H)),
            "bias_ih": rng.uniform(-scale, scale, n * H),
            "bias_hh": rng.uniform(-scale, scale, n * H)}


def _module(cls, I=I_, H=H_, seed=0, **kwargs):
    mod = getattr(tr, cls)(I, H, dtype=torch.float64, **kwargs)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in mod.parameters():
            p.copy_(torch.rand(p.shape, generator=g, dtype=torch.float64) * 1.6 - 0.8)
    return mod


def _randn(seed, *shape):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def _per_sample(J):
    """torch's (B, D, B, E) Jacobian of a batched map -> its (B, D, E) diagonal blocks."""
    return np.stack([J[b, :, b, :] for b in range(J.shape[0])])


# -- the papers' equations, in NumPy ------------------------------------------------------

def ref_tgru(a, x, h, x_prev):
    """Balduzzi & Ghifary 2016, T-GRU; the code's second bias (b_hh) added to the paper's b."""
    W, V = _blocks(a["weight_ih"], 3), _blocks(a["weight_hh"], 3)
    b = _blocks(a["bias_ih"] + a["bias_hh"], 3)
    z = x_prev @ V[0].T + x @ W[0].T + b[0]
    f = _sig(x_prev @ V[1].T + x @ W[1].T + b[1])
    o = np.tanh(x_prev @ V[2].T + x @ W[2].T + b[2])
    return f * h + z * o


def ref_tlstm(a, x, c, x_prev):
    """Balduzzi & Ghifary 2016, T-LSTM: (h_t, c_t); b = b_ih + b_hh as for the T-GRU."""
    W, V = _blocks(a["weight_ih"], 3), _blocks(a["weight_hh"], 3)
    b = _blocks(a["bias_ih"] + a["bias_hh"], 3)
    z = x_prev @ V[0].T + x @ W[0].T + b[0]
    f = _sig(x_prev @ V[1].T + x @ W[1].T + b[1])
    o = np.tanh(x_prev @ V[2].T + x @ W[2].T + b[2])
    c_new = f * c + (1 - f) * z
    return c_new * o, c_new


def ref_taugru(a, x, h, h_delayed):
    """Erichson, Lim & Mahoney 2022: h_{n+1} from h_n and h_{n-tau}; code's two biases."""
    U, W = _blocks(a["weight_ih"], 4), _blocks(a["weight_hh"], 4)
    b = _blocks(a["bias_ih"] + a["bias_hh"], 4)
    u = np.tanh(h @ W[0].T + x @ U[0].T + b[0])
    z = np.tanh(h_delayed @ W[1].T + x @ U[1].T + b[1])
    g = _sig(h @ W[2].T + x @ U[2].T + b[2])
    a_ = _sig(h @ W[3].T + x @ U[3].T + b[3])
    return (1 - g) * h + g * (u + a_ * z)


def ref_intersection(a, x, h):
    """Collins et al. 2017, +RNN: (y_t, h_t), phi_1 = relu, phi_2 = tanh; code's two biases."""
    Wx, Wh = _blocks(a["weight_ih"], 4), _blocks(a["weight_hh"], 4)
    b = _blocks(a["bias_ih"] + a["bias_hh"], 4)
    y_in = np.maximum(h @ Wh[0].T + x @ Wx[0].T + b[0], 0.0)
    h_in = np.tanh(h @ Wh[1].T + x @ Wx[1].T + b[1])
    g_y = _sig(h @ Wh[2].T + x @ Wx[2].T + b[2])
    g_h = _sig(h @ Wh[3].T + x @ Wx[3].T + b[3])
    return g_y * x + (1 - g_y) * y_in, g_h * h + (1 - g_h) * h_in


def ref_mclstm(a, x, v, c):
    """MC-LSTM (torchrecurrent's equations): (h_t, v_t, c_t)."""
    Wx, Wv = _blocks(a["weight_ih"], 5), _blocks(a["weight_hh"], 5)
    b = _blocks(a["bias_ih"] + a["bias_hh"], 5)
    pre = [x @ Wx[k].T + v @ Wv[k].T + b[k] for k in range(5)]
    f, i, o, m = (_sig(p) for p in pre[:4])
    n = np.tanh(pre[4])
    c_new = f * c + i * n
    return o * np.tanh(c_new), m * np.tanh(c_new), c_new


# -- 1. the papers' equations equal the engine ------------------------------------------------

def _typed_state(a, h, x_prev):
    """gatebound's T-GRU/T-LSTM state from torch's: (h or c, V_z x, V_f x, V_o x)."""
    return (h, *(x_prev @ V.T for V in _blocks(a["weight_hh"], 3)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tgru_step_equals_the_paper(seed):
    rng = np.random.default_rng(seed)
    a = _packed(rng, 3, I_, H_)
    p = nm.from_arrays("tgru", **a)
    x, h, x_prev = rng.normal(size=(B_, I_)), rng.normal(size=(B_, H_)), rng.normal(size=(B_, I_))
    new = nm.step(p, x, _typed_state(a, h, x_prev))
    assert rel(new[0], ref_tgru(a, x, h, x_prev)) < TOL_STEP
    # the carried projections are V x_t: the next step's x_{t-1}
    for got, want in zip(new[1:], _typed_state(a, h, x)[1:], strict=True):
        assert rel(got, want) < TOL_STEP
    # no output is declared: the output is h
    assert rel(nm.output(p, x, _typed_state(a, h, x_prev)), new[0]) < TOL_STEP


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tlstm_step_and_output_equal_the_paper(seed):
    rng = np.random.default_rng(seed)
    a = _packed(rng, 3, I_, H_)
    p = nm.from_arrays("tlstm", **a)
    x, c, x_prev = rng.normal(size=(B_, I_)), rng.normal(size=(B_, H_)), rng.normal(size=(B_, I_))
    state = _typed_state(a, c, x_prev)
    h_ref, c_ref = ref_tlstm(a, x, c, x_prev)
    new = nm.step(p, x, state)
    assert rel(new[0], c_ref) < TOL_STEP
    assert rel(nm.output(p, x, state), h_ref) < TOL_STEP
    for got, want in zip(new[1:], _typed_state(a, c, x)[1:], strict=True):
        assert rel(got, want) < TOL_STEP


@pytest.mark.parametrize("delay", [1, 2, 3, 4])
def test_taugru_step_equals_the_paper_and_shifts_the_delay_line(delay):
    rng = np.random.default_rng(delay)
    a = _packed(rng, 4, I_, H_)
    p = nm.from_arrays("taugru", **a, convention=f"delay{delay}")
    x = rng.normal(size=(B_, I_))
    line = [rng.normal(size=(B_, H_)) for _ in range(delay + 1)]   # h_{t-1}, ..., h_{t-1-d}
    new = nm.step(p, x, tuple(line))
    assert len(new) == delay + 1
    assert rel(new[0], ref_taugru(a, x, line[0], line[delay])) < TOL_STEP
    for k in range(1, delay + 1):   # h_dk' = h_{t-k}: exactly the previous line, shifted
        np.testing.assert_array_equal(new[k], line[k - 1])


@pytest.mark.parametrize("seed", [0, 1])
def test_intersection_rnn_output_and_state_equal_the_paper(seed):
    rng = np.random.default_rng(seed)
    a = _packed(rng, 4, H_, H_)
    p = nm.from_arrays("intersection_rnn", **a)
    x, h = rng.normal(size=(B_, H_)), rng.normal(size=(B_, H_))
    y_ref, h_ref = ref_intersection(a, x, h)
    assert rel(nm.step(p, x, h), h_ref) < TOL_STEP
    assert rel(nm.output(p, x, h), y_ref) < TOL_STEP
    assert rel(y_ref, h_ref) > 1e-3   # the output is not the state


@pytest.mark.parametrize("seed", [0, 1])
def test_mclstm_output_and_state_equal_the_equations(seed):
    rng = np.random.default_rng(seed)
    a = _packed(rng, 5, I_, H_)
    p = nm.from_arrays("mclstm", **a)
    x, v, c = rng.normal(size=(B_, I_)), rng.normal(size=(B_, H_)), rng.normal(size=(B_, H_))
    h_ref, v_ref, c_ref = ref_mclstm(a, x, v, c)
    v_new, c_new = nm.step(p, x, (v, c))
    assert rel(v_new, v_ref) < TOL_STEP and rel(c_new, c_ref) < TOL_STEP
    assert rel(nm.output(p, x, (v, c)), h_ref) < TOL_STEP


# -- 2. the classes the generic harness cannot map: step and Jacobian vs torch ----------------

def _sd_arrays(mod):
    return {k: v.detach().numpy() for k, v in mod.state_dict().items()}


@pytest.mark.parametrize("cls", ["TGRUCell", "TLSTMCell"])
def test_typed_cells_step_and_jacobian_equal_torchrecurrent(cls):
    mod = _module(cls)
    a = _sd_arrays(mod)
    V = _blocks(a["weight_hh"], 3)
    x, s0, x_prev = _randn(1, B_, I_), _randn(2, B_, H_) * 0.7, _randn(3, B_, I_)
    p = nm.from_torch(mod)
    assert p.cell.name == cls[:-4].lower()
    state = _typed_state(a, s0.numpy(), x_prev.numpy())
    ours = nm.step(p, x.numpy(), state)
    if cls == "TGRUCell":
        h_new, x_new = mod(x, (s0, x_prev))
        assert rel(ours[0], h_new.detach().numpy()) < TOL_STEP
    else:
        h_new, (c_new, x_new) = mod(x, (s0, x_prev))
        assert rel(ours[0], c_new.detach().numpy()) < TOL_STEP
        assert rel(nm.output(p, x.numpy(), state), h_new.detach().numpy()) < TOL_STEP
    # torch's next state x_t maps to the carried projections V x_t
    for got, Vk in zip(ours[1:], V, strict=True):
        assert rel(got, x_new.detach().numpy() @ Vk.T) < TOL_STEP

    def f(s, xp):
        out = mod(x, (s, xp))
        return out[0] if cls == "TGRUCell" else out[1][0]

    Js, Jx = (_per_sample(j.numpy()) for j in torch.autograd.functional.jacobian(f, (s0, x_prev)))
    J = nm.jacobian(p, x.numpy(), state, full=True)                 # (B, 4H, 4H)
    H = H_
    assert rel(J[:, :H, :H], Js) < TOL_JAC
    # the chain rule: d/dx_prev = sum_k d/dp_k @ V_k
    chained = sum(J[:, :H, (k + 1) * H:(k + 2) * H] @ V[k] for k in range(3))
    assert rel(chained, Jx) < TOL_JAC
    # the projections' rows are zero (p_t reads x_t only), as torch's x_t rows are
    assert np.all(J[:, H:, :] == 0)


def _taugru_cell_step(mod, x, line):
    """The bare torch cell fed as the layer feeds it: (x, h_{t-1}, h_{t-1-d})."""
    return mod(x, line[0], line[-1])


@pytest.mark.parametrize("delay", [1, 2, 3])
def test_taugru_cell_step_and_jacobian_equal_torchrecurrent(delay):
    layer = tr.tauGRU(I_, H_, delay=delay, dtype=torch.float64)
    mod = layer.cells[0]
    g = torch.Generator().manual_seed(delay)
    with torch.no_grad():
        for q in mod.parameters():
            q.copy_(torch.rand(q.shape, generator=g, dtype=torch.float64) * 1.6 - 0.8)
    p = nm.from_torch(layer)
    assert p.cell.convention == f"delay{delay}"
    x = _randn(10, B_, I_)
    line = tuple(_randn(11 + k, B_, H_) * 0.7 for k in range(delay + 1))
    ours = nm.step(p, x.numpy(), tuple(s.numpy() for s in line))
    assert rel(ours[0], _taugru_cell_step(mod, x, line).detach().numpy()) < TOL_STEP

    def f(h, hd):
        return mod(x, h, hd)

    Jh, Jd = (_per_sample(j.numpy())
              for j in torch.autograd.functional.jacobian(f, (line[0], line[-1])))
    J = nm.jacobian(p, x.numpy(), tuple(s.numpy() for s in line), full=True)
    H, D = H_, delay + 1
    assert J.shape == (B_, D * H, D * H)
    assert rel(J[:, :H, :H], Jh) < TOL_JAC
    assert rel(J[:, :H, delay * H:], Jd) < TOL_JAC
    # h_t reads no other delayed state; the line below shifts by identity blocks
    if delay > 1:
        assert np.all(J[:, :H, H:delay * H] == 0)
    shift = np.zeros((D * H, D * H))
    for k in range(1, D):
        shift[k * H:(k + 1) * H, (k - 1) * H:k * H] = np.eye(H)
    np.testing.assert_array_equal(J[:, H:, :], np.broadcast_to(shift[H:], (B_, *shift[H:].shape)))


def _rollout_layers(params, xs, init_states):
    """A stack of gatebound cells over xs (T, B, I): each layer reads the one below's output."""
    outs = []
    states = list(init_states)
    for t in range(xs.shape[0]):
        inp = xs[t]
        for layer, p in enumerate(params):
            s = states[layer]
            y = nm.output(p, inp, s)
            states[layer] = nm.step(p, inp, s)
            inp = y
        outs.append(inp)
    return np.stack(outs), states


@pytest.mark.parametrize("delay", [1, 3])
def test_taugru_layer_equals_a_rollout_over_a_sequence(delay):
    T, L = 9, 2
    layer = tr.tauGRU(I_, H_, num_layers=L, delay=delay, dtype=torch.float64)
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for q in layer.parameters():
            q.copy_(torch.rand(q.shape, generator=g, dtype=torch.float64) * 1.6 - 0.8)
    xs, h0 = _randn(20, T, B_, I_), _randn(21, L, B_, H_) * 0.5
    out, h_n = layer(xs, h0)
    params = [nm.from_torch(layer, layer=k) for k in range(L)]
    zeros = np.zeros((B_, H_))
    init = [(h0[k].numpy(), *([zeros] * delay)) for k in range(L)]   # h_{-k} = 0
    ys, states = _rollout_layers(params, xs.numpy(), init)
    assert rel(ys, out.detach().numpy()) < TOL_STEP
    for k in range(L):
        assert rel(states[k][0], h_n[k].detach().numpy()) < TOL_STEP


def test_tgru_and_tlstm_layers_equal_a_rollout_over_a_sequence():
    T, L = 7, 2
    for cls in ("TGRU", "TLSTM"):
        layer = getattr(tr, cls)(I_, H_, num_layers=L, dtype=torch.float64)
        g = torch.Generator().manual_seed(8)
        with torch.no_grad():
            for q in layer.parameters():
                q.copy_(torch.rand(q.shape, generator=g, dtype=torch.float64) * 1.6 - 0.8)
        xs = _randn(30, T, B_, I_)
        s0 = _randn(31, L, B_, H_) * 0.5
        x_prev = (_randn(32, B_, I_), _randn(33, B_, H_))
        out, (s_n, x_n) = layer(xs, (s0, x_prev))
        params = [nm.from_torch(layer, layer=k) for k in range(L)]
        init = [_typed_state(_sd_arrays(layer.cells[k]), s0[k].numpy(), x_prev[k].numpy())
                for k in range(L)]
        ys, states = _rollout_layers(params, xs.numpy(), init)
        assert rel(ys, out.detach().numpy()) < TOL_STEP, cls
        for k in range(L):
            want = _typed_state(_sd_arrays(layer.cells[k]), s_n[k].detach().numpy(),
                                x_n[k].detach().numpy())
            for got, w in zip(states[k], want, strict=True):
                assert rel(got, w) < TOL_STEP, (cls, k)


def test_intersection_rnn_layer_feeds_its_output_not_its_state():
    T, L = 6, 2
    layer = tr.IntersectionRNN(H_, H_, num_layers=L, dtype=torch.float64)
    g = torch.Generator().manual_seed(9)
    with torch.no_grad():
        for q in layer.parameters():
            q.copy_(torch.rand(q.shape, generator=g, dtype=torch.float64) * 1.6 - 0.8)
    xs, h0 = _randn(40, T, B_, H_), _randn(41, L, B_, H_) * 0.5
    out, h_n = layer(xs, h0)
    params = [nm.from_torch(layer, layer=k) for k in range(L)]
    ys, states = _rollout_layers(params, xs.numpy(), [h0[k].numpy() for k in range(L)])
    assert rel(ys, out.detach().numpy()) < TOL_STEP
    for k in range(L):
        assert rel(states[k], h_n[k].detach().numpy()) < TOL_STEP


# -- 3. the loaders refuse what the cells do not model ---------------------------------------

@pytest.mark.parametrize("cls, kwargs, named", [
    ("TGRUCell", {"output_nonlinearity": "relu"}, "out_act"),
    ("TGRUCell", {"gate_nonlinearity": "hard_sigmoid"}, "gate_act"),
    ("TLSTMCell", {"output_nonlinearity": "sigmoid"}, "out_act"),
    ("TLSTMCell", {"gate_nonlinearity": "tanh"}, "gate_act"),
    ("IntersectionRNNCell", {"depth_nonlinearity": "tanh", "input_size": H_}, "depth_act"),
    ("IntersectionRNNCell", {"recurrent_nonlinearity": "relu", "input_size": H_},
     "recurrent_act"),
    ("IntersectionRNNCell", {"gate_nonlinearity": "hard_sigmoid", "input_size": H_},
     "gate_act"),
    ("MCLSTMCell", {"cell_nonlinearity": "relu"}, "cell_act"),
    ("MCLSTMCell", {"gate_nonlinearity": "hard_sigmoid"}, "gate_act"),
])
def test_loader_refuses_an_activation_the_cell_does_not_model(cls, kwargs, named):
    kwargs = dict(kwargs)
    I = kwargs.pop("input_size", I_)
    mod = _module(cls, I=I, **kwargs)
    with pytest.raises(nm.NumericError, match=named):
        nm.from_torch(mod)


@pytest.mark.parametrize("kwargs, named", [({"nonlinearity": "relu"}, "act"),
                                           ({"gate_nonlinearity": "hard_sigmoid"}, "gate_act")])
def test_taugru_loader_refuses_another_activation(kwargs, named):
    layer = tr.tauGRU(I_, H_, dtype=torch.float64, **kwargs)
    with pytest.raises(nm.NumericError, match=named):
        nm.from_torch(layer)


def test_taugru_bare_cell_is_refused_its_delay_unknown():
    mod = _module("tauGRUCell")
    with pytest.raises(nm.NumericError, match=r"delay.*taugru:delay<d>"):
        nm.from_torch(mod)
    # its state dict, with the delay named, reads
    p = nm.from_torch(mod.state_dict(), cell="taugru:delay3")
    assert p.cell.convention == "delay3"
    np.testing.assert_array_equal(p.weight_hh, mod.weight_hh.detach().numpy())


def test_taugru_layer_with_a_delay_not_modelled_is_refused():
    layer = tr.tauGRU(I_, H_, delay=5, dtype=torch.float64)
    with pytest.raises(nm.NumericError, match=r"delay=5"):
        nm.from_torch(layer)
    with pytest.raises(nm.NumericError, match=r"delay7"):
        nm.from_torch(layer.state_dict(), cell="taugru:delay7")


def test_taugru_state_dict_default_is_delay_1_as_the_layer():
    layer = tr.tauGRU(I_, H_, dtype=torch.float64)
    assert layer.delay == 1
    assert nm.from_torch(layer.state_dict(), cell="taugru").cell.convention == "delay1"
    assert nm.from_torch(layer).cell.convention == "delay1"


@pytest.mark.parametrize("cls, cell", [("TGRUCell", "tgru"), ("TLSTMCell", "tlstm"),
                                       ("MCLSTMCell", "mclstm")])
def test_state_dict_reads_as_the_module_and_refuses_scalars(cls, cell):
    mod = _module(cls)
    direct = nm.from_torch(mod)
    via_sd = nm.from_torch(mod.state_dict(), cell=cell)
    assert via_sd.cell is direct.cell
    for k, arr in direct.arrays.items():
        np.testing.assert_array_equal(via_sd.arrays[k], arr)
    with pytest.raises(nm.NumericError, match=r"scalars \['dt'\]"):
        nm.from_torch(mod.state_dict(), cell=cell, scalars={"dt": 0.1})


def test_bias_free_modules_read_their_zero_buffers():
    mod = _module("TGRUCell", bias=False, recurrent_bias=False)
    p = nm.from_torch(mod)
    assert not np.any(p.bias_ih) and not np.any(p.bias_hh)
    x, h, xp = _randn(50, B_, I_), _randn(51, B_, H_), _randn(52, B_, I_)
    state = _typed_state(_sd_arrays(mod), h.numpy(), xp.numpy())
    assert rel(nm.step(p, x.numpy(), state)[0], mod(x, (h, xp))[0].detach().numpy()) < TOL_STEP


# -- 4. the carry ---------------------------------------------------------------------------

def _saturated(cell, conv, gate_block, n_blocks, value, I, seed=0):
    """Parameters with the carrying gate's input-side bias at ``value`` (+-40: exact 0 or 1
    in float64)."""
    rng = np.random.default_rng(seed)
    a = _packed(rng, n_blocks, I, H_)
    a["bias_ih"][gate_block * H_:(gate_block + 1) * H_] = value
    return nm.from_arrays(cell, **a, convention=conv)


@pytest.mark.parametrize("cell, conv, block, n, value, I, nstates", [
    ("tgru", None, 1, 3, 40.0, I_, 4),           # f -> 1
    ("tlstm", None, 1, 3, 40.0, I_, 4),          # f -> 1
    ("taugru", "delay2", 2, 4, -40.0, I_, 3),    # g -> 0
    ("intersection_rnn", None, 3, 4, 40.0, H_, 1),   # g_h -> 1
])
def test_saturated_carrying_gate_makes_the_carried_block_the_identity(cell, conv, block, n,
                                                                      value, I, nstates):
    p = _saturated(cell, conv, block, n, value, I)
    c = p.cell
    assert c.carrying is not None
    rng = np.random.default_rng(1)
    x = rng.normal(size=(B_, I))
    state = tuple(rng.normal(size=(B_, H_)) for _ in range(nstates))
    J = nm.jacobian(p, x, state if nstates > 1 else state[0], full=True)
    H = H_
    np.testing.assert_allclose(J[:, :H, :H], np.broadcast_to(np.eye(H), (B_, H, H)),
                               rtol=0, atol=1e-15)
    if cell == "taugru":   # g = 0 also cuts the delayed feedback
        np.testing.assert_allclose(J[:, :H, H:], 0.0, rtol=0, atol=1e-15)


def test_mclstm_saturated_forget_gate_carries_c():
    rng = np.random.default_rng(3)
    a = _packed(rng, 5, I_, H_)
    a["bias_ih"][:H_] = 40.0       # f -> 1
    p = nm.from_arrays("mclstm", **a)
    x, v, c = rng.normal(size=(B_, I_)), rng.normal(size=(B_, H_)), rng.normal(size=(B_, H_))
    J = nm.jacobian(p, x, (v, c), full=True)
    np.testing.assert_allclose(J[:, H_:, H_:], np.broadcast_to(np.eye(H_), (B_, H_, H_)),
                               rtol=0, atol=1e-15)


# -- the derivation machinery --------------------------------------------------------------

@pytest.mark.parametrize("name, conv", [(n, c) for n in dv.cells._fam_io.CELLS
                                        for c in dv.CELLS[n]])
def test_family_cells_derive_bound_prove_and_initialise(name, conv):
    cell = dv.cell(name, conv)
    dv.derive_bounds(dv.derive(cell))
    assert prove(cell, 2).ok
    I = 8 if cell.input_in_state_dim else 3     # the +RNN reads x in the state dimension
    nm.init(cell, hidden_size=8, input_size=I, seed=0)
    assert cell.carrying is not None
    nm.init(cell, hidden_size=8, input_size=I, seed=0, scheme="chrono", t_max=50)


def test_intersection_rnn_state_dict_with_input_size_not_hidden_size_is_refused():
    rng = np.random.default_rng(0)
    sd = _packed(rng, 4, I_, H_)
    sd["weight_hh"] = rng.uniform(-0.8, 0.8, (4 * H_, H_))
    with pytest.raises(nm.NumericError, match=r"W_yx.*\(4, 3\)"):
        nm.from_torch(sd, cell="intersection_rnn")

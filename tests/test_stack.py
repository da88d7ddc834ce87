"""Stacks against PyTorch: rollouts equal the modules' outputs, and the gradient norms
through time and depth equal torch autograd's norms of the same vector-Jacobian products."""

from __future__ import annotations

import numpy as np
import pytest

import numeric
from numeric import NumericError
from numeric.stack_gradients import input_vjp
from tests._numeric_cases import other_sizes
from tests._suite_cells import suite_cells

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

CELLS = {"GRU": torch.nn.GRUCell, "LSTM": torch.nn.LSTMCell, "RNN": torch.nn.RNNCell}


def _module(kind, I, H, layers, bidirectional, seed, **kw):
    torch.manual_seed(seed)
    cls = getattr(torch.nn, kind)
    m = cls(I, H, num_layers=layers, bidirectional=bidirectional, **kw).double()
    with torch.no_grad():  # wider than the default init: gates away from 1/2, norms varied
        for p in m.parameters():
            p.mul_(2.0)
    return m


def _lstmp_cell(W_ih, W_hh, b_ih, b_hh, W_hr):
    """One step of PyTorch's projected LSTM (``nn.LSTM(proj_size=P)``, Sak et al. 2014) in
    torch ops: ``h' = W_hr (o * tanh(c'))``; checked against the module's own outputs."""
    def cell(x, s):
        h, c = s
        i, f, g, o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)
        c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return (torch.sigmoid(o) * torch.tanh(c2)) @ W_hr.T, c2
    return cell


def _cells(m, kind):
    """Per layer, per direction, a torch cell holding the module's weights."""
    out = []
    for k in range(m.num_layers):
        dirs = []
        for sfx in ("", "_reverse")[: 1 + m.bidirectional]:
            if kind == "LSTM" and m.proj_size:
                dirs.append(_lstmp_cell(*(getattr(m, f"{n}_l{k}{sfx}").detach() for n in
                                          ("weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                           "weight_hr"))))
                continue
            kw = {"nonlinearity": m.nonlinearity} if kind == "RNN" else {}
            c = CELLS[kind](getattr(m, f"weight_ih_l{k}{sfx}").shape[1], m.hidden_size,
                            **kw).double()
            with torch.no_grad():
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(c, name).copy_(getattr(m, f"{name}_l{k}{sfx}"))
            dirs.append(c)
        out.append(dirs)
    return out


def _torch_reference(m, kind, xs, v):
    """(top outputs (T, B, O), state norms (L, T, B), input norms (T, B)) by autograd over
    a loop of torch cells with the module's weights (the gradient of every state after
    each step read from a zero leaf added to it)."""
    T, B, _ = xs.shape
    H = m.hidden_size
    P = getattr(m, "proj_size", 0) or H   # the size of h (an LSTM's projection, else H)
    sizes = (P, H) if kind == "LSTM" else (H,)
    x = torch.tensor(xs, requires_grad=True)
    inp = [x[t] for t in range(T)]
    kept = []
    for dirs in _cells(m, kind):
        outs, layer_states = [], []
        for d, c in enumerate(dirs):
            order = range(T) if d == 0 else range(T - 1, -1, -1)
            h = torch.zeros(B, P, dtype=torch.float64)
            s = (h, torch.zeros(B, H, dtype=torch.float64)) if kind == "LSTM" else h
            sts, ys = [None] * T, [None] * T
            for t in order:
                s = c(inp[t], s)
                # zero leaves added to the state: their gradients are those of the state
                # as a point (h and c independent coordinates, as the engine's J), not
                # c.grad, which also counts h_t = o tanh(c_t) inside the step
                dz = tuple(torch.zeros(B, n, dtype=torch.float64, requires_grad=True)
                           for n in sizes)
                parts = tuple(a + b for a, b in zip(s if kind == "LSTM" else (s,), dz, strict=True))
                s = parts if kind == "LSTM" else parts[0]
                sts[t], ys[t] = dz, parts[0]
            outs.append(ys)
            layer_states.append(sts)
        inp = [torch.cat([o[t] for o in outs], dim=1) for t in range(T)]
        kept.append(layer_states)
    (inp[T - 1] * torch.tensor(v)).sum().backward()
    snorm = np.array([[_norm([np.zeros(tuple(p.shape)) if p.grad is None else p.grad.numpy()
                              for sts in layer_states for p in sts[t]])
                       for t in range(T)] for layer_states in kept])
    top = np.stack([i.detach().numpy() for i in inp])
    return top, snorm, np.array([_norm([x.grad.numpy()[t]]) for t in range(T)])


def _norm(parts):
    """Per-row 2-norm over the (B, d) ``parts``, scaled so tiny gradients do not underflow."""
    g = np.concatenate(parts, axis=1)
    s = np.abs(g).max(axis=1, keepdims=True)
    return s[:, 0] * np.sqrt(((g / np.where(s > 0, s, 1)) ** 2).sum(axis=1))


CASES = [
    ("GRU", dict(layers=3, bidirectional=True), {}),
    ("LSTM", dict(layers=2, bidirectional=False), {}),
    ("RNN", dict(layers=2, bidirectional=False), {"nonlinearity": "relu"}),
    ("LSTM", dict(layers=2, bidirectional=True), {}),
    ("LSTM", dict(layers=2, bidirectional=False), {"proj_size": 2}),   # LSTMP: h of size P
    ("LSTM", dict(layers=2, bidirectional=True), {"proj_size": 3}),
]


def _case_id(kind, shape, kw):
    extra = "".join(f"-{v}" if k == "nonlinearity" else f"-{k}{v}" for k, v in kw.items())
    return f"{kind}-{shape['layers']}{'-bi' if shape['bidirectional'] else ''}{extra}"


@pytest.mark.parametrize(("kind", "shape", "kw"), CASES, ids=[_case_id(*c) for c in CASES])
def test_stack_matches_torch_outputs_and_autograd_norms(kind, shape, kw):
    I, H, T, B = 3, 5, 200, 4
    m = _module(kind, I, H, shape["layers"], shape["bidirectional"], seed=1, **kw)
    stack = numeric.stack_from_torch(m)
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(T, B, I))
    with torch.no_grad():
        want, _ = m(torch.tensor(xs))
    got = stack.rollout(xs)
    np.testing.assert_allclose(got.outputs, want.numpy(), rtol=0, atol=1e-12)
    res = numeric.stack_gradient_norms(stack, xs, seed=3)
    top, snorm, xnorm = _torch_reference(m, kind, xs, res.v)
    np.testing.assert_allclose(top, want.numpy(), rtol=0, atol=1e-12)  # the reference's own check
    assert res.states.shape == (shape["layers"], T, B) and res.inputs.shape == (T, B)
    assert np.all(snorm > 0) and np.all(xnorm > 0)
    np.testing.assert_allclose(res.states, np.log(snorm), rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.inputs, np.log(xnorm), rtol=0, atol=1e-10)
    # the norms do vary over the grid (not a constant that would match by accident)
    assert np.ptp(res.inputs) > 1.0


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "shape", "kw"), [*CASES[:2], CASES[-1]],
                         ids=["GRU-3-bi", "LSTM-2", "LSTM-2-bi-proj_size3"])
def test_stack_gradient_norms_match_autograd_over_1000_steps(kind, shape, kw):
    I, H, T, B = 3, 5, 1000, 4
    m = _module(kind, I, H, shape["layers"], shape["bidirectional"], seed=1, **kw)
    stack = numeric.stack_from_torch(m)
    xs = np.random.default_rng(0).normal(size=(T, B, I))
    res = numeric.stack_gradient_norms(stack, xs, seed=3)
    _, snorm, xnorm = _torch_reference(m, kind, xs, res.v)
    assert np.all(snorm > 0) and np.all(xnorm > 0)
    np.testing.assert_allclose(res.states, np.log(snorm), rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.inputs, np.log(xnorm), rtol=0, atol=1e-10)


def test_stack_of_mixed_cells_matches_the_torch_modules_chained():
    """A bidirectional GRU under an LSTM: the rollout equals the two torch modules chained."""
    g = _module("GRU", 3, 4, 1, True, seed=5)
    lstm = _module("LSTM", 8, 6, 1, False, seed=6)
    stack = numeric.Stack([numeric.stack_from_torch(g).layers[0],
                           numeric.stack_from_torch(lstm).layers[0][0]])
    xs = np.random.default_rng(1).normal(size=(30, 2, 3))
    with torch.no_grad():
        want, _ = lstm(g(torch.tensor(xs))[0])
    np.testing.assert_allclose(stack.rollout(xs).outputs, want.numpy(), rtol=0, atol=1e-12)


def test_stack_refuses_sizes_that_do_not_fit_naming_the_layer():
    a = numeric.init("gru", hidden_size=4, input_size=3, seed=0)
    b = numeric.init("lstm", hidden_size=4, input_size=5, seed=0)
    with pytest.raises(NumericError, match=r"layer 1 reads inputs of size 5, but layer 0 "
                                           r"outputs 8 features \(both directions\)"):
        numeric.Stack([(a, a), b])
    with pytest.raises(NumericError, match="layer 0: the forward direction reads 3 inputs"):
        numeric.Stack([(a, numeric.init("gru", hidden_size=4, input_size=2, seed=0))])
    with pytest.raises(NumericError, match="layer 1: expected numeric.Params"):
        numeric.Stack([a, "gru"])
    with pytest.raises(NumericError, match="at least one layer"):
        numeric.Stack([])
    s = numeric.Stack([a])
    with pytest.raises(NumericError, match=r"xs has shape \(4, 2, 2\)"):
        s.rollout(np.zeros((4, 2, 2)))
    with pytest.raises(NumericError, match="states0 must list one initial state per layer"):
        s.rollout(np.zeros((4, 2, 3)), [np.zeros((2, 4))] * 2)


def test_stack_from_torch_reads_projected_lstm_state_dicts_with_cell_lstmp():
    """Every layer of a projected LSTM's state dict (layer 1 reads 2P inputs) as lstmp; the
    rollout equals the module's outputs. cell='lstm' is refused naming the projection."""
    m = _module("LSTM", 3, 5, 2, True, seed=2, proj_size=2)
    sd = m.state_dict()
    s = numeric.stack_from_torch(sd, cell="lstmp")
    assert [p.state_sizes for lay in s.layers for p in lay] == [(2, 5)] * 4
    assert s.layers[1][0].input_size == 4 and s.output_size() == 4
    xs = np.random.default_rng(2).normal(size=(9, 3, 3))
    with torch.no_grad():
        want, _ = m(torch.tensor(xs))
    np.testing.assert_allclose(s.rollout(xs).outputs, want.numpy(), rtol=0, atol=1e-12)
    with pytest.raises(NumericError, match=r"layer 0: the state dict has an LSTM projection "
                                           r"'weight_hr_l0' .*pass cell='lstmp'"):
        numeric.stack_from_torch(sd, cell="lstm")


def test_stack_from_torch_reads_state_dicts_with_cell():
    m = _module("GRU", 3, 4, 2, True, seed=2)
    sd = m.state_dict()
    s = numeric.stack_from_torch(sd, cell="gru")
    xs = np.random.default_rng(2).normal(size=(9, 3, 3))
    with torch.no_grad():
        want, _ = m(torch.tensor(xs))
    np.testing.assert_allclose(s.rollout(xs).outputs, want.numpy(), rtol=0, atol=1e-12)


def test_stack_rollout_initial_states_match_torch():
    m = _module("LSTM", 3, 4, 2, True, seed=4)
    s = numeric.stack_from_torch(m)
    rng = np.random.default_rng(4)
    xs = rng.normal(size=(7, 2, 3))
    h0, c0 = rng.normal(size=(4, 2, 4)), rng.normal(size=(4, 2, 4))  # (layers * dirs, B, H)
    states0 = [((h0[2 * k], c0[2 * k]), (h0[2 * k + 1], c0[2 * k + 1])) for k in range(2)]
    with torch.no_grad():
        want, _ = m(torch.tensor(xs), (torch.tensor(h0), torch.tensor(c0)))
    np.testing.assert_allclose(s.rollout(xs, states0).outputs, want.numpy(), rtol=0, atol=1e-12)


def test_one_layer_stack_gradient_norms_equal_gradient_norms():
    """One layer: the sweep's state norms are numeric.gradient_norms' from s_1 (v on h)."""
    p = numeric.init("lstm", hidden_size=6, input_size=3, seed=7)
    xs = np.random.default_rng(7).normal(size=(40, 3, 3))
    res = numeric.stack_gradient_norms(numeric.Stack([p]), xs, seed=1)
    zero = np.zeros((3, 6))
    s1 = tuple(a[0] for a in numeric.rollout(p, xs[:1], (zero, zero)))
    want = numeric.gradient_norms(p, xs[1:], s1, v=(res.v, zero)).log_norms
    np.testing.assert_allclose(res.states[0, :-1], want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.states[0, -1], 0.0, rtol=0, atol=1e-15)


def test_stack_gradient_norms_refuse_bad_arguments_before_any_work():
    a = numeric.init("gru", hidden_size=4, input_size=3, seed=0)
    s = numeric.Stack([(a, a)])
    xs = np.zeros((5, 2, 3))
    with pytest.raises(NumericError, match=r"v has shape \(2, 4\); expected finite \(2, 8\)"):
        numeric.stack_gradient_norms(s, xs, v=np.ones((2, 4)))
    with pytest.raises(NumericError, match="stack: expected numeric.Stack, got Params"):
        numeric.stack_gradient_norms(a, xs)
    with pytest.raises(NumericError, match=r"states0\[0\]: layer 0 is bidirectional"):
        numeric.stack_gradient_norms(s, xs, [np.zeros((2, 4))])
    assert numeric.stack_gradient_norms(s, np.zeros((5, 0, 3))).inputs.shape == (5, 0)


@pytest.mark.parametrize("cell", suite_cells(), ids=lambda c: c.title)
def test_input_vjp_matches_central_differences(cell):
    """The derived input block (what carries gradient down a stack) of every suite cell."""
    H = 3
    I = H if cell.input_in_state_dim else 2
    p = numeric.init(cell, hidden_size=H, input_size=I, seed=2, sizes=other_sizes(cell, H))
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, I))
    state = tuple(rng.uniform(-0.5, 0.5, size=(4, n)) for n in p.state_sizes)
    state = state[0] if len(state) == 1 else state
    g = tuple(rng.normal(size=(4, n)) for n in p.state_sizes)
    g = g[0] if len(g) == 1 else g

    def f(xx):
        nxt = numeric.step(p, xx, state)
        nxt = nxt if isinstance(nxt, tuple) else (nxt,)
        gg = g if isinstance(g, tuple) else (g,)
        return sum((a * b).sum(axis=1) for a, b in zip(nxt, gg, strict=True))

    eps = 1e-6
    want = np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(I)], axis=1)
    got = input_vjp(p, x, state, g)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["intersection_rnn", "mclstm", "tlstm"])
def test_declared_outputs_gradient_norms_match_central_differences(name):
    """Cells that declare their output (not their first state) in a bidirectional layer
    under a GRU: log ||v^T dy_T / dx_t|| equals central differences of the stack's rollout."""
    H, I, T, B = 3, 2, 6, 2
    if numeric.params.resolve_cell(name).input_in_state_dim:
        I = H
    a = numeric.init(name, hidden_size=H, input_size=I, seed=1)
    b = numeric.init(name, hidden_size=H, input_size=I, seed=2)
    top = numeric.init("gru", hidden_size=4, input_size=numeric.Stack([(a, b)]).output_size(),
                       seed=3)
    stack = numeric.Stack([(a, b), top])
    xs = np.random.default_rng(5).normal(size=(T, B, I))
    res = numeric.stack_gradient_norms(stack, xs, seed=2)

    def y(z):
        return (stack.rollout(z).outputs[-1] * res.v).sum(axis=1)

    eps, grad = 1e-6, np.empty((T, B, I))
    for t in range(T):
        for i in range(I):
            e = np.zeros_like(xs)
            e[t, :, i] = eps
            grad[t, :, i] = (y(xs + e) - y(xs - e)) / (2 * eps)
    np.testing.assert_allclose(np.exp(res.inputs), np.linalg.norm(grad, axis=2), rtol=1e-6)


def test_stack_jacobian_matches_torch_autograd():
    """The stacked one-step Jacobian (GRU, LSTM, relu RNN) equals autograd's of the
    stacked step written with torch cells."""
    g = _module("GRU", 3, 4, 1, False, seed=8)
    lstm = _module("LSTM", 4, 5, 1, False, seed=9)
    rnn = _module("RNN", 5, 3, 1, False, seed=10, nonlinearity="relu")
    stack = numeric.Stack([numeric.stack_from_torch(m).layers[0][0] for m in (g, lstm, rnn)])
    cells = [_cells(m, k)[0][0] for m, k in ((g, "GRU"), (lstm, "LSTM"), (rnn, "RNN"))]
    rng = np.random.default_rng(3)
    B = 3
    x = rng.normal(size=(B, 3))
    h0, h1, c1, h2 = (rng.uniform(-0.8, 0.8, size=(B, n)) for n in (4, 5, 5, 3))
    got = numeric.stack_jacobian(stack, x, [h0, (h1, c1), h2])

    def step(S, xb):
        a, b, c, d = S[:4], S[4:9], S[9:14], S[14:]
        a2 = cells[0](xb[None], a[None])[0]
        b2, c2 = (u[0] for u in cells[1](a2[None], (b[None], c[None])))
        d2 = cells[2](b2[None], d[None])[0]
        return torch.cat([a2, b2, c2, d2])

    for i in range(B):
        S = torch.tensor(np.concatenate([h0[i], h1[i], c1[i], h2[i]]))
        want = torch.autograd.functional.jacobian(lambda s, i=i: step(s, torch.tensor(x[i])), S)
        np.testing.assert_allclose(got[i], want.numpy(), rtol=0, atol=1e-13)
    assert np.abs(got[:, 4:, :4]).max() > 0.01   # the blocks below the diagonal are there
    assert np.all(got[:, :4, 4:] == 0)           # and none above
    with pytest.raises(NumericError, match="layer 0 is bidirectional"):
        numeric.stack_jacobian(numeric.stack_from_torch(_module("GRU", 3, 4, 1, True, seed=1)),
                               x, [(h0, h0)])

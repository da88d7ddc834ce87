"""from_torch on the implementations people use: torch.nn.RNN(nonlinearity='relu'),
mingru-pytorch's minGRU/minLSTM, xlstm's sLSTMCell/sLSTMLayer (vanilla backend) and
recurrentgemma's RGLRU. In float64 with random parameters, ``numeric.step`` equals the
module's own step and ``numeric.jacobian`` equals torch autograd's Jacobian of that step
with respect to the previous state (rtol 1e-10); configurations no cell models are refused
by name with one NumericError.

The peers are installed by ``make test`` (Makefile, ``--no-deps``); a test whose peer is
missing is skipped with the reason. recurrentgemma's package ``__init__`` imports JAX, so
its torch layers are imported here without running it (:func:`_recurrentgemma_layers`);
the RG-LRU is also checked, without the package, against the state-dict layout and the
equations its source writes (:func:`test_rglru_state_dict_layout_matches_its_source`).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
import types

import numpy as np
import pytest

import derivations as dv
import numeric

torch = pytest.importorskip("torch", reason="the peers' modules are PyTorch modules")
pytestmark = pytest.mark.torch

RTOL, ATOL = 1e-10, 1e-12


def _cell_exists(name, convention=None):
    try:
        dv.cell(name, convention)
    except dv.DerivationError:
        pytest.skip(f"cell {name!r} ({convention}) is not in derivations yet")


def _randomize(mod, seed=0, scale=0.6):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in mod.parameters():
            p.copy_(scale * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return mod


def _batch_jacobian(f, s):
    """(B, D, D): autograd's Jacobian of ``f`` (B, D) -> (B, D), row b with respect to row b."""
    J = torch.autograd.functional.jacobian(f, s)
    return torch.stack([J[b, :, b, :] for b in range(s.shape[0])]).numpy()


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=RTOL, atol=ATOL)


# -- torch.nn.RNN(nonlinearity='relu') -------------------------------------------------

def test_rnn_relu_every_layer_and_direction_matches_torch():
    _cell_exists("elman", "relu")
    torch.manual_seed(0)
    rnn = torch.nn.RNN(3, 4, num_layers=2, bidirectional=True, nonlinearity="relu").double()
    B = 5
    x = torch.randn(1, B, 3, dtype=torch.float64)
    h0 = torch.randn(4, B, 4, dtype=torch.float64)
    _, hn = rnn(x, h0)
    inputs = [x[0], torch.cat([hn[0], hn[1]], dim=1)]   # layer 1 reads both of layer 0's
    for layer in (0, 1):
        for reverse in (False, True):
            k = 2 * layer + reverse
            p = numeric.from_torch(rnn, layer, reverse=reverse)
            assert p.cell.convention == "relu"
            xin = inputs[layer].detach()
            _close(numeric.step(p, xin.numpy(), h0[k].numpy()), hn[k].detach().numpy())

            def f(h, k=k):         # the module's step; only this layer's state varies
                hh = h0.clone()
                hh[k] = h
                return rnn(x, hh)[1][k]

            J = numeric.jacobian(p, xin.numpy(), h0[k].numpy())
            _close(J, _batch_jacobian(f, h0[k].clone()))
            sd = numeric.from_torch(rnn.state_dict(), layer, reverse=reverse, cell="elman:relu")
            _close(sd.weight_hh, p.weight_hh)
            assert sd.cell.convention == "relu"


def test_rnncell_relu_matches_torch_and_state_dict_needs_nonlinearity():
    _cell_exists("elman", "relu")
    torch.manual_seed(1)
    cell = torch.nn.RNNCell(3, 6, nonlinearity="relu").double()
    x = torch.randn(4, 3, dtype=torch.float64)
    h = torch.randn(4, 6, dtype=torch.float64)
    p = numeric.from_torch(cell)
    _close(numeric.step(p, x.numpy(), h.numpy()), cell(x, h).detach().numpy())
    _close(numeric.jacobian(p, x.numpy(), h.numpy()),
           _batch_jacobian(lambda s: cell(x, s), h))
    q = numeric.from_torch(cell.state_dict(), cell="elman", nonlinearity="relu")
    assert q.cell.convention == "relu"
    tanh = numeric.from_torch(cell.state_dict(), cell="elman")   # a state dict cannot say
    assert tanh.cell.convention != "relu"


# -- mingru-pytorch --------------------------------------------------------------------

@pytest.mark.parametrize("expansion", [1.0, 2.0])
@pytest.mark.parametrize("kind", ["minGRU", "minLSTM"])
def test_mingru_pytorch_step_and_jacobian_match_the_module(kind, expansion):
    pkg = pytest.importorskip(f"minGRU_pytorch.{kind}", reason="mingru-pytorch is not installed")
    cellname = kind.lower()
    _cell_exists(cellname, "g")
    mod = _randomize(getattr(pkg, kind)(3, expansion_factor=expansion).double(), seed=2)
    inner = int(3 * expansion)
    B = 6
    x = torch.randn(B, 1, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    h = torch.randn(B, 1, inner, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(4))
    out, nxt = mod(x, prev_hidden=h, return_next_prev_hidden=True)
    p = numeric.from_torch(mod)
    assert (p.cell.name, p.cell.convention, p.hidden_size) == (cellname, "g", inner)
    h_next = numeric.step(p, x[:, 0].numpy(), h[:, 0].numpy())
    _close(h_next, nxt[:, 0].detach().numpy())
    # the state is the inner hidden state; to_out is a readout outside the recurrence
    _close(mod.to_out(torch.from_numpy(h_next)).detach().numpy(), out[:, 0].detach().numpy())
    J = numeric.jacobian(p, x[:, 0].numpy(), h[:, 0].numpy())
    ref = _batch_jacobian(lambda s: mod(x, prev_hidden=s[:, None], return_next_prev_hidden=True)
                          [1][:, 0], h[:, 0].clone())
    _close(J, ref)
    q = numeric.from_torch({"layer." + k: v for k, v in mod.state_dict().items()},
                           cell=cellname)
    assert set(q.arrays) == set(p.arrays)
    for n in p.arrays:
        _close(q.arrays[n], p.arrays[n])


# -- xlstm -----------------------------------------------------------------------------

def _slstm_state(B, H, seed):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(4, B, H, dtype=torch.float64, generator=g)
    s[2] = s[2].abs() + 0.5       # n > 0 (xlstm takes m' = i~ where n == 0 everywhere)
    return s


def _slstm_check(p, x, s, module_step):
    """step and full Jacobian of params ``p`` against ``module_step(x, s) -> (4, B, H)``."""
    B, H = s.shape[1], s.shape[2]
    nxt = module_step(s)
    got = numeric.step(p, x.numpy(), tuple(s.numpy()))
    for a, b in zip(got, nxt.detach().numpy(), strict=True):
        _close(a, b)

    def flat(v):                   # (B, 4H), the states in cell order h, c, n, m
        return module_step(v.reshape(B, 4, H).permute(1, 0, 2)).permute(1, 0, 2).reshape(B, -1)

    ref = _batch_jacobian(flat, s.permute(1, 0, 2).reshape(B, -1).clone())
    _close(numeric.jacobian(p, x.numpy(), tuple(s.numpy()), full=True), ref)


def test_xlstm_slstm_cell_step_and_jacobian_match_the_vanilla_backend():
    pytest.importorskip("xlstm", reason="xlstm is not installed")
    _cell_exists("slstm_stabilized", "sigmoid")
    from xlstm.blocks.slstm.cell import sLSTMCell, sLSTMCellConfig
    cell = sLSTMCell(sLSTMCellConfig(hidden_size=8, num_heads=2, backend="vanilla"))
    cell = _randomize(cell.double(), seed=5)
    B, H = 5, 8
    x = torch.randn(B, 4 * H, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    s = _slstm_state(B, H, 7)
    p = numeric.from_torch(cell)
    assert (p.cell.name, p.cell.convention, p.input_size) == ("slstm_stabilized", "sigmoid",
                                                             4 * H)
    _slstm_check(p, x, s, lambda st: cell(x[:, None], st)[1])
    q = numeric.from_torch(cell.state_dict(), cell="slstm_stabilized")
    for n in p.arrays:
        _close(q.arrays[n], p.arrays[n])


def test_xlstm_zero_state_step_differs_only_by_the_stabilizer_gauge():
    """From xlstm's zero state (n == 0 everywhere) slstm_forward_pointwise takes m' = i~
    instead of max(log f + m, i~): c, n and m differ from the cell's by the stabilizer's
    gauge (c e^-d, n e^-d, m + d), and h and c/n are the same."""
    pytest.importorskip("xlstm", reason="xlstm is not installed")
    _cell_exists("slstm_stabilized", "sigmoid")
    from xlstm.blocks.slstm.cell import sLSTMCell, sLSTMCellConfig
    cell = _randomize(sLSTMCell(sLSTMCellConfig(hidden_size=4, num_heads=2,
                                                backend="vanilla")).double(), seed=17)
    x = torch.randn(3, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(18))
    zero = torch.zeros(4, 3, 4, dtype=torch.float64)
    ref = cell(x[:, None], zero)[1].detach().numpy()
    h, c, n, m = numeric.step(numeric.from_torch(cell), x.numpy(), tuple(zero.numpy()))
    _close(h, ref[0])
    _close(c / n, ref[1] / ref[2])
    _close(c * np.exp(m - ref[3]), ref[1])


def test_xlstm_slstm_layer_step_and_jacobian_match_the_module():
    xlstm = pytest.importorskip("xlstm", reason="xlstm is not installed")
    _cell_exists("slstm_stabilized", "sigmoid")
    layer = xlstm.sLSTMLayer(xlstm.sLSTMLayerConfig(embedding_dim=8, num_heads=2,
                                                    backend="vanilla", conv1d_kernel_size=0))
    layer = _randomize(layer.double(), seed=8).eval()
    B, H = 4, 8
    x = torch.randn(B, H, dtype=torch.float64, generator=torch.Generator().manual_seed(9))
    s = _slstm_state(B, H, 10)
    p = numeric.from_torch(layer)
    assert p.input_size == H
    _slstm_check(p, x, s, lambda st: layer(x[:, None], slstm_state=st,
                                           return_last_state=True)[1]["slstm_state"])
    # the input gate is computed by the projection named fgate (sLSTMLayer.forward)
    _close(p.arrays["W_i"][:4, :4], layer.fgate.weight[0].detach().numpy())
    q = numeric.from_torch(layer.state_dict(), cell="slstm_stabilized")
    for n in p.arrays:
        _close(q.arrays[n], p.arrays[n])


# -- recurrentgemma --------------------------------------------------------------------

def _recurrentgemma_layers():
    """recurrentgemma.torch.layers without running the package __init__ (it imports JAX)."""
    spec = importlib.util.find_spec("recurrentgemma")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("recurrentgemma is not installed")
    for mod in ("einops", "jaxtyping"):
        pytest.importorskip(mod, reason=f"recurrentgemma's torch layers import {mod}")
    if "recurrentgemma.torch.layers" in sys.modules:
        return sys.modules["recurrentgemma.torch.layers"]
    root = spec.submodule_search_locations[0]
    for name, sub in (("recurrentgemma", root), ("recurrentgemma.torch",
                                                 os.path.join(root, "torch"))):
        if name not in sys.modules:
            pkg = types.ModuleType(name)
            pkg.__path__ = [sub]
            sys.modules[name] = pkg
    return importlib.import_module("recurrentgemma.torch.layers")


def _rglru_step(rglru, layers, monkeypatch, x, h):
    """One RG-LRU step at position 1 (no reset), accumulating in float64: RGLRU.forward calls
    rnn_scan(..., acc_dtype=torch.float32), which asserts a float32 state, so the test raises
    the accumulation dtype (the module's own code otherwise)."""
    monkeypatch.setattr(layers, "rnn_scan",
                        functools.partial(layers.rnn_scan, acc_dtype=torch.float64))
    pos = torch.ones(x.shape[0], 1, dtype=torch.long)
    return rglru(x[:, None], pos, cache=h)[1]


def test_recurrentgemma_rglru_step_and_jacobian_match_the_module(monkeypatch):
    layers = _recurrentgemma_layers()
    _cell_exists("rglru")
    orig = layers.rnn_scan
    r = _randomize(layers.RGLRU(8, 2).double(), seed=11)
    B = 5
    x = torch.randn(B, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(12))
    h = torch.randn(B, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(13))
    p = numeric.from_torch(r)
    assert p.cell.name == "rglru" and float(p.arrays["c"]) == 8.0
    _close(p.arrays["Lambda"], -r.a_param.detach().numpy())
    nxt = _rglru_step(r, layers, monkeypatch, x, h)
    _close(numeric.step(p, x.numpy(), h.numpy()), nxt.detach().numpy())
    monkeypatch.setattr(layers, "rnn_scan", orig)
    _close(numeric.jacobian(p, x.numpy(), h.numpy()),
           _batch_jacobian(lambda s: _rglru_step(r, layers, monkeypatch, x, s), h.clone()))


def _rglru_state_dict(H=6, K=3, seed=14, prefix=""):
    """The state dict of recurrentgemma.torch.layers.RGLRU(width=H, num_heads=K), from its
    source: ``self.a_param = nn.Parameter(torch.empty([self.width]))``; ``input_gate`` and
    ``a_gate`` are ``BlockDiagonalLinear(width, num_blocks=num_heads)`` with
    ``self.w = nn.Parameter(torch.empty([num_blocks, block_width, block_width]))`` and
    ``self.b = nn.Parameter(torch.empty([num_blocks, block_width]))``."""
    g = torch.Generator().manual_seed(seed)
    bw = H // K

    def r(*shape):
        return 0.7 * torch.randn(*shape, dtype=torch.float64, generator=g)

    return {f"{prefix}a_param": r(H), f"{prefix}input_gate.w": r(K, bw, bw),
            f"{prefix}input_gate.b": r(K, bw), f"{prefix}a_gate.w": r(K, bw, bw),
            f"{prefix}a_gate.b": r(K, bw)}


def _rglru_source_step(sd, x, h, prefix=""):
    """RGLRU.forward and rnn_scan for one step at a position > 0, transcribed:
    ``y = einsum("... h i, h i j -> ... h j", x, w) + b`` (BlockDiagonalLinear);
    ``gate_x = sigmoid(input_gate(x))``; ``gate_a = sigmoid(a_gate(x))``;
    ``log_a = -8.0 * gate_a * softplus(a_param)``; ``a = exp(log_a)``;
    ``multiplier = sqrt(1 - exp(2 * log_a))``; ``h' = a * h + x * gate_x * multiplier``."""
    def block(gate):
        w, b = sd[f"{prefix}{gate}.w"], sd[f"{prefix}{gate}.b"]
        xs = x.reshape(x.shape[0], w.shape[0], -1)
        return (torch.einsum("...hi,hij->...hj", xs, w) + b).reshape(x.shape)

    gate_x = torch.sigmoid(block("input_gate"))
    gate_a = torch.sigmoid(block("a_gate"))
    log_a = -8.0 * gate_a * torch.nn.functional.softplus(sd[f"{prefix}a_param"])
    return torch.exp(log_a) * h + x * gate_x * torch.sqrt(1 - torch.exp(2 * log_a))


def test_rglru_state_dict_layout_matches_its_source(tmp_path):
    _cell_exists("rglru")
    sd = _rglru_state_dict(prefix="blocks.0.rg_lru.")
    path = tmp_path / "rglru.pt"
    torch.save(sd, path)
    p = numeric.from_torch(str(path), cell="rglru")
    B = 4
    x = torch.randn(B, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(15))
    h = torch.randn(B, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(16))
    step = _rglru_source_step(sd, x, h, prefix="blocks.0.rg_lru.")
    _close(numeric.step(p, x.numpy(), h.numpy()), step.numpy())
    _close(numeric.jacobian(p, x.numpy(), h.numpy()),
           _batch_jacobian(lambda s: _rglru_source_step(sd, x, s, "blocks.0.rg_lru."),
                           h.clone()))


# -- refusals: one NumericError naming the option, class or key, before any work ---------

def _peer(modname, attr):
    mod = pytest.importorskip(modname, reason=f"{modname.split('.')[0]} is not installed")
    return getattr(mod, attr)


def _mingru(**kw):
    return _peer("minGRU_pytorch", "minGRU")(3, **kw)


def _slstm_cell(**kw):
    cls, cfg = (_peer("xlstm.blocks.slstm.cell", n) for n in ("sLSTMCell", "sLSTMCellConfig"))
    skip = kw.pop("skip_backend_init", False)
    return cls(cfg(hidden_size=4, num_heads=2, **kw), skip_backend_init=skip)


def _slstm_layer(**kw):
    cls, cfg = (_peer("xlstm", n) for n in ("sLSTMLayer", "sLSTMLayerConfig"))
    return cls(cfg(embedding_dim=4, num_heads=2, backend="vanilla", **kw))


class _Wrapper(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.rnn = inner


def _slstm_sd(R_shape=(2, 8, 2), conv=False):
    sd = {"_recurrent_kernel_": torch.randn(*R_shape), "_bias_": torch.randn(16)}
    if conv:
        sd = {"slstm_cell." + k: v for k, v in sd.items()}
        sd.update({f"{g}gate.weight": torch.randn(2, 2, 2) for g in "ifzo"})
        sd["conv1d.conv.weight"] = torch.randn(4, 1, 4)
    return sd


REFUSALS = {
    "minGRU state dict without cell": (lambda: _mingru().state_dict(), {},
                                       r"cannot say which cell.*'to_hidden_and_gate\.weight'.*"
                                       r"pass cell='mingru'"),
    "RG-LRU state dict without cell": (lambda: _rglru_state_dict(), {},
                                       r"'a_param' is a rglru module's: pass cell='rglru'"),
    "subclass of minGRU": (lambda: type("MyMinGRU", (_peer("minGRU_pytorch", "minGRU"),),
                                        {})(3), {}, r"not .*MyMinGRU"),
    "wrapper holding a minGRU": (lambda: _Wrapper(_mingru()), {},
                                 r"contains model\.rnn \(mingru-pytorch minGRU\): pass "
                                 r"model\.rnn"),
    "sLSTM CUDA backend": (lambda: _slstm_cell(backend="cuda", skip_backend_init=True), {},
                           r"sLSTMCell with backend='cuda' is refused"),
    "sLSTM function lstm": (lambda: _slstm_cell(backend="vanilla", function="lstm"), {},
                            r"with function='lstm' is not supported"),
    "sLSTMLayer with a causal conv": (lambda: _slstm_layer(conv1d_kernel_size=4), {},
                                      r"sLSTMLayer with conv1d_kernel_size=4 is not supported"),
    "cell contradicts a minGRU": (lambda: _mingru(), {"cell": "rglru"},
                                  r"cell='rglru' contradicts the module: a mingru-pytorch "
                                  r"minGRU is cell 'mingru'"),
    "layer of a minGRU": (lambda: _mingru(), {"layer": 1}, r"minGRU has one layer \(0\); got "
                          r"layer=1"),
    "nonlinearity on a minGRU": (lambda: _mingru(), {"nonlinearity": "relu"},
                                 r"nonlinearity= applies to the Elman cell only"),
    "mingru paper convention": (lambda: {}, {"cell": "mingru:paper"},
                                r"cell='mingru:paper': .*convention 'g'; pass cell='mingru'"),
    "slstm exp forget gate": (lambda: {}, {"cell": "slstm_stabilized:exp"},
                              r"convention 'sigmoid'; pass cell='slstm_stabilized'"),
    "unstabilized slstm": (lambda: {}, {"cell": "slstm"}, r"pass cell='slstm_stabilized'"),
    "elman relu vs tanh": (lambda: {}, {"cell": "elman:relu", "nonlinearity": "tanh"},
                           r"nonlinearity='tanh' contradicts cell='elman:relu'"),
    "sd CUDA layout": (lambda: _slstm_sd((2, 2, 8)), {"cell": "slstm_stabilized"},
                       r"'_recurrent_kernel_' has shape \(2, 2, 8\).*CUDA backend"),
    "sd sLSTM conv": (lambda: _slstm_sd(conv=True), {"cell": "slstm_stabilized"},
                      r"conv1d\.\* \(conv1d_kernel_size > 0\)"),
    "sd sLSTM bias": (lambda: {**_slstm_sd(), "_bias_": torch.randn(15)},
                      {"cell": "slstm_stabilized"}, r"'_bias_' has shape \(15,\)"),
    "sd mingru odd rows": (lambda: {"to_hidden_and_gate.weight": torch.randn(5, 3)},
                           {"cell": "mingru"}, r"'to_hidden_and_gate\.weight' has shape "
                           r"\(5, 3\); mingru needs \(2\*H, I\)"),
    "sd rglru blocks": (lambda: {**_rglru_state_dict(), "a_gate.w": torch.randn(3, 2, 3)},
                        {"cell": "rglru"}, r"'a_gate\.w' has shape \(3, 2, 3\)"),
    "sd rglru bias missing": (lambda: {k: v for k, v in _rglru_state_dict().items()
                                       if k != "input_gate.b"},
                              {"cell": "rglru"}, r"has no 'input_gate\.b'"),
    "sd two minGRUs": (lambda: {"a.to_hidden_and_gate.weight": torch.randn(4, 3),
                                "b.to_hidden_and_gate.weight": torch.randn(4, 3)},
                       {"cell": "mingru"}, r"2 mingru modules \(prefixes \['a\.', 'b\.'\]\)"),
    "sd layer 1 of a minGRU": (lambda: {"to_hidden_and_gate.weight": torch.randn(4, 3)},
                               {"cell": "mingru", "layer": 1}, r"one layer \(0\).*layer=1"),
    "sd without the cell's key": (lambda: {"weight": torch.randn(4, 3)}, {"cell": "rglru"},
                                  r"holds no rglru parameters \(no key named 'a_param'"),
    "sd nan": (lambda: {"to_hidden_and_gate.weight": torch.full((4, 3), float("nan"))},
               {"cell": "mingru"}, r"'to_hidden_and_gate\.weight'.*non-finite"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_unmodelled_peer_configurations_are_refused_by_name(case):
    make, kwargs, pattern = REFUSALS[case]
    source = make()
    with pytest.raises(numeric.NumericError, match=pattern):
        numeric.from_torch(source, **kwargs)

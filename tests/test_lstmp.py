"""The LSTM with a projection (``lstmp``, Sak, Senior & Beaufays 2014; PyTorch
``nn.LSTM(proj_size=P)``): states of two sizes, h (P) and c (H).

References: PyTorch's own ``nn.LSTM`` module (its outputs, and torch autograd of one step of
it), SymPy's brute-force ``Matrix.jacobian`` (``prove``), and the module's tensors read by
hand (``from_arrays``).
"""

from __future__ import annotations

import numpy as np
import pytest

import derivations as dv
import numeric
from derivations.printing import jacobian_latex, printer_for
from derivations.proof import prove
from numeric import NumericError

I, H, P = 3, 5, 2


def test_lstmp_states_have_their_own_dimensions():
    cell = dv.cell("lstmp")
    assert cell.state_dims == ("P", "H") and cell.hidden_dim == "H"
    assert cell.weight_shape("W_hr") == ("P", "H") and cell.weight_shape("W_hf") == ("H", "P")
    # the closed forms, printed: the projection in front of every path into h
    tex = jacobian_latex(dv.derive(cell).jacobian, printer_for(cell))
    assert (r"\frac{\partial h_{t}}{\partial c_{t-1}} &= W_{hr} \operatorname{diag}(f_{t} "
            r"\odot o_{t} \odot (1 - \tanh^{2}\left(c_{t}\right)))") in tex
    assert r"\frac{\partial c_{t}}{\partial c_{t-1}} &= \operatorname{diag}(f_{t})" in tex


@pytest.mark.parametrize("n", [1, 2, 3])
def test_lstmp_closed_form_is_proven_equal_to_brute_force(n):
    r = prove(dv.cell("lstmp"), n)
    assert r.ok and r.shape == (r.sizes["P"] + n, r.sizes["P"] + n)
    small = prove(dv.cell("lstmp"), n, sizes={"P": 1})      # P < H as torch requires
    assert small.ok and small.shape == (n + 1, n + 1)


def test_a_state_of_its_own_dimension_is_checked_in_the_cell_language():
    cb = dv.CellBuilder("bad_proj")
    x, h = cb.input("x"), cb.state("h", dim="P")
    W, U = cb.weights("W U")      # rows H: the update has dimension H, the state P
    with pytest.raises(dv.DerivationError, match="the update of 'h' has dimension H, the "
                                                 "state has P"):
        cb.update(h, dv.tanh(W @ x + U @ h))
    with pytest.raises(dv.DerivationError, match="dim of state 'c' must be"):
        cb.state("c", dim="not a name")


torch = pytest.importorskip("torch")


def _module(layers=1, bidirectional=False, seed=0):
    torch.manual_seed(seed)
    m = torch.nn.LSTM(I, H, num_layers=layers, proj_size=P, bidirectional=bidirectional)
    m = m.double()
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(2.0)
    return m


def _state(rng, B):
    return rng.uniform(-0.8, 0.8, size=(B, P)), rng.uniform(-2, 2, size=(B, H))


@pytest.mark.torch
def test_lstmp_full_jacobian_equals_torch_autograd_of_one_lstm_step():
    """numeric.jacobian(full=True) (P + H square) equals torch autograd of one step of the
    nn.LSTM(proj_size=P) module itself; each block equals its slice."""
    m = _module(seed=1)
    p = numeric.from_torch(m)
    assert p.cell.name == "lstmp" and p.state_sizes == (P, H) and p.state_size == P + H
    rng = np.random.default_rng(1)
    B = 4
    x = rng.normal(size=(B, I))
    h, c = _state(rng, B)
    got = numeric.jacobian(p, x, (h, c), full=True)
    assert got.shape == (B, P + H, P + H)

    def one_step(s, xb):
        _, (h1, c1) = m(xb[None, None], (s[None, None, :P], s[None, None, P:]))
        return torch.cat([h1[0, 0], c1[0, 0]])

    for b in range(B):
        s = torch.tensor(np.concatenate([h[b], c[b]]))
        want = torch.autograd.functional.jacobian(
            lambda s, b=b: one_step(s, torch.tensor(x[b])), s).numpy()
        # float64 rounding of one step: ~1e-15 of the largest entry
        np.testing.assert_allclose(got[b], want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
    spans = {"h": slice(0, P), "c": slice(P, P + H)}
    for a in "hc":
        for w in "hc":
            blk = numeric.jacobian(p, x, (h, c), block=(a, w))
            assert blk.shape == (B, spans[a].stop - spans[a].start, spans[w].stop - spans[w].start)
            np.testing.assert_allclose(blk, got[:, spans[a], spans[w]], rtol=0, atol=1e-15)
            paths = numeric.paths(p, x, (h, c), block=(a, w))
            np.testing.assert_allclose(sum(paths.values()), blk, rtol=0, atol=1e-13)
    # spectra of a non-square block: min(P, H) singular values, as numpy's SVD of the block
    sv = numeric.singular_values(p, x, (h, c), block=("h", "c"))
    np.testing.assert_allclose(sv, np.linalg.svd(got[:, :P, P:], compute_uv=False),
                               rtol=1e-12, atol=0)


@pytest.mark.torch
def test_lstmp_from_arrays_rollout_equals_the_module():
    """The module's tensors passed by hand (packed, weight_hr by its layout name): the
    rollout's h equals nn.LSTM(proj_size=P)'s outputs; save/load keeps P."""
    m = _module(seed=2)
    t = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    p = numeric.from_arrays("lstmp", t["weight_ih_l0"], t["weight_hh_l0"], t["bias_ih_l0"],
                            t["bias_hh_l0"], weight_hr=t["weight_hr_l0"])
    assert p.sizes == {"H": H, "I": I, "P": P}
    xs = np.random.default_rng(2).normal(size=(20, 3, I))
    hs, cs = numeric.rollout(p, xs, (np.zeros((3, P)), np.zeros((3, H))))
    with torch.no_grad():
        want, (hn, cn) = m(torch.tensor(xs))
    np.testing.assert_allclose(hs, want.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(cs[-1], cn[0].numpy(), rtol=0, atol=1e-12)
    assert "state_sizes=(2, 5)" in repr(p)


def test_lstmp_save_load_and_init_keep_the_projection(tmp_path):
    p = numeric.init("lstmp", H, I, sizes={"P": P}, seed=3)
    assert p.arrays["W_hr"].shape == (P, H) and p.arrays["W_hf"].shape == (H, P)
    numeric.save(p, tmp_path / "p.npz")
    q = numeric.load(tmp_path / "p.npz")
    assert q.cell is p.cell and q.sizes == p.sizes and q.state_sizes == (P, H)
    for k, v in p.arrays.items():
        np.testing.assert_array_equal(q.arrays[k], v)


def test_lstmp_hostile_arrays_and_states_are_refused_by_name():
    with pytest.raises(NumericError, match=r"init: cell 'lstmp' has dimension\(s\) P .*"
                                           r"sizes=\{'P': 4\}"):
        numeric.init("lstmp", H, I)
    p = numeric.init("lstmp", H, I, sizes={"P": P}, seed=0)
    bad = dict(p.parameters, W_hr=np.zeros((P, H + 1)))
    with pytest.raises(NumericError, match="W_hr"):
        numeric.Params("lstmp", bad)
    x = np.zeros((2, I))
    with pytest.raises(NumericError, match=r"state 'h' has shape \(2, 5\); expected "
                                           r"\(B, P=2\)"):
        numeric.step(p, x, (np.zeros((2, H)), np.zeros((2, H))))
    with pytest.raises(NumericError, match=r"state 'c' has shape \(2, 2\); expected "
                                           r"\(B, H=5\)"):
        numeric.jacobian(p, x, (np.zeros((2, P)), np.zeros((2, P))))


@pytest.mark.torch
def test_lstmp_stack_jacobian_matches_torch_autograd():
    """Two projected layers (layer 1 reads P): the stacked one-step Jacobian equals autograd
    of one step of the 2-layer nn.LSTM(proj_size=P) module."""
    m = _module(layers=2, seed=4)
    stack = numeric.stack_from_torch(m)
    rng = np.random.default_rng(4)
    B = 3
    x = rng.normal(size=(B, I))
    (h0, c0), (h1, c1) = _state(rng, B), _state(rng, B)
    got = numeric.stack_jacobian(stack, x, [(h0, c0), (h1, c1)])
    D = 2 * (P + H)
    assert got.shape == (B, D, D)

    def one_step(S, xb):
        hh = torch.stack([S[:P], S[P + H:2 * P + H]])[:, None]
        cc = torch.stack([S[P:P + H], S[2 * P + H:]])[:, None]
        _, (hn, cn) = m(xb[None, None], (hh, cc))
        return torch.cat([hn[0, 0], cn[0, 0], hn[1, 0], cn[1, 0]])

    for b in range(B):
        S = torch.tensor(np.concatenate([h0[b], c0[b], h1[b], c1[b]]))
        want = torch.autograd.functional.jacobian(
            lambda s, b=b: one_step(s, torch.tensor(x[b])), S).numpy()
        np.testing.assert_allclose(got[b], want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
    assert np.abs(got[:, P + H:, :P + H]).max() > 0.01   # layer 1 reads layer 0's h
    assert np.all(got[:, :P + H, P + H:] == 0)

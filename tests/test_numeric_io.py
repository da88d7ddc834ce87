"""Parameters in and out: PyTorch modules and files, Keras arrays, .npz, init schemes."""

from __future__ import annotations

import numpy as np
import pytest

import derivations as dv
import numeric
from tests._numeric_cases import input_size, other_sizes
from tests._suite_cells import KEYS


def _sig(u):
    return 1 / (1 + np.exp(-u))


# -- .npz ------------------------------------------------------------------------------
@pytest.mark.parametrize("key", KEYS, ids=[f"{n}-{c}" for n, c in KEYS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_npz_round_trip(tmp_path, key, dtype):
    cell = dv.cell(*key)
    p = numeric.init(cell, 4, input_size(cell, 3, 4), seed=5, dtype=dtype,
                     sizes=other_sizes(cell, 4))
    if cell.scalars:  # a scalar that is not its default survives the round trip
        p = p.with_arrays(**{c.name: np.asarray(0.75, dtype) for c in cell.scalars})
    path = tmp_path / "p.npz"
    numeric.save(p, path)
    q = numeric.load(path)
    assert q.cell is p.cell and q.dtype == np.dtype(dtype)
    assert set(q.arrays) == set(p.arrays)
    for k, v in p.arrays.items():
        np.testing.assert_array_equal(q.arrays[k], v)
        assert q.arrays[k].shape == np.shape(v), k
    assert not any(f.name.endswith(".tmp") for f in tmp_path.iterdir())


def test_npz_user_cell_needs_the_cell_and_rejects_pickles(tmp_path):
    cb = dv.CellBuilder("mine")
    x, h = cb.input("x"), cb.state("h")
    (W,) = cb.weights("W")
    cb.update(h, dv.tanh(W @ x) * h)
    cell = cb.build()
    p = numeric.init(cell, 3, 2)
    numeric.save(p, tmp_path / "u.npz")
    with pytest.raises(numeric.NumericError, match="mine"):
        numeric.load(tmp_path / "u.npz")
    np.testing.assert_array_equal(numeric.load(tmp_path / "u.npz", cell=cell).arrays["W"],
                                  p.arrays["W"])
    np.savez(tmp_path / "bad.npz", __cell__=np.array([object()], dtype=object))
    with pytest.raises(numeric.NumericError, match=r"bad\.npz.*never unpickled"):
        numeric.load(tmp_path / "bad.npz")


# -- from_arrays / init -----------------------------------------------------------------
def test_from_arrays_splits_packed_gates_in_pytorch_order():
    rng = np.random.default_rng(0)
    w_ih, w_hh, b = rng.normal(size=(12, 2)), rng.normal(size=(12, 4)), rng.normal(size=12)
    p = numeric.from_arrays("gru", weight_ih=w_ih, weight_hh=w_hh, bias_ih=b, bias_hh=2 * b)
    np.testing.assert_array_equal(p.arrays["W_hz"], w_hh[4:8])
    np.testing.assert_array_equal(p.arrays["b_hn"], 2 * b[8:])
    np.testing.assert_array_equal(p.weight_hh, w_hh)
    with pytest.raises(numeric.NumericError, match=r"\(10, 4\)"):
        numeric.from_arrays("gru", weight_ih=w_ih, weight_hh=w_hh[:10])
    with pytest.raises(numeric.NumericError, match="no packed layout"):
        _ = numeric.init("minimalrnn", 3, 2).weight_hh


def test_init_schemes():
    H = 16
    p = numeric.init("gru", H, 5, scheme="pytorch", seed=1)
    k = 1 / np.sqrt(H)
    assert all(np.abs(v).max() <= k for v in p.arrays.values())
    o = numeric.init("lstm", H, 5, scheme="orthogonal", seed=1, scale=0.5)
    for name in ("W_hi", "W_hf", "W_hg", "W_ho"):
        W = o.arrays[name]
        np.testing.assert_allclose(W.T @ W, 0.25 * np.eye(H), atol=1e-12)
    c = numeric.init("lstm", H, 5, scheme="chrono", t_max=50, seed=1)
    bf = c.arrays["b_if"]
    assert np.all((bf >= 0) & (bf <= np.log(49)))
    np.testing.assert_array_equal(c.arrays["b_ii"], -bf)
    assert not c.arrays["b_hf"].any() and not c.arrays["b_hi"].any()
    s = numeric.init("gru", H, 5, convention="seed", scheme="chrono", t_max=50, seed=1)
    assert np.all(s.arrays["b_iz"] <= 0)     # seed GRU carries when z -> 0
    with pytest.raises(numeric.NumericError, match="t_max"):
        numeric.init("gru", H, 5, scheme="chrono")
    with pytest.raises(numeric.NumericError, match="no carrying gate"):
        numeric.init("elman", H, 5, scheme="chrono", t_max=10)


# -- Keras -------------------------------------------------------------------------------
def _keras_gru(kernel, rk, bias, x, h, reset_after):
    """Keras GRU cell, as documented (gate blocks z, r, h along the last axis)."""
    H = rk.shape[0]
    if reset_after:
        bi, br = bias[0], bias[1]
    else:
        bi, br = bias, np.zeros_like(bias)
    xz, xr, xh = (x @ kernel[:, k * H:(k + 1) * H] + bi[k * H:(k + 1) * H] for k in range(3))
    z = _sig(xz + h @ rk[:, :H] + br[:H])
    r = _sig(xr + h @ rk[:, H:2 * H] + br[H:2 * H])
    if reset_after:
        hh = np.tanh(xh + r * (h @ rk[:, 2 * H:] + br[2 * H:]))
    else:
        hh = np.tanh(xh + (r * h) @ rk[:, 2 * H:])
    return z * h + (1 - z) * hh


@pytest.mark.parametrize("reset_after", [True, False])
def test_from_keras_gru_matches_keras_equations(reset_after):
    rng = np.random.default_rng(3)
    I_, H, B = 3, 5, 4
    kernel, rk = rng.normal(size=(I_, 3 * H)), rng.normal(size=(H, 3 * H))
    bias = rng.normal(size=(2, 3 * H) if reset_after else (3 * H,))
    p = numeric.from_keras(kernel, rk, bias, cell="gru", reset_after=reset_after)
    assert p.convention == ("pytorch" if reset_after else "cho")
    x, h = rng.normal(size=(B, I_)), rng.uniform(-1, 1, size=(B, H))
    np.testing.assert_allclose(numeric.step(p, x, h),
                               _keras_gru(kernel, rk, bias, x, h, reset_after), rtol=1e-12)
    with pytest.raises(numeric.NumericError, match=r"bias has shape \(15,\)"):
        numeric.from_keras(kernel, rk, np.zeros(15), cell="gru", reset_after=True)


def test_from_keras_lstm_and_simplernn_match_keras_equations():
    rng = np.random.default_rng(4)
    I_, H, B = 3, 4, 2
    kernel, rk, bias = rng.normal(size=(I_, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(
        size=4 * H)
    p = numeric.from_keras(kernel, rk, bias, cell="lstm")
    x, h, c = rng.normal(size=(B, I_)), rng.uniform(-1, 1, (B, H)), rng.normal(size=(B, H))
    a = x @ kernel + h @ rk + bias
    i, f, g, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
    c2 = f * c + i * g
    h2, c2_ = numeric.step(p, x, (h, c))
    np.testing.assert_allclose(c2_, c2, rtol=1e-12)
    np.testing.assert_allclose(h2, o * np.tanh(c2), rtol=1e-12)
    k1, r1, b1 = rng.normal(size=(I_, H)), rng.normal(size=(H, H)), rng.normal(size=H)
    e = numeric.from_keras(k1, r1, b1, cell="elman")
    np.testing.assert_allclose(numeric.step(e, x, h), np.tanh(x @ k1 + h @ r1 + b1), rtol=1e-12)
    with pytest.raises(numeric.NumericError, match=r"recurrent_kernel has shape \(4, 12\)"):
        numeric.from_keras(kernel[:, :12], rk[:, :12], cell="lstm")


# -- PyTorch ---------------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell", "LSTMCell"])
def test_from_torch_cells_match_torch_step(kind):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    I_, H, B = 3, 6, 4
    mod = getattr(torch.nn, kind)(I_, H).double()
    p = numeric.from_torch(mod)
    x = torch.randn(B, I_, dtype=torch.float64)
    h = torch.randn(B, H, dtype=torch.float64).tanh()
    with torch.no_grad():
        if kind == "LSTMCell":
            c = torch.randn(B, H, dtype=torch.float64)
            ref = mod(x, (h, c))
            got = numeric.step(p, x.numpy(), (h.numpy(), c.numpy()))
            for g_, r_ in zip(got, ref, strict=True):
                np.testing.assert_allclose(g_, r_.numpy(), rtol=1e-12, atol=1e-14)
        else:
            np.testing.assert_allclose(numeric.step(p, x.numpy(), h.numpy()),
                                       mod(x, h).numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.torch
def test_from_torch_layers_files_and_jacobian_vs_autograd(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    gru = torch.nn.GRU(3, 5, num_layers=2)
    path = tmp_path / "gru.pt"
    torch.save(gru.state_dict(), path)
    p1 = numeric.from_torch(str(path), layer=1, cell="gru")
    assert p1.dtype == np.float32 and p1.input_size == 5
    np.testing.assert_array_equal(p1.weight_hh, gru.weight_hh_l1.detach().numpy())
    cell = torch.nn.GRUCell(5, 5)
    cell.load_state_dict({k.removesuffix("_l1"): v for k, v in gru.state_dict().items()
                          if k.endswith("_l1")})
    cell = cell.double()
    x = torch.randn(2, 5, dtype=torch.float64)
    h = torch.randn(2, 5, dtype=torch.float64).tanh()
    J_ref = torch.stack([torch.autograd.functional.jacobian(lambda hh, i=i: cell(x[i:i + 1], hh),
                                                            h[i:i + 1])[0, :, 0, :]
                         for i in range(2)])
    J = numeric.jacobian(p1.astype(np.float64), x.numpy(), h.numpy())
    np.testing.assert_allclose(J, J_ref.numpy(), rtol=1e-12, atol=1e-14)
    with pytest.raises(numeric.NumericError, match=r"layers \[0, 1\].*layer=2"):
        numeric.from_torch(gru, layer=2)


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rollout_matches_torch_sequence_layers(kind, dtype):
    """numeric.rollout (the generated kernel writing each state in place) against torch's
    own nn.RNN / nn.GRU / nn.LSTM over T = 40 steps."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    I_, H, B, T = 4, 7, 3, 40
    tdt = torch.float64 if dtype == np.float64 else torch.float32
    mod = getattr(torch.nn, kind)(I_, H).to(tdt)
    p = numeric.from_torch(mod).astype(dtype)
    xs = torch.randn(T, B, I_, dtype=tdt)
    h0 = torch.randn(1, B, H, dtype=tdt).tanh()
    with torch.no_grad():
        if kind == "LSTM":
            c0 = torch.randn(1, B, H, dtype=tdt)
            ref, _ = mod(xs, (h0, c0))
            got, cs = numeric.rollout(p, xs.numpy(), (h0[0].numpy(), c0[0].numpy()))
            assert cs.shape == (T, B, H)
        else:
            ref, _ = mod(xs, h0)
            got = numeric.rollout(p, xs.numpy(), h0[0].numpy())
    tol = dict(rtol=1e-11, atol=1e-13) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ref.numpy(), **tol)


# -- atomic save: killed writers, leftovers --------------------------------------------
_KILLER = r"""
import os, signal, sys
import numpy as np
import numeric

point, path = sys.argv[1], sys.argv[2]
p = numeric.init("lstm", 5, 3, seed=2)
write_array, replace = np.lib.format.write_array, os.replace
calls = []

def partial_write(fp, arr, *a, **k):
    calls.append(1)
    if (point == "first member" and len(calls) == 1) or (point == "middle member"
                                                          and len(calls) == 5):
        fp.write(b"\x93NUMPY partial")
        fp.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return write_array(fp, arr, *a, **k)

def killing_replace(src, dst):
    if point == "before replace":
        os.kill(os.getpid(), signal.SIGKILL)
    replace(src, dst)
    if point == "after replace":
        os.kill(os.getpid(), signal.SIGKILL)

np.lib.format.write_array = partial_write
os.replace = killing_replace
numeric.save(p, path)
"""


def _run_killed_save(point, path):
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(numeric.__file__).resolve().parents[1]
    env = {**__import__("os").environ, "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-c", _KILLER, point, str(path)], env=env,
                          capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("point", ["first member", "middle member", "before replace",
                                   "after replace"])
def test_save_killed_by_sigkill_keeps_a_complete_file_and_next_save_cleans(tmp_path, point):
    old = numeric.init("gru", 4, 3, seed=1)
    path = tmp_path / "p.npz"
    numeric.save(old, path)
    _run_killed_save(point, path)
    names = sorted(f.name for f in tmp_path.iterdir())
    got = numeric.load(path)                          # complete: old or new, never partial
    if point == "after replace":
        assert names == ["p.npz"] and got.cell.name == "lstm"
    else:
        assert got.cell is old.cell
        for k, v in old.arrays.items():
            np.testing.assert_array_equal(got.arrays[k], v)
        assert len(names) == 2 and names[0].startswith(".p.npz.tmp-"), names
    new = numeric.init("elman", 3, 2, seed=3)
    numeric.save(new, path)                           # removes the dead writer's leftover
    assert sorted(f.name for f in tmp_path.iterdir()) == ["p.npz"]
    np.testing.assert_array_equal(numeric.load(path).weight_hh, new.weight_hh)


def test_save_removes_only_leftovers_of_dead_writers_of_the_same_target(tmp_path):
    import subprocess
    import sys

    from numeric._atomic import temp_name

    target = str(tmp_path / "p.npz")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        keep = [temp_name(target, pid=live.pid), temp_name(target),           # live, ours
                str(tmp_path / ".p.npz.tmp-00000000-1-0123abcd"),           # another host
                str(tmp_path / ".p.npz.tmp-zzz"),                             # not ours
                temp_name(str(tmp_path / "q.npz"), pid=dead.pid)]             # other target
        gone = temp_name(target, pid=dead.pid)
        for f in [*keep, gone]:
            open(f, "wb").close()
        folder_like = temp_name(target, pid=dead.pid)
        __import__("os").mkdir(folder_like)                                   # not a file
        numeric.save(numeric.init("elman", 2, 2), target)
        left = {str(f) for f in tmp_path.iterdir()}
        assert left == {*keep, folder_like, target}
    finally:
        live.kill()
        live.wait()


def test_concurrent_saves_of_one_target_all_succeed(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    ps = [numeric.init("gru", 4, 3, seed=s) for s in range(6)]
    path = tmp_path / "p.npz"
    with ThreadPoolExecutor(3) as ex:
        list(ex.map(lambda p: numeric.save(p, path), ps))
    got = numeric.load(path)
    assert any(np.array_equal(got.weight_hh, p.weight_hh) for p in ps)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["p.npz"]


def test_save_keeps_file_mode_like_a_plain_write(tmp_path):
    import os

    numeric.save(numeric.init("elman", 2, 2), tmp_path / "p.npz")
    (tmp_path / "plain").write_bytes(b"")
    assert os.stat(tmp_path / "p.npz").st_mode == os.stat(tmp_path / "plain").st_mode


def test_save_writes_parameters_whose_names_clash_with_savez_arguments(tmp_path):
    cb = dv.CellBuilder("clash")
    x, h = cb.input("x"), cb.state("h")
    (file_,) = cb.weights("file")
    cb.update(h, dv.tanh(file_ @ x) * h)
    cell = cb.build()
    p = numeric.init(cell, 3, 2)
    q = numeric.load(numeric.save(p, tmp_path / "c.npz"), cell=cell)
    np.testing.assert_array_equal(q.arrays["file"], p.arrays["file"])


# -- from_torch: what it reads ----------------------------------------------------------
@pytest.mark.torch
def test_from_torch_wrapper_names_the_submodule_that_reads(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(4)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.LSTM(3, 5))

    m = Model()
    with pytest.raises(numeric.NumericError, match=r"model\.enc\.1 \(LSTM\): pass model\.enc\.1"):
        numeric.from_torch(m)
    p = numeric.from_torch(m.enc[1])
    np.testing.assert_array_equal(p.weight_hh, m.enc[1].weight_hh_l0.detach().numpy())
    # its state dict, behind the prefix 'enc.1.', with the cell named
    q = numeric.from_torch(m.state_dict(), cell="lstm")
    np.testing.assert_array_equal(q.weight_ih, p.weight_ih)
    torch.save(m.state_dict(), tmp_path / "m.pt")
    r = numeric.from_torch(tmp_path / "m.pt", cell="lstm")
    np.testing.assert_array_equal(r.bias_hh, p.bias_hh)


@pytest.mark.torch
def test_from_torch_bidirectional_reverse_and_cell_forms():
    torch = pytest.importorskip("torch")
    rnn = torch.nn.RNN(3, 4, num_layers=2, bidirectional=True, bias=False)
    p = numeric.from_torch(rnn, layer=1, reverse=True, nonlinearity="tanh")
    np.testing.assert_array_equal(p.weight_hh, rnn.weight_hh_l1_reverse.detach().numpy())
    assert p.input_size == 8 and not p.bias_ih.any()
    sd = rnn.state_dict()
    q = numeric.from_torch(sd, layer=1, reverse=True, cell="elman")
    np.testing.assert_array_equal(q.weight_ih, p.weight_ih)
    with pytest.raises(numeric.NumericError, match=r"no layer 2; layers present: \[0, 1\]"):
        numeric.from_torch(sd, layer=2, cell="elman")
    g = numeric.from_torch(torch.nn.GRU(3, 4).state_dict(), cell="gru:pytorch")
    assert g.convention == "pytorch"


@pytest.mark.torch
def test_from_torch_weight_norm_gru_and_half_precision_match_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(5)
    gru = torch.nn.GRU(3, 4).double()
    torch.nn.utils.parametrizations.weight_norm(gru, "weight_hh_l0")
    p = numeric.from_torch(gru)
    x = torch.randn(1, 2, 3, dtype=torch.float64)
    h = torch.randn(1, 2, 4, dtype=torch.float64).tanh()
    with torch.no_grad():
        ref = gru(x, h)[0][0].numpy()
    np.testing.assert_allclose(numeric.step(p, x[0].numpy(), h[0].numpy()), ref, rtol=1e-12,
                               atol=1e-14)
    half = numeric.from_torch(torch.nn.LSTMCell(3, 4).half())
    assert half.dtype == np.float32

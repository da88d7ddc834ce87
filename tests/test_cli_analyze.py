"""``gatebound analyze`` on one layer: gradient norms against PyTorch autograd, gate
saturation against PyTorch's own gate values, figures written; a value that is not a finite
number is null in the JSON with its reason (an all-off ReLU layer, a gate that is no carry
term); a failure at the last output publishes none of them. Whole models:
tests/test_cli_analyze_models.py."""

import os

import numpy as np
import pytest

from reports.cli import main

torch = pytest.importorskip("torch")
numeric = pytest.importorskip("numeric")

pytestmark = pytest.mark.torch


def _number(out: str, key: str) -> float:
    return float(out.split(key, 1)[1].split()[0].rstrip("%,"))


def test_analyze_pt_gru_matches_torch_autograd_and_gate_values(tmp_path, capsys):
    torch.manual_seed(0)
    I, H, T, B, seed = 3, 6, 40, 4, 5
    gru = torch.nn.GRU(I, H).double()
    with torch.no_grad():
        gru.bias_hh_l0[H:2 * H] += 2.5            # update gate towards carrying (r, z, n order)
    path = tmp_path / "gru.pt"
    torch.save(gru.state_dict(), path)
    out_dir = tmp_path / "an"
    assert main(["analyze", str(path), "--cell", "gru", "--out", str(out_dir), "--steps", str(T),
                 "--batch", str(B), "--seed", str(seed)]) == 0
    out = capsys.readouterr().out
    for f in ("gradient_norms.pdf", "singular_values.pdf", "gate_saturation.pdf"):
        assert (out_dir / f).exists(), f

    # the inputs and the initial state the command draws (documented: seed -> rng)
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((T, B, I))
    rng.standard_normal((B, I))
    h0 = rng.uniform(-1, 1, (B, H))
    from numeric.horizon import random_unit_state

    (v,) = random_unit_state(numeric.from_torch(gru), B, seed)

    # reference 1: PyTorch autograd of <v, h_T> with respect to h_0
    h0_t = torch.tensor(h0, requires_grad=True)
    _, hT = gru(torch.tensor(xs), h0_t[None])
    (hT[0] * torch.tensor(v)).sum().backward()
    ref = np.median(np.log10(np.linalg.norm(h0_t.grad.numpy(), axis=1)))
    got = _number(out, "log10 ||v^T dh_T/dh_0|| (median over batch):")
    assert abs(got - ref) < 0.006

    # reference 2: PyTorch's update gate z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    W_ih, W_hh = gru.weight_ih_l0.detach().numpy(), gru.weight_hh_l0.detach().numpy()
    b_ih, b_hh = gru.bias_ih_l0.detach().numpy(), gru.bias_hh_l0.detach().numpy()
    with torch.no_grad():
        hs, _ = gru(torch.tensor(xs), torch.tensor(h0)[None])
    prev = np.concatenate([h0[None], hs.numpy()[:-1]])                 # (T, B, H)
    u = xs @ W_ih[H:2 * H].T + b_ih[H:2 * H] + prev @ W_hh[H:2 * H].T + b_hh[H:2 * H]
    z = 1.0 / (1.0 + np.exp(-u))
    median = float(out.split("carrying gate z: median ")[1].split(",")[0])
    assert abs(median - np.median(z)) < 6e-4
    above = float(out.split("carrying gate z:")[1].split(", ")[1].split("%")[0])
    assert abs(above - 100 * np.mean(z > 0.9)) < 0.051


def test_analyze_elman_has_no_gate_histogram(tmp_path, capsys):
    rnn = torch.nn.RNN(2, 5)
    path = tmp_path / "rnn.pt"
    torch.save(rnn.state_dict(), path)
    assert main(["analyze", str(path), "--cell", "elman", "--out", str(tmp_path / "a"),
                 "--steps", "10", "--batch", "2"]) == 0
    out = capsys.readouterr().out
    assert "no carrying gate" in out and not (tmp_path / "a" / "gate_saturation.pdf").exists()


def test_analyze_corrupt_pt_is_one_line_error(tmp_path, capsys):
    path = tmp_path / "bad.pt"
    path.write_bytes(b"not a torch file")
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.pt" in err[0]


def test_analyze_pt_lstmp_matches_torch_autograd(tmp_path, capsys):
    """A projected LSTM (proj_size=P, cell lstmp): the gradient norm over the full state
    (h of size P, c of size H) equals PyTorch autograd through the module itself."""
    torch.manual_seed(1)
    I, H, P, T, B, seed = 3, 6, 2, 30, 4, 7
    m = torch.nn.LSTM(I, H, proj_size=P).double()
    path = tmp_path / "lstmp.pt"
    torch.save(m.state_dict(), path)
    assert main(["analyze", str(path), "--cell", "lstmp", "--out", str(tmp_path / "an"),
                 "--steps", str(T), "--batch", str(B), "--seed", str(seed)]) == 0
    out = capsys.readouterr().out
    assert f"cell: lstmp  H = {H}  I = {I}  P = {P}" in out
    rng = np.random.default_rng(seed)      # the draws of the command, in its order
    xs = rng.standard_normal((T, B, I))
    rng.standard_normal((B, I))
    h0, c0 = rng.uniform(-1, 1, (B, P)), rng.standard_normal((B, H))
    from numeric.horizon import random_unit_state

    vh, vc = random_unit_state(numeric.from_torch(m), B, seed)
    h0_t, c0_t = torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    _, (hT, cT) = m(torch.tensor(xs), (h0_t[None], c0_t[None]))
    ((hT[0] * torch.tensor(vh)).sum() + (cT[0] * torch.tensor(vc)).sum()).backward()
    g = np.concatenate([h0_t.grad.numpy(), c0_t.grad.numpy()], axis=1)
    ref = np.median(np.log10(np.linalg.norm(g, axis=1)))
    # the summary prints two decimals
    assert abs(_number(out, "log10 ||v^T dh_T/dh_0|| (median over batch):") - ref) < 0.006


def _json(path):
    import json

    def no_constant(name):
        raise AssertionError(f"the JSON holds {name}")

    return json.loads(path.read_text(), parse_constant=no_constant)


def test_analyze_switched_off_relu_writes_null_with_a_reason(tmp_path, capsys):
    """Every ReLU unit off (bias -50, |W x| small): h_t = 0, J = 0, every gradient exactly
    zero, so log-norms are -inf; the JSON says null and why, never NaN or Infinity."""
    p = numeric.init("elman", 3, 2, "relu", seed=0)
    arrays = {k: (np.full_like(v, -50.0) if k.startswith("b") else v)
              for k, v in p.arrays.items()}
    q = numeric.from_arrays("elman", convention="relu", **arrays)
    path = numeric.save(q, tmp_path / "off.npz")
    assert main(["analyze", str(path), "--out", str(tmp_path / "a"), "--json",
                 str(tmp_path / "o.json"), "--steps", "5", "--batch", "2"]) == 0
    doc = _json(tmp_path / "o.json")
    d = doc["layers"][0]["directions"][0]
    # the reference: h_t = relu(-50 + ...) = 0 exactly, so v^T dh_T/dh_t = 0 for t < T
    assert d["through_time"]["log10"][0] == [None, None]
    assert d["through_time"]["log10_first_median"] is None and "zero" in d["through_time"]["null"]
    assert d["spectra"]["max"] == 0.0
    assert doc["stack"]["gradient"]["inputs_log10"][0] == [None, None]
    assert "n/a" in capsys.readouterr().out


def test_analyze_gate_not_a_carry_term_is_null_with_the_reason(tmp_path, capsys):
    path = numeric.save(numeric.init("peephole_lstm", 3, 2, seed=0), tmp_path / "p.npz")
    assert main(["analyze", str(path), "--out", str(tmp_path / "a"), "--json",
                 str(tmp_path / "o.json"), "--steps", "5", "--batch", "2"]) == 0
    d = _json(tmp_path / "o.json")["layers"][0]["directions"][0]
    assert d["gate"] is None and "no Jacobian block has carry f" in d["gate_null"]
    assert "carrying gate: not measured" in capsys.readouterr().out


def test_a_failure_at_the_last_output_publishes_nothing(tmp_path, monkeypatch, capsys):
    """The report's compile fails after the figures and the JSON were made: none of the
    three outputs appears, and no staging folder stays."""
    import reports._analyze_report as rep
    from reports import ReportError

    def fail(*args, **kwargs):
        raise ReportError("typst failed: on purpose")

    monkeypatch.setattr(rep, "write_report", fail)
    path = numeric.save(numeric.init("gru", 3, 2, seed=0), tmp_path / "g.npz")
    before = sorted(os.listdir(tmp_path))
    assert main(["analyze", str(path), "--out", str(tmp_path / "figs"), "--json",
                 str(tmp_path / "j" / "o.json"), "--report", str(tmp_path / "rep"),
                 "--steps", "5", "--batch", "2"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith("on purpose")
    assert sorted(os.listdir(tmp_path)) == before

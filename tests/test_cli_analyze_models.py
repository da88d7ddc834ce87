"""``gatebound analyze`` on whole trained models, checked against independent references.

- A 2-layer bidirectional ``nn.GRU`` and a 2-layer ``nn.LSTM`` saved as state dicts, driven
  by a user's ``.npy`` sequence: the JSON's stack gradient log-norms equal torch autograd
  norms of the same vector-Jacobian products (``_torch_reference`` of tests/test_stack.py,
  a loop of torch cells); each layer's largest and smallest singular values equal
  ``np.linalg.svd`` of the torch autograd Jacobian of that layer's cell step at the JSON's
  steps, on the states torch computes; the LSTM stack's stacked spectrum equals the SVD of
  the torch autograd Jacobian of the whole stacked step; the gate saturation equals the
  fraction of PyTorch's own gate values near 0 or 1.
  Tolerances: the same float64 arithmetic in another order: log-norms 1e-9 (log10),
  singular values 1e-10 relative; gate fractions exactly equal away from the thresholds
  (a count of values, checked to have none within 1e-9 of them).
- An ONNX file exported from the same torch module gives the same numbers as its ``.pt``
  (float64 weights: 1e-12).
- Content detection: a ``.pt`` renamed ``.onnx``, an ``.npz`` renamed ``.pt``, an ONNX file
  renamed ``.pt`` are read as what they hold, and the output says so; a minimal Keras zip
  and an HDF5 header are detected as Keras (the Keras reader is not tested here).
- ``--batch-first`` equals the transposed sequence; ``(T, I)`` is ``B = 1``.
- Every refusal is one line on stderr, exit 2, nothing written.
"""

from __future__ import annotations

import io
import json
import os
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import numeric
from reports._model_file import HDF5_SIGNATURE, model_kind
from reports.cli import main

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from tests.test_stack import _cells, _module, _torch_reference  # noqa: E402

LN10 = np.log(10.0)


def _files(root: Path) -> set:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _analyze(tmp_path, model, *extra, name="out.json"):
    out = tmp_path / name
    code = main(["analyze", str(model), "--out", str(tmp_path / "figs"), "--json", str(out),
                 *extra])
    assert code == 0
    return json.loads(out.read_text(), parse_constant=_no_constant)


def _no_constant(name):
    raise AssertionError(f"the JSON holds {name}")


def _arr(x):
    return np.array(x, dtype=float)


def _torch_states(m, kind, xs):
    """Per layer, per direction: (inputs (T, B, I_l), states before each step as a list of
    tuples of (B, H) tensors, the cell) by a loop of torch cells from zero states."""
    T, B, _ = xs.shape
    H = m.hidden_size
    inp = torch.tensor(xs)
    out = []
    for dirs in _cells(m, kind):
        layer, outs = [], []
        for d, c in enumerate(dirs):
            s = tuple(torch.zeros(B, H, dtype=torch.float64)
                      for _ in range(2 if kind == "LSTM" else 1))
            before, ys = [None] * T, [None] * T
            for t in (range(T) if d == 0 else range(T - 1, -1, -1)):
                before[t] = s
                with torch.no_grad():
                    n = c(inp[t], s if kind == "LSTM" else s[0])
                s = n if kind == "LSTM" else (n,)
                ys[t] = s[0]
            layer.append((inp, before, c))
            outs.append(torch.stack(ys))
        out.append(layer)
        inp = torch.cat(outs, dim=2)
    return out


def _cell_jacobian(c, kind, x, s):
    """(D, D) torch autograd Jacobian of one sample's full next state w.r.t. its state."""
    def f(state):
        parts = tuple(state.split(c.hidden_size))
        n = c(x[None], tuple(p[None] for p in parts) if kind == "LSTM" else parts[0][None])
        return torch.cat([a[0] for a in n]) if kind == "LSTM" else n[0]

    return torch.autograd.functional.jacobian(f, torch.cat(s)).numpy()


def _torch_direction_norms(m, kind, xs, v):
    """Per layer, per direction: (T, B) norms of v^T dy_{T-1}/ds_t on that direction's
    state alone, by torch autograd through zero leaves added to every state (as
    ``_torch_reference`` of tests/test_stack.py, kept per direction)."""
    T, B, _ = xs.shape
    H = m.hidden_size
    inp = [torch.tensor(xs)[t] for t in range(T)]
    kept = []
    for dirs in _cells(m, kind):
        outs, leaves = [], []
        for d, c in enumerate(dirs):
            n_parts = 2 if kind == "LSTM" else 1
            s = tuple(torch.zeros(B, H, dtype=torch.float64) for _ in range(n_parts))
            ys, lv = [None] * T, [None] * T
            for t in (range(T) if d == 0 else range(T - 1, -1, -1)):
                n = c(inp[t], s if kind == "LSTM" else s[0])
                n = n if kind == "LSTM" else (n,)
                dz = tuple(torch.zeros(B, H, dtype=torch.float64, requires_grad=True)
                           for _ in range(n_parts))
                s = tuple(a + b for a, b in zip(n, dz, strict=True))
                lv[t], ys[t] = dz, s[0]
            outs.append(ys)
            leaves.append(lv)
        inp = [torch.cat([o[t] for o in outs], dim=1) for t in range(T)]
        kept.append(leaves)
    (inp[T - 1] * torch.tensor(v)).sum().backward()
    return [[np.array([np.sqrt(sum((np.zeros((B, H)) if p.grad is None else p.grad.numpy()) ** 2
                                   for p in lv[t]).sum(axis=1)) for t in range(T)])
             for lv in leaves] for leaves in kept]


def _check_layers_against_torch(doc, m, kind, xs):
    B = xs.shape[1]
    ref = _torch_states(m, kind, xs)
    for lay in doc["layers"]:
        for d, entry in enumerate(lay["directions"]):
            inp, before, c = ref[lay["index"]][d]
            steps = entry["spectra"]["steps"]
            assert len(steps) == 8
            smax, smin = _arr(entry["spectra"]["sigma_max"]), _arr(entry["spectra"]["sigma_min"])
            for n, t in enumerate(steps):
                for b in range(B):
                    J = _cell_jacobian(c, kind, inp[t, b], tuple(p[b] for p in before[t]))
                    sv = np.linalg.svd(J, compute_uv=False)
                    np.testing.assert_allclose([smax[n, b], smin[n, b]], [sv[0], sv[-1]],
                                               rtol=1e-10, atol=1e-14)
    return ref


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    I, H, T, B = 3, 4, 14, 3
    gru = _module("GRU", I, H, 2, True, seed=1)
    lstm = _module("LSTM", I, H, 2, False, seed=2)
    torch.save(gru.state_dict(), d / "gru.pt")
    torch.save(lstm.state_dict(), d / "lstm.pt")
    xs = np.random.default_rng(7).normal(size=(T, B, I))
    np.save(d / "seq.npy", xs)
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(gru, (torch.tensor(xs),), f, dynamo=False, input_names=["x"])
    (d / "gru.onnx").write_bytes(f.getvalue())
    return {"dir": d, "gru": gru, "lstm": lstm, "xs": xs}


def test_bidirectional_gru_gradients_and_spectra_match_torch_autograd(models, tmp_path,
                                                                      capsys):
    d, m, xs = models["dir"], models["gru"], models["xs"]
    doc = _analyze(tmp_path, d / "gru.pt", "--cell", "gru", "--inputs", str(d / "seq.npy"),
                   "--seed", "4")
    out = capsys.readouterr().out
    assert doc["model"]["kind"] == "torch" and doc["inputs"]["source"] == str(d / "seq.npy")
    assert [(lay["cell"], lay["bidirectional"], lay["input_size"], lay["hidden_size"])
            for lay in doc["model"]["layers"]] == [("gru", True, 3, 4), ("gru", True, 8, 4)]
    assert (doc["inputs"]["T"], doc["inputs"]["B"]) == xs.shape[:2]
    # the stack's gradients through time and depth: torch autograd of the same VJPs
    v = _arr(doc["stack"]["gradient"]["v"])
    _, snorm, xnorm = _torch_reference(m, "GRU", xs, v)
    g = doc["stack"]["gradient"]
    np.testing.assert_allclose(_arr(g["states_log10"]), np.log10(snorm), rtol=0, atol=1e-9)
    np.testing.assert_allclose(_arr(g["inputs_log10"]), np.log10(xnorm), rtol=0, atol=1e-9)
    assert np.ptp(_arr(g["inputs_log10"])) > 1.0        # the norms do vary
    assert doc["stack"]["spectra"] is None and "bidirectional" in doc["stack"]["spectra_null"]
    per = _torch_direction_norms(m, "GRU", xs, v)
    for lay in doc["layers"]:
        for dd, entry in enumerate(lay["directions"]):
            got, want = _arr(entry["through_depth_log10"]), per[lay["index"]][dd]
            # the top layer's reverse direction: only its first step (position T - 1)
            # reaches y_{T-1}; its other states get an exactly zero gradient, null in JSON
            zero = want == 0
            assert np.array_equal(np.isnan(got), zero)
            assert zero.sum() == (xs.shape[0] - 1) * xs.shape[1] * (lay["index"] == 1 and dd == 1)
            np.testing.assert_allclose(got[~zero], np.log10(want[~zero]), rtol=0, atol=1e-9)
    ref = _check_layers_against_torch(doc, m, "GRU", xs)
    # gate saturation: PyTorch's own update gate z along the sequence, each direction
    eps = doc["layers"][0]["directions"][0]["gate"]["eps"]
    for lay in doc["layers"]:
        for dd, entry in enumerate(lay["directions"]):
            inp, before, c = ref[lay["index"]][dd]
            H = c.hidden_size
            with torch.no_grad():
                zs = torch.stack([torch.sigmoid(inp[t] @ c.weight_ih[H:2 * H].T
                                                + c.bias_ih[H:2 * H]
                                                + before[t][0] @ c.weight_hh[H:2 * H].T
                                                + c.bias_hh[H:2 * H])
                                  for t in range(xs.shape[0])]).numpy()
            assert np.min(np.abs(zs - eps)) > 1e-9 and np.min(np.abs(zs - 1 + eps)) > 1e-9
            gate = entry["gate"]
            assert gate["name"] == "z"
            assert gate["saturated"] == np.mean((zs <= eps) | (zs >= 1 - eps))
            assert abs(gate["median"] - np.median(zs)) < 1e-12
    assert "layer 1 (reverse)" in out and "random inputs" not in out


def test_lstm_stack_spectrum_matches_torch_autograd_of_the_stacked_step(models, tmp_path,
                                                                        capsys):
    d, m, xs = models["dir"], models["lstm"], models["xs"]
    doc = _analyze(tmp_path, d / "lstm.pt", "--cell", "lstm", "--inputs", str(d / "seq.npy"))
    v = _arr(doc["stack"]["gradient"]["v"])
    _, snorm, xnorm = _torch_reference(m, "LSTM", xs, v)
    g = doc["stack"]["gradient"]
    np.testing.assert_allclose(_arr(g["states_log10"]), np.log10(snorm), rtol=0, atol=1e-9)
    np.testing.assert_allclose(_arr(g["inputs_log10"]), np.log10(xnorm), rtol=0, atol=1e-9)
    ref = _check_layers_against_torch(doc, m, "LSTM", xs)
    # the whole stack's one-step Jacobian d(h0, c0, h1, c1)' / d(h0, c0, h1, c1)
    (c0,), (c1,) = _cells(m, "LSTM")
    H = m.hidden_size
    sp = doc["stack"]["spectra"]
    for n, t in enumerate(sp["steps"]):
        for b in range(xs.shape[1]):
            x = torch.tensor(xs[t, b])

            def f(S, x=x):
                h0, k0, h1, k1 = (p[None] for p in S.split(H))
                h0n, k0n = c0(x[None], (h0, k0))
                h1n, k1n = c1(h0n, (h1, k1))
                return torch.cat([h0n[0], k0n[0], h1n[0], k1n[0]])

            S = torch.cat([*(p[b] for p in ref[0][0][1][t]), *(p[b] for p in ref[1][0][1][t])])
            sv = np.linalg.svd(torch.autograd.functional.jacobian(f, S).numpy(),
                               compute_uv=False)
            np.testing.assert_allclose([sp["sigma_max"][n][b], sp["sigma_min"][n][b]],
                                       [sv[0], sv[-1]], rtol=1e-10, atol=1e-14)
    assert "stack: singular values of dS_(t+1)/dS_t" in capsys.readouterr().out


def test_onnx_export_gives_the_numbers_of_its_pt(models, tmp_path, capsys):
    d = models["dir"]
    seq = str(d / "seq.npy")
    pt = _analyze(tmp_path, d / "gru.pt", "--cell", "gru", "--inputs", seq, name="pt.json")
    ox = _analyze(tmp_path, d / "gru.onnx", "--inputs", seq, name="onnx.json")
    assert ox["model"]["kind"] == "onnx" and ox["model"]["layers"] == pt["model"]["layers"]
    for a, b in ((pt["stack"]["gradient"]["states_log10"], ox["stack"]["gradient"]["states_log10"]),
                 (pt["stack"]["gradient"]["inputs_log10"], ox["stack"]["gradient"]["inputs_log10"])):
        np.testing.assert_allclose(_arr(b), _arr(a), rtol=0, atol=1e-12)
    for la, lb in zip(pt["layers"], ox["layers"], strict=True):
        for da, db in zip(la["directions"], lb["directions"], strict=True):
            np.testing.assert_allclose(_arr(db["spectra"]["sigma_max"]),
                                       _arr(da["spectra"]["sigma_max"]), rtol=1e-12)
            np.testing.assert_allclose(_arr(db["through_time"]["log10"]),
                                       _arr(da["through_time"]["log10"]), rtol=0, atol=1e-12)
    capsys.readouterr()


def test_content_wins_over_the_suffix(models, tmp_path, capsys):
    d = models["dir"]
    seq = str(d / "seq.npy")
    cases = [("gru.pt", "as.onnx", "torch", ["--cell", "gru"]),
             ("gru.onnx", "as.pt", "onnx", [])]
    npz = numeric.save(numeric.init("gru", 4, 3, seed=0), tmp_path / "g.npz")
    cases.append((npz, "as2.pt", "npz", []))
    for src, name, kind, extra in cases:
        target = tmp_path / name
        target.write_bytes((d / src if isinstance(src, str) else Path(src)).read_bytes())
        assert model_kind(target) == kind
        doc = _analyze(tmp_path, target, "--inputs", seq, *extra, name=name + ".json")
        assert doc["model"]["kind"] == kind and "from its content" in doc["model"]["kind_note"]
        assert f"({doc['model']['kind_note']})" in capsys.readouterr().out


def test_keras_files_are_detected_by_content(tmp_path):
    z = tmp_path / "model.bin"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("config.json", "{}")
        f.writestr("metadata.json", "{}")
        f.writestr("model.weights.h5", HDF5_SIGNATURE + b"\0" * 8)
    h5 = tmp_path / "w.pt"
    h5.write_bytes(HDF5_SIGNATURE + b"\0" * 64)
    assert model_kind(z) == "keras" and model_kind(h5) == "keras"
    t = tmp_path / "t.npz"
    torch.save({"a": torch.zeros(2)}, t)
    assert model_kind(t) == "torch"


def test_a_keras_file_goes_to_the_keras_reader_or_is_one_line(tmp_path, capsys):
    """The Keras reader (numeric.from_keras_file) is another branch's: here only that a
    Keras file reaches it, and that its failure on a hollow file is one line naming it."""
    z = tmp_path / "model.keras"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("config.json", "{}")
        f.writestr("model.weights.h5", HDF5_SIGNATURE)
    assert main(["analyze", str(z), "--out", str(tmp_path / "o")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "model.keras" in lines[0], lines
    assert sorted(os.listdir(tmp_path)) == ["model.keras"]


def test_batch_first_equals_the_transposed_sequence(models, tmp_path, capsys):
    d, xs = models["dir"], models["xs"]
    np.save(tmp_path / "bf.npy", xs.transpose(1, 0, 2))
    a = _analyze(tmp_path, d / "lstm.pt", "--cell", "lstm", "--inputs", str(d / "seq.npy"),
                 name="a.json")
    b = _analyze(tmp_path, d / "lstm.pt", "--cell", "lstm", "--inputs",
                 str(tmp_path / "bf.npy"), "--batch-first", name="b.json")
    assert a["inputs"].pop("source") != b["inputs"].pop("source")
    assert a == b
    # (T, I): one sequence, B = 1, the same as the first sequence of (T, B, I)
    np.savez(tmp_path / "one.npz", seq=xs[:, 0], other=xs[:, 1])
    c = _analyze(tmp_path, d / "lstm.pt", "--cell", "lstm", "--inputs",
                 f"{tmp_path / 'one.npz'}:seq", "--layers", "1", name="c.json")
    assert c["inputs"]["B"] == 1 and [lay["index"] for lay in c["layers"]] == [1]
    np.testing.assert_allclose(_arr(c["layers"][0]["directions"][0]["spectra"]["sigma_max"])[:, 0],
                               _arr(a["layers"][1]["directions"][0]["spectra"]["sigma_max"])[:, 0],
                               rtol=1e-12)
    capsys.readouterr()


def test_random_inputs_are_said(models, tmp_path, capsys):
    doc = _analyze(tmp_path, models["dir"] / "lstm.pt", "--cell", "lstm", "--steps", "6",
                   "--batch", "2")
    assert doc["inputs"] == {"source": "random", "T": 6, "B": 2, "initial_states": "random",
                             "seed": 0}
    assert "random inputs" in capsys.readouterr().out


@pytest.fixture(scope="module")
def bad_inputs(models):
    d = models["dir"]
    xs = models["xs"]
    np.save(d / "four.npy", xs[None])
    nan = xs.copy()
    nan[3, 1, 2] = np.nan
    np.save(d / "nan.npy", nan)
    np.save(d / "wrong_i.npy", xs[..., :2])
    np.save(d / "ints.npy", np.zeros((4, 3), dtype=np.int64))
    np.save(d / "objects.npy", np.array([None, 1], dtype=object), allow_pickle=True)
    np.savez(d / "two.npz", a=xs, b=xs)
    (d / "garbage.pt").write_bytes(b"not a model at all")
    (d / "afile").write_text("x")
    return d


REFUSALS = [
    (["--inputs", "{d}/four.npy"], r"four\.npy.*shape \(1, 14, 3, 3\)"),
    (["--inputs", "{d}/nan.npy"], r"nan\.npy.*non-finite.*nan.*\(3, 1, 2\)"),
    (["--inputs", "{d}/wrong_i.npy"], r"wrong_i\.npy.*2 features.*reads 3"),
    (["--inputs", "{d}/ints.npy"], r"ints\.npy.*int64"),
    (["--inputs", "{d}/objects.npy"], r"objects\.npy.*never unpickled"),
    (["--inputs", "{d}/two.npz"], r"two\.npz.*2 arrays \['a', 'b'\]"),
    (["--inputs", "{d}/two.npz:c"], r"two\.npz.*no array 'c'.*\['a', 'b'\]"),
    (["--inputs", "{d}/missing.npy"], r"missing\.npy.*does not exist"),
    (["--batch-first"], r"--batch-first.*--inputs"),
    (["--layers", "2"], r"--layers '2'.*2 layer"),
    (["--layers", "0,x"], r"--layers '0,x'.*'x'"),
    (["--layers", "0", "--layer", "0"], r"--layer.*--layers"),
    (["--json", "{d}/afile/out.json"], r"--json.*afile.*a file"),
    (["--report", "{d}/afile"], r"--report.*afile.*not a directory"),
    (["--report", "{d}"], r"--report.*other files"),
    (["--report", "{t}/o"], r"--out .*inside --report"),
]


@pytest.mark.parametrize(("extra", "pattern"), REFUSALS,
                         ids=[" ".join(e)[:40].replace("{d}/", "").replace("{t}/", "") for e, _ in REFUSALS])
def test_refusal_is_one_line_exit_2_and_writes_nothing(extra, pattern, bad_inputs, tmp_path,
                                                       monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    d = bad_inputs
    argv = ["analyze", str(d / "gru.pt"), "--cell", "gru", "--out", str(tmp_path / "o"),
            "--json", str(tmp_path / "j" / "out.json"),
            *[a.replace("{d}", str(d)).replace("{t}", str(tmp_path)) for a in extra]]
    before_d, before_t = _files(d), _files(tmp_path)
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gatebound analyze: error: "), lines
    assert re.search(pattern, lines[0]), lines[0]
    assert _files(d) == before_d and _files(tmp_path) == before_t


@pytest.mark.parametrize(("name", "pattern"), [
    ("garbage.pt", r"garbage\.pt"), ("afile", r"afile.*none of the formats"),
    ("nothere.onnx", r"nothere\.onnx.*does not exist")])
def test_unreadable_model_is_one_line(name, pattern, bad_inputs, tmp_path, monkeypatch,
                                      capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", str(bad_inputs / name), "--json", str(tmp_path / "x.json")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and re.search(pattern, lines[0]), lines
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["typst", pytest.param("latex", marks=pytest.mark.tex)])
def test_report_pdf_holds_the_figures_numbers_and_cells(engine, models, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from reports._cli_analyze import run_analyze

    if engine == "latex":
        from tests._tex import need_tex

        need_tex("en")

    d = models["dir"]
    rep = tmp_path / "rep"
    assert run_analyze(d / "lstm.pt", cell="lstm", inputs=str(d / "seq.npy"),
                       out=tmp_path / "figs", json_out=tmp_path / "o.json", report=rep,
                       engine=engine, say=lambda m: None) == 0
    assert sorted(os.listdir(rep)) == ["analysis.pdf", "analysis.tex", "analysis.typ",
                                       "figures"]
    doc = json.loads((tmp_path / "o.json").read_text())
    import unicodedata

    text = unicodedata.normalize("NFKC", "".join(p.extract_text()
                                                 for p in pypdf.PdfReader(rep / "analysis.pdf").pages))
    sp = doc["layers"][1]["directions"][0]["spectra"]
    assert re.search(r"The model.s cells", text) and "Figure 3" in text
    assert f"{sp['max']:.3g}" in text and "lstm" in text

"""``gatebound analyze`` on a model saved by Keras 3, against JAX autodiff of that model.

A float64 Keras model (a bidirectional GRU under an LSTM) is saved as ``.keras``; a user's
batch-first ``.npy`` sequence drives it. The JSON's input-gradient log-norms
``log10 ||v^T dy_{T-1}/dx_t||`` must equal JAX's own gradient of ``v . model(x)[:, T-1]``
through Keras' ``stateless_call`` (the model as Keras runs it, differentiated by JAX: an
implementation independent of gatebound's), to 1e-9 in log10 (float64 arithmetic in another
order). The command also writes the figures and the analysis report. Keras on JAX computes
in float32 unless x64 is on and its promotion table keeps float64 (see tests/test_keras.py).
"""

import json
import os

import numpy as np
import pytest

from reports.cli import main

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
jax = pytest.importorskip("jax")
pytest.importorskip("h5py")
if keras.backend.backend() != "jax":
    pytest.skip(f"Keras runs the {keras.backend.backend()} backend, not jax",
                allow_module_level=True)

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


@pytest.fixture
def float64(monkeypatch):
    from keras.src.backend.common import dtypes as kdtypes

    monkeypatch.setitem(kdtypes.BIT64_TO_BIT32_DTYPE, "float64", "float64")
    old = jax.config.jax_enable_x64, keras.config.floatx()
    jax.config.update("jax_enable_x64", True)
    keras.config.set_floatx("float64")
    keras.backend.clear_session()
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", old[0])
        keras.config.set_floatx(old[1])


def _no_constant(name):
    raise AssertionError(f"the JSON holds {name}")


def test_analyze_keras_file_matches_jax_autodiff_of_the_keras_model(float64, tmp_path,
                                                                     capsys):
    T, B, I = 40, 3, 4
    L = keras.layers
    model = keras.Sequential([keras.Input((T, I), dtype="float64"),
                              L.Bidirectional(L.GRU(5, return_sequences=True)),
                              L.LSTM(3, return_sequences=True),
                              L.Dense(1)])                        # a head outside the stack
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.assign(rng.normal(scale=0.5, size=w.shape))
    path = tmp_path / "model.keras"
    model.save(path)
    xs = rng.normal(size=(B, T, I))                               # batch-first, as Keras
    np.save(tmp_path / "seq.npy", xs)
    out, report = tmp_path / "a.json", tmp_path / "report"
    assert main(["analyze", str(path), "--inputs", str(tmp_path / "seq.npy"), "--batch-first",
                 "--json", str(out), "--out", str(tmp_path / "figs"), "--report",
                 str(report)]) == 0
    text = capsys.readouterr().out
    doc = json.loads(out.read_text(), parse_constant=_no_constant)
    assert doc["model"]["kind"] == "keras" and len(doc["model"]["layers"]) == 2
    assert doc["inputs"]["T"] == T and doc["inputs"]["B"] == B
    g = doc["stack"]["gradient"]
    v = np.array(g["v"])                                          # (B, O) on the LSTM output

    # the reference: JAX's gradient of v . y_{T-1} through the Keras model up to the LSTM
    sub = keras.Model(model.inputs, model.layers[1].output)
    tv = [w.value for w in sub.trainable_variables]
    ntv = [w.value for w in sub.non_trainable_variables]

    def top(x):
        y, _ = sub.stateless_call(tv, ntv, x)
        return jax.numpy.sum(y[:, -1, :] * v)

    grad = np.asarray(jax.grad(top)(jax.numpy.asarray(xs)))      # (B, T, I)
    want = np.log10(np.linalg.norm(grad, axis=2)).T              # (T, B)
    np.testing.assert_allclose(np.array(g["inputs_log10"], dtype=float), want, rtol=0,
                               atol=1e-9)
    assert np.ptp(want) > 1.0                                     # the norms do vary
    # the figures and the report are written
    assert (tmp_path / "figs" / "gradient_norms.pdf").stat().st_size > 0
    assert (report / "analysis.pdf").stat().st_size > 0
    assert "keras" in text

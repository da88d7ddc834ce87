"""numeric.from_keras_file against Keras 3 (JAX backend) running the same saved models.

Real models are built with Keras, given random weights (non-zero biases, so that every
bias slot is checked), saved with ``model.save`` (``.keras``) and ``model.save_weights``
(``.weights.h5``), and ``Stack.rollout(xs).outputs`` (xs (T, B, I)) is compared with
``model.predict`` on the same inputs (B, T, I), or with the output of the last recurrent
layer for a model with a Dense head.

Tolerances: float32 states are rounded to 2^-24 relative at every step and carried on;
with weights of scale 0.5 the deviation between two float32 implementations grows at
most linearly in T: |y_keras - y_numeric| <= 8 T eps32 relative to max(1, max |y|) (the
ReLU states are unbounded). float64: 1e-12 (T = 6). Keras' JAX backend maps float64 to
float32 in its type promotion (``BIT64_TO_BIT32_DTYPE``, to match JAX without x64), so
``tanh`` of a float64 tensor is computed in float32, and ``predict`` casts its inputs to
``floatx``; the float64 models run with ``jax_enable_x64``, that one table entry set to
float64 and ``floatx='float64'`` (all restored afterwards).
"""

import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric
from numeric import NumericError

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
h5py = pytest.importorskip("h5py")
jax = pytest.importorskip("jax")
if keras.backend.backend() != "jax":
    pytest.skip(f"Keras runs the {keras.backend.backend()} backend, not jax",
                allow_module_level=True)

# Keras' own saving converts its variables with np.array(variable), whose __array__ lacks
# NumPy 2's copy keyword (a NumPy DeprecationWarning about Keras, not about gatebound)
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

L = keras.layers
EPS32 = float(np.finfo(np.float32).eps)
T, B, I = 6, 3, 3
TOL = {"float32": 8 * T * EPS32, "float64": 1e-12}


@pytest.fixture(autouse=True)
def _fresh_names():
    """Layer names ('gru', 'gru_1', ...) counted from a fresh Keras session per test."""
    keras.backend.clear_session()


@pytest.fixture(params=["float32", "float64"])
def fx(request, monkeypatch):
    """The float type of the model; float64 with JAX x64 and Keras' promotion fixed."""
    if request.param == "float64":
        from keras.src.backend.common import dtypes as kdtypes
        monkeypatch.setitem(kdtypes.BIT64_TO_BIT32_DTYPE, "float64", "float64")
        old = jax.config.jax_enable_x64, keras.config.floatx()
        jax.config.update("jax_enable_x64", True)
        keras.config.set_floatx("float64")           # predict casts inputs to floatx
        try:
            yield "float64"
        finally:
            jax.config.update("jax_enable_x64", old[0])
            keras.config.set_floatx(old[1])
    else:
        yield "float32"


def _assign(model, fx, seed=0):
    rng = np.random.default_rng(seed)
    for w in model.weights:
        w.assign(rng.normal(scale=0.5, size=w.shape).astype(fx))


def _save(model, tmp_path):
    kpath, wpath = tmp_path / "m.keras", tmp_path / "m.weights.h5"
    model.save(kpath)
    model.save_weights(wpath)
    return kpath, wpath


def _stack_out(stack, xs):
    """The stack's top outputs (B, T, O) on Keras-layout inputs xs (B, T, I)."""
    return stack.rollout(np.ascontiguousarray(xs.transpose(1, 0, 2))).outputs.transpose(1, 0, 2)


def _dev(got, want):
    return float(np.max(np.abs(got - want))) / max(1.0, float(np.max(np.abs(want))))


# -- models saved by Keras, run by Keras --------------------------------------------------

def _gru_lstm(fx):
    return [L.GRU(4, return_sequences=True, dtype=fx),
            L.LSTM(5, return_sequences=True, use_bias=False, dtype=fx)]


def _elman(fx):
    return [L.SimpleRNN(4, return_sequences=True, dtype=fx),
            L.SimpleRNN(5, activation="relu", use_bias=False, return_sequences=True, dtype=fx)]


def _gru_cho(fx):
    return [L.GRU(4, return_sequences=True, reset_after=False, dtype=fx),
            L.Dropout(0.3, dtype=fx),
            L.GRU(3, return_sequences=True, reset_after=False, dtype=fx)]


def _bidirectional(fx):
    return [L.Bidirectional(L.GRU(4, return_sequences=True, dtype=fx), dtype=fx),
            L.Bidirectional(L.GRU(3, return_sequences=True, dtype=fx), dtype=fx),
            L.Bidirectional(L.LSTM(2, return_sequences=True, dtype=fx), dtype=fx)]


def _no_bias(fx):
    return [L.GRU(4, return_sequences=True, use_bias=False, dtype=fx),
            L.Bidirectional(L.GRU(3, return_sequences=True, use_bias=False, dtype=fx),
                            dtype=fx),
            L.GRU(2, return_sequences=True, use_bias=False, dtype=fx)]


# name: (layers, the cell= a .weights.h5 of it is read with, or None: one cell cannot say)
MODELS = {
    "gru-lstm": (_gru_lstm, None),
    "elman-tanh-relu": (_elman, None),
    "gru-reset-after-false": (_gru_cho, "gru"),
    "bidirectional": (_bidirectional, None),
    "no-bias": (_no_bias, "gru:pytorch"),
}


# every model in float64 (the strict check), two of them also in float32 (Keras' default)
@pytest.mark.parametrize(("name", "fx"), [*((n, "float64") for n in MODELS),
                                         ("gru-lstm", "float32"), ("bidirectional", "float32")],
                         indirect=["fx"])
def test_sequential_stack_matches_keras_predict(name, fx, tmp_path):
    make, cell = MODELS[name]
    model = keras.Sequential([keras.Input((T, I), dtype=fx), *make(fx)])
    _assign(model, fx)
    kpath, wpath = _save(model, tmp_path)
    xs = np.random.default_rng(1).normal(size=(B, T, I)).astype(fx)
    want = np.asarray(model.predict(xs, verbose=0))
    stack = numeric.from_keras_file(kpath)
    assert stack.dtype == np.dtype(fx)
    dev = _dev(_stack_out(stack, xs), want)
    assert dev <= TOL[fx], (name, dev)
    if cell is not None:                       # the same weights, without the config
        wstack = numeric.from_keras_file(wpath, cell=cell)
        assert repr(wstack) == repr(stack)
        dev = _dev(_stack_out(wstack, xs), want)
        assert dev <= TOL[fx], (name, "weights.h5", dev)


def test_functional_with_dense_head_matches_the_last_recurrent_layer(fx, tmp_path):
    """A Functional chain GRU -> Dropout -> GRU (last step only) -> Dense: the stack is
    the recurrent part; Keras' sub-model up to the top GRU is the reference."""
    inp = keras.Input((T, I), dtype=fx)
    h = L.GRU(4, return_sequences=True, dtype=fx, name="gru")(inp)
    h = L.Dropout(0.5, dtype=fx)(h)
    h = L.GRU(3, reset_after=False, dtype=fx, name="top")(h)     # return_sequences=False
    model = keras.Model(inp, L.Dense(2, dtype=fx, name="head")(h))
    _assign(model, fx)
    kpath, wpath = _save(model, tmp_path)
    xs = np.random.default_rng(2).normal(size=(B, T, I)).astype(fx)
    want = np.asarray(keras.Model(model.inputs, model.get_layer("top").output)
                      .predict(xs, verbose=0))
    stack = numeric.from_keras_file(kpath)
    dev = _dev(_stack_out(stack, xs)[:, -1], want)       # the last step
    assert dev <= TOL[fx], dev
    listed = numeric.keras_layers(kpath)
    assert [(e.name, e.class_name, e.in_stack, e.stack_index) for e in listed] == [
        ("input_layer", "InputLayer", False, None), ("gru", "GRU", True, 0),
        ("dropout", "Dropout", False, None), ("top", "GRU", True, 1),
        ("head", "Dense", False, None)]
    assert listed[1].cells == ("gru:pytorch",) and listed[3].cells == ("gru:cho",)
    with pytest.raises(NumericError, match=r"layer group layers/dense is in a \.weights\.h5 "
                                           r"with several recurrent layers"):
        numeric.from_keras_file(wpath, cell="gru")


def test_bidirectional_last_step_is_forward_at_the_end_and_backward_at_the_start(tmp_path):
    """Bidirectional(GRU) with return_sequences=False outputs [forward h_{T-1}; backward
    state after reading x_0]: the stack's outputs at t = T-1 (first H) and t = 0 (last H)."""
    model = keras.Sequential([keras.Input((T, I)), L.Bidirectional(L.GRU(3))])
    _assign(model, "float32")
    kpath, _ = _save(model, tmp_path)
    xs = np.random.default_rng(4).normal(size=(B, T, I)).astype(np.float32)
    want = np.asarray(model.predict(xs, verbose=0))
    ys = _stack_out(numeric.from_keras_file(kpath), xs)
    got = np.concatenate([ys[:, -1, :3], ys[:, 0, 3:]], axis=1)
    assert _dev(got, want) <= TOL["float32"]


def test_weights_h5_with_one_recurrent_layer_and_a_head(tmp_path):
    model = keras.Sequential([keras.Input((T, I)), L.SimpleRNN(4, activation="relu"),
                              L.Dense(2)])
    _assign(model, "float32")
    _, wpath = _save(model, tmp_path)
    xs = np.random.default_rng(3).normal(size=(B, T, I)).astype(np.float32)
    want = np.asarray(keras.Model(model.inputs, model.layers[0].output).predict(xs, verbose=0))
    stack = numeric.from_keras_file(wpath, cell="elman:relu")
    assert _dev(_stack_out(stack, xs)[:, -1], want) <= TOL["float32"]
    with pytest.raises(NumericError, match=r"has no config.*pass cell="):
        numeric.from_keras_file(wpath)
    assert [(e.name, e.in_stack) for e in numeric.keras_layers(wpath)] == [
        ("simple_rnn", True), ("dense", False)]


def test_half_precision_weights_are_read_in_float32(tmp_path):
    """bfloat16 (stored as opaque 2-byte data) and float16 variables: the stack holds
    exactly Keras' own values of them, widened to float32 by ml_dtypes/NumPy."""
    model = keras.Sequential([
        keras.Input((T, I)),
        L.GRU(4, return_sequences=True, dtype="bfloat16", recurrent_initializer="glorot_uniform"),
        L.LSTM(3, return_sequences=True, dtype="float16", recurrent_initializer="glorot_uniform")])
    _assign(model, "float32")
    kpath, _ = _save(model, tmp_path)
    stack = numeric.from_keras_file(kpath)
    assert stack.dtype == np.float32
    for params, layer, cell in zip(stack.layers, model.layers, ("gru", "lstm"), strict=True):
        K, U, b = (np.asarray(w).astype(np.float32) for w in layer.get_weights())
        ref = numeric.from_keras(K, U, b, cell=cell)
        for key, arr in ref.arrays.items():
            np.testing.assert_array_equal(params[0].arrays[key], arr, err_msg=key)
    with pytest.raises(NumericError, match=r"dtype must be float32 or float64.*float16"):
        numeric.from_keras_file(kpath, dtype="float16")
    assert numeric.from_keras_file(kpath, dtype="float64").dtype == np.float64


def _rezip(kpath, compression):
    out = kpath.with_name("rezipped.keras")
    with zipfile.ZipFile(kpath) as z, zipfile.ZipFile(out, "w", compression) as o:
        for n in z.namelist():
            o.writestr(n, z.read(n))
    return out


def test_layers_are_keras_own_weights_in_a_deflated_archive_too(tmp_path):
    """Embedding -> Bidirectional(GRU cho) -> GRU -> TimeDistributed(Dense), built without
    an Input: each stack layer equals numeric.from_keras of the layer's own in-memory
    get_weights(); the archive re-zipped with deflate reads the same."""
    model = keras.Sequential([
        L.Embedding(10, 3),
        L.Bidirectional(L.GRU(4, return_sequences=True, reset_after=False)),
        L.GRU(2, return_sequences=True), L.TimeDistributed(L.Dense(2))])
    model.build((None, T))
    _assign(model, "float32")
    kpath, _ = _save(model, tmp_path)
    bi, top = model.layers[1], model.layers[2]
    want = [(numeric.from_keras(*bi.forward_layer.get_weights(), cell="gru", reset_after=False),
             numeric.from_keras(*bi.backward_layer.get_weights(), cell="gru",
                                reset_after=False)),
            (numeric.from_keras(*top.get_weights(), cell="gru"),)]
    for path in (kpath, _rezip(kpath, zipfile.ZIP_DEFLATED)):
        stack = numeric.from_keras_file(path)
        assert len(stack.layers) == 2
        for got_layer, want_layer in zip(stack.layers, want, strict=True):
            for got, ref in zip(got_layer, want_layer, strict=True):
                assert (got.cell.name, got.convention) == (ref.cell.name, ref.convention)
                for key, arr in ref.arrays.items():
                    np.testing.assert_array_equal(got.arrays[key], arr, err_msg=key)
    assert [(e.class_name, e.note) for e in numeric.keras_layers(kpath)
            if not e.in_stack] == [("InputLayer", "input layer"),
                                   ("Embedding", "before the first recurrent layer"),
                                   ("TimeDistributed", "after the last recurrent layer")]


# -- refusals, each naming the file, layer and attribute ----------------------------------

def _saved(tmp_path, layers, shape=(T, I), **kw):
    model = keras.Sequential([keras.Input(shape, **kw), *layers])
    kpath, wpath = _save(model, tmp_path)
    return kpath, wpath


def _edit_config(kpath, edit):
    """The archive with config.json rewritten by ``edit`` (a hand-edited file)."""
    with zipfile.ZipFile(kpath) as z:
        members = {n: z.read(n) for n in z.namelist()}
    cfg = json.loads(members["config.json"])
    edit(cfg)
    members["config.json"] = json.dumps(cfg).encode()
    out = kpath.with_name("edited.keras")
    with zipfile.ZipFile(out, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return out


REFUSED = [
    (lambda: [L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode="sum")],
     r"layer 'bidirectional' \(Bidirectional\) has merge_mode='sum'"),
    (lambda: [L.LSTM(2, activation="relu")], r"layer 'lstm' \(LSTM\) has activation='relu'"),
    (lambda: [L.GRU(2, recurrent_activation="hard_sigmoid")],
     r"layer 'gru' \(GRU\) has recurrent_activation='hard_sigmoid'"),
    (lambda: [L.GRU(2, return_sequences=True), L.Dense(2, name="dense_1"), L.LSTM(2)],
     r"layer 'dense_1' \(Dense\) between recurrent layers 'gru' and 'lstm'"),
    (lambda: [L.GRU(2, go_backwards=True)], r"layer 'gru' \(GRU\) has go_backwards=True"),
    (lambda: [L.SimpleRNN(2, activation="sigmoid")],
     r"layer 'simple_rnn' \(SimpleRNN\) has activation='sigmoid'"),
    (lambda: [L.Masking(), L.GRU(2)], r"layer 'masking' \(Masking\) masks steps"),
    (lambda: [L.RNN(L.GRUCell(2))], r"layer 'rnn' \(RNN\) is a recurrent layer whose cell is not read"),
]


@pytest.mark.parametrize(("layers", "message"), REFUSED,
                         ids=["merge-sum", "lstm-relu", "hard-sigmoid", "dense-between",
                              "go-backwards", "elman-sigmoid", "masking", "generic-rnn"])
def test_refused_layers_are_named(layers, message, tmp_path):
    kpath, _ = _saved(tmp_path, layers())
    with pytest.raises(NumericError, match=message) as err:
        numeric.from_keras_file(kpath)
    assert str(kpath) in str(err.value)
    with pytest.raises(NumericError, match=message):
        numeric.keras_layers(kpath)


def test_stateful_layer_is_refused(tmp_path):
    kpath, _ = _saved(tmp_path, [L.GRU(2, stateful=True)], batch_shape=(B, T, I), shape=None)
    with pytest.raises(NumericError, match=r"layer 'gru' \(GRU\) has stateful=True"):
        numeric.from_keras_file(kpath)


def test_return_sequences_false_below_another_recurrent_layer_is_refused(tmp_path):
    kpath, _ = _saved(tmp_path, [L.GRU(2, return_sequences=True), L.GRU(2)])

    def edit(cfg):
        cfg["config"]["layers"][1]["config"]["return_sequences"] = False

    with pytest.raises(NumericError, match=r"layer 'gru' \(GRU\) has return_sequences=False "
                                           r"but the recurrent layer 'gru_1' reads it"):
        numeric.from_keras_file(_edit_config(kpath, edit))


def test_weights_h5_needs_a_cell_that_fits_every_layer(tmp_path):
    _, wpath = _saved(tmp_path, [L.GRU(2, return_sequences=True),
                                 L.LSTM(2, return_sequences=True)])
    with pytest.raises(NumericError, match=r"m\.weights\.h5' is a \.weights\.h5 file.*pass "
                                           r"cell="):
        numeric.from_keras_file(wpath)
    with pytest.raises(NumericError, match=r"layer group layers/lstm holds an LSTM layer but "
                                           r"cell='gru'"):
        numeric.from_keras_file(wpath, cell="gru")
    with pytest.raises(NumericError, match=r"cell='GRU' is not a Keras cell"):
        numeric.from_keras_file(wpath, cell="GRU")


def test_weights_h5_gru_without_bias_needs_its_convention(tmp_path):
    _, wpath = _saved(tmp_path, [L.GRU(2, use_bias=False)])
    with pytest.raises(NumericError, match=r"layer group layers/gru is a GRU without bias.*"
                                           r"cell='gru:pytorch'"):
        numeric.from_keras_file(wpath, cell="gru")
    assert numeric.from_keras_file(wpath, cell="gru:cho").layers[0][0].convention == "cho"


def test_not_keras_files_are_refused(tmp_path):
    with pytest.raises(NumericError, match=r"Keras file '.*nothing\.keras' does not exist"):
        numeric.from_keras_file(tmp_path / "nothing.keras")
    other = tmp_path / "other.keras"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("notes.txt", "hello")
    with pytest.raises(NumericError, match=r"other\.keras' is a zip archive but not a Keras 3 "
                                           r"archive: no config\.json or model\.weights\.h5"):
        numeric.from_keras_file(other)
    text = tmp_path / "text.keras"
    text.write_text("{}")
    with pytest.raises(NumericError, match=r"text\.keras' is neither a Keras archive"):
        numeric.from_keras_file(text)


def test_truncated_files_are_refused(tmp_path):
    kpath, wpath = _saved(tmp_path, [L.GRU(2)])
    for path, message in ((kpath, r"m\.keras' is not a readable zip archive \(truncated"),
                          (wpath, r"m\.weights\.h5' cannot be read as HDF5 \(truncated")):
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
        with pytest.raises(NumericError, match=message):
            numeric.from_keras_file(path, cell="gru")


def test_hdf5_links_to_other_files_are_not_followed(tmp_path):
    _, wpath = _saved(tmp_path, [L.GRU(2)])
    with h5py.File(wpath, "a") as f:
        del f["layers/gru/cell/vars/1"]
        f["layers/gru/cell/vars/1"] = h5py.ExternalLink("elsewhere.h5", "/data")
    with pytest.raises(NumericError, match=r"/layers/gru/cell/vars/1 is a ExternalLink, "
                                           r"which is not followed"):
        numeric.from_keras_file(wpath, cell="gru")


@pytest.fixture(scope="module")
def good_files(tmp_path_factory):
    """The bytes of a .keras and a .weights.h5 of GRU -> Bidirectional(GRU), and the stack."""
    keras.backend.clear_session()
    folder = tmp_path_factory.mktemp("good")
    model = keras.Sequential([keras.Input((T, I)), L.GRU(2, return_sequences=True),
                              L.Bidirectional(L.GRU(2))])
    _assign(model, "float32")
    kpath, wpath = _save(model, folder)
    return kpath.read_bytes(), wpath.read_bytes(), repr(numeric.from_keras_file(kpath))


@settings(deadline=None)
@given(cut=st.integers(0, 10**6), flip=st.integers(0, 10**6), byte=st.integers(0, 255),
       archive=st.booleans())
def test_damaged_file_is_numeric_error_or_the_same_stack(tmp_path_factory, good_files, cut,
                                                         flip, byte, archive):
    """A valid file truncated and with one byte changed: one NumericError naming the file
    in one line, or (a byte of weight data or padding changed: HDF5 data has no checksum)
    a stack of the same layers, every value finite."""
    data = bytearray(good_files[0] if archive else good_files[1])
    data[flip % len(data)] = byte
    path = tmp_path_factory.mktemp("dmg") / ("w.keras" if archive else "w.weights.h5")
    path.write_bytes(bytes(data[:len(data) - cut % 300]))
    try:
        stack = numeric.from_keras_file(path, cell=None if archive else "gru")
    except NumericError as exc:
        assert path.name in str(exc) and "\n" not in str(exc), str(exc)
    else:
        assert repr(stack) == good_files[2]


def test_weights_h5_order_of_mixed_groups_must_be_proven_by_the_sizes(tmp_path):
    """gru, gru_1 and bidirectional groups of equal sizes: the file allows two orders."""
    _, wpath = _saved(tmp_path, [L.GRU(4, return_sequences=True),
                                 L.Bidirectional(L.GRU(2, return_sequences=True)),
                                 L.GRU(4, return_sequences=True)])
    with pytest.raises(NumericError, match=r"the order of the recurrent groups layers/"
                                           r"bidirectional, layers/gru, layers/gru_1 is not "
                                           r"recorded.*more than one order"):
        numeric.from_keras_file(wpath, cell="gru")


def test_options_are_checked_before_the_file(tmp_path):
    missing = tmp_path / "missing.keras"
    with pytest.raises(NumericError, match=r"cell='lstm:peephole' is not a Keras cell"):
        numeric.from_keras_file(missing, cell="lstm:peephole")
    with pytest.raises(NumericError, match=r"dtype must be float32 or float64, got 'int32'"):
        numeric.from_keras_file(missing, dtype="int32")


def test_layers_of_different_dtypes_need_dtype(tmp_path):
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)           # float64 variables in JAX
    try:
        kpath, _ = _saved(tmp_path, [L.GRU(2, return_sequences=True),
                                     L.LSTM(2, dtype="float64")])
    finally:
        jax.config.update("jax_enable_x64", old)
    with pytest.raises(NumericError, match=r"the recurrent layers mix dtypes \['float32', "
                                           r"'float64'\].*pass dtype="):
        numeric.from_keras_file(kpath)
    assert numeric.from_keras_file(kpath, dtype="float64").dtype == np.float64

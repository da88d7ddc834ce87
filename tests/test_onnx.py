"""numeric.from_onnx against onnxruntime running the same ONNX files.

Real PyTorch models (nn.RNN, nn.GRU, nn.LSTM; multi-layer, bidirectional) are exported with
the TorchScript exporter (``dynamo=False``, no extra package); every recurrent node's Y
(each direction) from onnxruntime is compared with ``numeric.rollout`` of the Params that
``from_onnx`` reads for that node and direction, driven by the node's own input X as
onnxruntime computes it. onnxruntime runs these operators in float32 only ("does not
support double yet"): float64 files are run by the ONNX reference evaluator
(``onnx.reference``, pure NumPy, another implementation than ours). Hand-built graphs
(``onnx.helper``) cover ``linear_before_reset=0``, ``Relu``, peepholes, ``layout=1``,
Constant-node weights and every refusal.

Tolerances: float32 states are rounded to 2^-24 relative at every step and carried on;
with PyTorch's default initialization (weights of norm about 1) the deviation between two
float32 implementations grows at most linearly in T: |Y_ort - Y_numeric| <= 8 T eps32
(relative to max(1, max |Y|), for the unbounded ReLU states).
float64: 1e-12 (T <= 12).
"""

import io
import warnings

import numpy as np
import pytest

import numeric
from numeric import NumericError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
helper, nh = onnx.helper, onnx.numpy_helper
TensorProto = onnx.TensorProto
ReferenceEvaluator = pytest.importorskip("onnx.reference").ReferenceEvaluator

EPS32 = float(np.finfo(np.float32).eps)
T, B, I, H = 12, 3, 5, 7


# -- helpers -----------------------------------------------------------------------------

def _export(module, x) -> bytes:
    torch = pytest.importorskip("torch")
    f = io.BytesIO()
    with warnings.catch_warnings():          # the legacy exporter's deprecation and tracer
        warnings.simplefilter("ignore")      # warnings (batch size, bool conversions)
        with torch.no_grad():
            torch.onnx.export(module, (x,), f, dynamo=False, input_names=["x"])
    return f.getvalue()


def _with_outputs(data: bytes, names) -> bytes:
    """The model with the tensors ``names`` added as graph outputs (to read them back)."""
    m = onnx.load_model_from_string(data)
    have = {o.name for o in m.graph.output} | {i.name for i in m.graph.input}
    for n in names:
        if n not in have:
            m.graph.output.append(helper.make_empty_tensor_value_info(n))
            have.add(n)
    return m.SerializeToString()


def _run(data: bytes, feeds, names, runtime):
    """The tensors ``names`` as ``runtime`` computes them (graph inputs: as fed)."""
    fed = {n: feeds[n] for n in names if n in feeds}
    names = [n for n in dict.fromkeys(names) if n not in feeds]
    data = _with_outputs(data, names)
    if runtime == "ort":
        s = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    else:
        s = ReferenceEvaluator(onnx.load_model_from_string(data))
    return {**fed, **dict(zip(names, s.run(list(names), feeds), strict=True))}


def _numeric_y(p, X, direction):
    """(T, B, H) outputs of ``p`` on X (T, B, I) from zero states, reversed for 'reverse'."""
    xs = X[::-1] if direction == "reverse" else X
    Bn = X.shape[1]
    zero = np.zeros((Bn, p.hidden_size), dtype=p.dtype)
    state0 = (zero, zero) if len(p.cell.states) == 2 else zero
    out = numeric.rollout(p, np.ascontiguousarray(xs, dtype=p.dtype), state0)
    hs = out[0] if isinstance(out, tuple) else out
    return hs[::-1] if direction == "reverse" else hs


def _compare_nodes(data, x, runtime, tol):
    """Every node and direction of the file: numeric's Y against ``runtime``'s; the worst
    deviation, relative to max(1, max |Y|)."""
    nodes = numeric.onnx_nodes(data)
    names = []
    for nd in nodes:
        names += [nd.input, nd.outputs[0]]
    got = _run(data, {"x": x}, names, runtime)
    worst = 0.0
    for nd in nodes:
        X, Y = got[nd.input], got[nd.outputs[0]]            # Y: (T, D, B, H), layout 0
        for d, direction in enumerate(nd.directions):
            p = numeric.from_onnx(data, node=nd.index, direction=direction)
            assert p.dtype == X.dtype
            scale = max(1.0, float(np.max(np.abs(Y[:, d]))))    # ReLU states grow
            dev = float(np.max(np.abs(_numeric_y(p, X, direction) - Y[:, d]))) / scale
            assert dev <= tol, (nd, direction, dev, tol)
            worst = max(worst, dev)
    return nodes, worst


# -- real PyTorch models -----------------------------------------------------------------

MODELS = [
    ("RNN", {"nonlinearity": "tanh"}),
    ("RNN", {"nonlinearity": "relu"}),
    ("GRU", {}),
    ("LSTM", {}),
]


@pytest.mark.torch
@pytest.mark.parametrize(("kind", "kw"), MODELS, ids=["rnn-tanh", "rnn-relu", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_exported_torch_stack_matches_onnxruntime_float32(kind, kw, bidirectional):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    m = getattr(torch.nn, kind)(I, H, num_layers=2, bidirectional=bidirectional, **kw)
    x = torch.randn(T, B, I)
    data = _export(m, x)
    nodes, worst = _compare_nodes(data, x.numpy(), "ort", 8 * T * EPS32)
    assert [n.op for n in nodes] == [kind, kind]
    assert [n.input_size for n in nodes] == [I, H * (2 if bidirectional else 1)]
    want = {"RNN": "elman:relu" if kw.get("nonlinearity") == "relu" else "elman",
            "GRU": "gru:pytorch", "LSTM": "lstm"}[kind]
    assert all(set(n.cells) == {want} for n in nodes)
    # the weights equal what from_torch reads from the module itself, bit for bit
    for layer, nd in enumerate(nodes):
        for direction in nd.directions:
            a = numeric.from_onnx(data, node=layer, direction=direction)
            b = numeric.from_torch(m, layer, reverse=direction == "reverse")
            assert a.cell.title == b.cell.title
            for k, v in b.parameters.items():
                assert np.array_equal(a.arrays[k], v), (layer, direction, k)


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_exported_torch_float64_matches_onnx_reference(kind):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    m = getattr(torch.nn, kind)(I, H, num_layers=2, bidirectional=True).double()
    x = torch.randn(T, B, I, dtype=torch.float64)
    data = _export(m, x)
    nodes, worst = _compare_nodes(data, x.numpy(), "reference", 1e-12)
    assert all(n.dtype == "float64" for n in nodes)
    # and the file's last output is PyTorch's own
    y = _run(data, {"x": x.numpy()}, [onnx.load_model_from_string(data).graph.output[0].name],
             "reference")
    with torch.no_grad():
        ref = m(x)[0].numpy()
    assert np.max(np.abs(next(iter(y.values())) - ref)) <= 1e-12


# -- hand-built graphs -------------------------------------------------------------------

def _graph(op, *, D=1, attrs=None, P=False, layout=0, dtype=np.float32, scale=0.6,
           constants=False, seed=0, names=("W", "R", "B")):
    """One ``op`` node with random W, R, B (and P) as initializers (or Constant nodes)."""
    rng = np.random.default_rng(seed)
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[op]
    arrays = {"W": rng.normal(size=(D, G * H, I)) * scale,
              "R": rng.normal(size=(D, G * H, H)) * scale,
              "B": rng.normal(size=(D, 2 * G * H)) * scale}
    inputs = ["x", *names]
    if P:
        arrays["P"] = rng.normal(size=(D, 3 * H)) * scale
        inputs += ["", "", "", "P"]
    arrays = {k: v.astype(dtype) for k, v in arrays.items()}
    tp = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    node = helper.make_node(op, inputs, ["y", "yh"], hidden_size=H, name=f"my_{op}",
                            **({"layout": layout} if layout else {}), **(attrs or {}))
    tensors = [nh.from_array(v, k) for k, v in arrays.items() if k in inputs]
    nodes = [node]
    if constants:
        nodes = [helper.make_node("Constant", [], [t.name], value=t) for t in tensors] + nodes
        tensors = []
    xshape = [T, B, I] if layout == 0 else [B, T, I]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", tp, xshape)],
                          [helper.make_tensor_value_info("y", tp, None)], tensors)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    return model, arrays


def _x(dtype=np.float32, seed=3):
    return np.random.default_rng(seed).normal(size=(T, B, I)).astype(dtype)


@pytest.mark.parametrize(("op", "attrs", "P", "cell"), [
    ("GRU", {}, False, "gru:cho"),                                # linear_before_reset=0
    ("GRU", {"linear_before_reset": 1}, False, "gru:pytorch"),
    ("RNN", {"activations": ["Relu"]}, False, "elman:relu"),
    ("RNN", {"activations": ["Tanh", "Relu"], "direction": "bidirectional"}, False, None),
    ("LSTM", {}, True, "peephole_lstm"),                          # P: i, o, f
    ("LSTM", {"direction": "reverse"}, True, "peephole_lstm"),
    ("LSTM", {"activations": ["sigmoid", "tanh", "tanh"]}, False, "lstm"),
])
@pytest.mark.parametrize("constants", [False, True], ids=["initializers", "constants"])
def test_hand_built_node_matches_onnxruntime(op, attrs, P, cell, constants):
    model, _ = _graph(op, attrs=attrs, P=P, D=2 if "direction" in attrs and
                      attrs["direction"] == "bidirectional" else 1, constants=constants)
    data = model.SerializeToString()
    (nd,), worst = _compare_nodes(data, _x(), "ort", 8 * T * EPS32)
    if cell is not None:
        assert set(nd.cells) == {cell}
    else:
        assert nd.cells == ("elman", "elman:relu")
    assert nd.name == f"my_{op}"


@pytest.mark.parametrize("op", ["RNN", "GRU", "LSTM"])
def test_layout_1_matches_onnx_reference_float64(op):
    """onnxruntime refuses layout=1 ("Batchwise recurrent operations ... not supported"):
    the ONNX reference evaluator runs it; Y is (B, T, D, H)."""
    model, _ = _graph(op, layout=1, dtype=np.float64, P=op == "LSTM")
    x = _x(np.float64)
    y = ReferenceEvaluator(model).run(["y"], {"x": np.ascontiguousarray(x.transpose(1, 0, 2))})[0]
    (nd,) = numeric.onnx_nodes(model)
    assert nd.layout == 1
    p = numeric.from_onnx(model)
    assert p.dtype == np.float64
    assert np.max(np.abs(_numeric_y(p, x, "forward") - y[:, :, 0].transpose(1, 0, 2))) <= 1e-12


def test_zero_peepholes_are_the_plain_lstm():
    model, arrays = _graph("LSTM", P=True)
    model.graph.initializer[3].CopyFrom(nh.from_array(np.zeros_like(arrays["P"]), "P"))
    assert numeric.from_onnx(model).cell.name == "lstm"


# -- refusals ----------------------------------------------------------------------------

@pytest.mark.parametrize(("op", "attrs", "match"), [
    ("GRU", {"clip": 3.0}, r"'my_GRU'.*clip=3\.0"),
    ("LSTM", {"clip": 1.0}, r"'my_LSTM'.*clip"),
    ("GRU", {"activations": ["Sigmoid", "Relu"]}, r"'my_GRU'.*activations=.*'relu'"),
    ("RNN", {"activations": ["Sigmoid"]}, r"'my_RNN'.*activations.*Tanh or Relu"),
    ("LSTM", {"activations": ["HardSigmoid", "Tanh", "Tanh"]}, r"'my_LSTM'.*activations"),
    ("RNN", {"activations": ["Tanh", "Tanh"]}, r"needs 1 \(1 per direction\)"),
    ("RNN", {"activation_alpha": [0.5]}, r"'my_RNN'.*activation_alpha"),
    ("LSTM", {"input_forget": 2}, r"'my_LSTM'.*input_forget=2"),
    ("GRU", {"linear_before_reset": 2}, r"linear_before_reset=2"),
    ("GRU", {"hidden_size": H + 1}, r"hidden_size=8 but R has shape \(1, 21, 7\)"),
])
def test_unmodelled_attribute_is_refused_by_node_and_name(op, attrs, match):
    model, _ = _graph(op)
    node = model.graph.node[-1]
    kept = [a for a in node.attribute if a.name not in attrs]
    del node.attribute[:]
    node.attribute.extend(kept + [helper.make_attribute(k, v) for k, v in attrs.items()])
    with pytest.raises(NumericError, match=match):
        numeric.from_onnx(model)
    with pytest.raises(NumericError, match=match):
        numeric.onnx_nodes(model)


@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_input_forget_is_the_cifg_lstm_as_onnxruntime_runs_it(direction):
    """onnxruntime couples f = 1 - i; the ONNX reference evaluator ignores the attribute
    (so the two runtimes disagree on the file: from_onnx follows the one that couples)."""
    model, _ = _graph("LSTM", attrs={"input_forget": 1, "direction": direction},
                      D=2 if direction == "bidirectional" else 1)
    x = _x()
    (nd,), worst = _compare_nodes(model.SerializeToString(), x, "ort", 8 * T * EPS32)
    assert set(nd.cells) == {"cifg_lstm"}
    a = ort.InferenceSession(model.SerializeToString(),
                             providers=["CPUExecutionProvider"]).run(["y"], {"x": x})[0]
    b = ReferenceEvaluator(model).run(["y"], {"x": x})[0]
    assert np.max(np.abs(a - b)) > 1e-2
    peep, _ = _graph("LSTM", attrs={"input_forget": 1}, P=True)
    with pytest.raises(NumericError, match=r"'my_LSTM' .*input_forget=1 and peepholes P"):
        numeric.from_onnx(peep)


def test_weights_fed_at_run_time_are_refused():
    model, _ = _graph("GRU")
    r = model.graph.initializer[1]
    model.graph.input.append(helper.make_tensor_value_info("R2", TensorProto.FLOAT, list(r.dims)))
    model.graph.node[0].input[2] = "R2"
    with pytest.raises(NumericError, match=r"'my_GRU'.*R from 'R2'.*not an initializer"):
        numeric.from_onnx(model)


def test_bad_files_are_refused(tmp_path):
    good, _ = _graph("GRU")
    data = good.SerializeToString()
    (tmp_path / "text.onnx").write_text("hello, not a model\n")
    (tmp_path / "cut.onnx").write_bytes(data[: len(data) // 2])
    (tmp_path / "empty.onnx").write_bytes(b"")
    for name in ("text.onnx", "cut.onnx", "empty.onnx"):
        with pytest.raises(NumericError, match=rf"ONNX file '.*{name}' is not"):
            numeric.from_onnx(tmp_path / name)
    with pytest.raises(NumericError, match="does not exist"):
        numeric.from_onnx(tmp_path / "missing.onnx")
    with pytest.raises(NumericError, match="path, bytes or an onnx.ModelProto"):
        numeric.from_onnx(3.5)
    (tmp_path / "good.onnx").write_bytes(data)
    assert numeric.from_onnx(tmp_path / "good.onnx").hidden_size == H
    assert numeric.from_onnx(str(tmp_path / "good.onnx")).hidden_size == H


def test_graph_without_recurrent_node_is_refused():
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    with pytest.raises(NumericError, match="no RNN, GRU or LSTM node"):
        numeric.from_onnx(helper.make_model(g))
    assert numeric.onnx_nodes(helper.make_model(g)) == []


def test_node_and_direction_selection():
    a, _ = _graph("GRU", D=2, attrs={"direction": "bidirectional"})
    b, _ = _graph("LSTM", seed=1)
    b.graph.node[0].input[0] = "y"
    b.graph.node[0].output[:] = ["y2", "yh2"]
    nodes = [*a.graph.node, *b.graph.node]
    g = helper.make_graph(nodes, "g", list(a.graph.input),
                          [helper.make_tensor_value_info("y2", TensorProto.FLOAT, None)],
                          [*a.graph.initializer,
                           *[nh.from_array(nh.to_array(t), t.name + "_l") for t in
                             b.graph.initializer]])
    for k in ("W", "R", "B"):
        idx = ["W", "R", "B"].index(k) + 1
        g.node[1].input[idx] = k + "_l"
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    listed = numeric.onnx_nodes(model)
    assert [(n.index, n.name, n.op, n.direction) for n in listed] == [
        (0, "my_GRU", "GRU", "bidirectional"), (1, "my_LSTM", "LSTM", "forward")]
    assert listed[1].input == listed[0].outputs[0] == "y"
    with pytest.raises(NumericError, match=r"2 recurrent nodes; pass node=.*\[0\] my_GRU.*"
                                           r"\[1\] my_LSTM"):
        numeric.from_onnx(model)
    with pytest.raises(NumericError, match="bidirectional; pass direction="):
        numeric.from_onnx(model, node=0)
    with pytest.raises(NumericError, match="direction='forward'; got direction='reverse'"):
        numeric.from_onnx(model, node="my_LSTM", direction="reverse")
    with pytest.raises(NumericError, match="no recurrent node.*named 'nope'"):
        numeric.from_onnx(model, node="nope")
    with pytest.raises(NumericError, match="nodes 0..1; got node=2"):
        numeric.from_onnx(model, node=2)
    with pytest.raises(NumericError, match="an index or a node name"):
        numeric.from_onnx(model, node=True)
    fwd = numeric.from_onnx(model, node="my_GRU", direction="forward")
    rev = numeric.from_onnx(model, node=0, direction="reverse")
    assert not np.array_equal(fwd.arrays["W_hz"], rev.arrays["W_hz"])
    assert np.array_equal(rev.arrays["W_hz"], nh.to_array(a.graph.initializer[1])[1, :H])
    assert numeric.from_onnx(model, node=1).cell.name == "lstm"
    assert numeric.from_onnx(model, node=1, dtype=np.float64).dtype == np.float64


def test_float16_file_is_read_in_float32():
    model, arrays = _graph("GRU", dtype=np.float16)
    p = numeric.from_onnx(model)
    assert p.dtype == np.float32
    assert np.array_equal(p.arrays["W_hz"], arrays["R"][0, :H].astype(np.float32))


def test_without_the_onnx_package_the_error_says_what_to_install():
    """``import numeric`` never needs onnx; from_onnx says how to get it."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['onnx'] = None; import numeric\n"
            "try:\n    numeric.from_onnx('m.onnx')\n"
            "except numeric.NumericError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "needs the onnx package: pip install onnx" in out

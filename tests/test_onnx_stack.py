"""numeric.stack_from_onnx: a whole exported model's recurrent stack against onnxruntime.

PyTorch modules (several layers, bidirectional, batch-first, ReLU) are exported with the
TorchScript exporter; onnxruntime runs the whole file and its final output (the top layer's
Y, directions concatenated) is compared with ``Stack.rollout(xs).outputs``. Tolerance as in
tests/test_onnx.py: float32 deviations grow at most linearly in T through each layer, so
8 T L eps32 relative to max(1, max |Y|); float64 files are run by the ONNX reference
evaluator, 1e-12. Every way the nodes can fail to be a stack is refused naming the node.
"""

import io
import warnings

import numpy as np
import pytest

import numeric
from numeric import NumericError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
helper, nh = onnx.helper, onnx.numpy_helper
ReferenceEvaluator = pytest.importorskip("onnx.reference").ReferenceEvaluator

EPS32 = float(np.finfo(np.float32).eps)
T, B, I, H = 12, 3, 5, 6


def _module(kind, layers, bidirectional, batch_first=False, dtype=torch.float32, **kw):
    torch.manual_seed(1)
    m = getattr(torch.nn, kind)(I, H, num_layers=layers, bidirectional=bidirectional,
                                batch_first=batch_first, **kw)
    return m.to(dtype).eval()


def _export(m, x) -> bytes:
    f = io.BytesIO()
    with warnings.catch_warnings():         # the legacy exporter's deprecation warnings
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(m, (x,), f, dynamo=False, input_names=["x"])
    return f.getvalue()


def _run(data, x, runtime="ort"):
    if runtime == "ort":
        s = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        return s.run(None, {"x": x})[0]
    return ReferenceEvaluator(onnx.load_model_from_string(data)).run(None, {"x": x})[0]


CASES = [
    ("GRU", 3, True, False, {}),
    ("LSTM", 2, False, False, {}),
    ("LSTM", 2, True, True, {}),
    ("RNN", 2, False, False, {"nonlinearity": "relu"}),
    ("RNN", 3, True, False, {}),
]


@pytest.mark.torch
@pytest.mark.parametrize(("kind", "layers", "bi", "batch_first", "kw"), CASES,
                         ids=["gru-3-bi", "lstm-2", "lstm-2-bi-batch-first", "rnn-relu-2",
                              "rnn-3-bi"])
def test_exported_stack_matches_onnxruntime(kind, layers, bi, batch_first, kw):
    m = _module(kind, layers, bi, batch_first, **kw)
    xs = np.random.default_rng(0).normal(size=(T, B, I)).astype(np.float32)
    feed = xs.transpose(1, 0, 2).copy() if batch_first else xs
    data = _export(m, torch.tensor(feed))
    stack = numeric.stack_from_onnx(data)
    assert len(stack) == layers and stack.dtype == np.float32
    assert all(stack.bidirectional(k) == bi for k in range(layers))
    want = _run(data, feed)
    if batch_first:
        want = want.transpose(1, 0, 2)
    got = stack.rollout(xs).outputs
    scale = max(1.0, float(np.max(np.abs(want))))
    assert np.max(np.abs(got - want)) / scale <= 8 * T * layers * EPS32
    # and the same weights as the module's own, read by the torch loader
    ref = numeric.stack_from_torch(m)
    for a, b in zip(stack.layers, ref.layers, strict=True):
        for p, q in zip(a, b, strict=True):
            assert p.cell.name == q.cell.name and p.convention == q.convention
            for k in q.arrays:
                np.testing.assert_array_equal(p.arrays[k], q.arrays[k])


@pytest.mark.torch
def test_exported_float64_stack_matches_the_reference_evaluator():
    m = _module("GRU", 2, True, dtype=torch.float64)
    xs = np.random.default_rng(1).normal(size=(T, B, I))
    data = _export(m, torch.tensor(xs))
    stack = numeric.stack_from_onnx(data)
    assert stack.dtype == np.float64
    got = stack.rollout(xs).outputs
    np.testing.assert_allclose(got, _run(data, xs, "reference"), rtol=0, atol=1e-12)
    with torch.no_grad():
        np.testing.assert_allclose(got, m(torch.tensor(xs))[0].numpy(), rtol=0, atol=1e-12)


# -- what is not a stack -----------------------------------------------------------------

def _two_layer() -> onnx.ModelProto:
    m = _module("GRU", 2, True)
    return onnx.load_model_from_string(_export(m, torch.zeros(T, B, I)))


def _recurrent(model):
    return [n for n in model.graph.node if n.op_type in ("RNN", "GRU", "LSTM")]


def _insert_before_second(model, node):
    """``node`` (reading the second recurrent node's X, writing 'z') is put in front of it."""
    second = _recurrent(model)[1]
    pos = list(model.graph.node).index(second)
    model.graph.node.insert(pos, node)
    second.input[0] = "z"
    return model


def test_a_connector_that_computes_is_refused_by_node():
    model = _two_layer()
    x1 = _recurrent(model)[1].input[0]
    _insert_before_second(model, helper.make_node("Relu", [x1], ["z"], name="act"))
    with pytest.raises(NumericError, match=r"Relu node 'act', which is not data movement"):
        numeric.stack_from_onnx(model)


def test_a_connector_that_moves_the_wrong_data_is_refused():
    """A Slice keeping one direction's features is data movement, but not the
    concatenation of both directions: the probes find it."""
    model = _two_layer()
    x1 = _recurrent(model)[1].input[0]
    inits = [nh.from_array(np.array([v], dtype=np.int64), n)
             for n, v in (("s0", 0), ("s1", H), ("ax", 2))]
    model.graph.initializer.extend(inits)
    _insert_before_second(model, helper.make_node("Slice", [x1, "s0", "s1", "ax"], ["z"],
                                                  name="forward_only"))
    with pytest.raises(NumericError, match=r"is not .*output Y with its 2 direction\(s\) "
                                           r"concatenated .*the nodes do not form a stack"):
        numeric.stack_from_onnx(model)


def test_reversed_directions_are_refused():
    """A connector swapping the two directions moves the right data to the wrong place."""
    model = _two_layer()
    first = _recurrent(model)[0]
    tr = next(n for n in model.graph.node if n.op_type == "Transpose"
              and n.input[0] == first.output[0])
    flip = helper.make_node("Slice", [first.output[0], "st", "en", "ax", "sp"], ["yflip"],
                            name="swap")
    model.graph.initializer.extend([nh.from_array(np.array([v], dtype=np.int64), n) for n, v
                                    in (("st", -1), ("en", -3), ("ax", 1), ("sp", -1))])
    model.graph.node.insert(list(model.graph.node).index(tr), flip)
    tr.input[0] = "yflip"
    with pytest.raises(NumericError, match="the nodes do not form a stack"):
        numeric.stack_from_onnx(model)


def test_parallel_nodes_are_not_a_stack():
    model = _two_layer()
    _recurrent(model)[1].input[0] = "x"
    # the second node now reads I = 5 features: its W must say so (else from_onnx refuses
    # the shapes first): the refusal must be about the graph, whatever the shapes
    with pytest.raises(NumericError, match=r"reads \['x'\], not only the output Y"):
        numeric.stack_from_onnx(model)


def test_initial_states_fed_at_run_time_are_refused():
    model = _two_layer()
    second = _recurrent(model)[1]
    model.graph.input.append(helper.make_tensor_value_info("h0", onnx.TensorProto.FLOAT,
                                                           [2, B, H]))
    second.input[5] = "h0"
    with pytest.raises(NumericError, match=r"initial_h 'h0' reads the graph input\(s\) "
                                           r"\['h0'\]"):
        numeric.stack_from_onnx(model)


def test_nonzero_initial_states_are_refused():
    model = _two_layer()
    second = _recurrent(model)[1]
    model.graph.initializer.append(nh.from_array(np.full((2, B, H), 0.5, np.float32), "h0c"))
    second.input[5] = "h0c"
    with pytest.raises(NumericError, match=r"initial_h 'h0c' is built from the nonzero "
                                           r"constant 'h0c'"):
        numeric.stack_from_onnx(model)


def test_sequence_lens_is_refused():
    model = _two_layer()
    first = _recurrent(model)[0]
    model.graph.input.append(helper.make_tensor_value_info("lens", onnx.TensorProto.INT32,
                                                           [B]))
    first.input[4] = "lens"
    with pytest.raises(NumericError, match="reads sequence_lens 'lens'"):
        numeric.stack_from_onnx(model)


def test_a_graph_without_recurrent_nodes_is_refused():
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
                          [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])])
    with pytest.raises(NumericError, match="has no RNN, GRU or LSTM node"):
        numeric.stack_from_onnx(helper.make_model(g))

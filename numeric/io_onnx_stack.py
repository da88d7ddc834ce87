r"""The ``RNN``/``GRU``/``LSTM`` nodes of an ONNX graph that feed each other, as a
:class:`~numeric.Stack`.

Exporters write a multi-layer recurrent module as one node per layer with data-movement
nodes between them: node :math:`k` outputs :math:`Y` of shape (T, D, B, H) (``layout=0``;
(B, T, D, H) for ``layout=1``) and node :math:`k + 1` reads

.. math::

    X^{(k+1)}_{t, b} = \bigl[\, Y_{t, 0, b} ;\ Y_{t, 1, b} \bigr]
    \quad \text{(both directions concatenated, forward first)},

which is what :class:`~numeric.Stack` feeds layer :math:`k + 1`. Nothing is assumed about
the nodes in between: they must be data movement only (``Transpose``, ``Reshape``,
``Squeeze``, ...: no arithmetic, nothing read at run time but :math:`Y`), and that
subgraph is *run* on two random probes of :math:`Y` with the ONNX reference evaluator
(``onnx.reference``), its result compared exactly with the concatenation above. A connector
that computes anything else (a ``Relu``, a residual ``Add``, a slice of one direction) is
refused naming the node. The initial states (``initial_h``, ``initial_c``) must be zeros
built from constants (what exporters write for a module called without states): a state
that is a graph input, or depends on a nonzero constant or on run-time values, is refused,
as is ``sequence_lens``. The stack reads what the first recurrent node reads (its ``X``,
after whatever the graph does before it, e.g. a batch-first transpose or an embedding).

>>> import io, warnings, torch, numpy as np, numeric
>>> m = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True)
>>> f = io.BytesIO()
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     torch.onnx.export(m, (torch.zeros(5, 2, 3),), f, dynamo=False)
>>> s = numeric.stack_from_onnx(f.getvalue())
>>> len(s), s.bidirectional(1), s.output_size()
(2, True, 8)
"""

from __future__ import annotations

import numpy as np

from ._errors import NumericError
from .io_onnx import _label, _load, _nodes, _onnx, from_onnx
from .stack import Stack

__all__ = ["stack_from_onnx"]

#: operators that only move, reshape or index data (and compute shapes): a connector made
#: of these cannot change a value, only where it goes, which the probes then pin down
_MOVES = frozenset({"Transpose", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Concat",
                    "Split", "Slice", "Gather", "Identity", "Shape", "Constant",
                    "ConstantOfShape", "Expand"})
#: outputs that carry a shape, not values (their inputs' values never reach them)
_SHAPE_ONLY = frozenset({"Shape"})
_PROBE_T, _PROBE_B = 5, 3


def _producers(graph) -> dict:
    return {out: n for n in graph.node for out in n.output if out}


def _ancestors(graph, target, stop, where, what):
    """The nodes (graph order) that compute ``target``, not looking behind the tensors in
    ``stop``, and the graph inputs their values read; a node that is not data movement is
    refused, naming it and ``what`` it computes."""
    made = _producers(graph)
    consts = {t.name for t in graph.initializer}
    seen, todo, inputs = set(), [target], set()
    while todo:
        name = todo.pop()
        if name in stop or name in consts or name in seen or not name:
            continue
        seen.add(name)
        node = made.get(name)
        if node is None:
            inputs.add(name)
            continue
        if node.domain not in ("", "ai.onnx") or node.op_type not in _MOVES:
            raise NumericError(f"{where}: {what} is computed by {node.op_type} node "
                               f"{node.name!r}, which is not data movement (only "
                               f"{', '.join(sorted(_MOVES))}): the graph does something "
                               "between the recurrent nodes that a stack does not")
        if node.op_type not in _SHAPE_ONLY:
            todo.extend(node.input)
    keep = [n for n in graph.node if any(o in seen for o in n.output)]
    return keep, inputs


def _zero_sources(onnx, graph, target, nodes, where, what):
    """``target`` (``what``) is built from constants that are all zero (data movement
    keeps zeros)."""
    init = {t.name: t for t in graph.initializer}
    used = {target} | {i for n in nodes for i in n.input if n.op_type not in _SHAPE_ONLY}
    arrays = [(name, onnx.numpy_helper.to_array(init[name])) for name in used if name in init]
    for n in nodes:
        for a in n.attribute:
            if a.name == "value":
                arrays.append((n.name or n.op_type, onnx.numpy_helper.to_array(a.t)))
            elif a.name in ("value_float", "value_floats"):
                arrays.append((n.name or n.op_type,
                               np.asarray(onnx.helper.get_attribute_value(a), dtype=float)))
    for name, arr in arrays:
        if arr.dtype.kind == "f" and np.any(arr != 0):
            raise NumericError(f"{where}: {what} is built from the nonzero constant "
                               f"{name!r}; a stack starts from zero states")


def _initial_states(onnx, graph, nd, index, where):
    """Refuse ``sequence_lens`` and initial states that are not constant zeros."""
    slots = {4: "sequence_lens", 5: "initial_h", 6: "initial_c"}
    for slot, what in slots.items():
        if len(nd.input) <= slot or not nd.input[slot]:
            continue
        label = f"{_label(nd, index)}'s {what} {nd.input[slot]!r}"
        if slot == 4:
            raise NumericError(f"{where}: {_label(nd, index)} reads sequence_lens "
                               f"{nd.input[slot]!r}: sequences of different lengths in "
                               "one batch are not a stack's (run each length apart)")
        nodes, inputs = _ancestors(graph, nd.input[slot], set(), where, label)
        if inputs:
            raise NumericError(f"{where}: {label} reads the graph input(s) "
                               f"{sorted(inputs)} (initial states fed at run time); a "
                               "stack starts from zero states")
        _zero_sources(onnx, graph, nd.input[slot], nodes, where, label)


def _expected(Y, layout_y, layout_x):
    """The next node's X from Y: directions concatenated, in the two nodes' layouts."""
    Z = Y if layout_y == 0 else Y.transpose(1, 0, 2, 3)       # (T, D, B, H)
    Z = Z.transpose(0, 2, 1, 3).reshape(Z.shape[0], Z.shape[2], -1)   # (T, B, D*H)
    return Z if layout_x == 0 else Z.transpose(1, 0, 2)


def _check_connector(onnx, model, below, above, where):
    """Node ``above`` reads exactly node ``below``'s Y with its directions concatenated."""
    graph = model.graph
    (nd0, info0), (nd1, info1) = below, above
    y = info0.outputs[0] if info0.outputs else ""
    what = f"the input X {info1.input!r} of {_label(nd1, info1.index)}"
    if not y:
        raise NumericError(f"{where}: {_label(nd0, info0.index)} has no output Y; {what} "
                           "cannot read it")
    nodes, inputs = _ancestors(graph, info1.input, {y}, where, what)
    if inputs:
        raise NumericError(f"{where}: {what} reads {sorted(inputs)}, not only the output Y "
                           f"{y!r} of {_label(nd0, info0.index)}: the nodes do not form a "
                           "stack (read one node with numeric.from_onnx(node=...))")
    if not nodes and info1.input != y:
        raise NumericError(f"{where}: {what} does not read {_label(nd0, info0.index)}")
    D, H = len(info0.directions), info0.hidden_size
    T, B = _PROBE_T, _PROBE_B
    shape = (T, D, B, H) if info0.layout == 0 else (B, T, D, H)
    dtype = np.dtype(info0.dtype)
    rng = np.random.default_rng(0)
    probes = [rng.normal(size=shape).astype(dtype),
              (1e3 * rng.standard_cauchy(size=shape)).astype(dtype)]
    if nodes:
        from onnx.reference import ReferenceEvaluator

        helper = onnx.helper
        sub = helper.make_graph(
            nodes, "connector", [helper.make_tensor_value_info(
                y, onnx.helper.np_dtype_to_tensor_dtype(dtype), shape)],
            [helper.make_empty_tensor_value_info(info1.input)],
            [t for t in graph.initializer if any(t.name in n.input for n in nodes)])
        model = helper.make_model(sub, opset_imports=list(model.opset_import))
        try:
            run = ReferenceEvaluator(model)
            got = [run.run(None, {y: p})[0] for p in probes]
        except Exception as exc:      # a connector the evaluator cannot run is not checked
            raise NumericError(f"{where}: {what} could not be checked by running the nodes "
                               f"between the recurrent nodes ({type(exc).__name__}: {exc})"
                               ) from None
    else:
        got = probes
    for p, g in zip(probes, got, strict=True):
        want = _expected(p, info0.layout, info1.layout)
        if np.shape(g) != want.shape or not np.array_equal(g, want):
            raise NumericError(
                f"{where}: {what} is not {_label(nd0, info0.index)}'s output Y with its "
                f"{D} direction(s) concatenated (shape {np.shape(g)}, expected "
                f"{want.shape} = {'(T, B, ' if info1.layout == 0 else '(B, T, '}{D * H})): "
                "the nodes do not form a stack")


def stack_from_onnx(source, *, dtype=None) -> Stack:
    r"""A :class:`~numeric.Stack` of every ``RNN``/``GRU``/``LSTM`` node of an ONNX graph,
    each node feeding the next (a bidirectional node is a ``(forward, reverse)`` layer).

    Parameters
    ----------
    source : path, bytes or onnx.ModelProto
    dtype : float32 or float64, optional
        As :func:`numeric.from_onnx` (default: the file's own; float16 read in float32).

    Raises
    ------
    NumericError
        Anything :func:`numeric.from_onnx` refuses, and, naming the node: recurrent nodes
        that do not feed each other in graph order, a connector that is not data movement
        or not the concatenation of the directions (checked by running it on probes),
        ``sequence_lens``, initial states that are not constant zeros.
    """
    onnx = _onnx()
    model, where = _load(source)
    found = _nodes(model, where)
    if not found:
        raise NumericError(f"{where} has no RNN, GRU or LSTM node in its main graph")
    for nd, info, _ in found:
        _initial_states(onnx, model.graph, nd, info.index, where)
    for (nd0, info0, _), (nd1, info1, _) in zip(found, found[1:], strict=False):
        _check_connector(onnx, model, (nd0, info0), (nd1, info1), where)
    layers = []
    for _, info, _ in found:
        dirs = tuple(from_onnx(model, node=info.index, direction=d, dtype=dtype)
                     for d in info.directions)
        layers.append(dirs if len(dirs) == 2 else dirs[0])
    return Stack(layers)

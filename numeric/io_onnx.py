r"""Parameters from the ``RNN``, ``GRU`` and ``LSTM`` operators of an ONNX file.

The file is parsed with the ``onnx`` package (protobuf only: nothing in it is executed, no
runtime is needed). Weights come from the graph's initializers, or from ``Constant`` nodes:
``W`` (D, G*H, I), ``R`` (D, G*H, H) and ``B`` (D, 2*G*H) = (input biases, recurrent
biases), D = 2 directions for ``direction='bidirectional'`` (forward first), else 1. ONNX
gate orders are mapped to the built-in cells' packed layouts:

- ``RNN`` (one gate): :math:`h_t = \phi(W x_t + W_b + R h_{t-1} + R_b)` is the ``elman``
  cell, :math:`\phi` = ``Tanh`` (default) or ``Relu`` (convention ``relu``).
- ``GRU`` z, r, h -> r, z, n. ``linear_before_reset=1`` (what PyTorch exports),
  :math:`n_t = \tanh(W_h x_t + W_{bh} + r_t \odot (R_h h_{t-1} + R_{bh}))`, is the
  ``pytorch`` convention; ``0`` (the ONNX default),
  :math:`n_t = \tanh(W_h x_t + W_{bh} + R_h (r_t \odot h_{t-1}) + R_{bh})`, is ``cho``;
  both update :math:`h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}`.
- ``LSTM`` i, o, f, c -> i, f, g, o. Peepholes ``P`` (D, 3H) in the order i, o, f, where
  :math:`p_i, p_f` read :math:`c_{t-1}` and :math:`p_o` reads :math:`c_t`, are the
  ``peephole_lstm`` cell's :math:`p_i, p_f, p_o` exactly (an all-zero ``P`` is the plain
  ``lstm``).
- ``LSTM`` with ``input_forget=1``: the specification only says it couples the input and
  forget gates; onnxruntime computes :math:`f_t = 1 - i_t` from the input gate's weights
  (the forget gate's are unread), the ONNX reference evaluator ignores the attribute.
  Read as onnxruntime runs it, that is the ``cifg_lstm`` cell
  :math:`c_t = f_t \odot c_{t-1} + (1 - f_t) \odot g_t` with
  :math:`f_t = 1 - \sigma(a_i) = \sigma(-a_i)`: its forget weights and biases are the
  ONNX input gate's, negated. With peepholes too there is no such cell: refused.

``layout`` (0: X is (T, B, I); 1: (B, T, I)) and ``sequence_lens`` change how the runtime
reads its inputs, not the cell; :func:`onnx_nodes` reports the layout. Refused by name,
naming the node and the attribute: ``clip``, ``activations`` other than the defaults (and
``Relu`` for ``RNN``), ``activation_alpha``/``activation_beta``, ``input_forget`` with
peepholes, weights that are graph inputs (fed at run time) rather than stored tensors.
Only the main graph is read (not the bodies of ``If``/``Loop``/``Scan`` nodes).

A bidirectional node holds two cells: pick one with ``direction='forward'`` or
``'reverse'``; a ``reverse`` cell reads the sequence from its last step to its first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ._errors import NumericError
from .params import from_arrays

__all__ = ["from_onnx", "onnx_nodes", "OnnxNode"]

_OPS = {"RNN": 1, "GRU": 3, "LSTM": 4}
_DEFAULT_ACTS = {"RNN": ("tanh",), "GRU": ("sigmoid", "tanh"), "LSTM": ("sigmoid", "tanh", "tanh")}
_DIRECTIONS = {"forward": ("forward",), "reverse": ("reverse",),
               "bidirectional": ("forward", "reverse")}


@dataclass(frozen=True)
class OnnxNode:
    """One recurrent node of an ONNX graph, as :func:`onnx_nodes` lists it.

    ``index`` counts recurrent nodes in graph order (what ``node=`` takes, as does
    ``name`` when it is unique); ``directions`` the cells it holds (``('forward',
    'reverse')`` when bidirectional); ``input`` names X and ``outputs`` Y, Y_h (and Y_c) so
    that chained nodes can be followed; ``cells`` is each direction's cell name.
    """

    index: int
    name: str
    op: str
    direction: str
    directions: tuple
    hidden_size: int
    input_size: int
    layout: int
    dtype: str
    input: str
    outputs: tuple
    cells: tuple

    def __str__(self):
        cells = ", ".join(f"{d}: {c}" for d, c in zip(self.directions, self.cells, strict=True))
        return (f"[{self.index}] {self.name or '(unnamed)'}: {self.op} {self.direction}, "
                f"hidden_size={self.hidden_size}, input_size={self.input_size}, "
                f"layout={self.layout}, {self.dtype} ({cells})")


def _onnx():
    try:
        import onnx
    except ImportError:
        raise NumericError("reading ONNX files needs the onnx package: pip install onnx "
                           "(or pip install 'gatebound[formats]')") from None
    return onnx


def _load(source):
    """The ModelProto of ``source`` (a path, bytes or a ModelProto), checked."""
    onnx = _onnx()
    if isinstance(source, onnx.ModelProto):
        model, where = source, "the ONNX model"
    elif isinstance(source, (str, os.PathLike, bytes)):
        where = "ONNX bytes" if isinstance(source, bytes) else f"ONNX file {os.fspath(source)!r}"
        if not isinstance(source, bytes) and not os.path.isfile(source):
            raise NumericError(f"{where} does not exist or is not a file")
        try:
            model = (onnx.load_model_from_string(source) if isinstance(source, bytes)
                     else onnx.load(os.fspath(source)))
        except Exception as exc:  # protobuf's DecodeError, onnx's external-data errors
            raise NumericError(f"{where} is not an ONNX model (truncated or another "
                               f"format?): {type(exc).__name__}: {exc}") from None
    else:
        raise NumericError(f"from_onnx reads a path, bytes or an onnx.ModelProto, not "
                           f"{type(source).__name__}")
    # the structure every model has (onnx.checker would also refuse files the runtimes
    # run, e.g. outputs declared without a shape): an empty or cut file fails here or on
    # the tensors it lacks, each named
    if not model.HasField("graph") or model.ir_version < 1 or not model.opset_import:
        raise NumericError(f"{where} is not an ONNX model (truncated or another format?): "
                           f"ir_version={model.ir_version}, "
                           f"{'a' if model.HasField('graph') else 'no'} graph, "
                           f"{len(model.opset_import)} opset imports")
    return model, where


def _attrs(onnx, node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


def _constants(onnx, graph) -> dict:
    """Tensor name -> TensorProto: the initializers and the outputs of Constant nodes."""
    out = {t.name: t for t in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and n.domain in ("", "ai.onnx"):
            a = _attrs(onnx, n)
            if "value" in a and n.output:
                out[n.output[0]] = a["value"]
    return out


def _recurrent(graph):
    return [n for n in graph.node if n.op_type in _OPS and n.domain in ("", "ai.onnx")]


def _label(node, index) -> str:
    return f"{node.op_type} node {node.name!r} (recurrent node {index})"


def _tensor(onnx, consts, node, index, slot, what, where):
    """The array of input ``slot`` of ``node`` (None when absent), as float."""
    if len(node.input) <= slot or not node.input[slot]:
        return None
    name = node.input[slot]
    if name not in consts:
        raise NumericError(f"{where}: {_label(node, index)} reads {what} from {name!r}, which "
                           "is not an initializer or Constant (a graph input or a computed "
                           "tensor, known only at run time)")
    try:
        arr = onnx.numpy_helper.to_array(consts[name])
    except Exception as exc:
        raise NumericError(f"{where}: {_label(node, index)}: tensor {name!r} ({what}) cannot "
                           f"be read: {exc}") from None
    if arr.dtype.kind != "f":
        raise NumericError(f"{where}: {_label(node, index)}: {what} {name!r} has dtype "
                           f"{arr.dtype}; expected a float tensor")
    return arr


def _activations(node, index, attrs, directions, where):
    """Per direction, the activations (lower case), refusing what the cells do not model."""
    op = node.op_type
    for key in ("clip", "activation_alpha", "activation_beta"):
        if key in attrs:
            raise NumericError(f"{where}: {_label(node, index)} has {key}={attrs[key]!r}, "
                               "which the cells do not model")
    default = _DEFAULT_ACTS[op]
    k, D = len(default), len(directions)
    acts = attrs.get("activations")
    if acts is None:
        return [default] * D
    acts = tuple(_text(a).lower() for a in acts)
    if len(acts) != k * D:
        raise NumericError(f"{where}: {_label(node, index)} has activations="
                           f"{list(map(_text, attrs['activations']))}; a {op} with "
                           f"{D} direction(s) needs {k * D} ({k} per direction)")
    out = []
    for d in range(D):
        mine = acts[d * k:(d + 1) * k]
        if mine != default and not (op == "RNN" and mine == ("relu",)):
            allowed = "Tanh or Relu" if op == "RNN" else ", ".join(a.title() for a in default)
            raise NumericError(f"{where}: {_label(node, index)} has activations="
                               f"{list(map(_text, attrs['activations']))}; the "
                               f"{directions[d]} direction's {list(mine)} is not modelled "
                               f"(only {allowed})")
        out.append(mine)
    return out


def _describe(onnx, consts, node, index, where) -> tuple:
    """(OnnxNode, attrs, arrays W, R, B, P) of one recurrent node, checked."""
    attrs = _attrs(onnx, node)
    op, G = node.op_type, _OPS[node.op_type]
    direction = _text(attrs.get("direction", "forward"))
    if direction not in _DIRECTIONS:
        raise NumericError(f"{where}: {_label(node, index)} has direction={direction!r}; "
                           f"valid: {sorted(_DIRECTIONS)}")
    directions = _DIRECTIONS[direction]
    D = len(directions)
    acts = _activations(node, index, attrs, directions, where)
    layout = attrs.get("layout", 0)
    if layout not in (0, 1):
        raise NumericError(f"{where}: {_label(node, index)} has layout={layout!r}; valid: 0, 1")
    input_forget = attrs.get("input_forget", 0) if op == "LSTM" else 0
    if input_forget not in (0, 1):
        raise NumericError(f"{where}: {_label(node, index)} has input_forget="
                           f"{input_forget!r}; valid: 0, 1")
    W = _tensor(onnx, consts, node, index, 1, "W", where)
    R = _tensor(onnx, consts, node, index, 2, "R", where)
    if W is None or R is None:
        raise NumericError(f"{where}: {_label(node, index)} has no {'W' if W is None else 'R'}")
    if R.ndim != 3 or R.shape[0] != D or R.shape[2] < 1 or R.shape[1] != G * R.shape[2]:
        raise NumericError(f"{where}: {_label(node, index)}: R has shape {R.shape}; a {op} "
                           f"{direction} needs ({D}, {G}*H, H) with H >= 1")
    H = R.shape[2]
    if "hidden_size" in attrs and attrs["hidden_size"] != H:
        raise NumericError(f"{where}: {_label(node, index)} has hidden_size="
                           f"{attrs['hidden_size']} but R has shape {R.shape} (H = {H})")
    if W.ndim != 3 or W.shape[:2] != (D, G * H) or W.shape[2] < 1:
        raise NumericError(f"{where}: {_label(node, index)}: W has shape {W.shape}; needs "
                           f"({D}, {G * H}, I) with I >= 1")
    B = _tensor(onnx, consts, node, index, 3, "B", where)
    if B is not None and B.shape != (D, 2 * G * H):
        raise NumericError(f"{where}: {_label(node, index)}: B has shape {B.shape}; needs "
                           f"({D}, {2 * G * H})")
    P = _tensor(onnx, consts, node, index, 7, "P", where) if op == "LSTM" else None
    if P is not None and P.shape != (D, 3 * H):
        raise NumericError(f"{where}: {_label(node, index)}: P has shape {P.shape}; needs "
                           f"({D}, {3 * H})")
    if op == "RNN":
        cells = tuple("elman:relu" if a == ("relu",) else "elman" for a in acts)
    elif op == "GRU":
        lbr = attrs.get("linear_before_reset", 0)
        if lbr not in (0, 1):
            raise NumericError(f"{where}: {_label(node, index)} has linear_before_reset="
                               f"{lbr!r}; valid: 0, 1")
        cells = ("gru:pytorch" if lbr else "gru:cho",) * D
    else:
        peep = [P is not None and bool(np.any(P[d])) for d in range(D)]
        if input_forget and any(peep):
            raise NumericError(f"{where}: {_label(node, index)} has input_forget=1 and "
                               "peepholes P: no cell couples the gates with peepholes")
        cells = tuple("cifg_lstm" if input_forget else "peephole_lstm" if p else "lstm"
                      for p in peep)
    info = OnnxNode(index=index, name=node.name, op=op, direction=direction,
                    directions=directions, hidden_size=H, input_size=W.shape[2],
                    layout=layout, dtype=str(W.dtype), input=node.input[0],
                    outputs=tuple(node.output), cells=cells)
    return info, (W, R, B, P)


def _nodes(model, where):
    onnx = _onnx()
    consts = _constants(onnx, model.graph)
    return [(n, *_describe(onnx, consts, n, k, where))
            for k, n in enumerate(_recurrent(model.graph))]


def onnx_nodes(source) -> list:
    """The recurrent nodes (``RNN``, ``GRU``, ``LSTM``) of an ONNX model, in graph order.

    Parameters
    ----------
    source : path, bytes or onnx.ModelProto

    Returns
    -------
    list of OnnxNode
        ``index``, ``name``, ``op``, ``direction``, ``hidden_size``, ``input_size``,
        ``layout``, the X input and the outputs' names, each direction's cell.

    Raises
    ------
    NumericError
        A file that is not ONNX or is truncated, or a node whose attributes or tensors the
        cells do not model (naming the node and attribute).
    """
    model, where = _load(source)
    return [info for _, info, _ in _nodes(model, where)]


def _pick(nodes, node, where):
    listed = "; ".join(str(info) for _, info, _ in nodes)
    if not nodes:
        raise NumericError(f"{where} has no RNN, GRU or LSTM node in its main graph")
    if node is None:
        if len(nodes) > 1:
            raise NumericError(f"{where} has {len(nodes)} recurrent nodes; pass node= (an "
                               f"index or a name): {listed}")
        return nodes[0]
    if isinstance(node, (bool, np.bool_)) or not isinstance(node, (int, np.integer, str)):
        raise NumericError(f"node must be an index or a node name, got {node!r}")
    if isinstance(node, str):
        hits = [n for n in nodes if n[1].name == node]
        if len(hits) != 1:
            raise NumericError(f"{where} has {'no' if not hits else len(hits)} recurrent "
                               f"node(s) named {node!r}; pass node= an index: {listed}")
        return hits[0]
    if not 0 <= node < len(nodes):
        raise NumericError(f"{where} has recurrent nodes 0..{len(nodes) - 1}; got node="
                           f"{node}: {listed}")
    return nodes[int(node)]


def from_onnx(source, node=None, *, direction=None, dtype=None):
    r""":class:`~numeric.Params` of one direction of one ``RNN``/``GRU``/``LSTM`` node.

    Parameters
    ----------
    source : path, bytes or onnx.ModelProto
    node : int or str, optional
        Which recurrent node (its index among them, or its name; :func:`onnx_nodes` lists
        them). Needed when the graph has several.
    direction : {'forward', 'reverse'}, optional
        Which cell of a bidirectional node (needed there); for another node it may be
        omitted and must agree with the node's.
    dtype : float32 or float64, optional
        Default: the tensors' own (float32 stays float32; float16 becomes float32).

    Raises
    ------
    NumericError
        Naming the file, node and attribute: see the module's list of what is refused.

    Examples
    --------
    >>> import numpy as np, onnx
    >>> from onnx import helper, numpy_helper as nh, TensorProto as TP
    >>> rng = np.random.default_rng(0)
    >>> W, R = rng.normal(size=(1, 12, 2)), rng.normal(size=(1, 12, 4))   # z, r, h blocks
    >>> g = helper.make_graph(
    ...     [helper.make_node("GRU", ["x", "W", "R"], ["y"], hidden_size=4, name="gru")],
    ...     "g", [helper.make_tensor_value_info("x", TP.DOUBLE, [5, 1, 2])],
    ...     [helper.make_tensor_value_info("y", TP.DOUBLE, [5, 1, 1, 4])],
    ...     [nh.from_array(W, "W"), nh.from_array(R, "R")])
    >>> p = from_onnx(helper.make_model(g))
    >>> p.convention, p.hidden_size, p.input_size          # linear_before_reset=0: cho
    ('cho', 4, 2)
    >>> bool(np.array_equal(p.arrays["W_hz"], R[0, 0:4]))  # ONNX z block -> W_hz
    True
    """
    model, where = _load(source)
    nd, info, (W, R, B, P) = _pick(_nodes(model, where), node, where)
    if direction is None:
        if len(info.directions) > 1:
            raise NumericError(f"{where}: {_label(nd, info.index)} is bidirectional; pass "
                               "direction='forward' or direction='reverse'")
        d = 0
    elif direction not in info.directions:
        raise NumericError(f"{where}: {_label(nd, info.index)} has direction="
                           f"{info.direction!r}; got direction={direction!r} (valid: "
                           f"{list(info.directions)})")
    else:
        d = info.directions.index(direction)
    H, G = info.hidden_size, _OPS[info.op]
    if dtype is None and W.dtype.itemsize < 4:            # float16 / bfloat16 files
        dtype = np.float32
    w, r = W[d], R[d]
    b = np.zeros((2 * G * H,), dtype=W.dtype) if B is None else B[d]
    b_ih, b_hh = b[:G * H], b[G * H:]
    perm = {"RNN": [0], "GRU": [1, 0, 2], "LSTM": [0, 2, 3, 1]}[info.op]
    rows = np.concatenate([np.arange(k * H, (k + 1) * H) for k in perm])
    cell, _, conv = info.cells[d].partition(":")
    extra = {}
    if cell == "cifg_lstm":               # f = 1 - sigma(a_i) = sigma(-a_i); g, o as read
        i, o, c = (np.arange(k * H, (k + 1) * H) for k in (0, 1, 3))
        sign = np.r_[-np.ones(H), np.ones(2 * H)].astype(w.dtype)
        rows = np.concatenate([i, c, o])
        return from_arrays(cell, weight_ih=sign[:, None] * w[rows],
                           weight_hh=sign[:, None] * r[rows], bias_ih=sign * b_ih[rows],
                           bias_hh=sign * b_hh[rows], dtype=dtype)
    if cell == "peephole_lstm":
        p_i, p_o, p_f = P[d][:H], P[d][H:2 * H], P[d][2 * H:]
        extra["weight_ph"] = np.concatenate([p_i, p_f, p_o])
    return from_arrays(cell, weight_ih=w[rows], weight_hh=r[rows], bias_ih=b_ih[rows],
                       bias_hh=b_hh[rows], convention=conv or None, dtype=dtype, **extra)

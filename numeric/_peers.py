r"""Parameters from the reference implementations of the gated linear recurrences (private).

:func:`numeric.from_torch` reads these classes (exactly these: the class is looked up in
the module that defines it, so a subclass or a look-alike is refused):

=============================  ============================  =================================
class (package)                cell (convention)             what is read
=============================  ============================  =================================
``minGRU`` (mingru-pytorch)    ``mingru`` (``g``)            ``to_hidden_and_gate.weight``
                                                             ``(2H, I)`` = ``[W_h; W_z]``
``minLSTM`` (mingru-pytorch)   ``minlstm`` (``g``)           ``to_hidden_and_f_i_gate.weight``
                                                             ``(3H, I)`` = ``[W_h; W_f; W_i]``
``sLSTMCell`` (xlstm,          ``slstm_stabilized``          ``_recurrent_kernel_`` ``(K, 4d,
``backend='vanilla'``)         (``sigmoid``)                 d)``, ``_bias_`` ``(4H,)``
``sLSTMLayer`` (xlstm)         ``slstm_stabilized``          the cell's, and ``igate`` ...
                                                             ``ogate.weight`` ``(K, d, d)``
``RGLRU`` (recurrentgemma)     ``rglru``                     ``a_param`` ``(H,)``, ``a_gate``,
                                                             ``input_gate`` ``.w``, ``.b``
=============================  ============================  =================================

The biases of mingru-pytorch's modules are zero (its linear maps have none). Its output
projection ``to_out`` (present when ``expansion_factor != 1``) is a readout applied to the
state, outside the recurrence: the cell's state is the inner hidden state (what
``return_next_prev_hidden=True`` returns) and ``to_out`` is not read.

xlstm's sLSTM cell takes the gates' raw input pre-activations ``(B, 4H)`` (gate-major
``i, f, z, o``): read from an ``sLSTMCell`` the input weights ``W_i ... W_o`` are the
``(H, 4H)`` blocks selecting each gate's slice (``I = 4H``). Read from an ``sLSTMLayer``
they are its head-wise projections, materialized block-diagonal; note that the layer
computes the input gate's pre-activation with the projection named ``fgate`` and the forget
gate's with ``igate`` (``i, f, z, o = fgate(x), igate(x), ...`` in ``sLSTMLayer.forward``),
and the loader follows the computation, not the names. A layer with a causal convolution
(``conv1d_kernel_size > 0``) is refused: the convolution keeps a state of its own. The
layer's group norm and dropout act on the output, not on the state. The recurrent
matrices ``R_*`` are block-diagonal over heads, materialized ``(H, H)``.

recurrentgemma stores :math:`-\Lambda` as ``a_param`` (it computes
``log_a = -8 * gate_a * softplus(a_param)``), so ``Lambda = -a_param`` and ``c = 8``; its
block-diagonal gates compute ``x @ w[k] + b[k]`` per head, so ``W``'s block ``k`` is
``w[k].T``. The cell is the step at a position ``> 0``: at ``segment_pos == 0``
recurrentgemma resets the state (and multiplies the input by 1), a step the cell does not
model.
"""

from __future__ import annotations

import sys

import numpy as np

from ._errors import NumericError
from ._torch_file import tensor_array
from ._validate import check_memory

__all__ = ["PEER_CELLS", "peer_kind", "read_module", "read_state_dict", "cell_of"]

#: cell name -> the convention its reference implementation computes
PEER_CELLS = {"mingru": "g", "minlstm": "g", "slstm_stabilized": "sigmoid", "rglru": None}

#: (defining module, class name) -> (label, cell)
_CLASSES = {
    ("minGRU_pytorch.minGRU", "minGRU"): ("mingru-pytorch minGRU", "mingru"),
    ("minGRU_pytorch.minLSTM", "minLSTM"): ("mingru-pytorch minLSTM", "minlstm"),
    ("xlstm.blocks.slstm.cell", "sLSTMCell_vanilla"): ("xlstm sLSTMCell (vanilla)",
                                                       "slstm_stabilized"),
    ("xlstm.blocks.slstm.layer", "sLSTMLayer"): ("xlstm sLSTMLayer", "slstm_stabilized"),
    ("recurrentgemma.torch.layers", "RGLRU"): ("recurrentgemma RGLRU", "rglru"),
}
_CUDA = ("xlstm.blocks.slstm.cell", "sLSTMCell_cuda")
_CUDA_WHY = ("xlstm's sLSTMCell with backend='cuda' is refused: its CUDA kernels do not "
             "run here and its parameters have another layout; build it with "
             "backend='vanilla' (the same equations, pure torch)")

#: the key whose presence says which cell a state dict holds (after one prefix)
_ANCHORS = {"mingru": "to_hidden_and_gate.weight", "minlstm": "to_hidden_and_f_i_gate.weight",
            "slstm_stabilized": "_recurrent_kernel_", "rglru": "a_param"}


def _identity(cls):
    """``(module, name)`` of ``cls`` if the module that defines it holds it under its name."""
    key = (cls.__module__, cls.__qualname__)
    defining = sys.modules.get(key[0])
    return key if getattr(defining, key[1], None) is cls else None


def peer_kind(mod):
    """``(label, cell)`` of a module ``from_torch`` reads here; ``None`` for another class.

    NumericError for a known class in a configuration no cell models (a CUDA backend)."""
    key = _identity(type(mod))
    if key == _CUDA:
        raise NumericError(_CUDA_WHY)
    return _CLASSES.get(key)


def read_module(mod, label, cell, layer, reverse):
    """``(cell, convention, arrays by symbol, where)`` of a module :func:`peer_kind` knows."""
    where = label
    if layer != 0:
        raise NumericError(f"a {where} has one layer (0); got layer={layer}")
    if reverse:
        raise NumericError(f"a {where} has no reverse direction; got reverse=True")
    config = getattr(mod, "config", None)
    if label.startswith("xlstm sLSTMLayer"):
        k = getattr(config, "conv1d_kernel_size", 0)
        if k:
            raise NumericError(f"{where} with conv1d_kernel_size={k} is not supported: its "
                               "causal convolution keeps a state of its own, which the "
                               "slstm_stabilized cell does not model (build it with "
                               "conv1d_kernel_size=0)")
        inner = getattr(mod, "slstm_cell", None)
        if _identity(type(inner)) == _CUDA:
            raise NumericError(_CUDA_WHY)
        config = getattr(inner, "config", None)
    if label.startswith("xlstm"):
        fn = getattr(config, "function", "slstm")
        if fn != "slstm":
            raise NumericError(f"{where} with function={fn!r} is not supported: only "
                               "function='slstm' computes the sLSTM")
    sd = mod.state_dict(keep_vars=True)
    return read_state_dict(sd, cell, where)


def cell_of(sd):
    """``(cell, key)``: the first peer cell whose anchor key ``sd`` holds, or None."""
    for cell, anchor in _ANCHORS.items():
        for k in sd:
            if isinstance(k, str) and (k == anchor or k.endswith("." + anchor)):
                return cell, k
    return None


def _locate(sd, cell, where):
    """The one prefix under which ``sd`` holds ``cell``'s anchor key."""
    anchor = _ANCHORS[cell]
    found = [k[:-len(anchor)] for k in sd
             if isinstance(k, str) and (k == anchor or k.endswith("." + anchor))]
    if not found:
        shown = [k for k in sd][:8]
        raise NumericError(f"{where} holds no {cell} parameters (no key named {anchor!r} or "
                           f"ending in '.{anchor}'); keys: {shown}")
    if len(found) > 1:
        raise NumericError(f"{where} holds the parameters of {len(found)} {cell} modules "
                           f"(prefixes {sorted(found)}); pass the state dict of one")
    return found[0]


def _get(sd, key, where, ndim, optional=False):
    if key not in sd:
        if optional:
            return None
        raise NumericError(f"{where} has no {key!r}")
    arr = tensor_array(sd[key], key, where)
    if arr.ndim != ndim or 0 in arr.shape:
        raise NumericError(f"{where}: {key!r} has shape {arr.shape}; expected a non-empty "
                           f"{ndim}-D array")
    return arr


def _shape(arr, key, want, where, what):
    if arr.shape != want:
        raise NumericError(f"{where}: {key!r} has shape {arr.shape}; {what} needs {want}")


def _block_diag(blocks, dtype):
    """The ``(K*o, K*i)`` matrix with the ``(o, i)`` blocks ``blocks[k]`` on its diagonal."""
    K, o, i = blocks.shape
    out = np.zeros((K * o, K * i), dtype=dtype)
    for k in range(K):
        out[k * o:(k + 1) * o, k * i:(k + 1) * i] = blocks[k]
    return out


def _room(n_matrices, rows, cols, dtype, where):
    check_memory(n_matrices * rows * cols * np.dtype(dtype).itemsize,
                 f"the {n_matrices} materialized ({rows}, {cols}) matrices of {where}")


def read_state_dict(sd, cell, where):
    """``(cell, convention, arrays by symbol, where)`` from a state dict holding ``cell``."""
    p = _locate(sd, cell, where)
    reader = {"mingru": _mingru, "minlstm": _mingru, "slstm_stabilized": _slstm,
              "rglru": _rglru}[cell]
    return cell, PEER_CELLS[cell], reader(sd, p, cell, where), where


def _mingru(sd, p, cell, where):
    key = p + _ANCHORS[cell]
    names = ("W_h", "W_z") if cell == "mingru" else ("W_h", "W_f", "W_i")
    G = len(names)
    w = _get(sd, key, where, 2)
    if w.shape[0] % G:
        raise NumericError(f"{where}: {key!r} has shape {w.shape}; {cell} needs ({G}*H, I) "
                           f"(chunks {', '.join(names)})")
    H = w.shape[0] // G
    out = dict(zip(names, np.split(w, G, axis=0), strict=True))
    bias = _get(sd, key[:-len("weight")] + "bias", where, 1, optional=True)
    if bias is not None:
        _shape(bias, key[:-len("weight")] + "bias", (G * H,), where, cell)
    for n, part in zip(names, np.split(np.zeros(G * H, w.dtype) if bias is None else bias, G),
                       strict=True):
        out["b_" + n[2:]] = part
    return out


def _slstm(sd, p, cell, where):
    kkey, bkey = p + "_recurrent_kernel_", p + "_bias_"
    R = _get(sd, kkey, where, 3)
    K, rows, d = R.shape
    if rows != 4 * d:
        cuda = d == 4 * rows
        raise NumericError(f"{where}: {kkey!r} has shape {R.shape}; the vanilla backend's "
                           f"layout is (heads, 4*head_dim, head_dim)"
                           + ("; this is the CUDA backend's (heads, head_dim, 4*head_dim), "
                              "which is refused: save the module built with "
                              "backend='vanilla'" if cuda else ""))
    H = K * d
    b = _get(sd, bkey, where, 1)
    _shape(b, bkey, (4 * H,), where, f"an sLSTM with {K} heads of {d}")
    outer = p[:-len("slstm_cell.")] if p.endswith("slstm_cell.") else None
    layer = outer is not None and outer + "igate.weight" in sd
    gates = "ifzo"
    dtype = R.dtype
    out = {}
    if layer:
        if any(k.startswith(outer + "conv1d.") for k in sd if isinstance(k, str)):
            raise NumericError(f"{where} holds {outer}conv1d.* (conv1d_kernel_size > 0), "
                               "which is not supported: the causal convolution keeps a state "
                               "of its own, which the slstm_stabilized cell does not model")
        # sLSTMLayer.forward: i, f, z, o = fgate(x), igate(x), zgate(x), ogate(x)
        proj = dict(zip(gates, ("fgate", "igate", "zgate", "ogate"), strict=True))
        ws = {g: _get(sd, f"{outer}{proj[g]}.weight", where, 3) for g in gates}
        first = ws["i"].shape
        for g in gates:
            key = f"{outer}{proj[g]}.weight"
            if ws[g].shape != first or first[0] * first[1] != H:
                raise NumericError(f"{where}: {key!r} has shape {ws[g].shape}; the head-wise "
                                   f"projections need (heads, o, i) with heads*o = H = {H}, "
                                   "all alike")
        dtype = np.result_type(dtype, *ws.values())
        _room(8, H, H + first[0] * first[2], dtype, where)
        biases = {}
        for g in gates:
            out[f"W_{g}"] = _block_diag(ws[g], dtype)
            bkey_g = f"{outer}{proj[g]}.bias"
            biases[g] = _get(sd, bkey_g, where, 1, optional=True)
            if biases[g] is not None:
                _shape(biases[g], bkey_g, (H,), where, "a head-wise projection")
    else:
        _room(8, H, 4 * H, dtype, where)
        for j, g in enumerate(gates):
            sel = np.zeros((H, 4 * H), dtype=dtype)
            sel[:, j * H:(j + 1) * H] = np.eye(H, dtype=dtype)
            out[f"W_{g}"] = sel
        biases = dict.fromkeys(gates)
    for j, g in enumerate(gates):
        out[f"R_{g}"] = _block_diag(R[:, j * d:(j + 1) * d, :], dtype)
        extra = biases[g]
        out[f"b_{g}"] = b[j * H:(j + 1) * H] + (0 if extra is None else extra)
    return out


def _rglru(sd, p, cell, where):
    a = _get(sd, p + "a_param", where, 1)
    H = a.shape[0]
    gates = {}
    for gate, sym in (("a_gate", "a"), ("input_gate", "x")):
        wkey, bkey = f"{p}{gate}.w", f"{p}{gate}.b"
        w = _get(sd, wkey, where, 3)
        K, bw, bw2 = w.shape
        if bw != bw2 or K * bw != H:
            raise NumericError(f"{where}: {wkey!r} has shape {w.shape}; a block-diagonal gate "
                               f"needs (blocks, width, width) with blocks * width = H = {H} "
                               f"(the length of {p + 'a_param'!r})")
        b = _get(sd, bkey, where, 2)
        _shape(b, bkey, (K, bw), where, f"{K} blocks of {bw}")
        gates[sym] = (w, b)
    dtype = np.result_type(a, *(t for wb in gates.values() for t in wb))
    _room(2, H, H, dtype, where)
    out = {"Lambda": -a, "c": np.asarray(8.0, dtype=dtype)}
    for sym, (w, b) in gates.items():      # x @ w[k] per head: W's block k is w[k].T
        out[f"W_{sym}"] = _block_diag(np.swapaxes(w, 1, 2), dtype)
        out[f"b_{sym}"] = b.reshape(-1)
    return out

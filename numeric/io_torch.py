"""Parameters from PyTorch ``nn.RNN/RNNCell/GRU/GRUCell/LSTM/LSTMCell`` (torch imported lazily).

A module, a state dict, or a file path (read with ``torch.load(..., weights_only=True)``,
which never unpickles arbitrary objects). The cell follows from the gate count
``G = weight_ih.shape[0] / H``: 1 Elman (tanh), 3 GRU (``pytorch`` convention), 4 LSTM.
"""

from __future__ import annotations

import os

import numpy as np

from ._errors import NumericError
from .params import from_arrays

__all__ = ["from_torch"]

_CELLS = {1: "elman", 3: "gru", 4: "lstm"}


def _to_numpy(t):
    if hasattr(t, "detach"):
        t = t.detach().cpu()
        if str(t.dtype) in ("torch.float16", "torch.bfloat16"):
            t = t.float()
        return t.numpy()
    return np.asarray(t)


def _find(sd, base, layer, suffix):
    for key in (f"{base}_l{layer}{suffix}", f"{base}{suffix}" if layer == 0 else None):
        if key is not None and key in sd:
            return sd[key]
    hits = [k for k in sd if k.endswith("." + f"{base}_l{layer}{suffix}")
            or (layer == 0 and k.endswith("." + base + suffix))]
    if len(hits) == 1:
        return sd[hits[0]]
    return None


def from_torch(module_or_state_dict, layer: int = 0, *, reverse: bool = False, dtype=None):
    """:class:`~numeric.Params` of layer ``layer`` of a PyTorch recurrent module.

    ``reverse=True`` reads the backward direction of a bidirectional module.
    """
    obj = module_or_state_dict
    if isinstance(obj, (str, os.PathLike)):
        import torch

        obj = torch.load(os.fspath(obj), map_location="cpu", weights_only=True)
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        if getattr(obj, "nonlinearity", "tanh") != "tanh":
            raise NumericError(f"nn.RNN with nonlinearity={obj.nonlinearity!r} is not "
                               "supported; the Elman cell uses tanh")
        if getattr(obj, "proj_size", 0):
            raise NumericError(f"LSTM with proj_size={obj.proj_size} is not supported")
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise NumericError(f"expected a module, state dict or path, got {type(obj).__name__}")
    suffix = "_reverse" if reverse else ""
    parts = {k: _find(obj, k, layer, suffix)
             for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    if parts["weight_ih"] is None or parts["weight_hh"] is None:
        raise NumericError(f"no weights for layer {layer}{' (reverse)' if reverse else ''} "
                           f"in the state dict; keys: {sorted(obj)[:12]}")
    if _find(obj, "weight_hr", layer, suffix) is not None:
        raise NumericError("LSTM projections (weight_hr) are not supported")
    arrs = {k: (None if v is None else _to_numpy(v)) for k, v in parts.items()}
    w_hh = arrs["weight_hh"]
    if w_hh.ndim != 2 or w_hh.shape[0] % w_hh.shape[1]:
        raise NumericError(f"weight_hh has shape {w_hh.shape}; expected (G*H, H)")
    G = w_hh.shape[0] // w_hh.shape[1]
    if G not in _CELLS:
        raise NumericError(f"weight_hh has shape {w_hh.shape}: {G} gates; expected 1 (RNN), "
                           "3 (GRU) or 4 (LSTM)")
    return from_arrays(_CELLS[G], **arrs, dtype=dtype)

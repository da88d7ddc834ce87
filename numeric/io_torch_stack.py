r"""Every layer and both directions of a PyTorch ``nn.RNN``/``nn.GRU``/``nn.LSTM`` as a
:class:`~numeric.Stack` (torch is imported only to read a module).

Layer ``k`` of the module is ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}`` (and ``weight_hr_l{k}`` for an LSTM with ``proj_size = P``, the ``lstmp``
cell, whose layer ``k + 1`` reads ``P`` inputs, ``2P`` bidirectional), and its reverse
direction the same keys with ``_reverse``; each is read by :func:`numeric.from_torch`
(which checks the class, the nonlinearity and the shapes).

>>> import torch, numpy as np, numeric
>>> m = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True)
>>> s = numeric.stack_from_torch(m)
>>> len(s), s.bidirectional(0), s.output_size()       # layers, (forward, reverse), 2H
(2, True, 8)
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._errors import NumericError
from .io_torch import from_torch
from .stack import Stack

__all__ = ["stack_from_torch"]

_LAYER_KEY = re.compile(r"weight_hh_l(?P<layer>[0-9]+)(?P<rev>_reverse)?")
_MODULES = ("RNN", "GRU", "LSTM")


def _layout(source):
    """[(layer, bidirectional)] of a torch module or state dict."""
    cls = type(source)
    if isinstance(source, Mapping):
        found = {}
        for key in source:
            m = _LAYER_KEY.fullmatch(key) if isinstance(key, str) else None
            if m is not None:
                k = int(m["layer"])
                found[k] = found.get(k, False) or bool(m["rev"])
        if not found:
            raise NumericError(f"the state dict has no layer keys weight_hh_l<k>; keys: "
                               f"{list(source)[:8]}")
        if sorted(found) != list(range(len(found))):
            raise NumericError(f"the state dict's layers {sorted(found)} are not 0..{len(found) - 1}")
        return [(k, found[k]) for k in range(len(found))]
    if cls.__module__.startswith("torch.nn") and cls.__name__ in _MODULES:
        return [(k, bool(source.bidirectional)) for k in range(int(source.num_layers))]
    raise NumericError(f"stack_from_torch reads torch.nn.RNN, GRU or LSTM modules and their "
                       f"state dicts, got {cls.__module__}.{cls.__qualname__}")


def stack_from_torch(source, *, cell=None, nonlinearity=None, dtype=None) -> Stack:
    """A :class:`~numeric.Stack` of every layer (and both directions) of ``source``.

    Parameters
    ----------
    source : torch.nn.RNN, GRU or LSTM, or a state dict of one
        A module says its cell; a state dict needs ``cell=`` (and ``nonlinearity=`` for a
        ReLU Elman RNN), as :func:`numeric.from_torch`.
    cell, nonlinearity, dtype
        As :func:`numeric.from_torch`.

    Raises
    ------
    NumericError
        For anything :func:`numeric.from_torch` refuses (named with the layer), or a
        source that is not one of the above.
    """
    layers = []
    for k, both in _layout(source):
        dirs = []
        for rev in ((False, True) if both else (False,)):
            try:
                dirs.append(from_torch(source, k, reverse=rev, cell=cell,
                                       nonlinearity=nonlinearity, dtype=dtype))
            except NumericError as exc:
                raise NumericError(f"layer {k}{' (reverse)' if rev else ''}: {exc}") from None
        layers.append(tuple(dirs) if both else dirs[0])
    return Stack(layers)

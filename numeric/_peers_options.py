"""The ``cell=``, ``nonlinearity=``, ``layer=``, ``reverse=`` and ``dtype=`` options of
:func:`numeric.from_torch`, checked by name before anything is read (private).

>>> check_cell("elman:relu")
('elman', 'relu')
>>> check_cell("mingru:paper")
Traceback (most recent call last):
...
numeric._errors.NumericError: cell='mingru:paper': the module 'mingru' is read from computes convention 'g'; pass cell='mingru'
"""

from __future__ import annotations

import numpy as np

from ._errors import NumericError
from ._peers import PEER_CELLS
from ._validate import float_dtype, positive_int

__all__ = ["TORCH_CELLS", "check_cell", "check_options"]

#: the cells of torch.nn's recurrent layers
TORCH_CELLS = ("elman", "gru", "lstm", "lstmp")


def check_cell(cell):
    """``(name, nonlinearity)`` of a ``cell=`` value: ``'gru'``, ``'elman:relu'``, ..."""
    if cell is None:
        return None, None
    known = list(TORCH_CELLS) + sorted(PEER_CELLS)
    name, _, conv = cell.partition(":") if isinstance(cell, str) else (None, "", "")
    if name == "slstm":
        raise NumericError("{given}: xlstm runs the stabilized sLSTM (states h, c, n, m); "
                           "pass {fit}", options={"given": ("cell", cell),
                                                  "fit": ("cell", "slstm_stabilized")})
    if name not in known:
        raise NumericError(f"cell must be one of {known} (torch.nn RNN, GRU, LSTM, LSTM "
                           "with proj_size; "
                           f"mingru-pytorch, xlstm, recurrentgemma), got {cell!r}")
    if not conv:
        return name, None
    if name == "elman" and conv in ("tanh", "relu"):
        return name, conv
    fixed = {"gru": "pytorch", **PEER_CELLS}.get(name)
    if conv != fixed:
        why = {"gru": "PyTorch's GRU is the 'pytorch' convention",
               "elman": "PyTorch's RNN is 'elman:tanh' or 'elman:relu'"}.get(
            name, f"the module {name!r} is read from computes "
                  + (f"convention {fixed!r}" if fixed else "one form (no convention)"))
        raise NumericError("{given}: " + why + "; pass {fit}",
                           options={"given": ("cell", cell), "fit": ("cell", name)})
    return name, None


def check_options(layer, reverse, cell, nonlinearity, dtype):
    layer = positive_int(layer, "layer", minimum=0)
    if not isinstance(reverse, (bool, np.bool_)):
        raise NumericError(f"reverse must be True or False, got {reverse!r} "
                           f"({type(reverse).__name__})")
    cell, implied = check_cell(cell)
    if nonlinearity is not None:
        if not isinstance(nonlinearity, str) or nonlinearity not in ("tanh", "relu"):
            raise NumericError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        if cell is not None and cell != "elman":
            raise NumericError("nonlinearity= applies to the Elman cell only, not {given}",
                               options={"given": ("cell", cell)})
        if implied is not None and implied != nonlinearity:
            raise NumericError(f"nonlinearity={nonlinearity!r} contradicts cell="
                               f"'elman:{implied}'")
    nonlinearity = nonlinearity or implied
    return (layer, bool(reverse), cell, nonlinearity,
            None if dtype is None else float_dtype(dtype))

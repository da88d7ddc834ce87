r"""Parameters from Keras weight arrays, with no TensorFlow dependency.

Keras stores ``kernel`` (I, G*H), ``recurrent_kernel`` (H, G*H) and ``bias``, gate blocks
along the last axis: GRU ``z, r, h``; LSTM ``i, f, c, o``; SimpleRNN one block. For the GRU,
``reset_after=True`` (the Keras default) is

.. math::

    n = \tanh(x W_h + b^{(x)}_h + r \odot (h U_h + b^{(h)}_h)), \qquad
    h_{next} = z \odot h + (1 - z) \odot n,

the ``pytorch`` convention with ``bias`` of shape (2, 3H) (input row, recurrent row);
``reset_after=False`` applies ``r`` before ``U_h`` and has one bias (3H,): the ``cho``
convention with zero recurrent biases. LSTM (and SimpleRNN) biases (G*H,) go to
``bias_ih``. Keras LSTMs must use the sigmoid recurrent activation (Keras 3 default; Keras 2
defaulted to ``hard_sigmoid``, which this cell does not model).
"""

from __future__ import annotations

import numpy as np

from ._errors import NumericError
from ._validate import as_float_array
from .params import from_arrays

__all__ = ["from_keras"]

_GATES = {"gru": 3, "lstm": 4, "elman": 1}


def from_keras(kernel, recurrent_kernel, bias=None, *, cell: str = "gru",
               reset_after: bool = True, dtype=None):
    """:class:`~numeric.Params` from Keras ``GRU``/``LSTM``/``SimpleRNN`` weights."""
    if cell not in _GATES:
        raise NumericError(f"unknown Keras cell {cell!r}; valid: {sorted(_GATES)}")
    G = _GATES[cell]
    K = as_float_array(kernel, "kernel")
    U = as_float_array(recurrent_kernel, "recurrent_kernel")
    if U.ndim != 2 or U.shape[1] != G * U.shape[0]:
        raise NumericError(f"recurrent_kernel has shape {U.shape}; expected (H, {G}*H) "
                           f"for a Keras {cell}")
    H = U.shape[0]
    if K.ndim != 2 or K.shape[1] != G * H:
        raise NumericError(f"kernel has shape {K.shape}; expected (I, {G * H}) = (I, {G}*H)")
    if cell == "gru":
        conv = "pytorch" if reset_after else "cho"
        want = (2, 3 * H) if reset_after else (3 * H,)
    else:
        conv, want = None, (G * H,)
    if bias is None:
        b = np.zeros(want, dtype=K.dtype)
    else:
        b = as_float_array(bias, "bias")
        if b.shape != want:
            raise NumericError(f"bias has shape {b.shape}; expected {want} for a Keras "
                               f"{cell}" + (f" with reset_after={reset_after}"
                                            if cell == "gru" else ""))
    if cell == "gru":
        perm = np.r_[H:2 * H, 0:H, 2 * H:3 * H]         # Keras z, r, h -> PyTorch r, z, n
        b_ih, b_hh = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
        return from_arrays("gru", weight_ih=K[:, perm].T, weight_hh=U[:, perm].T,
                           bias_ih=b_ih[perm], bias_hh=b_hh[perm], convention=conv,
                           dtype=dtype)
    return from_arrays(cell, weight_ih=K.T, weight_hh=U.T, bias_ih=b,
                       bias_hh=np.zeros_like(b), dtype=dtype)

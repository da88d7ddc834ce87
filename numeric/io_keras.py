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

``reset_after`` is a real boolean and means something only for the GRU (Keras' default
``True`` when omitted). With ``use_bias=False`` (``bias=None``) no shape can reveal a wrong
``reset_after``: both conventions have the same kernels, so pass the layer's own setting.
"""

from __future__ import annotations

import numpy as np

from ._errors import NumericError
from ._validate import as_float_array, float_dtype
from .params import from_arrays

__all__ = ["from_keras"]

_GATES = {"gru": 3, "lstm": 4, "elman": 1}


def _reset_after(cell: str, reset_after):
    if cell != "gru":
        if reset_after is not None:
            raise NumericError(f"reset_after={reset_after!r} means nothing for a Keras "
                               f"{cell}; pass it only with cell='gru'")
        return None
    if reset_after is None:
        return True                                   # the Keras GRU default
    if not isinstance(reset_after, (bool, np.bool_)):
        raise NumericError(f"reset_after must be True or False, got {reset_after!r} "
                           f"({type(reset_after).__name__})")
    return bool(reset_after)


def from_keras(kernel, recurrent_kernel, bias=None, *, cell: str = "gru",
               reset_after: bool | None = None, dtype=None):
    r""":class:`~numeric.Params` from Keras ``GRU``/``LSTM``/``SimpleRNN`` weights.

    Parameters
    ----------
    kernel : array_like, shape (I, G*H)
    recurrent_kernel : array_like, shape (H, G*H)
        ``G`` gate blocks along the last axis (GRU ``z, r, h``; LSTM ``i, f, c, o``;
        SimpleRNN one).
    bias : array_like, optional
        GRU: ``(2, 3H)`` with ``reset_after=True`` (input row, recurrent row), ``(3H,)``
        with ``reset_after=False``; LSTM ``(4H,)``; SimpleRNN ``(H,)``. ``None`` (a layer
        with ``use_bias=False``) means zero biases.
    cell : {'gru', 'lstm', 'elman'}
        ``'elman'`` is Keras' ``SimpleRNN`` (tanh).
    reset_after : bool, optional
        GRU only (``True``/``False``, NumPy booleans too; omitted or ``None``: ``True``,
        the Keras default). ``True`` gives the ``pytorch`` convention, ``False`` the
        ``cho`` convention. Passing it with ``cell='lstm'`` or ``'elman'`` is an error.
        With ``bias=None`` (``use_bias=False``) no shape reveals a wrong
        ``reset_after``: the caller must pass the layer's own setting.
    dtype : float32 or float64, optional

    Raises
    ------
    NumericError
        An unknown ``cell``, a ``reset_after`` that is not a boolean or given where it
        means nothing, non-float or non-finite arrays, shapes that do not fit the cell, or
        ``H = 0`` / ``I = 0``.
    """
    if not isinstance(cell, str) or cell not in _GATES:
        raise NumericError(f"unknown Keras cell {cell!r}; valid: {sorted(_GATES)}")
    reset_after = _reset_after(cell, reset_after)
    if dtype is not None:
        dtype = float_dtype(dtype)
    G = _GATES[cell]
    K = as_float_array(kernel, "kernel")
    U = as_float_array(recurrent_kernel, "recurrent_kernel")
    if U.ndim != 2 or U.shape[0] < 1 or U.shape[1] != G * U.shape[0]:
        raise NumericError(f"recurrent_kernel has shape {U.shape}; expected (H, {G}*H) "
                           f"with H >= 1 for a Keras {cell}")
    H = U.shape[0]
    if K.ndim != 2 or K.shape[0] < 1 or K.shape[1] != G * H:
        raise NumericError(f"kernel has shape {K.shape}; expected (I, {G * H}) = (I, {G}*H) "
                           "with I >= 1")
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

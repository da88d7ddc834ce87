r"""Stacks of recurrent layers, each one direction or two (bidirectional), as PyTorch runs them.

Layer :math:`l + 1` reads layer :math:`l`'s outputs: for a one-direction layer its cell's
output (:func:`numeric.output`: the declared output, else the first state, the GRU's and
LSTM's :math:`h_t`); for a bidirectional layer ``(forward, reverse)`` the two directions'
outputs concatenated along the feature axis,

.. math::

    y_t^{(l)} = \bigl[\, \overrightarrow{h}_t^{(l)} ;\ \overleftarrow{h}_t^{(l)} \bigr],
    \qquad \overrightarrow{s}_{t+1} = f(y_t^{(l-1)}, \overrightarrow{s}_t), \quad
    \overleftarrow{s}_{t} = f(y_t^{(l-1)}, \overleftarrow{s}_{t+1}),

the reverse direction reading the sequence backwards (:math:`t = T-1, \ldots, 0`) and its
outputs flipped back to the positions they were read at.

>>> import numpy as np, numeric
>>> g0 = numeric.init("gru", hidden_size=4, input_size=3, seed=0)
>>> g1 = numeric.init("gru", hidden_size=4, input_size=3, seed=1)
>>> top = numeric.init("lstm", hidden_size=5, input_size=8, seed=2)
>>> s = numeric.Stack([(g0, g1), top])              # bidirectional GRU, then an LSTM
>>> out = s.rollout(np.zeros((6, 2, 3)))             # xs (T, B, I)
>>> out.outputs.shape                               # (T, B, O): the top layer's outputs
(6, 2, 5)
>>> out.layers[0].shape                             # (T, B, 2H): both directions
(6, 2, 8)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._errors import NumericError
from ._validate import as_float_array, check_states
from .params import Params
from .step import output, rollout

__all__ = ["Stack", "StackRollout", "output_size", "stack_sequence"]


def output_size(params: Params) -> int:
    """The size of what the next layer reads from ``params``' cell: its declared output's
    dimension, else its first state's size (the hidden size; the LSTMP's ``P``)."""
    outs = params.cell.outputs
    if not outs:
        return params.state_sizes[0]
    if len(outs) > 1:
        raise NumericError(f"cell {params.cell.title!r} declares {len(outs)} outputs "
                           f"{[o.name for o in outs]}; a stack layer needs one")
    return params.sizes[params.cell.dims[outs[0]]]


@dataclass(frozen=True)
class StackRollout:
    """Result of :meth:`Stack.rollout`.

    Attributes
    ----------
    outputs : ndarray (T, B, O)
        The top layer's outputs (both directions concatenated if it is bidirectional).
    layers : list of ndarray (T, B, O_l)
        Every layer's outputs, bottom first (``layers[-1] is outputs``).
    states : list
        Per layer, its states after each step as :func:`numeric.rollout` returns them
        ((T, B, H), or a tuple for multi-state cells); for a bidirectional layer a pair
        ``(forward, reverse)``, the reverse states at the positions they were read at
        (``reverse[t]`` is the state after reading :math:`x_t`).
    """

    outputs: np.ndarray
    layers: list
    states: list


class Stack:
    """Layers of recurrent cells, layer ``l + 1`` reading layer ``l``'s outputs.

    Parameters
    ----------
    layers : sequence
        Bottom first. Each a :class:`numeric.Params` (any cell, any mix), or a pair
        ``(forward, reverse)`` of them for a bidirectional layer (both reading the same
        input size; the outputs concatenated, forward first).

    Raises
    ------
    NumericError
        When the list is empty, a layer is neither a Params nor a pair of them, the two
        directions of a layer disagree on the input size or dtype, or a layer's input
        size is not the output size of the layer below (named by its index).
    """

    def __init__(self, layers):
        if isinstance(layers, (Params, str, bytes)) or not hasattr(layers, "__len__"):
            raise NumericError(f"layers: expected a list of numeric.Params or (forward, "
                               f"reverse) pairs, got {type(layers).__name__}")
        if len(layers) == 0:
            raise NumericError("layers: a stack needs at least one layer, got an empty list")
        self.layers = tuple(_layer(k, lay) for k, lay in enumerate(layers))
        dtypes = {p.dtype for lay in self.layers for p in lay}
        if len(dtypes) > 1:
            raise NumericError(f"the layers mix dtypes {sorted(str(d) for d in dtypes)}; "
                               "convert them with Params.astype to one")
        self.dtype = dtypes.pop()
        for k in range(1, len(self.layers)):
            need, got = self.layers[k][0].input_size, self.output_size(k - 1)
            if need != got:
                raise NumericError(f"layer {k} reads inputs of size {need}, but layer {k - 1} "
                                   f"outputs {got} features"
                                   + (" (both directions)" if self.bidirectional(k - 1) else ""))

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        parts = ["(" + ", ".join(p.cell.name for p in lay) + ")" if len(lay) == 2
                 else lay[0].cell.name for lay in self.layers]
        return f"Stack([{', '.join(parts)}], input_size={self.input_size})"

    @property
    def input_size(self) -> int:
        """The input size of the bottom layer."""
        return self.layers[0][0].input_size

    def bidirectional(self, k: int) -> bool:
        """True if layer ``k`` has two directions."""
        return len(self.layers[k]) == 2

    def output_size(self, k: int = -1) -> int:
        """Features layer ``k`` outputs (the top layer's by default)."""
        return sum(output_size(p) for p in self.layers[k])

    def zero_states(self, B: int) -> list:
        """Zero initial states of every layer (as :meth:`rollout` takes them)."""
        out = []
        for lay in self.layers:
            st = [_zeros(p, B) for p in lay]
            out.append(tuple(st) if len(lay) == 2 else st[0])
        return out

    def rollout(self, xs, states0=None) -> StackRollout:
        """Every layer over the sequence ``xs`` (T, B, I), bottom to top.

        ``states0`` (default zeros) lists each layer's initial state (an array, or a tuple
        for multi-state cells; a pair ``(forward, reverse)`` for a bidirectional layer,
        the reverse one being its state before reading :math:`x_{T-1}`).

        Raises
        ------
        NumericError
            For a bad ``xs`` (named with its shape) or a ``states0`` of the wrong length or
            shapes (named with its layer).
        """
        xs = stack_sequence(self, xs)
        states0 = self.check_states0(states0, xs.shape[1])
        layers, states = [], []
        inp = xs
        for k, (lay, s0) in enumerate(zip(self.layers, states0, strict=True)):
            outs, sts = [], []
            for d, p in enumerate(lay):
                seq = inp if d == 0 else inp[::-1]
                st = _roll(p, seq, s0[d] if len(lay) == 2 else s0, k)
                o = _outputs(p, seq, s0[d] if len(lay) == 2 else s0, st)
                if d == 1:
                    st = _flip(st)
                    o = o[::-1]
                outs.append(o)
                sts.append(st)
            y = np.ascontiguousarray(np.concatenate(outs, axis=2) if len(outs) == 2 else outs[0])
            layers.append(y)
            states.append(tuple(sts) if len(lay) == 2 else sts[0])
            inp = y
        return StackRollout(layers[-1], layers, states)

    def check_states0(self, states0, B: int) -> list:
        """``states0`` checked (None: zeros): a list with one entry per layer."""
        if states0 is None:
            return self.zero_states(B)
        if not isinstance(states0, (list, tuple)) or len(states0) != len(self.layers):
            n = len(states0) if isinstance(states0, (list, tuple)) else type(states0).__name__
            raise NumericError(f"states0 must list one initial state per layer "
                               f"({len(self.layers)} layers), got {n}")
        out = []
        for k, (lay, s) in enumerate(zip(self.layers, states0, strict=True)):
            if len(lay) == 2 and not (isinstance(s, (list, tuple)) and len(s) == 2):
                raise NumericError(f"states0[{k}]: layer {k} is bidirectional; pass a pair "
                                   "(forward state, reverse state)")
            parts = s if len(lay) == 2 else (s,)
            for d, (p, part) in enumerate(zip(lay, parts, strict=True)):
                what = f"states0[{k}]" + (f"[{d}]" if len(lay) == 2 else "")
                st = check_states(p, part, what)
                if st[0].shape[0] != B:
                    raise NumericError(f"{what} has batch size {st[0].shape[0]}; xs has "
                                       f"batch size {B}")
            out.append(s)
        return out


def _layer(k, lay):
    if isinstance(lay, Params):
        return (lay,)
    if isinstance(lay, (list, tuple)) and len(lay) == 2 and all(isinstance(p, Params)
                                                               for p in lay):
        f, r = lay
        if f.input_size != r.input_size:
            raise NumericError(f"layer {k}: the forward direction reads {f.input_size} inputs, "
                               f"the reverse one {r.input_size}")
        return (f, r)
    desc = (f"a sequence of {len(lay)}" if isinstance(lay, (list, tuple))
            else type(lay).__name__)
    raise NumericError(f"layer {k}: expected numeric.Params or a (forward, reverse) pair of "
                       f"them, got {desc}")


def _zeros(p, B):
    z = tuple(np.zeros((B, n), dtype=p.dtype) for n in p.state_sizes)
    return z[0] if len(z) == 1 else z


def stack_sequence(stack, xs):
    """``xs`` checked: a finite (T, B, I) array of the stack's dtype, T >= 1."""
    arr = as_float_array(xs, "xs", stack.dtype)
    if arr.ndim != 3 or arr.shape[0] < 1 or arr.shape[2] != stack.input_size:
        raise NumericError(f"xs has shape {arr.shape}; expected (T, B, {stack.input_size}) "
                           "with T >= 1")
    if not np.all(np.isfinite(arr)):
        raise NumericError(f"xs (shape {arr.shape}) has non-finite values")
    return arr


def _roll(p, seq, s0, k):
    try:
        return rollout(p, seq, s0)
    except NumericError as exc:
        raise NumericError(f"layer {k}: {exc}") from None


def _flip(st):
    if isinstance(st, tuple):
        return tuple(np.ascontiguousarray(s[::-1]) for s in st)
    return np.ascontiguousarray(st[::-1])


def _first(st):
    return st[0] if isinstance(st, tuple) else st


def _outputs(p, seq, s0, st):
    """(T, B, O) outputs of one direction over ``seq`` from its rollout states ``st``."""
    if not p.cell.outputs:
        return _first(st)
    output_size(p)
    T = seq.shape[0]
    prev = s0
    out = None
    for t in range(T):
        o = output(p, seq[t], prev)
        if out is None:
            out = np.empty((T, *o.shape), dtype=o.dtype)
        out[t] = o
        prev = tuple(s[t] for s in st) if isinstance(st, tuple) else st[t]
    return out

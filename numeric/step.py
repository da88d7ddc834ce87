r"""Forward evaluation: one step and rollouts, compiled from the cell's equations.

For the PyTorch GRU, for example, one step is

.. math::

    r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}), \quad
    z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}), \\
    n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})), \quad
    h_{next} = (1 - z) \odot n + z \odot h,

evaluated exactly as written in ``cell.quantities`` (no hand-written NumPy per cell).

>>> import numpy as np, numeric
>>> p = numeric.init("gru", hidden_size=4, input_size=3, seed=0)
>>> x, h = np.zeros((2, 3)), np.zeros((2, 4))          # (B, I), (B, H)
>>> numeric.step(p, x, h).shape                        # (B, H)
(2, 4)
>>> numeric.rollout(p, np.zeros((5, 2, 3)), h).shape   # (T, B, H)
(5, 2, 4)
"""

from __future__ import annotations

import numpy as np

from ._compile import program
from ._validate import check_inputs, check_params, check_sequence, check_states, require_memory
from .params import Params

__all__ = ["step", "output", "rollout", "prepare", "pack_state"]


def prepare(params, x, state, *, allow_complex=False):
    """Validate and return (program, xT (I, B), statesT tuple of (H, B), B)."""
    check_params(params)
    states = check_states(params, state, allow_complex=allow_complex)
    B = states[0].shape[0]
    x = check_inputs(params, x, B, allow_complex=allow_complex)
    return program(params.cell), x.T, tuple(s.T for s in states), B


def pack_state(params, parts):
    """(B, H) arrays -> the public state (an array, or a tuple for multi-state cells)."""
    parts = tuple(np.ascontiguousarray(p) for p in parts)
    return parts[0] if len(params.cell.states) == 1 else parts


def step(params: Params, x, state):
    r"""One step of the cell: the next state from input ``x`` (B, I) and ``state``.

    ``state`` is a (B, H) array, or for LSTM the tuple ``(h, c)`` (the order of
    ``cell.states``); the result has the same form. Batch size 0 gives (0, H) arrays.

    Raises
    ------
    NumericError
        If ``params`` is not a :class:`Params`, or ``x``/``state`` are not finite float
        arrays of the shapes above (the message names the argument and its shape).
    """
    prog, xT, sT, B = prepare(params, x, state)
    dt = np.result_type(xT, *sT, params.dtype)
    sizes = params.state_sizes
    require_memory(B * sum(sizes) * dt.itemsize, f"the next state ({B}, {sum(sizes)}) {dt}",
                   hint="use a smaller batch")
    outs = [np.empty((B, n), dtype=dt) for n in sizes]
    prog.run(prog.kernel(prog.next_names), params, xT, sT, [o.T for o in outs])
    return pack_state(params, outs)


def output(params: Params, x, state):
    r"""The cell's output at one step, from input ``x`` (B, I) and ``state``: its declared
    output (``cb.output``; the IntersectionRNN's :math:`y_t`, the MC-LSTM's
    :math:`h_t = o_t \odot \tanh(c_t)`), else its first state's next value (the GRU's
    :math:`h_t`, the LSTM's :math:`h_t`): what the next layer of a stack reads. A (B, d)
    array; a tuple if the cell declares several outputs.

    >>> import numpy as np, numeric
    >>> p = numeric.init("lstm", hidden_size=4, input_size=3, seed=0)
    >>> x, h, c = np.ones((2, 3)), np.zeros((2, 4)), np.zeros((2, 4))
    >>> bool(np.allclose(numeric.output(p, x, (h, c)), numeric.step(p, x, (h, c))[0],
    ...                  rtol=1e-15, atol=0))
    True

    Raises
    ------
    NumericError
        As :func:`step`.
    """
    prog, xT, sT, B = prepare(params, x, state)
    names = tuple(s.name for s in params.cell.outputs) or prog.next_names[:1]
    dt = np.result_type(xT, *sT, params.dtype)
    require_memory(len(names) * B * max(params.sizes.values()) * dt.itemsize,
                   f"the output ({B}, d) {dt}", hint="use a smaller batch")
    outs = [np.ascontiguousarray(o.T) for o in prog.evaluate(params, xT, sT, names)]
    return outs[0] if len(outs) == 1 else tuple(outs)


def rollout(params: Params, xs, state0):
    """States :math:`h_1, \\ldots, h_T` from inputs ``xs`` (T, B, I) and ``state0``.

    Returns (T, B, H); for LSTM a tuple ``(hs, cs)`` of (T, B, H) arrays. ``state0`` itself
    is not included. Batch size 0 gives (T, 0, H) arrays.

    Raises
    ------
    NumericError
        For bad arguments (as :func:`step`; ``xs`` with no time steps too), or when the
        (T, B, H) output does not fit in the available memory (before allocating it).
    """
    check_params(params)
    states = check_states(params, state0, "state0")
    B = states[0].shape[0]
    xs = check_sequence(params, xs, B)
    prog = program(params.cell)
    T, H, S = xs.shape[0], params.state_size, len(states)
    require_memory(T * B * H * params.dtype.itemsize,
                   f"a rollout of (T, B, D) = ({T}, {B}, {H}) {params.dtype} states ({S} "
                   f"state(s), D numbers in all)",
                   hint="roll out fewer steps at a time (numeric.step, or rollout on "
                        "slices of xs from the last state) or use a smaller batch")
    outs = [np.empty((T, B, n), dtype=params.dtype) for n in params.state_sizes]
    sT = tuple(s.T for s in states)
    kernel = prog.kernel(prog.next_names)
    ws = prog.workspace(kernel, params, B, params.dtype)
    for t in range(T):
        new = [o[t].T for o in outs]  # written in place, read as the next state
        prog.run(kernel, params, xs[t].T, sT, new, ws)
        sT = tuple(new)
    return outs[0] if len(outs) == 1 else tuple(outs)

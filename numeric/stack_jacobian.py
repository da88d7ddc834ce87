r"""The one-step Jacobian of a stack's whole state, block lower-triangular over layers.

With :math:`S = (s^{(1)}, \ldots, s^{(L)})` and layer l reading layer l - 1's new output
:math:`y^{(l-1)}_t` (the first block of :math:`s^{(l-1)}_{t+1}`),

.. math::

    \frac{\partial s^{(l)}_{t+1}}{\partial s^{(k)}_t} =
    \begin{cases}
      J^{(l)} & k = l \\
      E^{(l)} P \, \dfrac{\partial s^{(l-1)}_{t+1}}{\partial s^{(k)}_t} & k < l \\
      0 & k > l
    \end{cases}

with :math:`J^{(l)}` the cell's state Jacobian, :math:`E^{(l)} = \partial s^{(l)}_{t+1} /
\partial x` its derived input block and :math:`P` the selection of the output (first)
state. A bidirectional layer has no one-step state (its reverse direction runs the other
way in time) and is refused, as are cells that declare their own output.

>>> import numpy as np, numeric
>>> a = numeric.init("gru", hidden_size=3, input_size=2, seed=0)
>>> b = numeric.init("lstm", hidden_size=4, input_size=3, seed=1)
>>> st = numeric.Stack([a, b])
>>> x = np.ones((5, 2))                                    # (B, I)
>>> numeric.stack_jacobian(st, x, st.zero_states(5)).shape  # (B, H_a + 2 H_b, ...)
(5, 11, 11)
"""

from __future__ import annotations

import numpy as np

from ._compile import program
from ._errors import NumericError
from ._ops import fill_block
from ._validate import as_float_array, check_states, require_memory
from .jacobian import jacobian, state_slices
from .stack import Stack
from .stack_gradients import _input_plans
from .step import step

__all__ = ["stack_jacobian"]


def _input_block(p, x, state) -> np.ndarray:
    """Dense :math:`\\partial s' / \\partial x` (B, D, I) from the derived input blocks
    (D the full state's size)."""
    prog = program(p.cell)
    xT = np.ascontiguousarray(x.T)
    sT = tuple(np.ascontiguousarray(s.T) for s in state)
    plans = _input_plans(prog)
    _, groups = prog.coefficients(p, xT, sT, list(plans))
    B, inp = x.shape[0], p.input_size
    out = np.empty((B, p.state_size, inp), dtype=p.dtype)
    for sl, plan, grp in zip(state_slices(p), plans, groups, strict=True):
        fill_block(plan, p, grp, out[:, sl])
    return out


def stack_jacobian(stack: Stack, x, states) -> np.ndarray:
    """The (B, D, D) Jacobian of the stacked next state with respect to the stacked state.

    Parameters
    ----------
    stack : Stack
        One-direction layers whose output is their first state.
    x : ndarray (B, I)
        The bottom layer's input at this step.
    states : list
        Each layer's state (as :meth:`Stack.rollout` takes ``states0``).

    Returns
    -------
    ndarray (B, D, D)
        ``D`` the sum over layers of their full states' sizes (states x hidden size, or
        the LSTMP's P + H); blocks in layer order, each layer's in the order of
        ``cell.states``.

    Raises
    ------
    NumericError
        Before any work: a bidirectional layer or a cell declaring its own output (named by
        the layer), a bad ``x`` or ``states`` (named with the shape), or a Jacobian that
        does not fit in the available memory.
    """
    if not isinstance(stack, Stack):
        raise NumericError(f"stack: expected numeric.Stack, got {type(stack).__name__}")
    for k, lay in enumerate(stack.layers):
        if len(lay) == 2:
            raise NumericError(f"layer {k} is bidirectional: its reverse direction runs "
                               "backwards in time, so the stack has no one-step state Jacobian")
        if lay[0].cell.outputs:
            raise NumericError(f"layer {k}: cell {lay[0].cell.title!r} declares its output "
                               f"{[o.name for o in lay[0].cell.outputs]}; the stacked "
                               "Jacobian supports cells whose output is their first state")
    x = as_float_array(x, "x", stack.dtype)
    if x.ndim != 2 or x.shape[1] != stack.input_size or not np.all(np.isfinite(x)):
        raise NumericError(f"x has shape {x.shape}; expected finite (B, {stack.input_size})")
    B = x.shape[0]
    states = stack.check_states0(states, B)
    parts = [check_states(lay[0], s, f"states[{k}]")
             for k, (lay, s) in enumerate(zip(stack.layers, states, strict=True))]
    sizes = [lay[0].state_size for lay in stack.layers]
    D = sum(sizes)
    require_memory(3 * B * D * D * stack.dtype.itemsize,
                   f"a ({B}, {D}, {D}) {stack.dtype} stacked Jacobian", hint="use a smaller batch")
    out = np.zeros((B, D, D), dtype=stack.dtype)
    offs = np.cumsum([0, *sizes]).tolist()
    below = None  # d s^{(l-1)}_{t+1} / d S_t, (B, D_{l-1}, D)
    inp = x
    for k, (lay, st) in enumerate(zip(stack.layers, parts, strict=True)):
        p = lay[0]
        state = st if len(st) > 1 else st[0]
        rows = slice(offs[k], offs[k + 1])
        out[:, rows, rows] = jacobian(p, inp, state, full=True)
        if below is not None:
            E = _input_block(p, inp, st)
            out[:, rows, :offs[k]] = E @ below[:, :p.input_size, :offs[k]]
        below = out[:, rows, :]
        nxt = step(p, inp, state)
        inp = nxt[0] if isinstance(nxt, tuple) else nxt
    return out

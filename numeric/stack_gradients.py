r"""Gradient flow through time and depth of a :class:`~numeric.Stack`, by one VJP sweep.

For the top layer's last output :math:`y_{T-1}^{(L)}` and a fixed cotangent :math:`v`, the
sweep carries :math:`\bar s = v^\top \partial y_{T-1}^{(L)} / \partial s` down the layers,
each layer backwards in time (the reverse direction of a bidirectional layer forwards,
since it reads the sequence backwards):

.. math::

    \bar s_t \mathrel{+}= \bar y_t, \qquad
    \bar s_{t-1} = \bar s_t^\top \frac{\partial s_t}{\partial s_{t-1}}, \qquad
    \bar x_t = \bar s_t^\top \frac{\partial s_t}{\partial x_t},

where :math:`\bar y_t` is what the layer above sent to this layer's output at :math:`t`
(its :math:`\bar x_t`) and :math:`\partial s_t / \partial x_t` is the cell's derived input
block. Every cotangent is kept as a unit vector and a log-scale per sample, as
:func:`numeric.gradient_norms` does, so nothing underflows; J is never formed.

>>> import numpy as np, numeric
>>> p0 = numeric.init("gru", hidden_size=4, input_size=3, seed=0)
>>> p1 = numeric.init("lstm", hidden_size=5, input_size=4, seed=1)
>>> res = numeric.stack_gradient_norms(numeric.Stack([p0, p1]), np.ones((7, 2, 3)))
>>> res.states.shape, res.inputs.shape            # (L, T, B), (T, B)
((2, 7, 2), (7, 2))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from derivations.chain import derive_block

from ._compile import BlockPlan, program
from ._errors import NumericError
from ._memo import per_object
from ._ops import vjp_block
from ._validate import as_float_array, require_memory, seed_value
from .jacobian import full_vjp
from .stack import Stack, output_size, stack_sequence

__all__ = ["stack_gradient_norms", "StackGradientNorms", "sweep_bytes", "input_vjp"]


@dataclass(frozen=True)
class StackGradientNorms:
    r"""Result of :func:`stack_gradient_norms`.

    Attributes
    ----------
    states : ndarray (L, T, B)
        ``states[l, t]`` :math:`= \log \| v^\top \partial y_{T-1}^{(L)} / \partial s_t^{(l)} \|`,
        :math:`s_t^{(l)}` layer l's full state after reading its input at position t (both
        directions' states for a bidirectional layer). The parts of a state are its
        coordinates, as in the engine's :math:`J = \partial s_{t+1} / \partial s_t`: for an
        LSTM the gradient on :math:`c_t` holds :math:`h_t` fixed (PyTorch's ``c.grad`` also
        counts :math:`h_t = o_t \odot \tanh c_t` inside the step). ``states[-1, -1]`` is ``log ||v||``
        on the forward direction's output (its other states get none of v).
    inputs : ndarray (T, B)
        :math:`\log \| v^\top \partial y_{T-1}^{(L)} / \partial x_t \|` (what training sees).
    v : ndarray (B, O)
        The cotangent on the top layer's last output.
    directions : tuple
        Per layer, a tuple of one (T, B) array per direction: the log-norm on that
        direction's state alone (``states[l]`` is their root sum of squares), the reverse
        direction's at the positions it read, like ``states``.
    """

    states: np.ndarray
    inputs: np.ndarray
    v: np.ndarray
    directions: tuple = ()


@per_object
def _input_plans(prog) -> tuple:
    """Per next state, the plan of the derived input block :math:`\\partial s' / \\partial x`."""
    cell = prog.cell
    x = cell.inputs[0]
    return tuple(BlockPlan(prog, (s.name, x.name), derive_block(cell, cell.next_states[s], x).terms)
                 for s in cell.states)


def input_vjp(params, x, state, g) -> np.ndarray:
    r""":math:`g^\top \partial s' / \partial x` (B, I) for every sample, from the cell's
    derived input blocks (J never formed); ``g`` is shaped like ``state``.

    >>> import numpy as np, numeric
    >>> p = numeric.init("gru", hidden_size=4, input_size=3, seed=0)
    >>> input_vjp(p, np.ones((2, 3)), np.zeros((2, 4)), np.ones((2, 4))).shape   # (B, I)
    (2, 3)
    """
    from .jacobian import _tangent
    from .step import prepare

    prog, xT, sT, B = prepare(params, x, state)
    gT = _tangent(params, g, B, "g")
    plans = _input_plans(prog)
    _, groups = prog.coefficients(params, xT, sT, list(plans))
    out = np.zeros((params.input_size, B), dtype=params.dtype)
    for plan, grp, gk in zip(plans, groups, gT, strict=True):
        out += vjp_block(plan, params, grp, np.ascontiguousarray(gk), params.input_size)
    return np.ascontiguousarray(out.T)


def _norm_parts(parts):
    return np.sqrt(sum(np.einsum("ib,ib->b", p, p) for p in parts))


def _normalize(parts, logs):
    """Scale ``parts`` (in place) to unit norm per sample, the norm moved into ``logs``."""
    n = _norm_parts(parts)
    for p in parts:
        np.divide(p, n, out=p, where=n > 0)
        p[:, n == 0] = 0
    with np.errstate(divide="ignore"):
        logs += np.log(n)
    logs[n == 0] = -np.inf
    return parts, logs


def _weights(a, b):
    """exp(a - m), exp(b - m) with m = max(a, b) per sample (0 where the log is -inf)."""
    m = np.maximum(a, b)
    fin = np.isfinite(m)
    m0 = np.where(fin, m, 0.0)
    wa = np.where(np.isfinite(a) & fin, np.exp(np.where(np.isfinite(a), a, 0) - m0), 0.0)
    wb = np.where(np.isfinite(b) & fin, np.exp(np.where(np.isfinite(b), b, 0) - m0), 0.0)
    return wa, wb, np.where(fin, m, -np.inf)


@per_object
def _output_plans(prog) -> tuple:
    """A declared output's derived blocks: :math:`\\partial y / \\partial s` per state, then
    :math:`\\partial y / \\partial x` (empty for a cell whose output is its first state)."""
    cell = prog.cell
    if not cell.outputs:
        return ()
    y = cell.outputs[0]
    return tuple(BlockPlan(prog, (y.name, u.name), derive_block(cell, y, u).terms)
                 for u in (*cell.states, cell.inputs[0]))


def _sweep(p, seq, s0, states, ybar, ylog, off):
    """One direction over ``seq`` (T, B, I) in its reading order: ``states`` its rollout
    (after each step), ``ybar`` (T, O, B) unit cotangents on the layer's outputs with
    log-scales ``ylog`` (T, B); this direction's output rows start at ``off``.

    A cell without a declared output outputs its first next state: the output's cotangent
    is added to that state's. A declared output :math:`y_t = g(x_t, s_t)` sends its
    cotangent through its own derived blocks to :math:`x_t` and :math:`s_t`.

    Returns (log-norms of the state cotangents (T, B), input cotangents (T, I, B) and
    their log-scales (T, B))."""
    prog = program(p.cell)
    keys = tuple(prog.blocks)
    plans = [prog.plan(k) for k in keys]
    iplans = _input_plans(prog)
    oplans = _output_plans(prog)
    T, B, inp = seq.shape
    sizes = p.state_sizes
    H = sizes[0]  # the first state's size: the output of a cell without a declared one
    S = len(prog.state_names)
    O = output_size(p)
    sts = states if isinstance(states, tuple) else (states,)
    s0 = s0 if isinstance(s0, tuple) else (s0,)
    g = [np.zeros((n, B), dtype=p.dtype) for n in sizes]
    glog = np.full(B, -np.inf)
    snorm = np.empty((T, B))
    xbar = np.empty((T, inp, B), dtype=p.dtype)
    xlog = np.empty((T, B))
    for t in range(T - 1, -1, -1):
        if not oplans:  # the output at t is this direction's first next state
            wa, wb, m = _weights(glog, ylog[t])
            g[0] *= wa
            g[0] += wb * ybar[t, off:off + H]
            for k in range(1, S):
                g[k] *= wa
            glog = m
            g, glog = _normalize(g, glog)
        snorm[t] = glog
        prev = tuple(s0[k].T if t == 0 else sts[k][t - 1].T for k in range(S))
        _, groups = prog.coefficients(p, seq[t].T, prev, [*plans, *iplans, *oplans])
        coefs = dict(zip(keys, groups[:len(keys)], strict=True))
        xb = sum(vjp_block(plan, p, grp, gk, inp) for plan, grp, gk in
                 zip(iplans, groups[len(keys):len(keys) + S], g, strict=True))
        g = [np.array(a) for a in full_vjp(prog, p, coefs, tuple(g))]
        if oplans:  # the declared output's own paths to x_t and s_t, at its own scale
            yb = np.ascontiguousarray(ybar[t, off:off + O])
            og = groups[len(keys) + S:]
            wa, wb, m = _weights(glog, ylog[t])
            xb = xb * wa + wb * vjp_block(oplans[-1], p, og[-1], yb, inp)
            g = [a * wa + wb * vjp_block(plan, p, grp, yb, n)
                 for a, plan, grp, n in zip(g, oplans[:-1], og[:-1], sizes, strict=True)]
            xlog[t], glog = m, m.copy()
            xbar[t] = xb
            _normalize([xbar[t]], xlog[t])
            g, glog = _normalize(g, glog)
        else:
            xbar[t] = xb
            xlog[t] = glog
            glog = glog.copy()
    return snorm, xbar, xlog


def sweep_bytes(stack, T: int, B: int) -> int:
    """Bytes :func:`stack_gradient_norms` holds at most: every layer's outputs and states
    (the rollout), the cotangents on two layers' outputs, the log-norms, and per step the
    coefficients of every block (an upper bound: 16 vectors per state row)."""
    it = stack.dtype.itemsize
    sizes = [stack.input_size] + [stack.output_size(k) for k in range(len(stack))]
    states = sum(p.state_size for lay in stack.layers for p in lay)
    per_step = 16 * max(len(p.cell.states) * max(p.sizes.values())
                        for lay in stack.layers for p in lay)
    return ((states + sum(sizes[1:]) + 2 * max(sizes)) * T * B * it
            + (len(stack) + 4) * T * B * 8 + per_step * B * it)


def stack_gradient_norms(stack: Stack, xs, states0=None, v=None, *,
                         seed: int = 0) -> StackGradientNorms:
    r"""Log-norms of :math:`v^\top \partial y_{T-1}^{(L)} / \partial s_t^{(l)}` for every
    layer l and step t, and of :math:`v^\top \partial y_{T-1}^{(L)} / \partial x_t`.

    Parameters
    ----------
    stack : Stack
    xs : ndarray (T, B, I)
    states0 : list, optional
        Initial states as :meth:`Stack.rollout` takes them (default zeros).
    v : ndarray (B, O), optional
        The cotangent on the top layer's last output; default a random unit vector per
        sample from ``seed``.
    seed : int

    Returns
    -------
    StackGradientNorms
        ``states`` (L, T, B) and ``inputs`` (T, B), natural logs (``-inf`` where a
        gradient is exactly zero).

    Raises
    ------
    NumericError
        Before any work: for a bad argument (named with its shape), a layer whose cell
        declares an output of another size than its states (its blocks are not swept),
        or when the rollout and the cotangents do not fit in the available memory.
    """
    if not isinstance(stack, Stack):
        raise NumericError(f"stack: expected numeric.Stack, got {type(stack).__name__}")
    for k, lay in enumerate(stack.layers):
        for p in lay:
            outs = p.cell.outputs
            if outs and p.cell.dims[outs[0]] != p.cell.hidden_dim:
                raise NumericError(f"layer {k}: cell {p.cell.title!r} declares its output "
                                   f"{outs[0].name!r} of dimension {p.cell.dims[outs[0]]!r}, "
                                   "not its states' (the sweep supports outputs of the "
                                   "hidden size)")
    seed = seed_value(seed)
    xs = stack_sequence(stack, xs)
    T, B = xs.shape[:2]
    states0 = stack.check_states0(states0, B)
    O = stack.output_size()
    if v is not None:
        v = as_float_array(v, "v", stack.dtype)
        if v.shape != (B, O) or not np.all(np.isfinite(v)):
            raise NumericError(f"v has shape {v.shape}; expected finite ({B}, {O}): one "
                               "cotangent per sample on the top layer's output")
    require_memory(sweep_bytes(stack, T, B),
                   f"stack_gradient_norms over T = {T} steps for {B} samples "
                   f"({len(stack)} layers, {stack.dtype})",
                   hint="use fewer steps or a smaller batch")
    res = stack.rollout(xs, states0)
    if v is None:
        v = np.random.default_rng(seed).normal(size=(B, O))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
    v = np.ascontiguousarray(v, dtype=stack.dtype)
    L = len(stack)
    ybar = np.zeros((T, O, B), dtype=stack.dtype)
    ylog = np.full((T, B), -np.inf)
    ybar[T - 1] = v.T
    ylog[T - 1] = 0.0
    _normalize([ybar[T - 1]], ylog[T - 1])
    snorms = np.empty((L, T, B))
    per_direction = [None] * L
    for k in range(L - 1, -1, -1):
        lay = stack.layers[k]
        inp = xs if k == 0 else res.layers[k - 1]
        both = len(lay) == 2
        sn, xb, xl, off = [], [], [], 0
        for d, p in enumerate(lay):
            s0 = states0[k][d] if both else states0[k]
            st = res.states[k][d] if both else res.states[k]
            if d == 0:
                a, b, c = _sweep(p, inp, s0, st, ybar, ylog, off)
            else:  # the reverse direction is a forward one over the flipped sequence
                st = tuple(s[::-1] for s in st) if isinstance(st, tuple) else st[::-1]
                a, b, c = _sweep(p, inp[::-1], s0, st, ybar[::-1], ylog[::-1], off)
                a, b, c = a[::-1], b[::-1], c[::-1]
            sn.append(a)
            xb.append(b)
            xl.append(c)
            off += output_size(p)
        if both:
            snorms[k] = np.logaddexp(2 * sn[0], 2 * sn[1]) / 2
            per_direction[k] = (np.array(sn[0]), np.array(sn[1]))
            wa, wb, m = _weights(xl[0], xl[1])
            ybar = xb[0] * wa[:, None, :] + xb[1] * wb[:, None, :]
            ylog = m
        else:
            snorms[k] = sn[0]
            per_direction[k] = (snorms[k],)
            ybar, ylog = np.array(xb[0]), np.array(xl[0])
        for t in range(T):
            _normalize([ybar[t]], ylog[t])
    return StackGradientNorms(snorms, ylog, v, tuple(per_direction))

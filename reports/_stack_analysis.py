r"""The numbers of ``gatebound analyze`` for a :class:`numeric.Stack` driven by a sequence.

The whole stack runs (:meth:`numeric.Stack.rollout`: layer :math:`l + 1` reads layer
:math:`l`'s outputs). Then, for the stack as a whole,

- gradient norms through time and depth (:func:`numeric.stack_gradient_norms`):
  :math:`\log \| v^\top \partial y_{T-1}^{(L)} / \partial s_t^{(l)} \|` for every layer
  :math:`l` and step :math:`t`, and :math:`\log \| v^\top \partial y_{T-1}^{(L)} /
  \partial x_t \|`, with :math:`v` a random unit cotangent per sequence (``seed``);
- the spectrum of the one-step Jacobian of the stacked state
  :math:`\partial S_{t+1} / \partial S_t` (:func:`numeric.stack_jacobian`) at
  :data:`SPECTRUM_POINTS` steps spread over the sequence (none for a stack with a
  bidirectional layer, whose reverse direction runs the other way in time);

and for each picked layer, each direction on its own (its inputs and states from the
rollout),

- the whole stack's gradient norms on this direction's state alone
  (:attr:`numeric.StackGradientNorms.directions`);
- gradient norms through time of the layer alone, :math:`\log \| u^\top \partial s_T /
  \partial s_t \|` (:func:`numeric.gradient_norms`, :math:`u` a random unit state);
- the singular values of :math:`J_t = \partial s_{t+1} / \partial s_t`
  (:func:`numeric.jacobian`, the full state) at the same steps, and the tightness
  :math:`\|J_t\|_2 / U_t` of the derived upper bound :math:`U_t`
  (:func:`numeric.check_bounds` of the full state, ``which='full'``, as the zoo table of
  ``gatebound report`` computes it);
- the carrying gate's values along the whole sequence (GRU :math:`z`, LSTM :math:`f`) and
  the fraction within :data:`SATURATION_EPS` of 0 or 1.

A reverse direction reads the sequence backwards: its step at position :math:`t` reads
:math:`x_t` and the state it had after reading :math:`x_{t+1}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._errors import ReportError

__all__ = ["analyze_stack", "StackAnalysis", "LayerDirection", "SPECTRUM_POINTS",
           "SATURATION_EPS", "analysis_bytes", "states_before"]

#: steps of the sequence at which one-step Jacobians are measured (spread evenly)
SPECTRUM_POINTS = 8

#: a gate value within this distance of 0 or 1 counts as saturated
SATURATION_EPS = 0.1


@dataclass
class LayerDirection:
    """The diagnostics of one direction of one layer."""

    layer: int
    direction: str                       # "forward" or "reverse"
    params: object
    through_time: np.ndarray             # (T, B) natural log-norms, the layer alone
    through_depth: np.ndarray            # (T, B) natural log-norms on this direction's
    #                                      state, from the whole stack's sweep
    steps: np.ndarray                    # (n,) positions of the spectra
    singular_values: np.ndarray          # (n, B, D) descending
    tightness: np.ndarray                # (n, B) ||J|| / U
    gate: tuple | None = None            # (name, values (T, B, H), towards) or None
    gate_reason: str | None = None       # why there are no gate values


@dataclass
class StackAnalysis:
    """Everything :func:`analyze_stack` computes (see the module docstring)."""

    stack: object
    T: int
    B: int
    through_depth: np.ndarray            # (L, T, B) natural log-norms, per layer
    input_norms: np.ndarray              # (T, B) natural log-norms on x_t
    v: np.ndarray                        # (B, O) the cotangent on the top layer's output
    steps: np.ndarray                    # (n,) positions of the spectra
    stack_singular_values: np.ndarray | None   # (n, B, D) or None
    stack_reason: str | None             # why there is no stacked spectrum
    directions: list = field(default_factory=list)   # LayerDirection, layer order


def states_before(st, s0, t: int, reverse: bool = False):
    """The state a direction holds before its step at position ``t``: ``s0`` at its first
    step, else its state after the previous step (position ``t - 1``, or ``t + 1`` when
    reading backwards); ``st`` as :attr:`numeric.StackRollout.states` keeps it."""
    T = (st[0] if isinstance(st, tuple) else st).shape[0]
    first = (t == T - 1) if reverse else (t == 0)
    if first:
        return s0
    k = t + 1 if reverse else t - 1
    return tuple(a[k] for a in st) if isinstance(st, tuple) else st[k]


def _at_steps(st, s0, steps, reverse):
    """States before each of ``steps``, batched as (n B, H) (a tuple for several states)."""
    parts = [states_before(st, s0, int(t), reverse) for t in steps]
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(len(parts[0])))
    return np.concatenate(parts)


def analysis_bytes(stack, T: int, B: int) -> int:
    """Memory the analysis needs at most: the stack's gradient sweep (its rollout and
    cotangents), the largest layer's own gradient pass, the gate values and the spectra's
    Jacobians (three (n B, D, D) arrays)."""
    from numeric.stack_gradients import sweep_bytes

    it = 8
    D = sum(p.state_size for lay in stack.layers for p in lay)
    layer = max(p.state_size + p.input_size
                for lay in stack.layers for p in lay)
    return (sweep_bytes(stack, T, B) + 2 * T * B * layer * it
            + T * B * D * it + 3 * SPECTRUM_POINTS * B * D * D * it)


def analyze_stack(stack, xs, states0=None, *, layers=None, seed: int = 0,
                  say=lambda msg: None) -> StackAnalysis:
    """Run ``stack`` over ``xs`` (T, B, I) from ``states0`` (default zeros) and compute the
    diagnostics of the module docstring for the layers ``layers`` (default all)."""
    import numeric
    from numeric.bounds import check_bounds

    from ._fig_data import carrying_gate

    T, B = xs.shape[:2]
    L = len(stack)
    picked = list(range(L)) if layers is None else list(layers)
    states0 = stack.check_states0(states0, B)
    say(f"stack of {L} layer(s): rollout and gradient norms through time and depth "
        f"(T = {T}, B = {B})")
    res = stack.rollout(xs, states0)
    grads = numeric.stack_gradient_norms(stack, xs, states0, seed=seed)
    steps = np.unique(np.linspace(0, T - 1, min(T, SPECTRUM_POINTS)).astype(int))
    sv_stack, reason = None, None
    if any(stack.bidirectional(k) for k in range(L)):
        reason = "a bidirectional layer runs backwards in time: no one-step stacked state"
    elif any(lay[0].cell.outputs for lay in stack.layers):
        reason = "a cell declares its own output: no stacked one-step Jacobian"
    else:
        say(f"stack: spectra of the stacked Jacobian at {len(steps)} steps")
        svs = []
        for t in steps:
            st = [states_before(res.states[k], states0[k], int(t)) for k in range(L)]
            J = numeric.stack_jacobian(stack, xs[t], st)
            svs.append(np.linalg.svd(J, compute_uv=False))
        sv_stack = np.stack(svs)
    out = StackAnalysis(stack, T, B, grads.states, grads.inputs, grads.v, steps, sv_stack,
                        reason)
    for n, k in enumerate(picked, 1):
        lay = stack.layers[k]
        inp = xs if k == 0 else res.layers[k - 1]
        for d, p in enumerate(lay):
            rev = d == 1
            name = "reverse" if rev else "forward"
            s0 = states0[k][d] if len(lay) == 2 else states0[k]
            st = res.states[k][d] if len(lay) == 2 else res.states[k]
            seq = inp[::-1] if rev else inp
            say(f"layer {k} ({n}/{len(picked)}){' ' + name if len(lay) == 2 else ''}: "
                f"gradient norms through time (T = {T})")
            gn = numeric.gradient_norms(p, seq, s0, seed=seed)
            tt = np.asarray(gn.log_norms)
            say(f"layer {k} ({n}/{len(picked)}): spectra and bounds ({len(steps)} of {T} "
                "steps)")
            x_at = np.concatenate([inp[t] for t in steps])
            s_at = _at_steps(st, s0, steps, rev)
            J = numeric.jacobian(p, x_at, s_at, full=True)
            sv = np.linalg.svd(J, compute_uv=False).reshape(len(steps), B, -1)
            bc = check_bounds(p, x_at, s_at, which="full")
            with np.errstate(invalid="ignore", divide="ignore"):   # 0 / 0 where J = U = 0
                tight = (bc.norm / bc.upper).reshape(len(steps), B)
            gate, why = None, "the cell has no carrying gate"
            if p.cell.carrying is not None:
                say(f"layer {k} ({n}/{len(picked)}): gate saturation along the sequence")
                s_all = _at_steps(st, s0, range(T), rev)
                try:
                    gname, g = carrying_gate(p, inp.reshape(T * B, -1), s_all)
                except ReportError as exc:   # a gate that is no diagonal carry term
                    why = str(exc)
                else:
                    gate = (gname, np.asarray(g).reshape(T, B, -1), p.cell.carrying.towards)
                    why = None
            out.directions.append(LayerDirection(k, name, p, tt, grads.directions[k][d], steps,
                                                 sv, tight, gate, why))
    return out

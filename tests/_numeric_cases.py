"""Shared helpers of the numeric tests (imported by test modules; not a test module itself)."""

from __future__ import annotations

import numpy as np

import numeric
from derivations.facts import Role
from tests.strategies import CellCase

__all__ = ["make_case", "flat_state", "input_size", "draw_states", "other_sizes",
           "state_sizes"]


def other_sizes(cell, hidden: int) -> dict | None:
    """Sizes of ``cell``'s dimensions besides the hidden and the input one (the LSTMP's
    projection ``P``): ``hidden - 1``, at least 1 (torch's ``proj_size < hidden_size``);
    ``None`` when it has none (what ``numeric.init(..., sizes=)`` takes)."""
    own = (cell.hidden_dim, cell.dims[cell.inputs[0]])
    return {d: max(1, hidden - 1) for d in cell.dimensions if d not in own} or None


def state_sizes(cell, hidden: int) -> tuple:
    """The size of each state of ``cell`` at hidden size ``hidden`` (see :func:`other_sizes`)."""
    extra = other_sizes(cell, hidden) or {}
    return tuple(extra.get(d, hidden) for d in cell.state_dims)


def input_size(cell, inputs: int, hidden: int) -> int:
    """``inputs``, or ``hidden`` for a cell whose input has the state's dimension (RG-LRU)."""
    return hidden if cell.input_in_state_dim else inputs


def draw_states(cell, rng, batch: int, hidden: int, dtype=np.float64, bound: float = 0.95):
    """One array per state, uniform in [-bound, bound]; a normalizer state (sLSTM ``n``, whose
    next value is a positive combination) uniform in [0.5, 2], its domain."""
    parts = []
    for s, n in zip(cell.states, state_sizes(cell, hidden), strict=True):
        if cell.roles[cell.next_states[s]] is Role.NORMALIZER_STATE:
            parts.append(rng.uniform(0.5, 2.0, size=(batch, n)).astype(dtype))
        else:
            parts.append(rng.uniform(-bound, bound, size=(batch, n)).astype(dtype))
    return tuple(parts)


def make_case(case: CellCase, dtype=np.float64):
    """Params scaled by case.scale, gate biases shifted, random x and state in range."""
    import derivations as dv

    cell = dv.cell(case.name, case.convention)
    inputs = input_size(cell, case.inputs, case.hidden)
    p = numeric.init(cell, case.hidden, inputs, seed=case.seed % 2**31, scale=case.scale,
                     dtype=dtype, sizes=other_sizes(cell, case.hidden))
    p = p.with_arrays(**{b: p.arrays[b] + case.bias_shift for b in p.arrays
                         if b.startswith("b")})
    rng = case.rng()
    x = rng.normal(size=(case.batch, inputs)).astype(dtype)
    parts = draw_states(p.cell, rng, case.batch, case.hidden, dtype)
    return p, x, (parts if len(parts) > 1 else parts[0])


def flat_state(state):
    """A multi-state tuple ``(h, c)`` as one (B, S*H) array; a single state as it is."""
    return np.concatenate(state, axis=1) if isinstance(state, tuple) else state

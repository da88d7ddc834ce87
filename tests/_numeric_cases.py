"""Shared helpers of the numeric tests (imported by test modules; not a test module itself)."""

from __future__ import annotations

import numpy as np

import numeric
from tests.strategies import CellCase

__all__ = ["make_case", "flat_state"]


def make_case(case: CellCase, dtype=np.float64):
    """Params scaled by case.scale, gate biases shifted, random x and state in range."""
    p = numeric.init(case.name, case.hidden, case.inputs, case.convention, seed=case.seed % 2**31,
                     scale=case.scale, dtype=dtype)
    p = p.with_arrays(**{b: p.arrays[b] + case.bias_shift for b in p.arrays
                         if b.startswith("b")})
    rng = case.rng()
    x = rng.normal(size=(case.batch, case.inputs)).astype(dtype)
    parts = tuple(rng.uniform(-0.95, 0.95, size=(case.batch, case.hidden)).astype(dtype)
                  for _ in p.cell.states)
    return p, x, (parts if len(parts) > 1 else parts[0])


def flat_state(state):
    """A multi-state tuple ``(h, c)`` as one (B, S*H) array; a single state as it is."""
    return np.concatenate(state, axis=1) if isinstance(state, tuple) else state

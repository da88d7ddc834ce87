"""Symbolic against numeric: the lambdified SymPy closed form equals the NumPy engine.

Hypothesis draws the cell and convention, the size n <= 4, weight scales from the
contracting to the saturating regime, saturating bias shifts, inputs and states; the
closed form is the derivation's own SymPy expression instantiated at size n (no NumPy
engine code involved), the numeric side is ``numeric.jacobian(..., full=True)``.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import derivations as dv
import numeric

from ._lambdified import closed_form_function
from .strategies import bias_shifts, cell_keys, seeds, weight_scales


@given(cell_keys(), st.integers(1, 4), weight_scales(), bias_shifts(), seeds())
def test_lambdified_closed_form_equals_numeric_engine(key, n, scale, shift, seed):
    cell, m = dv.cell(*key), 2  # one input size keeps the SymPy compilations to 28
    p = numeric.init(cell, n, m, seed=seed % 2**31, scale=scale)
    p = p.with_arrays(**{k: v + shift for k, v in p.arrays.items() if k.startswith("b_")})
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, m))
    parts = [rng.uniform(-1, 1, size=(1, n)) for _ in cell.states]
    if len(parts) == 2:
        parts[1] = 3 * parts[1]  # LSTM cell state is not confined to (-1, 1)
    state = tuple(parts) if len(parts) > 1 else parts[0]
    values = {k: v for k, v in p.arrays.items()}
    values[cell.inputs[0].name] = x[0]
    values.update({s.name: v[0] for s, v in zip(cell.states, parts, strict=True)})
    expected = closed_form_function(cell, n, m)(values)
    got = numeric.jacobian(p, x, state, full=True)[0]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)

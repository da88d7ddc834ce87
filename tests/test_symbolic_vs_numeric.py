"""Symbolic against numeric: the lambdified SymPy Jacobian equals the NumPy engine.

Hypothesis draws the cell and convention, the size n <= 4, weight scales from the
contracting to the saturating regime, saturating bias shifts, inputs and states in every
regime; the symbolic side is the derivation's own closed form, or SymPy's brute-force
``Matrix.jacobian``, instantiated at size n (no NumPy engine code involved), the numeric
side is ``numeric.jacobian(..., full=True)``. Both run through the public
:func:`numeric.testing.engine_matches_sympy`, the property users run on their own cells.
"""

import os

from hypothesis import given, settings

from numeric.testing import engine_matches_sympy

from .strategies import cell_cases

#: the largest full state S n compiled: 8 under the ci profile, 6 in dev (each (cell, n)
#: is one SymPy lambdification; the exact proofs of test_derivations_proof reach n = 4)
FULL_SIZE = 8 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 6


@given(cell_cases(max_hidden=4, max_input=2, max_batch=1))
def test_lambdified_closed_form_equals_numeric_engine(case):
    # one input size (2) keeps the SymPy compilations few; a full state of S n <= FULL_SIZE
    # (n <= 2 for the four-state stabilized sLSTM, whose closed form takes minutes at n = 4)
    S = len(case.cell.states)
    engine_matches_sympy(case, closed_form=True, max_size=min(FULL_SIZE // 2, FULL_SIZE // S))


@settings(max_examples=10)
@given(cell_cases(max_hidden=2, max_input=2, max_batch=2))
def test_lambdified_brute_force_jacobian_equals_numeric_engine(case):
    # n <= 2: SymPy's brute-force Jacobian of the stabilized sLSTM takes ~40 s to lambdify
    # at n = 3 (the exact proofs of tests/test_derivations_proof cover n <= 3 and more)
    engine_matches_sympy(case, max_size=min(2, 6 // len(case.cell.states)))

"""numeric.testing: the public property tests pass on a user's own cell and catch wrong ones.

A property test that cannot fail is a defect: each property is run once on a correct cell
and once on a cell (or engine) made wrong on purpose, and must fail there.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import derivations as dv
import derivations.proof
import numeric
import numeric._properties as props
import numeric.testing as nt
from numeric.testing import CellCase, property_tests
from tests._user_cells import user_mgu


def my_mgu(name: str = "my_mgu", towards: int = 0):
    """An MGU-like cell written with the public language (tests/_user_cells.py)."""
    return user_mgu(name, towards)


MY_MGU = my_mgu()

# the two-line use the README documents: a test function pytest collects
test_my_mgu = settings(max_examples=8)(property_tests(MY_MGU))


def _case(cell=MY_MGU, **kw):
    base = dict(hidden=4, inputs=3, batch=3, scale=1.0, bias_shift=0.0, seed=3)
    return CellCase(cell, **{**base, **kw})


def test_property_tests_is_a_collectable_hypothesis_test():
    assert test_my_mgu.__name__ == "test_my_mgu_properties"
    assert test_my_mgu.is_hypothesis_test
    assert "carrying" in test_my_mgu.__doc__          # the cell declares a carrying gate


def test_every_property_passes_on_the_user_cell_in_every_state_regime():
    for regime in nt.STATE_REGIMES:
        for scale, shift in ((0.3, 0.0), (1.0, 3.0), (4.0, -12.0)):
            nt.check_case(_case(state_regime=regime, scale=scale, bias_shift=shift))


def test_a_wrong_engine_jacobian_is_caught(monkeypatch):
    right = props.jacobian

    def wrong(p, x, state, **kw):
        J = right(p, x, state, **kw)
        return J + 1e-6 * np.eye(J.shape[-1])           # one tiny diagonal error
    monkeypatch.setattr(props, "jacobian", wrong)
    case = _case()
    with pytest.raises(AssertionError, match="my_mgu.*differs from the step reference"):
        nt.engine_matches_step(case)
    with pytest.raises(AssertionError, match="my_mgu.*differs from SymPy's brute-force"):
        nt.engine_matches_sympy(case)
    # ...and the hypothesis-driven test built by property_tests fails too
    test = settings(max_examples=3, database=None)(
        property_tests(my_mgu("other"), properties=("step", "bounds")))
    with pytest.raises(AssertionError, match="differs"):
        test()


def test_a_lowered_bound_is_caught(monkeypatch):
    right = props.check_bounds

    def lowered(p, x, state, **kw):
        r = right(p, x, state, **kw)
        return type(r)(r.block, r.norm, r.sigma_min, 0.5 * r.norm, r.global_upper, r.lower,
                       r.gap, r.saturation, r.epsilon, r.in_domain, r.ok)
    monkeypatch.setattr(props, "check_bounds", lowered)
    with pytest.raises(AssertionError, match=r"my_mgu.*\|\|J\|\| <= upper fails"):
        nt.bounds_hold(_case())


def test_a_raised_lower_bound_is_caught(monkeypatch):
    right = props.check_bounds

    def raised(p, x, state, **kw):
        r = right(p, x, state, **kw)
        return type(r)(r.block, r.norm, r.sigma_min, r.upper, r.global_upper,
                       r.sigma_min + 0.1, r.gap, r.saturation, r.epsilon, r.in_domain, r.ok)
    monkeypatch.setattr(props, "check_bounds", raised)
    with pytest.raises(AssertionError, match="sigma_min >= lower fails"):
        nt.bounds_hold(_case(bias_shift=6.0))           # f near 1: the lower bound is > 0


def test_a_wrong_closed_form_is_caught(monkeypatch):
    right = derivations.proof.closed_form_matrix
    monkeypatch.setattr(derivations.proof, "closed_form_matrix",
                        lambda terms, inst, *rows: right(terms[:-1], inst, *rows))   # drop one path
    with pytest.raises(AssertionError, match="differs from SymPy's brute-force Jacobian at"):
        nt.closed_form_is_exact(my_mgu("wrong_closed_form"), sizes=(2,))


def test_a_wrong_carrying_declaration_is_caught():
    # the cell carries as f -> 0; declaring f -> 1 cannot make J -> I
    wrong = my_mgu("wrong_carrying", towards=1)
    with pytest.raises(AssertionError, match="wrong_carrying.*carrying f -> 1"):
        nt.carrying_limit_holds(_case(wrong), 8.0)


def test_a_too_small_saturation_constant_is_caught(monkeypatch):
    monkeypatch.setattr(props, "weight_norms",
                        lambda p: {k: 0 * v for k, v in numeric.bounds.weight_norms(p).items()})
    with pytest.raises(AssertionError, match=r"\|\|J - I\|\| = .* exceeds K eps"):
        nt.carrying_limit_holds(_case(), 4.0)


def test_carrying_limit_tends_to_the_identity():
    # independent of the bound: the carry block's distance to I shrinks as the push grows
    case = _case(batch=2)
    gaps = []
    for push in (2.0, 8.0, 16.0):
        p, (x, h) = case.params(), case.arrays()
        p = p.with_arrays(b_f=p.arrays["b_f"] - push)    # f -> 0 carries
        J = numeric.step_jacobian(p, x, h)
        gaps.append(np.linalg.norm(J - np.eye(4), 2, axis=(1, 2)).max())
        nt.carrying_limit_holds(case, push)
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-4


def test_states_are_drawn_in_their_regimes():
    lstm = dv.cell("lstm")
    _, (h, c) = _case(lstm, hidden=50, batch=4, state_regime="edge").arrays()
    assert (np.abs(h) >= 0.9).all() and (np.abs(h) <= 1).all()
    assert (np.abs(c) >= 2.7).all()                     # c: no invariant, drawn wider
    _, h = _case(state_regime="small").arrays()
    assert (np.abs(h) <= 0.1).all()


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(nt.cell_cases([MY_MGU, dv.cell("lstm")], max_hidden=6))
def test_drawn_cases_cover_the_cells_and_their_sizes(case):
    assert case.cell in (MY_MGU, dv.cell("lstm"))
    assert 1 <= case.hidden <= 6 and case.state_regime in nt.STATE_REGIMES
    assert -12 <= case.bias_shift <= 12 and 0.05 <= case.scale <= 6.0


def test_bad_arguments_are_one_numeric_error():
    with pytest.raises(numeric.NumericError, match="cell must be a derivations.Cell.*int"):
        property_tests(42)
    with pytest.raises(numeric.NumericError, match="unknown properties.*'speed'"):
        property_tests(MY_MGU, properties=("step", "speed"))
    with pytest.raises(numeric.NumericError, match="property 'carrying'.*elman"):
        property_tests("elman", properties=("carrying",))
    with pytest.raises(numeric.NumericError, match="regime 'hot'"):
        nt.weight_scales("hot")
    with pytest.raises(numeric.NumericError, match="case must be a CellCase"):
        nt.check_case("gru")


def test_missing_hypothesis_is_one_numeric_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    with pytest.raises(numeric.NumericError, match="hypothesis"):
        property_tests(MY_MGU)


def test_importing_numeric_does_not_import_hypothesis():
    import subprocess

    code = ("import sys, numeric, numeric.testing; "
            "print('hypothesis' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"

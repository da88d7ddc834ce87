r"""Property tests for any cell, built-in or your own: hypothesis strategies and properties.

The suite's own property tests, public, so that a cell written with
:class:`derivations.CellBuilder` gets the same checks in its author's test suite::

    from numeric.testing import property_tests
    test_my_cell = property_tests(my_cell)        # a pytest test (hypothesis-driven)

Each drawn :class:`CellCase` (sizes, weight scale from contracting to saturating, gate-bias
shift up to saturation, states in every regime) is checked against references that share
no code with the derived Jacobian or the engine:

- ``closed_form``: the derived closed form equals SymPy's brute-force ``Matrix.jacobian``
  exactly at n = 1, 2, 3 (:func:`derivations.proof.prove`, once per cell);
- ``sympy``: the engine's Jacobian equals the brute-force SymPy Jacobian, lambdified, at
  n <= 3;
- ``step``: the engine's Jacobian equals complex step through the forward equations
  (central differences, away from kinks, when an activation has one);
- ``bounds``: every bound of :func:`numeric.check_bounds` holds on the singular values of
  that reference Jacobian, block by block;
- ``carrying`` (cells that declare a carrying gate): as the gate saturates,
  :math:`\|J - I\|_2 \le K \varepsilon` with :math:`\varepsilon` read from the gate's values.

Each property is a function that raises ``AssertionError`` naming the cell and the case.
hypothesis is imported only when a strategy or :func:`property_tests` is used.

>>> import derivations as dv
>>> case = CellCase(dv.cell("gru", "cho"), hidden=3, inputs=2, batch=2, scale=1.0,
...                 bias_shift=0.0, seed=0)
>>> check_case(case, properties=("step", "bounds", "carrying"))   # raises if one fails
>>> case.params().hidden_size, case.arrays()[0].shape            # x: (B, I)
(3, (2, 2))
"""


from __future__ import annotations

import derivations as dv

from ._errors import NumericError
from ._properties import (
    CellCase,
    as_cell,
    bounds_hold,
    carrying_limit_holds,
    closed_form_is_exact,
    engine_matches_step,
    engine_matches_sympy,
)

__all__ = ["REGIMES", "STATE_REGIMES", "PROPERTIES", "CellCase", "cell_cases", "hidden_sizes",
           "input_sizes", "weight_scales", "bias_shifts", "seeds", "state_regimes",
           "horizons", "carrying_shifts", "closed_form_is_exact", "engine_matches_sympy",
           "engine_matches_step", "bounds_hold", "carrying_limit_holds", "check_case",
           "property_tests"]

#: recurrent-weight scales (multiplying the default init) by regime
REGIMES = {"contracting": (0.05, 0.7), "critical": (0.8, 1.25), "saturating": (1.5, 6.0)}
#: where states are drawn: near 0, across [-1, 1], near the edges +-1 (a state the
#: invariant lemma does not bound, such as LSTM's c, is drawn three times wider)
STATE_REGIMES = ("small", "uniform", "edge")
#: the properties :func:`check_case` runs, in order
PROPERTIES = ("closed_form", "sympy", "step", "bounds", "carrying")


def _hypothesis():
    try:
        import hypothesis
        from hypothesis import strategies
    except ImportError:
        raise NumericError("numeric.testing's strategies and property_tests need the "
                           "hypothesis package (pip install hypothesis)") from None
    return hypothesis, strategies


# -- strategies ------------------------------------------------------------------------
def hidden_sizes(lo: int = 1, hi: int = 64):
    return _hypothesis()[1].integers(lo, hi)


def input_sizes(lo: int = 1, hi: int = 32):
    return _hypothesis()[1].integers(lo, hi)


def weight_scales(regime: str | None = None):
    """Scale factors of the recurrent weights: contracting, critical or saturating."""
    st = _hypothesis()[1]
    if regime is not None:
        if regime not in REGIMES:
            raise NumericError(f"regime {regime!r} is not one of {sorted(REGIMES)}")
        lo, hi = REGIMES[regime]
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return st.sampled_from(sorted(REGIMES)).flatmap(weight_scales)


def bias_shifts():
    """A shift added to the biases: zero, moderate, or pushed to saturation (|b| <= 12)."""
    st = _hypothesis()[1]
    return st.one_of(st.just(0.0), st.floats(-3.0, 3.0), st.floats(-12.0, 12.0))


def seeds():
    return _hypothesis()[1].integers(0, 2**32 - 1)


def state_regimes():
    return _hypothesis()[1].sampled_from(STATE_REGIMES)


def horizons(lo: int = 1, hi: int = 12):
    """Numbers of recurrent steps for multi-step properties."""
    return _hypothesis()[1].integers(lo, hi)


def carrying_shifts(lo: float = 2.0, hi: float = 12.0):
    """How far a carrying gate's bias is pushed towards carrying."""
    return _hypothesis()[1].floats(lo, hi, allow_nan=False, allow_infinity=False)


def _other_dims(cell) -> tuple:
    return tuple(d for d in cell.dimensions
                 if d not in (cell.hidden_dim, *(cell.dims[s] for s in cell.inputs)))


def cell_cases(cells=None, *, max_hidden: int = 64, max_input: int = 32, max_batch: int = 4,
               regime: str | None = None, shift=None):
    """:class:`CellCase` strategy over ``cells`` (a Cell, a list of them, default every
    built-in cell and convention); ``regime`` fixes the weight scale's regime, ``shift`` is
    a strategy for the bias shift (default :func:`bias_shifts`)."""
    _, st = _hypothesis()
    if cells is None:
        pool = dv.all_cells()
    elif isinstance(cells, (list, tuple)):
        pool = [as_cell(c, "cells") for c in cells]
    else:
        pool = [as_cell(cells, "cells")]
    if not pool:
        raise NumericError("cells is empty: cell_cases needs at least one cell")
    scales = weight_scales(regime)

    @st.composite
    def cases(draw):
        cell = draw(st.sampled_from(pool))
        sizes = {d: draw(st.integers(1, 4)) for d in _other_dims(cell)}
        H, I_ = draw(hidden_sizes(1, max_hidden)), draw(input_sizes(1, max_input))
        return CellCase(cell, H, H if cell.input_in_state_dim else I_,
                        draw(st.integers(1, max_batch)), draw(scales),
                        draw(shift if shift is not None else bias_shifts()), draw(seeds()),
                        draw(state_regimes()), sizes)
    return cases()


def _chosen(cell, properties) -> tuple:
    if properties is None:
        return tuple(k for k in PROPERTIES if k != "carrying" or cell.carrying is not None)
    if isinstance(properties, str) or not all(isinstance(k, str) for k in properties):
        raise NumericError(f"properties must be a list of names from {list(PROPERTIES)}, "
                           f"got {properties!r}")
    bad = [k for k in properties if k not in PROPERTIES]
    if bad:
        raise NumericError(f"unknown properties {bad}; choose from {list(PROPERTIES)}")
    if "carrying" in properties and cell.carrying is None:
        raise NumericError(f"property 'carrying': cell {cell.title!r} declares no carrying "
                           "gate (CellBuilder.carrying)")
    return tuple(properties)


def check_case(case: CellCase, properties=None, push: float = 8.0) -> None:
    """Run ``properties`` (default all that apply, :data:`PROPERTIES`) on ``case``."""
    if not isinstance(case, CellCase):
        raise NumericError(f"case must be a CellCase, got {type(case).__name__}")
    props = _chosen(case.cell, properties)
    runs = {"closed_form": lambda: closed_form_is_exact(case.cell),
            "sympy": lambda: engine_matches_sympy(case),
            "step": lambda: engine_matches_step(case),
            "bounds": lambda: bounds_hold(case),
            "carrying": lambda: carrying_limit_holds(case, push)}
    for k in props:
        runs[k]()


def property_tests(cell, *, properties=None, max_hidden: int = 16, max_input: int = 8,
                   max_batch: int = 3):
    """A hypothesis-driven test function (collected by pytest when assigned to a
    ``test_*`` name) checking ``properties`` of ``cell`` on drawn cases.

    The examples follow the active hypothesis profile (``settings``); wrap the result
    with ``hypothesis.settings(max_examples=...)`` to change them.

    Raises
    ------
    NumericError
        At once, for a ``cell`` that is not a Cell, an unknown property, ``'carrying'`` on
        a cell without a carrying gate, or when hypothesis is not installed.
    """
    cell = as_cell(cell)
    props = _chosen(cell, properties)
    hypothesis, st = _hypothesis()

    @hypothesis.given(case=cell_cases(cell, max_hidden=max_hidden, max_input=max_input,
                                      max_batch=max_batch), push=carrying_shifts(2.0, 12.0))
    def test(case, push):
        check_case(case, props, push)

    test.__name__ = test.__qualname__ = f"test_{cell.name}_properties"
    test.__doc__ = f"Properties {', '.join(props)} of cell {cell.title!r}."
    return test

"""Typed hypothesis strategies shared by the test suite: those of :mod:`numeric.testing`
(one implementation, public for users' cells), plus the built-in cells' names and keys.

Floats are always bounded; arrays are drawn as a seed plus a distribution spec and
materialised with NumPy, which keeps shrinking fast and examples reproducible.
"""

from __future__ import annotations

from hypothesis import strategies as st

import derivations as dv
from numeric.testing import (
    REGIMES,
    CellCase,
    bias_shifts,
    carrying_shifts,
    hidden_sizes,
    horizons,
    input_sizes,
    seeds,
    weight_scales,
)
from numeric.testing import cell_cases as _cell_cases
from tests._suite_cells import KEYS, suite_cells

__all__ = ["CellCase", "cell_names", "cell_keys", "hidden_sizes", "input_sizes",
           "weight_scales", "bias_shifts", "seeds", "cell_cases", "REGIMES", "keyed_cases",
           "horizons", "carrying_shifts"]


def cell_names() -> st.SearchStrategy[str]:
    """A built-in cell's name (of the suites' cells, :mod:`tests._suite_cells`)."""
    return st.sampled_from(sorted({n for n, _ in KEYS}))


def cell_keys() -> st.SearchStrategy[tuple[str, str | None]]:
    """``(name, convention)`` of the suites' cells (every built-in under ``ci``)."""
    return st.sampled_from(KEYS)


def cell_cases(*, max_hidden: int = 64, max_input: int = 32, max_batch: int = 4,
               names=None) -> st.SearchStrategy[CellCase]:
    """A :class:`CellCase` of the suites' cells (of ``names`` if given: any built-in)."""
    cells = suite_cells() if names is None else [c for c in dv.all_cells() if c.name in names]
    return _cell_cases(cells, max_hidden=max_hidden, max_input=max_input,
                       max_batch=max_batch)


def keyed_cases(name: str, convention: str | None, *, max_hidden: int = 64,
                max_input: int = 32, max_batch: int = 4, regime: str | None = None,
                shift=None) -> st.SearchStrategy[CellCase]:
    """A :class:`CellCase` of one given cell and convention (for per-cell parametrized tests)."""
    return _cell_cases(dv.cell(name, convention), max_hidden=max_hidden, max_input=max_input,
                       max_batch=max_batch, regime=regime, shift=shift)

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

__all__ = ["CellCase", "cell_names", "cell_keys", "hidden_sizes", "input_sizes",
           "weight_scales", "bias_shifts", "seeds", "cell_cases", "REGIMES", "keyed_cases",
           "horizons", "carrying_shifts"]


def cell_names() -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(dv.CELLS))


def cell_keys() -> st.SearchStrategy[tuple[str, str | None]]:
    """``(name, convention)`` for every built-in cell and convention."""
    keys = [(n, c) for n, convs in dv.CELLS.items() for c in convs]
    return st.sampled_from(keys)


def cell_cases(*, max_hidden: int = 64, max_input: int = 32, max_batch: int = 4,
               names=None) -> st.SearchStrategy[CellCase]:
    """A :class:`CellCase` of any built-in cell and convention (of ``names`` if given)."""
    cells = [c for c in dv.all_cells() if names is None or c.name in names]
    return _cell_cases(cells, max_hidden=max_hidden, max_input=max_input,
                       max_batch=max_batch)


def keyed_cases(name: str, convention: str | None, *, max_hidden: int = 64,
                max_input: int = 32, max_batch: int = 4, regime: str | None = None,
                shift=None) -> st.SearchStrategy[CellCase]:
    """A :class:`CellCase` of one given cell and convention (for per-cell parametrized tests)."""
    return _cell_cases(dv.cell(name, convention), max_hidden=max_hidden, max_input=max_input,
                       max_batch=max_batch, regime=regime, shift=shift)

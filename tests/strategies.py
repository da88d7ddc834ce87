"""Typed hypothesis strategies shared by the test suite.

Floats are always bounded; arrays are drawn as a seed plus a distribution spec and
materialised with NumPy, which keeps shrinking fast and examples reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

import derivations as dv

__all__ = ["CellCase", "cell_names", "cell_keys", "hidden_sizes", "input_sizes",
           "weight_scales", "bias_shifts", "seeds", "cell_cases", "REGIMES"]

#: recurrent-weight scales (multiplying the default init) by regime
REGIMES = {"contracting": (0.05, 0.7), "critical": (0.8, 1.25), "saturating": (1.5, 6.0)}


def cell_names() -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(dv.CELLS))


def cell_keys() -> st.SearchStrategy[tuple[str, str | None]]:
    """``(name, convention)`` for every built-in cell and convention."""
    keys = [(n, c) for n, convs in dv.CELLS.items() for c in convs]
    return st.sampled_from(keys)


def hidden_sizes(lo: int = 1, hi: int = 64) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


def input_sizes(lo: int = 1, hi: int = 32) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


def weight_scales(regime: str | None = None) -> st.SearchStrategy[float]:
    """Scale factors spanning contracting, critical and saturating regimes."""
    if regime is not None:
        lo, hi = REGIMES[regime]
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return st.sampled_from(sorted(REGIMES)).flatmap(weight_scales)


def bias_shifts() -> st.SearchStrategy[float]:
    """A shift added to gate biases: zero, moderate, or pushed to saturation (|b| <= 12)."""
    return st.one_of(st.just(0.0), st.floats(-3.0, 3.0), st.floats(-12.0, 12.0))


def seeds() -> st.SearchStrategy[int]:
    return st.integers(0, 2**32 - 1)


@dataclass(frozen=True)
class CellCase:
    """One drawn configuration; arrays come from ``rng()``."""

    name: str
    convention: str | None
    hidden: int
    inputs: int
    batch: int
    scale: float
    bias_shift: float
    seed: int

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)


@st.composite
def cell_cases(draw, *, max_hidden: int = 64, max_input: int = 32, max_batch: int = 4,
               names=None) -> CellCase:
    keys = [(n, c) for n, convs in dv.CELLS.items() for c in convs
            if names is None or n in names]
    name, conv = draw(st.sampled_from(keys))
    return CellCase(name, conv, draw(hidden_sizes(1, max_hidden)),
                    draw(input_sizes(1, max_input)), draw(st.integers(1, max_batch)),
                    draw(weight_scales()), draw(bias_shifts()), draw(seeds()))


# -- bound strategies (appended by the bounds helper) -------------------------------------
@st.composite
def keyed_cases(draw, name: str, convention: str | None, *, max_hidden: int = 64,
                max_input: int = 32, max_batch: int = 4, regime: str | None = None,
                shift=None) -> CellCase:
    """A :class:`CellCase` of one given cell and convention (for per-cell parametrized tests)."""
    return CellCase(name, convention, draw(hidden_sizes(1, max_hidden)),
                    draw(input_sizes(1, max_input)), draw(st.integers(1, max_batch)),
                    draw(weight_scales(regime)), draw(shift if shift is not None else bias_shifts()),
                    draw(seeds()))


def horizons(lo: int = 1, hi: int = 12) -> st.SearchStrategy[int]:
    """Numbers of recurrent steps for multi-step bounds."""
    return st.integers(lo, hi)


def carrying_shifts(lo: float = 2.0, hi: float = 12.0) -> st.SearchStrategy[float]:
    """How far a carrying gate's bias is pushed towards carrying."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


__all__ += ["keyed_cases", "horizons", "carrying_shifts"]

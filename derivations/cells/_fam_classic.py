"""The family "The classic cells": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

from .elman import ELMAN_NONLINEARITIES, elman
from .gru import GRU_CONVENTIONS, gru
from .lstm import lstm

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("classic", "The classic cells")

CELLS = {
    "elman": (elman, tuple(ELMAN_NONLINEARITIES)),
    "gru": (gru, tuple(GRU_CONVENTIONS)),
    "lstm": (lstm, (None,)),
}

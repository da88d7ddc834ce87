"""The family "Residual, antisymmetric and oscillator cells": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

from .indrnn import indrnn

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("residual", "Residual, antisymmetric and oscillator cells")

CELLS = {
    "indrnn": (indrnn, (None,)),
}

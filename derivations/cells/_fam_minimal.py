"""The family "Single-gate and minimal units": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

from .mgu import mgu
from .minimalrnn import minimalrnn

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("minimal", "Single-gate and minimal units")

CELLS = {
    "minimalrnn": (minimalrnn, (None,)),
    "mgu": (mgu, (None,)),
}

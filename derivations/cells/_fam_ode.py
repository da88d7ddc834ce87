"""The family "Residual, antisymmetric and oscillator cells": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

from .antisymmetric_rnn import antisymmetric_rnn
from .cornn import cornn
from .fastgrnn import fastgrnn
from .fastrnn import fastrnn
from .gated_antisymmetric_rnn import gated_antisymmetric_rnn
from .indrnn import indrnn
from .lem import lem
from .unicornn import unicornn

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("residual", "Residual, antisymmetric and oscillator cells")

CELLS = {
    "indrnn": (indrnn, (None, "tanh")),
    "fastrnn": (fastrnn, (None,)),
    "fastgrnn": (fastgrnn, (None, "sigmoid")),
    "cornn": (cornn, (None,)),
    "unicornn": (unicornn, (None,)),
    "lem": (lem, (None,)),
    "antisymmetric_rnn": (antisymmetric_rnn, (None,)),
    "gated_antisymmetric_rnn": (gated_antisymmetric_rnn, (None,)),
}

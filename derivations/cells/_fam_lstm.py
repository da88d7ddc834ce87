"""The family "LSTM variants": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

from .cifg_lstm import cifg_lstm
from .peephole_lstm import peephole_lstm

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("lstm_variants", "LSTM variants")

CELLS = {
    "peephole_lstm": (peephole_lstm, (None,)),
    "cifg_lstm": (cifg_lstm, (None,)),
}

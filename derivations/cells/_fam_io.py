"""The family "Cells with a separate output or a delayed input": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

from .intersection_rnn import intersection_rnn
from .mclstm import mclstm
from .taugru import TAUGRU_DELAYS, taugru
from .tgru import tgru
from .tlstm import tlstm

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("output_delay", "Cells with a separate output or a delayed input")

CELLS = {
    "tgru": (tgru, (None,)),
    "tlstm": (tlstm, (None,)),
    "taugru": (taugru, tuple(TAUGRU_DELAYS)),
    "intersection_rnn": (intersection_rnn, (None,)),
    "mclstm": (mclstm, (None,)),
}

"""The family "LSTM variants": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

from .cifg_lstm import cifg_lstm
from .janet import janet
from .lstmp import lstmp
from .multiplicative_lstm import multiplicative_lstm
from .original_lstm import original_lstm
from .peephole_lstm import peephole_lstm
from .ran import ran
from .reslstm import reslstm
from .scrn import scrn
from .wmclstm import wmclstm

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("lstm_variants", "LSTM variants")

CELLS = {
    "peephole_lstm": (peephole_lstm, (None,)),
    "cifg_lstm": (cifg_lstm, (None,)),
    "original_lstm": (original_lstm, (None,)),
    "multiplicative_lstm": (multiplicative_lstm, (None,)),
    "reslstm": (reslstm, (None,)),
    "wmclstm": (wmclstm, (None,)),
    "ran": (ran, (None,)),
    "scrn": (scrn, (None,)),
    "janet": (janet, (None,)),
    "lstmp": (lstmp, (None,)),
}

"""The family "Gated linear recurrences and the sLSTM (2023-2024)": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

from .mingru import MINGRU_CONVENTIONS, mingru
from .minlstm import minlstm
from .rglru import rglru
from .slstm import SLSTM_FORGET, slstm, slstm_stabilized

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("recent", "Gated linear recurrences and the sLSTM (2023-2024)")

CELLS = {
    "mingru": (mingru, tuple(MINGRU_CONVENTIONS)),
    "minlstm": (minlstm, ("paper", "g")),
    "rglru": (rglru, (None,)),
    "slstm": (slstm, tuple(SLSTM_FORGET)),
    "slstm_stabilized": (slstm_stabilized, tuple(SLSTM_FORGET)),
}

"""The family "Single-gate and minimal units": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

from .atr import atr
from .lightru import lightru
from .ligru import ligru
from .mgu import mgu
from .minimalrnn import minimalrnn
from .miru1 import miru1
from .miru2 import miru2
from .sgrn import sgrn
from .star import star
from .trnn import trnn
from .ugrnn import ugrnn

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("minimal", "Single-gate and minimal units")

CELLS = {
    "minimalrnn": (minimalrnn, (None,)),
    "mgu": (mgu, (None,)),
    "ugrnn": (ugrnn, (None,)),
    "lightru": (lightru, (None,)),
    "ligru": (ligru, (None,)),
    "sgrn": (sgrn, (None,)),
    "star": (star, (None,)),
    "atr": (atr, (None,)),
    "trnn": (trnn, (None,)),
    "miru1": (miru1, (None,)),
    "miru2": (miru2, (None,)),
}

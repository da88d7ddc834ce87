"""The family "Bistable, evolved and searched cells": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

from .br import br
from .cfn import cfn
from .mut import mut1, mut2, mut3
from .nas import nas
from .nbr import nbr
from .sgu import dsgu, sgu

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("bistable", "Bistable, evolved and searched cells")

CELLS = {
    "br": (br, (None,)),
    "nbr": (nbr, (None,)),
    "cfn": (cfn, (None,)),
    "mut1": (mut1, (None,)),
    "mut2": (mut2, (None,)),
    "mut3": (mut3, (None,)),
    "sgu": (sgu, (None,)),
    "dsgu": (dsgu, (None,)),
    "nas": (nas, (None,)),
}

"""The built-in cells and their conventions.

>>> sorted(CELLS)
['elman', 'gru', 'lstm', 'mgu', 'minimalrnn']
>>> CELLS["gru"]
('pytorch', 'cho', 'seed')
"""

from functools import cache

from .._errors import DerivationError
from ..language import Cell
from .elman import elman
from .gru import GRU_CONVENTIONS, gru
from .lstm import lstm
from .mgu import mgu
from .minimalrnn import minimalrnn

__all__ = ["CELLS", "cell", "all_cells", "GRU_CONVENTIONS"]

_FACTORIES = {"elman": elman, "gru": gru, "lstm": lstm, "minimalrnn": minimalrnn, "mgu": mgu}

#: built-in cell name -> its conventions (the first is the default; ``(None,)`` if one)
CELLS = {
    "elman": (None,),
    "gru": tuple(GRU_CONVENTIONS),
    "lstm": (None,),
    "minimalrnn": (None,),
    "mgu": (None,),
}


@cache
def _cached(name, convention):
    return _FACTORIES[name](convention)


def cell(name, convention=None) -> Cell:
    """The built-in cell ``name`` under ``convention`` (default: the cell's first)."""
    if isinstance(name, Cell):
        if convention not in (None, name.convention):
            raise DerivationError(f"cell {name.title!r} is already built with convention "
                                  f"{name.convention!r}, not {convention!r}")
        return name
    if type(name).__name__ == "CellBuilder":
        raise DerivationError("got a CellBuilder; pass the cell it builds (cb.build())")
    if not isinstance(name, str) or name.lower() not in CELLS:
        raise DerivationError(f"unknown cell {name!r}; built-in cells: {sorted(CELLS)}")
    name = name.lower()
    valid = CELLS[name]
    if convention is None:
        convention = valid[0]
    if convention not in valid:
        shown = [c for c in valid if c is not None] or ["(none: this cell has one form)"]
        raise DerivationError(f"unknown convention {convention!r} for cell {name!r}; "
                              f"valid conventions: {shown}")
    return _cached(name, convention)


def all_cells() -> list:
    """Every built-in cell under every convention, in a fixed order."""
    return [cell(n, c) for n, convs in CELLS.items() for c in convs]

"""The built-in cells and their conventions.

>>> sorted(CELLS)  # doctest: +NORMALIZE_WHITESPACE
['cifg_lstm', 'elman', 'gru', 'indrnn', 'lstm', 'mgu', 'mingru', 'minimalrnn', 'minlstm',
 'peephole_lstm', 'rglru', 'slstm', 'slstm_stabilized']
>>> CELLS["gru"]
('pytorch', 'cho', 'seed')
"""

from functools import cache

from .._errors import DerivationError
from ..language import Cell
from .cifg_lstm import cifg_lstm
from .elman import ELMAN_NONLINEARITIES, elman
from .gru import GRU_CONVENTIONS, gru
from .indrnn import indrnn
from .lstm import lstm
from .mgu import mgu
from .mingru import MINGRU_CONVENTIONS, mingru
from .minimalrnn import minimalrnn
from .minlstm import minlstm
from .peephole_lstm import peephole_lstm
from .rglru import rglru
from .slstm import SLSTM_FORGET, slstm, slstm_stabilized

__all__ = ["CELLS", "cell", "all_cells", "GRU_CONVENTIONS"]

_FACTORIES = {"elman": elman, "gru": gru, "lstm": lstm, "minimalrnn": minimalrnn, "mgu": mgu,
              "indrnn": indrnn, "peephole_lstm": peephole_lstm, "cifg_lstm": cifg_lstm,
              "mingru": mingru, "minlstm": minlstm, "rglru": rglru, "slstm": slstm,
              "slstm_stabilized": slstm_stabilized}

#: built-in cell name -> its conventions (the first is the default; ``(None,)`` if one)
CELLS = {
    "elman": tuple(ELMAN_NONLINEARITIES),
    "gru": tuple(GRU_CONVENTIONS),
    "lstm": (None,),
    "minimalrnn": (None,),
    "mgu": (None,),
    "indrnn": (None,),
    "peephole_lstm": (None,),
    "cifg_lstm": (None,),
    "mingru": tuple(MINGRU_CONVENTIONS),
    "minlstm": ("paper", "g"),
    "rglru": (None,),
    "slstm": tuple(SLSTM_FORGET),
    "slstm_stabilized": tuple(SLSTM_FORGET),
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

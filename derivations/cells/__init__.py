"""The built-in cells and their conventions, by family.

Each family is a module ``_fam_<slug>`` with ``FAMILY = (slug, title)`` and ``CELLS = {name:
(factory, conventions)}``; the first convention is a cell's default.

>>> [slug for slug, _title, _names in FAMILIES][:2]
['classic', 'recent']
>>> CELLS["gru"]
('pytorch', 'cho', 'seed')
>>> family_of("gru")
'classic'
"""

from functools import cache

from .._errors import DerivationError
from ..language import Cell
from . import _fam_bistable, _fam_classic, _fam_io, _fam_lstm, _fam_minimal, _fam_ode, _fam_recent
from .gru import GRU_CONVENTIONS

__all__ = ["CELLS", "FAMILIES", "cell", "all_cells", "family_of", "GRU_CONVENTIONS"]

_MODULES = (_fam_classic, _fam_recent, _fam_lstm, _fam_minimal, _fam_ode, _fam_bistable, _fam_io)

_FACTORIES = {name: entry[0] for m in _MODULES for name, entry in m.CELLS.items()}

#: built-in cell name -> its conventions (the first is the default; ``(None,)`` if one)
CELLS = {name: tuple(entry[1]) for m in _MODULES for name, entry in m.CELLS.items()}

#: ``(slug, title, cell names)`` of each family, in the report's order
FAMILIES = tuple((*m.FAMILY, tuple(m.CELLS)) for m in _MODULES)


def family_of(name: str) -> str:
    """The slug of the family of built-in cell ``name``."""
    for slug, _title, names in FAMILIES:
        if name in names:
            return slug
    raise DerivationError(f"unknown cell {name!r}; built-in cells: {sorted(CELLS)}")


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
    """Every built-in cell under every convention, in a fixed order (family by family)."""
    return [cell(n, c) for n, convs in CELLS.items() for c in convs]

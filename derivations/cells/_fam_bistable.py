"""The family "Bistable, evolved and searched cells": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("bistable", "Bistable, evolved and searched cells")

CELLS: dict = {}

"""The family "Cells with a separate output or a delayed input": its cells and conventions.

Each entry is ``name: (factory, conventions)``; the first convention is the default
(``(None,)`` for a cell with one form). :mod:`derivations.cells` gathers the families.
"""

__all__ = ["FAMILY", "CELLS"]

FAMILY = ("output_delay", "Cells with a separate output or a delayed input")

CELLS: dict = {}

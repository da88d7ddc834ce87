"""Checks of the command line's options, before any work (private).

>>> count(3, "--steps", minimum=2)
3
>>> count(True, "--batch")
Traceback (most recent call last):
...
reports._errors.ReportError: --batch must be an integer >= 1, got True
>>> cell_option("GRU:cho", "--cell")
('gru', 'cho')
>>> cell_option("gru:", "--cell")
Traceback (most recent call last):
...
reports._errors.ReportError: --cell 'gru:' names no convention after ':'; valid conventions of gru: pytorch, cho, seed
"""

from __future__ import annotations

import argparse
import re

from ._errors import ReportError

__all__ = ["count", "int_type", "cell_option", "cells_option"]

_INT = re.compile(r"[+-]?[0-9]+")


def count(value, option: str, *, minimum: int = 1) -> int:
    """``value`` as an ``int >= minimum`` (bools, floats, strings refused), naming ``option``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ReportError(f"{option} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def int_type(minimum: int):
    """An argparse ``type=``: a decimal integer ``>= minimum`` (``2.5``, ``1e3``, ``-1``
    refused with one line naming the value)."""
    def parse(text: str) -> int:
        text = text.strip()
        try:
            value = int(text) if _INT.fullmatch(text) else None
        except ValueError:                           # beyond Python's 4300 digits
            value = None
        if value is None or value < minimum:
            shown = text if len(text) <= 60 else text[:57] + "..."
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {shown!r}")
        return value
    parse.__name__ = f"integer >= {minimum}"
    return parse


def cell_option(text, option: str) -> tuple[str, str | None]:
    """``name`` or ``name:convention`` of a built-in cell as ``(name, convention)``."""
    import derivations as dv

    if not isinstance(text, str):
        raise ReportError(f"{option} must be a cell name such as gru or gru:cho, got {text!r}")
    spec = text.strip()
    known = ", ".join(sorted(dv.CELLS))
    if not spec:
        raise ReportError(f"{option} is empty; built-in cells: {known}")
    if spec.count(":") > 1:
        raise ReportError(f"{option} {text!r} has more than one ':'; write cell or "
                          "cell:convention, e.g. gru:cho")
    name, colon, conv = (part.strip() for part in spec.partition(":"))
    if not name:
        raise ReportError(f"{option} {text!r} names no cell before ':'; built-in cells: {known}")
    name = name.lower()
    if name not in dv.CELLS:
        raise ReportError(f"{option}: unknown cell {name!r}; built-in cells: {known}")
    valid = [c for c in dv.CELLS[name] if c is not None]
    if colon and not conv:
        shown = ", ".join(valid) if valid else "none (this cell has one form)"
        raise ReportError(f"{option} {text!r} names no convention after ':'; valid "
                          f"conventions of {name}: {shown}")
    if conv and conv not in valid:
        shown = ", ".join(valid) if valid else "none (this cell has one form)"
        raise ReportError(f"{option}: unknown convention {conv!r} of cell {name!r}; valid "
                          f"conventions: {shown}")
    return name, (conv or None)


def cells_option(text, option: str = "--cells"):
    """A comma-separated list of cells (``None``: all); every item checked by
    :func:`cell_option`; returned unchanged."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise ReportError(f"{option} must be a comma-separated string, got {text!r}")
    items = [s for s in text.split(",") if s.strip()]
    if not items:
        import derivations as dv

        raise ReportError(f"{option} {text!r} names no cell; built-in cells: "
                          f"{', '.join(sorted(dv.CELLS))}")
    for item in items:
        cell_option(item, option)
    return text

r"""``derive``: a cell's equations in, its closed-form Jacobian (and more) out.

>>> import derivations as dv
>>> d = dv.derive("elman")
>>> print(d.latex())
\frac{\partial h_{t}}{\partial h_{t-1}} = \operatorname{diag}(1 - h_{t}^{2}) W_{hh}
>>> [t.label for t in dv.derive("gru").jacobian.terms]
['carry', 'update gate', 'candidate', 'reset gate']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .bounds import Bounds, derive_bounds
from .cells import cell as _cell
from .chain import derive_jacobian
from .jacobian import Jacobian
from .language import Cell, per_cell
from .printing import equation_latex, jacobian_latex, latex_name, printer_for

__all__ = ["Derivation", "derive"]


@dataclass(frozen=True)
class Derivation:
    """Everything derived from one :class:`~derivations.language.Cell`.

    Attributes
    ----------
    cell : Cell
    jacobian : Jacobian
        The state-to-state Jacobian as labelled, structured terms.
    """

    cell: Cell
    jacobian: Jacobian

    @property
    def equations(self) -> list:
        """The cell's equations (SymPy ``Eq``) in the paper's symbols."""
        return self.cell.equations

    @property
    def names(self) -> dict:
        """Symbol -> LaTeX name (``z`` -> ``z_{t}``, ``h`` -> ``h_{t-1}``), from the cell's
        :attr:`~derivations.language.Cell.displays`."""
        return {s: latex_name(d.name, d.time) for s, d in self.cell.displays.items()}

    def latex(self, *, labelled: bool = False) -> str:
        """The closed-form Jacobian in LaTeX (``labelled`` adds the path under each term)."""
        return jacobian_latex(self.jacobian, printer_for(self.cell), labelled=labelled)

    def equations_latex(self) -> str:
        """The cell's equations as a LaTeX ``aligned`` block."""
        return equation_latex(self.cell)

    def _repr_latex_(self):
        return "$$" + self.equations_latex() + r"\\[1ex]" + self.latex() + "$$"

    @cached_property
    def bounds(self) -> Bounds:
        """The norm bounds derived from the Jacobian's term structure (computed once)."""
        return derive_bounds(self)


@per_cell
def _derive(c: Cell) -> Derivation:
    return Derivation(c, derive_jacobian(c))


def derive(cell_or_name, convention=None) -> Derivation:
    """Derive the closed-form Jacobian of a built-in or user-defined cell (cached).

    Parameters
    ----------
    cell_or_name : str or Cell
        A built-in name (``"gru"``) or a cell from :class:`~derivations.CellBuilder`.
    convention : str, optional
        The convention preset of a built-in cell (``"pytorch"``, ``"cho"``, ``"seed"``).
    """
    return _derive(_cell(cell_or_name, convention))

"""derivations (gatebound): cells written once as equations; Jacobians derived by SymPy.

>>> import derivations as dv
>>> d = dv.derive("gru", convention="seed")
>>> d.jacobian.main.carry
1 - z
"""

from ._errors import DerivationError
from .audit import Claim, audit
from .bounds import Bound, Bounds, derive_bounds
from .cells import CELLS, GRU_CONVENTIONS, all_cells, cell
from .derivation import Derivation, derive
from .facts import Carrying, Role
from .functions import (
    exp,
    hard_sigmoid,
    log,
    maximum,
    mingru_g,
    minimum,
    relu,
    sigmoid,
    softplus,
    sqrt,
    tanh,
)
from .jacobian import Block, Branch, Jacobian, Term
from .language import Cell, CellBuilder, MatVec, Weight
from .lemmas import Lemma, lemmas
from .naming import Name
from .printing import GateLatexPrinter, latex

__all__ = [
    "DerivationError", "CELLS", "GRU_CONVENTIONS", "all_cells", "cell", "Derivation",
    "derive", "sigmoid", "tanh", "exp", "log", "softplus", "relu", "hard_sigmoid",
    "mingru_g", "sqrt", "maximum", "minimum", "Block", "Branch", "Jacobian", "Term", "Cell",
    "CellBuilder", "MatVec", "Weight", "GateLatexPrinter", "latex", "Lemma", "lemmas",
    "Bound", "Bounds", "derive_bounds", "Claim", "audit", "Role", "Carrying", "Name",
]

r"""The bound data types (private): one proven inequality as statement nodes and a proof.

A :class:`Bound` is structure, not text: its ``statement`` is a tree of SymPy relations and
:mod:`derivations.statements` nodes, its ``proof`` a :class:`~derivations.statements.Prose`
of :class:`BoundText` words and math nodes, its ``expr`` the right-hand side in
:class:`~derivations.statements.Norm` atoms. Facts that code reads are typed fields of the
subclasses (the saturating gate and its constant, the Pascanu-Mikolov-Bengio factor, the
carry, the floor of a bound), never keys of a dict. This module imports neither
:mod:`derivations.bounds` nor :mod:`derivations._bounds_extra`; both import it.

>>> import sympy as sp
>>> from derivations.statements import Norm, Prose
>>> W = sp.Symbol("W")
>>> b = VanishingBound("vanishing", BoundKind.VANISHING, ("h", "h"),
...                    sp.Lt(Norm(W), 1), Prose(()), Norm(W), gamma=sp.S.One, matrix=W)
>>> b.kind is BoundKind.VANISHING, b.gamma, b.expr
(True, 1, Norm(W, 2))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .facts import BoundKind
from .printing import GateLatexPrinter, printer_for
from .statements import Prose, Words

__all__ = ["Bound", "LowerBound", "IdentityGap", "SaturationBound", "VanishingBound",
           "NoVanishing", "BoundText", "listed", "GAMMA", "STEP", "START", "HORIZON", "AHEAD", "U", "L"]

#: :math:`\gamma = \sup |a|`, the activation's derivative bound in the vanishing condition
GAMMA = sp.Symbol("gamma", positive=True)
#: the time index of a product over steps, its first step, the horizon, the steps ahead
STEP, START, HORIZON, AHEAD = sp.symbols("t t_0 T k", integer=True)
#: the state-dependent upper (``U_t``) and Weyl lower (``L_t``) bounds at step ``t``
U, L = sp.IndexedBase("U"), sp.IndexedBase("L")


class BoundText(Words):
    """The words of the bounds' statements and proofs (the report translates by member)."""

    # statements
    EQUALITY_DIAGONAL = " (equality: the block is diagonal)"
    IF_EVERY = " if every "
    UPPER_OF_BLOCK = " the upper bound of block (a, b)"
    FOR_ALL_WEIGHTS = " for all weights"
    STACKS = " stacks "
    # proofs
    PERIOD = "."
    LIST_SEP = ", "
    UPPER_PROOF = ("The closed form is a sum of terms, each a product of diagonal matrices "
                   "diag(a) and weight matrices; the triangle inequality and the "
                   "submultiplicativity of the spectral norm, with ")
    UPPER_PROOF_END = ", bound each term."
    GLOBAL_PROOF = ("Bound each sup-norm in the state-dependent bound by its supremum from the "
                    "lemmas (gates in [0, 1], the activation lemmas, the hidden-state "
                    "invariant, and ")
    GLOBAL_PROOF_SUPS = "): "
    GLOBAL_PROOF_CLOSE = ")."
    NO_GLOBAL = ("No global bound in weight norms alone: a term goes through an activation "
                 "whose derivative is unbounded, or divides by a quantity with no positive "
                 "lower bound: ")
    WEYL_WRITE = "Write "
    WEYL_INEQUALITY = ". Weyl's inequality for singular values gives "
    WEYL_DIAGONAL = ("; the smallest singular value of a diagonal matrix is its smallest "
                     "absolute entry, and ")
    WEYL_REST = " is bounded by the state-dependent bound of the non-carry terms."
    GAP_PROOF = (" is diagonal; the spectral norm of a diagonal matrix is its largest absolute "
                 "entry.")
    SAT_SUBSTITUTE = "Substitute "
    SAT_WITH = " with "
    SAT_VANISH = (". The carry gap and one coefficient of every other term vanish at "
                  "the carrying value and are divisible by ")
    SAT_CONSTANTS = "; bounding the quotients by the lemmas gives the per-term constants "
    SAT_RATE = ". The gate is a logistic function of its pre-activation a, and "
    SAT_EXPONENTIAL = (", so the limit is reached at an exponential rate in the gate's "
                       "pre-activation")
    SAT_WEYL = ". By Weyl's inequality, "
    MULTI_PROOF = ("The chain rule makes the multi-step Jacobian the product of the one-step "
                   "Jacobians, ")
    MULTI_PROOF_RULES = ("; the submultiplicativity of the spectral norm, and the same "
                         "inequality reversed for the smallest singular value, apply factor "
                         "by factor, with ")
    MULTI_PROOF_UPPER = " the state-dependent upper bound and "
    MULTI_PROOF_LOWER = " the Weyl lower bound at step t."
    MULTI_STATE_PROOF = "For a vector x split into the state's blocks and "
    MULTI_STATE_TRIANGLE = ", the triangle inequality gives "
    MULTI_STATE_END = ("; so the norm of y is at most the spectral norm of the matrix N of "
                       "block bounds times the norm of x, and submultiplicativity over the "
                       "chain-rule product gives the bound.")
    PMB_PROOF = "Pascanu, Mikolov and Bengio (2013): each factor is "
    PMB_WITH = " with "
    PMB_END = " (the activation lemma), so "
    PMB_DECAY = " and the product of k factors decays geometrically."
    CONTRACTION_PROOF = "The global per-step bound is a contraction factor; multiply k of them."
    FLOOR_PROOF = "Setting every norm to 0 leaves "
    FLOOR_END = (": the diagonal carry path alone can have this norm, whatever the weights, "
                 "so unlike the Elman cell no bound on the weights forces vanishing.")


def listed(nodes) -> tuple:
    """``nodes`` separated by :attr:`BoundText.LIST_SEP` (prose parts)."""
    out = []
    for k, n in enumerate(nodes):
        out += [BoundText.LIST_SEP, n] if k else [n]
    return tuple(out)


@dataclass(frozen=True)
class Bound:
    """One proven inequality.

    Parameters
    ----------
    name : str
        A short English name (``"global upper bound on dh/dh"``).
    kind : BoundKind
        What the bound states.
    block : tuple
        ``(output state, wrt state)`` names of the Jacobian block.
    statement
        The statement: SymPy relations and :mod:`derivations.statements` nodes.
    proof : Prose
        The proof: :class:`BoundText` words and math nodes.
    expr : sympy.Expr or None
        The right-hand side in :class:`~derivations.statements.Norm` atoms (``None`` for a
        statement without one).
    cell : Cell or None
        The cell whose names print the statement (not part of the bound's value).
    """

    name: str
    kind: BoundKind
    block: tuple
    statement: object
    proof: Prose
    expr: sp.Expr | None = None
    cell: object = field(default=None, compare=False, repr=False)

    @property
    def statement_latex(self) -> str:
        """The statement printed in LaTeX with the cell's names (a convenience; reports
        print :attr:`statement` with both printers)."""
        printer = GateLatexPrinter() if self.cell is None else printer_for(self.cell)
        return printer.doprint(self.statement)


@dataclass(frozen=True, kw_only=True)
class LowerBound(Bound):
    r"""Weyl's :math:`\sigma_{\min}(J) \ge \min_i |\kappa_i| - \|E\|_2` for the ``carry``."""

    carry: sp.Expr = field(default=sp.S.One)


@dataclass(frozen=True, kw_only=True)
class IdentityGap(Bound):
    r""":math:`\|J - I\|_2 = \max_i |1 - \kappa_i|` for a diagonal block with ``carry``."""

    carry: sp.Expr = field(default=sp.S.One)


@dataclass(frozen=True, kw_only=True)
class SaturationBound(Bound):
    r""":math:`\|J - I\|_2 \le K \varepsilon` where ``gate`` is :math:`\varepsilon` from
    ``towards`` (``expr`` is ``K``)."""

    gate: sp.Symbol
    towards: int
    K: sp.Expr
    epsilon: sp.Symbol


@dataclass(frozen=True, kw_only=True)
class VanishingBound(Bound):
    r"""Pascanu, Mikolov & Bengio: :math:`\gamma \|W\|_2 < 1` makes gradients vanish
    (``gamma`` the activation's derivative bound, ``matrix`` the recurrent weight)."""

    gamma: sp.Expr
    matrix: sp.Symbol


@dataclass(frozen=True, kw_only=True)
class NoGlobalBound(Bound):
    r"""The global upper bound does not exist (``expr`` is :math:`\infty`): the terms go
    through ``activations`` whose derivative has no supremum (``exp``, ``log``) or divide
    by ``divisors`` (no positive lower bound). State-dependent bounds still hold.

    >>> NoGlobalBound("g", BoundKind.GLOBAL_UPPER, ("h", "h"), None, None,
    ...               activations=("exp",)).reasons
    ("exp' is unbounded",)
    """

    activations: tuple = ()
    divisors: tuple = ()

    @property
    def reasons(self) -> tuple:
        """Each reason as text: ``"exp' is unbounded"``, ``"division by n_next"``."""
        return (tuple(f"{a}' is unbounded" for a in self.activations)
                + tuple(f"division by {d}" for d in self.divisors))


@dataclass(frozen=True, kw_only=True)
class NoVanishing(Bound):
    """No weight-norm condition makes the per-step bound contract: with every norm 0 the
    global bound (``expr``) is still ``floor`` >= 1."""

    floor: sp.Expr

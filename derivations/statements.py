r"""Mathematical statements as structure: the nodes the bounds, lemmas and audit are made of.

Statements are SymPy objects where SymPy has the node (relations ``sp.Le``/``sp.Lt``/
``sp.Eq`` built with ``evaluate=False``, ``sp.Product``, ``sp.Indexed``, ``sp.Interval``,
``sp.Contains``, ``sp.Abs``) and the small node types below where it does not. The
expression-level nodes are ``sp.Function`` subclasses, so they are atoms of SymPy's
algebra (a bound's right-hand side in norms can be simplified and evaluated):

- :class:`Norm` :math:`\|x\|_2`, :math:`\|x\|_\infty`; :class:`SigmaMin`, :class:`SigmaMax`;
- :class:`Diag` :math:`\operatorname{diag}(v)`; :class:`Eye` :math:`I`;
- :class:`Partial` :math:`\partial y / \partial x`; :class:`At` a vector at another time
  (:math:`h_T`, :math:`h_{t_0}`);
- :class:`EntryMax`, :class:`EntryMin` :math:`\max_i (v)_i`; :class:`Sup` :math:`\sup |a|`.

The statement-level nodes are frozen dataclasses: :class:`Chain` (:math:`a \le b \le c`),
:class:`Implies`, :class:`Tends` (:math:`x \to 0`), :class:`Statements` (a list, printed
with ``,\quad``), :class:`Juxt` (parts side by side) and :class:`Prose` (sentences with
inline math, for proofs and explanations). Words are members of :class:`Words` enums
(English values); a printer prints them in its language from a table keyed by the member.
Printers (``derivations.printing.GateLatexPrinter``, ``reports.typst_math.TypstPrinter``)
print every node through a ``_print_<Class>`` method.

>>> import sympy as sp
>>> W, h, h_next = sp.symbols("W h h_next")
>>> J = Partial(h_next, h)
>>> stmt = sp.Le(Norm(J), Norm(W), evaluate=False)
>>> from derivations.printing import GateLatexPrinter
>>> GateLatexPrinter().doprint(stmt)
'\\left\\|\\frac{\\partial h_{next}}{\\partial h}\\right\\|_2 \\le \\|W\\|_2'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sympy as sp

from .naming import Time

__all__ = ["Norm", "SigmaMin", "SigmaMax", "Diag", "Eye", "EYE", "Partial", "At", "Stacked",
           "EntryMax", "EntryMin", "Sup", "Chain", "Implies", "Tends", "Statements", "Juxt", "Prose",
           "Words", "EPSILON", "norm_atoms", "relation", "is_scalar", "RELATIONS"]

#: the distance of a carrying gate from its carrying value (saturation bounds)
EPSILON = sp.Symbol("varepsilon", nonnegative=True)

_TIMES = tuple(Time)


class Norm(sp.Function):
    r""":math:`\|x\|_p` for ``p`` 2 (spectral, vectors: Euclidean) or ``oo`` (max-abs).

    ``Norm(x)`` is the 2-norm. Nonnegative and real, so bounds in norms simplify.
    """

    nargs = (1, 2)

    @classmethod
    def eval(cls, x, p=None):
        if p is None:
            return cls(x, sp.Integer(2))
        if p not in (sp.Integer(2), sp.oo):
            raise ValueError(f"Norm supports p = 2 or oo, got {p}")
        return None

    @property
    def arg(self):
        return self.args[0]

    @property
    def p(self):
        return self.args[1]

    def _eval_is_real(self):
        return True

    def _eval_is_nonnegative(self):
        return True


class SigmaMin(sp.Function):
    r""":math:`\sigma_{\min}(X)`, the smallest singular value."""

    nargs = 1

    def _eval_is_nonnegative(self):
        return True


class SigmaMax(sp.Function):
    r""":math:`\sigma_{\max}(X) = \|X\|_2`, the largest singular value."""

    nargs = 1

    def _eval_is_nonnegative(self):
        return True


class Diag(sp.Function):
    r""":math:`\operatorname{diag}(v)`, the diagonal matrix of the vector ``v``."""

    nargs = 1


class Transposed(sp.Function):
    r""":math:`W^T`, the transpose of weight ``W`` (in a derived weight's definition)."""

    nargs = 1


def matrix_display(expr, cell) -> sp.Expr:
    r"""A derived weight's matrix expression (:attr:`Cell.derived`) as a printable
    commutative expression in the cell's own symbols: ``W - W.T - gamma*I`` becomes
    ``W - Transposed(W) - gamma*EYE``, which every printer of the cell prints
    (:math:`W - W^T - \gamma I`)."""
    if isinstance(expr, sp.MatrixSymbol):
        return cell.symbol(expr.name)
    if isinstance(expr, sp.Transpose):
        return Transposed(matrix_display(expr.arg, cell))
    if isinstance(expr, sp.Identity):
        return EYE
    if isinstance(expr, sp.MatAdd):
        return sp.Add(*(matrix_display(a, cell) for a in expr.args))
    if isinstance(expr, sp.MatMul):
        return sp.Mul(*(matrix_display(a, cell) if isinstance(a, sp.MatrixExpr) else a
                        for a in expr.args))
    return expr


class Eye(sp.Symbol):
    """The identity matrix :math:`I` (one instance, :data:`EYE`)."""

    def __new__(cls):
        return super().__new__(cls, "I", commutative=True)

    def __getnewargs__(self):
        return ()

    def _hashable_content(self):
        return ("Eye",)


EYE = Eye()


class Partial(sp.Function):
    r""":math:`\partial y / \partial x`, the Jacobian of vector ``y`` with respect to ``x``."""

    nargs = 2

    @property
    def output(self):
        return self.args[0]

    @property
    def wrt(self):
        return self.args[1]


class At(sp.Function):
    r"""Vector ``x`` shown at another :class:`~derivations.naming.Time` (:math:`h_T`).

    The time is stored as its index in ``Time`` (SymPy arguments are SymPy objects).
    """

    nargs = 2

    def __new__(cls, x, time, **kwargs):
        if isinstance(time, Time):
            time = sp.Integer(_TIMES.index(time))
        return super().__new__(cls, x, time, **kwargs)

    @property
    def symbol(self):
        return self.args[0]

    @property
    def time(self) -> Time:
        return _TIMES[int(self.args[1])]


class Stacked(sp.Function):
    r""":math:`[a, b, \ldots]`, vectors stacked into one (the concatenation :math:`[h_{t-1},
    x_t]` that papers write for two weight blocks applied at once)."""


class EntryMax(sp.Function):
    r""":math:`\max_i (v)_i`, the largest entry of a vector expression."""

    nargs = 1


class EntryMin(sp.Function):
    r""":math:`\min_i (v)_i`, the smallest entry of a vector expression."""

    nargs = 1


class Sup(sp.Function):
    r""":math:`\sup a`, the supremum of an elementwise expression over its domain."""

    nargs = 1


_SCALAR_NODES = (Norm, SigmaMin, SigmaMax, EntryMax, EntryMin, Sup)


class Words(enum.Enum):
    """Base of the enums of fixed phrases that statements and proofs contain.

    Each module that writes statements defines its own members (English values); a report
    translates them by member, never by parsing text.
    """


#: printable relations of a :class:`Chain`
RELATIONS = ("<", "<=", "=", ">=", ">", "!=")


@dataclass(frozen=True)
class Chain:
    r"""A chain of relations :math:`a \le b \le c`: ``first`` then ``(op, expr)`` links,
    ``op`` one of ``<``, ``<=``, ``=``, ``>=``, ``>``, ``!=``."""

    first: object
    links: tuple

    def __post_init__(self):
        for link in self.links:
            if len(link) != 2 or link[0] not in RELATIONS:
                raise ValueError(f"a Chain link is (op, expr) with op in {RELATIONS}, got {link!r}")


@dataclass(frozen=True)
class Implies:
    r""":math:`A \implies B`."""

    premise: object
    conclusion: object


@dataclass(frozen=True)
class Tends:
    r""":math:`x \to a` (``x`` tends to ``a``)."""

    expr: object
    limit: object


@dataclass(frozen=True)
class Statements:
    r"""Several statements of one display, printed with ``,\quad`` between them."""

    items: tuple


@dataclass(frozen=True)
class Juxt:
    r"""Parts printed side by side with a space (``x \le 1`` ``for all t``)."""

    parts: tuple


@dataclass(frozen=True)
class Prose:
    """Sentences with inline math: a sequence of :class:`Words` members (text) and math
    nodes (printed inline). Reports render it as a paragraph in the chosen language."""

    parts: tuple


def is_scalar(expr) -> bool:
    """True if ``expr`` is a scalar (numbers, norms, singular values, entry extremes, suprema,
    :data:`EPSILON`, indexed scalars such as :math:`U_t`), not a vector of the cell."""
    if expr.is_number or expr == EPSILON or isinstance(expr, (sp.Indexed,) + _SCALAR_NODES):
        return True
    if isinstance(expr, sp.Symbol):  # a cell's scalar (cb.scalar) is a real symbol; its
        return expr.is_real is True  # vectors carry no assumptions
    if isinstance(expr, (Eye, Transposed)):  # a matrix times a scalar: by juxtaposition
        return True
    if isinstance(expr, (sp.Add, sp.Mul, sp.Pow)) or (
            isinstance(expr, sp.Function) and expr.args):  # sigma(alpha) of a scalar alpha
        return all(is_scalar(a) for a in expr.args)
    return False


def relation(op: str, lhs, rhs):
    """The SymPy relation ``lhs op rhs`` without evaluation (``<=`` is ``sp.Le``)."""
    make = {"<": sp.Lt, "<=": sp.Le, "=": sp.Eq, ">=": sp.Ge, ">": sp.Gt, "!=": sp.Ne}[op]
    return make(lhs, rhs, evaluate=False)


def norm_atoms(expr) -> set:
    """The :class:`Norm` applications in ``expr``."""
    return set(sp.sympify(expr).atoms(Norm))

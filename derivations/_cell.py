r"""The objects a cell is made of: :class:`MatVec`, :class:`Quantity`, :class:`Cell` (private).

They live here so that :mod:`derivations.language` stays the builder; import them from
there (or from :mod:`derivations`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sympy as sp

from ._errors import DerivationError
from .facts import Carrying, Role

__all__ = ["MatVec", "Weight", "Quantity", "Cell", "per_cell"]


class MatVec(sp.Function):
    r"""The linear map :math:`W v`: matrix symbol ``W`` applied to vector expression ``v``.

    It is an opaque atom of the elementwise algebra; the chain rule turns it into the
    matrix factor ``W`` of a Jacobian term.
    """

    nargs = 2

    @property
    def matrix(self) -> sp.Symbol:
        return self.args[0]

    @property
    def operand(self) -> sp.Expr:
        return self.args[1]


@dataclass(frozen=True)
class Quantity:
    """One equation ``symbol = expr`` of a cell, in definition order.

    ``role`` is a :class:`~derivations.facts.Role` member, or a user's own role (a string).
    """

    symbol: sp.Symbol
    expr: sp.Expr
    role: Role | str
    is_update: bool = False
    state: sp.Symbol | None = None  # for updates: the previous-state symbol
    #: the cell's output (``cb.output``): computed each step, read by the next layer, but
    #: not part of the state, so no state Jacobian path goes through it
    is_output: bool = False


@dataclass(frozen=True, eq=False)
class Cell:
    r"""An immutable recurrent cell: its vectors, weights and equations.

    Build one with :class:`CellBuilder`, or get a built-in with
    :func:`derivations.cell`. Attributes mirror the math: ``inputs`` (``x``), ``states``
    (``h``, and ``c`` for LSTM), ``quantities`` (the equations in order, gates and
    next states), ``weights`` and ``biases``.
    """

    name: str
    convention: str | None
    reference: str
    description: str
    inputs: tuple
    states: tuple
    next_states: dict  # previous-state symbol -> next-state symbol
    weights: tuple  # matrix symbols, declaration order
    biases: tuple
    quantities: tuple  # of Quantity
    dims: dict  # vector symbol -> dimension name
    weight_shapes: dict  # matrix symbol -> (rows, cols) dimension names
    displays: dict  # symbol -> naming.Display (its name and the time it is shown at)
    layout: dict | None = None  # packed name -> tuple of symbol names (PyTorch layout)
    attributes: dict = field(default_factory=dict)  # convention facts, e.g. update direction
    #: the gate that carries the state and the value it carries at (``None``: no gate)
    carrying: Carrying | None = None
    #: elementwise (diagonal) parameters declared with ``cb.vector`` (also in ``biases``,
    #: the cell's vector parameters), and the init range ``(low, high)`` a cell gives some
    vectors: tuple = ()
    vector_init: dict = field(default_factory=dict)
    #: scalar hyper-parameters: real symbol -> default value (a float)
    scalars: dict = field(default_factory=dict)
    #: derived weights (``cb.derived_weight``): weight symbol -> its SymPy matrix expression
    #: in the parameter weights (``MatrixSymbol`` of the same name), scalars and the identity
    derived: dict = field(default_factory=dict)
    #: the hidden dimension name (the builder's ``hidden``; ``None``: the first state's)
    hidden: str | None = None
    #: results computed once per cell (derivation, compiled program); they live and die
    #: with the cell, so user cells are not kept alive by a module-level cache
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    # -- views -------------------------------------------------------------------------
    @property
    def key(self) -> tuple:
        """``(name, convention)``: the cache key of this cell."""
        return (self.name, self.convention)

    @property
    def title(self) -> str:
        return self.name if self.convention is None else f"{self.name} ({self.convention})"

    @property
    def equations(self) -> list:
        """The cell's equations as SymPy ``Eq(symbol, expr)``, in definition order."""
        return [sp.Eq(q.symbol, q.expr, evaluate=False) for q in self.quantities]

    @property
    def definitions(self) -> dict:
        """Map each defined symbol (gates, candidates, next states) to its expression."""
        return {q.symbol: q.expr for q in self.quantities}

    @property
    def outputs(self) -> tuple:
        """The symbols of the cell's declared outputs (``cb.output``), in order; ``()`` when
        its output is its (first) state, as for the GRU and the LSTM's ``h``."""
        return tuple(q.symbol for q in self.quantities if q.is_output)

    @property
    def roles(self) -> dict:
        return {q.symbol: q.role for q in self.quantities}

    def symbol(self, name: str) -> sp.Symbol:
        """Look a symbol of this cell up by its code name."""
        for s in (*self.inputs, *self.states, *self.weights, *self.biases, *self.scalars,
                  *(q.symbol for q in self.quantities)):
            if s.name == name:
                return s
        raise DerivationError(f"cell {self.title!r} has no symbol {name!r}")

    @property
    def parameter_weights(self) -> tuple:
        """The weights a parameter set holds (every weight but the derived ones, which are
        computed from them: AntisymmetricRNN's :math:`A = W - W^T - \\gamma I`)."""
        return tuple(w for w in self.weights if w not in self.derived)

    def weight_shape(self, name: str) -> tuple:
        return self.weight_shapes[self.symbol(name)]

    @property
    def hidden_dim(self) -> str:
        """The hidden dimension name (``"H"`` unless the cell says otherwise): the gates',
        the biases' and, unless declared otherwise (``cb.state(dim=...)``), the states'."""
        return self.hidden if self.hidden is not None else self.dims[self.states[0]]

    @property
    def state_dims(self) -> tuple:
        """The dimension name of each state, in the order of :attr:`states` (the LSTMP's
        ``("P", "H")``); the full state has the sum of their sizes."""
        return tuple(self.dims[s] for s in self.states)

    @property
    def input_in_state_dim(self) -> bool:
        """True if the input has the states' dimension (the RG-LRU's ``i * x``): its input
        size is then its hidden size."""
        return self.dims[self.inputs[0]] == self.hidden_dim

    @property
    def dimensions(self) -> tuple:
        """Every dimension name of the cell: the states', the inputs', then the others
        (e.g. a weight's ``rows="K"``), in order of declaration."""
        found = [self.hidden_dim, *self.state_dims, *(self.dims[s] for s in self.inputs)]
        found += [d for d in self.dims.values() if d is not None]
        found += [d for shape in self.weight_shapes.values() for d in shape]
        return tuple(dict.fromkeys(found))

    def dim_of(self, expr):
        """The dimension name of an elementwise expression of this cell (``None`` for a
        constant, which broadcasts)."""
        expr = sp.sympify(expr)
        if expr in self.dims:
            return self.dims[expr]
        if isinstance(expr, MatVec):
            return self.weight_shapes[expr.matrix][0]
        for a in expr.args:
            d = self.dim_of(a)
            if d is not None:
                return d
        return None

    @property
    def kinks(self) -> tuple:
        """The a.e. conventions of the kinked operations the cell uses (relu, max, ...);
        ``()`` for an analytic cell."""
        from .functions import kinks
        return kinks(q.expr for q in self.quantities)

    def __repr__(self):
        return f"Cell({self.title!r}, states={[s.name for s in self.states]})"

    # Cells compare and hash by identity: a cell is one definition, built once.


def per_cell(fn):
    """Cache ``fn(cell)`` on the cell itself (in :attr:`Cell.memo`), keyed by ``fn``'s name.

    >>> calls = []
    >>> @per_cell
    ... def size(cell):
    ...     calls.append(1)
    ...     return len(cell.quantities)
    >>> import derivations as dv
    >>> c = dv.CellBuilder("tiny"); h = c.state(); x = c.input(dim="H"); _ = c.update(h, x + h)
    >>> cell = c.build()
    >>> size(cell), size(cell), len(calls)
    (1, 1, 1)
    """
    key = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def cached(cell):
        memo = cell.memo
        if key not in memo:  # two threads may both compute it; the result is the same
            memo[key] = fn(cell)
        return memo[key]

    return cached


class Weight:
    """A weight matrix of a cell; ``W @ v`` builds :class:`MatVec`.

    In the definition of a derived weight (``cb.derived_weight``) it is a matrix:
    ``W.T``, ``W - W.T``, ``W + cb.identity(gamma)`` build SymPy matrix expressions.
    """

    __slots__ = ("symbol", "rows")

    def __init__(self, symbol: sp.Symbol, rows: str | None = None):
        self.symbol, self.rows = symbol, rows

    @property
    def matrix(self) -> sp.MatrixSymbol:
        """The square matrix symbol of this weight (for derived-weight definitions)."""
        n = sp.Symbol(self.rows or "H")
        return sp.MatrixSymbol(self.symbol.name, n, n)

    @property
    def T(self):
        return self.matrix.T

    def _other(self, other):
        if isinstance(other, Weight):
            return other.matrix
        if not isinstance(other, sp.MatrixExpr):
            self._misuse()
        return other

    def __add__(self, other):
        return self.matrix + self._other(other)

    def __radd__(self, other):
        return self._other(other) + self.matrix

    def __sub__(self, other):
        return self.matrix - self._other(other)

    def __rsub__(self, other):
        return self._other(other) - self.matrix

    def __matmul__(self, other):
        name = self.symbol.name
        if isinstance(other, Weight):
            raise DerivationError(f"{name} @ {other.symbol.name}: a weight applies to a vector; "
                                  f"apply weights in turn, {name} @ ({other.symbol.name} @ v)")
        if not isinstance(other, sp.Expr) or not other.free_symbols:
            raise DerivationError(f"{name} @ {other!r}: a weight applies to a vector expression "
                                  f"of the cell's symbols, not to {type(other).__name__}")
        return MatVec(self.symbol, other)

    def _misuse(self, *_):
        raise DerivationError(f"weight {self.symbol.name!r} must be applied to a vector with @ "
                              f"({self.symbol.name} @ v); it is not an elementwise value")

    _sympy_ = __mul__ = __rmul__ = _misuse
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = __rmatmul__ = _misuse

    def __repr__(self):
        return f"Weight({self.symbol.name})"

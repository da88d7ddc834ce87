r"""The cell language: a recurrent cell written once, as its equations.

A cell is a list of elementwise equations over vectors. Vectors are SymPy symbols
(``x``, ``h``, ``z``, ...) standing for whole vectors; ``+``, ``*`` and ``**`` act
elementwise (``*`` is the Hadamard product :math:`\odot`); a weight matrix acts by
``W @ v``, which builds the opaque linear map ``MatVec(W, v)``; the activations are
:func:`~derivations.functions.sigmoid` and :func:`~derivations.functions.tanh`.

Everything else (the Jacobian, its LaTeX, its bounds, its numeric evaluation) is
derived from the :class:`Cell` that :meth:`CellBuilder.build` returns.

Example: the minimal gated unit (Zhou et al. 2016), in six lines,

.. math::

    f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}), \quad
    n_t = \tanh(W_{in} x_t + b_{in} + W_{hn} (f_t \odot h_{t-1}) + b_{hn}), \quad
    h_t = (1 - f_t) \odot h_{t-1} + f_t \odot n_t.

>>> from derivations import CellBuilder, sigmoid, tanh
>>> cb = CellBuilder("my_mgu", reference="Zhou et al. 2016")
>>> x, h = cb.input("x"), cb.state("h")
>>> W_if, W_hf, W_in, W_hn = cb.weights("W_if W_hf W_in W_hn")
>>> b_if, b_hf, b_in, b_hn = cb.biases("b_if b_hf b_in b_hn")
>>> f = cb.let("f", sigmoid(W_if @ x + b_if + W_hf @ h + b_hf), role="forget gate")
>>> n = cb.let("n", tanh(W_in @ x + b_in + W_hn @ (f * h) + b_hn), role="candidate")
>>> h_next = cb.update(h, (1 - f) * h + f * n)
>>> _ = cb.carrying(f, 0)            # f -> 0 keeps the old state
>>> cell = cb.build()
>>> [str(eq.lhs) for eq in cell.equations]
['f', 'n', 'h_next']
>>> cell.carrying.distance           # how far f is from carrying
f
>>> cell.weight_shape("W_in")   # (rows, cols) as dimension names
('H', 'I')

Dimensions are names too: the states have ``H`` unless ``dim=`` says otherwise, an input ``I`` unless ``dim=`` says
otherwise, and a weight may have rows of a dimension of its own (``rows="K"``); every
dimension works everywhere (:func:`derivations.proof.prove` sizes each one,
``numeric.init`` takes ``sizes={"K": ...}``).

Roles are :class:`~derivations.facts.Role` members (``"forget gate"`` above is
``Role.FORGET_GATE``) or a role of the cell's own, as text. Each symbol is shown as the name
its code spells at its time (``W_hz`` as :math:`W_{hz}`, ``h`` as :math:`h_{t-1}`, its next
value as :math:`h_t`); ``display=Name("C")`` shows it under another name.

Names (of the cell, its symbols and its dimensions) are checked when they are written:
Python identifiers, not keywords, not starting with ``_`` (reserved for generated code).
Any other identifier works end to end, ``out``, ``np``, ``I`` or ``beta`` included: the
generated kernels never print a user's name, and expressions are never parsed from strings.

>>> cb.let("in put", h)
Traceback (most recent call last):
...
derivations._errors.DerivationError: symbol name must be a Python identifier (letters, digits, _), got 'in put'
"""

from __future__ import annotations

import numbers

import sympy as sp

from ._cell import Cell, MatVec, Quantity, Weight, per_cell
from ._checks import (
    check_default,
    check_expr,
    check_init_range,
    check_layout,
    check_name,
    check_names,
    check_text,
    expr_dim,
    only_in_matvec,
)
from ._errors import DerivationError
from .facts import Carrying, Role, role_of
from .naming import Display, Name, Time

__all__ = ["MatVec", "Weight", "CellBuilder", "Cell", "Quantity", "per_cell"]


class CellBuilder:
    """Write a cell as its equations; :meth:`build` checks and freezes it.

    Parameters
    ----------
    name : str
        The cell's name (``"gru"``, ``"my_cell"``).
    convention : str, optional
        The convention preset this instance follows, if the cell has several.
    reference : str
        The paper or library the equations come from.
    description : str
    hidden : str
        The dimension name of the states (default ``"H"``).

    Raises
    ------
    DerivationError
        From every method, for a bad name, option or expression, naming it.
    """

    def __init__(self, name: str, convention: str | None = None, *, reference: str = "",
                 description: str = "", hidden: str = "H"):
        check_name(name, "the cell name")
        check_text(convention, "convention", optional=True, empty=False)
        check_text(reference, "reference")
        check_text(description, "description")
        check_name(hidden, "the hidden dimension name")
        self._name, self._convention = name, convention
        self._reference, self._description, self._hidden = reference, description, hidden
        self._inputs, self._states, self._weights, self._biases = [], [], [], []
        self._vectors: list = []
        self._vector_init: dict = {}
        self._scalars: dict = {}
        self._derived: dict = {}
        self._quantities: list[Quantity] = []
        self._dims: dict = {}
        self._weight_shapes: dict = {}
        self._displays: dict = {}
        self._layout = None
        self._attributes: dict = {}
        self._carrying: Carrying | None = None
        self._names: set = set()

    # -- declarations ------------------------------------------------------------------
    def _new(self, name, display, time=None, *, shown=None):
        """A new symbol ``name``, displayed as ``display`` (a :class:`Name`; default
        ``shown``, else the name its code spells) at ``time``."""
        check_name(name, "symbol name")
        if display is not None and not isinstance(display, Name):
            raise DerivationError(
                f"display of {name!r} must be a derivations.naming.Name, e.g. "
                f"display=Name('C') or Name('W', sub='hz'); got {display!r} "
                f"({type(display).__name__}): LaTeX text is not parsed")
        if name in self._names:
            raise DerivationError(f"symbol {name!r} is declared twice in cell {self._name!r}")
        self._names.add(name)
        s = sp.Symbol(name)
        self._displays[s] = Display(display or shown or Name.from_code(name), time)
        return s

    def input(self, name: str = "x", *, dim: str = "I", display: Name | None = None):
        """Declare an input vector (shown at time ``t``) of dimension ``dim``."""
        check_name(dim, f"dim of input {name!r}")
        s = self._new(name, display, Time.NOW)
        self._inputs.append(s)
        self._dims[s] = dim
        return s

    def state(self, name: str = "h", *, dim: str | None = None,
              display: Name | None = None):
        r"""Declare a state vector (shown at time ``t-1``) of dimension ``dim`` (default the
        hidden one); :meth:`update` gives its next value (shown with the same name at ``t``).

        States may have different sizes: the LSTM with a projection (``lstmp``) has
        :math:`h \in \mathbb{R}^P`, :math:`c \in \mathbb{R}^H`; the full state is their
        concatenation, of the sum of their sizes.
        """
        if dim is not None:
            check_name(dim, f"dim of state {name!r}")
        s = self._new(name, display, Time.PREV)
        self._states.append(s)
        self._dims[s] = dim or self._hidden
        return s

    def weight(self, name: str, *, rows: str | None = None, display: Name | None = None):
        """Declare a weight matrix with ``rows`` (a dimension name, default the hidden one);
        its column dimension is inferred from ``W @ v``."""
        if rows is not None:
            check_name(rows, f"rows of weight {name!r}")
        s = self._new(name, display)
        self._weights.append(s)
        self._weight_shapes[s] = (rows or self._hidden, None)
        return Weight(s, rows or self._hidden)

    def weights(self, names):
        """Declare several weight matrices from a space-separated string (or a list)."""
        return tuple(self.weight(n) for n in check_names(names, "weights"))

    def bias(self, name: str, *, display: Name | None = None):
        """Declare a bias vector (hidden size)."""
        s = self._new(name, display)
        self._biases.append(s)
        self._dims[s] = self._hidden
        return s

    def vector(self, name: str, *, dim: str | None = None, display: Name | None = None,
               init: tuple | None = None):
        r"""Declare an elementwise (diagonal) parameter of the hidden dimension (or ``dim``),
        used as ``u * h`` (IndRNN's :math:`u`, peepholes, RG-LRU's :math:`\Lambda`).

        Numerically it is held like a bias (a vector of ``params.arrays``); it is listed in
        :attr:`Cell.vectors` (and among :attr:`Cell.biases`, the vector parameters) so the
        report and the loaders call it an elementwise parameter. ``init=(low, high)`` makes
        ``numeric.init``'s ``pytorch`` scheme draw it uniform in ``[low, high]`` (default:
        as a bias).
        """
        if dim is not None:
            check_name(dim, f"dim of vector {name!r}")
        if init is not None:
            init = check_init_range(init, f"init of vector {name!r}")
        s = self._new(name, display)
        self._biases.append(s)
        self._vectors.append(s)
        self._dims[s] = dim or self._hidden
        if init is not None:
            self._vector_init[s] = init
        return s

    def scalar(self, name: str, *, default, positive: bool = False,
               display: Name | None = None):
        r"""Declare a scalar hyper-parameter (RG-LRU's ``c = 8``, a step size ``dt``): a real
        SymPy symbol, printed as itself everywhere; its value is held by ``numeric.Params``
        (``default`` unless given). A scalar multiplies vectors; it is not a vector
        (``W @ c`` is refused).

        ``positive=True`` declares :math:`c > 0`: the symbol is positive (SymPy's
        assumptions, which the bounds' range engine uses: :math:`e^{-c r s} \in (0, 1]`
        for :math:`r, s \ge 0`), ``default`` must be > 0, and ``numeric.Params`` refuses a
        value that is not.
        """
        if not isinstance(positive, bool):
            raise DerivationError(f"positive of scalar {name!r} must be True or False, got "
                                  f"{positive!r} ({type(positive).__name__})")
        default = check_default(default, f"default of scalar {name!r}")
        if positive and not default > 0:
            raise DerivationError(f"default of scalar {name!r} must be > 0 (declared "
                                  f"positive=True), got {default!r}")
        check_name(name, "symbol name")
        if display is not None and not isinstance(display, Name):
            self._new(name, display)  # raises, naming the display
        if name in self._names:
            raise DerivationError(f"symbol {name!r} is declared twice in cell {self._name!r}")
        self._names.add(name)
        s = sp.Symbol(name, positive=True) if positive else sp.Symbol(name, real=True)
        self._displays[s] = Display(display or Name.from_code(name), None)
        self._scalars[s] = default
        return s

    def identity(self, scale=1, *, dim: str | None = None):
        r"""The identity matrix of the hidden dimension (or ``dim``) times ``scale`` (a
        number or a scalar of the cell), for derived-weight definitions: ``cb.identity(gamma)``
        is :math:`\gamma I`."""
        if dim is not None:
            check_name(dim, "dim of the identity")
        scale = sp.sympify(scale)
        bad = [a.name for a in scale.free_symbols if a not in self._scalars]
        if bad or not scale.is_number and not scale.free_symbols:
            raise DerivationError(f"identity: scale must be a number or a scalar of the cell "
                                  f"(cb.scalar), got {scale}")
        return scale * sp.Identity(sp.Symbol(dim or self._hidden))

    def derived_weight(self, name: str, expr, *, display: Name | None = None) -> Weight:
        r"""Declare a weight computed from parameters: a linear combination of declared
        weights, their transposes and the identity, with number or scalar coefficients.
        AntisymmetricRNN (Chang et al. 2019):

        >>> from derivations import tanh
        >>> cb = CellBuilder("antisym")
        >>> x, h = cb.input("x"), cb.state("h")
        >>> V, W = cb.weights("V W")
        >>> gamma = cb.scalar("gamma", default=0.01)
        >>> A = cb.derived_weight("A", W - W.T - cb.identity(gamma))
        >>> h_next = cb.update(h, h + tanh(V @ x + A @ h))
        >>> cell = cb.build()
        >>> cell.derived[cell.symbol("A")]
        (-gamma)*I + W - W.T
        >>> [w.name for w in cell.parameter_weights]
        ['V', 'W']

        The equations apply ``A`` like any weight (the Jacobian reads :math:`A`); a
        parameter set holds ``W`` and ``gamma`` and computes ``A`` from them
        (``numeric.Params``), so a loader reads, and ``numeric.init`` draws, ``W``.
        """
        if isinstance(expr, Weight):
            expr = expr.matrix
        if not isinstance(expr, sp.MatrixExpr):
            raise DerivationError(f"derived weight {name!r} must be a matrix expression of the "
                                  f"cell's weights (W - W.T - cb.identity(gamma)), got {expr!r} "
                                  f"({type(expr).__name__})")
        weights = {w.name: w for w in self._weights}
        used = []
        for m in expr.atoms(sp.MatrixSymbol):
            w = weights.get(m.name)
            if w is None or w in self._derived:
                raise DerivationError(f"derived weight {name!r} uses {m.name!r}, which is not a "
                                      "declared (parameter) weight of the cell")
            used.append(w)
        if not used:
            raise DerivationError(f"derived weight {name!r} uses no weight of the cell: {expr}")
        rows = expr.shape[0]
        if expr.shape[1] != rows:
            raise DerivationError(f"derived weight {name!r} must be square, got {expr.shape}")
        bad = [a.name for a in expr.free_symbols
               if not isinstance(a, sp.MatrixSymbol) and a not in self._scalars
               and a.name not in {d for d in (*self._dims.values(), self._hidden)}]
        if bad:
            raise DerivationError(f"derived weight {name!r} uses {sorted(bad)}, which are not "
                                  "scalars of the cell (cb.scalar)")
        for w in used:
            r, c = self._weight_shapes[w]
            if r != rows.name or c not in (None, rows.name):
                raise DerivationError(f"derived weight {name!r}: {w.name!r} has shape "
                                      f"({r}, {c}); the definition needs ({rows}, {rows})")
            self._weight_shapes[w] = (r, r)
        s = self._new(name, display)
        self._weights.append(s)
        self._weight_shapes[s] = (rows.name, rows.name)
        self._derived[s] = expr
        return Weight(s, rows.name)

    def biases(self, names):
        """Declare several biases from a space-separated string (or a list)."""
        return tuple(self.bias(n) for n in check_names(names, "biases"))

    def let(self, name: str, expr, *, role: Role | str | None = None,
            display: Name | None = None):
        """Define a named intermediate vector ``name = expr`` (a gate, a candidate).

        ``role`` is a :class:`~derivations.facts.Role` (``Role.UPDATE_GATE``; its English
        value, ``"update gate"``, means the same) or a role of the user's own, a string;
        it names the Jacobian paths through the quantity (default: the quantity's name).
        """
        check_name(name, "symbol name")
        check_text(role, f"role of {name!r}", optional=True, empty=False)
        expr = self._checked(expr, name)
        d = self._dim(expr, name)
        if d is None:
            raise DerivationError(f"the definition of {name!r} is the constant {expr}; a "
                                  "quantity must depend on the cell's vectors (write the "
                                  "constant where it is used)")
        s = self._new(name, display, Time.NOW)
        self._dims[s] = d
        self._quantities.append(Quantity(s, expr, name if role is None else role_of(role)))
        return s

    def output(self, name: str, expr, *, role: Role | str | None = None,
               display: Name | None = None):
        r"""Define the cell's output ``name = expr`` when it is not a state (the
        IntersectionRNN's :math:`y_t`, the MC-LSTM's :math:`h_t`): the next layer reads it,
        but the state does not, so no Jacobian path of the state goes through it. It may
        read the next states (``o * tanh(c_next)``). ``role`` defaults to ``Role.OUTPUT``.
        ``numeric.output`` evaluates it; a cell without one outputs its first state.

        >>> from derivations import sigmoid, tanh
        >>> cb = CellBuilder("gated_echo")
        >>> x, h = cb.input("x", dim="H"), cb.state("h")
        >>> (W,) = cb.weights("W")
        >>> h_next = cb.update(h, tanh(W @ h + x))
        >>> y = cb.output("y", sigmoid(x) * h_next)
        >>> cb.build().outputs
        (y,)
        """
        s = self.let(name, expr, role=Role.OUTPUT if role is None else role, display=display)
        q = self._quantities[-1]
        self._quantities[-1] = Quantity(q.symbol, q.expr, q.role, is_output=True)
        return s

    def update(self, state, expr, *, role: Role | str | None = None,
               display: Name | None = None):
        """Give the next value of ``state``; returns the next-state symbol ``<state>_next``.

        ``role`` defaults to ``Role.NEXT_STATE``; a cell whose state is a memory cell says
        so (``role=Role.CELL_STATE``, as the LSTM's ``c``).
        """
        if not isinstance(state, sp.Symbol) or state not in self._states:
            raise DerivationError(f"update: {state!r} is not a state of cell {self._name!r}; "
                                  f"states: {[s.name for s in self._states]}")
        if any(q.state == state for q in self._quantities):
            raise DerivationError(f"state {state.name!r} of cell {self._name!r} is updated twice")
        check_text(role, f"role of the update of {state.name!r}", optional=True, empty=False)
        name = f"{state.name}_next"
        if name in self._names:
            raise DerivationError(f"the next state of {state.name!r} is named {name!r}, but cell "
                                  f"{self._name!r} already declares a symbol {name!r}; "
                                  "rename that symbol")
        expr = self._checked(expr, name)
        d = self._dim(expr, name)
        if d is None:
            raise DerivationError(f"the update of {state.name!r} is the constant {expr}; it "
                                  "must depend on the cell's vectors")
        if d != self._dims[state]:
            raise DerivationError(f"the update of {state.name!r} has dimension {d}, "
                                  f"the state has {self._dims[state]}")
        s = self._new(name, display, Time.NOW, shown=self._displays[state].name)
        self._dims[s] = self._dims[state]
        role = Role.NEXT_STATE if role is None else role_of(role)
        self._quantities.append(Quantity(s, expr, role, True, state))
        return s

    def layout(self, **packed):
        """Declare the packed (PyTorch-style) parameter layout.

        ``packed`` maps ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (or other
        names) to space-separated symbol names (or lists), stacked along the first axis in
        order. Each entry stacks weights of one shape or biases; :meth:`build` checks it.
        """
        self._layout = {k: check_names(v, f"layout {k!r}") for k, v in packed.items()}
        for k, parts in self._layout.items():
            for p in parts:
                check_name(p, f"a parameter name in layout {k!r}")
        return self

    def attributes(self, **facts):
        """Record convention facts (update direction, reset placement, gate order), as text.

        The gate that carries the state is not text: declare it with :meth:`carrying`.
        """
        if "carrying" in facts:
            raise DerivationError(
                f"attribute 'carrying' of cell {self._name!r} is not text (got "
                f"{facts['carrying']!r}): call cb.carrying(gate, towards) with the gate's "
                "symbol, e.g. cb.carrying(z, 1)")
        for k, v in facts.items():
            check_text(v, f"attribute {k!r}")
        self._attributes.update(facts)
        return self

    def carrying(self, gate, towards: int):
        r"""Declare the gate whose value ``towards`` (1 or 0) makes the state carry.

        ``cb.carrying(z, 1)`` for the PyTorch GRU (:math:`z \to 1` keeps
        :math:`h_{t-1}`), ``cb.carrying(z, 0)`` for the seed GRU. ``gate`` is the symbol
        :meth:`let` returned; the saturation bound, the report's gate figures and the
        ``chrono`` initialisation read it as :attr:`Cell.carrying`.
        """
        gates = {q.symbol: q for q in self._quantities if not q.is_update}
        if self._carrying is not None:
            raise DerivationError(f"cell {self._name!r}: carrying is declared twice "
                                  f"(already {self._carrying})")
        if not isinstance(gate, sp.Symbol) or gate not in gates:
            shown = gate.name if isinstance(gate, sp.Symbol) else gate
            raise DerivationError(
                f"cell {self._name!r}: carrying gate must be a quantity of the cell (the "
                f"symbol cb.let returned), got {shown!r} ({type(gate).__name__}); "
                f"quantities: {[s.name for s in gates]}")
        if isinstance(towards, bool) or not isinstance(towards, numbers.Integral) \
                or towards not in (0, 1):
            raise DerivationError(f"cell {self._name!r}: carrying towards must be 0 or 1 "
                                  f"(the gate's value that keeps the state), got {towards!r}")
        self._carrying = Carrying(gate, int(towards))
        return self

    # -- checks ------------------------------------------------------------------------
    def _known(self):
        return {*self._inputs, *self._states, *self._biases, *self._scalars,
                *(q.symbol for q in self._quantities)}

    def _checked(self, expr, name):
        if isinstance(expr, Weight):
            expr._misuse()
        weights = set(self._weights)
        expr = check_expr(expr, name, weights, MatVec)
        known = self._known()
        for atom in expr.atoms(sp.Symbol):
            if atom not in known and atom not in weights:
                raise DerivationError(f"the definition of {name!r} uses {atom.name!r}, "
                                      "which is not declared (declare inputs, states, weights "
                                      "and biases first; define quantities before using them)")
        for s in expr.atoms(sp.Symbol):
            if s in weights and not only_in_matvec(expr, s, MatVec):
                raise DerivationError(f"weight {s.name!r} in {name!r} must be applied with @")
        return expr

    def _dim(self, expr, where):
        return expr_dim(expr, where, self._dims, self._weight_shapes, self._scalars)

    def build(self) -> Cell:
        """Check the definition and return the immutable :class:`Cell`."""
        if not self._states:
            raise DerivationError(f"cell {self._name!r} declares no state")
        updated = {q.state for q in self._quantities if q.is_update}
        missing = [s.name for s in self._states if s not in updated]
        if missing:
            raise DerivationError(f"cell {self._name!r}: state {missing} is never updated "
                                  "(call CellBuilder.update)")
        unused = [W.name for W in self._weights if self._weight_shapes[W][1] is None]
        if unused:
            raise DerivationError(f"cell {self._name!r}: weights {unused} are never applied")
        if self._layout is not None:
            check_layout(self._layout, self._name,
                         {W.name: self._weight_shapes[W] for W in self._weights},
                         {b.name: self._dims[b] for b in self._biases}, self._names)
        return Cell(
            name=self._name, convention=self._convention, reference=self._reference,
            description=self._description, inputs=tuple(self._inputs),
            states=tuple(self._states),
            next_states={q.state: q.symbol for q in self._quantities if q.is_update},
            weights=tuple(self._weights), biases=tuple(self._biases),
            quantities=tuple(self._quantities), dims=dict(self._dims),
            weight_shapes=dict(self._weight_shapes), displays=dict(self._displays),
            layout=None if self._layout is None else dict(self._layout),
            attributes=dict(self._attributes), carrying=self._carrying,
            vectors=tuple(self._vectors), vector_init=dict(self._vector_init),
            scalars=dict(self._scalars), derived=dict(self._derived), hidden=self._hidden,
        )

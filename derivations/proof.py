r"""Brute-force proofs: the derived closed form equals SymPy's ``Matrix.jacobian`` exactly.

A cell is instantiated at hidden size ``n`` (and input size ``m``) with explicit scalar
symbols for every weight, bias, input and state entry; its equations are evaluated
entry by entry; ``Matrix.jacobian`` of the next state with respect to the previous
state is the brute-force reference. The closed form is evaluated on the same
instance, and the difference is expanded.

Both sides are polynomials in the entries and in the activation applications
(``sigmoid(...)``, ``tanh(...)``), because each activation's derivative is written in
the activation itself. Replacing every application by a fresh symbol before expanding
proves a stronger statement (the identity holds for *independent* values of the
applications) and makes ``expand`` fast.

>>> import derivations as dv
>>> result = prove(dv.cell("gru", "cho"), 2)
>>> result.ok, result.shape
(True, (2, 2))
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ._errors import DerivationError
from .cells import cell as _cell
from .derivation import derive
from .functions import has_kinks, kinks
from .jacobian import Term
from .language import Cell, MatVec

__all__ = ["Instance", "instantiate", "instance_sizes", "prove", "ProofResult",
           "closed_form_matrix", "MAX_SIZE"]


#: the largest size :func:`prove` and :func:`instantiate` accept for any dimension. The
#: brute-force Jacobian grows like ``n**4``-``n**5``: a GRU takes about a second at n = 4,
#: five at n = 6 and ten at n = 8 (a larger user cell more); larger sizes prove nothing
#: more about a closed form, and n = 10**6 would never finish.
MAX_SIZE = 8


@dataclass(frozen=True)
class Instance:
    """A cell at explicit sizes: every vector and matrix as explicit SymPy entries.

    ``values`` maps each cell symbol to a ``sympy.Matrix`` (column vectors for
    vectors); defined quantities map to their explicit entrywise expressions. Entries are
    named ``x[0]``, ``W_hz[1,0]``: no two symbols' entries can share a name. ``sizes``
    maps every dimension name of the cell to its size.
    """

    cell: Cell
    n: int
    m: int
    values: dict
    sizes: dict = field(default_factory=dict)

    def evaluate(self, expr) -> sp.Matrix:
        """Evaluate an elementwise cell expression entry by entry (a column vector)."""
        v = _evaluate(sp.sympify(expr), self.values)
        if isinstance(v, sp.MatrixBase):
            return v
        d = self.cell.dim_of(expr)
        return sp.Matrix([v] * self.sizes[d if d is not None else self.cell.hidden_dim])


def _size(value, name: str) -> int:
    """A dimension size for an instance: an integer from 1 to :data:`MAX_SIZE`."""
    if (not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_))
            or not 1 <= value <= MAX_SIZE):
        raise DerivationError(
            f"{name} must be an integer from 1 to {MAX_SIZE}, got {value!r} "
            f"({type(value).__name__}); brute-force proofs grow like n**5, so larger sizes "
            "would run for minutes to hours and prove nothing more")
    return int(value)


def instance_sizes(cell: Cell, n: int, m: int | None = None, sizes=None) -> dict:
    """The size of every dimension of ``cell``: the states' ``n``, the input's ``m``
    (default ``n``), each other dimension ``sizes[d]`` or the smallest size >= 2 not used yet
    (small, and distinct from the others, so that a shape mix-up cannot go unnoticed).

    >>> import derivations as dv
    >>> cb = dv.CellBuilder("k"); x = cb.input("x", dim="E"); h = cb.state("h")
    >>> W, V = cb.weight("W", rows="K"), cb.weight("V")
    >>> _ = cb.update(h, dv.tanh(V @ dv.tanh(W @ x) + h))
    >>> instance_sizes(cb.build(), 2), instance_sizes(cb.build(), 2, 1, {"K": 5})
    ({'H': 2, 'E': 2, 'K': 3}, {'H': 2, 'E': 1, 'K': 5})
    """
    n = _size(n, "n")
    dims = cell.dimensions
    hidden = cell.hidden_dim
    given = {} if sizes is None else sizes
    if not isinstance(given, dict):
        raise DerivationError(f"sizes must be a dict of dimension name -> size, got {sizes!r}")
    unknown = [d for d in given if d not in dims]
    if unknown:
        raise DerivationError(f"sizes names {unknown}, which are not dimensions of cell "
                              f"{cell.title!r}; its dimensions: {list(dims)}")
    out = {hidden: n}
    if hidden in given and _size(given[hidden], f"sizes[{hidden!r}]") != n:
        raise DerivationError(f"sizes[{hidden!r}] = {given[hidden]!r} contradicts n = {n} "
                              f"({hidden} is the state dimension of cell {cell.title!r})")
    inp = cell.dims[cell.inputs[0]] if cell.inputs else None
    if m is not None:
        m = _size(m, "m")
        if inp is None or inp == hidden:
            if m != n:
                raise DerivationError(
                    f"cell {cell.title!r} has no input dimension of its own (its input is of "
                    f"the state dimension {hidden}), so m must be n = {n} or None, got {m}")
        elif inp in given and _size(given[inp], f"sizes[{inp!r}]") != m:
            raise DerivationError(f"sizes[{inp!r}] = {given[inp]!r} contradicts m = {m}")
    if inp is not None and inp != hidden:
        out[inp] = m if m is not None else _size(given.get(inp, n), f"sizes[{inp!r}]")
    for d in dims:
        if d in out:
            continue
        if d in given:
            out[d] = _size(given[d], f"sizes[{d!r}]")
        else:
            used = set(out.values()) | {v for k, v in given.items() if k not in out}
            out[d] = next(k for k in range(2, MAX_SIZE + len(dims) + 2) if k not in used)
    return out


def instantiate(cell: Cell, n: int, m: int | None = None, *, sizes=None) -> Instance:
    """Instantiate ``cell`` with hidden size ``n``, input size ``m`` (default ``n``) and
    every other dimension at ``sizes[d]`` or a small size of its own (:func:`instance_sizes`)."""
    cell = _cell(cell)
    size = instance_sizes(cell, n, m, sizes)
    inp = cell.dims[cell.inputs[0]] if cell.inputs else cell.hidden_dim
    values = {}
    for s in (*cell.inputs, *cell.states, *cell.biases):
        k = size[cell.dims[s]]
        values[s] = sp.Matrix([sp.Symbol(f"{s.name}[{i}]", real=True) for i in range(k)])
    for W in cell.weights:  # real entries: SymPy then settles tanh(...).is_real at once
        rows, cols = (size[d] for d in cell.weight_shapes[W])
        values[W] = sp.Matrix(rows, cols, lambda i, j, W=W: sp.Symbol(f"{W.name}[{i},{j}]",
                                                                        real=True))
    inst = Instance(cell, size[cell.hidden_dim], size[inp], values, size)
    for q in cell.quantities:
        values[q.symbol] = inst.evaluate(q.expr)
    return inst


def _evaluate(expr, values):
    """Entrywise value of ``expr``: a column Matrix, or a scalar for a constant part."""
    if expr in values:
        return values[expr]
    if not expr.args or not expr.free_symbols:
        return expr
    if isinstance(expr, MatVec):
        v = _evaluate(expr.operand, values)
        if not isinstance(v, sp.MatrixBase):
            raise DerivationError(f"cannot evaluate {expr}: its operand is a constant")
        return values[expr.matrix] * v
    parts = [_evaluate(a, values) for a in expr.args]
    rows = {p.rows for p in parts if isinstance(p, sp.MatrixBase)}
    if len(rows) > 1:
        raise DerivationError(f"cannot evaluate {expr} entrywise: parts of sizes {sorted(rows)}")
    if not rows:
        return expr.func(*parts)
    k = rows.pop()

    def entry(p, i):
        return p[i] if isinstance(p, sp.MatrixBase) else p

    if isinstance(expr, (sp.Add, sp.Mul, sp.Pow, sp.Max, sp.Min, sp.Function)):
        return sp.Matrix([expr.func(*(entry(p, i) for p in parts)) for i in range(k)])
    raise DerivationError(f"cannot evaluate {expr!r} entrywise")


def closed_form_matrix(terms, inst: Instance, rows: int | None = None) -> sp.Matrix:
    """Sum of the terms ``diag(a0) W1 diag(a1) ...`` on an explicit instance; ``rows`` is
    the size of the block's output state (default the hidden size), the size of a
    matrix-free term's ``diag(a0)``."""
    out = None
    for t in terms:
        m = _term_matrix(t, inst, inst.n if rows is None else rows)
        out = m if out is None else out + m
    return out


def _term_matrix(t: Term, inst: Instance, rows: int) -> sp.Matrix:
    first = inst.values[t.matrices[0]].rows if t.matrices else rows
    out = _diag(t.coeffs[0], inst, first)
    for W, a in zip(t.matrices, t.coeffs[1:], strict=True):
        out = out * inst.values[W]
        if a != 1:
            out = out * _diag(a, inst, inst.values[W].cols)
    return out


def _diag(a, inst: Instance, k: int) -> sp.Matrix:
    """``diag(a)`` of size ``k`` (a constant ``a`` is ``a`` times the identity)."""
    v = _evaluate(sp.sympify(a), inst.values)
    if isinstance(v, sp.MatrixBase):
        return sp.diag(*v)
    return v * sp.eye(k)


@dataclass(frozen=True)
class ProofResult:
    """The outcome of one exact proof of one Jacobian block at one size."""

    cell: str
    block: tuple
    n: int
    shape: tuple
    ok: bool
    seconds: float
    sizes: dict = field(default_factory=dict)  # every dimension's size in the instance
    #: the cell uses kinked operations (relu, max, hard_sigmoid, ...): the closed form
    #: equals the brute-force Jacobian where both are defined, with the a.e. conventions
    #: of :attr:`kinks` at the kinks (a set of measure zero)
    almost_everywhere: bool = False
    kinks: tuple = ()


def _block_proven(d, inst, key, block) -> bool:
    """Closed form of ``block`` minus SymPy's ``Matrix.jacobian`` expands to exactly 0."""
    out_name, in_name = key
    out_sym = d.cell.next_states[d.cell.symbol(out_name)]
    brute = inst.values[out_sym].jacobian(inst.values[d.cell.symbol(in_name)])
    closed = (closed_form_matrix(block.terms, inst, brute.rows) if block.terms
              else sp.zeros(brute.rows, brute.cols))
    diff = _atomize(brute - closed)[0]
    if diff.applyfunc(sp.expand).is_zero_matrix:
        return True
    if not has_kinks(d.cell.definitions.values()):
        return False
    return _zero_away_from_kinks(brute - closed)


def _zero_away_from_kinks(diff, points: int = 3) -> bool:
    """``diff`` vanishes at ``points`` random points (the kinks have measure zero, so a
    random point avoids them with probability 1): the a.e. comparison of a kinked cell."""
    rng = np.random.default_rng(0)
    syms = sorted(diff.free_symbols, key=lambda s: s.name)
    for _ in range(points):
        at = {s: sp.Float(rng.uniform(-1.5, 1.5), 30) for s in syms}
        values = diff.xreplace(at).evalf(30)
        if any(abs(complex(v)) > 1e-20 for v in values):
            return False
    return True


def _atomize(*mats):
    """Replace each activation application by a fresh symbol, consistently."""
    apps = set()
    for M in mats:
        for e in M:
            apps |= {a for a in e.atoms(sp.Function) if not isinstance(a, MatVec)}
    mapping = {a: sp.Dummy("a") for a in apps}
    return [M.xreplace(mapping) for M in mats]


def prove(cell: Cell, n: int, m: int | None = None, *, sizes=None) -> ProofResult:
    """Prove every Jacobian block of ``cell`` equal to the brute-force Jacobian at size ``n``.

    Parameters
    ----------
    cell : Cell or str
        A cell (built-in name or :class:`~derivations.CellBuilder` result).
    n : int
        The size of the hidden dimension (the states', unless a state has a dimension of
        its own, as the LSTMP's ``h`` of size ``P``), 1 to :data:`MAX_SIZE`.
    m : int, optional
        The size of the input dimension (default ``n``).
    sizes : dict, optional
        Sizes of the cell's other dimensions (``{"K": 3}``); each one not given gets a
        small size of its own (:func:`instance_sizes`).

    Returns one :class:`ProofResult` for the whole state Jacobian (all blocks stacked).

    Raises
    ------
    DerivationError
        For a size that is not an integer from 1 to :data:`MAX_SIZE`, an unknown dimension
        in ``sizes``, or a contradiction between ``sizes`` and ``n``/``m``; and when
        SymPy's expansion recurses past Python's limit (very large products of sums, at
        sizes this cell cannot be proven at), instead of a raw ``RecursionError``.
    """
    t0 = time.perf_counter()
    c = _cell(cell)
    instance_sizes(c, n, m, sizes)  # bad sizes fail before the derivation runs
    d = derive(c)
    inst = instantiate(d.cell, n, m, sizes=sizes)
    n = inst.n
    try:
        ok = all(_block_proven(d, inst, key, block)
                 for key, block in d.jacobian.blocks.items())
    except RecursionError:
        raise DerivationError(
            f"the brute-force proof of cell {d.cell.title!r} at sizes {dict(inst.sizes)} "
            "nests deeper than SymPy's recursion limit (products of sums expand into very "
            "large expressions); prove it at a smaller n") from None
    k = sum(inst.sizes[dim] for dim in d.cell.state_dims)  # the full state's size
    found = kinks(q.expr for q in d.cell.quantities)
    ae = bool(found) or has_kinks(d.cell.definitions.values())
    return ProofResult(d.cell.title, tuple(d.jacobian.blocks), n, (k, k), bool(ok),
                       time.perf_counter() - t0, dict(inst.sizes), ae, found)

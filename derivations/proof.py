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
from dataclasses import dataclass

import sympy as sp

from ._errors import DerivationError
from .derivation import derive
from .jacobian import Term
from .language import Cell, MatVec

__all__ = ["Instance", "instantiate", "prove", "ProofResult", "closed_form_matrix"]


@dataclass(frozen=True)
class Instance:
    """A cell at explicit sizes: every vector and matrix as explicit SymPy entries.

    ``values`` maps each cell symbol to a ``sympy.Matrix`` (column vectors for
    vectors); defined quantities map to their explicit entrywise expressions.
    """

    cell: Cell
    n: int
    m: int
    values: dict

    def evaluate(self, expr) -> sp.Matrix:
        """Evaluate an elementwise cell expression entry by entry (a column vector)."""
        return _evaluate(expr, self.values, self.n)


def instantiate(cell: Cell, n: int, m: int | None = None) -> Instance:
    """Instantiate ``cell`` with hidden size ``n`` and input size ``m`` (default ``n``)."""
    if not isinstance(n, int) or n < 1:
        raise DerivationError(f"instance size must be a positive integer, got n={n!r}")
    m = n if m is None else m
    size = {"H": n, "I": m}
    values = {}
    for s in (*cell.inputs, *cell.states, *cell.biases):
        k = size[cell.dims[s]]
        values[s] = sp.Matrix([sp.Symbol(f"{s.name}_{i}") for i in range(k)])
    for W in cell.weights:
        rows, cols = (size[d] for d in cell.weight_shapes[W])
        values[W] = sp.Matrix(rows, cols, lambda i, j, W=W: sp.Symbol(f"{W.name}_{i}_{j}"))
    for q in cell.quantities:
        values[q.symbol] = _evaluate(q.expr, values, n)
    return Instance(cell, n, m, values)


def _evaluate(expr, values, n):
    if expr in values:
        return values[expr]
    if expr.is_Number:
        return sp.Matrix([expr] * n)
    if isinstance(expr, MatVec):
        return values[expr.matrix] * _evaluate(expr.operand, values, n)
    parts = [_evaluate(a, values, n) for a in expr.args]
    k = max(p.rows for p in parts)
    parts = [p if p.rows == k else sp.Matrix([p[0]] * k) for p in parts]
    if isinstance(expr, sp.Add):
        return sp.Matrix([sp.Add(*(p[i] for p in parts)) for i in range(k)])
    if isinstance(expr, sp.Mul):
        return sp.Matrix([sp.Mul(*(p[i] for p in parts)) for i in range(k)])
    if isinstance(expr, sp.Pow):
        return sp.Matrix([parts[0][i] ** parts[1][i] for i in range(k)])
    if isinstance(expr, sp.Function):
        return sp.Matrix([expr.func(parts[0][i]) for i in range(k)])
    raise DerivationError(f"cannot evaluate {expr!r} entrywise")


def closed_form_matrix(terms, inst: Instance) -> sp.Matrix:
    """Sum of the terms ``diag(a0) W1 diag(a1) ...`` on an explicit instance."""
    out = None
    for t in terms:
        m = _term_matrix(t, inst)
        out = m if out is None else out + m
    return out


def _term_matrix(t: Term, inst: Instance) -> sp.Matrix:
    out = sp.diag(*inst.evaluate(t.coeffs[0]))
    for W, a in zip(t.matrices, t.coeffs[1:], strict=True):
        out = out * inst.values[W]
        if a != 1:
            out = out * sp.diag(*inst.evaluate(a))
    return out


@dataclass(frozen=True)
class ProofResult:
    """The outcome of one exact proof of one Jacobian block at one size."""

    cell: str
    block: tuple
    n: int
    shape: tuple
    ok: bool
    seconds: float


def _atomize(*mats):
    """Replace each activation application by a fresh symbol, consistently."""
    apps = set()
    for M in mats:
        for e in M:
            apps |= {a for a in e.atoms(sp.Function) if not isinstance(a, MatVec)}
    mapping = {a: sp.Dummy("a") for a in apps}
    return [M.xreplace(mapping) for M in mats]


def prove(cell: Cell, n: int, m: int | None = None) -> ProofResult:
    """Prove every Jacobian block of ``cell`` equal to the brute-force Jacobian at size ``n``.

    Returns one :class:`ProofResult` for the whole state Jacobian (all blocks stacked).
    """
    t0 = time.perf_counter()
    d = derive(cell)
    inst = instantiate(d.cell, n, m)
    ok = True
    for (out_name, in_name), block in d.jacobian.blocks.items():
        out_sym = d.cell.next_states[d.cell.symbol(out_name)]
        brute = inst.values[out_sym].jacobian(inst.values[d.cell.symbol(in_name)])
        closed = closed_form_matrix(block.terms, inst) if block.terms else sp.zeros(n, n)
        brute, closed = _atomize(brute, closed)
        diff = (brute - closed).applyfunc(sp.expand)
        ok = ok and diff.is_zero_matrix
    k = len(d.cell.states) * n
    return ProofResult(d.cell.title, tuple(d.jacobian.blocks), n, (k, k), bool(ok),
                       time.perf_counter() - t0)

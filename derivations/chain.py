r"""The chain rule over a cell's equations.

For a quantity :math:`q = e(a_1, a_2, \ldots)` whose atoms are the previous state
:math:`s`, named quantities :math:`u` and linear maps :math:`W v`,

.. math::

    \frac{\partial q}{\partial s} =
      \operatorname{diag}\!\left(\frac{\partial e}{\partial s}\right)
    + \sum_u \operatorname{diag}\!\left(\frac{\partial e}{\partial u}\right) \frac{\partial u}{\partial s}
    + \sum_{W v} \operatorname{diag}\!\left(\frac{\partial e}{\partial (W v)}\right) W \frac{\partial v}{\partial s}.

The scalar partials :math:`\partial e / \partial a` are SymPy derivatives of the
elementwise expression with the linear maps replaced by dummy symbols; activation
derivatives are then rewritten in the cell's own quantities (``sigmoid(a_z)`` -> ``z``),
so coefficients read ``z (1 - z)`` and ``1 - n^2``. SymPy's matrix-expression calculus is
not used: it works in denominator layout and cannot differentiate Hadamard products.
"""

from __future__ import annotations

import sympy as sp

from ._errors import DerivationError
from .facts import PathLabel
from .jacobian import Block, Branch, Jacobian
from .language import Cell, MatVec

__all__ = ["derive_jacobian", "derive_block"]


def _top_matvecs(expr):
    """The MatVec nodes of ``expr`` not nested inside another MatVec, in a stable order."""
    found = []

    def walk(e):
        if isinstance(e, MatVec):
            if e not in found:
                found.append(e)
            return
        for a in e.args:
            walk(a)

    walk(expr)
    return found


class _Context:
    def __init__(self, cell: Cell, wrt: sp.Symbol):
        self.cell, self.wrt = cell, wrt
        self.defs = cell.definitions
        self.order = {q.symbol: i for i, q in enumerate(cell.quantities)}
        self.wpos = {W: i for i, W in enumerate(cell.weights)}
        self.roles = cell.roles
        # rewrite activation applications back into the quantity they define
        self.back = {e: s for s, e in self.defs.items() if isinstance(e, sp.Function)}
        self._dep: dict = {}

    def depends(self, expr) -> bool:
        """True if ``expr`` depends on the previous state ``wrt`` (through definitions)."""
        for s in expr.free_symbols:
            if s == self.wrt:
                return True
            if s in self.defs:
                if s not in self._dep:
                    self._dep[s] = False  # guards against cycles
                    self._dep[s] = self.depends(self.defs[s])
                if self._dep[s]:
                    return True
        return False

    def label(self, path) -> PathLabel:
        return PathLabel.of(self.roles[path[-1]]) if path else PathLabel.carry()


def _partial(expr_dummy, atom, undo, ctx):
    p = sp.diff(expr_dummy, atom)
    if p == 0:
        return p
    return p.xreplace(undo).xreplace(ctx.back)


def _branches(expr, path, ctx: _Context) -> tuple:
    mvs = [m for m in _top_matvecs(expr) if ctx.depends(m.operand)]
    dummies = {m: sp.Dummy(f"m{i}") for i, m in enumerate(mvs)}
    undo = {d: m for m, d in dummies.items()}
    e = expr.xreplace(dummies)
    out = []
    if ctx.wrt in e.free_symbols:
        p = _partial(e, ctx.wrt, undo, ctx)
        if p != 0:
            out.append((0, 0, Branch(p, None, (), path, ctx.label(path))))
    for m in mvs:
        p = _partial(e, dummies[m], undo, ctx)
        if p == 0:
            continue
        sub = _branches(m.operand, path, ctx)
        if sub:
            out.append((1, ctx.wpos[m.matrix], Branch(p, m.matrix, sub, path, ctx.label(path))))
    named = sorted((s for s in e.free_symbols if s in ctx.defs and ctx.depends(s)),
                   key=ctx.order.get)
    for u in named:
        p = _partial(e, u, undo, ctx)
        if p == 0:
            continue
        upath = (*path, u)
        sub = _branches(ctx.defs[u], upath, ctx)
        if sub:
            out.append((2, ctx.order[u], Branch(p, None, sub, upath, ctx.label(upath))))
    out.sort(key=lambda t: t[:2])
    return tuple(_tidy(b) for _, _, b in out)


def _factors(expr):
    return list(sp.Mul.make_args(expr))


def _tidy(b: Branch) -> Branch:
    """Fold single-child diagonal chains; pull common coefficient factors up.

    A factor is pulled out of the children only if it involves none of the quantities
    the children go through (``r`` stays with the reset path), so the grouped form keeps
    each gate's own derivative next to its matrix.
    """
    children = tuple(b.children)
    if b.matrix is None and len(children) == 1:
        c = children[0]
        return _tidy(Branch(b.coeff * c.coeff, c.matrix, c.children, c.path, c.label))
    if b.matrix is None and len(children) > 1:
        common = _factors(children[0].coeff)
        for c in children[1:]:
            rest = _factors(c.coeff)
            common = [f for f in common if f in rest and f != 1]
        own = {s for c in children for s in _below(c, b.path)}
        common = [f for f in common if not f.is_Number and not (f.free_symbols & own)]
        if common:
            g = sp.Mul(*common)
            children = tuple(
                Branch(sp.Mul(*_drop(_factors(c.coeff), common)), c.matrix, c.children,
                       c.path, c.label) for c in children)
            return Branch(b.coeff * g, None, children, b.path, b.label)
    return b


def _below(branch, path):
    """Quantities on ``branch``'s leaf paths beyond ``path``."""
    out = set(branch.path[len(path):])
    for c in branch.children:
        out |= _below(c, path)
    return out


def _relabel(branch, counts, roles, through_matrix=False):
    through_matrix = through_matrix or branch.matrix is not None
    if not branch.children:
        label = _label(branch.path, counts, roles, through_matrix)
    else:
        label = _label(branch.path, counts, roles, True)
    kids = tuple(_relabel(c, counts, roles, through_matrix) for c in branch.children)
    return Branch(branch.coeff, branch.matrix, kids, branch.path, label)


def _label(path, counts, roles, through_matrix) -> PathLabel:
    """Name a path: ``carry`` (matrix-free, no gate), ``recurrent`` (a matrix, no gate),
    else the role of the innermost quantity (``via`` its parent if that role recurs)."""
    if not path:
        return PathLabel.recurrent() if through_matrix else PathLabel.carry()
    if counts.get(path[-1], 0) > 1 and len(path) > 1:
        return PathLabel.of(roles[path[-1]], via=roles[path[-2]])
    return PathLabel.of(roles[path[-1]])


def _leaf_paths(branch):
    if not branch.children:
        return [branch.path]
    return [p for c in branch.children for p in _leaf_paths(c)]


def _drop(factors, common):
    out = list(factors)
    for f in common:
        out.remove(f)
    return out


def derive_block(cell: Cell, output: sp.Symbol, wrt: sp.Symbol) -> Block:
    """The block :math:`\\partial\\,\\mathrm{output} / \\partial\\,\\mathrm{wrt}` of ``cell``.

    ``wrt`` is a previous state, or the input (``x``): the input block
    :math:`\\partial h_{next} / \\partial x` is what carries gradient down a stack of layers.
    """
    if wrt not in cell.states and wrt not in cell.inputs:
        raise DerivationError(f"{wrt} is not a state or an input of {cell.title!r}")
    defs = cell.definitions
    if output not in defs:
        raise DerivationError(f"{output} is not defined in {cell.title!r}")
    ctx = _Context(cell, wrt)
    branches = _branches(defs[output], (), ctx)
    counts: dict = {}
    for b in branches:
        for p in _leaf_paths(b):
            if p:
                counts[p[-1]] = counts.get(p[-1], 0) + 1
    return Block(output, wrt, tuple(_relabel(b, counts, ctx.roles) for b in branches))


def derive_jacobian(cell: Cell) -> Jacobian:
    """All state-to-state blocks of ``cell``'s transition, by the chain rule."""
    blocks = {}
    for s_out in cell.states:
        for s_in in cell.states:
            blocks[(s_out.name, s_in.name)] = derive_block(cell, cell.next_states[s_out], s_in)
    if all(b.is_zero for b in blocks.values()):
        raise DerivationError(f"the next state of {cell.title!r} does not depend on its "
                              "previous state: there is no recurrence to differentiate")
    return Jacobian(cell.states, blocks)

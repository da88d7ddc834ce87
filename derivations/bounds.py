r"""Norm bounds on a cell's Jacobian, derived mechanically from its term structure.

For a block :math:`J = \sum_k \operatorname{diag}(a_{k,0}) W_{k,1} \operatorname{diag}(a_{k,1})
\cdots`, the triangle inequality and submultiplicativity give the *state-dependent* bound

.. math::

    \|J\|_2 \le \sum_k \|a_{k,0}\|_\infty \|W_{k,1}\|_2 \|a_{k,1}\|_\infty \cdots,

and replacing each :math:`\|a\|_\infty` by its supremum from the lemmas
(:mod:`derivations.lemmas`: :math:`z(1 - z) \le 1/4`, :math:`1 - n^2 \le 1`,
:math:`|h - n| \le 2`, ...; :math:`|W v + b| \le \|W\|_\infty \|v\|_\infty + \|b\|_\infty`;
LSTM's :math:`\|c\|_\infty` kept as a norm) gives the *global* bound in weight norms.
If the block has a diagonal carry :math:`J = \operatorname{diag}(\kappa) + E`, Weyl's
inequality gives :math:`\sigma_{\min}(J) \ge \min_i |\kappa_i| - \|E\|_2`. Saturation
limits, multi-step products and the Pascanu-Mikolov-Bengio condition follow
(:mod:`derivations._bounds_extra`). Nothing here is specific to a built-in cell: a
:class:`~derivations.CellBuilder` cell gets its bounds from the same code.

Every :class:`~derivations._bound_types.Bound` is structure: its statement is a tree of
SymPy relations and :mod:`derivations.statements` nodes, its right-hand side ``expr`` an
expression in :class:`~derivations.statements.Norm` atoms, printed by the LaTeX and Typst
printers.

>>> import derivations as dv
>>> from derivations.statements import Norm
>>> b = derive_bounds(dv.derive("gru", "pytorch"))
>>> W_hz = b.cell.symbol("W_hz")
>>> b.main.global_upper.coeff(Norm(W_hz, 2))              # sup |z (1 - z)(h - n)| = 1/2
1/2
>>> derive_bounds(dv.derive("elman")).main.global_upper
Norm(W_hh, 2)
>>> print(b.main.get(BoundKind.GLOBAL_UPPER).statement_latex[:46])
\left\|\frac{\partial h_{t}}{\partial h_{t-1}}
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ._bound_types import Bound, BoundText, IdentityGap, LowerBound, NoGlobalBound, listed
from ._bounds_extra import multistep_bound, pmb_bound, saturation_bound
from ._bounds_range import Env, cell_env, sup_abs
from ._errors import DerivationError
from .facts import BoundKind
from .functions import ACTIVATIONS, activation
from .jacobian import Block, Term
from .language import Cell, MatVec
from .printing import GateLatexPrinter, printer_for
from .statements import (
    EYE,
    Diag,
    EntryMax,
    EntryMin,
    Juxt,
    Norm,
    Partial,
    Prose,
    SigmaMin,
    Sup,
    Words,
)

__all__ = ["Bound", "TermBound", "BlockBounds", "Bounds", "derive_bounds", "BoundKind",
           "prose_latex", "NoGlobalBound"]


@dataclass(frozen=True)
class TermBound:
    r"""A term and the supremum of :math:`|a_k|` for each of its coefficients."""

    term: Term
    sups: tuple
    #: why the term has no global supremum: (activations without a derivative
    #: supremum, divisors); ``((), ())`` when it has one
    unbounded: tuple = ((), ())

    @property
    def global_factor(self) -> sp.Expr:
        r""":math:`\prod_k \sup|a_k| \prod_j \|W_j\|_2`."""
        out = sp.Mul(*self.sups)
        for W in self.term.matrices:
            out = out * Norm(W, 2)
        return out

    @property
    def state_factor(self) -> sp.Expr:
        r""":math:`\prod_k \|a_k\|_\infty \prod_j \|W_j\|_2` (a coefficient 1 left out)."""
        out = sp.S.One
        for a in self.term.coeffs:
            if a != 1:
                out = out * Norm(a, sp.oo)
        for W in self.term.matrices:
            out = out * Norm(W, 2)
        return out


@dataclass(frozen=True)
class BlockBounds:
    """Every bound on one Jacobian block."""

    key: tuple
    block: Block
    terms: tuple  # of TermBound
    carry: sp.Expr | None
    global_upper: sp.Expr
    rest_global: sp.Expr  # global bound on the non-carry part
    bounds: tuple  # of Bound

    def get(self, kind: BoundKind) -> Bound | None:
        """The bound of ``kind`` on this block, or ``None``."""
        if not isinstance(kind, BoundKind):
            raise DerivationError(f"BlockBounds.get takes a BoundKind, got {kind!r}")
        return next((b for b in self.bounds if b.kind is kind), None)


@dataclass(frozen=True)
class Bounds:
    """All bounds of one derivation, per block, with the lemmas' ranges (``env``)."""

    cell: Cell
    blocks: dict
    env: Env
    bounds: tuple  # cell-level bounds (multi-step, vanishing condition)

    @property
    def main(self) -> BlockBounds:
        s = self.cell.states[0].name
        return self.blocks[(s, s)]

    def block(self, out: str, wrt: str) -> BlockBounds:
        return self.blocks[(out, wrt)]

    def all(self) -> list:
        """Every :class:`Bound`, block by block, then the cell-level ones."""
        return [b for bb in self.blocks.values() for b in bb.bounds] + list(self.bounds)

    def latex(self) -> str:
        """Statements and proofs of every bound, as a LaTeX fragment (English words)."""
        p = printer_for(self.cell)
        parts = []
        for b in self.all():
            parts.append(r"\paragraph{%s.} $%s$" % (b.name, p.doprint(b.statement))
                         + "\n\n" + r"\emph{Proof.} " + prose_latex(b.proof, p)
                         + r" $\square$")
        return "\n\n".join(parts)


_TEX_SPECIAL = {c: "\\" + c for c in "&%$#_{}"}
_TEX_SPECIAL.update({"~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                     "\\": r"\textbackslash{}"})


def prose_latex(prose: Prose, printer: GateLatexPrinter) -> str:
    """A :class:`~derivations.statements.Prose` as LaTeX text: words escaped, math in ``$``."""
    out = []
    for part in prose.parts:
        if isinstance(part, Words):
            out.append("".join(_TEX_SPECIAL.get(c, c) for c in part.value))
        else:
            out.append("$%s$" % printer.doprint(part))
    return "".join(out)


def _jac(block: Block) -> Partial:
    return Partial(block.output, block.wrt)


def _sup_lines(tbs) -> tuple:
    r""":math:`\sup|a| \le s` for every coefficient that is not 1."""
    return tuple(sp.Le(Sup(sp.Abs(a, evaluate=False)), s, evaluate=False)
                 for tb in tbs for a, s in zip(tb.term.coeffs, tb.sups, strict=True) if a != 1)


_a, _v, _b, _W, _E = sp.symbols("a v b W E")


def _no_global(cell, coeffs, env: Env) -> tuple:
    r"""``(activations, divisors)`` that leave ``coeffs`` without a global supremum: the
    activations with no derivative supremum that the coefficients go through (a quantity
    they define, or an application) whose values ``env`` does not bound (the RG-LRU's
    :math:`a = e^{-c r s} \in (0, 1]` is bounded, the paper sLSTM's :math:`i = e^{\tilde\imath}`
    is not), and the non-constant divisors."""
    defs = cell.definitions
    acts, divs = [], []
    for a in coeffs:
        for e in sp.preorder_traversal(sp.sympify(a)):
            act = activation(defs.get(e, e)) if isinstance(e, sp.Symbol) else activation(e)
            if act is not None and env.range(e) is not None:
                continue
            if act is not None and act.derivative_sup is None and act.name not in acts:
                acts.append(act.name)
            if (isinstance(e, sp.Pow) and e.exp.is_negative and e.base.free_symbols
                    and e.base not in divs):
                divs.append(e.base)
    return tuple(acts), tuple(divs)


def _term_bound(cell, t, env) -> TermBound:
    """``sup |a_k|`` of each coefficient of ``t``; ``oo`` for every one when a supremum
    goes through an activation with no derivative supremum (``Norm(i, oo)`` of a quantity
    ``i = exp(...)``), or a coefficient divides by a quantity that cannot be bounded away
    from 0."""
    acts, divs = _no_global(cell, t.coeffs, env)
    try:
        sups = tuple(sp.simplify(sup_abs(a, env)) for a in t.coeffs)
    except DerivationError:
        if not (acts or divs):
            raise
        return _unbounded(t, acts, divs)
    through = _no_global(cell, [n.args[0] for s in sups for n in sp.preorder_traversal(s)
                                if isinstance(n, Norm)], env)[0]
    if through:
        return _unbounded(t, through, ())
    return TermBound(t, sups)


def _unbounded(t, acts, divs) -> TermBound:
    # both reasons when a term has both (sLSTM's f o / n' with f = exp): either alone
    # leaves the coefficient without a supremum
    return TermBound(t, tuple(sp.S.One if a == 1 else sp.oo for a in t.coeffs),
                     (tuple(acts), tuple(divs)))


def _upper_bounds(cell, key, block, tbs, glob):
    J = _jac(block)
    state_rhs = sp.Add(*(tb.state_factor for tb in tbs))
    upper = Bound(
        f"state-dependent upper bound on d{key[0]}/d{key[1]}", BoundKind.UPPER, key,
        sp.Le(Norm(J), state_rhs, evaluate=False),
        Prose((BoundText.UPPER_PROOF, sp.Eq(Norm(Diag(_a)), Norm(_a, sp.oo), evaluate=False),
               BoundText.UPPER_PROOF_END)), state_rhs, cell)
    acts = tuple(dict.fromkeys(a for tb in tbs for a in tb.unbounded[0]))
    divs = tuple(dict.fromkeys(d for tb in tbs for d in tb.unbounded[1]))
    if glob == sp.oo:
        name = f"global upper bound on d{key[0]}/d{key[1]}"
        return [upper, NoGlobalBound(
            name, BoundKind.GLOBAL_UPPER, key, sp.Le(Norm(J), sp.oo, evaluate=False),
            Prose((BoundText.NO_GLOBAL,
                   *listed(tuple(ACTIVATIONS[a].function(_v) for a in acts) + tuple(divs)),
                   BoundText.PERIOD)), sp.oo, cell, activations=acts, divisors=divs)]
    sups = _sup_lines(tbs)  # none when every coefficient is 1 (the original LSTM's dc'/dc)
    gupper = Bound(
        f"global upper bound on d{key[0]}/d{key[1]}", BoundKind.GLOBAL_UPPER, key,
        sp.Le(Norm(J), glob, evaluate=False),
        Prose((BoundText.GLOBAL_PROOF,
               sp.Le(sp.Abs(MatVec(_W, _v) + _b), Norm(_W, sp.oo) * Norm(_v, sp.oo)
                     + Norm(_b, sp.oo), evaluate=False),
               *((BoundText.GLOBAL_PROOF_SUPS, *listed(sups), BoundText.PERIOD) if sups
                 else (BoundText.GLOBAL_PROOF_CLOSE,)))),
        glob, cell)
    return [upper, gupper]


def _carry_bounds(cell, key, block, tbs, carry):
    J = _jac(block)
    rest = [tb.state_factor for tb in tbs if not tb.term.is_diagonal]
    # a constant carry (the original LSTM's dc'/dc = I) is its own smallest entry
    smin = abs(carry) if carry.is_number else EntryMin(sp.Abs(carry, evaluate=False))
    if rest:
        stmt = sp.Ge(SigmaMin(J), smin - sp.Add(*rest), evaluate=False)
    else:
        stmt = Juxt((sp.Ge(SigmaMin(J), smin, evaluate=False), BoundText.EQUALITY_DIAGONAL))
    out = [LowerBound(
        f"Weyl lower bound on d{key[0]}/d{key[1]}", BoundKind.LOWER, key, stmt,
        Prose((BoundText.WEYL_WRITE, sp.Eq(J, Diag(carry) + _E, evaluate=False),
               BoundText.WEYL_INEQUALITY,
               sp.Ge(SigmaMin(J), SigmaMin(Diag(carry)) - Norm(_E), evaluate=False),
               BoundText.WEYL_DIAGONAL, Norm(_E), BoundText.WEYL_REST)), cell=cell,
        carry=carry)]
    if not rest:
        out.append(IdentityGap(
            f"identity gap of d{key[0]}/d{key[1]}", BoundKind.IDENTITY_GAP, key,
            sp.Eq(Norm(J - EYE), abs(1 - carry) if carry.is_number
                  else EntryMax(sp.Abs(1 - carry, evaluate=False)), evaluate=False),
            Prose((sp.Eq(J - EYE, Diag(carry - 1), evaluate=False), BoundText.GAP_PROOF)),
            cell=cell, carry=carry))
    return out


def _block_bounds(cell, key, block: Block, env: Env) -> BlockBounds:
    tbs = tuple(_term_bound(cell, t, env) for t in block.terms)
    glob = sp.Add(*(tb.global_factor for tb in tbs))
    if any(s == sp.oo for tb in tbs for s in tb.sups):
        glob = sp.oo
    rest = sp.Add(*(tb.global_factor for tb in tbs if not tb.term.is_diagonal))
    bounds = _upper_bounds(cell, key, block, tbs, glob)
    carry = block.carry
    if carry is not None:
        bounds += _carry_bounds(cell, key, block, tbs, carry)
        sat = saturation_bound(cell, key, block, tbs, env) if glob != sp.oo else None
        if sat is not None:
            bounds.append(sat)
    return BlockBounds(key, block, tbs, carry, glob, rest, tuple(bounds))


def derive_bounds(derivation) -> Bounds:
    """Every bound of ``derivation`` (a :class:`~derivations.Derivation`), mechanically.

    Raises
    ------
    DerivationError
        If ``derivation`` is not a Derivation or a coefficient cannot be bounded.
    """
    cell = getattr(derivation, "cell", None)
    jac = getattr(derivation, "jacobian", None)
    if not isinstance(cell, Cell) or jac is None:
        raise DerivationError(f"derive_bounds needs a Derivation, got {type(derivation).__name__}")
    env = cell_env(cell)
    blocks = {key: _block_bounds(cell, key, b, env)
              for key, b in jac.blocks.items() if not b.is_zero}
    extra = [multistep_bound(cell, blocks)]
    van = pmb_bound(cell, blocks)
    if van is not None:
        extra.append(van)
    return Bounds(cell, blocks, env, tuple(extra))

r"""Norm bounds on a cell's Jacobian, derived mechanically from its term structure.

For a block :math:`J = \sum_k \operatorname{diag}(a_{k,0}) W_{k,1} \operatorname{diag}(a_{k,1})
\cdots`, the triangle inequality and submultiplicativity give the *state-dependent* bound

.. math::

    \|J\|_2 \le \sum_k \|a_{k,0}\|_\infty \|W_{k,1}\|_2 \|a_{k,1}\|_\infty \cdots,

and replacing each :math:`\|a\|_\infty` by its supremum from the lemmas
(:mod:`derivations.lemmas`: :math:`z(1 - z) \le 1/4`, :math:`1 - n^2 \le 1`,
:math:`|h - n| \le 2`, ...; :math:`|W v + b| \le \|W\|_\infty \|v\|_\infty + \|b\|_\infty`;
LSTM's :math:`\|c\|_\infty` kept as a symbol) gives the *global* bound in weight norms.
If the block has a diagonal carry :math:`J = \operatorname{diag}(\kappa) + E`, Weyl's
inequality gives :math:`\sigma_{\min}(J) \ge \min_i |\kappa_i| - \|E\|_2`. Saturation
limits, multi-step products and the Pascanu-Mikolov-Bengio condition follow
(:mod:`derivations._bounds_extra`). Nothing here is specific to a built-in cell: a
:class:`~derivations.CellBuilder` cell gets its bounds from the same code.

>>> import derivations as dv
>>> b = derive_bounds(dv.derive("gru", "pytorch"))
>>> b.main.global_upper
norm2_W_hn + norm2_W_hr*(norminf_W_hn/4 + norminf_b_hn/4) + norm2_W_hz/2 + 1
>>> derive_bounds(dv.derive("elman")).main.global_upper
norm2_W_hh
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ._bounds_extra import EPSILON, multistep_bound, pmb_bound, saturation_bound
from ._bounds_range import NORM_2, NORM_INF, Env, cell_env, norm_symbol, norm_target, sup_abs
from ._errors import DerivationError
from .jacobian import Block, Term
from .language import Cell
from .printing import GateLatexPrinter

__all__ = ["Bound", "TermBound", "BlockBounds", "Bounds", "derive_bounds", "bound_printer",
           "norm_symbol", "norm_target"]


@dataclass(frozen=True)
class Bound:
    """One proven inequality: its statement and proof in LaTeX, and its SymPy form.

    ``expr`` is the bound's right-hand side in norm symbols (``None`` if it is a
    statement about a limit); ``kind`` is one of ``'upper'``, ``'global upper'``,
    ``'lower'``, ``'identity gap'``, ``'saturation'``, ``'multistep'``, ``'vanishing'``,
    ``'no vanishing condition'``.
    """

    name: str
    kind: str
    block: tuple
    statement_latex: str
    proof_latex: str
    expr: sp.Expr | None = None
    data: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class TermBound:
    r"""A term and the supremum of :math:`|a_k|` for each of its coefficients."""

    term: Term
    sups: tuple

    @property
    def global_factor(self) -> sp.Expr:
        r""":math:`\prod_k \sup|a_k| \prod_j \|W_j\|_2`."""
        out = sp.Mul(*self.sups)
        for W in self.term.matrices:
            out = out * norm_symbol(W, NORM_2)
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

    def get(self, kind: str) -> Bound | None:
        return next((b for b in self.bounds if b.kind == kind), None)


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
        """Statements and proofs of every bound, as a LaTeX fragment."""
        parts = []
        for b in self.all():
            parts.append(r"\paragraph{%s.} $%s$" % (b.name, b.statement_latex)
                         + "\n\n" + r"\emph{Proof.} " + b.proof_latex + r" $\square$")
        return "\n\n".join(parts)


def norm_names(cell: Cell) -> dict:
    """LaTeX for every norm symbol of ``cell``'s weights, biases and states."""
    out = {}
    for s in (*cell.weights, *cell.biases, *cell.states, *cell.inputs):
        base = cell.latex_names.get(s, s.name)
        out[norm_symbol(s, NORM_INF)] = r"\|%s\|_\infty" % base
        out[norm_symbol(s, NORM_2)] = r"\|%s\|_2" % base
    return out


class BoundLatexPrinter(GateLatexPrinter):
    """The cell printer; products of scalars (norms, numbers) print as plain products."""

    def _print_Mul_positive(self, coeff, rest):
        if all(norm_target(s) is not None or s == EPSILON for s in rest.free_symbols):
            parts = []
            for f in sorted(sp.Mul.make_args(rest), key=sp.default_sort_key):
                t = self._print(f)
                parts.append("(%s)" % t if isinstance(f, sp.Add) else t)
            body = r" \, ".join(parts)
            if coeff == 1:
                return body
            return "%s %s" % (self._print(coeff), body) if body else self._print(coeff)
        return super()._print_Mul_positive(coeff, rest)


def bound_printer(cell: Cell) -> GateLatexPrinter:
    """The cell's printer, also naming the norm symbols (``\\|W_{hz}\\|_2``)."""
    order = {q.symbol: i for i, q in enumerate(cell.quantities)}
    return BoundLatexPrinter({**cell.latex_names, **norm_names(cell)}, order)


def _term_latex(t: Term, p, sup=False, sups=None) -> str:
    parts = []
    for k, a in enumerate(t.coeffs):
        if sup:
            if sups[k] != 1:
                parts.append(p.doprint(sups[k]))
        elif a != 1:
            parts.append(r"\|%s\|_\infty" % p.doprint(a))
        if k < len(t.matrices):
            parts.append(r"\|%s\|_2" % p.doprint(t.matrices[k]))
    return r" \, ".join(parts) or "1"


def _block_bounds(cell, key, block: Block, env: Env, p) -> BlockBounds:
    tbs = tuple(TermBound(t, tuple(sp.simplify(sup_abs(a, env)) for a in t.coeffs))
                for t in block.terms)
    glob = sp.Add(*(tb.global_factor for tb in tbs))
    rest = sp.Add(*(tb.global_factor for tb in tbs if not tb.term.is_diagonal))
    lhs = r"\left\|\frac{\partial %s}{\partial %s}\right\|_2" % (
        p.doprint(block.output), p.doprint(block.wrt))
    state_rhs = " + ".join(_term_latex(tb.term, p) for tb in tbs)
    glob_rhs = p.doprint(glob)
    sup_lines = []
    for tb in tbs:
        for a, s in zip(tb.term.coeffs, tb.sups, strict=True):
            if a != 1:
                sup_lines.append(r"\sup|%s| \le %s" % (p.doprint(a), p.doprint(s)))
    upper = Bound(
        f"state-dependent upper bound on d{key[0]}/d{key[1]}", "upper", key,
        f"{lhs} \\le {state_rhs}",
        r"The closed form is a sum of terms $\operatorname{diag}(a_0) W_1 \operatorname{diag}(a_1)"
        r"\cdots$; the triangle inequality and $\|AB\|_2 \le \|A\|_2 \|B\|_2$ with "
        r"$\|\operatorname{diag}(a)\|_2 = \|a\|_\infty$ bound each term.")
    gupper = Bound(
        f"global upper bound on d{key[0]}/d{key[1]}", "global upper", key,
        f"{lhs} \\le {glob_rhs}",
        r"Bound each $\|a\|_\infty$ in the state-dependent bound by its supremum from the "
        r"lemmas (gates in $[0, 1]$, $s(1 - s) \le \tfrac14$, $1 - t^2 \le 1$, "
        r"$|h| \le 1$ by the invariant, $|W v + b| \le \|W\|_\infty \|v\|_\infty + "
        r"\|b\|_\infty$): $" + r",\ ".join(sup_lines) + "$.", glob)
    bounds = [upper, gupper]
    carry = block.carry
    if carry is not None:
        rest_rhs = " + ".join(_term_latex(tb.term, p) for tb in tbs if not tb.term.is_diagonal)
        bounds.append(Bound(
            f"Weyl lower bound on d{key[0]}/d{key[1]}", "lower", key,
            (r"\sigma_{\min}\left(\frac{\partial %s}{\partial %s}\right) \ge \min_i |%s|_i"
             % (p.doprint(block.output), p.doprint(block.wrt), p.doprint(carry)))
            + (" - (%s)" % rest_rhs if rest_rhs else r" \text{ (equality: the block is diagonal)}"),
            r"Write $J = \operatorname{diag}(%s) + E$. Weyl's inequality for singular values "
            r"gives $\sigma_{\min}(J) \ge \sigma_{\min}(\operatorname{diag}(%s)) - \|E\|_2$, "
            r"$\sigma_{\min}$ of a diagonal matrix is its smallest $|$entry$|$, and $\|E\|_2$ "
            r"is bounded by the state-dependent bound of the non-carry terms."
            % (p.doprint(carry), p.doprint(carry)), None, {"carry": carry}))
        if all(tb.term.is_diagonal for tb in tbs):
            J = r"\frac{\partial %s}{\partial %s}" % (p.doprint(block.output), p.doprint(block.wrt))
            bounds.append(Bound(
                f"identity gap of d{key[0]}/d{key[1]}", "identity gap", key,
                r"\left\|%s - I\right\|_2 = \max_i |1 - %s|_i" % (J, p.doprint(carry)),
                r"$%s - I = \operatorname{diag}(%s - 1)$ is diagonal; the spectral norm of a "
                r"diagonal matrix is its largest $|$entry$|$." % (J, p.doprint(carry)),
                None, {"carry": carry}))
        sat = saturation_bound(cell, key, block, tbs, env, p)
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
    p = bound_printer(cell)
    blocks = {key: _block_bounds(cell, key, b, env, p)
              for key, b in jac.blocks.items() if not b.is_zero}
    extra = [multistep_bound(cell, blocks, p)]
    van = pmb_bound(cell, blocks, p)
    if van is not None:
        extra.append(van)
    return Bounds(cell, blocks, env, tuple(extra))

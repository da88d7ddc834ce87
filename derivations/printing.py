r"""LaTeX in standard notation for cells and their Jacobians.

:class:`GateLatexPrinter` is a small subclass of SymPy's ``LatexPrinter``: vector
symbols print with their time subscripts (``z_{t}``, ``h_{t-1}``), elementwise products
as ``\odot``, sums with their positive terms first (``1 - z_{t}``, not ``- z_{t} + 1``),
linear maps as ``W_{hz} h_{t-1}``, and the logistic function as ``\sigma``.

>>> import sympy as sp
>>> z, h, n = sp.symbols("z h n")
>>> names = {z: "z_{t}", h: "h_{t-1}", n: "n_{t}"}
>>> latex(z * (1 - z) * (h - n), names)
'z_{t} \\odot (1 - z_{t}) \\odot (h_{t-1} - n_{t})'
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from .jacobian import Block, Branch, Jacobian
from .language import MatVec

__all__ = ["GateLatexPrinter", "latex", "branch_latex", "block_latex", "jacobian_latex",
           "equation_latex", "printer_for", "TermOrder", "order_for"]


def _rank(term):
    if term.is_Number:
        return 0
    if isinstance(term, MatVec):
        return 1
    return 2


class TermOrder:
    """The order in which the gatebound printers (LaTeX, Typst) write sums and products.

    Sums: positive terms first (``1 - z``), numbers, then linear maps and biases in their
    declaration order (``W_ir x + W_hr h + b_ir + b_hr``). Products: factors by the
    definition order of the quantities they involve, each gate next to its complement
    (``z (1 - z) (h - n)``). ``order`` maps quantities, ``declared`` parameters to indices.
    """

    def _init_order(self, names=None, order=None, declared=None):
        self.names = dict(names or {})
        self.factor_order = dict(order or {})
        self.declared = dict(declared or {})

    def _factor_key(self, f):
        idx = max((self.factor_order.get(s, len(self.factor_order)) for s in f.free_symbols),
                  default=-1)
        return (idx, not isinstance(f, sp.Symbol), sp.default_sort_key(f))

    def _main(self, term):
        """Declaration index of a sum term's parameter (``W`` of ``W v``, or a bias)."""
        sym = term.matrix if isinstance(term, MatVec) else term
        return self.declared.get(sym, len(self.declared))

    def _ordered(self, expr):
        terms = list(sp.Add.make_args(expr))
        default = {t: i for i, t in enumerate(expr.as_ordered_terms())}
        return sorted(terms, key=lambda t: (t.could_extract_minus_sign(), _rank(t),
                                            self._main(t), default[t]))


def order_for(cell) -> dict:
    """``names``, ``order`` and ``declared`` of :class:`TermOrder` for ``cell``."""
    return {"order": {q.symbol: i for i, q in enumerate(cell.quantities)},
            "declared": {s: i for i, s in enumerate((*cell.weights, *cell.biases))}}


class GateLatexPrinter(TermOrder, LatexPrinter):
    """SymPy's LaTeX printer with the cell language's notation (see module doc)."""

    printmethod = "_gatebound_latex"

    def __init__(self, names=None, order=None, declared=None, **settings):
        LatexPrinter.__init__(self, settings)
        self._init_order(names, order, declared)

    def _print_Symbol(self, expr, style="plain"):
        if expr in self.names:
            return self.names[expr]
        return super()._print_Symbol(expr)

    def _print_MatVec(self, expr):
        W, v = expr.args
        inner = self._print(v)
        if isinstance(v, (sp.Add, sp.Mul)):
            inner = r"(%s)" % inner
        return f"{self._print(W)} {inner}"

    def _print_sigmoid(self, expr, exp=None):
        s = r"\sigma\left(%s\right)" % self._print(expr.args[0])
        return s if exp is None else r"\sigma^{%s}\left(%s\right)" % (exp, self._print(expr.args[0]))

    def _print_tanh(self, expr, exp=None):
        arg = self._print(expr.args[0])
        return r"\tanh(%s)" % arg if exp is None else r"\tanh^{%s}(%s)" % (exp, arg)

    def _print_Add(self, expr, order=None):
        out = ""
        for i, term in enumerate(self._ordered(expr)):
            if term.could_extract_minus_sign():
                body, sign = self._print(-term), " - " if i else "-"
            else:
                body, sign = self._print(term), " + " if i else ""
            if isinstance(-term if term.could_extract_minus_sign() else term, sp.Add):
                body = "(%s)" % body
            out += sign + body
        return out

    def _print_Mul(self, expr):
        coeff, rest = expr.as_coeff_Mul()
        if coeff.is_negative:
            return "-" + self._print_Mul_positive(-coeff, rest)
        return self._print_Mul_positive(coeff, rest)

    def _print_Mul_positive(self, coeff, rest):
        factors = sorted(sp.Mul.make_args(rest), key=self._factor_key)
        parts = []
        for f in factors:
            s = self._print(f)
            if isinstance(f, sp.Add):
                s = "(%s)" % s
            parts.append(s)
        body = r" \odot ".join(parts)
        if coeff == 1:
            return body
        c = self._print(coeff)
        return f"{c} {body}" if body else c

    def _print_Pow(self, expr):
        b, e = expr.base, expr.exp
        if e.is_Integer and e > 0 and isinstance(b, sp.tanh):
            return self._print_tanh(b, exp=self._print(e))
        if e.is_Integer and e > 0 and isinstance(b, sp.Symbol):
            return "%s^{%s}" % (self._print(b), self._print(e))
        return super()._print_Pow(expr)


def latex(expr, names=None, order=None) -> str:
    """Print an elementwise cell expression in the gatebound notation."""
    return GateLatexPrinter(names, order).doprint(expr)


def printer_for(cell) -> GateLatexPrinter:
    """A printer with ``cell``'s LaTeX names and factor order (gates in definition order)."""
    return GateLatexPrinter(cell.latex_names, **order_for(cell))


def _diag(p: GateLatexPrinter, coeff) -> str:
    return r"\operatorname{diag}(%s)" % p.doprint(coeff)


def branch_latex(branch: Branch, p: GateLatexPrinter) -> str:
    r"""One grouped branch: ``\operatorname{diag}(a) W [children]``."""
    parts = []
    if branch.coeff != 1:
        parts.append(_diag(p, branch.coeff))
    if branch.matrix is not None:
        parts.append(p.doprint(branch.matrix))
    kids = [branch_latex(c, p) for c in branch.children]
    if len(kids) == 1:
        parts.append(kids[0])
    elif kids:
        parts.append(r"\left[%s\right]" % " + ".join(kids))
    return " ".join(x for x in parts if x and x != "I") or "I"


def block_latex(block: Block, p: GateLatexPrinter, *, lhs=True, labelled=False) -> str:
    r"""``\frac{\partial h_{t}}{\partial h_{t-1}} = ...`` for one Jacobian block."""
    if block.is_zero:
        body = "0"
    elif labelled:
        body = " + ".join(r"\underbrace{%s}_{\text{%s}}" % (branch_latex(b, p), b.label)
                          for b in block.branches)
    else:
        body = " + ".join(branch_latex(b, p) for b in block.branches)
    if not lhs:
        return body
    frac = r"\frac{\partial %s}{\partial %s}" % (p.doprint(block.output), p.doprint(block.wrt))
    return f"{frac} = {body}"


def jacobian_latex(jac: Jacobian, p: GateLatexPrinter, *, labelled=False) -> str:
    """All blocks; a single ``=`` line for one state, an ``aligned`` list otherwise."""
    if jac.is_single_state:
        return block_latex(jac.main, p, labelled=labelled)
    rows = [block_latex(b, p, labelled=labelled).replace(" = ", " &= ", 1)
            for b in jac.blocks.values()]
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def equation_latex(cell) -> str:
    """The cell's equations as an ``aligned`` block."""
    p = printer_for(cell)
    rows = [f"{p.doprint(q.symbol)} &= {p.doprint(q.expr)}" for q in cell.quantities]
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

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

from ._cell import MatVec
from .functions import activation
from .jacobian import Block, Branch, Jacobian
from .naming import Display, Name
from .statements import EYE, RELATIONS, Diag, Partial, Words, is_scalar  # noqa: F401 - Words: by MRO

__all__ = ["GateLatexPrinter", "latex", "latex_name", "branch_latex", "block_latex",
           "jacobian_latex", "equation_latex", "printer_for", "TermOrder", "order_for"]


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


_REL_LATEX = dict(zip(RELATIONS, ("<", r"\le", "=", r"\ge", ">", r"\ne"), strict=True))
_REL_OF = {"StrictLessThan": "<", "LessThan": "<=", "Equality": "=", "GreaterThan": ">=",
           "StrictGreaterThan": ">", "Unequality": "!="}


def _powered(method):
    """A node printer that also takes SymPy's ``exp=`` (the node raised to a power)."""

    def printer(self, expr, exp=None):
        body = method(self, expr)
        return body if exp is None else r"\left(%s\right)^{%s}" % (body, exp)

    printer.__name__ = method.__name__
    printer.__doc__ = method.__doc__
    return printer


def latex_name(name: Name, time=None) -> str:
    r"""A :class:`~derivations.naming.Name` at a time in LaTeX: ``W_{hz}``, ``\tilde{h}_{t}``."""
    base = {"letter": name.base, "greek": "\\" + name.base,
            "word": r"\mathrm{%s}" % name.base}[name.kind]
    if name.accent:
        base = r"\%s{%s}" % (name.accent, base)
    subs = [x for x in (name.sub, None if time is None else time.value) if x]
    return "%s_{%s}" % (base, ",".join(subs)) if subs else base


class GateLatexPrinter(TermOrder, LatexPrinter):
    """SymPy's LaTeX printer with the cell language's notation (see module doc).

    ``names`` maps symbols to a :class:`~derivations.naming.Display` (or a LaTeX string);
    the ``texts`` setting maps :class:`~derivations.statements.Words` members to the
    words to print (default: their English values).
    """

    printmethod = "_gatebound_latex"
    _default_settings = {**LatexPrinter._default_settings, "texts": None, "scalar": False}

    def __init__(self, names=None, order=None, declared=None, **settings):
        LatexPrinter.__init__(self, settings)
        self._init_order(names, order, declared)

    def _print_Symbol(self, expr, style="plain"):
        if expr in self.names:
            shown = self.names[expr]
            return shown if isinstance(shown, str) else self._print(shown)
        return super()._print_Symbol(expr)

    def _is_scalar(self, f) -> bool:
        """True for a scalar factor (a norm, a number, a scalar variable): multiplied by
        juxtaposition, not by the elementwise product."""
        return self._settings.get("scalar") or is_scalar(f)

    # -- names, words, statements ------------------------------------------------------
    def _print_Display(self, d):
        return latex_name(d.name, d.time)

    @_powered
    def _print_At(self, expr):
        shown = self.names.get(expr.symbol)
        name = shown.name if isinstance(shown, Display) else Name.from_code(expr.symbol.name)
        return latex_name(name, expr.time)

    def _print_Words(self, w):
        texts = self._settings.get("texts") or {}
        return r"\text{%s}" % texts.get(w, w.value)

    @_powered
    def _print_Norm(self, expr):
        sub = "2" if expr.p == 2 else r"\infty"
        inner = self._print(expr.arg)
        if isinstance(expr.arg, sp.Symbol) and expr.arg.is_real:  # a cell's scalar: |dt|
            return r"|%s|" % inner
        if isinstance(expr.arg, (sp.Add, Partial)):
            return r"\left\|%s\right\|_%s" % (inner, sub)
        return r"\|%s\|_%s" % (inner, sub)

    @_powered
    def _print_SigmaMin(self, expr):
        return r"\sigma_{\min}\left(%s\right)" % self._print(expr.args[0])

    @_powered
    def _print_SigmaMax(self, expr):
        return r"\sigma_{\max}\left(%s\right)" % self._print(expr.args[0])

    @_powered
    def _print_Diag(self, expr):
        arg = expr.args[0]
        if not arg.is_number and is_scalar(arg):  # a scalar times I: dt^2 W, not diag(dt^2) W
            return self._print(arg) if not isinstance(arg, sp.Add) else r"(%s)" % self._print(arg)
        return r"\operatorname{diag}(%s)" % self._print(arg)

    def _print_Eye(self, expr):
        return "I"

    def _print_Transposed(self, expr):
        return r"%s^{T}" % self._print(expr.args[0])

    @_powered
    def _print_Partial(self, expr):
        return r"\frac{\partial %s}{\partial %s}" % (self._print(expr.output),
                                                     self._print(expr.wrt))

    def _print_Stacked(self, expr):
        return r"\left[%s\right]" % ", ".join(self._print(a) for a in expr.args)

    def _entries(self, op, expr):
        a = expr.args[0]
        if isinstance(a, sp.Abs):
            return r"\%s_i |%s|_i" % (op, self._print(a.args[0]))
        inner = self._print(a)
        bare = isinstance(a, sp.Symbol) and "_" not in inner     # z_i, but (z_{t})_i
        return r"\%s_i %s_i" % (op, inner) if bare else r"\%s_i (%s)_i" % (op, inner)

    @_powered
    def _print_EntryMax(self, expr):
        return self._entries("max", expr)

    @_powered
    def _print_EntryMin(self, expr):
        return self._entries("min", expr)

    @_powered
    def _print_Sup(self, expr):
        a = expr.args[0]
        if isinstance(a, sp.Abs):
            return r"\sup|%s|" % self._print(a.args[0])
        return r"\sup %s" % self._print(a)

    def _print_Relational(self, expr):
        op = _REL_LATEX[_REL_OF[type(expr).__name__]]
        return "%s %s %s" % (self._print(expr.lhs), op, self._print(expr.rhs))

    def _print_Chain(self, c):
        out = self._print(c.first)
        for op, e in c.links:
            out += " %s %s" % (_REL_LATEX[op], self._print(e))
        return out

    def _print_Implies(self, s):
        return r"%s \implies %s" % (self._print(s.premise), self._print(s.conclusion))

    def _print_Tends(self, s):
        return r"%s \to %s" % (self._print(s.expr), self._print(s.limit))

    def _print_Statements(self, s):
        return r",\quad ".join(self._print(x) for x in s.items)

    def _print_Juxt(self, s):
        return " ".join(self._print(x) for x in s.parts)

    def _print_MatVec(self, expr):
        W, v = expr.args
        inner = self._print(v)
        if isinstance(v, (sp.Add, sp.Mul)):
            inner = r"(%s)" % inner
        return f"{self._print(W)} {inner}"

    def _print_Function(self, expr, exp=None):
        act = activation(expr)
        if act is None:
            return super()._print_Function(expr, exp)
        arg = self._print(expr.args[0])
        head = act.latex if exp is None else "%s^{%s}" % (act.latex, exp)
        return r"%s\left(%s\right)" % (head, arg)

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
        args = sp.Mul.make_args(rest)
        den = [f.base ** -f.exp for f in args if f.is_Pow and f.exp.is_Rational
               and f.exp.is_negative]
        if den:
            num = sp.Mul(*(f for f in args if not (f.is_Pow and f.exp.is_Rational
                                                   and f.exp.is_negative)))
            p, q = (coeff.p, coeff.q) if coeff.is_Rational else (coeff, 1)
            top = self._print(p * num)
            bottom = self._print(sp.Mul(q, *den, evaluate=False) if q != 1 else sp.Mul(*den))
            return r"\frac{%s}{%s}" % (top, bottom)
        factors = sorted(args, key=self._factor_key)
        scalars = [f for f in factors if self._is_scalar(f)]
        vectors = [f for f in factors if not self._is_scalar(f)]

        def show(f):
            s = self._print(f)
            return "(%s)" % s if isinstance(f, sp.Add) else s

        body = r" \odot ".join(show(f) for f in vectors)
        if scalars:
            head = r" \, ".join(show(f) for f in scalars)
            body = f"{head} {body}" if body else head
        if coeff == 1:
            return body
        c = self._print(coeff)
        return f"{c} {body}" if body else c

    def _print_Infinity(self, expr):
        return r"\infty"

    def _print_Heaviside(self, expr, exp=None):
        r"""``Heaviside(u, 0)`` as the indicator :math:`\mathbf{1}_{u > 0}` (``H0 = 1``:
        :math:`u \ge 0`); SymPy's :math:`\theta(u)` for the tie value 1/2."""
        cond = _heaviside_condition(expr)
        if cond is None:
            return super()._print_Heaviside(expr, exp)
        s = r"\mathbf{1}_{%s}" % self._print(cond)
        return s if exp is None else "%s^{%s}" % (s, exp)

    def _print_NegativeInfinity(self, expr):
        return r"-\infty"

    def _print_Pow(self, expr):
        b, e = expr.base, expr.exp
        if e.is_Rational and e.is_negative:          # 1/x: SymPy's own printer would call
            den = self._print(b ** -e)               # back into _print_Mul for it
            return r"\frac{1}{%s}" % den
        if e.is_Integer and e > 0 and activation(b) is not None:
            return self._print_Function(b, exp=self._print(e))
        if e.is_Integer and e > 0 and isinstance(b, sp.Symbol):
            return "%s^{%s}" % (self._print(b), self._print(e))
        return super()._print_Pow(expr)


def _heaviside_condition(expr):
    """The condition a ``Heaviside(u, H0)`` with ``H0`` 0 or 1 indicates, else ``None``."""
    arg, h0 = expr.args[0], (expr.args[1] if len(expr.args) > 1 else sp.S.Half)
    if h0 == 0:
        return sp.StrictGreaterThan(arg, 0, evaluate=False)
    if h0 == 1:
        return sp.GreaterThan(arg, 0, evaluate=False)
    return None


def latex(expr, names=None, order=None) -> str:
    """Print an elementwise cell expression in the gatebound notation."""
    return GateLatexPrinter(names, order).doprint(expr)


def printer_for(cell) -> GateLatexPrinter:
    """A printer with ``cell``'s displayed names (:attr:`Cell.displays`) and factor order
    (gates in definition order)."""
    return GateLatexPrinter(cell.displays, **order_for(cell))


def branch_latex(branch: Branch, p: GateLatexPrinter) -> str:
    r"""One grouped branch: ``\operatorname{diag}(a) W [children]``."""
    if branch.is_identity:
        return p.doprint(EYE)
    parts = []
    if branch.coeff != 1:
        parts.append(p.doprint(Diag(branch.coeff)))
    if branch.matrix is not None:
        parts.append(p.doprint(branch.matrix))
    kids = branch.children
    if len(kids) == 1 and not kids[0].is_identity:
        parts.append(branch_latex(kids[0], p))
    elif len(kids) > 1:
        parts.append(r"\left[%s\right]" % " + ".join(branch_latex(c, p) for c in kids))
    return " ".join(parts) or p.doprint(EYE)


def _block_body(block: Block, p: GateLatexPrinter, labelled: bool) -> str:
    if block.is_zero:
        return "0"
    if labelled:
        return " + ".join(r"\underbrace{%s}_{\text{%s}}" % (branch_latex(b, p), b.label)
                          for b in block.branches)
    return " + ".join(branch_latex(b, p) for b in block.branches)


def block_latex(block: Block, p: GateLatexPrinter, *, lhs=True, labelled=False) -> str:
    r"""``\frac{\partial h_{t}}{\partial h_{t-1}} = ...`` for one Jacobian block."""
    body = _block_body(block, p, labelled)
    return f"{p.doprint(Partial(block.output, block.wrt))} = {body}" if lhs else body


def jacobian_latex(jac: Jacobian, p: GateLatexPrinter, *, labelled=False) -> str:
    """All blocks; a single ``=`` line for one state, an ``aligned`` list otherwise."""
    if jac.is_single_state:
        return block_latex(jac.main, p, labelled=labelled)
    rows = [f"{p.doprint(Partial(b.output, b.wrt))} &= {_block_body(b, p, labelled)}"
            for b in jac.blocks.values()]
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def equation_latex(cell) -> str:
    """The cell's equations as an ``aligned`` block."""
    p = printer_for(cell)
    rows = [f"{p.doprint(q.symbol)} &= {p.doprint(q.expr)}" for q in cell.quantities]
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

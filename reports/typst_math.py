r"""Typst math for the cell language: a subclass of SymPy's ``Printer``.

The notation matches :class:`derivations.printing.GateLatexPrinter`: vector symbols carry
their time subscripts (``z_t``, ``h_(t-1)``, ``tilde(h)_t``), weights their multi-letter
subscripts as separate letters (``W_(h z)``), elementwise products print as ``dot.o``
(:math:`\odot`), sums put positive terms first (``1 - z_t``), ``MatVec(W, v)`` prints
``W_(h n) h_(t-1)``, the logistic function ``sigma(...)``, ``diag`` as ``op("diag")``.

>>> import sympy as sp
>>> z, h, n = sp.symbols("z h n")
>>> from derivations.naming import Display, Name, Time
>>> names = {z: Display(Name("z"), Time.NOW), h: Display(Name("h"), Time.PREV),
...          n: Display(Name("n"), Time.NOW)}
>>> typst(z * (1 - z) * (h - n), names)
'z_t dot.o (1 - z_t) dot.o (h_(t-1) - n_t)'
>>> (typst_display(Name.from_code("W_hz")), typst_display(Name("h"), Time.PREV),
...  typst_display(Name.from_code("h_tilde"), Time.NOW))
('W_(h z)', 'h_(t-1)', 'tilde(h)_t')
"""

from __future__ import annotations

import re

import mpmath
import sympy as sp
from sympy.printing.printer import Printer

from derivations.functions import activation
from derivations.language import MatVec
from derivations.naming import Display, Name
from derivations.printing import TermOrder, order_for
from derivations.statements import is_scalar

from ._errors import ReportError
from ._escape import typst_string

__all__ = ["TypstPrinter", "typst", "typst_printer_for", "typst_display"]

#: Greek letters whose Typst name differs from the LaTeX one
_TYPST_GREEK = {"varepsilon": "epsilon.alt", "epsilon": "epsilon"}
_REL_TYPST = {"<": "<", "<=": "<=", "=": "=", ">=": ">=", ">": ">", "!=": "!="}
_REL_OF = {"StrictLessThan": "<", "LessThan": "<=", "Equality": "=", "GreaterThan": ">=",
           "StrictGreaterThan": ">", "Unequality": "!="}


def typst_display(name: Name, time=None) -> str:
    """A :class:`~derivations.naming.Name` at a time in Typst math: ``W_(h z)``,
    ``tilde(h)_t``, ``h_(t-1)``, ``upright("emb")``."""
    base = {"letter": name.base, "greek": _TYPST_GREEK.get(name.base, name.base),
            "word": f"upright({typst_string(name.base)})"}[name.kind]
    if name.accent:
        base = f"{name.accent}({base})"
    subs = []
    if name.sub:
        # letters apart (``h z``), and a letter from a digit (``i 1``): "hz" or "i1" would be
        # one Typst variable
        subs.append(re.sub(r"(?<=[A-Za-z])(?=[A-Za-z0-9])|(?<=[0-9])(?=[A-Za-z])", " ",
                           name.sub))
    if time is not None:
        subs.append(time.value)
    if not subs:
        return base
    sub = ", ".join(subs)
    return f"{base}_{sub}" if re.fullmatch(r"[A-Za-z0-9]", sub) else f"{base}_({sub})"


class TypstPrinter(TermOrder, Printer):
    """SymPy expressions of the cell language as Typst math (see the module doc).

    ``names`` maps symbols to a :class:`~derivations.naming.Display` (or a Typst string);
    the ``texts`` setting maps :class:`~derivations.statements.Words` members to the words
    to print (default: their English values).
    """

    printmethod = "_typst"
    _default_settings = {"texts": None}

    def __init__(self, names=None, order=None, *, scalar=False, declared=None, **settings):
        Printer.__init__(self, settings)
        self._init_order(names, order, declared)
        self.scalar = scalar
        self.times = " " if scalar else " dot.o "

    # -- names, words, statements ------------------------------------------------------
    def _print_Display(self, d):
        return typst_display(d.name, d.time)

    def _print_At(self, expr, exp=None):
        shown = self.names.get(expr.symbol)
        name = shown.name if isinstance(shown, Display) else Name.from_code(expr.symbol.name)
        return _pow(typst_display(name, expr.time), exp)

    def _print_Words(self, w):
        texts = self._settings.get("texts") or {}
        return typst_string(texts.get(w, w.value))

    def _print_Norm(self, expr, exp=None):
        sub = "2" if expr.p == 2 else "oo"
        if isinstance(expr.arg, sp.Symbol) and expr.arg.is_real:  # a cell's scalar: |dt|
            return _pow(f"abs({self._print(expr.arg)})", exp)
        return _pow(f"norm({self._print(expr.arg)})_{sub}", exp)

    def _print_SigmaMin(self, expr, exp=None):
        return _pow(f"sigma_min ({self._print(expr.args[0])})", exp)

    def _print_SigmaMax(self, expr, exp=None):
        return _pow(f"sigma_max ({self._print(expr.args[0])})", exp)

    def _print_Diag(self, expr, exp=None):
        arg = expr.args[0]
        if not arg.is_number and is_scalar(arg):  # a scalar times I: dt^2 W, not diag(dt^2) W
            return _pow(self._print(arg) if not isinstance(arg, sp.Add)
                        else f"({self._print(arg)})", exp)
        return _pow(f'op("diag")({self._print(arg)})', exp)

    def _print_Eye(self, expr):
        return "I"

    def _print_Transposed(self, expr):
        return f"{self._print(expr.args[0])}^T"

    def _print_Partial(self, expr, exp=None):
        return _pow(f"(partial {self._print(expr.output)})/(partial {self._print(expr.wrt)})",
                    exp)

    def _print_Stacked(self, expr):
        return "lr([%s])" % ", ".join(self._print(a) for a in expr.args)

    def _entries(self, op, expr, exp):
        a = expr.args[0]
        if isinstance(a, sp.Abs):
            return _pow(f"{op}_i abs({self._print(a.args[0])})_i", exp)
        inner = self._print(a)
        bare = isinstance(a, sp.Symbol) and "_" not in inner
        body = f"{inner}_i" if bare else f"({inner})_i"
        return _pow(f"{op}_i {body}", exp)

    def _print_EntryMax(self, expr, exp=None):
        return self._entries("max", expr, exp)

    def _print_EntryMin(self, expr, exp=None):
        return self._entries("min", expr, exp)

    def _print_Sup(self, expr, exp=None):
        return _pow(f"sup {self._print(expr.args[0])}", exp)

    def _print_Relational(self, expr):
        return self._rel(expr, _REL_TYPST[_REL_OF[type(expr).__name__]])

    def _print_Chain(self, c):
        out = self._print(c.first)
        for op, e in c.links:
            out += f" {_REL_TYPST[op]} {self._print(e)}"
        return out

    def _print_Implies(self, s):
        return f"{self._print(s.premise)} ==> {self._print(s.conclusion)}"

    def _print_Tends(self, s):
        return f"{self._print(s.expr)} -> {self._print(s.limit)}"

    def _print_Statements(self, s):
        return ", quad ".join(self._print(x) for x in s.items)

    def _print_Juxt(self, s):
        return " ".join(self._print(x) for x in s.parts)

    def _print_Indexed(self, expr):
        base = self._print(expr.base.label)
        idx = ", ".join(self._print(i) for i in expr.indices)
        return f"{base}_{idx}" if re.fullmatch(r"[A-Za-z0-9]", idx) else f"{base}_({idx})"

    def _print_Product(self, expr):
        (var, lo, hi), = expr.limits
        return (f"product_({self._print(var)} = {self._print(lo)})^{_wrap(self._print(hi))} "
                f"{self._print(expr.function)}")

    def _print_Contains(self, expr):
        return f"{self._print(expr.args[0])} in {self._print(expr.args[1])}"

    def _print_FiniteSet(self, expr):
        return "{" + ", ".join(self._print(a) for a in expr.args) + "}"

    def _print_Union(self, expr):
        return " union ".join(self._print(a) for a in expr.args)

    def _print_Heaviside(self, expr, exp=None):
        arg, h0 = expr.args[0], (expr.args[1] if len(expr.args) > 1 else sp.S.Half)
        if h0 in (0, 1):
            rel = sp.StrictGreaterThan if h0 == 0 else sp.GreaterThan
            s = f"bold(1)_({self._print(rel(arg, 0, evaluate=False))})"
        else:
            s = f"theta({self._print(arg)})"
        return s if exp is None else f"({s})^{exp}"

    # -- atoms -------------------------------------------------------------------------
    def _print_Symbol(self, expr):
        if expr in self.names:
            shown = self.names[expr]
            return shown if isinstance(shown, str) else self._print(shown)
        return typst_display(Name.from_code(expr.name))

    def _print_Dummy(self, expr):
        return self._print_Symbol(expr)

    def _print_Integer(self, expr):
        return str(expr.p)

    def _print_int(self, expr):
        return str(expr)

    def _print_Rational(self, expr):
        sign = "-" if expr.p < 0 else ""
        return f"{sign}{abs(expr.p)}/{expr.q}"

    def _print_Float(self, expr):
        """At the Float's own precision (at most 6 digits); ``1.23 dot 10^(-9)``."""
        digits = max(1, min(6, mpmath.libmp.prec_to_dps(expr._prec)))
        text = f"{float(expr):.{digits}g}"
        mant, _, exp = text.partition("e")
        return f"{mant} dot 10^({int(exp)})" if exp else mant

    def _print_Sum(self, expr):
        (var, lo, hi), = expr.limits
        return (f"sum_({self._print(var)} = {self._print(lo)})^{_wrap(self._print(hi))} "
                f"{self._print(expr.function)}")

    def _print_Infinity(self, expr):
        return "infinity"

    def _print_NegativeInfinity(self, expr):
        return "-infinity"

    def _print_Exp1(self, expr):
        return "e"

    def _print_Pi(self, expr):
        return "pi"

    # -- functions ---------------------------------------------------------------------
    def _fn(self, name, expr, exp=None):
        args = ", ".join(self._print(a) for a in expr.args)
        head = name if exp is None else f"{name}^{exp}"
        return f"{head}({args})"

    def _print_exp(self, expr, exp=None):
        return f"e^({self._print(expr.args[0])})" if exp is None else \
            f"e^({exp} {self._print(expr.args[0])})"

    def _print_log(self, expr, exp=None):
        return self._fn("ln", expr, exp)

    def _print_Abs(self, expr, exp=None):
        s = f"abs({self._print(expr.args[0])})"
        return s if exp is None else f"{s}^{exp}"

    def _print_Max(self, expr):
        return "max(%s)" % ", ".join(self._print(a) for a in expr.args)

    def _print_Min(self, expr):
        return "min(%s)" % ", ".join(self._print(a) for a in expr.args)

    def _print_Function(self, expr, exp=None):
        act = activation(expr)
        if act is not None:
            return self._fn(act.typst, expr, exp)
        name = expr.func.__name__
        return self._fn(f"op({typst_string(name)})", expr, exp)

    def _print_MatVec(self, expr):
        W, v = expr.args
        inner = self._print(v)
        if isinstance(v, (sp.Add, sp.Mul)):
            inner = f"({inner})"
        return f"{self._print(W)} {inner}"

    # -- arithmetic --------------------------------------------------------------------
    def _print_Add(self, expr, order=None):
        out = ""
        for i, term in enumerate(self._ordered(expr)):
            neg = term.could_extract_minus_sign()
            body = self._print(-term if neg else term)
            if isinstance(-term if neg else term, sp.Add):
                body = f"({body})"
            out += (" - " if i else "-") + body if neg else (" + " if i else "") + body
        return out

    def _product(self, factors):
        def show(f):
            s = self._print(f)
            return f"({s})" if isinstance(f, sp.Add) else s

        ordered = sorted(factors, key=self._factor_key)
        scalars = [show(f) for f in ordered if self.scalar or is_scalar(f)]
        vectors = [show(f) for f in ordered if not (self.scalar or is_scalar(f))]
        return " ".join(x for x in (" ".join(scalars), " dot.o ".join(vectors)) if x)

    def _print_Mul(self, expr):
        coeff, rest = expr.as_coeff_Mul()
        sign = ""
        if coeff.is_negative:
            sign, coeff = "-", -coeff
        num, den = [], []
        for f in sp.Mul.make_args(rest):
            if f.is_Pow and f.exp.is_Number and f.exp.is_negative:
                den.append(f.base ** (-f.exp))
            else:
                num.append(f)
        if coeff.is_Rational and coeff.q != 1:
            den.insert(0, sp.Integer(coeff.q))
            coeff = sp.Integer(coeff.p)
        body = self._product(num) if num else ""
        if coeff != 1 or not body:
            c = self._print(coeff)
            body = f"{c} {body}" if body else c
        if den:
            d = self._product(den)
            body = f"{_wrap(body)}/{_wrap(d)}"
        return sign + body

    def _print_Pow(self, expr):
        b, e = expr.base, expr.exp
        if e == sp.S.Half:
            return f"sqrt({self._print(b)})"
        if e.is_Number and e.is_negative:
            inner = self._print(b ** (-e))
            return f"1/({inner})" if " " in inner else f"1/{inner}"
        es = self._print(e)
        es = es if re.fullmatch(r"[0-9]+|[A-Za-z]", es) else f"({es})"
        if activation(b) is not None:
            return self._print_Function(b, exp=es)
        if isinstance(b, sp.Function) and not isinstance(b, MatVec):
            meth = getattr(self, f"_print_{type(b).__name__}", None)
            if meth is not None:
                try:
                    return meth(b, exp=es)
                except TypeError:
                    pass
        bs = self._print(b)
        if not isinstance(b, sp.Symbol) and not (b.is_Integer and b >= 0):
            bs = f"({bs})"
        return f"{bs}^{es}"

    # -- relations and sets ------------------------------------------------------------
    def _rel(self, expr, op):
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_Equality(self, expr):
        return self._rel(expr, "=")

    def _print_Unequality(self, expr):
        return self._rel(expr, "!=")

    def _print_LessThan(self, expr):
        return self._rel(expr, "<=")

    def _print_StrictLessThan(self, expr):
        return self._rel(expr, "<")

    def _print_GreaterThan(self, expr):
        return self._rel(expr, ">=")

    def _print_StrictGreaterThan(self, expr):
        return self._rel(expr, ">")

    def _print_Interval(self, expr):
        lo = "(" if expr.left_open else "["
        hi = ")" if expr.right_open else "]"
        return f"lr({lo} {self._print(expr.start)}, {self._print(expr.end)} {hi})"

    def emptyPrinter(self, expr):
        raise ReportError(f"the Typst printer cannot print {type(expr).__name__}: {expr!r}")


def _pow(s: str, exp) -> str:
    return s if exp is None else f"({s})^{exp}"


def _enclosed(s: str) -> bool:
    """True if ``s`` is one parenthesised group ``( ... )``."""
    if not (s.startswith("(") and s.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(s):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and i < len(s) - 1:
            return False
    return True


def _wrap(s: str) -> str:
    return f"({s})" if " " in s and not _enclosed(s) else s


def typst(expr, names=None, order=None, *, scalar=False) -> str:
    """Print an elementwise cell expression as Typst math (without ``$``).

    ``scalar=True`` prints products by juxtaposition instead of ``dot.o``.

    >>> import sympy as sp
    >>> s = sp.Symbol("s")
    >>> typst(sp.Rational(1, 4) - s * (1 - s), scalar=True)
    '1/4 - s (1 - s)'
    """
    return TypstPrinter(names, order, scalar=scalar).doprint(expr)


def typst_printer_for(cell) -> TypstPrinter:
    """A printer with ``cell``'s displayed names (:attr:`Cell.displays`) and factor order."""
    return TypstPrinter(cell.displays, **order_for(cell))

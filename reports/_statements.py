r"""Statements (derivations.statements) as report blocks: display rows broken by structure,
inline math, and prose with translated words (private).

A display is cut where its structure says, never by scanning printed text:

1. a :class:`~derivations.statements.Statements` list: one group of rows per item;
2. a relation or :class:`~derivations.statements.Chain`: one row per relation, aligned
   on it; an :class:`~derivations.statements.Implies`: the premise, then the conclusion
   on a row of its own after :math:`\implies`;
3. a side wider than ``width`` (measured on its Typst form): its top-level terms over
   continuation rows (``+ ...``).

Both engines get the same rows: every piece is printed by the LaTeX and the Typst printer.

>>> import sympy as sp
>>> from derivations.statements import Chain, Norm
>>> a, b, c, d = sp.symbols("a b c d")
>>> rows = statement_rows(Chain(Norm(a), (("<=", b + c + d), ("<=", 2 * b))), width=6)
>>> [(r.latex_lhs, r.latex_rel, r.latex_rhs) for r in rows]
[('\\|a\\|_2', '\\le', 'b + c'), ('', '', '+ d'), ('', '\\le', '2 b')]
"""

from __future__ import annotations

import sympy as sp

from derivations.printing import GateLatexPrinter
from derivations.statements import RELATIONS, Chain, Implies, Juxt, Prose, Statements, Words

from .model import ByLang, M, Math, MathRow, Tr
from .typst_math import TypstPrinter

__all__ = ["Printers", "statement_rows", "statement_math", "inline_math", "prose_parts",
           "words_tr"]

_LATEX_REL = dict(zip(RELATIONS, ("<", r"\le", "=", r"\ge", ">", r"\ne"), strict=True))
_TYPST_REL = dict(zip(RELATIONS, ("<", "<=", "=", ">=", ">", "!="), strict=True))
_REL_OF = {"StrictLessThan": "<", "LessThan": "<=", "Equality": "=", "GreaterThan": ">=",
           "StrictGreaterThan": ">", "Unequality": "!="}


class Printers:
    """A LaTeX and a Typst printer with the same names (a cell's, or none) and word table."""

    def __init__(self, latex: GateLatexPrinter | None = None, typst: TypstPrinter | None = None):
        self.latex = latex or GateLatexPrinter()
        self.typst = typst or TypstPrinter()

    @classmethod
    def for_cell(cls, cell, texts=None) -> Printers:
        """Printers with ``cell``'s names and factor order, words from ``texts``."""
        from derivations.printing import printer_for

        from .typst_math import typst_printer_for

        pl, pt = printer_for(cell), typst_printer_for(cell)
        if texts:
            pl._settings["texts"] = pt._settings["texts"] = dict(texts)
        return cls(pl, pt)

    def with_texts(self, texts) -> Printers:
        """The same printers printing :class:`Words` from ``texts``."""
        pl = GateLatexPrinter(self.latex.names, self.latex.factor_order, self.latex.declared,
                              texts=dict(texts), scalar=self.latex._settings.get("scalar"))
        pt = TypstPrinter(self.typst.names, self.typst.factor_order,
                          declared=self.typst.declared, scalar=self.typst.scalar,
                          texts=dict(texts))
        return Printers(pl, pt)

    def both(self, node) -> tuple:
        return self.latex.doprint(node), self.typst.doprint(node)


def _links(node):
    """``(first, [(op, expr), ...])`` of a relation or chain, else ``None``."""
    if isinstance(node, Chain):
        return node.first, list(node.links)
    if isinstance(node, sp.core.relational.Relational):
        return node.lhs, [(_REL_OF[type(node).__name__], node.rhs)]
    return None


def _pieces(expr, pr: Printers, width: int) -> list:
    """``expr`` as (latex, typst) lines: one line, or its terms spread over lines."""
    lt, ty = pr.both(expr)
    if len(ty) <= width or not isinstance(expr, sp.Add):
        return [(lt, ty)]
    terms = pr.typst._ordered(expr)
    groups, cur = [], []
    for term in terms:
        trial = cur + [term]
        # a row after the first starts with "+ " or "- ": two characters of its width
        prefix = 2 if groups else 0
        if cur and len(pr.typst.doprint(sp.Add(*trial, evaluate=False))) + prefix > width:
            groups.append(cur)
            trial = [term]
        cur = trial
    groups.append(cur)
    out = []
    for k, g in enumerate(groups):
        e = sp.Add(*g, evaluate=False) if len(g) > 1 else g[0]
        lt, ty = pr.both(e)
        if k and not g[0].could_extract_minus_sign():
            lt, ty = "+ " + lt, "+ " + ty
        elif k:
            lt, ty = "- " + pr.latex.doprint(-g[0] if len(g) == 1 else -e), \
                "- " + pr.typst.doprint(-g[0] if len(g) == 1 else -e)
        out.append((lt, ty))
    return out


def _item_rows(node, pr: Printers, width: int, label) -> list:
    if isinstance(node, Implies):
        first = _item_rows(node.premise, pr, width, label)
        rest = _item_rows(node.conclusion, pr, width, None)
        head = rest[0]
        lt = head.latex_lhs or head.latex_rhs
        ty = head.typst_lhs or head.typst_rhs
        merged = f"==> {ty}" + (f" {head.typst_rel} {head.typst_rhs}" if head.typst_lhs else "")
        if head.typst_lhs and len(merged) > width:
            # too wide for one row: the conclusion's left side, then its relation aligned
            rest[0:1] = [MathRow("", rf"\implies {lt}", "", f"==> {ty}", None, "", ""),
                         MathRow("", head.latex_rhs, "", head.typst_rhs, None,
                                 head.latex_rel, head.typst_rel)]
            return first + rest
        rest[0] = MathRow("", rf"\implies {lt}" + (f" {head.latex_rel} {head.latex_rhs}"
                                                   if head.latex_lhs else ""),
                          "", merged, None, "", "")
        return first + rest
    chain = _links(node)
    if chain is None:
        lt, ty = pr.both(node)
        return [MathRow("", lt, "", ty, label, "", "")]
    first, links = chain
    lhs_l, lhs_t = pr.both(first)
    rows = []
    for k, (op, expr) in enumerate(links):
        for j, (lt, ty) in enumerate(_pieces(expr, pr, width)):
            head = k == 0 and j == 0
            rows.append(MathRow(lhs_l if head else "", lt, lhs_t if head else "", ty,
                                label if head else None, _LATEX_REL[op] if j == 0 else "",
                                _TYPST_REL[op] if j == 0 else ""))
    return rows


def statement_rows(stmt, pr: Printers | None = None, *, width: int = 70, label=None) -> list:
    """The display rows (:class:`~reports.model.MathRow`) of a statement."""
    pr = pr or Printers()
    items = stmt.items if isinstance(stmt, Statements) else (stmt,)
    rows = []
    for k, item in enumerate(items):
        rows += _item_rows(item, pr, width, label if k == 0 else None)
    return rows


def statement_math(stmt, pr: Printers | None = None, *, width: int = 70, label=None) -> Math:
    """A statement as one display block, broken by structure."""
    return Math(tuple(statement_rows(stmt, pr, width=width, label=label)))


def inline_math(node, pr: Printers | None = None) -> M:
    """Inline math of a node in both syntaxes."""
    return M(*(pr or Printers()).both(node))


def words_tr(w: Words, vi: dict) -> Tr:
    """The bilingual text of a :class:`Words` member (Vietnamese from ``vi``, keyed by it)."""
    return Tr(w.value, vi.get(w, w.value))


def prose_parts(prose: Prose, pr: Printers | None = None, vi: dict | None = None) -> tuple:
    """Inline parts of a :class:`Prose`: words as :class:`Tr`, math as :class:`M`.

    Math that contains words (a :class:`Juxt` with :class:`Words`) differs by language and
    is a :class:`ByLang` of the two prints.
    """
    pr, vi = pr or Printers(), vi or {}
    out = []
    for part in prose.parts:
        if isinstance(part, Words):
            out.append(words_tr(part, vi))
        elif isinstance(part, str):
            out.append(part)
        else:
            en = inline_math(part, pr)
            other = inline_math(part, pr.with_texts(vi)) if vi and _has_words(part) else en
            out.append(en if other == en else ByLang(en, other))
    return tuple(out)


def _has_words(node) -> bool:
    if isinstance(node, Words):
        return True
    if isinstance(node, (Juxt, Statements)):
        return any(_has_words(x) for x in (node.parts if isinstance(node, Juxt) else node.items))
    if isinstance(node, Chain):
        return _has_words(node.first) or any(_has_words(e) for _, e in node.links)
    if isinstance(node, Implies):
        return _has_words(node.premise) or _has_words(node.conclusion)
    return False

r"""Display math for cells and Jacobians, in LaTeX and Typst at once, broken over lines.

A Jacobian block prints one top-level term per row, and a bracketed group of terms
(the GRU candidate and reset paths, the LSTM cell-state paths) one inner term per row,
each row labelled with its path, so no equation runs off the margin.

>>> import derivations as dv
>>> m = jacobian_math(dv.derive("gru", "pytorch"))
>>> [r.label.en for r in m.rows]
['carry', 'update gate', 'candidate', 'reset gate']
>>> m.rows[2].typst_rhs
'+ op("diag")((1 - z_t) dot.o (1 - n_t^2)) \\[op("diag")(r_t) W_(h n)'
"""

from __future__ import annotations

import sympy as sp

from derivations.printing import GateLatexPrinter, printer_for
from derivations.statements import EYE, Diag, Partial, matrix_display

from ._i18n import label_tr
from .model import M, Math, MathRow
from .typst_math import TypstPrinter, typst_printer_for

__all__ = ["equations_math", "jacobian_math", "block_math", "inline", "block_lhs"]

#: the brackets of a group and the indent of its continuation rows, per syntax
_SYN = {
    "latex": {"open": r"\bigl[", "close": r"\bigr]", "lopen": r"\left[", "lclose": r"\right]",
              "indent": r"\qquad "},
    "typst": {"open": r"\[", "close": r"\]", "lopen": "[", "lclose": "]", "indent": "quad "},
}


def _head(branch, pr, syn) -> list:
    parts = []
    if branch.coeff != 1:
        parts.append(pr.doprint(Diag(branch.coeff)))
    if branch.matrix is not None:
        parts.append(pr.doprint(branch.matrix))
    return parts


def _inline(branch, pr, syn) -> str:
    """One branch on one line; an identity child is left out of a product."""
    parts = _head(branch, pr, syn)
    kids = branch.children
    if len(kids) == 1 and not kids[0].is_identity:
        parts.append(_inline(kids[0], pr, syn))
    elif len(kids) > 1:
        parts.append(syn["lopen"] + " + ".join(_inline(c, pr, syn) for c in kids)
                     + syn["lclose"])
    return " ".join(parts) or pr.doprint(EYE)


def _rows(branch, pr, syn) -> list:
    """(text, label, continues) rows for one top-level branch; a group splits one child per
    row, the rows after its first continuing it (indented, already starting with ``+``)."""
    if len(branch.children) < 2:
        return [(_inline(branch, pr, syn), branch.label, False)]
    head = " ".join(_head(branch, pr, syn))
    kids = branch.children
    out = []
    for k, child in enumerate(kids):
        text = _inline(child, pr, syn)
        if k == 0:
            text = f"{head} {syn['open']}{text}"
        else:
            text = syn["indent"] + "+ " + text
        if k == len(kids) - 1:
            text += syn["close"]
        out.append((text, child.label, k > 0))
    return out


def block_lhs(block, fmt: str, pr) -> str:
    """``\\frac{\\partial h_t}{\\partial h_{t-1}}`` (or its Typst form) for one block."""
    return pr.doprint(Partial(block.output, block.wrt))


def block_math(block, cell, *, labelled: bool = True) -> list:
    """The rows of one Jacobian block (both formats), one term or group member per row."""
    prs = {"latex": printer_for(cell), "typst": typst_printer_for(cell)}
    per = {}
    for fmt, pr in prs.items():
        syn = _SYN[fmt]
        rows = [r for b in block.branches for r in _rows(b, pr, syn)] or [("0", None, False)]
        per[fmt] = (block_lhs(block, fmt, pr), rows)
    out = []
    for i, ((lt, lab, cont), (tt, _, _)) in enumerate(zip(per["latex"][1], per["typst"][1],
                                                          strict=True)):
        label = label_tr(lab) if (labelled and lab is not None) else None
        if i == 0:
            out.append(MathRow(per["latex"][0], lt, per["typst"][0], tt, label))
        else:
            plus = "" if cont else "+ "
            out.append(MathRow("", plus + lt, "", plus + tt, label, "", ""))
    return out


def jacobian_math(derivation, *, labelled: bool = True) -> Math:
    """Every block of a derivation's Jacobian as aligned, labelled rows."""
    rows = []
    for block in derivation.jacobian.blocks.values():
        rows.extend(block_math(block, derivation.cell, labelled=labelled))
    return Math(tuple(rows))


def equations_math(cell) -> Math:
    """The cell's equations, one per row, aligned on ``=``: its derived weights first
    (AntisymmetricRNN's :math:`A = W - W^T - \\gamma I`), then its quantities."""
    pl, pt = printer_for(cell), typst_printer_for(cell)
    rows = [(w, matrix_display(e, cell), None) for w, e in cell.derived.items()]
    rows += [(q.symbol, q.expr, label_tr(q.role)) for q in cell.quantities]
    return Math(tuple(MathRow(pl.doprint(s), pl.doprint(e), pt.doprint(s), pt.doprint(e), lab)
                      for s, e, lab in rows))


def inline(expr, cell=None) -> M:
    """Inline math for a SymPy expression (in ``cell``'s names when given)."""
    if cell is not None:
        return M(printer_for(cell).doprint(expr), typst_printer_for(cell).doprint(expr))
    return M(GateLatexPrinter().doprint(sp.sympify(expr)), TypstPrinter().doprint(sp.sympify(expr)))

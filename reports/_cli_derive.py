"""``gatebound derive``: one cell's equations, Jacobian and bounds as LaTeX, Typst or text.

The bounds are statement nodes printed by the LaTeX and the Typst printer (the text format
shows them in LaTeX).

>>> print(derive_text("elman", None, "typst").splitlines()[1])
h_t = tanh(W_(i h) x_t + W_(h h) h_(t-1) + b_(i h) + b_(h h))
"""

from __future__ import annotations

import sympy as sp

import derivations as dv

from ._cli_options import cell_option
from ._errors import ReportError
from ._statements import Printers
from ._user_cell import is_user_spec, load_user_cell
from .mathblocks import equations_math, jacobian_math

__all__ = ["derive_text"]


def _cell(name, convention):
    """The cell ``name`` (or ``name:convention``) under ``convention``; both checked. A
    user's cell, ``file.py:name`` or ``package.module:name``, takes no ``--convention``."""
    if is_user_spec(name):
        if convention is not None:
            raise ReportError(f"--convention {convention!r} applies to built-in cells; the "
                              f"cell {name.strip()!r} is written with its own")
        return load_user_cell(name, "cell")
    cname, conv = cell_option(name, "cell")
    if convention is not None:
        if not isinstance(convention, str) or not convention.strip():
            raise ReportError(f"--convention {convention!r} is empty; valid conventions of "
                              f"{cname}: {', '.join(c for c in dv.CELLS[cname] if c) or 'none'}")
        if conv is not None and convention.strip() != conv:
            raise ReportError(f"cell {name!r} names convention {conv!r} but --convention "
                              f"says {convention!r}")
        conv = convention.strip()
    try:
        return dv.cell(cname, conv)
    except dv.DerivationError as exc:
        raise ReportError(str(exc)) from None


def derive_text(name: str, convention, fmt: str) -> str:
    """The equations, the Jacobian and the bounds of one cell in ``fmt``: a built-in name
    (``gru:cho``) or a user's cell (``file.py:name``, ``package.module:name``)."""
    if fmt not in ("latex", "typst", "text"):
        raise ReportError(f"unknown format {fmt!r}; choose latex, typst or text")
    cell = _cell(name, convention)
    d = dv.derive(cell)
    eq, jac = equations_math(cell), jacobian_math(d, labelled=True)
    bounds, pr = d.bounds.all(), Printers.for_cell(cell)
    out = []
    if fmt == "latex":
        out.append("% " + cell.title + ": equations")
        out.append(d.equations_latex())
        out.append("% closed-form Jacobian")
        out.append(d.latex(labelled=True))
        for b in bounds:
            out.append(f"% {b.name}")
            out.append(pr.latex.doprint(b.statement))
    elif fmt == "typst":
        out.append(f"// {cell.title}: equations")
        out += [f"{r.typst_lhs} = {r.typst_rhs}" for r in eq.rows]
        out.append("// closed-form Jacobian")
        for r in jac.rows:
            head = f"{r.typst_lhs} = " if r.typst_lhs else "    "
            lab = f"  // {r.label.en}" if r.label else ""
            out.append(head + r.typst_rhs + lab)
        for b in bounds:
            out.append(f"// {b.name}")
            out.append(pr.typst.doprint(b.statement))
    else:
        out.append(f"{cell.title}: equations")
        out += [f"  {q.symbol} = {sp.sstr(q.expr)}" for q in cell.quantities]
        for (o, w), block in d.jacobian.blocks.items():
            out.append(f"d{o}_next/d{w} =")
            for t in block.terms:
                mats = " ".join(f"@ {W} @ diag({sp.sstr(a)})" if a != 1 else f"@ {W}"
                                for W, a in zip(t.matrices, t.coeffs[1:], strict=True))
                out.append(f"  + diag({sp.sstr(t.coeffs[0])}) {mats}".rstrip()
                           + f"    [{t.label}]")
        for b in bounds:
            out.append(f"{b.name}: {pr.latex.doprint(b.statement)}")
    return "\n".join(out)

"""Breaking long display formulas by their structure: nothing lost, rows within the width,
relations aligned (reports._statements over the bound statements of every cell)."""

import re

import pytest
import sympy as sp

import derivations as dv
from derivations.facts import BoundKind
from derivations.statements import Chain, Implies, Norm, Statements
from reports._statements import Printers, statement_math, statement_rows
from tests._suite_cells import suite_cells

WIDTH = 62


def _norm(typst: str) -> str:
    """Whitespace and the separators between items/implications removed."""
    for sep in (", quad", "==>"):
        typst = typst.replace(sep, " ")
    return re.sub(r"\s+", "", typst)


def _statements():
    for cell in suite_cells():
        for b in dv.derive(cell).bounds.all():
            yield pytest.param(cell, b.statement, id=f"{cell.title}/{b.kind.value}/{b.block}")


def _terms(stmt, pr):
    """The Typst print of every top-level term of every side of every relation in ``stmt``
    (the pieces a row may not split further)."""
    out = set()
    items = stmt.items if isinstance(stmt, Statements) else (stmt,)
    for item in items:
        parts = [item.premise, item.conclusion] if isinstance(item, Implies) else [item]
        for part in parts:
            if isinstance(part, Statements):
                out |= _terms(part, pr)
                continue
            if isinstance(part, Chain):
                sides = [part.first, *(e for _, e in part.links)]
            elif isinstance(part, sp.core.relational.Relational):
                sides = [part.lhs, part.rhs]
            else:
                sides = [part]
            for side in sides:
                out.add(pr.typst.doprint(side))
                if isinstance(side, sp.Basic):
                    for t in sp.Add.make_args(side):
                        out |= {pr.typst.doprint(t), pr.typst.doprint(-t)}
    return out


@pytest.mark.parametrize("cell,stmt", list(_statements()))
def test_broken_bound_keeps_every_symbol_and_fits(cell, stmt):
    pr = Printers.for_cell(cell)
    rows = statement_rows(stmt, pr, width=WIDTH)
    joined = " ".join(" ".join((r.typst_lhs, r.typst_rel, r.typst_rhs)) for r in rows)
    assert _norm(joined) == _norm(pr.typst.doprint(stmt))
    latex = " ".join(" ".join((r.latex_lhs, r.latex_rel, r.latex_rhs)) for r in rows)
    assert latex.count("{") == latex.count("}")
    terms = _terms(stmt, pr)
    for r in rows:
        # a row is within the width, or a single piece the structure cannot split
        body = re.sub(r"^(==> |[+-] )", "", r.typst_rhs)
        assert len(r.typst_rhs) <= WIDTH or body in terms, r.typst_rhs
    # the first row of each statement that has a relation carries its left-hand side
    if rows[0].typst_rel:
        assert rows[0].typst_lhs and rows[0].latex_lhs


def test_weyl_lower_bound_aligns_on_ge_and_continues_with_the_subtracted_terms():
    cell = dv.cell("gru", "pytorch")
    b = dv.derive(cell).bounds.main.get(BoundKind.LOWER)
    pr = Printers.for_cell(cell)
    rows = statement_rows(b.statement, pr, width=WIDTH)
    assert rows[0].latex_lhs.startswith(r"\sigma_{\min}") and rows[0].latex_rel == r"\ge"
    assert rows[0].typst_rel == ">="
    assert len(rows) > 1
    assert [r.typst_rhs[:2] for r in rows[1:]] == ["- "] * (len(rows) - 1)
    assert all(not r.typst_rel and not r.typst_lhs for r in rows[1:])
    # the three subtracted terms of the three non-carry paths, each on some row
    assert sum(r.typst_rhs.count("norm(W_(h") for r in rows) == 3


def test_short_formula_stays_one_line():
    J = sp.Symbol("J")
    m = statement_math(sp.Le(Norm(J), 1, evaluate=False))
    assert len(m.rows) == 1
    r = m.rows[0]
    assert (r.latex_lhs, r.latex_rel, r.latex_rhs) == (r"\|J\|_2", r"\le", "1")
    assert f"{r.typst_lhs} {r.typst_rel} {r.typst_rhs}" == "norm(J)_2 <= 1"


def test_bound_remarks_are_translated_in_the_vietnamese_rendering():
    from reports._sec_bounds import bounds_blocks
    from reports.model import Document, Section, Tr
    from reports.render_latex import render_latex
    from reports.render_typst import render_typst

    doc = Document(Tr("T", "T"), "me", (Section(Tr("B", "B"), tuple(
        bounds_blocks(dv.derive("gru", "pytorch")))),))
    for render in (render_latex, render_typst):
        vi, en = render(doc, "vi"), render(doc, "en")
        assert "nếu mọi" in vi and "if every" not in vi
        assert "if every" in en and "nếu mọi" not in en


def test_every_word_of_the_bounds_and_lemmas_has_a_vietnamese_entry_keyed_by_member():
    from derivations._bound_types import BoundText
    from derivations.lemmas import LemmaKind, LemmaText
    from reports._sec_bounds import KIND_VI, LEMMA_VI, TEXT_VI

    assert set(TEXT_VI) == set(BoundText)
    assert set(KIND_VI) == set(BoundKind)
    assert set(LEMMA_VI) == set(LemmaText) | set(LemmaKind)
    assert all(isinstance(k, (BoundText, BoundKind, LemmaText, LemmaKind))
               for k in (*TEXT_VI, *KIND_VI, *LEMMA_VI))


def test_lemma_section_renders_steps_and_names_in_the_reader_s_language():
    from reports._sec_bounds import lemmas_section
    from reports.model import Document, Tr
    from reports.render_typst import render_typst

    doc = Document(Tr("T", "T"), "me", (lemmas_section(),))
    vi, en = render_typst(doc, "vi"), render_typst(doc, "en")
    for words in ("đạo hàm viết qua chính hàm số", "bất biến của trạng thái ẩn", "đạo hàm sigmoid"):
        assert words in vi and words not in en
    for words in ("derivative written in the function", "state invariant (lstm)"):
        assert words in en and words not in vi
    assert "THẤT BẠI" not in vi and "FAILED" not in en

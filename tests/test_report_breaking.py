"""Breaking long display formulas: nothing lost, rows within the width, relations aligned."""

import re

import pytest

import derivations as dv
from reports._breaking import break_rows, broken_math, visible_len


def _norm(tex: str) -> str:
    tex = tex.replace(r"\bigl(", "(").replace(r"\bigr)", ")")
    tex = tex.replace(r"\left(", "(").replace(r"\right)", ")")
    for sep in (r",\qquad", r",\quad", r";\quad", r";\ "):
        tex = tex.replace(sep, " ")
    return re.sub(r"\s+", "", tex)


def _statements():
    for cell in dv.all_cells():
        for b in dv.derive(cell).bounds.all():
            yield f"{cell.title}/{b.kind}/{b.block}", b.statement_latex


@pytest.mark.parametrize("name,tex", list(_statements()))
def test_broken_bound_keeps_every_symbol_and_fits(name, tex):
    rows = break_rows(tex, width=62)
    joined = " ".join(" ".join((r.latex_lhs, r.latex_rel, r.latex_rhs)) for r in rows)
    assert _norm(joined) == _norm(tex), name
    for r in rows:
        # a row is either within the width or a single unbreakable piece (no top-level + / -)
        if visible_len(r.latex_lhs + r.latex_rhs) > 62:
            assert not re.search(r"(?<!\{) [+-] ", r.latex_rhs.split(r"\text")[0][2:]), (name, r)
    # the first row of each statement that has a relation carries its left-hand side
    if rows[0].latex_rel:
        assert rows[0].latex_lhs


def test_weyl_lower_bound_opens_its_parenthesis_and_aligns_on_ge():
    tex = next(b.statement_latex for b in dv.derive("gru", "pytorch").bounds.all()
               if b.kind == "lower")
    rows = break_rows(tex, width=62)
    assert rows[0].latex_lhs.startswith(r"\sigma_{\min}") and rows[0].latex_rel == r"\ge"
    assert rows[0].typst_rel == ">="
    assert r"\bigl(" in rows[0].latex_rhs and rows[-1].latex_rhs.endswith(r"\bigr)")
    assert [r.latex_rhs[:1] for r in rows[1:]] == ["+"] * (len(rows) - 1)
    assert len(rows) == 3


def test_short_formula_stays_one_line():
    m = broken_math(r"\|J\|_2 \le 1")
    assert len(m.rows) == 1 and m.rows[0].latex_rhs == r"\|J\|_2 \le 1"
    assert m.rows[0].typst_rhs == "||J||_2 <= 1"


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

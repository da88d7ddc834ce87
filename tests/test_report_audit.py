"""The seed-audit section: quotes kept verbatim, verdicts translated, evidence broken and
translated, and the English LaTeX switched to a Unicode engine for the Vietnamese quotes."""

import re

import pytest

from reports._breaking import visible_len
from reports._sec_audit import (
    audit_available,
    audit_section,
    evidence_math,
    quote_parts,
    verdict_tr,
)
from reports.model import M, Paragraph, Section
from reports.render_latex import engine_of, render_latex
from reports.render_typst import render_typst

pytestmark = pytest.mark.skipif(not audit_available(), reason="derivations.audit not installed")


@pytest.fixture(scope="module")
def claims():
    from derivations.audit import audit

    return audit()


def test_quote_parts_keep_the_text_and_turn_dollars_into_math():
    parts = quote_parts(r"Khi $z_t$ gần bằng 1, *backpropagation* và $\tilde{h}_t$.")
    assert [type(p).__name__ for p in parts] == ["str", "M", "str", "M", "str"]
    assert parts[0] == "Khi " and parts[2] == " gần bằng 1, backpropagation và "
    assert parts[1] == M("z_t", "z_t") and parts[3].typst == "tilde(h)_t"


@pytest.mark.parametrize("verdict,vi", [
    ("true", "đúng"), ("false", "sai"), ("incomplete", "chưa đầy đủ"),
    ("true only under convention cho", "chỉ đúng với quy ước cho")])
def test_verdicts_in_vietnamese(verdict, vi):
    assert verdict_tr(verdict).vi == vi and verdict_tr(verdict).en == verdict


def test_section_lists_every_claim_with_its_quote_and_verdict(claims):
    sec = audit_section(claims)
    subs = [b for b in sec.blocks if isinstance(b, Section)]
    assert len(subs) == len(claims)
    for sub, c in zip(subs, claims, strict=True):
        assert sub.title.en.endswith(c.verdict) and sub.title.vi.endswith(verdict_tr(c.verdict).vi)
        quote = next(b for b in sub.blocks if isinstance(b, Paragraph))
        text = "".join(p if isinstance(p, str) else f"${p.latex}$" for p in quote.parts[1:-1]
                       if isinstance(p, (str, M)))
        assert text.replace("“", "") == re.sub(r"\*([^*]+)\*", r"\1", c.quote_vi)


def test_evidence_rows_are_short_or_unbreakable_and_translated(claims):
    for c in claims:
        en, vi = evidence_math(c.evidence, "en"), evidence_math(c.evidence, "vi")
        assert len(en.rows) == len(vi.rows) >= 1
        for r in en.rows:
            assert visible_len(r.latex_rhs) <= 70 or " + " not in r.latex_rhs, (c.id, r.latex_rhs)
            assert "e-0" not in r.latex_rhs and "e+0" not in r.latex_rhs      # 2.6 \cdot 10^{-4}
        if r"\text{at }" in c.evidence:
            assert any(r"\text{tại }" in r.latex_rhs for r in vi.rows), c.id


def test_english_latex_with_vietnamese_quotes_compiles_with_lualatex(claims):
    from reports.model import Document, Tr

    doc = Document(Tr("T", "T"), "me", (audit_section(claims),))
    tex = render_latex(doc, "en")
    assert engine_of(tex, "en") == "lualatex" and r"\usepackage{fontspec}" in tex
    plain = Document(Tr("T", "T"), "me", (Section(Tr("A", "Ă"), (Paragraph(("café",)),)),))
    assert engine_of(render_latex(plain, "en"), "en") == "pdflatex"
    assert "đúng" in render_typst(doc, "vi") or "sai" in render_typst(doc, "vi")

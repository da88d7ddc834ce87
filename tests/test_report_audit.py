"""The seed-audit section: quotes kept verbatim, verdicts translated, evidence printed from
its structure and compiled by both engines, explanations chosen from the computed facts,
and the English LaTeX switched to a Unicode engine for the Vietnamese quotes."""

import dataclasses
import os
import re
import unicodedata

import pytest

from derivations.audit import AuditText, Outcome, audit
from derivations.facts import Verdict, VerdictKind
from reports._audit_text import AUDIT_VI, EXPLAIN_VI, ExplainText, explanation, explanation_parts
from reports._sec_audit import (
    audit_section,
    claim_printers,
    evidence_block,
    quote_parts,
    verdict_tr,
)
from reports.engines import compile_latex, compile_typst
from reports.model import ByLang, Document, M, Math, Paragraph, Section, Tr
from reports.render_latex import engine_of, render_latex
from reports.render_typst import render_typst
from tests._tex import need_tex

pypdf = pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def claims():
    return audit()


@pytest.fixture(scope="module")
def by_id(claims):
    return {c.id: c for c in claims}


def _pdf_text(pdf) -> str:
    raw = "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", raw))


def _both(block):
    return (block.en, block.vi) if isinstance(block, ByLang) else (block, block)


def test_quote_parts_keep_the_text_and_turn_math_into_math(by_id):
    parts = quote_parts(by_id["gru-update-near-0"])
    assert [type(p).__name__ for p in parts] == ["str", "M", "str", "M", "str"]
    assert parts[0] == "Khi " and parts[2] == " gần bằng 0, thì trạng thái mới "
    assert parts[1] == M("z_{t}", "z_t") and parts[3].typst == "tilde(h)_t"
    tanh = quote_parts(by_id["tanh-range-gradient"])
    assert "*" not in "".join(p for p in tanh if isinstance(p, str))   # Markdown emphasis
    assert tanh[-1].endswith("trong quá trình backpropagation.")


@pytest.mark.parametrize("verdict,vi", [
    (Verdict(VerdictKind.TRUE), "đúng"), (Verdict(VerdictKind.FALSE), "sai"),
    (Verdict(VerdictKind.INCOMPLETE), "chưa đầy đủ"),
    (Verdict.only_under(("cho",)), "chỉ đúng với quy ước cho")])
def test_verdicts_in_vietnamese(verdict, vi):
    assert verdict_tr(verdict).vi == vi and verdict_tr(verdict).en == str(verdict)


def test_section_lists_every_claim_with_its_quote_and_verdict(claims):
    sec = audit_section(claims)
    subs = [b for b in sec.blocks if isinstance(b, Section)]
    assert len(subs) == len(claims)
    for sub, c in zip(subs, claims, strict=True):
        assert sub.title.en.endswith(str(c.verdict))
        assert sub.title.vi.endswith(verdict_tr(c.verdict).vi)
        quote = next(b for b in sub.blocks if isinstance(b, Paragraph))
        text = "".join(p if isinstance(p, str) else "$" for p in quote.parts[1:]
                       if isinstance(p, (str, M)))
        raw = re.sub(r"\*([^*]+)\*", r"\1", re.sub(r"\$(.+?)\$", "$", c.quote_vi))
        assert text.replace("“", "").replace("”", "") == raw


def test_evidence_rows_are_short_or_unbreakable_and_translated(claims):
    for c in claims:
        en, vi = _both(evidence_block(c))
        assert isinstance(en, Math) and isinstance(vi, Math)
        assert len(en.rows) == len(vi.rows) >= 1
        for r in en.rows + vi.rows:
            assert len(r.typst_rhs) <= 70 or not _top_level_plus(r.typst_rhs), (c.id, r.typst_rhs)
            for s in (r.latex_lhs, r.latex_rhs, r.typst_lhs, r.typst_rhs):
                assert not re.search(r"\de[+-]?\d", s), (c.id, s)   # 2.6 \cdot 10^{-4}, not e-04
        if _has(c.evidence, AuditText.AT):
            assert any("tại" in r.latex_rhs and "tại" in r.typst_rhs for r in vi.rows), c.id
            assert not any("tại" in r.latex_rhs for r in en.rows), c.id


def _top_level_plus(typst: str) -> bool:
    """A ``+`` outside parentheses: a sum the display could have broken over rows."""
    depth = 0
    for k, ch in enumerate(typst):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and typst.startswith(" + ", k):
            return True
    return False


def _has(node, member) -> bool:
    if node is member:
        return True
    if dataclasses.is_dataclass(node):
        return any(_has(getattr(node, f.name), member) for f in dataclasses.fields(node))
    if isinstance(node, tuple):
        return any(_has(x, member) for x in node)
    return False


def test_every_phrase_has_its_vietnamese():
    assert set(AUDIT_VI) == set(AuditText) and set(EXPLAIN_VI) == set(ExplainText)
    assert all(v.strip() or v == k.value for k, v in {**AUDIT_VI, **EXPLAIN_VI}.items())


def _facts(c, **changes):
    return dataclasses.replace(c, facts=dataclasses.replace(c.facts, **changes))


def test_explanations_follow_the_computed_facts(by_id):
    near1 = by_id["gru-update-near-1"]
    said = explanation(near1).parts
    assert ExplainText.OLD_REPLACED in said and ExplainText.OLD_KEPT not in said
    seed = near1.facts.limit("seed")
    kept = dataclasses.replace(seed, outcome=Outcome.OLD_STATE, at_value=seed.update.rhs)
    other = _facts(near1, limits=tuple(kept if lim is seed else lim
                                       for lim in near1.facts.limits))
    said = explanation(other).parts
    assert ExplainText.OLD_KEPT in said and ExplainText.OLD_REPLACED not in said
    assert ExplainText.TRUE_NOWHERE in explanation(_facts(near1, holds_under=())).parts
    assert ExplainText.OLD_KEPT in explanation(by_id["gru-update-near-0"]).parts

    flips = {"gru-gradient-z-near-0": ({"gate_path_vanishes": False}, ExplainText.VANISHES_END,
                                       ExplainText.ALSO_GATE),
             "gru-reset-near-0": ({"candidate_ignores_state": False}, ExplainText.REMOVES,
                                  ExplainText.KEEPS),
             "lstm-forget-near-1": ({"update_in_notes": True}, ExplainText.NOTES_OMIT,
                                    ExplainText.NOTES_WRITE),
             "lstm-missing-cell-update": ({"builds_as_written": True},
                                          ExplainText.NEVER_WRITES, ExplainText.LIST_BUILDS),
             "tanh-range-gradient": ({"range_proved": False}, ExplainText.NOT_EASIER,
                                     ExplainText.UNDECIDED)}
    for cid, (change, now, then) in flips.items():
        c = by_id[cid]
        assert now in explanation(c).parts and then not in explanation(c).parts, cid
        flipped = explanation(_facts(c, **change)).parts
        assert then in flipped and now not in flipped, cid


def test_vietnamese_explanation_is_chosen_from_the_facts(by_id):
    c = by_id["gru-update-near-1"]
    vi = "".join(p.vi for p in explanation_parts(c, claim_printers(c)) if isinstance(p, Tr))
    assert "trạng thái cũ bị thay thế" in vi
    seed = c.facts.limit("seed")
    kept = dataclasses.replace(seed, outcome=Outcome.OLD_STATE)
    other = _facts(c, limits=tuple(kept if lim is seed else lim for lim in c.facts.limits))
    vi = "".join(p.vi for p in explanation_parts(other, claim_printers(other))
                 if isinstance(p, Tr))
    assert "trạng thái cũ bị thay thế" not in vi and "trạng thái cũ được giữ nguyên" in vi


def _doc(claims):
    return Document(Tr("T", "T"), "me", (audit_section(claims),))


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_section_compiles_with_typst_and_reads_back(claims, tmp_path, lang):
    src = tmp_path / f"audit-{lang}.typ"
    src.write_text(render_typst(_doc(claims), lang), encoding="utf-8")
    text = _pdf_text(compile_typst(src))
    for c in claims:
        assert verdict_tr(c.verdict).get(lang) in text, c.id
    assert "lan truyền ngược" in text                                  # a quote, both languages
    if lang == "vi":
        assert "tại" in text and "trạng thái cũ bị thay thế bởi ứng viên" in text
    else:
        assert "the old state is replaced by the candidate" in text and " at " in text


@pytest.mark.tex
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_section_compiles_with_latex_and_reads_back(claims, tmp_path, lang):
    need_tex(lang)
    src = tmp_path / f"audit-{lang}.tex"
    src.write_text(render_latex(_doc(claims), lang), encoding="utf-8")
    pdf = compile_latex(src, lang)
    assert os.path.getsize(pdf) > 1000
    text = _pdf_text(pdf)
    for c in claims:
        assert verdict_tr(c.verdict).get(lang) in text, c.id
    assert "tại" in text if lang == "vi" else "replaced by the candidate" in text


def test_english_latex_with_vietnamese_quotes_compiles_with_lualatex(claims):
    doc = _doc(claims)
    tex = render_latex(doc, "en")
    assert engine_of(tex, "en") == "lualatex" and r"\usepackage{fontspec}" in tex
    plain = Document(Tr("T", "T"), "me", (Section(Tr("A", "Ă"), (Paragraph(("café",)),)),))
    assert engine_of(render_latex(plain, "en"), "en") == "pdflatex"
    assert "đúng" in render_typst(doc, "vi") or "sai" in render_typst(doc, "vi")

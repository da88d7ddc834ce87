"""The document model: both languages everywhere, NFC, escaping round-trips through Typst."""

import unicodedata

import pytest

from reports import Document, Paragraph, ReportError, Section, Tr, build_document, render_typst
from reports._escape import latex_escape


def test_every_text_has_both_languages_in_nfc():
    doc = build_document(["elman", "gru:seed"], quick=True)
    texts = list(doc.texts())
    assert len(texts) > 30
    for t in texts:
        assert t.en and t.vi
        assert unicodedata.is_normalized("NFC", t.vi)


def test_tr_requires_both_languages():
    with pytest.raises(ReportError, match="vi=''"):
        Tr("x", "")


def test_decomposed_vietnamese_is_normalised():
    decomposed = unicodedata.normalize("NFD", "Cổng cập nhật")
    assert Tr("a", decomposed).vi == "Cổng cập nhật"


@pytest.mark.parametrize("text", ["a*b_c", "#x [y] $z$", "50% & {w}", "// not a comment",
                                  "\\back", "- not a list", "= not a heading", "<lbl> @ref"])
def test_typst_escape_prints_text_literally(tmp_path, text):
    typst = pytest.importorskip("typst")
    pypdf = pytest.importorskip("pypdf")
    doc = Document(Tr("T", "T"), "a", (Section(Tr("S", "S"), (Paragraph((text,)),)),))
    src = tmp_path / "d.typ"
    src.write_text(render_typst(doc, "en"), encoding="utf-8")
    typst.compile(str(src), output=str(tmp_path / "d.pdf"))
    got = " ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "d.pdf").pages)
    assert text in unicodedata.normalize("NFKC", got)


def test_latex_escape_covers_specials():
    assert latex_escape("#$%&_{}~^\\") == (r"\#\$\%\&\_\{\}\textasciitilde{}"
                                          r"\textasciicircum{}\textbackslash{}")

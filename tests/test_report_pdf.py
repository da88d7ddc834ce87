"""Build the report (--quick) with both engines in both languages and read the PDFs back.

LaTeX builds are marked ``tex``: skipped without latexmk, but a failure when
``GATEBOUND_REQUIRE_TEX=1`` (CI installs TeX and sets it).
"""

import re
import unicodedata

import pytest

import derivations as dv
from derivations.audit import audit
from derivations.cells import FAMILIES
from reports import build_report
from reports._i18n import family_tr, label_tr
from reports._sec_audit import TITLE as AUDIT
from reports._sec_audit import verdict_tr
from reports._sec_figures import TITLE as COMPARISON
from reports._sec_phase import TITLE as PHASE
from reports.document import quick_cells
from reports.model import Tr
from tests._tex import need_tex

pypdf = pytest.importorskip("pypdf")

SECTIONS = [Tr("Introduction", "Giới thiệu"), Tr("Conventions", "Các quy ước"),
            Tr("Lemmas", "Các bổ đề"), Tr("The cell zoo at a glance", "Toàn cảnh các ô"),
            *(family_tr(slug, title) for slug, title, names in FAMILIES if names),
            COMPARISON, PHASE, Tr("Reproducibility", "Khả năng tái lập"),
            Tr("Cell index", "Chỉ mục các ô")]


def _text(pdf) -> str:
    raw = "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", raw))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cache, documents = {}, {}

    def get(engine, lang):
        if (engine, lang) not in cache:
            out = tmp_path_factory.mktemp(f"{engine}-{lang}") / "report"
            res = build_report(out, engine=engine, lang=lang, quick=True,
                               title="Ánh & 50% {x_1} #t", author="Lê Văn Ánh",
                               document_cache=documents)
            cache[engine, lang] = (res, _text(res.pdf))
        return cache[engine, lang]

    return get


def _bookmarks(outline) -> list:
    out = []
    for item in outline:
        out += _bookmarks(item) if isinstance(item, list) else [
            unicodedata.normalize("NFKC", item.title)]
    return out


def _check(res, text, lang):
    assert res.tex.exists() and res.pdf.exists()
    # the reproducibility section names the engine of this build (documents are shared)
    assert {"en": "PDF engine: ", "vi": "Bộ dịch PDF: "}[lang] + res.engine in text
    assert (res.out / "figures").is_dir()
    # 5 + recent + diagonal + the phase diagrams (heatmaps, rate vs T)
    assert len(list((res.out / "figures").glob("*.pdf"))) == 9
    # the phase diagrams name the spec file that redraws them
    assert "sweeps/report_phase_quick.toml" in text
    for s in SECTIONS:
        assert s.get(lang) in text, s.get(lang)
    for cell in quick_cells():  # --quick without --cells: one cell per family
        assert cell.title in text, cell.title
        for label in dv.derive(cell).jacobian.main.labels():
            # a factored display (sLSTM's paths through its stabilizer share a bracket)
            # labels the bracket with the common part: then both parts are printed
            parts = [label] if getattr(label, "via", None) is None else \
                [label, label.role, label.via]
            assert label_tr(parts[0]).get(lang) in text or all(
                label_tr(q).get(lang) in text for q in parts[1:]), (cell.title, label)
    # navigation: PDF bookmarks down to the cells, the index links every cell's section
    marks = _bookmarks(pypdf.PdfReader(res.pdf).outline)
    for s in SECTIONS:
        assert any(s.get(lang) in m for m in marks), s.get(lang)
    for cell in quick_cells():
        assert any(m.endswith(cell.title) for m in marks), cell.title
    assert "∂" in text  # the Jacobian fractions
    assert AUDIT.get(lang) in text
    for claim in audit():
        assert verdict_tr(claim.verdict).get(lang) in text, claim.id
    assert "Ánh & 50% {x_1} #t" in text  # user text escaped, printed literally
    assert unicodedata.normalize("NFKC", "Lê Văn Ánh") in text


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_typst_pdf_reads_back(built, lang):
    res, text = built("typst", lang)
    _check(res, text, lang)


@pytest.mark.tex
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_latex_pdf_reads_back(built, lang):
    need_tex(lang)
    res, text = built("latex", lang)
    _check(res, text, lang)


def test_failed_build_leaves_previous_report(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "gatebound.pdf").write_bytes(b"previous")
    with pytest.raises(Exception, match="unknown cell"):
        build_report(out, engine="typst", cells="nosuch", quick=True)
    assert (out / "gatebound.pdf").read_bytes() == b"previous"
    assert not any(p.name.startswith(".report.tmp") for p in tmp_path.iterdir())


def _old_report(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "gatebound.pdf").write_bytes(b"previous")
    return out


@pytest.mark.parametrize("engine", ["typst", pytest.param("latex", marks=pytest.mark.tex)])
def test_failed_compile_keeps_old_report_and_only_a_log(tmp_path, monkeypatch, engine):
    """A failed compile leaves the old report, no temporary folder, and its log at
    OUT.log (named in the error); the next successful build removes that log."""
    if engine == "latex":
        need_tex("en")
    import reports.build as b

    out = _old_report(tmp_path)
    cache = {}
    if engine == "typst":
        monkeypatch.setattr(b, "render_typst", lambda doc, lang: "#let x = (\n")
    else:
        monkeypatch.setattr(b, "render_latex", lambda doc, lang: "\\documentclass{article}\n"
                            "\\begin{document}\\undefinedmacro\\end{document}\n")
    log = tmp_path / "report.log"
    with pytest.raises(Exception, match=rf"failed.*\(log: {re.escape(str(log))}\)") as info:
        build_report(out, engine=engine, cells="elman", quick=True, document_cache=cache)
    assert type(info.value).__name__ == "ReportError"
    assert (out / "gatebound.pdf").read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report", "report.log"]
    assert ("undefinedmacro" if engine == "latex" else "error") in log.read_text().lower()
    monkeypatch.undo()
    res = build_report(out, engine="typst", cells="elman", quick=True, document_cache=cache)
    assert res.pdf.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_interrupted_build_leaves_old_report_and_no_folder(tmp_path, monkeypatch):
    import reports.build as b

    out = _old_report(tmp_path)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(b, "compile_typst", interrupt)
    with pytest.raises(KeyboardInterrupt):
        build_report(out, engine="typst", cells="elman", quick=True, document_cache={})
    assert (out / "gatebound.pdf").read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_failed_first_build_creates_no_folders(tmp_path, monkeypatch):
    import reports.build as b

    out = tmp_path / "a" / "b" / "report"
    monkeypatch.setattr(b, "render_typst", lambda doc, lang: "#let x = (\n")
    with pytest.raises(Exception, match="Typst failed"):
        build_report(out, engine="typst", cells="elman", quick=True, document_cache={})
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == \
        ["a", "a/b", "a/b/report.log"]

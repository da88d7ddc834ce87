"""Build the report: compute the document, write ``.tex`` (and ``.typ``), compile, move into place.

Everything is written in a temporary directory next to ``out`` and moved into place
only when complete, so an interrupted or failed run leaves the previous report intact.
A failed compile keeps its temporary directory and names its log.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ._errors import ReportError
from .document import build_document, parse_cells
from .engines import choose_engine, compile_latex, compile_typst
from .model import LANGS
from .render_latex import render_latex
from .render_typst import render_typst

__all__ = ["build_report", "BuildResult", "BASENAME"]

BASENAME = "gatebound"


@dataclass(frozen=True)
class BuildResult:
    """Paths of a finished build."""

    out: Path
    tex: Path
    pdf: Path
    engine: str
    lang: str
    seconds: float
    missing: tuple


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _move_into_place(tmp: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{time.time_ns()}")
        out.replace(old)
    tmp.replace(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _with_engine(doc, engine: str):
    """``doc`` with its reproducibility section naming ``engine``."""
    from ._sec_repro import repro_section

    sec = repro_section(doc.meta["command"], doc.meta["seeds"], engine)
    return replace(doc, sections=tuple(sec if s.label == sec.label else s for s in doc.sections))


def build_report(out="build/report", *, engine: str = "auto", lang: str = "en", cells=None,
                 quick: bool = False, title: str | None = None, author: str = "gatebound",
                 command: str | None = None,
                 progress: Callable[[str], None] | None = None,
                 document_cache: dict | None = None) -> BuildResult:
    """Build ``out/gatebound.tex`` and ``out/gatebound.pdf`` (and ``out/figures/``).

    Options are checked before any work: ``lang`` in ``en``/``vi``, ``engine`` in
    ``auto``/``latex``/``typst`` (``latex`` needs latexmk), ``cells`` known.
    ``document_cache``: a dict shared by several builds of the same options with different
    engines; the document and its figures (kept as bytes) are computed once.
    """
    t0 = time.perf_counter()
    say = progress or (lambda msg: None)
    if lang not in LANGS:
        raise ReportError(f"unknown language {lang!r}; choose one of {list(LANGS)}")
    engine = choose_engine(engine, lang)
    chosen = parse_cells(cells)
    key = (tuple(c.title for c in chosen), quick, title, author, command, lang)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {str(out)!r} exists and is not a directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the report is an ordinary output folder
    ok = False
    try:
        (tmp / "figures").mkdir()
        hit = document_cache.get(key) if document_cache is not None else None
        if hit is not None:
            say("reusing the computed document and figures")
            doc, figures = hit
            doc = _with_engine(doc, engine)
            for name, data in figures.items():
                (tmp / "figures" / name).write_bytes(data)
        else:
            doc = build_document(cells, quick=quick, title=title, author=author,
                                 command=command, engine=engine, progress=say,
                                 figures_dir=tmp / "figures", lang=lang)
            if document_cache is not None:
                document_cache[key] = (doc, {p.name: p.read_bytes()
                                             for p in (tmp / "figures").glob("*.pdf")})
        tex = tmp / f"{BASENAME}.tex"
        _write(tex, render_latex(doc, lang))
        say(f"wrote {BASENAME}.tex; compiling with {engine}")
        if engine == "latex":
            compile_latex(tex, lang)
        else:
            typ = tmp / f"{BASENAME}.typ"
            _write(typ, render_typst(doc, lang))
            compile_typst(typ)
        ok = True
    finally:
        if not ok and not any(tmp.glob("*.log")):
            shutil.rmtree(tmp, ignore_errors=True)
    _move_into_place(tmp, out)
    seconds = time.perf_counter() - t0
    say(f"done in {seconds:.1f} s: {out / (BASENAME + '.pdf')}")
    return BuildResult(out, out / f"{BASENAME}.tex", out / f"{BASENAME}.pdf", engine, lang,
                       seconds, tuple(doc.meta.get("missing", ())))

"""PDF engines: ``latexmk`` (pdflatex for English, lualatex for Vietnamese or for English that
quotes Vietnamese; the ``.tex`` file's first line names it) or the ``typst``
Python package (compiler and fonts embedded, so a pip-only machine gets a PDF).

>>> choose_engine("typst")
'typst'
>>> choose_engine("pdf")
Traceback (most recent call last):
...
reports._errors.ReportError: unknown engine 'pdf'; choose one of ['auto', 'latex', 'typst']
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from ._errors import ReportError
from .render_latex import engine_of, latex_engine_for

__all__ = ["ENGINES", "have_latex", "choose_engine", "compile_latex", "compile_typst"]

ENGINES = ("auto", "latex", "typst")


def have_latex(lang: str = "en") -> bool:
    """True if ``latexmk`` and the engines for ``lang`` are on ``PATH``.

    English needs lualatex too: its seed-audit section quotes the Vietnamese notes, which
    pdflatex's T1 fonts cannot set (see :func:`reports.render_latex.needs_unicode_engine`).
    """
    need = {latex_engine_for(lang), "lualatex"}
    return shutil.which("latexmk") is not None and all(shutil.which(e) for e in need)


def choose_engine(engine: str, lang: str = "en") -> str:
    """Resolve ``auto`` to ``latex`` when a TeX installation is found, else ``typst``."""
    if engine not in ENGINES:
        raise ReportError(f"unknown engine {engine!r}; choose one of {list(ENGINES)}")
    if engine == "auto":
        return "latex" if have_latex(lang) else "typst"
    if engine == "latex" and not have_latex(lang):
        raise ReportError(f"--engine latex needs latexmk, {latex_engine_for(lang)} and lualatex "
                          "on PATH; "
                          "install TeX or use --engine typst")
    return engine


def _first_error(log: str) -> str:
    for line in log.splitlines():
        if line.startswith("!") or re.match(r".*:\d+: ", line):
            return line.strip()
    return "no error line found in the log"


def compile_latex(tex: Path, lang: str, *, timeout: float = 300) -> Path:
    """Compile ``tex`` with latexmk in its directory; return the PDF path.

    On failure raises :class:`ReportError` with the log's first error line and its path.
    """
    tex = Path(tex)
    with open(tex, encoding="utf-8") as fh:
        engine = engine_of(fh.readline(), lang)
    flag = {"pdflatex": "-pdf", "lualatex": "-lualatex"}[engine]
    cmd = ["latexmk", flag, "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
           "-silent", tex.name]
    try:
        proc = subprocess.run(cmd, cwd=tex.parent, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ReportError(f"latexmk did not finish in {timeout:.0f} s on {tex}") from exc
    log = tex.with_suffix(".log")
    pdf = tex.with_suffix(".pdf")
    if proc.returncode != 0 or not pdf.exists():
        text = log.read_text(errors="replace") if log.exists() else proc.stdout + proc.stderr
        raise ReportError(f"LaTeX ({engine}) failed: {_first_error(text)} (log: {log})")
    return pdf


def compile_typst(src: Path) -> Path:
    """Compile the Typst file ``src`` with the ``typst`` package; return the PDF path."""
    import typst

    src = Path(src)
    pdf = src.with_suffix(".pdf")
    try:
        typst.compile(str(src), output=str(pdf), root=str(src.parent))
    except Exception as exc:  # typst raises its own TypstError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportError(f"Typst failed on {src}: {first}") from exc
    return pdf

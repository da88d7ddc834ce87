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


def _keep_log(text: str, log: Path | None, fallback: Path) -> Path:
    """Write ``text`` to ``log`` (a stable path outside the build's temporary folder) and
    return the path a message should name (``fallback`` when ``log`` is None or fails)."""
    if log is None:
        return fallback
    try:
        Path(log).write_text(text, encoding="utf-8")
    except OSError:
        return fallback
    return Path(log)


def compile_latex(tex: Path, lang: str, *, timeout: float = 300, log: Path | None = None) -> Path:
    """Compile ``tex`` with latexmk in its directory; return the PDF path.

    On failure raises :class:`ReportError` with the log's first error line and the path of
    the log: ``log`` when given (the log is copied there, so it outlives a temporary build
    folder), else the log beside ``tex``.
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
        out = [o.decode(errors="replace") if isinstance(o, bytes) else o or ""
               for o in (exc.stdout, exc.stderr)]
        text = f"latexmk did not finish in {timeout:.0f} s\n" + "".join(out)
        where = _keep_log(text, log, tex.with_suffix(".log"))
        raise ReportError(f"latexmk did not finish in {timeout:.0f} s on {tex.name} "
                          f"(log: {where})") from None
    src_log = tex.with_suffix(".log")
    pdf = tex.with_suffix(".pdf")
    if proc.returncode != 0 or not pdf.exists():
        text = src_log.read_text(errors="replace") if src_log.exists() \
            else proc.stdout + proc.stderr
        where = _keep_log(text, log, src_log)
        raise ReportError(f"LaTeX ({engine}) failed: {_first_error(text)} (log: {where})")
    return pdf


def compile_typst(src: Path, *, log: Path | None = None) -> Path:
    """Compile the Typst file ``src`` with the ``typst`` package; return the PDF path.

    On failure raises :class:`ReportError` with the first line of Typst's diagnostics; the
    whole diagnostics are written to ``log`` when given, and the message names it.
    """
    import typst

    src = Path(src)
    pdf = src.with_suffix(".pdf")
    try:
        typst.compile(str(src), output=str(pdf), root=str(src.parent))
    except Exception as exc:  # typst raises its own TypstError
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        tail = ""
        if log is not None:
            where = _keep_log(f"{type(exc).__name__}: {text}\n", log, None)
            tail = f" (log: {where})" if where is not None else ""
        raise ReportError(f"Typst failed on {src.name}: {first}{tail}") from exc
    return pdf

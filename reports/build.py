"""Build the report: compute the document, write ``.tex`` (and ``.typ``), compile, swap into place.

Everything is written in a locked staging folder ``.OUT.tmp-<host>-<pid>-<random>`` beside
``OUT`` and swapped in only when complete (see :mod:`reports._atomic`): with a directory
exchange where the OS offers one, ``OUT`` holds at every instant either the complete old
report or the complete new one; elsewhere each file is replaced atomically, figures first and
the PDF last. An interrupted, killed or failed run leaves the previous report intact; the
next run removes the staging folders of killed runs (never a live concurrent run's). A
failed compile keeps no folder: its log is copied to ``OUT.log`` beside ``OUT`` and named
in the error (a later successful build removes it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from . import _atomic
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


def _report_folder(out) -> Path:
    """``out`` as an absolute folder path a report may replace; ReportError otherwise."""
    if isinstance(out, os.PathLike):
        out = os.fspath(out)
    if not isinstance(out, str) or not out or "\0" in out:
        raise ReportError(f"--out must name a folder, got {out!r}")
    path = Path(os.path.abspath(out))
    if path.is_symlink():
        try:
            path = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise ReportError(f"--out {out!r} is a broken symbolic link or a link loop") \
                from None
    if path == path.parent:
        raise ReportError(f"--out {out!r} is the root folder; choose a folder for the report")
    if os.path.lexists(path) and not path.is_dir():
        raise ReportError(f"--out {out!r} exists and is not a directory")
    if path.is_dir():
        try:
            names = os.listdir(path)
        except OSError as exc:
            raise ReportError(f"--out {out!r} cannot be read ({exc.strerror})") from None
        others = [n for n in names if not n.startswith(".") and n != "figures"]
        if others and not any(n.startswith(BASENAME + ".") for n in names):
            raise ReportError(f"--out {out!r} is a folder holding other files and no "
                              f"{BASENAME} report; the report replaces the whole folder, so "
                              "choose a new or empty folder")
    return path


def _os_reason(exc: OSError, tmp: Path) -> str:
    """An OSError in words, naming a file of the report by its place in the report (never
    the staging folder's random name)."""
    name = exc.filename
    if isinstance(name, (str, os.PathLike)):
        try:
            name = str(Path(name).relative_to(tmp))
        except ValueError:
            name = str(name)
    reason = exc.strerror or (str(exc).splitlines() or [type(exc).__name__])[0]
    return f"cannot write {name!r} ({reason})" if name else f"{type(exc).__name__}: {reason}"


def _progress(say, figures: Path):
    """``say``, pausing at the test point ``document`` once a figure has been written."""
    def progress(msg: str) -> None:
        say(msg)
        if os.environ.get("GATEBOUND_TEST_PAUSE") and any(figures.iterdir()):
            _atomic.pause("document")
    return progress


def _with_engine(doc, engine: str):
    """``doc`` with its reproducibility section naming ``engine``."""
    from ._sec_repro import repro_section

    sec = repro_section(doc.meta["command"], doc.meta["seeds"], engine)
    return replace(doc, sections=tuple(sec if s.label == sec.label else s for s in doc.sections))


def _cells(cells) -> list:
    """``cells`` as a list of cells: a spec string for :func:`parse_cells`, or a list of
    built-in specs and :class:`derivations.Cell` objects (a user's own cell)."""
    import derivations as dv

    if isinstance(cells, (list, tuple)) and any(isinstance(c, dv.Cell) for c in cells):
        out = []
        for c in cells:
            for cell in ([c] if isinstance(c, dv.Cell) else parse_cells([c])):
                if cell not in out:
                    out.append(cell)
        return out
    return parse_cells(cells)


def build_report(out="build/report", *, engine: str = "auto", lang: str = "en", cells=None,
                 quick: bool = False, title: str | None = None, author: str = "gatebound",
                 command: str | None = None,
                 progress: Callable[[str], None] | None = None,
                 document_cache: dict | None = None) -> BuildResult:
    """Build ``out/gatebound.tex`` and ``out/gatebound.pdf`` (and ``out/figures/``).

    Options are checked before any work: ``lang`` in ``en``/``vi``, ``engine`` in
    ``auto``/``latex``/``typst`` (``latex`` needs latexmk), ``cells`` known (a spec
    string, or a list of specs and :class:`derivations.Cell` objects: a user's own cell).
    ``document_cache``: a dict shared by several builds of the same options with different
    engines; the document and its figures (kept as bytes) are computed once.
    """
    t0 = time.perf_counter()
    say = progress or (lambda msg: None)
    if lang not in LANGS:
        raise ReportError(f"unknown language {lang!r}; choose one of {list(LANGS)}")
    engine = choose_engine(engine, lang)
    chosen = None if cells is None else _cells(cells)   # None: every cell (a subset if quick)
    key = (None if chosen is None else tuple(chosen), quick, title, author, command, lang)
    out = _report_folder(out)
    what = f"--out {str(out)!r}"
    created = _atomic.make_folder(out.parent, what)
    _atomic.remove_leftovers(out.parent, out.name)
    try:
        stage = _atomic.staging_in(out.parent, out.name, what)
    except ReportError:
        _atomic.remove_folders(created)
        raise
    log = out.with_name(out.name + ".log")
    tmp = stage.path
    try:
        (tmp / "figures").mkdir()
        hit = document_cache.get(key) if document_cache is not None else None
        if hit is not None:
            say("reusing the computed document and figures")
            doc, figures = hit
            doc = _with_engine(doc, engine)
            for name, data in figures.items():
                (tmp / "figures" / name).write_bytes(data)
            _atomic.pause("document")
        else:
            doc = build_document(chosen, quick=quick, title=title, author=author,
                                 command=command, engine=engine,
                                 progress=_progress(say, tmp / "figures"),
                                 figures_dir=tmp / "figures", lang=lang)
            if document_cache is not None:
                document_cache[key] = (doc, {p.name: p.read_bytes()
                                             for p in (tmp / "figures").glob("*.pdf")})
        tex = tmp / f"{BASENAME}.tex"
        tex.write_text(render_latex(doc, lang), encoding="utf-8")
        say(f"wrote {BASENAME}.tex; compiling with {engine}")
        _atomic.pause("compile")
        if engine == "latex":
            compile_latex(tex, lang, log=log)
        else:
            typ = tmp / f"{BASENAME}.typ"
            typ.write_text(render_typst(doc, lang), encoding="utf-8")
            compile_typst(typ, log=log)
        _atomic.fsync_tree(tmp)
        _atomic.pause("swap")
        with _atomic.deferred_signals():
            _atomic.install_tree(tmp, out, last=(f"{BASENAME}.pdf",))
        _atomic.pause("swapped")
        if log.is_file():
            log.unlink()
    except BaseException as exc:
        stage.discard()
        if not out.exists():
            _atomic.remove_folders(created)
        if isinstance(exc, OSError):
            raise ReportError(f"{what}: {_os_reason(exc, tmp)}") from None
        raise
    finally:
        stage.discard()
    seconds = time.perf_counter() - t0
    say(f"done in {seconds:.1f} s: {out / (BASENAME + '.pdf')}")
    return BuildResult(out, out / f"{BASENAME}.tex", out / f"{BASENAME}.pdf", engine, lang,
                       seconds, tuple(doc.meta.get("missing", ())))

r"""Render a :class:`~reports.model.Document` to LaTeX.

English compiles with pdflatex (T1 + lmodern) unless it holds letters T1 cannot set (the
report quotes the Vietnamese seed notes), then with lualatex; Vietnamese with lualatex (fontspec,
Latin Modern OpenType, which carries the Vietnamese letters). Display math uses
``align*`` with one row per term and the path label in a right-hand column.

>>> from reports.model import Document, Section, Paragraph, Tr, M
>>> doc = Document(Tr("T", "T"), "me & you", (Section(Tr("S", "Mục"), (Paragraph(
...     (Tr("Value ", "Giá trị "), M("x_{t}", "x_t"), ".")),)),))
>>> tex = render_latex(doc, "vi")
>>> r"\section{Mục}" in tex, r"Giá trị $x_{t}$." in tex, r"me \& you" in tex
(True, True, True)
"""

from __future__ import annotations

import re

from ._errors import ReportError
from ._escape import latex_escape
from .model import (
    LANGS,
    ByLang,
    Code,
    Document,
    Figure,
    List,
    M,
    Math,
    Paragraph,
    Ref,
    Section,
    Table,
    Tr,
)

__all__ = ["render_latex", "latex_engine_for", "needs_unicode_engine", "engine_of"]

_HEADS = ("section", "subsection", "subsubsection", "paragraph")

_PREAMBLE = {
    "en": r"""\documentclass[11pt,a4paper]{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
""",
    "vi": r"""\documentclass[11pt,a4paper]{article}
\usepackage{fontspec}
\setmainfont{Latin Modern Roman}
\setsansfont{Latin Modern Sans}
\setmonofont{Latin Modern Mono}
""",
}
_COMMON = r"""\usepackage{amsmath,amssymb}
\usepackage{graphicx}
\usepackage{float}
\usepackage{array,booktabs,longtable}
\usepackage[margin=2.3cm]{geometry}
\usepackage[hidelinks,bookmarksnumbered,bookmarksopen,bookmarksopenlevel=1]{hyperref}
\setcounter{tocdepth}{2}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
"""
_NAMES_VI = r"""\renewcommand{\figurename}{Hình}
\renewcommand{\tablename}{Bảng}
\renewcommand{\contentsname}{Mục lục}
\renewcommand{\abstractname}{Tóm tắt}
"""


def latex_engine_for(lang: str) -> str:
    """``pdflatex`` for English, ``lualatex`` for Vietnamese (the default before the text is
    known: :func:`render_latex` switches English to lualatex when :func:`needs_unicode_engine`)."""
    return {"en": "pdflatex", "vi": "lualatex"}[lang]


def needs_unicode_engine(tex: str) -> bool:
    """True if ``tex`` holds letters T1 fonts lack (Vietnamese ơ, ư, ạ, ế, ...): such an
    English document (the seed audit quotes the Vietnamese notes) is compiled by lualatex.

    >>> needs_unicode_engine("Ánh café"), needs_unicode_engine("gần bằng")
    (False, True)
    """
    return any(0x1A0 <= ord(ch) <= 0x1B0 or 0x1E00 <= ord(ch) <= 0x1EFF for ch in tex)


def engine_of(tex: str, lang: str) -> str:
    """The engine named by the ``% !TEX program = ...`` first line, else the language's."""
    m = re.match(r"% !TEX program = (\w+)", tex)
    return m.group(1) if m else latex_engine_for(lang)


class _R:
    def __init__(self, lang):
        self.lang = lang

    def text(self, part) -> str:
        if isinstance(part, ByLang):
            return self.text(part.get(self.lang))
        if isinstance(part, Tr):
            return latex_escape(part.get(self.lang))
        if isinstance(part, str):
            return latex_escape(part)
        if isinstance(part, M):
            return f"${part.latex}$"
        if isinstance(part, Code):
            return r"\texttt{%s}" % latex_escape(part.text)
        if isinstance(part, Ref):  # a link (hyperref)
            return (r"\pageref{%s}" if part.page else r"\ref{%s}") % part.label
        if isinstance(part, tuple):
            return "".join(self.text(p) for p in part)
        raise ReportError(f"cannot render inline part {part!r}")

    def block(self, b, depth) -> str:
        if isinstance(b, ByLang):
            return self.block(b.get(self.lang), depth)
        if isinstance(b, Section):
            return self.section(b, depth + 1)
        if isinstance(b, Paragraph):
            return self.text(b.parts) + "\n"
        if isinstance(b, Math):
            return self.math(b)
        if isinstance(b, Table):
            return self.table(b)
        if isinstance(b, Figure):
            return self.figure(b)
        if isinstance(b, List):
            env = "enumerate" if b.ordered else "itemize"
            items = "".join(r"  \item %s" % self.text(i) + "\n" for i in b.items)
            return f"\\begin{{{env}}}\n{items}\\end{{{env}}}\n"
        raise ReportError(f"cannot render block {type(b).__name__}")

    def section(self, s: Section, depth: int) -> str:
        head = _HEADS[min(depth, len(_HEADS) - 1)]
        label = r"\label{%s}" % s.label if s.label else ""
        body = "\n".join(self.block(b, depth) for b in s.blocks)
        return f"\\{head}{{{self.text(s.title)}}}{label}\n{body}"

    def math(self, m: Math) -> str:
        rows = m.rows
        if len(rows) == 1 and not rows[0].latex_lhs and rows[0].label is None:
            return "\\[\n%s\n\\]\n" % rows[0].latex_rhs
        lines = []
        for r in rows:
            if r.latex_lhs or r.latex_rel:
                line = f"{r.latex_lhs} &{r.latex_rel} {r.latex_rhs}"
            else:
                line = r"&\quad %s" % r.latex_rhs
            if r.label is not None:
                line += r" && \text{\small\itshape %s}" % self.text(r.label)
            lines.append(line)
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"

    def table(self, t: Table) -> str:
        if t.widths is not None:
            spec = "".join(r">{\raggedright\arraybackslash}p{\dimexpr %.3f\linewidth-2\tabcolsep\relax}"
                           % w for w in t.widths)
        else:
            spec = t.align or "l" * len(t.header)
        head = " & ".join(r"\textbf{%s}" % self.text(c) for c in t.header) + r" \\"
        body = "\n".join(" & ".join(self.text(c) for c in row) + r" \\" for row in t.rows)
        cap = r"\caption{%s}\\" % self.text(t.caption) + "\n" if t.caption else ""
        out = (f"\\begin{{longtable}}{{{spec}}}\n{cap}\\toprule\n{head}\n\\midrule\n\\endhead\n"
               f"{body}\n\\bottomrule\n\\end{{longtable}}\n")
        return f"\\begingroup\\small\n{out}\\endgroup\n" if t.small else out

    def figure(self, f: Figure) -> str:
        return ("\\begin{figure}[H]\n\\centering\n"
                f"\\includegraphics[width={f.width:.2f}\\linewidth]{{{f.path}}}\n"
                f"\\caption{{{self.text(f.caption)}}}\n\\end{{figure}}\n")


def render_latex(doc: Document, lang: str = "en") -> str:
    """The complete ``.tex`` source of ``doc`` in ``lang`` (``en`` or ``vi``)."""
    if lang not in LANGS:
        raise ReportError(f"unknown language {lang!r}; choose one of {list(LANGS)}")
    r = _R(lang)
    body = [r"\title{%s}" % r.text(doc.title) + "\n"]
    body.append(r"\author{%s}" % latex_escape(doc.author) + "\n")
    body.append(r"\date{%s}" % latex_escape(doc.meta.get("date", "")) + "\n")
    body.append("\\begin{document}\n\\maketitle\n")
    if doc.abstract is not None:
        body.append("\\begin{abstract}\n%s\n\\end{abstract}\n" % r.text(doc.abstract))
    body.append("\\tableofcontents\n")
    for s in doc.sections:
        body.append(r.section(s, 0))
    body.append("\\end{document}\n")
    text = "".join(body)
    engine = latex_engine_for(lang)
    if engine == "pdflatex" and needs_unicode_engine(text):
        engine = "lualatex"
    head = f"% !TEX program = {engine}\n" + _PREAMBLE["vi" if engine == "lualatex" else "en"]
    return "".join([head, _COMMON, _NAMES_VI if lang == "vi" else "", text])

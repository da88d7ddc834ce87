r"""Render a :class:`~reports.model.Document` to Typst markup.

>>> from reports.model import Document, Section, Paragraph, Tr, M
>>> doc = Document(Tr("T", "T"), "me #1", (Section(Tr("S", "Mục"), (Paragraph(
...     (Tr("Value ", "Giá trị "), M("x_{t}", "x_t"), ".")),)),))
>>> src = render_typst(doc, "vi")
>>> "= Mục" in src, "Giá trị $x_t$." in src, "me \\#1" in src
(True, True, True)
"""

from __future__ import annotations

from ._errors import ReportError
from ._escape import typst_escape, typst_string
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

__all__ = ["render_typst"]

_SUPPLEMENT = {"en": ("Figure", "Table", "Contents"), "vi": ("Hình", "Bảng", "Mục lục")}


class _R:
    def __init__(self, lang):
        self.lang = lang

    def text(self, part) -> str:
        if isinstance(part, ByLang):
            return self.text(part.get(self.lang))
        if isinstance(part, Tr):
            return typst_escape(part.get(self.lang))
        if isinstance(part, str):
            return typst_escape(part)
        if isinstance(part, M):
            return f"${part.typst}$"
        if isinstance(part, Code):
            return "#raw(%s)" % typst_string(part.text)
        if isinstance(part, Ref):  # a link; ``;`` ends the call (a following ``.x`` is text)
            lab = f"<{part.label}>"
            if part.page:
                return f"#link({lab}, context str(locate({lab}).page()));"
            return f"#ref({lab}, supplement: none);"
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
            return (f"#figure(image({typst_string(b.path)}, width: {round(b.width * 100)}%),\n"
                    f"  caption: [{self.text(b.caption)}])\n")
        if isinstance(b, List):
            mark = "+" if b.ordered else "-"
            return "".join(f"{mark} {self.text(i)}\n" for i in b.items)
        raise ReportError(f"cannot render block {type(b).__name__}")

    def section(self, s: Section, depth: int) -> str:
        label = f" <{s.label}>" if s.label else ""
        body = "\n".join(self.block(b, depth) for b in s.blocks)
        return f"{'=' * (depth + 1)} {self.text(s.title)}{label}\n\n{body}\n"

    def math(self, m: Math) -> str:
        rows = m.rows
        if len(rows) == 1 and not rows[0].typst_lhs and rows[0].label is None:
            return f"$ {rows[0].typst_rhs} $\n"
        lines = []
        for r in rows:
            if r.typst_lhs or r.typst_rel:
                line = f"{r.typst_lhs} &{r.typst_rel} {r.typst_rhs}"
            else:
                line = f"&quad {r.typst_rhs}"
            if r.label is not None:
                line += " && #text(size: 0.85em, style: \"italic\", %s)" % typst_string(
                    r.label.get(self.lang))
            lines.append(line)
        return "$ " + " \\\n  ".join(lines) + " $\n"

    def table(self, t: Table) -> str:
        if t.widths is not None:
            cols = "(" + ", ".join(f"{w * 100:.1f}%" for w in t.widths) + ",)"
        else:
            cols = str(len(t.header))
        align = "left"
        if t.align:
            amap = {"l": "left", "c": "center", "r": "right"}
            align = "(" + ", ".join(amap.get(a, "left") for a in t.align) + ",)"
        head = ", ".join(f"[*{self.text(c)}*]" for c in t.header)
        body = ",\n    ".join(", ".join(f"[{self.text(c)}]" for c in row) for row in t.rows)
        table = (f"table(columns: {cols}, align: {align}, stroke: none, inset: (x: 4pt, y: 3pt),\n"
                 f"    table.hline(), table.header({head}), table.hline(),\n    {body},\n"
                 "    table.hline())")
        if t.caption is None:
            out = f"#{table}\n"
        else:
            out = f"#figure({table},\n  caption: [{self.text(t.caption)}])\n"
        return f"#[#set text(size: 0.9em)\n{out}]\n" if t.small else out


def render_typst(doc: Document, lang: str = "en") -> str:
    """The complete Typst source of ``doc`` in ``lang`` (``en`` or ``vi``)."""
    if lang not in LANGS:
        raise ReportError(f"unknown language {lang!r}; choose one of {list(LANGS)}")
    r = _R(lang)
    fig, tab, toc = _SUPPLEMENT[lang]
    out = [
        '#set page(paper: "a4", margin: 2.3cm, numbering: "1")\n',
        f'#set text(lang: "{lang}", size: 10.5pt)\n',
        '#set heading(numbering: "1.1")\n',
        "#set par(justify: true)\n",
        f"#show figure.where(kind: image): set figure(supplement: {typst_string(fig)})\n",
        f"#show figure.where(kind: table): set figure(supplement: {typst_string(tab)})\n",
        "#show figure: set block(breakable: true)\n",
        "#show table: set par(justify: false)\n",
        "#show figure.where(kind: table): set figure.caption(position: top)\n",
        f"#align(center)[#text(size: 17pt, weight: \"bold\")[{r.text(doc.title)}] \\\n"
        f"  #v(0.4em) {typst_escape(doc.author)} \\\n  {typst_escape(doc.meta.get('date', ''))}]\n",
    ]
    if doc.abstract is not None:
        out.append(f"#block(inset: (x: 2em))[{r.text(doc.abstract)}]\n")
    out.append(f"#outline(title: {typst_string(toc)}, depth: 2)\n\n")
    for s in doc.sections:
        out.append(r.section(s, 0))
    return "".join(out)

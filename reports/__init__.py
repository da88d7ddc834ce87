"""reports (gatebound): the document model, LaTeX and Typst renderers, figures and the CLI.

>>> from reports import Tr, render_typst, Document, Section, Paragraph
>>> doc = Document(Tr("T", "T"), "me", (Section(Tr("A", "Ă"), (Paragraph(("x",)),)),))
>>> "= Ă" in render_typst(doc, "vi")
True
"""

from ._errors import ReportError
from .build import BuildResult, build_report
from .document import build_document, parse_cells
from .engines import choose_engine, compile_latex, compile_typst, have_latex
from .mathblocks import equations_math, jacobian_math
from .model import (
                    Code,
                    Document,
                    Figure,
                    List,
                    M,
                    Math,
                    MathRow,
                    Paragraph,
                    Section,
                    Table,
                    Tr,
)
from .render_latex import render_latex
from .render_typst import render_typst
from .typst_math import TypstPrinter, typst, typst_display, typst_printer_for

__all__ = [
    "ReportError", "BuildResult", "build_report", "build_document", "parse_cells",
    "choose_engine", "compile_latex", "compile_typst", "have_latex",
    "equations_math", "jacobian_math", "Code", "Document", "Figure", "List", "M", "Math",
    "MathRow", "Paragraph", "Section", "Table", "Tr", "render_latex",
    "render_typst", "TypstPrinter", "typst", "typst_display", "typst_printer_for",
]

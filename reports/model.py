r"""The document model: small frozen dataclasses rendered by the LaTeX and Typst renderers.

Every sentence is a :class:`Tr` holding its English and Vietnamese text; the renderer
picks one with ``lang``. Plain ``str`` parts are user or data text (cell names, numbers,
versions) that is the same in both languages; renderers escape them. Math is carried as
LaTeX and Typst strings (:class:`M` inline, :class:`Math` display) that the two printers
produced from SymPy objects and statement nodes (:mod:`reports.mathblocks` for Jacobians,
:mod:`reports._statements` for bounds, lemmas and evidence); nothing converts one to the
other.

>>> doc = Document(Tr("Title", "Tiêu đề"), "A. Author",
...                (Section(Tr("Intro", "Mở đầu"), (Paragraph((Tr("Hi.", "Chào."),)),)),))
>>> [s.title.get("vi") for s in doc.sections]
['Mở đầu']
>>> sorted({t.en for t in doc.texts()})
['Hi.', 'Intro', 'Title']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._errors import ReportError
from ._escape import nfc

__all__ = ["Tr", "M", "Code", "Ref", "Paragraph", "Math", "MathRow", "Table", "Figure", "List",
           "Section", "Document", "LANGS", "Inline", "Block", "ByLang", "LABEL_CHARS",
           "check_label"]

#: the report's languages
LANGS = ("en", "vi")

#: the characters a section label may hold (valid in a LaTeX ``\label`` and a Typst label)
LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.")


def check_label(label: str) -> str:
    """``label`` if both renderers can use it as is (``sec:cell-gru-cho``); ReportError
    naming the label otherwise."""
    if (not isinstance(label, str) or not label or not label[0].isalpha()
            or not set(label) <= LABEL_CHARS or label.endswith((".", ":"))):
        raise ReportError(f"a section label must start with a letter and hold only letters, "
                          f"digits and ':-_.', got {label!r}")
    return label


@dataclass(frozen=True)
class Tr:
    """One piece of text in English and Vietnamese (stored NFC-normalised)."""

    en: str
    vi: str

    def __post_init__(self):
        if not isinstance(self.en, str) or not isinstance(self.vi, str) or not self.en or not self.vi:
            raise ReportError(f"a translated text needs non-empty en and vi strings, "
                              f"got en={self.en!r}, vi={self.vi!r}")
        object.__setattr__(self, "en", nfc(self.en))
        object.__setattr__(self, "vi", nfc(self.vi))

    def get(self, lang: str) -> str:
        if lang not in LANGS:
            raise ReportError(f"unknown language {lang!r}; choose one of {list(LANGS)}")
        return getattr(self, lang)

    def __add__(self, other):
        if isinstance(other, Tr):
            return Tr(self.en + other.en, self.vi + other.vi)
        return Tr(self.en + str(other), self.vi + str(other))


@dataclass(frozen=True)
class M:
    """Inline math, as LaTeX (without ``$``) and Typst (without ``$``)."""

    latex: str
    typst: str


@dataclass(frozen=True)
class Code:
    """Inline verbatim text (a command, a file name)."""

    text: str


@dataclass(frozen=True)
class Ref:
    """A link to a labelled :class:`Section`, printed as its number (``3.2``), or as its
    page number with ``page=True``; both are links in the PDF."""

    label: str
    page: bool = False

    def __post_init__(self):
        check_label(self.label)


Inline = Tr | str | M | Code | Ref


@dataclass(frozen=True)
class Paragraph:
    """A paragraph: a sequence of inline parts (``Tr``, ``str``, ``M``, ``Code``)."""

    parts: tuple

    def __post_init__(self):
        _check_inlines(self.parts, "paragraph")


@dataclass(frozen=True)
class MathRow:
    """One aligned row of a display: ``lhs = rhs`` (or a continuation ``+ ...``) and a label.

    ``lhs`` empty means a continuation row; ``rel`` is the relation printed between
    (``=``, ``\\le``) and is empty on continuation rows.
    """

    latex_lhs: str
    latex_rhs: str
    typst_lhs: str
    typst_rhs: str
    label: Tr | None = None
    latex_rel: str = "="
    typst_rel: str = "="


@dataclass(frozen=True)
class Math:
    """Display math: aligned rows, each with an optional right-hand label."""

    rows: tuple

    @classmethod
    def single(cls, latex: str, typst: str) -> Math:
        """A one-line display without alignment."""
        return cls((MathRow("", latex, "", typst, None, "", ""),))


@dataclass(frozen=True)
class Table:
    """A table: header row, body rows; cells are inline parts or tuples of them.

    ``widths``: ``None`` for natural widths, or one fraction of the line width per column
    (long text then wraps). ``small``: a smaller font (a wide table of many columns).
    """

    header: tuple
    rows: tuple
    caption: Tr | None = None
    widths: tuple | None = None
    align: str | None = None
    small: bool = False

    def __post_init__(self):
        n = len(self.header)
        for i, row in enumerate(self.rows):
            if len(row) != n:
                raise ReportError(f"table row {i} has {len(row)} cells, the header has {n}")
        if self.widths is not None and len(self.widths) != n:
            raise ReportError(f"table widths {self.widths!r} give {len(self.widths)} columns, "
                              f"the header has {n}")
        if self.align is not None and len(self.align) != n:
            raise ReportError(f"table align {self.align!r} gives {len(self.align)} columns, "
                              f"the header has {n}")


@dataclass(frozen=True)
class Figure:
    """A figure: a PDF file (relative to the report directory), a caption, a width fraction."""

    path: str
    caption: Tr
    width: float = 0.9


@dataclass(frozen=True)
class List:
    """A bulleted (or numbered) list; each item is a tuple of inline parts."""

    items: tuple
    ordered: bool = False

    def __post_init__(self):
        for item in self.items:
            _check_inlines(item, "list item")


@dataclass(frozen=True)
class Section:
    """A section; ``blocks`` are Paragraph, Math, Table, Figure, List or nested Section."""

    title: Tr
    blocks: tuple
    label: str | None = None

    def __post_init__(self):
        if self.label is not None:
            check_label(self.label)


@dataclass(frozen=True)
class ByLang:
    """A block or inline part that differs by language (e.g. math with translated
    ``\\text`` pieces)."""

    en: object
    vi: object

    def get(self, lang: str):
        if lang not in LANGS:
            raise ReportError(f"unknown language {lang!r}; choose one of {list(LANGS)}")
        return getattr(self, lang)


Block = Paragraph | Math | Table | Figure | List | Section | ByLang


@dataclass(frozen=True)
class Document:
    """The whole report."""

    title: Tr
    author: str
    sections: tuple
    abstract: Tr | None = None
    meta: dict = field(default_factory=dict, compare=False)

    def texts(self):
        """Every :class:`Tr` in the document (for checks: both languages present, NFC)."""
        yield self.title
        if self.abstract is not None:
            yield self.abstract
        for s in self.sections:
            yield from _walk_texts(s)


def _walk_texts(obj):
    if isinstance(obj, Tr):
        yield obj
    elif isinstance(obj, Section):
        yield obj.title
        for b in obj.blocks:
            yield from _walk_texts(b)
    elif isinstance(obj, Paragraph):
        yield from _walk_texts(obj.parts)
    elif isinstance(obj, MathRow):
        if obj.label is not None:
            yield obj.label
    elif isinstance(obj, Math):
        yield from _walk_texts(obj.rows)
    elif isinstance(obj, Table):
        if obj.caption is not None:
            yield obj.caption
        yield from _walk_texts(obj.header)
        for row in obj.rows:
            yield from _walk_texts(row)
    elif isinstance(obj, Figure):
        yield obj.caption
    elif isinstance(obj, List):
        for item in obj.items:
            yield from _walk_texts(item)
    elif isinstance(obj, ByLang):
        yield from _walk_texts(obj.en)
        yield from _walk_texts(obj.vi)
    elif isinstance(obj, tuple):
        for x in obj:
            yield from _walk_texts(x)


def _check_inlines(parts, where):
    if not isinstance(parts, tuple):
        raise ReportError(f"a {where} takes a tuple of inline parts, got {type(parts).__name__}")
    for p in parts:
        if not isinstance(p, (Tr, str, M, Code, Ref, ByLang)):
            raise ReportError(f"a {where} part must be Tr, str, M, Code or Ref, got {p!r}")

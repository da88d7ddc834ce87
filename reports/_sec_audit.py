r"""The seed audit section: each claim of the seed notes, its Vietnamese quote, the verdict
computed by :func:`derivations.audit.audit`, the evidence (display math) and the explanation
in the report's language.

Everything is read from typed objects: the verdict is a :class:`~derivations.facts.Verdict`,
the evidence a statement printed by :func:`~reports._statements.statement_math`, the quote
a structure of text and math nodes, the explanation chosen from the claim's facts
(:mod:`reports._audit_text`).

>>> from derivations.facts import Verdict
>>> verdict_tr(Verdict.only_under(("pytorch", "cho"))).vi
'chỉ đúng với quy ước pytorch, cho'
"""

from __future__ import annotations

from derivations.facts import Verdict, VerdictKind
from derivations.printing import GateLatexPrinter, printer_for

from ._audit_text import VI, explanation_parts
from ._statements import Printers, prose_parts, statement_math
from .model import ByLang, Code, Paragraph, Section, Table, Tr
from .typst_math import TypstPrinter, typst_printer_for

__all__ = ["audit_section", "verdict_tr", "claim_printers", "quote_parts", "evidence_block",
           "TITLE"]

TITLE = Tr("Seed audit", "Kiểm tra ghi chú gốc")

_VERDICT_VI = {VerdictKind.TRUE: "đúng", VerdictKind.FALSE: "sai",
               VerdictKind.INCOMPLETE: "chưa đầy đủ",
               VerdictKind.TRUE_ONLY_UNDER: "chỉ đúng với quy ước"}


def verdict_tr(verdict: Verdict) -> Tr:
    """The bilingual text of a computed verdict."""
    vi = _VERDICT_VI[verdict.kind]
    if verdict.kind is VerdictKind.TRUE_ONLY_UNDER:
        vi += " " + ", ".join(verdict.conventions)
    return Tr(str(verdict), vi)


def claim_printers(claim) -> Printers:
    """Printers with the names of every cell the claim's math uses (the first cell's name of
    a symbol wins; the cells of one claim agree on shared symbols)."""
    if len(claim.cells) == 1:
        return Printers.for_cell(claim.cells[0])
    latex = [printer_for(c) for c in claim.cells]
    typst = [typst_printer_for(c) for c in claim.cells]

    def merged(printers, attr):
        out = {}
        for p in reversed(printers):
            out.update(getattr(p, attr))
        return out

    return Printers(
        GateLatexPrinter(merged(latex, "names"), merged(latex, "factor_order"),
                         merged(latex, "declared")),
        TypstPrinter(merged(typst, "names"), merged(typst, "factor_order"),
                     declared=merged(typst, "declared")))


def quote_parts(claim, pr: Printers | None = None) -> tuple:
    """The claim's quote of the notes as inline parts (text as written, math printed)."""
    return prose_parts(claim.quote.prose, pr or claim_printers(claim))


def evidence_block(claim, pr: Printers | None = None):
    """The evidence as display math, broken by its structure; its phrases in the report's
    language (a :class:`~reports.model.ByLang` when they differ)."""
    pr = pr or claim_printers(claim)
    en = statement_math(claim.evidence, pr)
    vi = statement_math(claim.evidence, pr.with_texts(VI))
    return en if en == vi else ByLang(en, vi)


def _claim_blocks(k: int, c) -> Section:
    v = verdict_tr(c.verdict)
    pr = claim_printers(c)
    blocks = (
        Paragraph((Tr("The seed notes: ", "Ghi chú gốc: "), "“", *quote_parts(c, pr), "”")),
        Paragraph((Tr("In English: ", "Diễn đạt bằng tiếng Anh: "),
                   *prose_parts(c.claim_en, pr))),
        Paragraph((Tr("Verdict: ", "Kết luận: "), v, ".")),
        Paragraph((Tr("Evidence (computed):", "Bằng chứng (được tính toán):"),)),
        evidence_block(c, pr),
        Paragraph(explanation_parts(c, pr)),
    )
    return Section(Tr(f"Claim {k}: {v.en}", f"Nhận định {k}: {v.vi}"), blocks)


def audit_section(claims=None) -> Section:
    """The seed-audit section from ``claims`` (default :func:`derivations.audit.audit`)."""
    if claims is None:
        from derivations.audit import audit

        claims = audit()
    rows = tuple((str(k), Code(c.id), verdict_tr(c.verdict)) for k, c in enumerate(claims, 1))
    table = Table((Tr("#", "#"), Tr("claim", "nhận định"), Tr("verdict", "kết luận")), rows,
                  Tr("The seed notes' claims and their computed verdicts.",
                     "Các nhận định của ghi chú gốc và kết luận được tính toán."),
                  align="rll")
    intro = Paragraph((Tr(
        "The project started from informal notes in Vietnamese (the seed). Each of their claims "
        "about GRU and LSTM gating is checked here against the derived math rather than "
        "repeated: the verdict and the evidence are computed by ",
        "Dự án bắt đầu từ một ghi chú không chính thức bằng tiếng Việt (ghi chú gốc). Mỗi nhận "
        "định của nó về cơ chế cổng của GRU và LSTM được đối chiếu ở đây với toán học đã suy ra "
        "thay vì lặp lại: kết luận và bằng chứng được tính bởi "),
        Code("derivations.audit.audit()"),
        Tr(" (substituting gate limits into the equations, reading the derived Jacobian's "
           "terms, evaluating them numerically).",
           " (thay giới hạn của cổng vào phương trình, đọc các số hạng của ma trận Jacobi đã "
           "suy ra, tính giá trị số của chúng).")))
    subs = tuple(_claim_blocks(k, c) for k, c in enumerate(claims, 1))
    return Section(TITLE, (intro, table, *subs), label="sec:audit")

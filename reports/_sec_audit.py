r"""The seed audit section: each claim of the seed notes, its Vietnamese quote, the verdict
computed by :func:`derivations.audit.audit`, the evidence (display math) and the explanation
in the report's language.

>>> verdict_tr("true only under convention pytorch, cho").vi
'chỉ đúng với quy ước pytorch, cho'
>>> [type(p).__name__ for p in quote_parts(r"Khi $z_t$ gần 1")]
['str', 'M', 'str']
"""

from __future__ import annotations

import importlib
import re

from ._breaking import break_rows, typst_row
from ._i18n import tex_vi
from .latex2typst import prose2typst, tex2typst
from .model import ByLang, Code, M, Math, MathRow, Paragraph, RawInline, Section, Table, Tr

__all__ = ["audit_available", "audit_section", "verdict_tr", "quote_parts", "evidence_math",
           "TITLE"]

TITLE = Tr("Seed audit", "Kiểm tra ghi chú gốc")

_VERDICT_VI = {"true": "đúng", "false": "sai", "incomplete": "chưa đầy đủ"}
_ONLY = "true only under convention "

def audit_available() -> bool:
    """True if :mod:`derivations.audit` is installed."""
    try:
        importlib.import_module("derivations.audit")
    except ImportError:
        return False
    return True


def verdict_tr(verdict: str) -> Tr:
    """The bilingual text of a computed verdict."""
    if verdict in _VERDICT_VI:
        return Tr(verdict, _VERDICT_VI[verdict])
    if verdict.startswith(_ONLY):
        return Tr(verdict, "chỉ đúng với quy ước " + verdict[len(_ONLY):])
    return Tr(verdict, verdict)


def _sci(tex: str) -> str:
    """``2.6e-04`` -> ``2.6 \\cdot 10^{-4}`` (numbers in math, not ``2.6e - 04``)."""
    def rep(m):
        e = int(m.group(2))
        return m.group(1) if e == 0 else rf"{m.group(1)} \cdot 10^{{{e}}}"

    return re.sub(r"(\d+(?:\.\d+)?)e([+-]\d+)", rep, tex)


def quote_parts(text: str) -> tuple:
    """A seed quote (prose with ``$...$`` math, ``*emphasis*``) as inline parts."""
    out = []
    for i, piece in enumerate(re.split(r"\$(.+?)\$", text)):
        if i % 2:
            out.append(M(piece, tex2typst(piece)))
        elif piece:
            out.append(re.sub(r"\*([^*]+)\*", r"\1", piece))
    return tuple(out)


def _split_top(tex: str, seps) -> list:
    """Split ``tex`` at any of ``seps`` outside braces and ``\\left..\\right`` pairs."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(tex):
        if tex.startswith(r"\left", i):
            depth += 1
        elif tex.startswith(r"\right", i):
            depth -= 1
        elif tex[i] == "{":
            depth += 1
        elif tex[i] == "}":
            depth -= 1
        elif depth == 0:
            hit = next((s for s in seps if tex.startswith(s, i)), None)
            if hit:
                parts.append(tex[start:i].strip())
                i += len(hit)
                start = i
                continue
        i += 1
    parts.append(tex[start:].strip())
    return [p for p in parts if p]


def evidence_math(evidence: str, lang: str) -> Math:
    """The evidence (LaTeX) as display rows, broken at top-level ``;\\ `` and ``,\\quad``."""
    tex = _sci(evidence)
    if lang == "vi":
        tex = tex_vi(tex)
    rows = []
    for piece in _split_top(tex, (r";\ ", r";\quad", r",\quad")):
        for r in break_rows(piece, width=70):
            text = " ".join(x for x in (r.latex_lhs, r.latex_rel, r.latex_rhs) if x)
            rows.append(MathRow("", text, "", typst_row(text), None, "", ""))
    return Math(tuple(rows))


def _claim_blocks(k: int, c) -> Section:
    v = verdict_tr(c.verdict)
    blocks = [
        Paragraph((Tr("The seed notes: ", "Ghi chú gốc: "), "“", *quote_parts(c.quote_vi), "”")),
        Paragraph((Tr("In English: ", "Diễn đạt bằng tiếng Anh: "),
                   RawInline(en_latex=c.claim_en, en_typst=prose2typst(c.claim_en)))),
        Paragraph((Tr("Verdict: ", "Kết luận: "), v, ".")),
        Paragraph((Tr("Evidence (computed):", "Bằng chứng (được tính toán):"),)),
    ]
    ev = {lang: evidence_math(c.evidence, lang) for lang in ("en", "vi")}
    blocks.append(ev["en"] if ev["en"] == ev["vi"] else ByLang(ev["en"], ev["vi"]))
    # the explanations are prose with inline $...$ math, one per language
    blocks.append(ByLang(*(Paragraph((RawInline(en_latex=t, en_typst=prose2typst(t)),))
                           for t in (c.explanation_en, c.explanation_vi))))
    return Section(Tr(f"Claim {k}: {v.en}", f"Nhận định {k}: {v.vi}"), tuple(blocks))


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

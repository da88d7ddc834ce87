"""The lemmas section and each cell's bounds, printed from their structure (private).

Statements and proof steps are nodes (:mod:`derivations.statements`) printed by the LaTeX
and Typst printers and broken by :func:`~reports._statements.statement_math`; proofs are
:class:`~derivations.statements.Prose` rendered by :func:`~reports._statements.prose_parts`
(math kept in both languages). Vietnamese comes from tables keyed by the typed members the
library produces (:class:`~derivations._bound_types.BoundText`,
:class:`~derivations.lemmas.LemmaText`, :class:`~derivations.lemmas.LemmaKind`,
:class:`~derivations.facts.BoundKind`), never from English text.

>>> from derivations.facts import BoundKind
>>> KIND_VI[BoundKind.SATURATION]
'Giới hạn bão hòa'
"""

from __future__ import annotations

import sympy as sp

from derivations._bound_types import BoundText, NoGlobalBound
from derivations.facts import BoundKind
from derivations.functions import ACTIVATIONS
from derivations.lemmas import LemmaKind, LemmaText
from derivations.lemmas import lemmas as all_lemmas
from derivations.printing import GateLatexPrinter
from derivations.statements import Partial

from ._statements import Printers, inline_math, prose_parts, statement_math, words_tr
from .model import ByLang, Math, Paragraph, Section, Table, Tr
from .typst_math import TypstPrinter

__all__ = ["lemmas_section", "bounds_blocks", "bound_name", "no_global_reasons", "KIND_VI",
           "TEXT_VI", "LEMMA_VI"]

#: the Vietnamese name of each kind of bound
KIND_VI = {
    BoundKind.UPPER: "Cận trên phụ thuộc trạng thái",
    BoundKind.GLOBAL_UPPER: "Cận trên toàn cục",
    BoundKind.LOWER: "Cận dưới Weyl",
    BoundKind.IDENTITY_GAP: "Khoảng cách tới ma trận đơn vị",
    BoundKind.SATURATION: "Giới hạn bão hòa",
    BoundKind.MULTISTEP: "Cận nhiều bước",
    BoundKind.VANISHING: "Điều kiện tiêu biến",
    BoundKind.NO_VANISHING_CONDITION: "Không có điều kiện tiêu biến theo chuẩn trọng số",
}

#: Vietnamese of every word of the bounds' statements and proofs, keyed by member
TEXT_VI = {
    BoundText.EQUALITY_DIAGONAL: " (dấu bằng: khối là ma trận chéo)",
    BoundText.IF_EVERY: " nếu mọi ",
    BoundText.UPPER_OF_BLOCK: " là cận trên của khối (a, b)",
    BoundText.FOR_ALL_WEIGHTS: " với mọi trọng số",
    BoundText.STACKS: " ghép ",
    BoundText.PERIOD: ".",
    BoundText.LIST_SEP: ", ",
    BoundText.UPPER_PROOF: (
        "Ma trận Jacobi dạng đóng là tổng các số hạng, mỗi số hạng là tích của các ma trận "
        "chéo diag(a) và các ma trận trọng số; bất đẳng thức tam giác và tính nhân dưới của "
        "chuẩn phổ, cùng với "),
    BoundText.UPPER_PROOF_END: ", chặn từng số hạng.",
    BoundText.GLOBAL_PROOF: (
        "Thay mỗi chuẩn vô cùng trong cận phụ thuộc trạng thái bằng cận trên đúng của nó suy "
        "ra từ các bổ đề (cổng nằm trong [0, 1], các bổ đề về hàm kích hoạt, bất biến của "
        "trạng thái ẩn, và "),
    BoundText.GLOBAL_PROOF_SUPS: "): ",
    BoundText.GLOBAL_PROOF_CLOSE: ").",
    BoundText.NO_GLOBAL: ("Không có cận toàn cục chỉ theo chuẩn của trọng số: một số hạng đi qua "
                          "một hàm kích hoạt có đạo hàm không bị chặn, hoặc chia cho một đại "
                          "lượng không có cận dưới dương: "),
    BoundText.WEYL_WRITE: "Viết ",
    BoundText.WEYL_INEQUALITY: ". Bất đẳng thức Weyl cho giá trị kỳ dị cho ",
    BoundText.WEYL_DIAGONAL: ("; giá trị kỳ dị nhỏ nhất của một ma trận chéo là giá trị tuyệt "
                              "đối nhỏ nhất của các phần tử, và "),
    BoundText.WEYL_REST: " bị chặn bởi cận phụ thuộc trạng thái của các số hạng còn lại.",
    BoundText.GAP_PROOF: (" là ma trận chéo; chuẩn phổ của một ma trận chéo là giá trị tuyệt "
                          "đối lớn nhất của các phần tử."),
    BoundText.SAT_SUBSTITUTE: "Đặt ",
    BoundText.SAT_WITH: " với ",
    BoundText.SAT_VANISH: (". Khoảng cách tới đường mang và một hệ số của mỗi số hạng khác "
                           "triệt tiêu tại giá trị mang và chia hết cho "),
    BoundText.SAT_CONSTANTS: "; chặn các thương bằng các bổ đề cho các hằng số theo từng số hạng ",
    BoundText.SAT_RATE: ". Cổng là hàm logistic của tiền kích hoạt a, và ",
    BoundText.SAT_EXPONENTIAL: (", nên giới hạn đạt được với tốc độ mũ theo tiền kích hoạt "
                                "của cổng"),
    BoundText.SAT_WEYL: ". Theo bất đẳng thức Weyl, ",
    BoundText.MULTI_PROOF: ("Theo quy tắc dây chuyền, ma trận Jacobi nhiều bước là tích các ma "
                            "trận Jacobi một bước, "),
    BoundText.MULTI_PROOF_RULES: (
        "; tính nhân dưới của chuẩn phổ, và bất đẳng thức ngược lại cho giá trị kỳ dị nhỏ "
        "nhất, áp dụng cho từng thừa số, với "),
    BoundText.MULTI_PROOF_UPPER: " là cận trên phụ thuộc trạng thái và ",
    BoundText.MULTI_PROOF_LOWER: " là cận dưới Weyl tại bước t.",
    BoundText.MULTI_STATE_PROOF: "Với một vectơ x chia theo các khối của trạng thái và ",
    BoundText.MULTI_STATE_TRIANGLE: ", bất đẳng thức tam giác cho ",
    BoundText.MULTI_STATE_END: (
        "; nên chuẩn của y không vượt quá chuẩn phổ của ma trận N các cận khối nhân với chuẩn "
        "của x, và tính nhân dưới trên tích của quy tắc dây chuyền cho cận."),
    BoundText.PMB_PROOF: "Pascanu, Mikolov và Bengio (2013): mỗi thừa số có dạng ",
    BoundText.PMB_WITH: " với ",
    BoundText.PMB_END: " (bổ đề về hàm kích hoạt), nên ",
    BoundText.PMB_DECAY: " và tích của k thừa số giảm theo cấp số nhân.",
    BoundText.CONTRACTION_PROOF: ("Cận toàn cục của một bước là hệ số co; nhân k hệ số như vậy "
                                  "thì chuẩn của tích giảm theo lũy thừa k."),
    BoundText.FLOOR_PROOF: "Cho mọi chuẩn bằng 0 thì cận vẫn còn ",
    BoundText.FLOOR_END: (": riêng đường mang chéo đã có thể có chuẩn này, bất kể trọng số, "
                          "nên khác với ô Elman, không có điều kiện nào trên các trọng số buộc "
                          "gradient tiêu biến."),
}

#: Vietnamese of the lemma steps and words, and the lemma names (format strings), by member
LEMMA_VI = {
    LemmaText.DERIVATIVE_IN_FUNCTION: "đạo hàm viết qua chính hàm số",
    LemmaText.GAP_TO_SUPREMUM: "khoảng cách tới cận trên đúng",
    LemmaText.RANGE_OF_FUNCTION: "miền giá trị của hàm số",
    LemmaText.RANGE_OF_DERIVATIVE: "miền giá trị của đạo hàm",
    LemmaText.UPPER_SIDE: "phía trên",
    LemmaText.LOWER_SIDE: "phía dưới",
    LemmaText.VERTICES: "các đỉnh",
    LemmaText.MULTILINEAR: "đa tuyến tính, cực trị tại 8 đỉnh: ",
    LemmaText.INVARIANT_STEP: ("miền giá trị của phép cập nhật, các cổng và ứng viên, bị chặn "
                               "bởi các bổ đề kích hoạt"),
    LemmaText.GROWTH_STEP: ("phép cập nhật affine, bất đẳng thức tam giác và miền giá trị của "
                            "các hàm kích hoạt"),
    LemmaText.FOR_ALL_T: " với mọi t",
    LemmaText.NOT_KEPT: "phép cập nhật không giữ [-1, 1]",
    LemmaText.NOT_AFFINE: "phép cập nhật không affine theo trạng thái",
    LemmaText.NOT_EXPLICIT: "không có dạng sơ cấp để lấy đạo hàm",
    LemmaText.RANGE_STEP: ("phép cập nhật là một hàm kích hoạt: trạng thái nằm trong miền giá "
                           "trị của nó"),
    LemmaText.NO_INVARIANT: " (không bị chặn: không có khoảng bất biến)",
    LemmaText.NOT_ONE_ACTIVATION: "phép cập nhật không phải là một hàm kích hoạt",
    LemmaKind.DERIVATIVE: "đạo hàm {}",
    LemmaKind.CONVEX_COMBINATION: "tổ hợp lồi",
    LemmaKind.INVARIANT: "bất biến của trạng thái ẩn ({})",
    LemmaKind.GROWTH: "độ tăng của trạng thái ({})",
    LemmaKind.RANGE: "miền giá trị của trạng thái ({})",
}

_SCALAR = Printers(GateLatexPrinter(scalar=True), TypstPrinter(scalar=True))


def _lemma_name(lem) -> Tr:
    return Tr(lem.name, LEMMA_VI[lem.kind].format(lem.subject))


def _printers(lem) -> Printers:
    return Printers.for_cell(lem.cell) if lem.cell is not None else _SCALAR


def _by_lang(make, pr: Printers, vi: dict):
    """``make(printers)`` in English and in Vietnamese; one value if they agree."""
    en, other = make(pr), make(pr.with_texts(vi))
    return en if en == other else ByLang(en, other)


def lemmas_section() -> Section:
    """The lemmas, each re-verified, with the proof steps of the scalar lemmas."""
    blocks = [Paragraph((Tr("Each lemma is proved by SymPy computations that the report re-runs; "
                            "the last column is the result of re-running them now.",
                            "Mỗi bổ đề được chứng minh bằng các phép tính SymPy mà báo cáo chạy "
                            "lại; cột cuối là kết quả của lần chạy lại này."),))]
    rows = []
    found = all_lemmas()
    for lem in found:
        ok = lem.verify()
        rows.append((_lemma_name(lem),
                     _by_lang(lambda p, s=lem.statement: inline_math(s, p), _printers(lem),
                              LEMMA_VI),
                     Tr("verified", "đã kiểm chứng") if ok else Tr("FAILED", "THẤT BẠI")))
    blocks.append(Table((Tr("Lemma", "Bổ đề"), Tr("Statement", "Phát biểu"),
                         Tr("SymPy", "SymPy")), tuple(rows),
                        Tr("The lemmas the bounds rest on.", "Các bổ đề mà các cận dựa vào."),
                        widths=(0.24, 0.56, 0.18)))
    for lem in found:
        if lem.cell is not None:
            continue
        blocks.append(Paragraph((_lemma_name(lem) + ". ",
                                 Tr("Proof steps:", "Các bước chứng minh:"))))
        steps = [(s.run()[1], words_tr(s.description, LEMMA_VI)) for s in lem.steps]
        blocks.append(_by_lang(lambda p, steps=steps: _step_rows(steps, p), _printers(lem),
                               LEMMA_VI))
    return Section(Tr("Lemmas", "Các bổ đề"), tuple(blocks), label="sec:lemmas")


def _step_rows(steps, pr: Printers) -> Math:
    rows = []
    for stmt, label in steps:
        rows += statement_math(stmt, pr, label=label).rows
    return Math(tuple(rows))


def bound_name(b) -> Tr:
    """The bilingual name of a bound: its English name, the Vietnamese of its kind and block."""
    return Tr(b.name, f"{KIND_VI[b.kind]} ({b.block[0]}, {b.block[1]})")


_U = sp.Symbol("u")


def no_global_reasons(b: NoGlobalBound, pr: Printers) -> tuple:
    r"""Inline parts stating each of ``b.reasons`` from its typed fields (``activations``,
    ``divisors``), math printed by the cell's printers: :math:`\partial \exp(u) / \partial
    u` is unbounded; division by :math:`n_t`."""
    parts = []
    for a in b.activations:
        parts += [inline_math(Partial(ACTIVATIONS[a].function(_U), _U), pr),
                  Tr(" is unbounded", " không bị chặn")]
        parts.append(Tr("; ", "; "))
    for d in b.divisors:
        parts += [Tr("division by ", "phép chia cho "), inline_math(d, pr), Tr("; ", "; ")]
    return tuple(parts[:-1]) + (Tr(".", "."),) if parts else ()


def bounds_blocks(derivation) -> list:
    """The bounds of one cell: for each, its name, its statement (broken) and its proof."""
    pr = Printers.for_cell(derivation.cell)
    out = [Paragraph((Tr("Bounds derived mechanically from the term structure:",
                         "Các cận suy ra một cách máy móc từ cấu trúc các số hạng:"),))]
    for b in derivation.bounds.all():
        out.append(Paragraph((bound_name(b) + ".",)))
        out.append(_by_lang(lambda p, s=b.statement: statement_math(s, p), pr, TEXT_VI))
        out.append(Paragraph((Tr("Proof. ", "Chứng minh. "),
                              *prose_parts(b.proof, pr, TEXT_VI))))
        if isinstance(b, NoGlobalBound) and (b.activations or b.divisors):
            out.append(Paragraph((Tr("Why no global bound: ", "Vì sao không có cận toàn cục: "),
                                  *no_global_reasons(b, pr))))
    return out

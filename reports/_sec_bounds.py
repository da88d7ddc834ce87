"""The lemmas section and each cell's bounds (statements and proofs from
:mod:`derivations.lemmas` and :mod:`derivations.bounds`), broken over lines."""

from __future__ import annotations

import importlib
import re

from ._breaking import broken_math
from ._i18n import tex_vi
from .latex2typst import prose2typst, tex2typst
from .model import ByLang, M, Math, MathRow, Paragraph, RawInline, Section, Table, Tr

__all__ = ["lemmas_section", "bounds_blocks", "lemmas_available",
           "bounds_available"]

_STEP_VI = {
    "derivative written in the function": "đạo hàm viết qua chính hàm số",
    "completing the square": "hoàn thành bình phương",
    "range of the logistic function": "miền giá trị của hàm logistic",
    "range of tanh": "miền giá trị của tanh",
    "upper side": "phía trên",
    "lower side": "phía dưới",
    "vertices": "các đỉnh",
    "range of the derivative on (0, 1)": "miền giá trị của đạo hàm trên (0, 1)",
    "range of the derivative on (-1, 1)": "miền giá trị của đạo hàm trên (-1, 1)",
    "affine update, triangle inequality and the activation ranges":
        "phép cập nhật affine, bất đẳng thức tam giác và miền giá trị của các hàm kích hoạt",
    "range of the update, gates and candidates bounded by the activation lemmas":
        "miền giá trị của phép cập nhật, các cổng và ứng viên, bị chặn bởi các bổ đề kích hoạt",
}
_LEMMA_VI = {
    "sigmoid derivative": "đạo hàm sigmoid",
    "tanh derivative": "đạo hàm tanh",
    "convex combination": "tổ hợp lồi",
    "hidden-state invariant": "bất biến của trạng thái ẩn",
    "state growth": "độ tăng của trạng thái",
}
_KIND = {
    "upper": ("State-dependent upper bound", "Cận trên phụ thuộc trạng thái",
              "Ma trận Jacobi dạng đóng là tổng các số hạng diag(a0) W1 diag(a1)...; bất đẳng "
              "thức tam giác, tính nhân dưới của chuẩn 2 và ‖diag(a)‖₂ = ‖a‖∞ chặn từng số hạng."),
    "global upper": ("Global upper bound", "Cận trên toàn cục",
                     "Thay mỗi ‖a‖∞ trong cận phụ thuộc trạng thái bằng cận trên đúng của nó suy "
                     "ra từ các bổ đề: cổng nằm trong [0, 1], s(1 − s) ≤ 1/4, 1 − t² ≤ 1, |h| ≤ 1 "
                     "theo bất biến, |Wv + b| ≤ ‖W‖∞‖v‖∞ + ‖b‖∞."),
    "lower": ("Weyl lower bound", "Cận dưới Weyl",
              "Viết J = diag(đường mang) + E. Bất đẳng thức Weyl cho giá trị kỳ dị cho "
              "σmin(J) ≥ min|đường mang| − ‖E‖₂, và ‖E‖₂ bị chặn bởi cận phụ thuộc trạng thái "
              "của các số hạng còn lại."),
    "saturation": ("Saturation limit", "Giới hạn bão hòa",
                   "Đặt cổng mang bằng 1 − ε. Khoảng cách tới đường mang và một hệ số của mỗi số "
                   "hạng khác triệt tiêu tại ε = 0 và chia hết cho ε; chặn các thương bằng các bổ "
                   "đề cho hằng số K, nên ‖J − I‖₂ ≤ Kε → 0, với tốc độ mũ theo tiền kích hoạt "
                   "của cổng."),
    "multistep": ("Multi-step bounds", "Cận nhiều bước",
                  "Theo quy tắc dây chuyền, ma trận Jacobi nhiều bước là tích các ma trận Jacobi "
                  "một bước; ‖AB‖₂ ≤ ‖A‖₂‖B‖₂ và σmin(AB) ≥ σmin(A)σmin(B) áp dụng cho từng "
                  "thừa số."),
    "vanishing": ("Vanishing condition", "Điều kiện tiêu biến",
                  "Cận toàn cục của một bước là hệ số co; nhân k hệ số như vậy thì chuẩn của tích "
                  "giảm theo lũy thừa k (Pascanu, Mikolov & Bengio 2013 với Elman)."),
    "no vanishing condition": (
        "No weight-norm vanishing condition", "Không có điều kiện tiêu biến theo chuẩn trọng số",
        "Cho mọi chuẩn bằng 0 thì cận vẫn còn giá trị cận trên đúng 1 của đường mang: riêng đường "
        "mang chéo đã có thể có chuẩn 1, bất kể trọng số, nên khác với ô Elman, không có điều "
        "kiện nào trên các trọng số buộc gradient tiêu biến."),
    "identity gap": ("Identity gap", "Khoảng cách tới ma trận đơn vị",
                     "Khối dc'/dc = diag(f) là ma trận chéo, nên ‖diag(f) − I‖₂ = max(1 − f): "
                     "khi cổng quên tiến tới 1, khối này tiến tới ma trận đơn vị."),
}


def _module(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def lemmas_available() -> bool:
    return _module("derivations.lemmas") is not None


def bounds_available() -> bool:
    return _module("derivations.bounds") is not None


def _broken_math(latex: str, label: Tr | None = None):
    en, vi = broken_math(latex, label=label), broken_math(tex_vi(latex), label=label)
    return en if en == vi else ByLang(en, vi)


def _inline(latex: str):
    en, vi = M(latex, tex2typst(latex)), M(tex_vi(latex), tex2typst(tex_vi(latex)))
    return en if en == vi else ByLang(en, vi)


def _lemma_name(name: str) -> Tr:
    base, _, rest = name.partition(" (")
    vi = _LEMMA_VI.get(base, base)
    return Tr(name, f"{vi} ({rest}" if rest else vi)


def lemmas_section() -> Section | None:
    mod = _module("derivations.lemmas")
    if mod is None:
        return None
    blocks = [Paragraph((Tr("Each lemma is proved by SymPy computations that the report re-runs; "
                            "the last column is the result of re-running them now.",
                            "Mỗi bổ đề được chứng minh bằng các phép tính SymPy mà báo cáo chạy "
                            "lại; cột cuối là kết quả của lần chạy lại này."),))]
    rows = []
    for lem in mod.lemmas():
        ok = lem.verify()
        rows.append((_lemma_name(lem.name), _inline(lem.statement_latex),
                     Tr("verified", "đã kiểm chứng") if ok else Tr("FAILED", "THẤT BẠI")))
    blocks.append(Table((Tr("Lemma", "Bổ đề"), Tr("Statement", "Phát biểu"),
                         Tr("SymPy", "SymPy")), tuple(rows),
                        Tr("The lemmas the bounds rest on.", "Các bổ đề mà các cận dựa vào."),
                        widths=(0.24, 0.56, 0.18)))
    for lem in mod.lemmas()[:3]:
        blocks.append(Paragraph((_lemma_name(lem.name) + ". ",
                                 Tr("Proof steps:", "Các bước chứng minh:"))))
        prows = []
        for line in lem.proof_latex().split(" \\\\\n"):
            m = re.fullmatch(r"\\text\{(.*?)\}: & (.*)", line.strip(), re.S)
            desc, body = (m.group(1), m.group(2)) if m else ("", line)
            label = Tr(desc, _STEP_VI.get(desc, desc)) if desc else None
            prows.append((body, label))
        en = Math(tuple(MathRow("", b, "", tex2typst(b), lb, "", "") for b, lb in prows))
        vi = Math(tuple(MathRow("", tex_vi(b), "", tex2typst(tex_vi(b)), lb, "", "")
                        for b, lb in prows))
        blocks.append(en if en == vi else ByLang(en, vi))
    return Section(Tr("Lemmas", "Các bổ đề"), tuple(blocks), label="sec:lemmas")


def bounds_blocks(derivation) -> list:
    """The bounds of one cell: for each, its name, its statement (broken) and its proof."""
    if not bounds_available():
        return []
    out = [Paragraph((Tr("Bounds derived mechanically from the term structure:",
                         "Các cận suy ra một cách máy móc từ cấu trúc các số hạng:"),))]
    for b in derivation.bounds.all():
        en, vi, proof_vi = _KIND.get(b.kind, (b.kind, b.kind, None))
        name = Tr(b.name, f"{vi} ({b.block[0]}, {b.block[1]})")
        out.append(Paragraph((name + ".",)))
        out.append(_broken_math(b.statement_latex))
        out.append(_proof_paragraph(b.proof_latex, proof_vi))
    return out


def _proof_paragraph(proof_latex: str, proof_vi: str | None) -> Paragraph:
    return Paragraph((Tr("Proof. ", "Chứng minh. "),
                      RawInline(en_latex=proof_latex, en_typst=prose2typst(proof_latex),
                                vi_text=proof_vi)))

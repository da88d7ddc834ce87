"""Vietnamese names of the Jacobian paths and quantity roles (English is the key).

A role or path label not in the table (a user cell's own) is shown as written in both
languages.

>>> label_tr("update gate").vi
'cổng cập nhật'
>>> label_tr("forget gate via candidate").vi
'cổng quên qua ứng viên'
"""

from .model import Tr

__all__ = ["label_tr", "LABELS_VI", "MATH_TEXT_VI", "tex_vi"]

LABELS_VI = {
    "carry": "đường mang",
    "recurrent": "hồi quy",
    "update gate": "cổng cập nhật",
    "reset gate": "cổng đặt lại",
    "candidate": "ứng viên",
    "forget gate": "cổng quên",
    "input gate": "cổng vào",
    "output gate": "cổng ra",
    "cell state": "trạng thái ô nhớ",
    "cell candidate": "ứng viên ô nhớ",
    "input embedding": "nhúng đầu vào",
    "next state": "trạng thái kế tiếp",
}


def label_tr(label: str) -> Tr:
    """The bilingual text of a path label or role (``"a via b"`` composes)."""
    if label in LABELS_VI:
        return Tr(label, LABELS_VI[label])
    if " via " in label:
        a, b = label.split(" via ", 1)
        return Tr(label, f"{label_tr(a).vi} qua {label_tr(b).vi}")
    return Tr(label, label)


#: ``\text{...}`` pieces inside the toolkit's formulas, in Vietnamese
MATH_TEXT_VI = {
    " for all ": " với mọi ",
    " if every ": " nếu mọi ",
    " the upper bound of block ": " cận trên của khối ",
    " (equality: the block is diagonal)": " (đẳng thức: khối là ma trận chéo)",
    " for all weights: no weight-norm condition makes the per-step bound contract":
        " với mọi trọng số: không điều kiện nào trên chuẩn trọng số làm cận một bước co lại",
    "multilinear, extremes at the 8 vertices: ": "đa tuyến tính, cực trị tại 8 đỉnh: ",
    " (seed, the notes' equation)": " (seed, phương trình của ghi chú)",
    "at ": "tại ",
    " (seed) vs ": " (seed) so với ",
    "update-gate path ": "nhánh cổng cập nhật ",
    " is missing": " bị thiếu",
    "with it ": "khi có nó ",
    "Elman at ": "Elman tại ",
}


def tex_vi(tex: str) -> str:
    r"""``tex`` with its known ``\text{...}`` pieces in Vietnamese.

    >>> tex_vi(r"x \text{ if every } y")
    'x \\text{ nếu mọi } y'
    """
    for en, vi in MATH_TEXT_VI.items():
        tex = tex.replace(r"\text{%s}" % en, r"\text{%s}" % vi)
    return tex

"""Vietnamese names of the Jacobian paths and quantity roles (English is the key).

A role or path label not in the table (a user cell's own) is shown as written in both
languages.

>>> label_tr("update gate").vi
'cổng cập nhật'
>>> label_tr("forget gate via candidate").vi
'cổng quên qua ứng viên'
"""

from .model import Tr

__all__ = ["label_tr", "LABELS_VI"]

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

"""Vietnamese names of the Jacobian paths and quantity roles, keyed by the typed facts.

A role is a :class:`~derivations.facts.Role` member; a path label a
:class:`~derivations.facts.PathLabel`, translated from its typed parts (``role``, ``via``);
a role of a user cell's own (a plain string) is shown as written in both languages.

>>> from derivations.facts import PathLabel, Role
>>> label_tr(Role.UPDATE_GATE).vi
'cổng cập nhật'
>>> label_tr(PathLabel.of(Role.FORGET_GATE, via=Role.CANDIDATE)).vi
'cổng quên qua ứng viên'
>>> label_tr(PathLabel.of("bottleneck", via=Role.CANDIDATE)).vi
'bottleneck qua ứng viên'
"""

from derivations.facts import PathLabel, Role, role_of

from .model import Tr

__all__ = ["label_tr", "ROLES_VI", "PATHS_VI", "MATH_TEXT_VI", "tex_vi"]

#: every :class:`~derivations.facts.Role`, in Vietnamese
ROLES_VI = {
    Role.UPDATE_GATE: "cổng cập nhật",
    Role.RESET_GATE: "cổng đặt lại",
    Role.CANDIDATE: "ứng viên",
    Role.FORGET_GATE: "cổng quên",
    Role.INPUT_GATE: "cổng vào",
    Role.OUTPUT_GATE: "cổng ra",
    Role.CELL_STATE: "trạng thái ô nhớ",
    Role.CELL_CANDIDATE: "ứng viên ô nhớ",
    Role.INPUT_EMBEDDING: "nhúng đầu vào",
    Role.NEXT_STATE: "trạng thái kế tiếp",
}

#: the paths through no quantity: the carry (matrix-free) and the plain recurrent path
PATHS_VI = {PathLabel.carry(): "đường mang", "recurrent": "hồi quy"}


def _role_vi(role) -> str:
    role = role_of(role)
    return ROLES_VI[role] if isinstance(role, Role) else str(role)


def label_tr(label) -> Tr:
    """The bilingual text of a path label (:class:`~derivations.facts.PathLabel`) or a
    role (:class:`~derivations.facts.Role` or a user's own string)."""
    if isinstance(label, PathLabel) and label.role is not None:
        vi = _role_vi(label.role)
        if label.via is not None:
            vi = f"{vi} qua {_role_vi(label.via)}"
        return Tr(str(label), vi)
    if label in PATHS_VI:
        return Tr(str(label), PATHS_VI[label])
    return Tr(str(label), _role_vi(label))


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

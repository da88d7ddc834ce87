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

__all__ = ["label_tr", "ROLES_VI", "PATHS_VI", "FAMILIES_VI", "family_tr", "OTHER_FAMILY"]

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
    Role.RECURRENCE_GATE: "cổng hồi quy",
    Role.DECAY: "hệ số suy giảm",
    Role.INPUT_PRE_ACTIVATION: "tiền kích hoạt của cổng vào",
    Role.FORGET_PRE_ACTIVATION: "tiền kích hoạt của cổng quên",
    Role.LOG_FORGET_GATE: "log của cổng quên",
    Role.NORMALIZED_FORGET_GATE: "cổng quên chuẩn hóa",
    Role.NORMALIZED_INPUT_GATE: "cổng vào chuẩn hóa",
    Role.NORMALIZER_STATE: "trạng thái chuẩn hóa",
    Role.STABILIZER_STATE: "trạng thái ổn định hóa",
    Role.MODULATION_GATE: "cổng điều biến",
    Role.CONTROL_GATE: "cổng điều khiển",
    Role.OUTPUT: "đầu ra",
    Role.VELOCITY_STATE: "trạng thái vận tốc",
    Role.MULTIPLICATIVE_STATE: "trạng thái nhân",
    Role.CONTEXT_STATE: "trạng thái ngữ cảnh",
    Role.DELAYED_STATE: "trạng thái trễ",
    Role.DELAYED_INPUT: "hình chiếu đầu vào trễ",
    Role.TIME_STEP: "bước thời gian học được",
    Role.RESIDUAL: "phần dư",
    Role.PROJECTION: "phép chiếu",
    Role.CELL_OUTPUT: "đầu ra ô nhớ",
    Role.PRE_ACTIVATION: "tiền kích hoạt",
    Role.LATENT: "biến ẩn",
    Role.SEARCH_NODE: "nút của kiến trúc tìm được",
}

#: the paths through no quantity: the carry (matrix-free) and the plain recurrent path
PATHS_VI = {"carry": "đường mang", "recurrent": "hồi quy"}

#: the Vietnamese title of each family of built-in cells, keyed by its slug
#: (``derivations.cells.FAMILIES``; the English titles live with the families)
FAMILIES_VI = {
    "classic": "Các ô kinh điển",
    "recent": "Hồi quy tuyến tính có cổng và sLSTM (2023-2024)",
    "lstm_variants": "Các biến thể của LSTM",
    "minimal": "Các đơn vị một cổng và tối giản",
    "residual": "Các ô phần dư, phản đối xứng và dao động",
    "bistable": "Các ô lưỡng ổn, tiến hóa và tìm được bằng tìm kiếm",
    "output_delay": "Các ô có đầu ra riêng hoặc đầu vào trễ",
}

#: ``(slug, title)`` of the group of cells outside every family (a user's own cells)
OTHER_FAMILY = ("other", Tr("Other cells", "Các ô khác"))


def family_tr(slug: str, title: str) -> Tr:
    """The bilingual title of the family ``slug`` (English ``title`` as the family gives it;
    a family without a Vietnamese entry keeps its English title in both languages).

    >>> family_tr("minimal", "Single-gate and minimal units").vi
    'Các đơn vị một cổng và tối giản'
    """
    return Tr(title, FAMILIES_VI.get(slug, title))


def _role_vi(role) -> str:
    role = role_of(role)
    return ROLES_VI[role] if isinstance(role, Role) else str(role)


def label_tr(label) -> Tr:
    """The bilingual text of a path label (:class:`~derivations.facts.PathLabel`) or a
    role (:class:`~derivations.facts.Role` or a user's own string)."""
    if isinstance(label, PathLabel):
        if label.kind != "quantity":
            return Tr(str(label), PATHS_VI[label.kind])
        vi = _role_vi(label.role)
        if label.via is not None:
            vi = f"{vi} qua {_role_vi(label.via)}"
        return Tr(str(label), vi)
    return Tr(str(label), _role_vi(label))

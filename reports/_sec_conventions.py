"""The conventions section: GRU and LSTM conventions, packed gate orders, what "z near 1" means.

The meaning of "the update gate near 1" is computed from each preset's derived carry
coefficient (``derive(...).jacobian.main.carry`` at ``z = 1``), not written by hand.
"""

from __future__ import annotations

import sympy as sp

import derivations as dv
from derivations.cells.gru import ResetPlacement

from .model import M, Paragraph, Section, Table, Tr

__all__ = ["conventions_section", "z_near_one"]


def z_near_one(convention: str) -> Tr:
    """What ``z -> 1`` does in a GRU preset, from the derived carry coefficient."""
    d = dv.derive("gru", convention)
    z = d.cell.symbol("z")
    carry = d.jacobian.main.carry.subs(z, 1)
    if carry == 1:
        return Tr("keeps the old state (carry = 1)", "giữ trạng thái cũ (đường mang = 1)")
    if carry == 0:
        return Tr("takes the candidate (carry = 0)", "lấy ứng viên mới (đường mang = 0)")
    return Tr(f"carry = {carry}", f"đường mang = {carry}")


_KEEP_EQ = M(r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
             "h_t = (1 - z_t) dot.o n_t + z_t dot.o h_(t-1)")
_TAKE_EQ = M(r"h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde{h}_t",
             "h_t = (1 - z_t) dot.o h_(t-1) + z_t dot.o tilde(h)_t")
_AFTER = Tr("after the matmul", "sau phép nhân ma trận")
_BEFORE = Tr("before the matmul", "trước phép nhân ma trận")

# (source, preset, packed gate order, bias note)
_GRU_ROWS = [
    (Tr("PyTorch nn.GRU / GRUCell", "PyTorch nn.GRU / GRUCell"), "pytorch", "r, z, n", ""),
    (Tr("cuDNN", "cuDNN"), "pytorch", "r, z, n", ""),
    (Tr("Keras GRU, reset_after = True", "Keras GRU, reset_after = True"), "pytorch", "z, r, h",
     "bias (2, 3H)"),
    (Tr("Keras GRU, reset_after = False", "Keras GRU, reset_after = False"), "cho", "z, r, h",
     "bias (3H,)"),
    (Tr("ONNX GRU (linear_before_reset = 0)", "ONNX GRU (linear_before_reset = 0)"), "cho",
     "z, r, h", ""),
    (Tr("Cho et al. 2014, arXiv v1", "Cho và cộng sự 2014, arXiv v1"), "pytorch", "—", ""),
    (Tr("Cho et al. 2014, final", "Cho và cộng sự 2014, bản cuối"), "cho", "—", ""),
    (Tr("Chung et al. 2014", "Chung và cộng sự 2014"), "seed", "—", ""),
    (Tr("the seed notes", "ghi chú gốc (seed)"), "seed", "—", ""),
]

_LSTM_ROWS = [
    ("PyTorch nn.LSTM", "i, f, g, o"), ("cuDNN", "i, f, g, o"),
    ("Keras LSTM", "i, f, c, o"), ("ONNX LSTM", "i, o, f, c"),
]


def _placement(conv: str) -> Tr:
    reset = dv.GRU_CONVENTIONS[conv].reset
    return _AFTER if reset is ResetPlacement.AFTER else _BEFORE


def conventions_section() -> Section:
    rows = []
    for source, conv, order, note in _GRU_ROWS:
        keep = dv.cell("gru", conv).carrying.towards == 1
        rows.append((source, conv, _KEEP_EQ if keep else _TAKE_EQ, _placement(conv),
                     order + (f"; {note}" if note else ""), z_near_one(conv)))
    gru = Table((Tr("Source", "Nguồn"), Tr("Preset", "Bộ quy ước"), Tr("Update", "Cập nhật"),
                 Tr("Reset", "Cổng đặt lại"), Tr("Packed order", "Thứ tự gói"),
                 Tr("z near 1", "z gần 1")),
                tuple(rows),
                Tr("GRU conventions. The preset names the cell gatebound derives for each.",
                   "Các quy ước GRU. Cột bộ quy ước là ô mà gatebound suy ra cho từng nguồn."),
                widths=(0.23, 0.09, 0.26, 0.12, 0.12, 0.18))
    lstm = Table((Tr("Source", "Nguồn"), Tr("Packed gate order", "Thứ tự cổng khi gói")),
                 tuple((s, o) for s, o in _LSTM_ROWS),
                 Tr("LSTM packed gate orders; all share the cell update and f near 1 carries "
                    "the cell state.",
                    "Thứ tự cổng LSTM khi gói tham số; mọi nguồn dùng cùng phép cập nhật ô nhớ, "
                    "và f gần 1 giữ lại trạng thái ô nhớ."))
    z = sp.Symbol("z")
    intro = Paragraph((
        Tr("A GRU convention is two independent choices: which way the update gate points, "
           "and whether the reset gate acts before or after the recurrent matrix. "
           "The last column is computed from each preset's derived carry coefficient at ",
           "Một quy ước GRU gồm hai lựa chọn độc lập: cổng cập nhật hướng về phía nào, và cổng "
           "đặt lại tác động trước hay sau ma trận hồi quy. Cột cuối được tính từ hệ số đường "
           "mang suy ra của từng bộ quy ước tại "),
        M(sp.latex(sp.Eq(z, 1)), "z = 1"),
        Tr(": under the seed's own equation it is z near 0 that carries the old state.",
           ": theo chính phương trình của ghi chú gốc, z gần 0 mới là trường hợp giữ trạng "
           "thái cũ."),
    ))
    return Section(Tr("Conventions", "Các quy ước"), (intro, gru, lstm), label="sec:conventions")

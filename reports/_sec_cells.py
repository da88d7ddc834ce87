"""Per-cell sections: equations, the derived Jacobian with its paths, and the exact proofs."""

from __future__ import annotations

from derivations.proof import prove

from .mathblocks import equations_math, jacobian_math
from .model import Paragraph, Section, Table, Tr

__all__ = ["cell_section", "cell_label", "proof_rows", "PROVED", "NOT_PROVED"]

PROVED = Tr("proved exactly", "đã chứng minh chính xác")
NOT_PROVED = Tr("NOT equal", "KHÔNG bằng nhau")


def cell_label(cell) -> str:
    """The section label of ``cell``: ``sec:cell-gru-cho`` (a character a label cannot hold
    becomes ``-``).

    >>> import derivations as dv
    >>> cell_label(dv.cell("slstm_stabilized", "exp"))
    'sec:cell-slstm_stabilized-exp'
    """
    raw = cell.name + (f"-{cell.convention}" if cell.convention else "")
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_-") else "-" for ch in raw)
    return f"sec:cell-{safe}"


def proof_rows(cell, sizes) -> list:
    """Run :func:`derivations.proof.prove` at each size; return the results."""
    return [prove(cell, n) for n in sizes]


def _proof_table(cell, results) -> Table:
    rows = tuple((str(r.n), f"{r.shape[0]} × {r.shape[1]}", PROVED if r.ok else NOT_PROVED,
                  f"{r.seconds:.2f}") for r in results)
    return Table((Tr("n", "n"), Tr("Jacobian size", "Cỡ ma trận Jacobi"),
                  Tr("closed form = Matrix.jacobian", "dạng đóng = Matrix.jacobian"),
                  Tr("time (s)", "thời gian (s)")), rows,
                 Tr(f"Exact proofs for {cell.title}: explicit symbols at size n, SymPy's "
                    "brute-force Jacobian minus the closed form expands to zero.",
                    f"Chứng minh chính xác cho {cell.title}: với các ký hiệu tường minh ở cỡ n, "
                    "hiệu giữa ma trận Jacobi vét cạn của SymPy và dạng đóng khai triển về 0."),
                 align="rrlr")


def cell_section(derivation, results, extra_blocks=(), label: str | None = None) -> Section:
    """The section of one cell; ``extra_blocks`` (numeric checks, bounds) are appended;
    ``label`` defaults to :func:`cell_label`."""
    cell = derivation.cell
    ref = cell.reference or "—"
    intro = Paragraph((Tr("Reference: ", "Tài liệu tham khảo: "), ref, ". ",
                       Tr("The equations, as the cell is written in the cell language:",
                          "Các phương trình, đúng như ô được viết bằng ngôn ngữ mô tả ô:")))
    jtext = Paragraph((Tr("The closed-form Jacobian derived by the chain rule, one path per row "
                          "(the label names the path the term belongs to):",
                          "Ma trận Jacobi dạng đóng suy ra bằng quy tắc dây chuyền, mỗi dòng một "
                          "đường (nhãn cho biết số hạng thuộc đường nào):"),))
    blocks = [intro, equations_math(cell), jtext, jacobian_math(derivation, labelled=True)]
    if len(cell.states) > 1:
        names = ", ".join(st.name for st in cell.states)
        blocks.append(Paragraph((Tr(
            f"The state is ({names}): what carries the gradient through time is the full "
            "block Jacobian, not the h-to-h block alone.",
            f"Trạng thái là ({names}): thứ mang gradient qua thời gian là toàn bộ ma trận "
            "Jacobi theo khối, không chỉ riêng khối từ h sang h."),)))
    blocks.append(_proof_table(cell, results))
    kinks = tuple(dict.fromkeys(k for r in results for k in getattr(r, "kinks", ())))
    if any(getattr(r, "almost_everywhere", False) for r in results):
        blocks.append(Paragraph((Tr(
            "The cell is not differentiable everywhere: the equality is proven almost "
            "everywhere, with the derivative autograd takes at the kinks (" + "; ".join(kinks)
            + "). The numeric check uses central differences away from the kinks.",
            "Ô này không khả vi tại mọi điểm: đẳng thức được chứng minh hầu khắp nơi, với đạo "
            "hàm mà autograd dùng tại các điểm gãy (" + "; ".join(kinks) + "). Kiểm tra số "
            "dùng sai phân trung tâm, tránh xa các điểm gãy."),)))
    blocks.extend(extra_blocks)
    return Section(Tr(cell.title, cell.title), tuple(blocks), label=label or cell_label(cell))

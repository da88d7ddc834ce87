r"""The cell zoo section: one table per family, every cell's carry path, global bound,
tightness, gradient norm after ``T`` steps and :math:`\lambda_1`; and the cell index.

The numbers come from :mod:`reports._zoo_data`; a number that could not be computed shows
``—*`` and the reason in the notes under its table, never an empty cell.

>>> import derivations as dv
>>> from reports._zoo_data import ZooConfig, zoo_row
>>> cfg = ZooConfig(H=4, I=2, T=20, B=2, lyap_batch=2, bound_batch=4)
>>> rows = [zoo_row(dv.cell("elman"), cfg), zoo_row(dv.cell("gru", "seed"), cfg)]
>>> sec = zoo_section(group_cells([r.cell for r in rows]), {r.cell: r for r in rows}, cfg)
>>> sec.label, [len(b.rows) for b in sec.blocks if hasattr(b, "rows")]
('sec:zoo', [2])
"""

from __future__ import annotations

from types import SimpleNamespace

import derivations as dv
from derivations.cells import FAMILIES
from derivations.statements import Diag

from ._i18n import OTHER_FAMILY, family_tr
from ._sec_bounds import no_global_reasons
from ._sec_cells import cell_label
from ._statements import Printers
from ._zoo_data import Num, Why, ZooConfig
from .model import List, M, Paragraph, Ref, Section, Table, Tr

__all__ = ["group_cells", "family_label", "cell_labels", "zoo_section", "index_section",
           "carry_parts", "global_parts", "num_text"]


def family_label(slug: str) -> str:
    """The section label of the family ``slug``: ``sec:fam-classic``."""
    return f"sec:fam-{slug}"


def _builtin(cell) -> bool:
    return (cell.name in dv.CELLS and cell.convention in dv.CELLS[cell.name]
            and dv.cell(cell.name, cell.convention) is cell)


def group_cells(cells) -> list:
    """``[(slug, Tr title, [cells])]``: the cells by family, families in the report's order
    (:data:`derivations.cells.FAMILIES`), cells in the order given; a cell outside every family
    (a user's own) goes to a last group, ``other``. Empty groups are left out.

    >>> [(s, [c.title for c in cs]) for s, _, cs in group_cells(dv.all_cells()[:6])]
    [('classic', ['elman', 'elman (relu)', 'gru (pytorch)', 'gru (cho)', 'gru (seed)', 'lstm'])]
    """
    groups = {slug: (slug, family_tr(slug, title), []) for slug, title, _ in FAMILIES}
    other = (OTHER_FAMILY[0], OTHER_FAMILY[1], [])
    for c in cells:
        slug = dv.cells.family_of(c.name) if _builtin(c) else None
        (groups[slug] if slug in groups else other)[2].append(c)
    return [g for g in (*groups.values(), other) if g[2]]


# -- cells of the table ------------------------------------------------------------------

def _fmt(v: float, digits: int) -> str:
    return f"{v:.{digits}f}".replace("-", "−")


def num_text(n: Num, digits: int = 2, *, log: bool = False):
    """A number as table text: ``0.47``; ``−∞`` for an exact zero in log scale; ``n/a`` where
    the cell has no carrying gate; ``—`` where there is no global bound; ``—*`` where the
    number could not be computed (the note says why)."""
    if n.why is Why.EXACT_ZERO:
        return M(r"-\infty", "-infinity")
    if n.why is Why.NO_CARRYING:
        return Tr("n/a", "không áp dụng")
    if n.why is Why.NO_GLOBAL:
        return "—"
    if not n.ok:
        return "—*"
    if log:
        return _fmt(n.value, 0 if abs(n.value) >= 10 else 1)
    return _fmt(n.value, digits)


def _carry_math(pr, state, carry, multi) -> tuple:
    """``diag(carry)``, after ``state: `` for a cell of several states (a part of its own,
    so a long carry may start a new line)."""
    out = (M(*pr.both(Diag(carry))),)
    return (M(*pr.both(state)), ": ", *out) if multi else out


def carry_parts(row) -> tuple:
    """Inline parts of the carry column: each state's diagonal carry term and, when the cell
    declares its carrying gate, the gate value that makes the term the identity."""
    cell = row.cell
    if not row.carries:
        return (Tr("none", "không có"),)
    pr = Printers.for_cell(cell)
    multi = len(cell.states) > 1
    parts = []
    for k, (s, carry) in enumerate(row.carries):
        parts += ["; " if k else "", *_carry_math(pr, s, carry, multi)]
    if cell.carrying is not None:
        g, gt = pr.both(cell.carrying.gate)
        to = cell.carrying.towards
        parts += [Tr("; → I as ", "; → I khi "), M(f"{g} \\to {to}", f"{gt} -> {to}")]
    else:
        parts.append(Tr(" (no carrying gate declared)", " (không khai báo cổng mang)"))
    return tuple(parts)


def global_parts(row) -> tuple:
    """Inline parts of the global bound column: yes, or why not (and how many blocks have
    one)."""
    if row.bounds_error:
        return (Tr("not derived*", "không suy ra được*"),)
    if row.has_global:
        return (Tr("yes", "có"),)
    acts = tuple(dict.fromkeys(a for _, b in row.no_global for a in b.activations))
    divs = tuple(dict.fromkeys(d for _, b in row.no_global for d in b.divisors))
    why = no_global_reasons(SimpleNamespace(activations=acts, divisors=divs),
                            Printers.for_cell(row.cell))[:-1]  # without the final period
    n_have, n = len(row.global_blocks), len(row.global_blocks) + len(row.no_global)
    more = ((Tr(f" ({n_have} of {n} blocks have one)", f" ({n_have} trên {n} khối có cận)"),)
            if n_have else ())
    return (Tr("no: ", "không: "), *why, *more)


def _tight_parts(row) -> tuple:
    g = num_text(row.global_tightness)
    return (num_text(row.tightness), " (", g, ")")


_COLUMN = {
    "tight": Tr("||J||/U", "||J||/U"),
    "glob": Tr("||J||/G", "||J||/G"),
    "grad_default": Tr("log10 gradient, default init", "log10 gradient, khởi tạo mặc định"),
    "grad_carrying": Tr("log10 gradient, carrying init", "log10 gradient, khởi tạo mang"),
    "lyapunov": Tr("λ1", "λ1"),
}


def _notes(rows) -> list:
    """``(cell title, column Tr, Num)`` of every number that could not be computed."""
    out = []
    for r in rows:
        if r.bounds_error:
            out.append((r.cell.title, Tr("bounds", "các cận"),
                        Num.missing(Why.REFUSED, r.bounds_error)))
        for key, n in (("tight", r.tightness), ("glob", r.global_tightness),
                       ("grad_default", r.grad_default), ("grad_carrying", r.grad_carrying),
                       ("lyapunov", r.lyapunov)):
            if n.why in (Why.REFUSED, Why.NOT_FINITE):
                if key == "glob" and (n.why, n.detail) == (r.tightness.why, r.tightness.detail):
                    continue  # the same failure as the tightness, noted once
                out.append((r.cell.title, _COLUMN[key], n))
    return out


_WHY = {Why.REFUSED: Tr("the toolkit refused: ", "bộ công cụ từ chối: "),
        Why.NOT_FINITE: Tr("not a finite number: ", "không phải số hữu hạn: ")}

_HEADER = (Tr("Cell (section)", "Ô (mục)"), Tr("State", "Trạng thái"),
           Tr("Carry path", "Đường mang"), Tr("Global bound", "Cận toàn cục"),
           (M(r"\|J\|_2/U", "||J||_2 \\/ U"), " (", M("/G", "\\/ G"), ")"),
           (M(r"\log_{10} g", "log_10 g"), Tr(", default", ", mặc định")),
           (M(r"\log_{10} g", "log_10 g"), Tr(", carrying", ", mang")),
           M(r"\lambda_1", "lambda_1"))
_WIDTHS = (0.13, 0.07, 0.28, 0.17, 0.1, 0.09, 0.09, 0.07)


def _row(r, labels) -> tuple:
    title = (r.cell.title, " (", Ref(labels[r.cell]), ")")
    return (title, r.state_dim, carry_parts(r), global_parts(r), _tight_parts(r),
            num_text(r.grad_default, log=True), num_text(r.grad_carrying, log=True),
            num_text(r.lyapunov, 3))


def _family_table(slug, title, rows, labels) -> list:
    n = len(rows)
    caption = Tr(f"{title.en}: {n} cell{'s' if n != 1 else ''} (Section ",
                 f"{title.vi}: {n} ô (mục ")
    table = Table(_HEADER, tuple(_row(r, labels) for r in rows), None, widths=_WIDTHS,
                  small=True)
    blocks = [Paragraph((caption, Ref(family_label(slug)), Tr(").", ")."))), table]
    notes = _notes(rows)
    if notes:
        blocks.append(Paragraph((Tr("Not computed (—*):", "Không tính được (—*):"),)))
        blocks.append(List(tuple((cell, ", ", col, ": ", _WHY[n.why], n.detail + ".")
                                 for cell, col, n in notes)))
    return blocks


#: log10 of the gradient norms after T steps between which a gradient is kept (neither
#: vanished nor exploded)
KEPT = (-3.0, 3.0)


def _known(n: Num) -> bool:
    """A number, or an exact zero (log10 = -inf)."""
    return n.ok or n.why is Why.EXACT_ZERO


def _fates(rows, attr) -> tuple:
    """``(computed, kept, exploded)``: the titles of the cells whose median gradient (the
    row's ``attr``) is known, within :data:`KEPT`, above it."""
    known = [r for r in rows if _known(getattr(r, attr))]
    kept = [r.cell.title for r in known if KEPT[0] <= getattr(r, attr).value <= KEPT[1]]
    big = [r.cell.title for r in known if getattr(r, attr).value > KEPT[1]]
    return known, kept, big


def _summary(rows, cfg: ZooConfig) -> Paragraph:
    """Sentences computed from the rows: which cells have a global bound, which keep their
    gradient after T steps (within 10^-3 .. 10^3) under each initialisation and which
    explode, where lambda_1 > 0."""
    glob = [r for r in rows if r.has_global and not r.bounds_error]
    pos = [r.cell.title for r in rows if r.lyapunov.ok and r.lyapunov.value > 0]
    none = Tr("none", "không có")

    def names(xs):
        return ", ".join(xs) if xs else none

    lo, hi = (M(f"10^{{{int(e)}}}", f"10^({int(e)})") for e in KEPT)
    parts = [Tr(f"Of the {len(rows)} cells, {len(glob)} have a global bound on every block of "
                f"the state Jacobian. After T = {cfg.T} steps the median gradient norm stays "
                "between ",
                f"Trong {len(rows)} ô, {len(glob)} ô có cận toàn cục trên mọi khối của ma trận "
                f"Jacobi trạng thái. Sau T = {cfg.T} bước, chuẩn gradient trung vị nằm giữa "),
             lo, Tr(" and ", " và "), hi]
    for k, (attr, en, vi) in enumerate((("grad_default", "the default", "mặc định"),
                                        ("grad_carrying", "the carrying", "mang"))):
        known, kept, big = _fates(rows, attr)
        rest = len(known) - len(kept) - len(big)
        parts += [Tr(f"{';' if k else ''} under {en} initialisation for {len(kept)} of "
                     f"{len(known)} cells (",
                     f"{';' if k else ''} với khởi tạo {vi} ở {len(kept)} trên {len(known)} "
                     "ô ("), names(kept)]
        if big:
            parts += [Tr("), it exceeds ", "), vượt quá "), hi, Tr(" for ", " với "),
                      ", ".join(big)]
        else:
            parts += [Tr("), none exceeds ", "), không ô nào vượt quá "), hi]
        if rest:
            parts += [Tr(" and it falls below ", " và xuống dưới "), lo,
                      Tr(f" for the other {rest}", f" với {rest} ô còn lại")]
        else:
            parts += [Tr(" and none falls below ", " và không ô nào xuống dưới "), lo]
    parts += [Tr(". The leading Lyapunov exponent is positive (a perturbation grows) for: ",
                 ". Số mũ Lyapunov lớn nhất dương (nhiễu loạn tăng) với: "), names(pos),
              Tr(".", ".")]
    return Paragraph(tuple(parts))


def _intro(cfg: ZooConfig, seed: int) -> list:
    G = M(r"\log_{10} g", "log_10 g")
    return [Paragraph((Tr(
        f"One row per cell and convention, one table per family. The numbers use H = {cfg.H}, "
        f"input size {cfg.I} (the RG-LRU reads its input in the state's size), any other "
        f"dimension H/2 = {max(1, cfg.H // 2)} (the LSTMP's projection P), inputs ",
        f"Mỗi dòng một ô và một quy ước, mỗi họ một bảng. Các số dùng H = {cfg.H}, cỡ đầu vào "
        f"{cfg.I} (RG-LRU đọc đầu vào cùng cỡ với trạng thái), mọi chiều khác H/2 = "
        f"{max(1, cfg.H // 2)} (phép chiếu P của LSTMP), đầu vào "),
        M(r"x_t \sim N(0, I)", "x_t tilde N(0, I)"),
        Tr(f", zero initial states and seed {seed}. The columns:",
           f", trạng thái đầu bằng 0 và hạt giống {seed}. Các cột:"))),
        List(((Tr("State: the dimension of the state the Jacobian acts on.",
                  "Trạng thái: số chiều của trạng thái mà ma trận Jacobi tác động lên."),),
              (Tr("Carry path: the matrix-free diagonal term of each state's own block of the "
                  "derived Jacobian, and the value of the cell's declared carrying gate that "
                  "makes it the identity.",
                  "Đường mang: số hạng đường chéo không chứa ma trận trong khối riêng của mỗi "
                  "trạng thái trong ma trận Jacobi suy ra, và giá trị của cổng mang mà ô khai "
                  "báo làm nó thành ma trận đơn vị."),),
              (Tr("Global bound: whether every block has an upper bound in weight norms "
                  "alone, and if not why.",
                  "Cận toàn cục: mọi khối có hay không một cận trên chỉ theo chuẩn trọng số, "
                  "và nếu không thì vì sao."),),
              (M(r"\|J\|_2/U", "||J||_2 \\/ U"), Tr(" (", " ("), M("/G", "\\/ G"),
               Tr(f"): medians over {cfg.bound_batch} random states (PyTorch initialisation) "
                  "of the spectral norm of the full state Jacobian over its state-dependent "
                  "(global) upper bound; 1 = tight, — where there is no global bound.",
                  f"): trung vị trên {cfg.bound_batch} trạng thái ngẫu nhiên (khởi tạo "
                  "PyTorch) của chuẩn phổ của toàn bộ ma trận Jacobi trạng thái chia cho cận "
                  "trên phụ thuộc trạng thái (toàn cục); 1 = chặt, — khi không có cận toàn "
                  "cục.")),
              (G, Tr(f": the median over {cfg.B} sequences of ", f": trung vị trên {cfg.B} "
                     "chuỗi của "),
               M(r"\log_{10} \|v^\top \partial s_T / \partial s_0\|",
                 "log_10 ||v^T partial s_T \\/ partial s_0||"),
               Tr(f" after T = {cfg.T} steps (v a random unit vector), under the PyTorch "
                  "initialisation and under the carrying (chrono, ",
                  f" sau T = {cfg.T} bước (v là vectơ đơn vị ngẫu nhiên), với khởi tạo "
                  "PyTorch và với khởi tạo mang (chrono, "),
               M(r"T_{\max} = T", "T_max = T"),
               Tr(") one, which applies only to a cell with a carrying gate (n/a otherwise).",
                  "), chỉ áp dụng cho ô có cổng mang (các ô khác: không áp dụng)."),),
              (M(r"\lambda_1", "lambda_1"),
               Tr(f": the median over {cfg.lyap_batch} sequences of the leading Lyapunov "
                  f"exponent (natural log per step, T = {cfg.T}, PyTorch initialisation).",
                  f": trung vị trên {cfg.lyap_batch} chuỗi của số mũ Lyapunov lớn nhất (log "
                  f"tự nhiên mỗi bước, T = {cfg.T}, khởi tạo PyTorch)."),),
              (Tr("−∞: the product of Jacobians is exactly zero (a ReLU unit off at some "
                  "step); —*: not computed, the note under the table says why.",
                  "−∞: tích các ma trận Jacobi bằng đúng 0 (một đơn vị ReLU tắt ở một bước "
                  "nào đó); —*: không tính được, ghi chú dưới bảng nói vì sao."),))),
    ]


def cell_labels(cells) -> dict:
    """``{cell: section label}``, unique (a second cell with the same name and convention,
    e.g. two users' cells, gets ``-2``)."""
    out, seen = {}, set()
    for c in cells:
        base = lab = cell_label(c)
        k = 1
        while lab in seen:
            k += 1
            lab = f"{base}-{k}"
        seen.add(lab)
        out[c] = lab
    return out


def zoo_section(groups, rows: dict, cfg: ZooConfig, labels: dict | None = None,
                seed: int | None = None) -> Section:
    """The zoo section: ``groups`` from :func:`group_cells`, ``rows`` cell -> ZooRow,
    ``labels`` cell -> its section label (default :func:`cell_labels`)."""
    if labels is None:
        labels = cell_labels([c for _, _, cs in groups for c in cs])
    blocks = _intro(cfg, cfg.seed if seed is None else seed)
    for slug, title, cs in groups:
        blocks += _family_table(slug, title, [rows[c] for c in cs], labels)
    blocks.append(_summary([rows[c] for _, _, cs in groups for c in cs], cfg))
    return Section(Tr("The cell zoo at a glance", "Toàn cảnh các ô"), tuple(blocks),
                   label="sec:zoo")


def index_section(groups, labels: dict | None = None) -> Section:
    """The cell index: every cell, alphabetically, with its section, page and family
    (``labels`` as for :func:`zoo_section`)."""
    if labels is None:
        labels = cell_labels([c for _, _, cs in groups for c in cs])
    entries = sorted(((c, title) for _, title, cs in groups for c in cs),
                     key=lambda e: (e[0].title.lower(), e[0].title))
    rows = tuple((c.title, Ref(labels[c]), Ref(labels[c], page=True), title)
                 for c, title in entries)
    table = Table((Tr("Cell", "Ô"), Tr("Section", "Mục"), Tr("Page", "Trang"),
                   Tr("Family", "Họ")), rows, None, align="lrrl")
    return Section(Tr("Cell index", "Chỉ mục các ô"), (Paragraph((Tr(
        "Every cell of the report in alphabetical order; the section and page numbers are "
        "links.", "Mọi ô của báo cáo theo thứ tự chữ cái; số mục và số trang là liên kết."),)),
        table), label="sec:index")

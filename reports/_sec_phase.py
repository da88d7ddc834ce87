r"""The "Phase diagrams" section: per cell, the leading Lyapunov exponent :math:`\lambda_1`
over (:math:`\sigma_w`, gate bias) with the edge of chaos :math:`\lambda_1 = 0`, and the
gradient-norm rate against the horizon T.

The grid is the spec file ``sweeps/report_phase.toml`` (``report_phase_quick.toml`` with
``--quick``), read by :func:`reports._phase_data.report_spec` and computed in-process by
:func:`reports._phase_data.compute_grid`; the figures are those of ``gatebound sweep
--plot`` (:mod:`reports._sweep_figures`, array entry points). The numbers behind the
figures are in the section as a table (:math:`\lambda_1` at the gate-bias offset 0) and in
the sentences, computed from the grid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._phase_data import SPEC_FILES, PhaseGrid, compute_grid, report_spec
from ._sweep_figures import (
    FIGURES,
    held_index,
    phase_arrays,
    plot_phase_arrays,
    plot_rate_arrays,
    rate_arrays,
)
from .model import Code, Figure, M, Paragraph, Section, Table, Tr

__all__ = ["phase_section", "phase_blocks", "lambda_table", "TITLE", "LABEL"]

TITLE = Tr("Phase diagrams", "Giản đồ pha")
LABEL = "sec:phase"

_LAM = M(r"\lambda_1", "lambda_1")
_SW = M(r"\sigma_w", "sigma_w")
_BETA = M(r"\beta", "beta")


def _num(v: float, digits: int = 3) -> str:
    return "—" if not np.isfinite(v) else f"{v:.{digits}f}".replace("-", "−")


def _input_math(text: str) -> M:
    name, _, number = text.partition(":")
    if name == "zeros":
        return M(r"x_t = 0", "x_t = 0")
    a = f"{float(number):g}"
    if name == "normal":
        if float(number) == 1.0:
            return M(r"x_t \sim N(0, I)", "x_t tilde N(0, I)")
        return M(rf"x_t \sim N(0, {a}^2 I)", f"x_t tilde N(0, {a}^2 I)")
    return M(rf"x_t \sim U(-{a}, {a})", f"x_t tilde U(-{a}, {a})")


def _values(spec, axis) -> str:
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in spec.axis(axis))


def _intro(spec, quick: bool) -> list:
    s = spec.settings
    T = max(spec.axis("T"))
    name = SPEC_FILES[bool(quick)]
    inputs = spec.axis("input")
    scheme = ", ".join(spec.axis("scheme"))
    gb = spec.axis("gate_bias")
    beta = gb[held_index("gate_bias", gb)]
    parts = [Tr("For each cell, the first figure shows the leading Lyapunov exponent ",
                "Với mỗi ô, hình thứ nhất cho số mũ Lyapunov lớn nhất "), _LAM,
             Tr(f" (k = {s['k']} exponent by the QR method, natural log per step, the median "
                f"over B = {s['batch']} input sequences, T = {T} steps) over the recurrent "
                "weight scale ",
                f" (k = {s['k']} số mũ bằng phương pháp QR, log tự nhiên mỗi bước, trung vị "
                f"trên B = {s['batch']} chuỗi đầu vào, T = {T} bước) theo hệ số trọng số hồi "
                "quy "), _SW,
             Tr(f" (it multiplies the weights acting on the state of the {scheme} "
                "initialisation) and the offset ",
                f" (nhân các trọng số tác động lên trạng thái của khởi tạo {scheme}) và độ "
                "dịch "), _BETA,
             Tr(" added to the carrying gate's bias (", " cộng vào bias của cổng mang ("),
             _BETA, Tr(" > 0 moves the gate towards carrying), with H = ",
                       " > 0 đẩy cổng về phía giữ lại), với H = "),
             _values(spec, "H"), Tr(f", input size {s['input_size']}, inputs ",
                                    f", cỡ đầu vào {s['input_size']}, đầu vào ")]
    for i, text in enumerate(inputs):
        parts += [", " if i else "", _input_math(text)]
    parts += [Tr(", zero initial state and seed ", ", trạng thái đầu bằng 0 và hạt giống "),
              _values(spec, "seed"),
              Tr(" (parameters, inputs and tangent frames). Blue is below the edge of chaos, "
                 "red above; the black line is ",
                 " (tham số, đầu vào và các khung tiếp tuyến). Màu xanh ở dưới biên hỗn "
                 "loạn, màu đỏ ở trên; đường màu đen là "), M(r"\lambda_1 = 0", "lambda_1 = 0"),
              Tr(". The second figure shows, at ", ". Hình thứ hai cho, tại "),
              M(rf"\beta = {beta:g}", f"beta = {beta:g}"),
              Tr(f" and T = {_values(spec, 'T')}, the gradient-norm rate: the least-squares "
                 "slope of ",
                 f" và T = {_values(spec, 'T')}, tốc độ của chuẩn gradient: độ dốc bình "
                 "phương tối thiểu của "),
              M(r"\log\|v^\top \partial s_T/\partial s_t\|",
                "log ||v^T partial s_T \\/ partial s_t||"),
              Tr(" in T − t (v a random unit vector), the median over the sequences; as T "
                 "grows it tends to ",
                 " theo T − t (v là vectơ đơn vị ngẫu nhiên), trung vị trên các chuỗi; khi T "
                 "tăng nó tiến tới "), _LAM, Tr(".", ".")]
    rerun = (Tr("The grid is the file ", "Lưới này là tệp "), Code(f"sweeps/{name}"),
             Tr(" of the repository (", " của kho mã ("),
             Code(f"sweeps/{SPEC_FILES[not quick]}"),
             Tr(f" for the {'full' if quick else 'quick'} report); ",
                f" cho báo cáo {'đầy đủ' if quick else 'nhanh'}); "),
             Code(f"gatebound sweep sweeps/{name} --out phase.zarr --plot DIR"),
             Tr(" recomputes it on Dask into a Zarr store and redraws both figures into DIR.",
                " tính lại nó trên Dask vào một kho Zarr và vẽ lại cả hai hình vào DIR."))
    return [Paragraph(tuple(parts)), Paragraph(rerun)]


def lambda_table(grid: PhaseGrid) -> Table:
    r"""The table of :math:`\lambda_1` at the gate-bias offset closest to 0 and the largest T
    (the row of each heatmap the text discusses): one row per cell, one column per
    :math:`\sigma_w`."""
    data, sw, gb, _ = phase_arrays(grid.lam1, grid.dims, grid.coords)
    i = held_index("gate_bias", gb)
    header = (Tr("Cell", "Ô"), *(f"{v:g}" for v in sw))
    rows = tuple((cell, *(_num(v) for v in lam[i])) for cell, lam in data.items())
    cap = Tr(f"λ1 at gate bias offset β = {gb[i]:g}, T = {max(grid.spec.axis('T'))}, by σ_w "
             "(columns).",
             f"λ1 tại độ dịch bias β = {gb[i]:g}, T = {max(grid.spec.axis('T'))}, theo σ_w "
             "(các cột).")
    return Table(header, rows, cap, align="l" + "r" * len(sw), small=True)


def _edge(lam_row, sw) -> tuple:
    """Where ``lam_row`` (over ``sw``) first becomes positive: ``(below, above)`` or None."""
    for a, b, la, lb in zip(sw[:-1], sw[1:], lam_row[:-1], lam_row[1:], strict=True):
        if la < 0 <= lb:
            return a, b
    return None


def _phase_text(data, sw, gb) -> Paragraph:
    i = held_index("gate_bias", gb)
    parts = []
    for k, (cell, lam) in enumerate(data.items()):
        ok = np.isfinite(lam)
        if not ok.any():
            parts += [Tr(f"{'; ' if k else ''}{cell}: no point computed",
                         f"{'; ' if k else ''}{cell}: không điểm nào tính được")]
            continue
        frac = 100.0 * float((lam[ok] > 0).mean())
        edge = _edge(lam[i], sw)
        parts += [Tr(f"{'; ' if k else ''}{cell}: ", f"{'; ' if k else ''}{cell}: "), _LAM,
                  Tr(f" from {_num(np.nanmin(lam))} to {_num(np.nanmax(lam))}, positive on "
                     f"{frac:.0f}% of the grid",
                     f" từ {_num(np.nanmin(lam))} đến {_num(np.nanmax(lam))}, dương trên "
                     f"{frac:.0f}% lưới")]
        if edge is not None:
            parts += [Tr(f", and at β = {gb[i]:g} it crosses 0 between ",
                         f", và tại β = {gb[i]:g} nó qua 0 giữa "),
                      _SW, f" = {edge[0]:g} ", Tr("and", "và"), f" {edge[1]:g}"]
        elif np.isfinite(lam[i]).any():
            sign = bool(np.nanmax(lam[i]) < 0)
            parts += [Tr(f", and at β = {gb[i]:g} it stays "
                         f"{'negative' if sign else 'not negative'} over the whole range of ",
                         f", và tại β = {gb[i]:g} nó luôn "
                         f"{'âm' if sign else 'không âm'} trên toàn khoảng "), _SW]
    parts.append(Tr(".", "."))
    return Paragraph(tuple(parts))


def _rate_text(grid: PhaseGrid, T, rates, sw) -> Paragraph:
    data, _, gb, _ = phase_arrays(grid.lam1, grid.dims, grid.coords)
    i = held_index("gate_bias", gb)
    parts = [Tr(f"At T = {T.max()} the rate and ", f"Tại T = {T.max()} tốc độ và "), _LAM,
             Tr(" differ by at most ", " chênh nhau nhiều nhất ")]
    for k, (cell, r) in enumerate(rates.items()):
        diff = np.abs(r[:, int(np.argmax(T))] - data[cell][i])
        worst = float(np.max(diff[np.isfinite(diff)])) if np.isfinite(diff).any() else np.nan
        parts += [", " if k else "", f"{_num(worst)} ({cell})"]
    parts.append(Tr(" over the values of ", " trên các giá trị của "))
    parts += [_SW, Tr(": both measure how fast a perturbation, and a gradient, shrinks or "
                      "grows per step.",
                      ": cả hai đo tốc độ một nhiễu loạn, và gradient, co lại hay lớn lên mỗi "
                      "bước.")]
    return Paragraph(tuple(parts))


def phase_blocks(grid: PhaseGrid, figures_dir, *, lang: str = "en", quick: bool = False) -> list:
    """The section's blocks from a computed grid; writes the two PDFs into ``figures_dir``."""
    figdir = Path(figures_dir)
    data, sw, gb, held = phase_arrays(grid.lam1, grid.dims, grid.coords)
    plot_phase_arrays(data, sw, gb, figdir / FIGURES[0], held=held, lang=lang)
    T, rates, sw_r, held_r = rate_arrays(grid.rate, grid.dims, grid.coords)
    plot_rate_arrays(T, rates, sw_r, figdir / FIGURES[1], held=held_r, lang=lang)
    n = len(data)
    b0 = f"{gb[held_index('gate_bias', gb)]:g}"
    width = min(1.0, 0.35 + 0.22 * n)   # one panel per cell: a single panel is not page-wide
    blocks = _intro(grid.spec, quick)
    blocks += [Figure(f"figures/{FIGURES[0]}", Tr(
        f"Leading Lyapunov exponent λ1 over (σ_w, gate bias offset β), "
        f"{n} cell{'s' if n != 1 else ''}, {grid.spec.size} grid points in all; the black "
        "line is λ1 = 0.",
        f"Số mũ Lyapunov lớn nhất λ1 theo (σ_w, độ dịch bias β), {n} ô, tổng cộng "
        f"{grid.spec.size} điểm lưới; đường màu đen là λ1 = 0."), width),
        _phase_text(data, sw, gb), lambda_table(grid),
        Figure(f"figures/{FIGURES[1]}", Tr(
            "Gradient-norm rate (slope of the log-norm in T − t, per step) against the "
            f"horizon T, one line per σ_w (colour), at β = {b0}.",
            "Tốc độ của chuẩn gradient (độ dốc của log chuẩn theo T − t, mỗi bước) theo độ "
            f"dài T, mỗi σ_w một đường (màu), tại β = {b0}."), width),
        _rate_text(grid, T, rates, sw_r)]
    if grid.failed:
        blocks.append(Paragraph((Tr(f"{len(grid.failed)} points failed (left blank): ",
                                    f"{len(grid.failed)} điểm thất bại (để trống): "),
                                 "; ".join(f"{p['cell']}, σ_w = {p['sigma_w']:g}, β = "
                                           f"{p['gate_bias']:g}, T = {p['T']}: {m}"
                                           for p, m in grid.failed[:3]), ".")))
    return blocks


def phase_section(figures_dir, *, lang: str = "en", quick: bool = False, progress=None,
                  spec=None) -> tuple:
    """``(section, grid)``: the phase-diagram section from the report's spec file (or
    ``spec``, a :class:`numeric.SweepSpec`, for tests), its PDFs written to
    ``figures_dir``."""
    spec = report_spec(quick) if spec is None else spec
    grid = compute_grid(spec, progress)
    blocks = phase_blocks(grid, figures_dir, lang=lang, quick=quick)
    return Section(TITLE, tuple(blocks), label=LABEL), grid

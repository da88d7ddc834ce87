r"""The short report of ``gatebound analyze --report DIR``: the model, the inputs, the
figures, tables of the numbers, and each of the model's cells with its derived Jacobian.

Built from the same document model and renderers as ``gatebound report``
(:mod:`reports.model`, :func:`~reports.render_latex.render_latex`,
:func:`~reports.render_typst.render_typst`): ``analysis.tex`` is always written,
``analysis.typ`` too, and ``analysis.pdf`` is compiled by latexmk when a TeX installation
is found (``engine='auto'``), else by the ``typst`` package.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .model import Document, Figure, Math, MathRow, Paragraph, Section, Table, Tr

__all__ = ["analysis_document", "write_report", "REPORT_NAME"]

REPORT_NAME = "analysis"

_CAPTIONS = {
    "gradient_norms.pdf": Tr(
        "Gradient norms (log10, median and interquartile band over the sequences) against "
        "the number of steps back: left, each layer alone through time; right, the whole "
        "stack through time and depth, on each layer's state and on the inputs (the "
        "quantities of the section on the numbers).",
        "Chuẩn gradient: trái, từng lớp riêng qua thời gian; phải, cả chồng qua thời gian "
        "và độ sâu (trung vị và khoảng tứ phân vị)."),
    "singular_values.pdf": Tr(
        "Singular values of the one-step Jacobians along the trajectory.",
        "Các giá trị kỳ dị của ma trận Jacobi một bước dọc quỹ đạo."),
    "gate_saturation.pdf": Tr(
        "Values of each layer's carrying gate along the sequence.",
        "Giá trị của cổng mang của mỗi lớp dọc theo chuỗi."),
}


def _f(x, spec=".3g") -> str:
    return "—" if x is None or not math.isfinite(float(x)) else format(float(x), spec)


def _t(text: str) -> Tr:
    return Tr(text, text)


def _model_section(info: dict) -> Section:
    m, inp = info["model"], info["inputs"]
    rows = tuple((str(lay["index"]), lay["cell"], lay["convention"] or "—",
                  "yes" if lay["bidirectional"] else "no", str(lay["input_size"]),
                  str(lay["hidden_size"])) for lay in m["layers"])
    table = Table(tuple(_t(h) for h in ("layer", "cell", "convention", "bidirectional",
                                        "I", "H")), rows,
                  Tr("The model's layers, bottom first.", "Các lớp của mô hình, từ dưới lên."),
                  align="rllcrr")
    src = "random inputs" if inp["source"] == "random" else inp["source"]
    return Section(Tr("Model and inputs", "Mô hình và đầu vào"), (
        Paragraph((Tr("Model file: ", "Tệp mô hình: "), m["path"], " (", m["kind_note"], ")."),),
        Paragraph((Tr("Inputs: ", "Đầu vào: "), src,
                   f" (T = {inp['T']}, B = {inp['B']}; initial states: "
                   f"{inp['initial_states']}; seed {inp['seed']})."),),
        table), label="sec:model")


def _numbers_section(info: dict) -> Section:
    rows = []
    for lay in info["layers"]:
        for d in lay["directions"]:
            tt, sp, ti = d["through_time"], d["spectra"], d["tightness"]
            g = d["gate"]
            sat = "—" if g is None else f"{g['name']}: {100 * g['saturated']:.1f}%"
            name = f"{lay['index']}" + (f" {d['direction']}" if lay["bidirectional"] else "")
            rows.append((name, d["cell"], _f(tt["log10_first_median"], ".2f"),
                         _f(tt["rate_per_step"], "+.4f"), _f(sp["min"]), _f(sp["median"]),
                         _f(sp["max"]), _f(ti["median"], ".3f"), sat))
    layers = Table(tuple(_t(h) for h in ("layer", "cell", "log10 g(0)", "rate/step",
                                         "sigma min", "sigma median", "sigma max",
                                         "||J||/U", "saturated")), tuple(rows),
                   Tr("Per layer (each direction alone): the median log10 gradient norm back "
                      "to the first step and its mean change per step (natural log); the "
                      "singular values of the one-step Jacobians; the median tightness of "
                      "the derived upper bound U; the share of carrying-gate values within "
                      "0.1 of 0 or 1.",
                      "Theo từng lớp: chuẩn gradient, giá trị kỳ dị, độ chặt của cận trên và "
                      "tỉ lệ bão hoà của cổng mang."), small=True)
    g = info["stack"]["gradient"]
    depth = []
    for k, per in enumerate(g["states_log10"]):
        first = [v for v in per[0] if v is not None]
        depth.append((f"layer {k} state", _f(np.median(first) if first else None, ".2f")))
    xs = [v for v in g["inputs_log10"][0] if v is not None]
    depth.append(("inputs x", _f(np.median(xs) if xs else None, ".2f")))
    stack = Table((_t("gradient on"), _t("log10 g(l)(0), median")), tuple(depth),
                  Tr("The whole stack: gradient of the top layer's last output back to the "
                     "first step of every layer's state and of the inputs.",
                     "Cả chồng: gradient của đầu ra cuối cùng về bước đầu tiên."), align="lr")
    defs = Math((
        MathRow(r"g(t)", r"\bigl\|u^\top \partial s_T / \partial s_t\bigr\|",
                "g(t)", "norm(u^top (partial s_T)/(partial s_t))",
                Tr("each layer alone", "từng lớp riêng")),
        MathRow(r"g^{(l)}(t)", r"\bigl\|v^\top \partial y_T / \partial s^{(l)}_t\bigr\|",
                "g^((l))(t)", "norm(v^top (partial y_T)/(partial s^((l))_t))",
                Tr("the whole stack", "cả chồng")),
        MathRow(r"\|J_t\|_2", r"\|\partial s_{t+1} / \partial s_t\|_2 \le U_t",
                "norm(J_t)_2", "norm((partial s_(t+1))/(partial s_t))_2 <= U_t",
                Tr("U: the derived upper bound", "U: cận trên suy ra"), "=", "="),
    ))
    intro = Paragraph((Tr("With u, v random unit vectors per sequence, s the state "
                          "(h, or (h, c) for an LSTM) and y the top layer's output:",
                          "Với u, v là các vectơ đơn vị ngẫu nhiên cho mỗi chuỗi:"),))
    blocks = [intro, defs, layers, stack]
    sp = info["stack"]["spectra"]
    if sp is None:
        blocks.append(Paragraph((Tr("No stacked spectrum: ", "Không có phổ của cả chồng: "),
                                 info["stack"]["spectra_null"], "."),))
    else:
        smax = [v for row in sp["sigma_max"] for v in row if v is not None]
        blocks.append(Paragraph((Tr("Largest singular value of the stacked one-step Jacobian "
                                    "dS_(t+1)/dS_t along the trajectory: ",
                                    "Giá trị kỳ dị lớn nhất của ma trận Jacobi một bước của "
                                    "cả chồng: "),
                                 f"median {_f(np.median(smax))}, max {_f(max(smax))}."),))
    return Section(Tr("The numbers", "Các con số"), tuple(blocks), label="sec:numbers")


def _cells_section(stack) -> Section:
    import derivations as dv

    from .mathblocks import equations_math, jacobian_math

    cells = []
    for lay in stack.layers:
        for p in lay:
            if p.cell not in cells:
                cells.append(p.cell)
    subs = []
    for k, cell in enumerate(cells):
        d = dv.derive(cell)
        subs.append(Section(_t(cell.title), (
            Paragraph((Tr("Equations:", "Các phương trình:"),)), equations_math(cell),
            Paragraph((Tr("The closed-form Jacobian derived by the chain rule, one path per "
                          "row:", "Ma trận Jacobi dạng đóng suy ra bằng quy tắc dây chuyền:"),)),
            jacobian_math(d, labelled=True)), label=f"sec:cell-{k}"))
    return Section(Tr("The model's cells", "Các ô của mô hình"), tuple(subs), label="sec:cells")


def analysis_document(an, info: dict, figures: list[str]) -> Document:
    """The report's document for the analysis ``an`` and its JSON ``info``."""
    figs = tuple(Figure(f"figures/{name}", _CAPTIONS[name]) for name in figures)
    sections = (_model_section(info),
                Section(Tr("Figures", "Hình"), figs, label="sec:figures"),
                _numbers_section(info), _cells_section(an.stack))
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Document(Tr("Gradient flow of a trained model", "Dòng gradient của một mô hình đã "
                       "huấn luyện"), "gatebound analyze", sections, meta={"date": date})


def write_report(doc: Document, folder: Path, *, engine: str = "auto", log=None) -> Path:
    """Write ``analysis.tex`` and ``analysis.typ`` into ``folder`` (which holds
    ``figures/``) and compile ``analysis.pdf``; its path."""
    from .engines import choose_engine, compile_latex, compile_typst
    from .render_latex import render_latex
    from .render_typst import render_typst

    engine = choose_engine(engine, "en")
    tex = folder / f"{REPORT_NAME}.tex"
    tex.write_text(render_latex(doc, "en"), encoding="utf-8")
    typ = folder / f"{REPORT_NAME}.typ"
    typ.write_text(render_typst(doc, "en"), encoding="utf-8")
    if engine == "latex":
        pdf = compile_latex(tex, "en", log=log)
        for ext in (".aux", ".log", ".fls", ".fdb_latexmk", ".out", ".toc"):
            aux = tex.with_suffix(ext)
            if aux.exists():
                aux.unlink()
        return pdf
    return compile_typst(typ, log=log)

r"""The vanishing-gradient comparison: five figures, each with a caption and a sentence of
interpretation computed from its own numbers (English and Vietnamese).

Figure labels are in the report's language; the PDFs go to ``figures_dir`` and are shared
by both engines (``figures/<name>.pdf`` relative to the report).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import _fig_data as fd
from .figures import (
    plot_band_lines,
    plot_gradient_panels,
    plot_histogram_panels,
    plot_lines,
)
from .model import Figure, M, Paragraph, Section, Tr

__all__ = ["comparison_section", "SCALES_FIG", "TITLE"]

#: recurrent-weight scales of the gradient-norm figure
SCALES_FIG = (1.0, 2.0, 3.0)

TITLE = Tr("The vanishing-gradient comparison", "So sánh hiện tượng tiêu biến gradient")

_LBL = {
    "k": ("steps back k = T − t", "số bước lùi k = T − t"),
    "gn": (r"$\log_{10}\,\|v^\top\partial s_T/\partial s_t\|$",) * 2,
    "scale": ("recurrent scale", "hệ số hồi quy"),
    "idx": ("exponent index i / D", "chỉ số mũ i / D"),
    "lam": (r"Lyapunov exponent $\lambda_i$ (per step)", r"số mũ Lyapunov $\lambda_i$ (mỗi bước)"),
    "beta": (r"update-gate bias shift $\beta$", r"độ dịch bias cổng cập nhật $\beta$"),
    "sv": ("singular value bound", "cận giá trị kỳ dị"),
    "dens": ("density", "mật độ"),
    "default": ("PyTorch default init", "khởi tạo mặc định PyTorch"),
    "chrono": ("chrono init", "khởi tạo chrono"),
    "smin": (r"$\sigma_{\min}(J)$ (exact)", r"$\sigma_{\min}(J)$ (chính xác)"),
    "weyl": (r"Weyl lower bound $\min_i z_i - \|E\|_2$", r"cận dưới Weyl $\min_i z_i - \|E\|_2$"),
    "zmin": (r"$\min_i z_i$", r"$\min_i z_i$"),
    "gate": ("gate value", "giá trị cổng"),
}


def _l(key, lang):
    en, vi = _LBL[key]
    return en if lang == "en" else vi


def _end(logn) -> float:
    return float(np.median(logn[0]) / np.log(10.0))


def _pow(x) -> M:
    e = f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}"
    return M(f"10^{{{e}}}", f"10^({e})")


def _gradients(cfg, figdir, lang, seed):
    runs = {s: fd.gradient_curves(cfg, scale=s, seed=seed) for s in SCALES_FIG}
    panels = {f"{_l('scale', lang)} {s:g}": c for s, c in runs.items()}
    plot_gradient_panels(panels, figdir / "gradient_norms.pdf", xlabel=_l("k", lang),
                         ylabel=_l("gn", lang))
    names = list(runs[SCALES_FIG[0]])
    cap = Tr(f"Gradient norm (log10; median and interquartile band over B = {cfg.B} input "
             f"sequences) against the distance k = T − t, T = {cfg.T}, for {', '.join(names)} "
             f"with the same PyTorch initialisation, H = {cfg.H}, recurrent weights scaled by "
             f"{', '.join(f'{s:g}' for s in SCALES_FIG)}.",
             f"Chuẩn gradient (log10; trung vị và dải tứ phân vị trên B = {cfg.B} chuỗi đầu "
             f"vào) theo khoảng cách k = T − t, T = {cfg.T}, cho {', '.join(names)} với cùng "
             f"khởi tạo PyTorch, H = {cfg.H}, trọng số hồi quy nhân với "
             f"{', '.join(f'{s:g}' for s in SCALES_FIG)}.")
    ends = {s: {n: _end(v) for n, v in c.items()} for s, c in runs.items()}
    parts = [Tr(f"After k = {cfg.T} steps the median norm is ",
                f"Sau k = {cfg.T} bước, chuẩn trung vị là ")]
    for j, s in enumerate(SCALES_FIG):
        parts.append(Tr(f"{'; ' if j else ''}at scale {s:g}: ",
                        f"{'; ' if j else ''}ở hệ số {s:g}: "))
        for i, n in enumerate(names):
            parts += [", " if i else "", _pow(ends[s][n]), f" ({n})"]
    e_lo, e_hi = ends[SCALES_FIG[0]][names[0]], ends[SCALES_FIG[-1]][names[0]]
    gated_max = max(v for s in SCALES_FIG for n, v in ends[s].items() if n != names[0])
    parts += [Tr(f". The Elman norm follows the size of W_hh: at scale {SCALES_FIG[0]:g} it is ",
                 f". Chuẩn của Elman đi theo độ lớn của W_hh: ở hệ số {SCALES_FIG[0]:g} là "),
              _pow(e_lo),
              Tr(f", at scale {SCALES_FIG[-1]:g} ", f", ở hệ số {SCALES_FIG[-1]:g} là "),
              _pow(e_hi),
              Tr(". After the same horizon the gated cells stay at or below ",
                 ". Sau cùng quãng đó các ô có cổng không vượt quá "),
              _pow(gated_max),
              Tr(" at every scale: the gates scale each path by factors in (0, 1), which here "
                 "keeps them from exploding, but at this initialisation they still vanish (see "
                 "the gate histograms below).",
                 " ở mọi hệ số: các cổng nhân mỗi đường với thừa số trong (0, 1), điều này ở đây "
                 "giữ cho chúng không bùng nổ, nhưng với khởi tạo này chúng vẫn tiêu biến (xem "
                 "các biểu đồ tần suất cổng bên dưới).")]
    return [Figure("figures/gradient_norms.pdf", cap, 1.0), Paragraph(tuple(parts))]


def _chrono(cfg, figdir, lang, seed):
    runs = fd.gradient_curves(cfg, scheme="chrono", seed=seed)
    names = list(runs)
    labelled = {(n if i else f"{n} ({_l('default', lang)})"): v
                for i, (n, v) in enumerate(runs.items())}
    plot_gradient_panels({"": labelled}, figdir / "gradient_norms_chrono.pdf",
                         xlabel=_l("k", lang), ylabel=_l("gn", lang))
    cap = Tr(f"As the previous figure (scale 1) with GRU and LSTM under chrono initialisation "
             f"(Tallec & Ollivier 2018, T_max = T = {cfg.T}): the carrying gate's bias is "
             "log U[1, T_max − 1]. Elman has no gate and keeps the default initialisation.",
             f"Như hình trước (hệ số 1) với GRU và LSTM dùng khởi tạo chrono (Tallec & "
             f"Ollivier 2018, T_max = T = {cfg.T}): bias của cổng mang là log U[1, T_max − 1]. "
             "Elman không có cổng nên giữ khởi tạo mặc định.")
    e = {n: _end(v) for n, v in runs.items()}
    gated = names[1:]
    alive = all(e[n] > -3 for n in gated)
    parts = [Tr(f"After {cfg.T} steps the median norm is ", f"Sau {cfg.T} bước, chuẩn trung vị là ")]
    for i, n in enumerate(names):
        parts += [", " if i else "", _pow(e[n]), f" ({n})"]
    parts.append(Tr(". With the carrying gate near 1 the Jacobian is close to the identity "
                    "(the saturation bound), " + ("and the gradient survives the whole horizon."
                                                  if alive else "yet the gradient still decays."),
                    ". Khi cổng mang gần 1, ma trận Jacobi gần ma trận đơn vị (cận bão hòa), "
                    + ("và gradient sống sót suốt cả quãng thời gian." if alive
                       else "nhưng gradient vẫn suy giảm.")))
    return [Figure("figures/gradient_norms_chrono.pdf", cap, 0.85), Paragraph(tuple(parts))]


def _lyapunov(cfg, figdir, lang, seed):
    spectra = fd.lyapunov_spectra(cfg, seed=seed)
    ys, styles, lam1 = {}, {}, {}
    for (name, scheme), lam in spectra.items():
        med = np.median(lam, axis=0)
        D = med.shape[0]
        label = f"{name}, {_l('default' if scheme == 'pytorch' else 'chrono', lang)}"
        ys[label] = ((np.arange(1, D + 1)) / D, med)
        styles[label] = "-" if scheme == "pytorch" else "--"
        lam1[name, scheme] = float(med[0])
    plot_lines(None, ys, figdir / "lyapunov.pdf", xlabel=_l("idx", lang), ylabel=_l("lam", lang),
               styles=styles)
    cap = Tr(f"Lyapunov spectra (natural log per step, median over {cfg.lyap_batch} input "
             f"sequences, T = {cfg.lyap_steps}, H = {cfg.lyap_hidden}; the LSTM state (h, c) has D = 2H) "
             "by the QR method, default (solid) and chrono (dashed) initialisation.",
             f"Phổ Lyapunov (log tự nhiên mỗi bước, trung vị trên {cfg.lyap_batch} chuỗi đầu vào, "
             f"T = {cfg.lyap_steps}, H = {cfg.lyap_hidden}; trạng thái (h, c) của LSTM có D = 2H) bằng "
             "phương pháp QR, khởi tạo mặc định (nét liền) và chrono (nét đứt).")
    d = [(n, v) for (n, s), v in lam1.items() if s == "pytorch"]
    c = [(n, v) for (n, s), v in lam1.items() if s == "chrono"]
    lam = M(r"\lambda_1", "lambda_1")
    parts = [Tr("The largest exponent ", "Số mũ lớn nhất "), lam,
             Tr(" is the slowest rate at which a perturbation, and a gradient, decays per step. "
                "Default initialisation: ",
                " là tốc độ chậm nhất mà một nhiễu loạn, và gradient, suy giảm mỗi bước. Khởi "
                "tạo mặc định: ")]
    parts += [", ".join(f"{v:.3f} ({n})" for n, v in d)]
    parts += [Tr("; chrono: ", "; chrono: "), ", ".join(f"{v:.4f} ({n})" for n, v in c)]
    parts.append(Tr(". Near zero means the carry path is nearly neutral: the gradient neither "
                    "vanishes nor explodes.",
                    ". Gần 0 nghĩa là đường mang gần như trung hòa: gradient không tiêu biến "
                    "cũng không bùng nổ."))
    return [Figure("figures/lyapunov.pdf", cap, 0.85), Paragraph(tuple(parts))]


def _sweep(cfg, figdir, lang, seed):
    r = fd.bias_sweep(cfg, seed=seed)
    beta = r["beta"]
    lo = float(min(-1.2, np.nanmin(np.median(r["lower"], axis=1)) - 0.1))
    plot_band_lines(beta, {_l("smin", lang): r["sigma_min"], _l("weyl", lang): r["lower"],
                           _l("zmin", lang): r["z_min"]},
                    figdir / "gru_lower_bound.pdf", xlabel=_l("beta", lang),
                    ylabel=_l("sv", lang), ylim=(lo, 1.08), hline=0.0)
    cap = Tr(f"GRU (PyTorch convention, H = {cfg.H}): the Weyl lower bound and the "
             f"exact smallest singular value of J = ∂h_t/∂h_(t−1) against a shift β of the "
             f"update-gate bias {r['bias']} (median and interquartile band over {cfg.sweep_batch} "
             "random states); β → ∞ drives z → 1, towards carrying.",
             f"GRU (quy ước PyTorch, H = {cfg.H}): cận dưới Weyl và giá trị kỳ dị nhỏ "
             f"nhất chính xác của J = ∂h_t/∂h_(t−1) theo độ dịch β của bias cổng cập nhật "
             f"{r['bias']} (trung vị và dải tứ phân vị trên {cfg.sweep_batch} trạng thái ngẫu "
             "nhiên); β → ∞ đẩy z → 1, về phía giữ lại.")
    med_lo = np.median(r["lower"], axis=1)
    pos = np.flatnonzero(med_lo > 0)
    bound = M(r"\sigma_{\min}(J) \ge \min_i z_i - \|E\|_2", "sigma_min (J) >= min_i z_i - ||E||_2")
    parts = [Tr("Weyl's inequality gives ", "Bất đẳng thức Weyl cho "), bound,
             Tr(", E being every non-carry term. ", ", với E là mọi số hạng không thuộc đường "
                "mang. ")]
    if pos.size:
        b0 = float(beta[pos[0]])
        parts.append(Tr(f"Its median becomes positive at β = {b0:g}, where it certifies that "
                        "no direction of the gradient is lost in a step; ",
                        f"Trung vị của nó trở nên dương tại β = {b0:g}, khi đó nó bảo đảm "
                        "không hướng nào của gradient bị mất trong một bước; "))
    parts.append(Tr(f"at β = {beta[-1]:g} the medians are {np.median(r['lower'][-1]):.4f} "
                    f"(bound) and {np.median(r['sigma_min'][-1]):.4f} (exact): both tend to 1 as "
                    "z → 1 and J → I.",
                    f"tại β = {beta[-1]:g} các trung vị là {np.median(r['lower'][-1]):.4f} (cận) "
                    f"và {np.median(r['sigma_min'][-1]):.4f} (chính xác): cả hai tiến tới 1 khi "
                    "z → 1 và J → I."))
    return [Figure("figures/gru_lower_bound.pdf", cap, 0.85), Paragraph(tuple(parts))]


def _gates(cfg, figdir, lang, seed):
    panels, frac, xl = {}, {}, {}
    for name in ("gru", "lstm"):
        data = {}
        for scheme in ("pytorch", "chrono"):
            gname, v = fd.gate_samples(name, cfg, scheme=scheme, seed=seed)
            data[_l("default" if scheme == "pytorch" else "chrono", lang)] = v
            frac[name, scheme] = 100.0 * float(np.mean(v > 0.9))
        title = f"{'GRU' if name == 'gru' else 'LSTM'}: {gname}"
        panels[title] = data
        xl[title] = f"{_l('gate', lang)} {gname}"
    plot_histogram_panels(panels, figdir / "gate_saturation.pdf", xlabel=xl,
                          ylabel=_l("dens", lang))
    cap = Tr(f"Saturation of the carrying gates over a rollout (T = {cfg.T}, every "
             f"{cfg.hist_every}th step, B = {cfg.B}, H = {cfg.H}): the GRU update gate z and "
             "the LSTM forget gate f, default and chrono initialisation.",
             f"Độ bão hòa của các cổng mang dọc một lần chạy (T = {cfg.T}, mỗi "
             f"{cfg.hist_every} bước, B = {cfg.B}, H = {cfg.H}): cổng cập nhật z của GRU và "
             "cổng quên f của LSTM, khởi tạo mặc định và chrono.")
    f = frac
    parts = (Tr(f"Values above 0.9 (carrying): z {f['gru', 'pytorch']:.1f}% and f "
                f"{f['lstm', 'pytorch']:.1f}% under the default initialisation, z "
                f"{f['gru', 'chrono']:.1f}% and f {f['lstm', 'chrono']:.1f}% under chrono. "
                "Gates centred at 1/2 halve the carried gradient at every step; gates "
                "saturated at 1 pass it on unchanged.",
                f"Giá trị trên 0,9 (giữ lại): z {f['gru', 'pytorch']:.1f}% và f "
                f"{f['lstm', 'pytorch']:.1f}% với khởi tạo mặc định, z "
                f"{f['gru', 'chrono']:.1f}% và f {f['lstm', 'chrono']:.1f}% với chrono. Các cổng "
                "quanh 1/2 làm gradient được mang giảm một nửa mỗi bước; các cổng bão hòa ở 1 "
                "truyền nó đi nguyên vẹn."),)
    return [Figure("figures/gate_saturation.pdf", cap, 1.0), Paragraph(parts)]


def comparison_section(figures_dir, *, lang: str = "en", quick: bool = False, seed: int = 0,
                       progress=None, config: fd.FigConfig | None = None) -> Section:
    """The comparison section; writes its five PDFs into ``figures_dir``.

    ``config`` overrides the run sizes (default :data:`~reports._fig_data.QUICK` with
    ``quick``, else :data:`~reports._fig_data.FULL`).
    """
    say = progress or (lambda msg: None)
    cfg = config or (fd.QUICK if quick else fd.FULL)
    figdir = Path(figures_dir)
    blocks = [Paragraph((Tr(
        "Each figure below is computed by the numeric engine on the same random inputs "
        "(x_t ~ N(0, I), zero initial state, seed "
        f"{seed}); the sentence under it is computed from its numbers.",
        "Mỗi hình dưới đây được bộ tính số tính trên cùng các đầu vào ngẫu nhiên "
        f"(x_t ~ N(0, I), trạng thái đầu bằng 0, hạt giống {seed}); câu bên dưới mỗi hình "
        "được tính từ chính các số liệu của nó."),))]
    steps = (("gradient norms", _gradients), ("chrono initialisation", _chrono),
             ("Lyapunov spectra", _lyapunov), ("GRU lower bound sweep", _sweep),
             ("gate saturation", _gates))
    for k, (what, fn) in enumerate(steps, 1):
        say(f"figures [{k}/{len(steps)}]: {what}")
        blocks += fn(cfg, figdir, lang, seed)
    return Section(TITLE, tuple(blocks), label="sec:comparison")

"""The comparison figures: gate values, log10 quantiles, the bias sweep, and the section's
numbers against independent references; the PDFs have embedded TrueType fonts and labels."""

import re
import unicodedata

import numpy as np
import pytest

numeric = pytest.importorskip("numeric")
pypdf = pytest.importorskip("pypdf")

from reports import _fig_data as fd  # noqa: E402
from reports._sec_figures import comparison_section  # noqa: E402
from reports.figures import log10_quantiles  # noqa: E402
from reports.model import M, Paragraph  # noqa: E402

TINY = fd.FigConfig(T=24, B=4, H=6, I=3, lyap_steps=12, lyap_batch=2, lyap_hidden=4,
                    sweep_batch=8, sweep_biases=(-1.0, 2.0, 6.0), hist_every=4)


def _sig(u):
    return 1.0 / (1.0 + np.exp(-u))


@pytest.mark.parametrize("name,conv,gate,state_c", [
    ("gru", "pytorch", "z", False), ("gru", "seed", "z", False), ("gru", "cho", "z", False),
    ("lstm", None, "f", True)])
def test_carrying_gate_matches_hand_written_sigmoid(name, conv, gate, state_c):
    p = numeric.init(name, 5, 3, conv, seed=3, scale=2.0)
    rng = np.random.default_rng(1)
    x, h = rng.standard_normal((7, 3)), rng.uniform(-1, 1, (7, 5))
    state = (h, rng.standard_normal((7, 5))) if state_c else h
    a = p.arrays
    ref = _sig(x @ a[f"W_i{gate}"].T + a[f"b_i{gate}"] + h @ a[f"W_h{gate}"].T + a[f"b_h{gate}"])
    got_name, got = fd.carrying_gate(p, x, state)
    assert got_name == gate
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)


def test_carrying_gate_of_a_cell_without_gate_is_a_report_error():
    from reports import ReportError

    p = numeric.init("elman", 3, 2)
    with pytest.raises(ReportError, match="elman"):
        fd.carrying_gate(p, np.zeros((1, 2)), np.zeros((1, 3)))


def test_log10_quantiles_of_norms_far_below_the_float_range():
    # log10 norms down to -3000 (exp would underflow to 0): quantiles are exact integers
    L = -np.arange(12 * 5, dtype=float).reshape(12, 5) * 50.0      # (T, B) log10 norms
    q = log10_quantiles(L * np.log(10.0), (0.0, 0.5, 1.0))
    np.testing.assert_allclose(q[0], L.min(axis=1), rtol=1e-12)
    np.testing.assert_allclose(q[1], L[:, 2], rtol=1e-12)            # median of 5 = 3rd
    np.testing.assert_allclose(q[2], L.max(axis=1), rtol=1e-12)
    assert q.min() < -2900


def test_bias_sweep_weyl_bound_holds_and_sigma_min_matches_finite_differences():
    r = fd.bias_sweep(TINY, seed=2)
    assert np.all(r["lower"] <= r["sigma_min"] + 1e-9)                 # Weyl's inequality
    assert np.all(np.diff(r["z_min"], axis=0) > 0)                      # sigma increasing in beta
    # independent reference: central-difference Jacobian of numeric.step, its SVD
    from reports._sec_numeric import draw_state

    p = fd._init("gru", TINY, "pytorch", 1.0, 2)
    x, h = draw_state(p, TINY.sweep_batch, np.random.default_rng(2 + 7))
    q = p.with_arrays(b_iz=p.arrays["b_iz"] + r["beta"][-1])
    eps, H = 1e-6, TINY.H
    J = np.empty((H, H))
    for j in range(H):
        e = np.zeros(H)
        e[j] = eps
        J[:, j] = (numeric.step(q, x[:1], h[:1] + e) - numeric.step(q, x[:1], h[:1] - e))[0] / (2 * eps)
    smin = np.linalg.svd(J, compute_uv=False)[-1]
    assert abs(smin - r["sigma_min"][-1, 0]) < 1e-7


def _elman_end_log10(cfg, seed):
    """Median over the batch of log10 ||v^T dh_T/dh_0||, by explicit Jacobian products."""
    from numeric.horizon import random_unit_state

    p = numeric.init("elman", cfg.H, cfg.I, seed=seed)
    a = p.arrays
    xs = np.random.default_rng(seed).standard_normal((cfg.T, cfg.B, cfg.I))
    (v,) = random_unit_state(p, cfg.B, seed)
    out = []
    for b in range(cfg.B):
        Jtot = np.eye(cfg.H)
        hs = []
        h = np.zeros(cfg.H)
        for t in range(cfg.T):
            h = np.tanh(a["W_ih"] @ xs[t, b] + a["b_ih"] + a["W_hh"] @ h + a["b_hh"])
            hs.append(h)
        for t in range(cfg.T):
            Jtot = np.diag(1 - hs[t] ** 2) @ a["W_hh"] @ Jtot
        out.append(np.log10(np.linalg.norm(v[b] @ Jtot)))
    return float(np.median(out))


@pytest.fixture(scope="module")
def section(tmp_path_factory):
    d = tmp_path_factory.mktemp("figs")
    return d, comparison_section(d, lang="vi", seed=0, config=TINY)


def test_comparison_figures_are_truetype_pdfs_with_labelled_axes(section):
    d, _ = section
    names = {"gradient_norms", "gradient_norms_chrono", "lyapunov", "gru_lower_bound",
             "gate_saturation"}
    assert {p.stem for p in d.glob("*.pdf")} == names
    for n in names:
        raw = (d / f"{n}.pdf").read_bytes()
        assert b"/FontFile2" in raw and b"/Type3" not in raw, n      # TrueType, embedded
        text = unicodedata.normalize("NFKC", pypdf.PdfReader(d / f"{n}.pdf").pages[0].extract_text())
        assert any(w in text for w in ("bước", "mật độ", "Lyapunov", "bias")), (n, text[:200])


def test_comparison_section_numbers_match_an_explicit_elman_product(section):
    _, sec = section
    figs = [b for b in sec.blocks if type(b).__name__ == "Figure"]
    assert [f.path for f in figs][0] == "figures/gradient_norms.pdf" and len(figs) == 5
    para = [b for b in sec.blocks if isinstance(b, Paragraph)][1]
    # the first power of ten is the Elman median at scale 1 after T steps
    first = [p for p in para.parts if isinstance(p, M)][0]
    got = float(re.fullmatch(r"10\^\{(-?[\d.]+)\}", first.latex).group(1))
    ref = _elman_end_log10(TINY, 0)
    assert abs(got - ref) <= (0.5 if abs(ref) >= 10 else 0.05 + 1e-9)

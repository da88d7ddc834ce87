"""Statement nodes (derivations.statements) print in both printers, and both engines
compile what they print: Typst always (the typst package), LaTeX when TeX is installed.

The reference for the printed text is the notation the report uses (``\\|W\\|_2``,
``\\sigma_{\\min}``, ``norm(W)_2``); the reference for validity is the typesetting engine.
"""

from __future__ import annotations

import enum
import os

import pytest
import sympy as sp

from derivations import sigmoid, tanh
from derivations.naming import Display, Name, Time
from derivations.printing import GateLatexPrinter
from derivations.statements import (
    EPSILON,
    EYE,
    At,
    Chain,
    Diag,
    EntryMax,
    EntryMin,
    Implies,
    Juxt,
    Norm,
    Partial,
    SigmaMax,
    SigmaMin,
    Statements,
    Sup,
    Tends,
    Words,
    is_scalar,
)
from reports.engines import compile_latex, compile_typst
from reports.typst_math import TypstPrinter
from tests._tex import need_tex

W, h, hn, z, t = sp.symbols("W h h_next z t")
NAMES = {h: Display(Name.from_code("h"), Time.PREV), hn: Display(Name.from_code("h"), Time.NOW),
         W: Display(Name.from_code("W_hz")), z: Display(Name("z"), Time.NOW)}
J = Partial(hn, h)
U = sp.IndexedBase("U")


class _Say(Words):
    FOR_ALL = " for all "


CASES = [
    (Norm(J), r"\left\|\frac{\partial h_{t}}{\partial h_{t-1}}\right\|_2",
     "norm((partial h_t)/(partial h_(t-1)))_2"),
    (Norm(W, sp.oo), r"\|W_{hz}\|_\infty", "norm(W_(h z))_oo"),
    (SigmaMin(J), r"\sigma_{\min}\left(\frac{\partial h_{t}}{\partial h_{t-1}}\right)",
     "sigma_min ((partial h_t)/(partial h_(t-1)))"),
    (SigmaMax(W), r"\sigma_{\max}\left(W_{hz}\right)", "sigma_max (W_(h z))"),
    (Diag(z), r"\operatorname{diag}(z_{t})", 'op("diag")(z_t)'),
    (Norm(J - EYE), r"\left\|\frac{\partial h_{t}}{\partial h_{t-1}} - I\right\|_2",
     "norm((partial h_t)/(partial h_(t-1)) - I)_2"),
    (Norm(Partial(At(h, Time.HORIZON), At(h, Time.START))),
     r"\left\|\frac{\partial h_{T}}{\partial h_{t_0}}\right\|_2",
     "norm((partial h_T)/(partial h_(t_0)))_2"),
    (EntryMax(1 - z), r"\max_i (1 - z_{t})_i", "max_i (1 - z_t)_i"),
    (EntryMin(sp.Abs(z)), r"\min_i |z_{t}|_i", "min_i abs(z_t)_i"),
    (Sup(sp.Abs(z)), r"\sup|z_{t}|", "sup abs(z_t)"),
    (tanh(z) ** 2, r"\tanh^{2}\left(z_{t}\right)", "tanh^2(z_t)"),
    (sigmoid(W), r"\sigma\left(W_{hz}\right)", "sigma(W_(h z))"),
    (EPSILON * Norm(W), r"\varepsilon \, \|W_{hz}\|_2", "epsilon.alt norm(W_(h z))_2"),
    (Norm(W) * z * (1 - z), r"\|W_{hz}\|_2 z_{t} \odot (1 - z_{t})",
     "norm(W_(h z))_2 z_t dot.o (1 - z_t)"),
    (Chain(Norm(J), (("<=", sp.Product(U[t], (t, 1, sp.Symbol("T")))), ("<=", Norm(W) ** 2))),
     None, None),
    (Implies(sp.Lt(Norm(W), 1, evaluate=False), Tends(Norm(J), 0)),
     r"\|W_{hz}\|_2 < 1 \implies \left\|\frac{\partial h_{t}}{\partial h_{t-1}}\right\|_2 \to 0",
     "norm(W_(h z))_2 < 1 ==> norm((partial h_t)/(partial h_(t-1)))_2 -> 0"),
    (Statements((sp.Le(Norm(J), 1, evaluate=False), Juxt((sp.Ge(SigmaMin(J), 0,
                                                             evaluate=False), _Say.FOR_ALL)))),
     r"\left\|\frac{\partial h_{t}}{\partial h_{t-1}}\right\|_2 \le 1,\quad \sigma_{\min}"
     r"\left(\frac{\partial h_{t}}{\partial h_{t-1}}\right) \ge 0 \text{ for all }", None),
    (sp.Contains(z, sp.Interval(0, 1), evaluate=False), None, None),
    (sp.FiniteSet(-1, 1), None, None),
    (1 / Norm(W), r"\frac{1}{\|W_{hz}\|_2}", "1/(norm(W_(h z))_2)"),
    (2 / (1 + Norm(W)), r"\frac{2}{1 + \|W_{hz}\|_2}", "2/(1 + norm(W_(h z))_2)"),
    (EntryMax(z), r"\max_i (z_{t})_i", "max_i (z_t)_i"),
    (Tends(t, sp.oo), r"t \to \infty", "t -> infinity"),
    (sp.Float(0.000527024, 4), "0.000527", "0.000527"),
    (sp.Float(1.23009e-9, 3), r"1.23 \cdot 10^{-9}", "1.23 dot 10^(-9)"),
    (sp.Sum(U[t], (t, 1, sp.Symbol("T"))), r"\sum_{t=1}^{T} {U}_{t}", "sum_(t = 1)^T U_t"),
]


@pytest.mark.parametrize("node, latex, typst", CASES, ids=[str(i) for i in range(len(CASES))])
def test_nodes_print_in_the_report_notation(node, latex, typst):
    got_l = GateLatexPrinter(NAMES).doprint(node)
    got_t = TypstPrinter(NAMES).doprint(node)
    if latex is not None:
        assert got_l == latex
    if typst is not None:
        assert got_t == typst


def test_words_print_from_a_table_keyed_by_member():
    texts = {_Say.FOR_ALL: " với mọi "}
    assert GateLatexPrinter(texts=texts).doprint(_Say.FOR_ALL) == r"\text{ với mọi }"
    assert TypstPrinter(texts=texts).doprint(_Say.FOR_ALL) == '" với mọi "'
    assert GateLatexPrinter().doprint(_Say.FOR_ALL) == r"\text{ for all }"


def test_scalars_are_juxtaposed_vectors_take_the_hadamard_product():
    assert is_scalar(Norm(W) * EPSILON / 4) and not is_scalar(z * Norm(W))
    assert r"\odot" not in GateLatexPrinter(NAMES).doprint(Norm(W) * Norm(h, sp.oo))


def test_typst_compiles_every_node(tmp_path):
    src = "\n\n".join(f"$ {TypstPrinter(NAMES).doprint(n)} $" for n, _, _ in CASES)
    (tmp_path / "nodes.typ").write_text(src, encoding="utf-8")
    pdf = compile_typst(tmp_path / "nodes.typ")
    assert pdf.exists() and pdf.stat().st_size > 1000


@pytest.mark.tex
def test_latex_compiles_every_node(tmp_path):
    need_tex("en")
    body = "\n\n".join(f"$ {GateLatexPrinter(NAMES).doprint(n)} $" for n, _, _ in CASES)
    tex = tmp_path / "nodes.tex"
    tex.write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n"
                   "\\begin{document}\n" + body + "\n\\end{document}\n", encoding="utf-8")
    pdf = compile_latex(tex, "en")
    assert pdf.exists() and os.path.getsize(pdf) > 1000


def test_names_from_code_render_in_both_syntaxes():
    from derivations.printing import latex_name
    from reports.typst_math import typst_display

    cases = {"W_hz": (r"W_{hz}", "W_(h z)"), "h_tilde": (r"\tilde{h}", "tilde(h)"),
             "sigma": (r"\sigma", "sigma"), "emb": (r"\mathrm{emb}", 'upright("emb")')}
    for code, (lt, ty) in cases.items():
        n = Name.from_code(code)
        assert latex_name(n) == lt and typst_display(n) == ty
    assert latex_name(Name("C"), Time.PREV) == "C_{t-1}"
    assert typst_display(Name("W", "hz"), Time.NOW) == "W_(h z, t)"


def test_words_enums_are_enums():
    assert issubclass(_Say, enum.Enum) and isinstance(_Say.FOR_ALL, Words)

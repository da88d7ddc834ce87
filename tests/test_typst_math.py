"""The Typst math printer: exact strings (written by hand from Typst's syntax) and compilation."""

import pytest
import sympy as sp

import derivations as dv
from derivations.functions import sigmoid
from derivations.language import MatVec
from reports import ReportError
from reports.latex2typst import tex2typst
from reports.mathblocks import equations_math, jacobian_math
from reports.typst_math import typst, typst_name

z, h, n, r, u = sp.symbols("z h n r u")
W, b = sp.symbols("W_hn b_hn")
NAMES = {z: "z_t", h: "h_(t-1)", n: "n_t", r: "r_t", W: "W_(h n)", b: "b_(h n)"}


@pytest.mark.parametrize(("expr", "expected"), [
    (sigmoid(u), "sigma(u)"),
    (sp.tanh(u), "tanh(u)"),
    (sp.tanh(u) ** 2, "tanh^2(u)"),
    (z * (1 - z), "z_t dot.o (1 - z_t)"),
    (1 - n ** 2, "1 - n_t^2"),
    (MatVec(W, h) + b, "W_(h n) h_(t-1) + b_(h n)"),
    (MatVec(W, r * h), "W_(h n) (r_t dot.o h_(t-1))"),
    (sp.Rational(1, 4), "1/4"),
    (-sp.Rational(1, 4), "-1/4"),
    (z / 4, "z_t/4"),
    (1 / (1 + sp.exp(-u)), "1/(1 + e^(-u))"),
])
def test_typst_printer_exact_strings(expr, expected):
    assert typst(expr, NAMES, order={z: 0, r: 1, n: 2}) == expected


@pytest.mark.parametrize(("latex", "expected"), [
    ("W_{hz}", "W_(h z)"), ("h_{t-1}", "h_(t-1)"), (r"\tilde{h}_{t}", "tilde(h)_t"),
    ("U_{h}", "U_h"), ("z_{t}", "z_t"), (r"\sigma", "sigma"),
])
def test_typst_names_from_latex(latex, expected):
    assert typst_name(latex) == expected


def test_typst_name_rejects_unknown_forms():
    with pytest.raises(ReportError, match=r"\\frac"):
        typst_name(r"\frac{a}{b}")


def test_jacobian_rows_exact_for_gru_pytorch():
    m = jacobian_math(dv.derive("gru", "pytorch"))
    assert [row.typst_rhs for row in m.rows] == [
        'op("diag")(z_t)',
        '+ op("diag")(z_t dot.o (1 - z_t) dot.o (h_(t-1) - n_t)) W_(h z)',
        '+ op("diag")((1 - z_t) dot.o (1 - n_t^2)) \\[op("diag")(r_t) W_(h n)',
        'quad + op("diag")(r_t dot.o (1 - r_t) dot.o (W_(h n) h_(t-1) + b_(h n))) W_(h r)\\]',
    ]
    assert m.rows[0].typst_lhs == "(partial h_t)/(partial h_(t-1))"
    assert m.rows[0].latex_lhs == r"\frac{\partial h_{t}}{\partial h_{t-1}}"


def test_latex_to_typst_subset():
    assert tex2typst(r"\left\|\operatorname{diag}(a)\right\|_2 \le \tfrac14") == \
        'lr(|| op("diag")(a) ||)_2 <= (1)/(4)'
    assert tex2typst(r"\sigma_{\min}(J) \ge 0") == "sigma_(min)(J) >= 0"


def test_every_cell_compiles_in_typst(tmp_path):
    typst = pytest.importorskip("typst")
    lines = []
    for cell in dv.all_cells():
        for m in (equations_math(cell), jacobian_math(dv.derive(cell))):
            lines.append("$ " + " \\\n".join(f"{r.typst_lhs} & {r.typst_rhs}" for r in m.rows)
                         + " $")
    src = tmp_path / "all.typ"
    src.write_text("\n".join(lines), encoding="utf-8")
    typst.compile(str(src), output=str(tmp_path / "all.pdf"))
    assert (tmp_path / "all.pdf").stat().st_size > 1000

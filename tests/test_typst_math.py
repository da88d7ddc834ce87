"""The Typst math printer: exact strings (written by hand from Typst's syntax) and compilation."""

import pytest
import sympy as sp

import derivations as dv
from derivations.functions import sigmoid
from derivations.language import MatVec
from derivations.naming import Display, Name, Time
from derivations.printing import printer_for
from reports.mathblocks import equations_math, jacobian_math
from reports.typst_math import typst, typst_display, typst_printer_for

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


@pytest.mark.parametrize(("code", "time", "expected"), [
    ("W_hz", None, "W_(h z)"), ("h", Time.PREV, "h_(t-1)"), ("h_tilde", Time.NOW, "tilde(h)_t"),
    ("U_h", None, "U_h"), ("z", Time.NOW, "z_t"), ("sigma", None, "sigma"),
    ("varepsilon", None, "epsilon.alt"), ("emb", Time.NOW, 'upright("emb")_t'),
    ("z_1", Time.NOW, "z_(1, t)"), ("h", Time.START, "h_(t_0)"),
])
def test_typst_display_of_names(code, time, expected):
    assert typst_display(Name.from_code(code), time) == expected


def test_cell_displays_print_the_same_name_in_both_printers():
    """Each symbol of a cell is a Display (name + time); both printers render that data."""
    c = dv.cell("gru", "seed")
    want = {"x": ("x_{t}", "x_t"), "h": ("h_{t-1}", "h_(t-1)"), "h_next": ("h_{t}", "h_t"),
            "W_hz": ("W_{hz}", "W_(h z)"), "b_in": ("b_{in}", "b_(i n)"),
            "h_tilde": (r"\tilde{h}_{t}", "tilde(h)_t"), "z": ("z_{t}", "z_t")}
    pl, pt = printer_for(c), typst_printer_for(c)
    for code, (tex, typ) in want.items():
        s = c.symbol(code)
        assert pl.doprint(s) == tex and pt.doprint(s) == typ
        assert dv.derive(c).names[s] == tex
    assert c.displays[c.symbol("h")] == Display(Name("h"), Time.PREV)
    assert c.displays[c.symbol("h_next")] == Display(Name("h"), Time.NOW)
    assert c.displays[c.symbol("W_hz")].time is None


def test_a_state_shown_under_a_name_of_its_own_keeps_it_at_every_time():
    cb = dv.CellBuilder("mem")
    x, C = cb.input("x", dim="H"), cb.state("mem", display=Name("C"))
    W = cb.weight("W", display=Name("W", sub="C"))
    C_next = cb.update(C, dv.tanh(W @ C) + x)
    c = cb.build()
    pl, pt = printer_for(c), typst_printer_for(c)
    assert [pl.doprint(s) for s in (C, C_next, W.symbol)] == ["C_{t-1}", "C_{t}", "W_{C}"]
    assert [pt.doprint(s) for s in (C, C_next, W.symbol)] == ["C_(t-1)", "C_t", "W_C"]


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

"""Typed facts of a cell: the carrying gate, roles, path labels, identity terms.

Facts are values of :mod:`derivations.facts` types, set where the cell is written and read
as such downstream; each is checked against the cell's own equations (an independent
reference: which gate value makes the update the identity).
"""

from __future__ import annotations

import pickle
import unicodedata

import pytest
import sympy as sp

import derivations as dv
from derivations.facts import Carrying, PathLabel, Role
from derivations.naming import Name
from derivations.printing import printer_for
from reports._i18n import label_tr
from reports.engines import compile_latex, compile_typst
from reports.mathblocks import equations_math, jacobian_math
from reports.typst_math import typst_printer_for
from tests._tex import need_tex

#: built-in cell -> (carrying gate name, the value it carries at), from the papers
CARRYING = {("gru", "pytorch"): ("z", 1), ("gru", "cho"): ("z", 1), ("gru", "seed"): ("z", 0),
            ("lstm", None): ("f", 1), ("minimalrnn", None): ("u", 1), ("mgu", None): ("f", 0),
            ("elman", None): None}


def _small_gated():
    cb = dv.CellBuilder("small")
    x, h = cb.input("x", dim="H"), cb.state("h")
    W, U = cb.weights("W U")
    g = cb.let("g", dv.sigmoid(W @ x + U @ h), role="gate")
    cb.update(h, g * h + (1 - g) * x)
    return cb, g, h


@pytest.mark.parametrize(("name", "conv"), list(CARRYING))
def test_builtin_carrying_is_the_typed_gate_and_value_of_the_papers(name, conv):
    c = dv.cell(name, conv)
    want = CARRYING[(name, conv)]
    if want is None:
        assert c.carrying is None
        return
    assert isinstance(c.carrying, Carrying)
    assert (c.carrying.gate, c.carrying.towards) == (c.symbol(want[0]), want[1])


@pytest.mark.parametrize(("name", "conv"), [k for k, v in CARRYING.items() if v])
def test_carrying_value_makes_the_next_state_the_previous_state(name, conv):
    """Independent check from the equations: with the gate at its carrying value (and every
    other gate open), the next state of the carrying block is the previous state."""
    c = dv.cell(name, conv)
    g, towards = c.carrying.gate, c.carrying.towards
    defs = c.definitions
    state = c.states[-1] if name == "lstm" else c.states[0]  # LSTM: the cell state c
    expr = defs[c.next_states[state]].xreplace({g: towards})
    others = {q.symbol: 0 for q in c.quantities if not q.is_update and q.symbol != g
              and q.symbol in expr.free_symbols}
    assert sp.simplify(expr.xreplace(others) - state) == 0


def test_carrying_distance_is_zero_at_the_carrying_value():
    for name, conv in [k for k, v in CARRYING.items() if v]:
        c = dv.cell(name, conv).carrying
        assert c.distance.xreplace({c.gate: c.towards}) == 0


def test_user_cell_declares_carrying_with_the_builder():
    cb, g, _ = _small_gated()
    cb.carrying(g, 1)
    cell = cb.build()
    assert cell.carrying == Carrying(g, 1)
    assert dv.derive(cell).bounds is not None


def test_carrying_round_trips_through_pickle():
    c = dv.cell("gru", "seed").carrying
    assert pickle.loads(pickle.dumps(c)) == c


@pytest.mark.parametrize(("gate", "towards", "pattern"), [
    (lambda g, h: "g", 1, r"carrying gate must be a quantity.*'g' \(str\)"),
    (lambda g, h: sp.Symbol("q"), 1, r"carrying gate must be a quantity.*'q'.*\['g'\]"),
    (lambda g, h: None, 1, r"carrying gate must be a quantity.*None"),
    (lambda g, h: h, 1, r"carrying gate must be a quantity.*'h'"),
    (lambda g, h: g, 2, r"carrying towards must be 0 or 1.*2"),
    (lambda g, h: g, True, r"carrying towards must be 0 or 1.*True"),
    (lambda g, h: g, 0.5, r"carrying towards must be 0 or 1.*0\.5"),
    (lambda g, h: g, "1", r"carrying towards must be 0 or 1.*'1'"),
])
def test_bad_carrying_is_refused_naming_the_argument(gate, towards, pattern):
    cb, g, h = _small_gated()
    with pytest.raises(dv.DerivationError, match=pattern):
        cb.carrying(gate(g, h), towards)
    assert cb.build().carrying is None


def test_carrying_declared_twice_is_refused():
    cb, g, _ = _small_gated()
    cb.carrying(g, 1)
    with pytest.raises(dv.DerivationError, match="carrying is declared twice"):
        cb.carrying(g, 0)


# -- roles ------------------------------------------------------------------------------

def test_builtin_roles_are_role_members():
    for c in dv.all_cells():
        for q in c.quantities:
            assert isinstance(q.role, Role), (c.title, q.symbol, q.role)
    lstm = dv.cell("lstm")
    assert lstm.roles[lstm.next_states[lstm.symbol("c")]] is Role.CELL_STATE
    assert lstm.roles[lstm.next_states[lstm.symbol("h")]] is Role.NEXT_STATE


def test_a_user_role_is_kept_as_written_and_a_role_value_becomes_the_member():
    cb = dv.CellBuilder("roles")
    x, c = cb.input("x", dim="H"), cb.state("c")
    W = cb.weight("W")
    u = cb.let("u", dv.tanh(W @ c), role="bottleneck")
    g = cb.let("g", dv.sigmoid(W @ x + W @ c), role="update gate")
    cb.update(c, g * c + u)
    cell = cb.build()
    assert cell.roles[u] == "bottleneck" and not isinstance(cell.roles[u], Role)
    assert cell.roles[g] is Role.UPDATE_GATE
    # the default role of an update does not depend on the state's name
    assert cell.roles[cell.next_states[c]] is Role.NEXT_STATE
    labels = dv.derive(cell).jacobian.main.labels()
    assert [lab.role for lab in labels] == [None, "bottleneck", Role.UPDATE_GATE]
    assert [label_tr(lab).vi for lab in labels] == ["đường mang", "bottleneck", "cổng cập nhật"]


# -- path labels ------------------------------------------------------------------------

def test_path_labels_carry_their_roles_as_fields():
    terms = dv.derive("gru", "pytorch").jacobian.terms
    assert [t.label for t in terms] == ["carry", "update gate", "candidate", "reset gate"]
    assert all(isinstance(t.label, PathLabel) for t in terms)
    assert [t.label.role for t in terms] == [None, Role.UPDATE_GATE, Role.CANDIDATE,
                                             Role.RESET_GATE]
    assert terms[0].label.is_carry and not terms[1].label.is_carry
    # the label of a term is the role of the last quantity on its path
    for t in terms[1:]:
        assert t.label.role is dv.cell("gru", "pytorch").roles[t.path[-1]]


def test_a_recurring_role_is_labelled_via_its_parent():
    labels = dv.derive("mgu").jacobian.main.labels()
    via = [lab for lab in labels if lab.via is not None]
    assert via and all(lab.role is Role.FORGET_GATE and lab.via is Role.CANDIDATE
                       for lab in via)
    assert label_tr(via[0]).vi == "cổng quên qua ứng viên"
    assert pickle.loads(pickle.dumps(via[0])).via is Role.CANDIDATE


# -- identity terms ---------------------------------------------------------------------

def _cell(update):
    cb = dv.CellBuilder("ident")
    x, h = cb.input("x", dim="H"), cb.state("h")
    W = cb.weight("I")          # a weight the user named I is not the identity
    cb.update(h, update(x, h, W))
    return cb.build()


def test_an_identity_term_is_a_property_of_the_term_and_prints_as_I():
    d = dv.derive(_cell(lambda x, h, W: h + dv.tanh(W @ x)))
    (b,) = d.jacobian.main.branches
    assert b.is_identity and d.jacobian.terms[0].is_identity
    assert d.latex().endswith("= I")
    rows = jacobian_math(d).rows
    assert [r.typst_rhs for r in rows] == ["I"] and [r.latex_rhs for r in rows] == ["I"]


def test_a_weight_named_I_is_printed_not_taken_for_the_identity():
    d = dv.derive(_cell(lambda x, h, W: dv.tanh(W @ h + x)))
    (t,) = d.jacobian.terms
    assert not t.is_identity and t.matrices == (sp.Symbol("I"),)
    assert d.latex().endswith(r"\operatorname{diag}(1 - h_{t}^{2}) I")
    assert jacobian_math(d).rows[0].typst_rhs == 'op("diag")(1 - h_t^2) I'


# -- names rendered by both printers, compiled by both engines ----------------------------

def _named_cell():
    """Names of every kind: a state shown as C, a Greek gate, a word, an accent, digits."""
    cb = dv.CellBuilder("named")
    x = cb.input("x", dim="H")
    C = cb.state("mem", display=Name("C"))
    W_b, U_b, W_e, W_2 = cb.weights("W_b U_b W_emb W_2")
    beta = cb.let("beta", dv.sigmoid(W_b @ x + U_b @ C), role="gate")
    emb = cb.let("emb", dv.tanh(W_e @ x), role="embedding")
    C_tilde = cb.let("C_tilde", dv.tanh(W_2 @ (beta * C) + emb), role=Role.CANDIDATE)
    cb.update(C, beta * C + (1 - beta) * C_tilde)
    return cb.build()


def _pdf_text(pdf) -> str:
    pypdf = pytest.importorskip("pypdf")
    raw = "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    return unicodedata.normalize("NFKC", raw)


def test_named_cell_prints_its_displays_in_both_printers():
    c = _named_cell()
    pl, pt = printer_for(c), typst_printer_for(c)
    want = {"mem": ("C_{t-1}", "C_(t-1)"), "mem_next": ("C_{t}", "C_t"),
            "beta": (r"\beta_{t}", "beta_t"), "emb": (r"\mathrm{emb}_{t}", 'upright("emb")_t'),
            "C_tilde": (r"\tilde{C}_{t}", "tilde(C)_t"), "W_2": ("W_{2}", "W_2"),
            "W_emb": ("W_{emb}", "W_(e m b)")}
    for code, (tex, typ) in want.items():
        assert (pl.doprint(c.symbol(code)), pt.doprint(c.symbol(code))) == (tex, typ), code


def test_named_cell_compiles_in_typst(tmp_path):
    c = _named_cell()
    rows = [*equations_math(c).rows, *jacobian_math(dv.derive(c)).rows]
    src = tmp_path / "named.typ"
    src.write_text("\n\n".join(f"$ {r.typst_lhs} {r.typst_rel} {r.typst_rhs} $" if r.typst_lhs
                               else f"$ {r.typst_rhs} $" for r in rows), encoding="utf-8")
    text = _pdf_text(compile_typst(src))
    assert "emb" in text and "β" in text and "C" in text


@pytest.mark.tex
def test_named_cell_compiles_in_latex(tmp_path):
    need_tex("en")
    c = _named_cell()
    d = dv.derive(c)
    tex = tmp_path / "named.tex"
    tex.write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n"
                   "\\begin{document}\n$$" + d.equations_latex() + "$$\n$$" + d.latex()
                   + "$$\n\\end{document}\n", encoding="utf-8")
    text = _pdf_text(compile_latex(tex, "en"))
    assert "emb" in text and "β" in text


def test_path_kinds_carry_recurrent_and_quantity():
    from derivations.facts import PathLabel, Role
    from reports._i18n import label_tr

    (elman,) = dv.derive("elman").jacobian.main.terms
    assert elman.label == "recurrent" and elman.label.kind == "recurrent"
    assert not elman.label.is_carry and label_tr(elman.label).vi == "hồi quy"
    carry, gate = dv.derive("gru", "pytorch").jacobian.main.terms[:2]
    assert carry.label.is_carry and label_tr(carry.label).vi == "đường mang"
    assert gate.label.kind == "quantity" and gate.label.role is Role.UPDATE_GATE
    assert PathLabel.recurrent() == "recurrent"


@pytest.mark.parametrize("conv", ["pytorch", "cho", "seed"])
def test_gru_convention_facts_agree_with_the_equations(conv):
    from derivations.cells.gru import ResetPlacement
    from derivations.language import MatVec

    facts, c = dv.GRU_CONVENTIONS[conv], dv.cell("gru", conv)
    h, z, r = c.symbol("h"), c.symbol("z"), c.symbol("r")
    update = c.definitions[c.next_states[h]]
    assert sp.simplify(update.subs(z, facts.towards) - h) == 0       # z = towards carries
    assert c.carrying.towards == facts.towards
    cand = next(q.expr for q in c.quantities if q.role is Role.CANDIDATE)
    inside = any(r in mv.operand.free_symbols for mv in cand.atoms(MatVec))
    assert (facts.reset is ResetPlacement.BEFORE) == inside          # W_hn (r * h)

"""The derived equations and closed forms against independent references.

References are transcribed by hand, in NumPy, from the published equations (PyTorch
``RNNCell``/``GRUCell``/``LSTMCell`` docstrings, Keras ``GRU(reset_after=False)``, Chung et
al. 2014) and from the reference Jacobians of DESIGN.md; none of them uses the derivation.
The derived side is evaluated by lambdifying an explicit SymPy instance of the cell.
"""

import re

import numpy as np
import pytest
import sympy as sp

import derivations as dv
from derivations.proof import closed_form_matrix, instantiate

from ._lambdified import lambdify_instance as _lambdify
from ._lambdified import sig

RTOL = 1e-12


def random_values(cell, n, m, rng, scale=1.0):
    out = {}
    for s in (*cell.inputs, *cell.states, *cell.biases):
        k = m if cell.dims[s] == "I" else n
        out[s.name] = rng.uniform(-1, 1, k)
    for W in cell.weights:
        rows, cols = (m if d == "I" else n for d in cell.weight_shapes[W])
        out[W.name] = scale * rng.standard_normal((rows, cols)) / np.sqrt(cols)
    return out


def derived_next(cell, n, m):
    inst = instantiate(cell, n, m)
    outs = [inst.values[cell.next_states[s]] for s in cell.states]
    return _lambdify(inst, sp.Matrix.vstack(*outs))


def derived_block(cell, out, wrt, n, m):
    d = dv.derive(cell)
    inst = instantiate(cell, n, m)
    return _lambdify(inst, closed_form_matrix(d.jacobian.block(out, wrt).terms, inst))


# -- published forward equations ------------------------------------------------------
def torch_rnncell(v):
    return np.tanh(v["W_ih"] @ v["x"] + v["b_ih"] + v["W_hh"] @ v["h"] + v["b_hh"])


def torch_grucell(v):
    r = sig(v["W_ir"] @ v["x"] + v["b_ir"] + v["W_hr"] @ v["h"] + v["b_hr"])
    z = sig(v["W_iz"] @ v["x"] + v["b_iz"] + v["W_hz"] @ v["h"] + v["b_hz"])
    n = np.tanh(v["W_in"] @ v["x"] + v["b_in"] + r * (v["W_hn"] @ v["h"] + v["b_hn"]))
    return (1 - z) * n + z * v["h"]


def keras_gru_reset_before(v):
    """Keras GRU(reset_after=False), kernel/recurrent kernel in (in, 3H) z,r,h layout."""
    H = v["h"].size
    kernel = np.concatenate([v["W_iz"].T, v["W_ir"].T, v["W_in"].T], axis=1)
    rec = np.concatenate([v["W_hz"].T, v["W_hr"].T, v["W_hn"].T], axis=1)
    bias = np.concatenate([v["b_iz"] + v["b_hz"], v["b_ir"] + v["b_hr"], v["b_in"] + v["b_hn"]])
    xk, h = v["x"] @ kernel + bias, v["h"]
    z = sig(xk[:H] + h @ rec[:, :H])
    r = sig(xk[H:2 * H] + h @ rec[:, H:2 * H])
    hh = np.tanh(xk[2 * H:] + (r * h) @ rec[:, 2 * H:])
    return z * h + (1 - z) * hh


def chung_gru(v):
    """Chung et al. 2014, eqs. (5)-(8), with biases b = b_i + b_h."""
    z = sig(v["W_iz"] @ v["x"] + v["W_hz"] @ v["h"] + v["b_iz"] + v["b_hz"])
    r = sig(v["W_ir"] @ v["x"] + v["W_hr"] @ v["h"] + v["b_ir"] + v["b_hr"])
    h_tilde = np.tanh(v["W_in"] @ v["x"] + v["W_hn"] @ (r * v["h"]) + v["b_in"] + v["b_hn"])
    return (1 - z) * v["h"] + z * h_tilde


def torch_lstmcell(v):
    def gate(k, f):
        return f(v[f"W_i{k}"] @ v["x"] + v[f"b_i{k}"] + v[f"W_h{k}"] @ v["h"] + v[f"b_h{k}"])

    i, f, g, o = gate("i", sig), gate("f", sig), gate("g", np.tanh), gate("o", sig)
    c = f * v["c"] + i * g
    return np.concatenate([o * np.tanh(c), c])  # ordered as the cell's states (h, c)


def chen_minimalrnn(v):
    z = np.tanh(v["W_x"] @ v["x"] + v["b_z"])
    u = sig(v["U_h"] @ v["h"] + v["U_z"] @ z + v["b_u"])
    return u * v["h"] + (1 - u) * z


def zhou_mgu(v):
    f = sig(v["W_if"] @ v["x"] + v["b_if"] + v["W_hf"] @ v["h"] + v["b_hf"])
    n = np.tanh(v["W_in"] @ v["x"] + v["b_in"] + v["W_hn"] @ (f * v["h"]) + v["b_hn"])
    return (1 - f) * v["h"] + f * n


PUBLISHED = [
    (("elman", None), torch_rnncell),
    (("gru", "pytorch"), torch_grucell),
    (("gru", "cho"), keras_gru_reset_before),
    (("gru", "seed"), chung_gru),
    (("lstm", None), torch_lstmcell),
    (("minimalrnn", None), chen_minimalrnn),
    (("mgu", None), zhou_mgu),
]


@pytest.mark.parametrize(("key", "reference"), PUBLISHED, ids=lambda p: getattr(p, "__name__", str(p)))
def test_equations_match_published_forms(key, reference):
    cell = dv.cell(*key)
    n, m = 3, 2
    f = derived_next(cell, n, m)
    rng = np.random.default_rng(1)
    for _ in range(5):
        v = random_values(cell, n, m, rng, scale=2.0)
        np.testing.assert_allclose(f(v).ravel(), reference(v), rtol=RTOL, atol=1e-14)


# -- DESIGN.md reference Jacobians ----------------------------------------------------
def D(a):
    return np.diag(a)


def ref_elman(v):
    hn = torch_rnncell(v)
    return D(1 - hn**2) @ v["W_hh"]


def _gru_gates(v):
    r = sig(v["W_ir"] @ v["x"] + v["b_ir"] + v["W_hr"] @ v["h"] + v["b_hr"])
    z = sig(v["W_iz"] @ v["x"] + v["b_iz"] + v["W_hz"] @ v["h"] + v["b_hz"])
    return r, z


def ref_gru_pytorch(v):
    r, z = _gru_gates(v)
    a = v["W_hn"] @ v["h"] + v["b_hn"]
    n = np.tanh(v["W_in"] @ v["x"] + v["b_in"] + r * a)
    return (D(z) + D(z * (1 - z) * (v["h"] - n)) @ v["W_hz"]
            + D((1 - z) * (1 - n**2)) @ (D(r) @ v["W_hn"] + D(r * (1 - r) * a) @ v["W_hr"]))


def ref_gru_cho(v):
    r, z = _gru_gates(v)
    n = np.tanh(v["W_in"] @ v["x"] + v["b_in"] + v["W_hn"] @ (r * v["h"]) + v["b_hn"])
    return (D(z) + D(z * (1 - z) * (v["h"] - n)) @ v["W_hz"]
            + D((1 - z) * (1 - n**2)) @ v["W_hn"] @ (D(r) + D(v["h"] * r * (1 - r)) @ v["W_hr"]))


def ref_gru_seed(v):
    r, z = _gru_gates(v)
    ht = np.tanh(v["W_in"] @ v["x"] + v["b_in"] + v["W_hn"] @ (r * v["h"]) + v["b_hn"])
    return (D(1 - z) + D(z * (1 - z) * (ht - v["h"])) @ v["W_hz"]
            + D(z * (1 - ht**2)) @ v["W_hn"] @ (D(r) + D(v["h"] * r * (1 - r)) @ v["W_hr"]))


def _lstm_parts(v):
    def pre(k):
        return v[f"W_i{k}"] @ v["x"] + v[f"b_i{k}"] + v[f"W_h{k}"] @ v["h"] + v[f"b_h{k}"]

    i, f, g, o = sig(pre("i")), sig(pre("f")), np.tanh(pre("g")), sig(pre("o"))
    c_next = f * v["c"] + i * g
    dc_dh = (D(v["c"] * f * (1 - f)) @ v["W_hf"] + D(g * i * (1 - i)) @ v["W_hi"]
             + D(i * (1 - g**2)) @ v["W_hg"])
    return i, f, g, o, c_next, dc_dh


def ref_lstm(v):
    i, f, g, o, c_next, dc_dh = _lstm_parts(v)
    tc = np.tanh(c_next)
    return {
        ("c", "c"): D(f),
        ("c", "h"): dc_dh,
        ("h", "c"): D(o * (1 - tc**2) * f),
        ("h", "h"): D(tc * o * (1 - o)) @ v["W_ho"] + D(o * (1 - tc**2)) @ dc_dh,
    }


REFERENCE_JACOBIANS = [
    (("elman", None), ref_elman),
    (("gru", "pytorch"), ref_gru_pytorch),
    (("gru", "cho"), ref_gru_cho),
    (("gru", "seed"), ref_gru_seed),
]


@pytest.mark.parametrize(("key", "reference"), REFERENCE_JACOBIANS, ids=lambda p: getattr(p, "__name__", str(p)))
def test_closed_form_matches_design_reference(key, reference):
    cell = dv.cell(*key)
    n, m = 4, 3
    f = derived_block(cell, "h", "h", n, m)
    rng = np.random.default_rng(7)
    for _ in range(5):
        v = random_values(cell, n, m, rng, scale=1.5)
        np.testing.assert_allclose(f(v), reference(v), rtol=RTOL, atol=1e-13)


@pytest.mark.parametrize("block", [("h", "h"), ("h", "c"), ("c", "h"), ("c", "c")])
def test_lstm_blocks_match_design_reference(block):
    cell = dv.cell("lstm")
    n, m = 3, 2
    f = derived_block(cell, *block, n, m)
    rng = np.random.default_rng(11)
    for _ in range(5):
        v = random_values(cell, n, m, rng, scale=1.5)
        v["c"] = rng.uniform(-3, 3, n)
        np.testing.assert_allclose(f(v), ref_lstm(v)[block], rtol=RTOL, atol=1e-13)


def test_seed_with_negated_update_gate_equals_cho_exactly():
    # sigma(-u) = 1 - sigma(u), proven first from the definition of sigma.
    u = sp.Symbol("u", real=True)
    assert sp.simplify((dv.sigmoid(-u) - (1 - dv.sigmoid(u))).rewrite(sp.exp)) == 0

    def flip(e):
        return e.replace(lambda a: isinstance(a, dv.sigmoid) and a.args[0].could_extract_minus_sign(),
                         lambda a: 1 - dv.sigmoid(-a.args[0]))

    seed, cho = dv.cell("gru", "seed"), dv.cell("gru", "cho")
    for n, m in [(1, 1), (2, 3), (3, 2)]:
        si, ci = instantiate(seed, n, m), instantiate(cho, n, m)
        neg = {}
        for name in ("W_iz", "W_hz", "b_iz", "b_hz"):
            sv, cv = si.values[seed.symbol(name)], ci.values[cho.symbol(name)]
            neg.update({a: -b for a, b in zip(sv, cv, strict=True)})
        same = {}
        for s in seed.inputs + seed.states + seed.weights + seed.biases:
            if s.name not in ("W_iz", "W_hz", "b_iz", "b_hz"):
                same.update(dict(zip(si.values[s], ci.values[cho.symbol(s.name)], strict=True)))
        h_seed = si.values[seed.symbol("h_next")].xreplace({**neg, **same})
        h_cho = ci.values[cho.symbol("h_next")]
        assert (h_seed.applyfunc(flip) - h_cho).applyfunc(sp.expand).is_zero_matrix
        # and so are their Jacobians
        J_seed = h_seed.applyfunc(flip).jacobian(ci.values[cho.symbol("h")])
        J_cho = h_cho.jacobian(ci.values[cho.symbol("h")])
        assert (J_seed - J_cho).applyfunc(sp.expand).is_zero_matrix


# -- printing -------------------------------------------------------------------------
def test_elman_jacobian_latex_exact():
    assert dv.derive("elman").latex() == (
        r"\frac{\partial h_{t}}{\partial h_{t-1}} = \operatorname{diag}(1 - h_{t}^{2}) W_{hh}")


def test_gru_update_gate_term_latex_exact():
    from derivations.printing import branch_latex, printer_for

    d = dv.derive("gru", "pytorch")
    z_branch = d.jacobian.main.branches[1]
    assert z_branch.label == "update gate"
    assert branch_latex(z_branch, printer_for(d.cell)) == (
        r"\operatorname{diag}(z_{t} \odot (1 - z_{t}) \odot (h_{t-1} - n_{t})) W_{hz}")


def test_seed_latex_has_carry_one_minus_z_and_no_sympy_leaks():
    tex = dv.derive("gru", convention="seed").latex()
    assert tex.startswith(r"\frac{\partial h_{t}}{\partial h_{t-1}} = \operatorname{diag}(1 - z_{t}) + ")
    for c in dv.all_cells():
        d = dv.derive(c)
        for s in (d.latex(), d.latex(labelled=True), d.equations_latex()):
            for leak in ("DiagMatrix", r"\circ", "Subs", "MatVec", "- z_{t} + 1",
                         r"\left. ", "Derivative"):
                assert leak not in s, (c.title, leak)
            # SymPy's Lambda object, not the RG-LRU's parameter \Lambda
            assert not re.search(r"(?<!\\)Lambda", s), c.title


def test_repr_latex_for_jupyter():
    s = dv.derive("lstm")._repr_latex_()
    assert s.startswith("$$") and s.endswith("$$") and r"\operatorname{diag}(f_{t})" in s


# -- errors ---------------------------------------------------------------------------
def test_unknown_cell_and_convention_name_the_culprit():
    with pytest.raises(dv.DerivationError, match=r"'nope'.*valid conventions: \['pytorch', 'cho', 'seed'\]"):
        dv.derive("gru", convention="nope")
    with pytest.raises(dv.DerivationError, match="unknown cell 'gruu'"):
        dv.derive("gruu")
    with pytest.raises(dv.DerivationError, match="convention 'cho' for cell 'lstm'"):
        dv.cell("lstm", "cho")


def test_definition_errors_name_the_culprit():
    cb = dv.CellBuilder("bad")
    x, h = cb.input("x"), cb.state("h")
    (W,) = cb.weights("W_hh")
    with pytest.raises(dv.DerivationError, match=r"state \['h'\] is never updated"):
        cb.build()
    with pytest.raises(dv.DerivationError, match=r"shapes cannot match in .a.: h \(H\), x \(I\)"):
        cb.let("a", x + h)
    with pytest.raises(dv.DerivationError, match="unknown function 'f'"):
        cb.let("a", sp.Function("f")(h))
    with pytest.raises(dv.DerivationError, match="'q'.*not declared"):
        cb.let("a", h * sp.Symbol("q"))
    cb2 = dv.CellBuilder("bad2")
    x2, h2 = cb2.input("x"), cb2.state("h")
    (V,) = cb2.weights("V")
    cb2.let("a", V @ x2)
    with pytest.raises(dv.DerivationError, match="V has I columns but is applied to h of dimension H"):
        cb2.let("b", V @ h2)
    cb3 = dv.CellBuilder("no_recurrence")
    x3, h3 = cb3.input("x"), cb3.state("h")
    (U,) = cb3.weights("U")
    cb3.update(h3, dv.tanh(U @ x3))
    with pytest.raises(dv.DerivationError, match="does not depend on its previous state"):
        dv.derive(cb3.build())

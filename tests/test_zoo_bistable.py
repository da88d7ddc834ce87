"""The family "bistable" (bistable, evolved and searched cells) against references written apart.

* each cell's step, written again in plain NumPy from torchrecurrent's ``forward`` (packed
  arrays, chunk order), equals ``numeric.step`` (1e-12 relative), and ``numeric.jacobian``
  equals central differences of that NumPy step;
* each paper's equations, in its own symbols, equal the cell where the code's extra
  parameters vanish or take the paper's fixed value (the differences the cell docstrings
  state), and differ where they do not; torchrecurrent's MUT2 is the seed-convention GRU;
  two torchrecurrent docstrings (MUT3, NAS) disagree with their code, which the cells follow;
* the loader refuses every option the cells do not model (SGU/DSGU activations) by name,
  and reads modules without biases (zero buffers);
* the carry: BR/nBR (c -> 1) and MUT1-3 (z -> 0) reach J = I at the derived rate; the hard
  sigmoid of SGU/DSGU reaches z = 0 exactly (J = I exactly) but not at a rate in epsilon;
  the BR's modulation gate a in (0, 2) makes the origin unstable (J up to 2) between two
  stable fixed points (bistability), as the derived bounds allow (floor 3, no bound below 1);
  the CFN with no input contracts to 0 (the paper's "no chaos").

The module-against-torch checks of every class are in ``tests/test_zoo.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import derivations as dv
import numeric as nm
from derivations.bounds import NoGlobalBound
from derivations.facts import BoundKind
from derivations.statements import Norm
from numeric import NumericError
from tests import _hand_bounds_bistable as hand
from tests._zoo_numpy import assert_activation_refused, rel, relu, rows, sig, split

H, I_, B = 5, 3, 4
TOL = 1e-12


def hsig(u):
    return np.clip(u / 6.0 + 0.5, 0.0, 1.0)


def softplus(u):
    return np.logaddexp(0.0, u)


# -- torchrecurrent's forward, in NumPy (state-dict names, chunk order) -----------------

def br_code(sd, x, h):
    a1, a2, a3 = split(x @ sd["weight_ih"].T + sd["bias_ih"], 3)
    w1, w2 = split(sd["weight_hh"], 2)
    c1, c2 = split(sd["bias_hh"], 2)
    a = 1.0 + np.tanh(a1 + w1 * h + c1)
    c = sig(a2 + w2 * h + c2)
    return c * h + (1.0 - c) * np.tanh(a3 + a * h)


def nbr_code(sd, x, h):
    a1, a2, a3 = split(x @ sd["weight_ih"].T + sd["bias_ih"], 3)
    W1, W2 = rows(sd["weight_hh"], 2)
    c1, c2 = split(sd["bias_hh"], 2)
    a = 1.0 + np.tanh(a1 + h @ W1.T + c1)
    c = sig(a2 + h @ W2.T + c2)
    return c * h + (1.0 - c) * np.tanh(a3 + a * h)


def cfn_code(sd, x, h):
    p1, p2, p3 = split(x @ sd["weight_ih"].T + sd["bias_ih"], 3)
    q1, q2 = split(h @ sd["weight_hh"].T + sd["bias_hh"], 2)
    return sig(p1 + q1) * np.tanh(h) + sig(p2 + q2) * np.tanh(p3)


def mut1_code(sd, x, h):
    g1, g2, g3 = split(x @ sd["weight_ih"].T + sd["bias_ih"], 3)
    W1, W2 = rows(sd["weight_hh"], 2)
    c1, c2 = split(sd["bias_hh"], 2)
    z = sig(g1)
    r = sig(g2 + h @ W1.T + c1)
    n = np.tanh((r * h) @ W2.T + np.tanh(g3) + c2)
    return n * z + h * (1.0 - z)


def mut23_code(sd, x, h, *, tanh_state):
    g1, g2, g3 = split(x @ sd["weight_ih"].T + sd["bias_ih"], 3)
    W1, W2, W3 = rows(sd["weight_hh"], 3)
    c1, c2, c3 = split(sd["bias_hh"], 3)
    z = sig(g1 + (np.tanh(h) if tanh_state else h) @ W1.T + c1)
    r = sig(g2 + h @ W2.T + c2)
    n = np.tanh(g3 + (r * h) @ W3.T + c3)
    return n * z + h * (1.0 - z)


def mut2_code(sd, x, h):
    return mut23_code(sd, x, h, tanh_state=False)


def mut3_code(sd, x, h):
    return mut23_code(sd, x, h, tanh_state=True)


def sgu_code(sd, x, h, deep=False):
    Wg, Wz = rows(sd["weight_hh"], 2)
    cg, cz = split(sd["bias_hh"], 2)
    xg, xz = split(x @ sd["weight_ih"].T + sd["bias_ih"], 2)
    zg = np.tanh((xg * h) @ Wg.T + cg)
    zout = sig((zg * h) @ sd["weight_ho"].T) if deep else softplus(zg * h)
    z = hsig(xz + h @ Wz.T + cz)
    return (1.0 - z) * h + z * zout


def dsgu_code(sd, x, h):
    return sgu_code(sd, x, h, deep=True)


def nas_code(sd, x, state, *, multiply_3=False):
    """torchrecurrent's NASCell; ``multiply_3`` makes the fourth node TensorFlow's
    ``relu(W_i3 x * (W_h3 h + b_3))`` (with the two biases on the recurrent side)."""
    h, c = state
    p = split(x @ sd["weight_ih"].T, 8)
    q = split(h @ sd["weight_hh"].T + sd["bias_ih"] + sd["bias_hh"], 8)
    g = [pk + qk for pk, qk in zip(p, q, strict=True)]
    o = [sig(g[0]), relu(g[1]), sig(g[2]), relu(p[3] * q[3] if multiply_3 else g[3]),
         np.tanh(g[4]), sig(g[5]), np.tanh(g[6]), sig(g[7])]
    l1, l2 = np.tanh(o[0] * o[1]), np.tanh(o[2] + o[3])
    l3, l4 = np.tanh(o[4] * o[5]), sig(o[6] + o[7])
    c_new = np.tanh(l1 + c) * l2
    return np.tanh(c_new * np.tanh(l3 + l4)), c_new


#: cell -> (torchrecurrent state-dict shapes: (row blocks, columns) or vector blocks, NumPy)
CODE = {
    "br": ({"weight_ih": (3, "I"), "weight_hh": 2, "bias_ih": 3, "bias_hh": 2}, br_code),
    "nbr": ({"weight_ih": (3, "I"), "weight_hh": (2, "H"), "bias_ih": 3, "bias_hh": 2},
            nbr_code),
    "cfn": ({"weight_ih": (3, "I"), "weight_hh": (2, "H"), "bias_ih": 3, "bias_hh": 2},
            cfn_code),
    "mut1": ({"weight_ih": (3, "I"), "weight_hh": (2, "H"), "bias_ih": 3, "bias_hh": 2},
             mut1_code),
    "mut2": ({"weight_ih": (3, "I"), "weight_hh": (3, "H"), "bias_ih": 3, "bias_hh": 3},
             mut2_code),
    "mut3": ({"weight_ih": (3, "I"), "weight_hh": (3, "H"), "bias_ih": 3, "bias_hh": 3},
             mut3_code),
    "sgu": ({"weight_ih": (2, "I"), "weight_hh": (2, "H"), "bias_ih": 2, "bias_hh": 2},
            sgu_code),
    "dsgu": ({"weight_ih": (2, "I"), "weight_hh": (2, "H"), "weight_ho": (1, "H"),
              "bias_ih": 2, "bias_hh": 2}, dsgu_code),
    "nas": ({"weight_ih": (8, "I"), "weight_hh": (8, "H"), "bias_ih": 8, "bias_hh": 8},
            nas_code),
}

#: the torchrecurrent class of each cell
CLASSES = {"br": "BRCell", "nbr": "NBRCell", "cfn": "CFNCell", "mut1": "MUT1Cell",
           "mut2": "MUT2Cell", "mut3": "MUT3Cell", "sgu": "SGUCell", "dsgu": "DSGUCell",
           "nas": "NASCell"}


def draw(cell, seed=0, scale=0.8, inputs=I_):
    """Random torchrecurrent-style arrays for ``cell``, an input and a state (float64)."""
    rng = np.random.default_rng(seed)
    sd = {}
    for key, shape in CODE[cell][0].items():
        if isinstance(shape, tuple):
            sd[key] = rng.uniform(-scale, scale,
                                  (shape[0] * H, inputs if shape[1] == "I" else H))
        else:
            sd[key] = rng.uniform(-scale, scale, shape * H)
    x = rng.normal(size=(B, inputs))
    h = 0.7 * rng.normal(size=(B, H))
    return sd, x, ((h, rng.normal(size=(B, H))) if cell == "nas" else h)


def step(cell, sd, x, h):
    return nm.step(nm.from_arrays(cell, **sd), x, h)


@pytest.mark.parametrize("cell", sorted(CODE))
def test_numpy_forward_of_torchrecurrent_equals_numeric_step(cell):
    ref = CODE[cell][1]
    for seed in range(3):
        sd, x, h = draw(cell, seed)
        got, want = step(cell, sd, x, h), ref(sd, x, h)
        for a, b in zip(*((got, want) if cell == "nas" else ((got,), (want,))), strict=True):
            assert rel(a, b) < TOL, (cell, seed)


def test_every_cell_of_the_family_has_a_reference_here():
    names = next(n for slug, _t, n in dv.cells.FAMILIES if slug == "bistable")
    assert set(names) == set(CODE) == set(CLASSES)


def _flat_fd(f, x, h, eps=1e-6):
    """Central differences of a NumPy step w.r.t. the (concatenated) state: (B, D, D)."""
    hs = h if isinstance(h, tuple) else (h,)
    cat = np.concatenate(hs, axis=-1)
    D = cat.shape[-1]

    def g(v):
        out = f(x, tuple(np.split(v, len(hs), axis=-1)) if len(hs) > 1 else v)
        return np.concatenate(out if isinstance(out, tuple) else (out,), axis=-1)

    J = np.empty((B, D, D))
    for j in range(D):
        e = np.zeros(D)
        e[j] = eps
        J[:, :, j] = (g(cat + e) - g(cat - e)) / (2 * eps)
    return J


@pytest.mark.parametrize("cell", sorted(CODE))
def test_numeric_jacobian_equals_central_differences_of_the_numpy_forward(cell):
    ref = CODE[cell][1]
    sd, x, h = draw(cell, 5)
    J = nm.jacobian(nm.from_arrays(cell, **sd), x, h, full=True)
    assert np.max(np.abs(J - _flat_fd(lambda a, b: ref(sd, a, b), x, h))) < 1e-8


# -- the papers, in their own symbols --------------------------------------------------

def br_paper(U, U_a, U_c, w_a, w_c, x, h, b_a=0.0, b_c=0.0):
    # Vecoven et al. 2021 (b_a, b_c: the authors' TensorFlow code; the paper has none)
    a = 1.0 + np.tanh(x @ U_a.T + w_a * h + b_a)
    c = sig(x @ U_c.T + w_c * h + b_c)
    return c * h + (1.0 - c) * np.tanh(x @ U.T + a * h)


def test_br_paper_and_authors_code_have_no_candidate_bias():
    sd, x, h = draw("br", 1)
    U_a, U_c, U = rows(sd["weight_ih"], 3)
    w_a, w_c = split(sd["weight_hh"], 2)
    zero = dict(sd, bias_ih=np.zeros(3 * H), bias_hh=np.zeros(2 * H))
    assert rel(step("br", zero, x, h), br_paper(U, U_a, U_c, w_a, w_c, x, h)) < TOL
    b_ia, b_ic, b_in = split(sd["bias_ih"], 3)
    b_ha, b_hc = split(sd["bias_hh"], 2)
    authors = br_paper(U, U_a, U_c, w_a, w_c, x, h, b_a=b_ia + b_ha, b_c=b_ic + b_hc)
    no_b_in = dict(sd, bias_ih=np.concatenate([b_ia, b_ic, np.zeros(H)]))
    assert rel(step("br", no_b_in, x, h), authors) < TOL
    assert rel(step("br", sd, x, h), authors) > 1e-3  # torchrecurrent's b_in


def test_nbr_paper_has_full_recurrent_gate_matrices_and_no_biases():
    sd, x, h = draw("nbr", 1)
    U_a, U_c, U = rows(sd["weight_ih"], 3)
    W_a, W_c = rows(sd["weight_hh"], 2)
    a = 1.0 + np.tanh(x @ U_a.T + h @ W_a.T)
    c = sig(x @ U_c.T + h @ W_c.T)
    paper = c * h + (1.0 - c) * np.tanh(x @ U.T + a * h)
    zero = dict(sd, bias_ih=np.zeros(3 * H), bias_hh=np.zeros(2 * H))
    assert rel(step("nbr", zero, x, h), paper) < TOL
    assert rel(step("nbr", sd, x, h), paper) > 1e-3


def test_cfn_paper_input_term_has_no_bias():
    # Laurent & von Brecht 2017: theta = s(U_t h + V_t x + b_t), eta = s(U_e h + V_e x + b_e),
    # h = theta tanh(h) + eta tanh(W x)
    sd, x, h = draw("cfn", 1)
    V_t, V_e, W = rows(sd["weight_ih"], 3)
    U_t, U_e = rows(sd["weight_hh"], 2)
    b_it, b_ie, _b_in = split(sd["bias_ih"], 3)
    b_t, b_e = b_it + split(sd["bias_hh"], 2)[0], b_ie + split(sd["bias_hh"], 2)[1]
    theta, eta = sig(h @ U_t.T + x @ V_t.T + b_t), sig(h @ U_e.T + x @ V_e.T + b_e)
    paper = theta * np.tanh(h) + eta * np.tanh(x @ W.T)
    no_b_in = dict(sd, bias_ih=np.concatenate([b_it, b_ie, np.zeros(H)]))
    assert rel(step("cfn", no_b_in, x, h), paper) < TOL
    assert rel(step("cfn", sd, x, h), paper) > 1e-3


def test_mut1_paper_adds_tanh_of_the_raw_input():
    # z = s(W_xz x + b_z), r = s(W_xr x + W_hr h + b_r),
    # h' = tanh(W_hh (r h) + tanh(x) + b_h) z + h (1 - z)   (input size = hidden size)
    sd, x, h = draw("mut1", 1, inputs=H)
    W_xz, W_xr, _W_in = rows(sd["weight_ih"], 3)
    W_hr, W_hh = rows(sd["weight_hh"], 2)
    b_z, b_ir, _b_in = split(sd["bias_ih"], 3)
    b_hr, b_h = split(sd["bias_hh"], 2)
    z, r = sig(x @ W_xz.T + b_z), sig(x @ W_xr.T + h @ W_hr.T + b_ir + b_hr)
    paper = np.tanh((r * h) @ W_hh.T + np.tanh(x) + b_h) * z + h * (1.0 - z)
    identity = dict(sd, weight_ih=np.vstack([W_xz, W_xr, np.eye(H)]),
                    bias_ih=np.concatenate([b_z, b_ir, np.zeros(H)]))
    assert rel(step("mut1", identity, x, h), paper) < TOL
    assert rel(step("mut1", sd, x, h), paper) > 1e-3  # torchrecurrent's W_in x + b_in


def test_mut2_paper_reset_gate_reads_the_raw_input():
    # z = s(W_xz x + W_hz h + b_z), r = s(x + W_hr h + b_r),
    # h' = tanh(W_hh (r h) + W_xh x + b_h) z + h (1 - z)   (input size = hidden size)
    sd, x, h = draw("mut2", 1, inputs=H)
    W_xz, _W_xr, W_xh = rows(sd["weight_ih"], 3)
    W_hz, W_hr, W_hh = rows(sd["weight_hh"], 3)
    b_z, b_r, b_h = (a + b for a, b in zip(split(sd["bias_ih"], 3), split(sd["bias_hh"], 3),
                                           strict=True))
    z = sig(x @ W_xz.T + h @ W_hz.T + b_z)
    r = sig(x + h @ W_hr.T + b_r)
    paper = np.tanh((r * h) @ W_hh.T + x @ W_xh.T + b_h) * z + h * (1.0 - z)
    identity = dict(sd, weight_ih=np.vstack([W_xz, np.eye(H), W_xh]))
    assert rel(step("mut2", identity, x, h), paper) < TOL
    assert rel(step("mut2", sd, x, h), paper) > 1e-3  # torchrecurrent's W_ir x


def test_torchrecurrent_mut2_is_the_seed_convention_gru():
    sd, x, h = draw("mut2", 2)
    p = nm.from_arrays("mut2", **sd)
    gru = nm.from_arrays("gru", convention="seed", **p.arrays)
    assert np.array_equal(nm.step(p, x, h), nm.step(gru, x, h))
    assert rel(nm.jacobian(p, x, h), nm.jacobian(gru, x, h)) < TOL


def test_mut3_paper_equals_the_cell_and_torchrecurrent_docstring_does_not():
    # z = s(W_xz x + W_hz tanh(h) + b_z), r = s(W_xr x + W_hr h + b_r),
    # h' = tanh(W_hh (r h) + W_xh x + b_h) z + h (1 - z)
    sd, x, h = draw("mut3", 1, inputs=H)
    W_xz, W_xr, W_xh = rows(sd["weight_ih"], 3)
    W_hz, W_hr, W_hh = rows(sd["weight_hh"], 3)
    (a_z, a_r, a_h), (c_z, c_r, c_h) = split(sd["bias_ih"], 3), split(sd["bias_hh"], 3)
    r = sig(x @ W_xr.T + h @ W_hr.T + a_r + c_r)
    cand = np.tanh((r * h) @ W_hh.T + x @ W_xh.T + a_h + c_h)
    z = sig(x @ W_xz.T + np.tanh(h) @ W_hz.T + a_z + c_z)
    assert rel(step("mut3", sd, x, h), cand * z + h * (1.0 - z)) < TOL
    # torchrecurrent's docstring: z reads h (not tanh h), r reads the raw input
    z_doc = sig(x @ W_xz.T + a_z + h @ W_hz.T + c_z)
    r_doc = sig(x + h @ W_hr.T + c_r)
    n_doc = np.tanh((r_doc * h) @ W_hh.T + c_h + x @ W_xh.T + a_h)
    assert rel(step("mut3", sd, x, h), n_doc * z_doc + h * (1.0 - z_doc)) > 1e-3


@pytest.mark.parametrize("cell", ["sgu", "dsgu"])
def test_sgu_papers_gate_z_g_has_no_bias(cell):
    # x_g = W_xh x + b_g, z_g = tanh(W_zxh (x_g h)), z_out = softplus(z_g h) (SGU) or
    # s(W_go (z_g h)) (DSGU), z = hard_sigmoid(W_xz x + b_z + W_hz h), h' = (1-z) h + z z_out
    sd, x, h = draw(cell, 1)
    W_xh, W_xz = rows(sd["weight_ih"], 2)
    W_zxh, W_hz = rows(sd["weight_hh"], 2)
    b_g, b_iz = split(sd["bias_ih"], 2)
    b_z = b_iz + split(sd["bias_hh"], 2)[1]
    x_g = x @ W_xh.T + b_g
    z_g = np.tanh((x_g * h) @ W_zxh.T)
    z_out = sig((z_g * h) @ sd["weight_ho"].T) if cell == "dsgu" else softplus(z_g * h)
    z = hsig(x @ W_xz.T + b_z + h @ W_hz.T)
    paper = (1.0 - z) * h + z * z_out
    no_b_hg = dict(sd, bias_hh=np.concatenate([np.zeros(H), split(sd["bias_hh"], 2)[1]]))
    assert rel(step(cell, no_b_hg, x, h), paper) < TOL
    assert rel(step(cell, sd, x, h), paper) > 1e-3  # torchrecurrent's b_hg


def test_nas_differs_from_tensorflow_only_at_the_fourth_node():
    sd, x, s = draw("nas", 1)
    got = step("nas", sd, x, s)
    tf = nas_code(sd, x, s, multiply_3=True)
    assert max(rel(a, b) for a, b in zip(got, tf, strict=True)) > 1e-3
    # torchrecurrent's additive node, everything else TensorFlow's: the cell
    same = nas_code(sd, x, s, multiply_3=False)
    assert max(rel(a, b) for a, b in zip(got, same, strict=True)) < TOL


def test_nas_torchrecurrent_docstring_cell_update_is_not_its_code():
    # the docstring: c_t = l_1 * l_2 (the code, followed here: c_t = tanh(l_1 + c) * l_2)
    sd, x, (h, c) = draw("nas", 2)
    g = split(x @ sd["weight_ih"].T + sd["bias_ih"] + h @ sd["weight_hh"].T + sd["bias_hh"], 8)
    l1 = np.tanh(sig(g[0]) * relu(g[1]))
    l2 = np.tanh(sig(g[2]) + relu(g[3]))
    _h_new, c_new = step("nas", sd, x, (h, c))
    assert rel(c_new, np.tanh(l1 + c) * l2) < TOL
    assert rel(c_new, l1 * l2) > 1e-3


# -- the loader: what it refuses, by name ----------------------------------------------

@pytest.fixture(scope="module")
def tr():
    pytest.importorskip("torch")
    return pytest.importorskip("torchrecurrent")


def _xh(seed, cls=None):
    import torch
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, I_, generator=g, dtype=torch.float64)
    h = torch.randn(B, H, generator=g, dtype=torch.float64)
    if cls == "NASCell":
        return x, (h, torch.randn(B, H, generator=g, dtype=torch.float64))
    return x, h


REFUSED = [("SGUCell", {"nonlinearity": "relu"}, "act", "relu"),
           ("SGUCell", {"output_nonlinearity": "sigmoid"}, "output_act", "sigmoid"),
           ("SGUCell", {"gate_nonlinearity": "sigmoid"}, "gate_act", "sigmoid"),
           ("DSGUCell", {"nonlinearity": "sigmoid"}, "act", "sigmoid"),
           ("DSGUCell", {"output_nonlinearity": "softplus"}, "output_act", "softplus"),
           ("DSGUCell", {"gate_nonlinearity": "tanh"}, "gate_act", "tanh")]


@pytest.mark.parametrize("cls, kwargs, attr, value", REFUSED,
                         ids=[f"{c}-{a}" for c, _k, a, _v in REFUSED])
def test_a_module_with_another_activation_is_refused_by_name(tr, cls, kwargs, attr, value):
    assert_activation_refused(tr, cls, kwargs, attr, value, I_, H)


def test_a_softplus_output_with_another_beta_is_refused(tr):
    import torch
    mod = tr.SGUCell(I_, H, output_nonlinearity=torch.nn.Softplus(beta=2.0))
    with pytest.raises(NumericError, match=r"output_act is Softplus\(beta=2.0.*only beta=1"):
        nm.from_torch(mod)


def test_state_dicts_are_refused_when_they_do_not_hold_the_cell(tr):
    with pytest.raises(NumericError, match="'weight_ho'"):
        nm.from_torch({k: v for k, v in tr.DSGUCell(I_, H).state_dict().items()
                       if k != "weight_ho"}, cell="dsgu")
    # BR's recurrent weights are vectors, nBR's matrices: one cannot be read as the other
    with pytest.raises(NumericError, match="w_a"):
        nm.from_torch(tr.NBRCell(I_, H).state_dict(), cell="br")
    with pytest.raises(NumericError, match="W_ha"):
        nm.from_torch(tr.BRCell(I_, H).state_dict(), cell="nbr")
    with pytest.raises(NumericError, match=r"scalars \['dt'\] are not.*it has none"):
        nm.from_torch(tr.CFNCell(I_, H).state_dict(), cell="cfn", scalars={"dt": 0.1})


@pytest.mark.parametrize("cls", sorted(CLASSES.values()))
def test_without_biases_the_zero_buffers_load_as_zero_biases(tr, cls):
    import torch
    mod = getattr(tr, cls)(I_, H, bias=False, recurrent_bias=False, dtype=torch.float64)
    x, h = _xh(4, cls)
    p = nm.from_torch(mod)
    assert all(not np.any(p.arrays[b.name]) for b in p.cell.biases if b not in p.cell.vectors)
    got = nm.step(p, x.numpy(), tuple(s.numpy() for s in h) if cls == "NASCell"
                  else h.numpy())
    want = mod(x, h)
    for a, b in zip(*((got, want) if cls == "NASCell" else ((got,), (want,))), strict=True):
        assert rel(a, b.detach().numpy()) < TOL, cls


def test_torch_hardsigmoid_backward_uses_a_float32_one_sixth(tr):
    # why tests/test_zoo.py's 1e-10 Jacobian check of SGUCell/DSGUCell fails: PyTorch's
    # CPU hardsigmoid backward multiplies by float32(1/6) even in float64
    import torch
    u = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.hardsigmoid(u).sum().backward()
    assert np.allclose(u.grad.numpy(), 1 / 6, rtol=1e-7, atol=0)
    assert np.all(u.grad.numpy() - 1 / 6 == np.float64(np.float32(1 / 6)) - 1 / 6)


@pytest.mark.parametrize("cls", ["SGUCell", "DSGUCell"])
def test_sgu_jacobians_equal_autograd_with_an_exact_hard_sigmoid(tr, cls):
    import torch

    class ExactHardSigmoid(torch.nn.Module):
        def forward(self, u):
            return torch.clamp(u / 6.0 + 0.5, 0.0, 1.0)

    mod = getattr(tr, cls)(I_, H, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in mod.parameters():
            p.copy_(torch.rand(p.shape, generator=g, dtype=torch.float64) * 1.6 - 0.8)
    params = nm.from_torch(mod)      # read before the activation is swapped
    mod.gate_act = ExactHardSigmoid()
    x, h = _xh(1)
    assert rel(nm.step(params, x.numpy(), h.numpy()), mod(x, h).detach().numpy()) < TOL
    J = torch.autograd.functional.jacobian(lambda s: mod(x, s), h)
    J = torch.stack([J[b, :, b, :] for b in range(B)]).numpy()
    assert rel(nm.jacobian(params, x.numpy(), h.numpy()), J) < 1e-12


def test_nas_relu_kinks_take_the_derivative_zero_as_autograd(tr):
    # x = 0, h = 0, zero biases: every block is exactly 0, relu'(0) = 0 in both
    import torch
    mod = tr.NASCell(I_, H, bias=False, recurrent_bias=False, dtype=torch.float64)
    x = torch.zeros(1, I_, dtype=torch.float64)
    h, c = torch.zeros(1, H, dtype=torch.float64), 0.3 * torch.ones(1, H, dtype=torch.float64)
    J = torch.autograd.functional.jacobian(lambda a, b: torch.cat(mod(x, (a, b)), -1), (h, c))
    J = torch.cat([j[0, :, 0, :] for j in J], -1).numpy()
    ours = nm.jacobian(nm.from_torch(mod), x.numpy(), (h.numpy(), c.numpy()), full=True)[0]
    assert np.max(np.abs(ours - J)) < 1e-15


# -- the derived facts: carrying gates, bounds -----------------------------------------

#: cell -> (carrying gate, towards, the bias (symbol) that saturates it)
CARRYING = {"br": ("c", 1, "b_ic"), "nbr": ("c", 1, "b_ic"), "mut1": ("z", 0, "b_iz"),
            "mut2": ("z", 0, "b_iz"), "mut3": ("z", 0, "b_iz"), "sgu": ("z", 0, "b_iz"),
            "dsgu": ("z", 0, "b_iz")}


def test_the_cells_declare_the_carrying_gates_of_their_papers():
    for name in CODE:
        c = dv.cell(name)
        got = None if c.carrying is None else (c.carrying.gate.name, c.carrying.towards)
        assert got == (CARRYING[name][:2] if name in CARRYING else None), name


SMOOTH_CARRY = ("br", "nbr", "mut1", "mut2", "mut3")


@pytest.mark.parametrize("cell", SMOOTH_CARRY)
def test_a_saturated_carrying_gate_makes_the_jacobian_the_identity(cell):
    _gate, towards, bias = CARRYING[cell]
    sd, x, h = draw(cell, 2)
    p0 = nm.from_arrays(cell, **sd)
    sign = 1.0 if towards == 1 else -1.0
    gaps = []
    for push in (2.0, 5.0, 10.0, 40.0):
        p = p0.with_arrays(**{bias: p0.arrays[bias] + sign * push})
        gap = np.linalg.norm(nm.jacobian(p, x, h) - np.eye(H), 2, axis=(1, 2))
        r = nm.check_bounds(p, x, h)
        assert r.ok.all(), (cell, push)
        assert np.allclose(r.gap, gap, rtol=1e-9, atol=1e-15)
        assert (gap <= r.saturation * (1 + 1e-9) + 1e-15).all(), (cell, push)
        gaps.append(gap.max())
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 1e-12, (cell, gaps)


@pytest.mark.parametrize("cell", ["sgu", "dsgu"])
def test_the_hard_sigmoid_gate_carries_exactly_but_not_at_a_rate(cell):
    sd, x, h = draw(cell, 3)
    x, h = x[:1], h[:1]
    p0 = nm.from_arrays(cell, **sd)
    u = x @ rows(sd["weight_ih"], 2)[1].T + h @ rows(sd["weight_hh"], 2)[1].T \
        + split(sd["bias_hh"], 2)[1]              # the gate's pre-activation without b_iz
    closed = p0.with_arrays(b_iz=-3.5 - u[0])     # pre-activation -3.5: z = 0 exactly
    assert np.array_equal(nm.step(closed, x, h), h)
    assert np.array_equal(nm.jacobian(closed, x, h)[0], np.eye(H))
    # just inside (z = eps / 6): the carry gap and the candidate term are O(eps), the
    # update gate's term diag(hard_sigmoid' (z_out - h)) W_hz = diag((z_out - h) / 6) W_hz
    # is not
    W_hg, W_hz = rows(sd["weight_hh"], 2)
    x_g = x @ rows(sd["weight_ih"], 2)[0].T + split(sd["bias_ih"], 2)[0]
    z_g = np.tanh((x_g * h) @ W_hg.T + split(sd["bias_hh"], 2)[0])
    z_out = sig((z_g * h) @ sd["weight_ho"].T) if cell == "dsgu" else softplus(z_g * h)
    term = ((z_out - h)[0] / 6)[:, None] * W_hz
    gaps = []
    for eps in (1e-3, 1e-6, 1e-9):
        J = nm.jacobian(p0.with_arrays(b_iz=-3.0 + eps - u[0]), x, h)[0]
        assert np.max(np.abs(J - np.eye(H) - term)) < 10 * eps, (cell, eps)
        gaps.append(np.linalg.norm(J - np.eye(H), 2))
    assert min(gaps) > 0.05, gaps                  # no K eps: the gap stays as eps -> 0


# -- the derived bounds, against bounds derived by hand ---------------------------------
# (tests/_hand_bounds_bistable.py, which test_bounds_symbolic also reads under the ci profile)

@pytest.mark.parametrize("cell", sorted(CODE))
def test_global_upper_bounds_equal_the_hand_derived_ones(cell):
    blocks = dv.derive(cell).bounds.blocks
    want = hand.HAND_GLOBAL[(cell, None)]
    assert set(blocks) == set(want)
    for key, expr in want.items():
        got = blocks[key].get(BoundKind.GLOBAL_UPPER)
        assert not isinstance(got, NoGlobalBound), (cell, key)
        assert sp.simplify(got.expr - expr) == 0, (cell, key, got.expr)


@pytest.mark.parametrize("cell", sorted(CODE))
def test_saturation_constants_equal_the_hand_derived_ones(cell):
    c = dv.cell(cell)
    sats = [b for b in dv.derive(c).bounds.all() if b.kind is BoundKind.SATURATION]
    if (cell, None) not in hand.HAND_K:
        assert sats == [], cell          # CFN, NAS: no carrying gate; SGU, DSGU: no rate
        return
    (sat,) = sats
    assert sp.simplify(sat.K - hand.HAND_K[(cell, None)][("h", "h")]) == 0, (cell, sat.K)
    assert (sat.gate, sat.towards) == (c.carrying.gate, c.carrying.towards)


@pytest.mark.parametrize("cell", ["br", "nbr"])
def test_br_bounds_allow_a_gain_above_one_whatever_the_weights(cell):
    # no weight-norm condition forces vanishing: setting every norm to 0 leaves 3
    b = dv.derive(cell).bounds
    glob = b.blocks[("h", "h")].global_upper
    assert glob.subs({n: 0 for n in glob.atoms(Norm)}) == 3
    floor = next(x for x in b.bounds if x.kind is BoundKind.NO_VANISHING_CONDITION)
    assert floor.floor == 3


def test_br_is_bistable_the_origin_has_gain_two_between_two_stable_states():
    # no input, a = 1 + tanh(3) ~ 1.995, c = s(-6) ~ 0.0025, no recurrent gate weights:
    # h' = c h + (1 - c) tanh(a h): fixed points 0 (unstable, slope c + (1 - c) a > 1) and
    # +-h* with h* = tanh(a h*) (stable, slope < 1)
    sd = {"weight_ih": np.zeros((3 * H, I_)), "weight_hh": np.zeros(2 * H),
          "bias_ih": np.concatenate([np.full(H, 3.0), np.full(H, -6.0), np.zeros(H)]),
          "bias_hh": np.zeros(2 * H)}
    p = nm.from_arrays("br", **sd)
    x = np.zeros((1, I_))
    a, c = 1 + np.tanh(3.0), sig(-6.0)
    J0 = nm.jacobian(p, x, np.zeros((1, H)))[0]
    assert np.array_equal(J0, np.diag(np.diag(J0)))           # diagonal (vector weights)
    assert np.allclose(np.diag(J0), c + (1 - c) * a, rtol=1e-14)
    assert np.diag(J0).min() > 1.99
    h = np.array([[0.5, -0.5, 0.05, -0.05, 1.0]])
    for _ in range(200):
        h = nm.step(p, x, h)
    hstar = 0.9
    for _ in range(100):
        hstar = np.tanh(a * hstar)
    assert np.allclose(np.abs(h), hstar, rtol=1e-12) and np.array_equal(
        np.sign(h), [[1, -1, 1, -1, 1]])
    Js = np.diag(nm.jacobian(p, x, h)[0])
    assert np.allclose(Js, c + (1 - c) * a * (1 - hstar**2), rtol=1e-10) and Js.max() < 1
    r = nm.check_bounds(p, x, np.zeros((1, H)))
    assert r.ok.all() and np.all(r.norm > 1.99) and np.all(r.global_upper >= r.norm)


def test_cfn_with_no_input_contracts_to_zero():
    sd, _x, h = draw("cfn", 4, scale=2.0)
    sd["bias_ih"][2 * H:] = 0.0                       # tanh(W x) = 0 for x = 0
    p = nm.from_arrays("cfn", **sd)
    x = np.zeros((B, I_))
    h = 3.0 * h
    norms = []
    for _ in range(300):
        h = nm.step(p, x, h)
        norms.append(np.abs(h).max())
    assert (np.diff(norms) < 0).all() and norms[-1] < 0.2


@pytest.mark.parametrize("cell", sorted(CODE))
@pytest.mark.parametrize("scale", [0.3, 1.0, 3.0])
def test_the_derived_bounds_hold_on_samples(cell, scale):
    sd, x, h = draw(cell, 7, scale=scale)
    r = nm.check_bounds(nm.from_arrays(cell, **sd), x, h)
    assert r.ok.all(), (cell, scale)


@pytest.mark.parametrize("cell", sorted(CODE))
def test_derive_bounds_and_init_work(cell):
    dv.derive_bounds(dv.derive(cell))
    nm.init(cell, hidden_size=8, input_size=3, seed=0)
    if dv.cell(cell).carrying is not None:
        nm.init(cell, hidden_size=8, input_size=3, seed=0, scheme="chrono", t_max=100)


def test_chrono_sets_the_brs_gate_bias_not_its_recurrent_vector():
    p = nm.init("br", hidden_size=8, input_size=3, seed=0, scheme="chrono", t_max=100)
    q = nm.init("br", hidden_size=8, input_size=3, seed=0)
    assert (p.arrays["b_ic"] > 0).all() or (p.arrays["b_hc"] > 0).all()
    assert np.array_equal(p.arrays["w_c"], q.arrays["w_c"])

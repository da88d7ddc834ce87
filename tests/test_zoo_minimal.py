"""The family "minimal" (single-gate and minimal units) against references written apart.

* each cell's step, written again in plain NumPy from torchrecurrent's ``forward`` (packed
  arrays, chunk order), equals ``numeric.step`` (1e-12 relative);
* each paper's equations, in its own symbols, equal the cell where the code's extra
  parameters vanish (the paper-vs-code differences the cell docstrings state), and differ
  where they do not;
* the loader refuses every option the cells do not model (activations, a missing
  coefficient of MiRU for a state dict) by name;
* the carry: a saturated carrying gate makes the Jacobian the identity (and the derived
  saturation bound ``||J - I|| <= K eps`` holds on the way); the cells without a carrying
  gate (STAR, SGRN, ATR, MiRU) tend to what their docstrings say instead;
* the derived global bounds and saturation constants equal ones derived by hand, and hold.

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
from numeric import NumericError
from tests import _hand_bounds_minimal as hand
from tests._zoo_numpy import assert_activation_refused, rel, rows, sig

H, I_, B = 5, 3, 4
TOL = 1e-12


# -- torchrecurrent's forward, in NumPy (state-dict names, chunk order) -----------------

def mgu_code(sd, x, h):
    Wf, Wn = rows(sd["weight_ih"], 2)
    Uf, Un = rows(sd["weight_hh"], 2)
    bf, bn = rows(sd["bias_ih"], 2)
    cf, cn = rows(sd["bias_hh"], 2)
    f = sig(x @ Wf.T + bf + h @ Uf.T + cf)
    n = np.tanh(x @ Wn.T + bn + (f * h) @ Un.T + cn)
    return f * n + (1 - f) * h


def minimalrnn_code(sd, x, h):
    z = np.tanh(x @ sd["weight_ih"].T + sd["bias_ih"])
    u = sig(h @ sd["weight_hh"].T + z @ sd["weight_mm"].T + sd["bias_hh"])
    return u * h + (1 - u) * z


def ugrnn_code(sd, x, h):
    g1, g2 = rows((x @ sd["weight_ih"].T + sd["bias_ih"] + h @ sd["weight_hh"].T
                    + sd["bias_hh"]).T, 2)
    c, g = np.tanh(g1.T), sig(g2.T)
    return g * h + (1 - g) * c


def lightru_code(sd, x, h):
    a1, a2 = rows((x @ sd["weight_ih"].T + sd["bias_ih"]).T, 2)
    cand = np.tanh(a1.T)
    f = sig(a2.T + h @ sd["weight_hh"].T + sd["bias_hh"])
    return (1 - f) * h + f * cand


def ligru_code(sd, x, h):
    ug, cg = rows((x @ sd["weight_ih"].T + sd["bias_ih"] + h @ sd["weight_hh"].T
                    + sd["bias_hh"]).T, 2)
    z, cand = sig(ug.T), np.maximum(cg.T, 0.0)
    return (1 - z) * cand + z * h


def sgrn_code(sd, x, h):
    p = x @ sd["weight_ih"].T + sd["bias_ih"]
    f = sig(p + h @ sd["weight_hh"].T + sd["bias_hh"])
    return np.tanh((1 - f) * p + f * h)


def star_code(sd, x, h):
    a1, a2 = rows((x @ sd["weight_ih"].T + sd["bias_ih"]).T, 2)
    k = sig(a2.T + h @ sd["weight_hh"].T + sd["bias_hh"])
    return np.tanh((1 - k) * h + k * np.tanh(a1.T))


def atr_code(sd, x, h):
    p = x @ sd["weight_ih"].T + sd["bias_ih"]
    q = h @ sd["weight_hh"].T + sd["bias_hh"]
    return sig(p + q) * p + sig(p - q) * h


def trnn_code(sd, x, h):
    lat, fp = rows((x @ sd["weight_ih"].T + sd["bias_ih"]).T, 2)
    f = sig(fp.T)
    return f * h + (1 - f) * lat.T


def miru1_code(sd, x, h, lam):
    Wr, Wn = rows(sd["weight_ih"], 2)
    Ur, Un = rows(sd["weight_hh"], 2)
    br, bn = rows(sd["bias_ih"], 2)
    cr, cn = rows(sd["bias_hh"], 2)
    r = sig(x @ Wr.T + br + h @ Ur.T + cr)
    cand = np.tanh(x @ Wn.T + bn + (r * h) @ Un.T + cn)
    return lam * h + (1 - lam) * cand


def miru2_code(sd, x, h, lam, theta):
    cand = np.tanh(x @ sd["weight_ih"].T + sd["bias_ih"] + (theta * h) @ sd["weight_hh"].T
                   + sd["bias_hh"])
    return lam * h + (1 - lam) * cand


#: cell -> (torchrecurrent state-dict shapes as (row blocks, columns), reference, scalars)
CODE = {
    "mgu": ({"weight_ih": (2, "I"), "weight_hh": (2, "H"), "bias_ih": 2, "bias_hh": 2},
            mgu_code, {}),
    "minimalrnn": ({"weight_ih": (1, "I"), "weight_hh": (1, "H"), "weight_mm": (1, "H"),
                    "bias_ih": 1, "bias_hh": 1}, minimalrnn_code, {}),
    "ugrnn": ({"weight_ih": (2, "I"), "weight_hh": (2, "H"), "bias_ih": 2, "bias_hh": 2},
              ugrnn_code, {}),
    "lightru": ({"weight_ih": (2, "I"), "weight_hh": (1, "H"), "bias_ih": 2, "bias_hh": 1},
                lightru_code, {}),
    "ligru": ({"weight_ih": (2, "I"), "weight_hh": (2, "H"), "bias_ih": 2, "bias_hh": 2},
              ligru_code, {}),
    "sgrn": ({"weight_ih": (1, "I"), "weight_hh": (1, "H"), "bias_ih": 1, "bias_hh": 1},
             sgrn_code, {}),
    "star": ({"weight_ih": (2, "I"), "weight_hh": (1, "H"), "bias_ih": 2, "bias_hh": 1},
             star_code, {}),
    "atr": ({"weight_ih": (1, "I"), "weight_hh": (1, "H"), "bias_ih": 1, "bias_hh": 1},
            atr_code, {}),
    "trnn": ({"weight_ih": (2, "I"), "bias_ih": 2}, trnn_code, {}),
    "miru1": ({"weight_ih": (2, "I"), "weight_hh": (2, "H"), "bias_ih": 2, "bias_hh": 2},
              miru1_code, {"lam": 0.3}),
    "miru2": ({"weight_ih": (1, "I"), "weight_hh": (1, "H"), "bias_ih": 1, "bias_hh": 1},
              miru2_code, {"lam": 0.3, "theta": -1.4}),
}


def draw(cell, seed=0, scale=0.8):
    """Random torchrecurrent-style arrays for ``cell``, an input and a state (float64)."""
    rng = np.random.default_rng(seed)
    sd = {}
    for key, shape in CODE[cell][0].items():
        if isinstance(shape, tuple):
            sd[key] = rng.uniform(-scale, scale, (shape[0] * H, I_ if shape[1] == "I" else H))
        else:
            sd[key] = rng.uniform(-scale, scale, shape * H)
    return sd, rng.normal(size=(B, I_)), 0.7 * rng.normal(size=(B, H))


def params(cell, sd, **scalars):
    """The cell's Params from torchrecurrent's arrays, as the loader passes them."""
    if cell == "minimalrnn":
        sd = {"W_x": sd["weight_ih"], "b_z": sd["bias_ih"], "U_h": sd["weight_hh"],
              "U_z": sd["weight_mm"], "b_u": sd["bias_hh"]}
    return nm.from_arrays(cell, **sd, **scalars)


def step(cell, sd, x, h, **scalars):
    return nm.step(params(cell, sd, **(scalars or CODE[cell][2])), x, h)


@pytest.mark.parametrize("cell", sorted(CODE))
def test_numpy_forward_of_torchrecurrent_equals_numeric_step(cell):
    shapes, ref, scalars = CODE[cell]
    for seed in range(3):
        sd, x, h = draw(cell, seed)
        assert rel(step(cell, sd, x, h), ref(sd, x, h, **scalars)) < TOL, (cell, seed)


def test_every_cell_of_the_family_has_a_reference_here():
    names = next(n for slug, _t, n in dv.cells.FAMILIES if slug == "minimal")
    assert set(names) == set(CODE)


# -- the papers, in their own symbols --------------------------------------------------

def test_mgu_paper_concatenated_weights_equal_the_cell():
    # Zhou et al. 2016: f = s(W_f [h, x] + b_f), h~ = tanh(W_h [f h, x] + b_h)
    sd, x, h = draw("mgu", 1)
    Wf = np.hstack([rows(sd["weight_hh"], 2)[0], rows(sd["weight_ih"], 2)[0]])
    Wh = np.hstack([rows(sd["weight_hh"], 2)[1], rows(sd["weight_ih"], 2)[1]])
    bf, bh = rows(sd["bias_ih"] + sd["bias_hh"], 2)
    f = sig(np.hstack([h, x]) @ Wf.T + bf)
    h_tilde = np.tanh(np.hstack([f * h, x]) @ Wh.T + bh)
    assert rel(step("mgu", sd, x, h), (1 - f) * h + f * h_tilde) < TOL


def test_minimalrnn_paper_equals_the_cell_with_weight_mm_as_U_z():
    # Chen et al. 2018: z = tanh(W_x x + b_z), u = s(U_h h + U_z z + b_u)
    sd, x, h = draw("minimalrnn", 1)
    W_x, b_z, U_h, U_z, b_u = (sd[k] for k in ("weight_ih", "bias_ih", "weight_hh",
                                               "weight_mm", "bias_hh"))
    z = np.tanh(x @ W_x.T + b_z)
    u = sig(h @ U_h.T + z @ U_z.T + b_u)
    assert rel(step("minimalrnn", sd, x, h), u * h + (1 - u) * z) < TOL
    swapped = dict(sd, weight_hh=U_z, weight_mm=U_h)
    assert rel(step("minimalrnn", swapped, x, h), u * h + (1 - u) * z) > 1e-3


def test_ugrnn_and_star_papers_use_the_summed_biases():
    sd, x, h = draw("ugrnn", 1)
    (Wcx, Wgx), (Wch, Wgh) = rows(sd["weight_ih"], 2), rows(sd["weight_hh"], 2)
    b_c, b_g = rows(sd["bias_ih"] + sd["bias_hh"], 2)
    c = np.tanh(h @ Wch.T + x @ Wcx.T + b_c)
    g = sig(h @ Wgh.T + x @ Wgx.T + b_g)
    assert rel(step("ugrnn", sd, x, h), g * h + (1 - g) * c) < TOL
    sd, x, h = draw("star", 1)
    (W_z, W_x), (b_z, b_k) = rows(sd["weight_ih"], 2), rows(sd["bias_ih"], 2)
    z = np.tanh(x @ W_z.T + b_z)
    k = sig(x @ W_x.T + h @ sd["weight_hh"].T + b_k + sd["bias_hh"])
    assert rel(step("star", sd, x, h), np.tanh((1 - k) * h + k * z)) < TOL


def lightru_paper(W_h, W_f, U_f, b_f, x, h):
    h_tilde = np.tanh(x @ W_h.T)
    f = sig(x @ W_f.T + h @ U_f.T + b_f)
    return (1 - f) * h + f * h_tilde


def test_lightru_paper_has_no_candidate_bias():
    sd, x, h = draw("lightru", 1)
    (W_h, W_f), (_b_in, b_if) = rows(sd["weight_ih"], 2), rows(sd["bias_ih"], 2)
    paper = lightru_paper(W_h, W_f, sd["weight_hh"], b_if + sd["bias_hh"], x, h)
    no_b_in = dict(sd, bias_ih=np.concatenate([np.zeros(H), b_if]))
    assert rel(step("lightru", no_b_in, x, h), paper) < TOL
    assert rel(step("lightru", sd, x, h), paper) > 1e-3  # the code's b_in


def test_ligru_paper_batch_norm_folds_into_the_input_weights():
    # Ravanelli et al. 2018: z = s(BN(W_z x) + U_z h), h~ = relu(BN(W_h x) + U_h h), at
    # inference BN(u) = gamma (u - mu) / sqrt(var + eps) + beta
    sd, x, h = draw("ligru", 1)
    rng = np.random.default_rng(7)
    gamma, beta = rng.uniform(0.5, 1.5, 2 * H), rng.normal(size=2 * H)
    mu, var, eps = rng.normal(size=2 * H), rng.uniform(0.5, 2.0, 2 * H), 1e-5
    W = sd["weight_ih"]
    bn = gamma * ((x @ W.T) - mu) / np.sqrt(var + eps) + beta
    (U_z, U_h), (a_z, a_h) = rows(sd["weight_hh"], 2), rows(bn.T, 2)
    z = sig(a_z.T + h @ U_z.T)
    paper = z * h + (1 - z) * np.maximum(a_h.T + h @ U_h.T, 0.0)
    scale = gamma / np.sqrt(var + eps)
    folded = dict(sd, weight_ih=scale[:, None] * W, bias_ih=beta - scale * mu,
                  bias_hh=np.zeros(2 * H))
    assert rel(step("ligru", folded, x, h), paper) < TOL


def test_sgrn_paper_update_reads_W_x_without_the_input_bias():
    # f = s(W x + U h + b), h = tanh((1 - f) (W x) + f h)
    sd, x, h = draw("sgrn", 1)
    W, U = sd["weight_ih"], sd["weight_hh"]

    def paper(b):
        f = sig(x @ W.T + h @ U.T + b)
        return np.tanh((1 - f) * (x @ W.T) + f * h)

    b = sd["bias_ih"] + sd["bias_hh"]
    moved = dict(sd, bias_ih=np.zeros(H), bias_hh=b)  # the same gate, no bias in the update
    assert rel(step("sgrn", moved, x, h), paper(b)) < TOL
    assert rel(step("sgrn", sd, x, h), paper(b)) > 1e-3  # the code's b_ih in the update


def test_atr_paper_has_no_biases_and_the_code_subtracts_b_hh_in_f():
    # p = W x, q = U h, i = s(p + q), f = s(p - q), h = i p + f h
    sd, x, h = draw("atr", 1)
    p, q = x @ sd["weight_ih"].T, h @ sd["weight_hh"].T
    paper = sig(p + q) * p + sig(p - q) * h
    zero = dict(sd, bias_ih=np.zeros(H), bias_hh=np.zeros(H))
    assert rel(step("atr", zero, x, h), paper) < TOL
    only_hh = dict(zero, bias_hh=sd["bias_hh"])
    c = sd["bias_hh"]
    assert rel(step("atr", only_hh, x, h), sig(p + q + c) * p + sig(p - q - c) * h) < TOL


def test_trnn_paper_latent_has_no_bias():
    # z = W x, f = s(V x + b), h = f h + (1 - f) z
    sd, x, h = draw("trnn", 1)
    (W, V), (_b_z, b) = rows(sd["weight_ih"], 2), rows(sd["bias_ih"], 2)
    f = sig(x @ V.T + b)
    paper = f * h + (1 - f) * (x @ W.T)
    no_b_z = dict(sd, bias_ih=np.concatenate([np.zeros(H), b]))
    assert rel(step("trnn", no_b_z, x, h), paper) < TOL
    assert rel(step("trnn", sd, x, h), paper) > 1e-3  # the code's b_z


def test_miru_papers_with_one_coefficient_for_every_unit_equal_the_cells():
    # r = s(W_r x + b_r + U_r h), h~ = tanh(W_h x + b_h + U_h (r h)) (MiRU-2: theta h),
    # h = lambda h + (1 - lambda) h~, lambda and theta elementwise in the paper
    lam, theta = np.full(H, 0.3), np.full(H, -1.4)
    sd, x, h = draw("miru1", 1)
    (W_r, W_h), (U_r, U_h) = rows(sd["weight_ih"], 2), rows(sd["weight_hh"], 2)
    b_r, b_h = rows(sd["bias_ih"] + sd["bias_hh"], 2)
    r = sig(x @ W_r.T + b_r + h @ U_r.T)
    paper = lam * h + (1 - lam) * np.tanh(x @ W_h.T + b_h + (r * h) @ U_h.T)
    assert rel(step("miru1", sd, x, h, lam=0.3), paper) < TOL
    sd, x, h = draw("miru2", 1)
    b_h = sd["bias_ih"] + sd["bias_hh"]
    paper = lam * h + (1 - lam) * np.tanh(x @ sd["weight_ih"].T + b_h
                                          + (theta * h) @ sd["weight_hh"].T)
    assert rel(step("miru2", sd, x, h, lam=0.3, theta=-1.4), paper) < TOL


# -- the loader: what it refuses, by name ----------------------------------------------

@pytest.fixture(scope="module")
def tr():
    pytest.importorskip("torch")
    return pytest.importorskip("torchrecurrent")


def _xh(seed):
    import torch
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(B, I_, generator=g, dtype=torch.float64),
            torch.randn(B, H, generator=g, dtype=torch.float64))


REFUSED = [("MGUCell", {"nonlinearity": "relu"}, "act", "relu"),
           ("MGUCell", {"gate_nonlinearity": "hard_sigmoid"}, "gate_act", "hard_sigmoid"),
           ("MinimalRNNCell", {"nonlinearity": "relu"}, "act", "relu"),
           ("MinimalRNNCell", {"gate_nonlinearity": "tanh"}, "gate_act", "tanh"),
           ("LiGRUCell", {"nonlinearity": "tanh"}, "act", "tanh"),
           ("LiGRUCell", {"gate_nonlinearity": "hard_sigmoid"}, "gate_act", "hard_sigmoid"),
           ("TRNNCell", {"gate_nonlinearity": "hard_sigmoid"}, "gate_act", "hard_sigmoid"),
           ("MiRU1Cell", {"nonlinearity": "relu"}, "act", "relu"),
           ("MiRU1Cell", {"gate_nonlinearity": "softplus"}, "gate_act", "softplus"),
           ("MiRU2Cell", {"nonlinearity": "gelu"}, "act", "gelu")]


@pytest.mark.parametrize("cls, kwargs, attr, value", REFUSED,
                         ids=[f"{c}-{a}" for c, _k, a, _v in REFUSED])
def test_a_module_with_another_activation_is_refused_by_name(tr, cls, kwargs, attr, value):
    assert_activation_refused(tr, cls, kwargs, attr, value, I_, H)


def test_a_custom_activation_module_is_refused_naming_its_class(tr):
    import torch

    class MyTanh(torch.nn.Tanh):
        pass

    mod = tr.MGUCell(I_, H, nonlinearity=MyTanh())
    with pytest.raises(NumericError, match="act is a MyTanh, which no cell models"):
        nm.from_torch(mod)


def test_miru_state_dicts_need_their_coefficients(tr):
    sd = tr.MiRU1Cell(I_, H).state_dict()
    with pytest.raises(NumericError, match=r"'update_coefficient'.*scalars=\{'lam': value\}"):
        nm.from_torch(sd, cell="miru1")
    sd2 = tr.MiRU2Cell(I_, H).state_dict()
    with pytest.raises(NumericError, match=r"'reset_coefficient'.*scalars=\{'theta': value\}"):
        nm.from_torch(sd2, cell="miru2", scalars={"lam": 0.5})
    with pytest.raises(NumericError, match=r"scalars \['gamma'\] are not"):
        nm.from_torch(sd, cell="miru1", scalars={"lam": 0.5, "gamma": 1.0})
    with pytest.raises(NumericError, match=r"scalars \['lam'\] are not.*it has none"):
        nm.from_torch(tr.UGRNNCell(I_, H).state_dict(), cell="ugrnn", scalars={"lam": 0.5})
    with pytest.raises(NumericError, match="scalars= is for a state dict"):
        nm.from_torch(tr.MiRU1Cell(I_, H), scalars={"lam": 0.5})


@pytest.mark.parametrize("lam, theta", [(0.8, -0.3), (1.0, 2.0), (0.0, 0.5)])
def test_miru_coefficients_are_read_from_the_module_and_from_scalars(tr, lam, theta):
    import torch
    x, h = _xh(3)
    for cls, cell, kw, sc in (
            ("MiRU1Cell", "miru1", {"update_coefficient": lam}, {"lam": lam}),
            ("MiRU2Cell", "miru2", {"update_coefficient": lam, "reset_coefficient": theta},
             {"lam": lam, "theta": theta})):
        mod = getattr(tr, cls)(I_, H, dtype=torch.float64, **kw)
        want = mod(x, h).detach().numpy()
        for p in (nm.from_torch(mod), nm.from_torch(mod.state_dict(), cell=cell, scalars=sc)):
            assert rel(nm.step(p, x.numpy(), h.numpy()), want) < TOL, (cls, lam, theta)


@pytest.mark.parametrize("cls", ["MGUCell", "MinimalRNNCell", "UGRNNCell", "LightRUCell",
                                 "LiGRUCell", "SGRNCell", "STARCell", "ATRCell", "TRNNCell",
                                 "MiRU1Cell", "MiRU2Cell"])
def test_without_biases_the_zero_buffers_load_as_zero_biases(tr, cls):
    import torch
    kwargs = {"bias": False} if cls == "TRNNCell" else {"bias": False, "recurrent_bias": False}
    mod = getattr(tr, cls)(I_, H, dtype=torch.float64, **kwargs)
    x, h = _xh(4)
    p = nm.from_torch(mod)
    assert all(not np.any(p.arrays[b.name]) for b in p.cell.biases)
    assert rel(nm.step(p, x.numpy(), h.numpy()), mod(x, h).detach().numpy()) < TOL


# -- the carry -------------------------------------------------------------------------

#: cell -> (carrying gate, towards, the bias (symbol) that saturates it)
CARRYING = {"mgu": ("f", 0, "b_if"), "minimalrnn": ("u", 1, "b_u"),
            "ugrnn": ("g", 1, "b_ig"), "lightru": ("f", 0, "b_if"),
            "ligru": ("z", 1, "b_iz"), "trnn": ("f", 1, "b_if")}


def test_the_cells_declare_the_carrying_gates_of_their_papers():
    for name in CODE:
        c = dv.cell(name)
        got = None if c.carrying is None else (c.carrying.gate.name, c.carrying.towards)
        want = CARRYING[name][:2] if name in CARRYING else None
        assert got == want, name


@pytest.mark.parametrize("cell", sorted(CARRYING))
def test_a_saturated_carrying_gate_makes_the_jacobian_the_identity(cell):
    _gate, towards, bias = CARRYING[cell]
    sd, x, h = draw(cell, 2)
    p0 = params(cell, sd)
    sign = 1.0 if towards == 1 else -1.0
    gaps = []
    for push in (2.0, 5.0, 10.0, 40.0):
        p = p0.with_arrays(**{bias: p0.arrays[bias] + sign * push})
        J = nm.jacobian(p, x, h)
        gap = np.linalg.norm(J - np.eye(H), 2, axis=(1, 2))
        r = nm.check_bounds(p, x, h)
        assert r.ok.all(), (cell, push)
        assert np.allclose(r.gap, gap, rtol=1e-9, atol=1e-15)
        assert (gap <= r.saturation * (1 + 1e-9) + 1e-15).all(), (cell, push)
        gaps.append(gap.max())
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 1e-12, (cell, gaps)


def jac_fd(f, x, h, eps=1e-6):
    """Central differences of a NumPy step, per sample: (B, H, H)."""
    J = np.empty((B, H, H))
    for j in range(H):
        e = np.zeros(H)
        e[j] = eps
        J[:, :, j] = (f(x, h + e) - f(x, h - e)) / (2 * eps)
    return J


@pytest.mark.parametrize("cell", sorted(CODE))
def test_numeric_jacobian_equals_central_differences_of_the_numpy_forward(cell):
    shapes, ref, scalars = CODE[cell]
    sd, x, h = draw(cell, 5)
    J = nm.jacobian(params(cell, sd, **scalars), x, h)
    assert np.max(np.abs(J - jac_fd(lambda a, b: ref(sd, a, b, **scalars), x, h))) < 1e-8


def test_star_and_sgrn_do_not_carry_their_gate_gives_tanh_of_the_old_state():
    # STAR at k -> 0 and SGRN at f -> 1: h_t = tanh(h_{t-1}), J = diag(1 - tanh^2 h_{t-1})
    for cell, bias, sign in (("star", "b_ik", -1.0), ("sgrn", "b_hh", 1.0)):
        sd, x, h = draw(cell, 3)
        p = params(cell, sd)
        p = p.with_arrays(**{bias: p.arrays[bias] + sign * 40.0})
        assert np.max(np.abs(nm.step(p, x, h) - np.tanh(h))) < 1e-14
        want = np.stack([np.diag(1 - np.tanh(v) ** 2) for v in h])
        assert np.max(np.abs(nm.jacobian(p, x, h) - want)) < TOL, cell
        assert np.linalg.norm(want - np.eye(H), 2, axis=(1, 2)).min() > 0.05


def test_atr_carries_only_when_both_twin_gates_saturate():
    sd, x, h = draw("atr", 3)
    p0 = params("atr", sd)
    # q -> -inf: f -> 1 and i -> 0 together, h_t -> h_{t-1} and J -> I
    p = p0.with_arrays(b_hh=p0.arrays["b_hh"] - 40.0)
    assert np.max(np.abs(nm.jacobian(p, x, h) - np.eye(H))) < 1e-12
    assert np.max(np.abs(nm.step(p, x, h) - h)) < 1e-12
    # p - q -> +inf with p + q = O(1): f -> 1 but i stays inside (0, 1), and the input
    # gate's term diag(i (1 - i) p) W_hh stays (p ~ 20)
    p = p0.with_arrays(b_ih=p0.arrays["b_ih"] + 20.0, b_hh=p0.arrays["b_hh"] - 20.0)
    pp = x @ sd["weight_ih"].T + sd["bias_ih"] + 20.0
    i = sig(pp + h @ sd["weight_hh"].T + sd["bias_hh"] - 20.0)
    want = np.eye(H) + (i * (1 - i) * pp)[:, :, None] * sd["weight_hh"]
    J = nm.jacobian(p, x, h)
    assert rel(J, want) < 1e-9
    assert np.linalg.norm(J - np.eye(H), 2, axis=(1, 2)).min() > 1.0


def test_trnn_jacobian_is_its_forget_gate_whatever_the_state():
    sd, x, h = draw("trnn", 4)
    f = sig(x @ rows(sd["weight_ih"], 2)[1].T + rows(sd["bias_ih"], 2)[1])
    p = params("trnn", sd)
    for state in (h, -3 * h, np.zeros_like(h)):
        J = nm.jacobian(p, x, state)
        assert np.max(np.abs(J - np.stack([np.diag(v) for v in f]))) < 1e-15
    assert (np.linalg.norm(J, 2, axis=(1, 2)) < 1).all()


def test_miru_at_lambda_one_is_the_identity_and_miru2_is_a_scaled_elman_jacobian():
    for cell in ("miru1", "miru2"):
        sd, x, h = draw(cell, 6)
        p = params(cell, sd, **dict(CODE[cell][2], lam=1.0))
        assert np.array_equal(nm.step(p, x, h), h)
        assert np.max(np.abs(nm.jacobian(p, x, h) - np.eye(H))) == 0.0, cell
    sd, x, h = draw("miru2", 6)
    lam, theta = 0.3, -1.4
    cand = np.tanh(x @ sd["weight_ih"].T + sd["bias_ih"] + theta * h @ sd["weight_hh"].T
                   + sd["bias_hh"])
    want = lam * np.eye(H) + (1 - lam) * theta * (1 - cand**2)[:, :, None] * sd["weight_hh"]
    J = nm.jacobian(params("miru2", sd, lam=lam, theta=theta), x, h)
    assert rel(J, want) < TOL


def test_ligru_relu_kink_takes_the_derivative_zero_as_autograd():
    # x = 0, h = 0 and zero candidate biases: the candidate pre-activation is exactly 0, so
    # relu'(0) = 0 leaves J = diag(z) (with relu'(0) = 1 it would add diag(1 - z) W_hn)
    sd, _x, _h = draw("ligru", 8)
    sd["bias_ih"][H:] = 0.0
    sd["bias_hh"][H:] = 0.0
    x, h = np.zeros((B, I_)), np.zeros((B, H))
    z = sig(sd["bias_ih"][:H] + sd["bias_hh"][:H])
    J = nm.jacobian(params("ligru", sd), x, h)
    assert np.array_equal(J, np.broadcast_to(np.diag(z), (B, H, H)))


# -- the derived bounds, against bounds derived by hand ---------------------------------
# (tests/_hand_bounds_minimal.py, which test_bounds_symbolic also reads under the ci profile)

HAND_GLOBAL = {name: v[("h", "h")] for (name, _conv), v in hand.HAND_GLOBAL.items()}
HAND_K = {name: v[("h", "h")] for (name, _conv), v in hand.HAND_K.items()}


@pytest.mark.parametrize("cell", sorted(HAND_GLOBAL))
def test_global_upper_bound_equals_the_hand_derived_one(cell):
    c = dv.cell(cell)
    blocks = dv.derive(c).bounds.blocks
    assert set(blocks) == {("h", "h")}
    got = blocks[("h", "h")].get(BoundKind.GLOBAL_UPPER)
    assert not isinstance(got, NoGlobalBound)
    assert sp.simplify(got.expr - HAND_GLOBAL[cell]) == 0, (cell, got.expr)


@pytest.mark.parametrize("cell", sorted(HAND_GLOBAL))
def test_saturation_constant_equals_the_hand_derived_one(cell):
    c = dv.cell(cell)
    sats = [b for b in dv.derive(c).bounds.all() if b.kind is BoundKind.SATURATION]
    if cell not in HAND_K:
        assert sats == [] and c.carrying is None
        return
    (sat,) = sats
    assert sp.simplify(sat.K - HAND_K[cell]) == 0, (cell, sat.K)
    assert (sat.gate, sat.towards) == (c.carrying.gate, c.carrying.towards)


@pytest.mark.parametrize("cell", sorted(HAND_GLOBAL))
def test_the_bounds_hold_on_samples_at_three_weight_scales(cell):
    for scale in (0.3, 1.0, 3.0):
        sd, x, h = draw(cell, 11, scale=scale)
        r = nm.check_bounds(params(cell, sd, **CODE[cell][2]), x, h)
        assert r.ok.all() and (r.norm <= r.upper * (1 + 1e-9)).all(), (cell, scale)
        assert (r.upper <= r.global_upper * (1 + 1e-9)).all(), (cell, scale)


@pytest.mark.parametrize("lam, theta", [(0.3, -1.4), (-0.5, 0.7), (1.6, 2.0)])
def test_miru_jacobian_norms_stay_under_the_hand_bound(lam, theta):
    # by hand, at coefficients of either sign and beyond 1: ||J||_2 <= |lam| +
    # |1 - lam| ||W_hn|| (1 + ||h||_oo ||W_hr|| / 4) (MiRU-1), |lam| + |1 - lam| |theta|
    # ||W_hn|| (MiRU-2), and the derived |1 - lam| <= 1 + |lam| above them
    for cell, sc in (("miru1", {"lam": lam}), ("miru2", {"lam": lam, "theta": theta})):
        for scale in (0.3, 1.0, 3.0):
            sd, x, h = draw(cell, 12, scale=scale)
            norm = np.linalg.norm(nm.jacobian(params(cell, sd, **sc), x, h), 2, axis=(1, 2))
            W_hn = rows(sd["weight_hh"], 2)[1] if cell == "miru1" else sd["weight_hh"]
            wn = np.linalg.norm(W_hn, 2)
            if cell == "miru1":
                wr = np.linalg.norm(rows(sd["weight_hh"], 2)[0], 2)
                inner = 1 + np.abs(h).max(axis=1) * wr / 4
            else:
                inner = abs(theta)
            hand = abs(lam) + abs(1 - lam) * wn * inner
            assert (norm <= hand * (1 + 1e-12)).all(), (cell, scale)
            assert (hand <= abs(lam) + (1 + abs(lam)) * wn * inner + 1e-15).all()

"""The residual and oscillator cells of torchrecurrent (family ``ode``) against their papers.

Each reference below is transcribed here in plain NumPy from torchrecurrent's ``forward``
(and, where they differ, from the paper), independent of the cell language: the engine's
``step`` must equal the code's form (1e-12 relative) and differ from the paper's where the
cell docstring says so; its ``jacobian`` must equal central differences of the reference.
Then what each cell is about: the carry (a saturated gate makes the step Jacobian the
identity), the oscillators' "identity plus O(dt)" (the O(dt) term is the Jacobian of the ODE
they discretize), UnICORNN's volume preservation, and the loader's refusals.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import derivations as dv
import numeric
from numeric import NumericError
from tests._zoo_numpy import rel

RTOL = 1e-12
H, I, B = 5, 3, 4


def _sig(u):
    return 0.5 * (1.0 + np.tanh(0.5 * u))


def _lin(x, W):
    return x @ W.T


# -- references from the code (torchrecurrent's forward) and the papers ---------------------
def ref_indrnn(a, x, h, act):
    return act(_lin(x, a["W"]) + a["u"] * h + a["b"])


def ref_fastrnn(a, x, h):
    h_tilde = np.tanh(_lin(x, a["W_ih"]) + a["b_ih"] + _lin(h, a["W_hh"]) + a["b_hh"])
    return _sig(a["alpha"]) * h_tilde + _sig(a["beta"]) * h


def ref_fastgrnn(a, x, h, gate):
    """Kusupati et al. 2018 (FastGRNN) with the gate activation ``gate`` (tanh: torchrecurrent's
    default; sigmoid: the paper's)."""
    pre = _lin(x, a["W_ih"]) + _lin(h, a["W_hh"])
    z = gate(pre + a["b_iz"] + a["b_hz"])
    h_tilde = np.tanh(pre + a["b_in"] + a["b_hn"])
    return (_sig(a["zeta"]) * (1 - z) + _sig(a["nu"])) * h_tilde + z * h


def _cornn_force(a, x, h, c):
    return np.tanh(_lin(x, a["W_ih"]) + a["b_ih"] + _lin(h, a["W_hh"]) + a["b_hh"]
                   + _lin(c, a["W_ch"]) + a["b_ch"])


def ref_cornn(a, x, state):
    """torchrecurrent (and the authors' code): explicit damping."""
    h, c = state
    dt, gamma, eps = (float(a[k]) for k in ("dt", "gamma", "epsilon"))
    c2 = c + dt * _cornn_force(a, x, h, c) - dt * gamma * h - dt * eps * c
    return h + dt * c2, c2


def ref_cornn_paper(a, x, state):
    """Rusch & Mishra 2021 (the paper's scheme): z_n implicit in the damping."""
    y, z = state
    dt, gamma, eps = (float(a[k]) for k in ("dt", "gamma", "epsilon"))
    z2 = (z + dt * _cornn_force(a, x, y, z) - dt * gamma * y) / (1 + dt * eps)
    return y + dt * z2, z2


def ref_unicornn(a, x, state):
    y, z = state
    dt, alpha = float(a["dt"]), float(a["alpha"])
    step = dt * _sig(a["w_ch"])
    z2 = z - step * (np.tanh(a["w_hh"] * y + _lin(x, a["W_ih"]) + a["b_ih"] + a["b_hh"])
                     + alpha * y)
    return y + step * z2, z2


def ref_lem(a, x, state, paper=False):
    """torchrecurrent: the new h reads the old c; the paper (``paper=True``): the new z."""
    y, z = state
    dt = float(a["dt"])

    def pre(k):
        return _lin(x, a[f"W_i{k}"]) + a[f"b_i{k}"] + _lin(y, a[f"W_h{k}"]) + a[f"b_h{k}"]

    dt_bar_n, dt_n = dt * _sig(pre(1)), dt * _sig(pre(2))
    z2 = (1 - dt_n) * z + dt_n * np.tanh(pre(3))
    reads = z2 if paper else z
    y_in = _lin(x, a["W_i4"]) + a["b_i4"] + _lin(reads, a["W_ch"]) + a["b_ch"]
    return (1 - dt_bar_n) * y + dt_bar_n * np.tanh(y_in), z2


def _asym(a):
    W = a["W_hh"]
    return W - W.T - float(a["gamma"]) * np.eye(W.shape[0])


def ref_antisymmetric(a, x, h):
    """Chang et al. 2019; torchrecurrent's two biases are the paper's b_h."""
    n = np.tanh(_lin(h, _asym(a)) + _lin(x, a["W_ih"]) + a["b_ih"] + a["b_hh"])
    return h + float(a["epsilon"]) * n


def ref_gated_antisymmetric(a, x, h):
    """Chang et al. 2019, gated: the gate reads the same A, and no recurrent bias."""
    A = _asym(a)
    z = _sig(_lin(h, A) + _lin(x, a["W_iz"]) + a["b_iz"])
    n = np.tanh(_lin(h, A) + _lin(x, a["W_in"]) + a["b_in"] + a["b_hn"])
    return h + float(a["epsilon"]) * z * n


CASES = [
    ("indrnn", None, lambda a, x, h: ref_indrnn(a, x, h, lambda u: np.maximum(u, 0.0))),
    ("indrnn", "tanh", lambda a, x, h: ref_indrnn(a, x, h, np.tanh)),
    ("fastrnn", None, ref_fastrnn),
    ("fastgrnn", None, lambda a, x, h: ref_fastgrnn(a, x, h, np.tanh)),
    ("fastgrnn", "sigmoid", lambda a, x, h: ref_fastgrnn(a, x, h, _sig)),
    ("cornn", None, ref_cornn),
    ("unicornn", None, ref_unicornn),
    ("lem", None, ref_lem),
    ("antisymmetric_rnn", None, ref_antisymmetric),
    ("gated_antisymmetric_rnn", None, ref_gated_antisymmetric),
]
IDS = [f"{n}-{c}" for n, c, _ in CASES]

#: non-default hyper-parameters, so that each one is exercised
SCALARS = {"fastrnn": {"alpha": 0.4, "beta": -0.7}, "fastgrnn": {"zeta": 0.9, "nu": -1.2},
           "cornn": {"dt": 0.3, "gamma": 1.7, "epsilon": 0.6},
           "unicornn": {"dt": 0.4, "alpha": 0.8}, "lem": {"dt": 0.7},
           "antisymmetric_rnn": {"epsilon": 0.3, "gamma": 0.2},
           "gated_antisymmetric_rnn": {"epsilon": 0.6, "gamma": 0.1}}


def _case(name, conv, seed=0, scale=2.0):
    cell = dv.cell(name, conv)
    p = numeric.init(cell, H, I, seed=seed, scale=scale)
    p = p.with_arrays(**SCALARS.get(name, {}))
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(size=(B, I))
    state = tuple(rng.uniform(-0.9, 0.9, size=(B, H)) for _ in cell.states)
    return p, x, state if len(state) > 1 else state[0]


def _tuple(s):
    return s if isinstance(s, tuple) else (s,)


def _flat(s):
    return np.concatenate(_tuple(s), axis=1)


def _central_jacobian(f, state, eps=1e-6):
    """(B, S*H, S*H) central differences of ``f`` (state tuple -> state tuple)."""
    flat = _flat(state)
    n = len(_tuple(state))
    J = np.empty((B, flat.shape[1], flat.shape[1]))
    for k in range(flat.shape[1]):
        d = np.zeros_like(flat)
        d[:, k] = eps
        up = _flat(f(tuple(np.split(flat + d, n, axis=1))))
        dn = _flat(f(tuple(np.split(flat - d, n, axis=1))))
        J[:, :, k] = (up - dn) / (2 * eps)
    return J


def _wrap(ref, a, x, multi):
    return (lambda s: ref(a, x, s)) if multi else (lambda s: (ref(a, x, s[0]),))


@pytest.mark.parametrize(("name", "conv", "ref"), CASES, ids=IDS)
def test_step_equals_the_code_written_in_numpy(name, conv, ref):
    p, x, state = _case(name, conv)
    ours = _tuple(numeric.step(p, x, state))
    want = _tuple(ref(p.arrays, x, state))
    for a, b in zip(ours, want, strict=True):
        assert rel(a, b) < RTOL, name


@pytest.mark.parametrize(("name", "conv", "ref"), CASES, ids=IDS)
def test_jacobian_equals_central_differences_of_the_reference(name, conv, ref):
    p, x, state = _case(name, conv, seed=3)
    multi = isinstance(state, tuple)
    J = numeric.jacobian(p, x, state, full=True)
    Jc = _central_jacobian(_wrap(ref, p.arrays, x, multi), _tuple(state))
    assert np.max(np.abs(J - Jc)) < 1e-7 * max(1.0, np.max(np.abs(Jc)))


# -- paper vs code: what the docstrings say ------------------------------------------------
def test_lem_new_h_reads_the_old_c_not_the_papers_new_one():
    p, x, state = _case("lem", None)
    h, c = numeric.step(p, x, state)
    h_paper, c_paper = ref_lem(p.arrays, x, state, paper=True)
    assert rel(c, c_paper) < RTOL             # c's update is the paper's
    assert rel(h, h_paper) > 1e-3             # h's is not: it reads c_{t-1}
    assert rel(h, ref_lem(p.arrays, x, state)[0]) < RTOL


def test_cornn_damps_explicitly_where_the_paper_is_implicit():
    """The two schemes differ by O(dt^2): at dt = 0.3 visibly, at dt = 1e-4 by < 1e-7."""
    p, x, state = _case("cornn", None)
    gaps = []
    for dt in (0.3, 1e-4):
        q = p.with_arrays(dt=dt)
        h, c = numeric.step(q, x, state)
        y, z = ref_cornn_paper(q.arrays, x, state)
        gaps.append(max(np.max(np.abs(h - y)), np.max(np.abs(c - z))))
        assert max(rel(h, ref_cornn(q.arrays, x, state)[0]),
                   rel(c, ref_cornn(q.arrays, x, state)[1])) < RTOL
    assert gaps[0] > 1e-3 and gaps[1] < 1e-7


def test_fastgrnn_default_gate_is_tanh_and_the_sigmoid_convention_is_the_paper():
    p, x, h = _case("fastgrnn", None)
    q = numeric.Params(dv.cell("fastgrnn", "sigmoid"), p.parameters)
    assert rel(numeric.step(p, x, h), ref_fastgrnn(p.arrays, x, h, np.tanh)) < RTOL
    assert rel(numeric.step(q, x, h), ref_fastgrnn(p.arrays, x, h, _sig)) < RTOL
    assert rel(numeric.step(p, x, h), numeric.step(q, x, h)) > 1e-2


# -- the carry -------------------------------------------------------------------------------
@pytest.mark.parametrize("conv", [None, "sigmoid"])
def test_fastgrnn_saturated_gate_carries_up_to_the_nu_term(conv):
    """z -> 1 (gate bias 40): J = I + sigma(nu) diag(1 - n^2) W_hh, computed here from the
    paper; with nu -> -inf (sigma(nu) ~ 4e-18) J = I."""
    p, x, h = _case("fastgrnn", conv)
    p = p.with_arrays(b_iz=np.full(H, 40.0), b_hz=np.zeros(H))
    a = p.arrays
    n = np.tanh(_lin(x, a["W_ih"]) + _lin(h, a["W_hh"]) + a["b_in"] + a["b_hn"])
    J = numeric.jacobian(p, x, h)
    want = np.eye(H) + _sig(a["nu"]) * (1 - n**2)[:, :, None] * a["W_hh"][None]
    assert np.max(np.abs(J - want)) < 1e-12
    J0 = numeric.jacobian(p.with_arrays(nu=-40.0), x, h)
    assert np.max(np.abs(J0 - np.eye(H))) < 1e-12


def test_lem_time_step_towards_zero_makes_the_c_block_the_identity():
    """s -> 0 (bias -60): dc_t/dc_{t-1} = diag(1 - dt s) = I and c no longer reads h."""
    p, x, state = _case("lem", None)
    p = p.with_arrays(b_i2=np.full(H, -60.0), b_h2=np.zeros(H))
    J = numeric.jacobian(p, x, state, full=True)
    assert np.max(np.abs(J[:, H:, H:] - np.eye(H))) < 1e-15
    assert np.max(np.abs(J[:, H:, :H])) < 1e-15
    assert dv.cell("lem").carrying.towards == 0


def _vector_field_cornn(a, x):
    def F(s):
        h, c = s
        return c, _cornn_force(a, x, h, c) - float(a["gamma"]) * h - float(a["epsilon"]) * c
    return F


def _vector_field_unicornn(a, x):
    def F(s):
        y, z = s
        sig = _sig(a["w_ch"])
        return sig * z, -sig * (np.tanh(a["w_hh"] * y + _lin(x, a["W_ih"]) + a["b_ih"]
                                        + a["b_hh"]) + float(a["alpha"]) * y)
    return F


def _vector_field_lem(a, x):
    def F(s):
        y, z = s

        def pre(k):
            return _lin(x, a[f"W_i{k}"]) + a[f"b_i{k}"] + _lin(y, a[f"W_h{k}"]) + a[f"b_h{k}"]

        y_tilde = np.tanh(_lin(x, a["W_i4"]) + a["b_i4"] + _lin(z, a["W_ch"]) + a["b_ch"])
        return (_sig(pre(1)) * (y_tilde - y), _sig(pre(2)) * (np.tanh(pre(3)) - z))
    return F


FIELDS = [("cornn", _vector_field_cornn), ("unicornn", _vector_field_unicornn),
          ("lem", _vector_field_lem)]


@pytest.mark.parametrize(("name", "field"), FIELDS, ids=[n for n, _ in FIELDS])
def test_oscillator_carry_is_the_identity_plus_dt_times_the_odes_jacobian(name, field):
    """(J - I) / dt -> F'(h, c), F the ODE's vector field (central differences), as dt -> 0:
    at dt = 1e-6 to 1e-6."""
    p, x, state = _case(name, None)
    p = p.with_arrays(dt=1e-6)
    J = numeric.jacobian(p, x, state, full=True)
    Fp = _central_jacobian(field(p.arrays, x), state)
    assert np.max(np.abs((J - np.eye(2 * H)) / 1e-6 - Fp)) < 1e-6 * max(1, np.max(np.abs(Fp)))


def test_lem_torchrecurrent_step_is_forward_euler_exactly():
    """Reading the old c, torchrecurrent's LEM is forward Euler of the LEM ODE, so J = I +
    dt F' holds at any dt (here 0.7), not only to O(dt^2)."""
    p, x, state = _case("lem", None)
    J = numeric.jacobian(p, x, state, full=True)
    Fp = _central_jacobian(_vector_field_lem(p.arrays, x), state)
    assert np.max(np.abs(J - np.eye(2 * H) - 0.7 * Fp)) < 1e-8


def test_unicornn_step_preserves_volume():
    """The symplectic Euler step is a composition of shears: det J = 1 exactly."""
    p, x, state = _case("unicornn", None)
    p = p.with_arrays(dt=0.9, alpha=1.3)
    det = np.linalg.det(numeric.jacobian(p, x, state, full=True))
    np.testing.assert_allclose(det, 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 0.3])
def test_antisymmetric_linear_regime_singular_values(gamma):
    """At zero pre-activation J = (1 - eps gamma) I + eps S, S = W - W^T antisymmetric with
    eigenvalues +-i lambda_k: its singular values are sqrt((1 - eps gamma)^2 + eps^2
    lambda_k^2), all >= 1 when gamma = 0 (no vanishing, Chang et al.'s argument)."""
    p, _, _ = _case("antisymmetric_rnn", None)
    eps = 0.3
    p = p.with_arrays(gamma=gamma, epsilon=eps, W_ih=np.zeros((H, I)), b_ih=np.zeros(H),
                      b_hh=np.zeros(H))
    J = numeric.jacobian(p, np.zeros((1, I)), np.zeros((1, H)))[0]
    W = p.arrays["W_hh"]
    lam = np.abs(np.linalg.eigvals(W - W.T).imag)
    want = np.sort(np.sqrt((1 - eps * gamma) ** 2 + eps**2 * lam**2))
    np.testing.assert_allclose(np.sort(np.linalg.svd(J, compute_uv=False)), want,
                               rtol=1e-12, atol=0)
    if gamma == 0.0:
        assert np.linalg.svd(J, compute_uv=False).min() >= 1 - 1e-12


def test_gated_antisymmetric_closed_gate_carries():
    """z -> 0 (bias -60): the step stops, h_t = h_{t-1}, and J = I."""
    p, x, h = _case("gated_antisymmetric_rnn", None)
    p = p.with_arrays(b_iz=np.full(H, -60.0))
    assert np.max(np.abs(numeric.step(p, x, h) - h)) < 1e-15
    assert np.max(np.abs(numeric.jacobian(p, x, h) - np.eye(H))) < 1e-15
    assert dv.cell("gated_antisymmetric_rnn").carrying.towards == 0


@pytest.mark.parametrize(("name", "conv", "bias", "sign"), [
    ("fastgrnn", None, "b_iz", 1), ("fastgrnn", "sigmoid", "b_iz", 1), ("lem", None, "b_i2", -1),
    ("gated_antisymmetric_rnn", None, "b_iz", -1),
], ids=["fastgrnn", "fastgrnn-sigmoid", "lem", "gated-antisymmetric"])
def test_chrono_init_biases_the_carrying_gate_towards_carrying(name, conv, bias, sign):
    """Tallec & Ollivier's chrono: the carrying gate's bias is +-log U[1, T - 1], its sign the
    one that carries (z -> 1 for FastGRNN, s -> 0 for LEM, z -> 0 for the gated antisymmetric
    RNN), here with T_max = 100."""
    p = numeric.init(dv.cell(name, conv), H, I, seed=0, scheme="chrono", t_max=100)
    b = sign * p.arrays[bias]
    assert np.all(b >= 0) and np.all(b <= np.log(99) + 1e-12)


# -- the loader --------------------------------------------------------------------------------
def _tr():
    torch = pytest.importorskip("torch")
    tr = pytest.importorskip("torchrecurrent")
    return torch, tr


def _module(cls, seed=0, **kwargs):
    torch, tr = _tr()
    mod = getattr(tr, cls)(I, H, dtype=torch.float64, **kwargs)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for prm in mod.parameters():
            prm.copy_(torch.rand(prm.shape, generator=g, dtype=torch.float64) * 1.6 - 0.8)
    return mod


def _torch_step(mod, x, state):
    torch, _ = _tr()
    t = tuple(torch.from_numpy(s) for s in _tuple(state))
    out = mod(torch.from_numpy(x), t if len(t) > 1 else t[0])
    return tuple(o.detach().numpy() for o in _tuple(out))


@pytest.mark.parametrize(("cls", "kwargs", "conv"), [
    ("IndRNNCell", {"nonlinearity": "relu"}, None),
    ("IndRNNCell", {}, "tanh"),
    ("FastGRNNCell", {"nonlinearity": "sigmoid"}, "sigmoid"),
    ("coRNNCell", {"dt": 0.37, "gamma": 2.1, "epsilon": 0.3}, None),
    ("UnICORNNCell", {"dt": 0.6, "alpha": 0.9, "recurrent_bias": True}, None),
    ("LEMCell", {"dt": 0.45}, None),
    ("AntisymmetricRNNCell", {"epsilon": 0.2, "gamma": 0.05}, None),
    ("GatedAntisymmetricRNNCell", {"epsilon": 0.7, "gamma": 0.4}, None),
], ids=["indrnn-relu", "indrnn-tanh", "fastgrnn-sigmoid", "cornn", "unicornn", "lem",
        "antisymmetric", "gated-antisymmetric"])
def test_module_options_map_to_the_convention_and_its_step(cls, kwargs, conv):
    mod = _module(cls, **kwargs)
    p = numeric.from_torch(mod)
    assert p.cell.convention == conv
    rng = np.random.default_rng(5)
    x = rng.normal(size=(B, I))
    state = tuple(rng.uniform(-0.9, 0.9, size=(B, H)) for _ in p.cell.states)
    state = state if len(state) > 1 else state[0]
    ours = _tuple(numeric.step(p, x, state))
    for a, b in zip(ours, _torch_step(mod, x, state), strict=True):
        assert rel(a, b) < RTOL
    name = p.cell.name + ("" if conv is None else f":{conv}")
    spec_scalars = {k: float(v) for k, v in kwargs.items() if k in ("dt", "gamma", "epsilon")
                    or (cls == "UnICORNNCell" and k == "alpha")}
    if p.cell.derived:  # A = W_hh - W_hh^T - gamma I, from torchrecurrent's weight_hh
        W = mod.weight_hh.detach().numpy()
        want = W - W.T - kwargs["gamma"] * np.eye(H)
        np.testing.assert_allclose(p.arrays["A"], want, rtol=0, atol=1e-15)
    sd = numeric.from_torch(mod.state_dict(), cell=name, scalars=spec_scalars or None)
    for k, v in p.arrays.items():
        np.testing.assert_array_equal(sd.arrays[k], v)


def test_indrnn_bias_is_the_sum_of_torchrecurrents_two():
    mod = _module("IndRNNCell")
    p = numeric.from_torch(mod)
    want = (mod.bias_ih + mod.bias_hh).detach().numpy()
    np.testing.assert_allclose(p.arrays["b"], want, rtol=0, atol=0)


@pytest.mark.parametrize(("cls", "kwargs", "named"), [
    ("IndRNNCell", {"nonlinearity": "sigmoid"}, "act='sigmoid'"),
    ("FastRNNCell", {"nonlinearity": "relu"}, "act='relu'"),
    ("FastGRNNCell", {"nonlinearity": "hard_sigmoid"}, "act='hard_sigmoid'"),
    ("AntisymmetricRNNCell", {"nonlinearity": "relu"}, "act='relu'"),
], ids=["indrnn", "fastrnn", "fastgrnn", "antisymmetric"])
def test_loader_refuses_an_activation_no_convention_models(cls, kwargs, named):
    mod = _module(cls, **kwargs)
    with pytest.raises(NumericError, match=named):
        numeric.from_torch(mod)


def test_loader_refuses_a_lookalike_activation_module():
    torch, _ = _tr()

    class MyTanh(torch.nn.Tanh):
        pass

    mod = _module("IndRNNCell", nonlinearity=MyTanh())
    with pytest.raises(NumericError, match="MyTanh, which no cell models"):
        numeric.from_torch(mod)


@pytest.mark.parametrize(("cls", "cell", "given", "missing"), [
    ("coRNNCell", "cornn", None, "dt"),
    ("coRNNCell", "cornn", {"dt": 0.1}, "gamma"),
    ("coRNNCell", "cornn", {"dt": 0.1, "gamma": 1.0}, "epsilon"),
    ("UnICORNNCell", "unicornn", {"dt": 0.1}, "alpha"),
    ("LEMCell", "lem", None, "dt"),
    ("AntisymmetricRNNCell", "antisymmetric_rnn", {"epsilon": 1.0}, "gamma"),
    ("GatedAntisymmetricRNNCell", "gated_antisymmetric_rnn", None, "epsilon"),
], ids=["cornn-dt", "cornn-gamma", "cornn-epsilon", "unicornn-alpha", "lem-dt",
        "antisymmetric-gamma", "gated-antisymmetric-epsilon"])
def test_state_dict_without_a_python_float_hyperparameter_is_refused(cls, cell, given,
                                                                     missing):
    sd = _module(cls).state_dict()
    with pytest.raises(NumericError, match=rf"hyper-parameter '{missing}'.*scalars="):
        numeric.from_torch(sd, cell=cell, scalars=given)


@pytest.mark.parametrize(("cls", "cell", "scalars"), [
    ("FastRNNCell", "fastrnn", {"alpha": 0.5}),
    ("FastGRNNCell", "fastgrnn", {"nu": -2.0}),
    ("LEMCell", "lem", {"dt": 1.0, "gamma": 1.0}),
], ids=["fastrnn-learnable-alpha", "fastgrnn-learnable-nu", "lem-no-gamma"])
def test_state_dict_refuses_scalars_that_are_not_python_floats(cls, cell, scalars):
    """FastRNN's alpha and FastGRNN's nu are learnable (in the state dict); LEM has no
    gamma: a scalar the loader would not use is refused, by name."""
    sd = _module(cls).state_dict()
    bad = sorted(set(scalars) - {"dt"})
    with pytest.raises(NumericError, match=re.escape(f"scalars {bad!r} are not hyper-")):
        numeric.from_torch(sd, cell=cell, scalars=scalars)


def test_learnable_scalars_are_read_from_the_state_dict():
    mod = _module("FastGRNNCell", seed=4)
    p = numeric.from_torch(mod.state_dict(), cell="fastgrnn")
    assert float(p.arrays["zeta"]) == mod.zeta.detach().item()
    assert float(p.arrays["nu"]) == mod.nu.detach().item()

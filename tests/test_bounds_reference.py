"""Independent references for the bound tests: hand-written NumPy cells and complex step.

The forward steps below are written from the papers' equations (DESIGN.md), not from the
derivation or the numeric engine; their Jacobians come from the complex-step derivative
:math:`\\partial f / \\partial s_k = \\operatorname{Im} f(s + i \\eta e_k) / \\eta`, exact to
rounding for real-analytic steps. The tests at the bottom check the references themselves
against central finite differences and closed forms written out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

ETA = 1e-30


def sig(u):
    return 0.5 * np.tanh(0.5 * u) + 0.5


def _mv(W, v):
    return v @ W.T


def ref_step(name, conv, P, x, state):
    """One step from the papers' equations; ``P`` maps symbol names to arrays."""
    if name == "elman":
        h = state
        return np.tanh(_mv(P["W_ih"], x) + P["b_ih"] + _mv(P["W_hh"], h) + P["b_hh"])
    if name == "gru":
        h = state
        r = sig(_mv(P["W_ir"], x) + P["b_ir"] + _mv(P["W_hr"], h) + P["b_hr"])
        z = sig(_mv(P["W_iz"], x) + P["b_iz"] + _mv(P["W_hz"], h) + P["b_hz"])
        if conv == "pytorch":
            n = np.tanh(_mv(P["W_in"], x) + P["b_in"] + r * (_mv(P["W_hn"], h) + P["b_hn"]))
            return (1 - z) * n + z * h
        n = np.tanh(_mv(P["W_in"], x) + P["b_in"] + _mv(P["W_hn"], r * h) + P["b_hn"])
        if conv == "cho":
            return (1 - z) * n + z * h
        return (1 - z) * h + z * n
    if name == "lstm":
        h, c = state
        pre = {g: _mv(P["W_i" + g], x) + P["b_i" + g] + _mv(P["W_h" + g], h) + P["b_h" + g]
               for g in "ifgo"}
        i, f, o = sig(pre["i"]), sig(pre["f"]), sig(pre["o"])
        g = np.tanh(pre["g"])
        c2 = f * c + i * g
        return (o * np.tanh(c2), c2)
    if name == "minimalrnn":
        h = state
        z = np.tanh(_mv(P["W_x"], x) + P["b_z"])
        u = sig(_mv(P["U_h"], h) + _mv(P["U_z"], z) + P["b_u"])
        return u * h + (1 - u) * z
    if name == "mgu":
        h = state
        f = sig(_mv(P["W_if"], x) + P["b_if"] + _mv(P["W_hf"], h) + P["b_hf"])
        n = np.tanh(_mv(P["W_in"], x) + P["b_in"] + _mv(P["W_hn"], f * h) + P["b_hn"])
        return (1 - f) * h + f * n
    raise KeyError(name)


def ref_gates(name, conv, P, x, state):
    """The carrying gate (``cell.carrying.gate``) and its pre-activation."""
    h = state[0] if isinstance(state, tuple) else state
    key = {"gru": "z", "lstm": "f", "mgu": "f", "minimalrnn": None}[name]
    if key is None:
        z = np.tanh(_mv(P["W_x"], x) + P["b_z"])
        a = _mv(P["U_h"], h) + _mv(P["U_z"], z) + P["b_u"]
    else:
        a = _mv(P["W_i" + key], x) + P["b_i" + key] + _mv(P["W_h" + key], h) + P["b_h" + key]
    return sig(a), a


def _flat(state):
    return np.concatenate(state, axis=1) if isinstance(state, tuple) else state


def _unflat(v, multi, H):
    return (v[:, :H], v[:, H:]) if multi else v


def ref_jacobian(name, conv, P, x, state, *, wrt=None, out=None):
    """(B, n_out, n_in) complex-step Jacobian of the next (full) state.

    ``wrt``/``out`` pick LSTM blocks by index (0 = h, 1 = c); default: the full state.
    """
    multi = isinstance(state, tuple)
    s = _flat(state).astype(complex)
    B, N = s.shape
    H = N // 2 if multi else N
    cols = np.arange(N) if wrt is None else np.arange(wrt * H, (wrt + 1) * H)
    # all perturbations in one batch: (len(cols) * B, N)
    sp_ = np.repeat(s[None], len(cols), axis=0)
    sp_[np.arange(len(cols)), :, cols] += 1j * ETA
    xr = np.broadcast_to(x.astype(complex), (len(cols), *x.shape)).reshape(-1, x.shape[1])
    nxt = _flat(ref_step(name, conv, P, xr, _unflat(sp_.reshape(-1, N), multi, H)))
    J = (nxt.imag / ETA).reshape(len(cols), B, -1).transpose(1, 2, 0)
    if out is not None:
        J = J[:, out * H:(out + 1) * H]
    return J


def rand_params(name, conv, H, I, rng, scale=1.0, bias_shift=0.0):
    """PyTorch-style U(-1/sqrt(H), 1/sqrt(H)) weights, recurrent ones times ``scale``."""
    import derivations as dv

    cell = dv.cell(name, conv)
    k = 1 / np.sqrt(H)
    dims = {"H": H, "I": I}
    P = {}
    for W in cell.weights:
        r, c = (dims[d] for d in cell.weight_shapes[W])
        a = rng.uniform(-k, k, size=(r, c))
        P[W.name] = a * scale if cell.weight_shapes[W][1] == "H" else a
    for b in cell.biases:
        P[b.name] = rng.uniform(-k, k, size=H)
    return P


# -- the references checked ---------------------------------------------------------------
KEYS = [("elman", None), ("gru", "pytorch"), ("gru", "cho"), ("gru", "seed"), ("lstm", None),
        ("minimalrnn", None), ("mgu", None)]


@pytest.mark.parametrize(("name", "conv"), KEYS)
def test_complex_step_reference_matches_central_differences(name, conv):
    rng = np.random.default_rng(7)
    H, I, B = 5, 3, 2
    P = rand_params(name, conv, H, I, rng, scale=1.3)
    x = rng.normal(size=(B, I))
    state = rng.uniform(-1, 1, size=(B, H))
    if name == "lstm":
        state = (state, rng.normal(size=(B, H)))
    J = ref_jacobian(name, conv, P, x, state)
    s = _flat(state)
    fd = np.empty_like(J)
    d = 1e-6
    for k in range(s.shape[1]):
        e = np.zeros_like(s)
        e[:, k] = d
        hi = _flat(ref_step(name, conv, P, x, _unflat(s + e, name == "lstm", H)))
        lo = _flat(ref_step(name, conv, P, x, _unflat(s - e, name == "lstm", H)))
        fd[:, :, k] = (hi - lo) / (2 * d)
    np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-8)


def test_elman_reference_jacobian_is_the_textbook_formula():
    rng = np.random.default_rng(3)
    P = rand_params("elman", None, 4, 2, rng)
    x, h = rng.normal(size=(3, 2)), rng.uniform(-1, 1, size=(3, 4))
    h2 = ref_step("elman", None, P, x, h)
    want = (1 - h2**2)[:, :, None] * P["W_hh"][None]
    np.testing.assert_allclose(ref_jacobian("elman", None, P, x, h), want, rtol=1e-12, atol=1e-14)

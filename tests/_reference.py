"""Independent references for tests (a helper module, not a test module): hand-written
NumPy cells and their complex-step Jacobians.

The forward steps are written from the papers' equations (DESIGN.md), not from the
derivation or the numeric engine; their Jacobians come from the complex-step derivative
:math:`\\partial f / \\partial s_k = \\operatorname{Im} f(s + i \\eta e_k) / \\eta`, exact to
rounding for real-analytic steps. ``tests/test_bounds_reference.py`` checks them against
central finite differences and closed forms written out by hand.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ETA", "sig", "mv", "ref_step", "ref_gates", "flat", "unflat", "ref_jacobian",
           "rand_params", "KEYS"]

ETA = 1e-30


def sig(u):
    return 0.5 * np.tanh(0.5 * u) + 0.5


def mv(W, v):
    return v @ W.T


def ref_step(name, conv, P, x, state):
    """One step from the papers' equations; ``P`` maps symbol names to arrays."""
    if name == "elman":
        h = state
        return np.tanh(mv(P["W_ih"], x) + P["b_ih"] + mv(P["W_hh"], h) + P["b_hh"])
    if name == "gru":
        h = state
        r = sig(mv(P["W_ir"], x) + P["b_ir"] + mv(P["W_hr"], h) + P["b_hr"])
        z = sig(mv(P["W_iz"], x) + P["b_iz"] + mv(P["W_hz"], h) + P["b_hz"])
        if conv == "pytorch":
            n = np.tanh(mv(P["W_in"], x) + P["b_in"] + r * (mv(P["W_hn"], h) + P["b_hn"]))
            return (1 - z) * n + z * h
        n = np.tanh(mv(P["W_in"], x) + P["b_in"] + mv(P["W_hn"], r * h) + P["b_hn"])
        if conv == "cho":
            return (1 - z) * n + z * h
        return (1 - z) * h + z * n
    if name == "lstm":
        h, c = state
        pre = {g: mv(P["W_i" + g], x) + P["b_i" + g] + mv(P["W_h" + g], h) + P["b_h" + g]
               for g in "ifgo"}
        i, f, o = sig(pre["i"]), sig(pre["f"]), sig(pre["o"])
        g = np.tanh(pre["g"])
        c2 = f * c + i * g
        return (o * np.tanh(c2), c2)
    if name == "minimalrnn":
        h = state
        z = np.tanh(mv(P["W_x"], x) + P["b_z"])
        u = sig(mv(P["U_h"], h) + mv(P["U_z"], z) + P["b_u"])
        return u * h + (1 - u) * z
    if name == "mgu":
        h = state
        f = sig(mv(P["W_if"], x) + P["b_if"] + mv(P["W_hf"], h) + P["b_hf"])
        n = np.tanh(mv(P["W_in"], x) + P["b_in"] + mv(P["W_hn"], f * h) + P["b_hn"])
        return (1 - f) * h + f * n
    raise KeyError(name)


def ref_gates(name, conv, P, x, state):
    """The carrying gate (``cell.carrying.gate``) and its pre-activation."""
    h = state[0] if isinstance(state, tuple) else state
    key = {"gru": "z", "lstm": "f", "mgu": "f", "minimalrnn": None}[name]
    if key is None:
        z = np.tanh(mv(P["W_x"], x) + P["b_z"])
        a = mv(P["U_h"], h) + mv(P["U_z"], z) + P["b_u"]
    else:
        a = mv(P["W_i" + key], x) + P["b_i" + key] + mv(P["W_h" + key], h) + P["b_h" + key]
    return sig(a), a


def flat(state):
    return np.concatenate(state, axis=1) if isinstance(state, tuple) else state


def unflat(v, multi, H):
    return (v[:, :H], v[:, H:]) if multi else v


def ref_jacobian(name, conv, P, x, state, *, wrt=None, out=None):
    """(B, n_out, n_in) complex-step Jacobian of the next (full) state.

    ``wrt``/``out`` pick LSTM blocks by index (0 = h, 1 = c); default: the full state.
    """
    multi = isinstance(state, tuple)
    s = flat(state).astype(complex)
    B, N = s.shape
    H = N // 2 if multi else N
    cols = np.arange(N) if wrt is None else np.arange(wrt * H, (wrt + 1) * H)
    # all perturbations in one batch: (len(cols) * B, N)
    sp_ = np.repeat(s[None], len(cols), axis=0)
    sp_[np.arange(len(cols)), :, cols] += 1j * ETA
    xr = np.broadcast_to(x.astype(complex), (len(cols), *x.shape)).reshape(-1, x.shape[1])
    nxt = flat(ref_step(name, conv, P, xr, unflat(sp_.reshape(-1, N), multi, H)))
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


#: the cells the references cover
KEYS = [("elman", None), ("gru", "pytorch"), ("gru", "cho"), ("gru", "seed"), ("lstm", None),
        ("minimalrnn", None), ("mgu", None)]

"""Hand-derived global bounds and saturation constants of the ``ode`` family (IndRNN,
FastRNN, FastGRNN, coRNN, UnICORNN, LEM, the antisymmetric RNNs), from the equations in their
cell files' docstrings. Scalars enter as their absolute values (``ninf("dt")`` is |dt|)."""

import sympy as sp

from tests._hand import Q, n2, ninf

dt, eps, gam, alpha = ninf("dt"), ninf("epsilon"), ninf("gamma"), ninf("alpha")

HAND_GLOBAL = {
    # h' = tanh(W x + u h + b): J = D(u (1 - h'^2)), sup |1 - h'^2| = 1
    ("indrnn", "tanh"): {("h", "h"): ninf("u")},
    # h' = sigma(beta) h + sigma(alpha) tanh(.): J = sigma(beta) I + sigma(alpha) D(1-n^2) W_hh
    ("fastrnn", None): {("h", "h"): 1 + n2("W_hh")},
    # h' = z h + ((1-z) s_zeta + s_nu) n, z and n both read W_hh h:
    # J = D(z) + D((h - s_zeta n) z') W_hh + D(((1-z) s_zeta + s_nu)(1-n^2)) W_hh;
    # tanh gate: |z| <= 1, |z'| <= 1, (1-z) <= 2 -> 1 + (|h| + 1)||W|| + 3||W||;
    # sigmoid gate: z' <= 1/4, (1-z) <= 1 -> 1 + (|h| + 1)||W||/4 + 2||W||
    ("fastgrnn", None): {("h", "h"): 1 + (ninf("h") + 1) * n2("W_hh") + 3 * n2("W_hh")},
    ("fastgrnn", "sigmoid"): {("h", "h"): 1 + Q * (ninf("h") + 1) * n2("W_hh")
                              + 2 * n2("W_hh")},
    # c' = c + dt a - dt gamma h - dt eps c, a = tanh(W_ch c + W_hh h + .), h' = h + dt c':
    # dc'/dh = dt D(1-a^2) W_hh - dt gamma I, dc'/dc = (1 - dt eps) I + dt D(1-a^2) W_ch,
    # dh'/dh = I + dt dc'/dh, dh'/dc = dt dc'/dc
    ("cornn", None): {
        ("c", "h"): dt * n2("W_hh") + dt * gam,
        ("c", "c"): 1 + dt * eps + dt * n2("W_ch"),
        ("h", "h"): 1 + dt**2 * n2("W_hh") + dt**2 * gam,
        ("h", "c"): dt * (1 + dt * eps) + dt**2 * n2("W_ch")},
    # n = tanh(W x + w_hh h + b), s = sigma(w_ch): c' = c - dt s (n + alpha h),
    # h' = h + dt s c': dc'/dh = -dt D(s)(D((1-n^2) w_hh) + alpha I), dc'/dc = I,
    # dh'/dh = I + dt D(s) dc'/dh, dh'/dc = dt D(s)
    ("unicornn", None): {
        ("c", "h"): dt * (ninf("w_hh") + alpha), ("c", "c"): 1,
        ("h", "h"): 1 + dt**2 * (ninf("w_hh") + alpha), ("h", "c"): dt},
    # c' = (1 - dt s) c + dt s c~, h' = (1 - dt s_bar) h + dt s_bar h~(old c):
    # dc'/dc = D(1 - dt s), dc'/dh = D(dt s(1-s)(c~ - c)) W_h2 + D(dt s (1-c~^2)) W_h3,
    # dh'/dh = D(1 - dt s_bar) + D(dt s_bar(1-s_bar)(h~ - h)) W_h1,
    # dh'/dc = D(dt s_bar (1 - h~^2)) W_ch
    ("lem", None): {
        ("c", "c"): 1 + dt,
        ("c", "h"): Q * dt * (ninf("c") + 1) * n2("W_h2") + dt * n2("W_h3"),
        ("h", "h"): 1 + dt + Q * dt * (ninf("h") + 1) * n2("W_h1"),
        ("h", "c"): dt * n2("W_ch")},
    # h' = h + eps tanh(A h + .), A = W_hh - W_hh^T - gamma I: J = I + eps D(1-n^2) A
    ("antisymmetric_rnn", None): {("h", "h"): 1 + eps * n2("A")},
    # h' = h + eps z n, z = sigma(A h + .), n = tanh(A h + .):
    # J = I + eps D(n z(1-z)) A + eps D(z (1-n^2)) A
    ("gated_antisymmetric_rnn", None): {("h", "h"): 1 + eps * n2("A") * sp.Rational(5, 4)},
}
# LEM carries through s -> 0 (s = eps): ||dc'/dc - I|| = dt eps, so K = |dt|; the other
# cells' carries hold no gate (a constant, a scalar sigma(beta), the identity)
HAND_K = {("lem", None): {("c", "c"): dt}}

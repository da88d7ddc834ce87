"""Hand-derived global bounds and saturation constants of the ``minimal`` family (UGRNN,
LightRU, Li-GRU, SGRN, STAR, ATR, T-RNN, MiRU-1, MiRU-2; minimalRNN and MGU are in
``tests/test_bounds_symbolic.py``), from the equations in their cell files' docstrings.

``||J||_2 <=`` the sum over terms of the sup-norms of the diagonals times the weights'
2-norms, with sigma' <= 1/4, tanh' <= 1, relu' <= 1, sigma, 1 - sigma in (0, 1), |tanh| < 1,
and |h| <= 1 where the state is a convex combination of values in [-1, 1] or a tanh (UGRNN,
LightRU, STAR, SGRN); an unbounded factor (relu, a linear map, a state that is not bounded,
a scalar of unknown range) stays as its sup-norm. Saturation: substitute the carrying gate
g = g* -+ eps; ||J - I|| <= K eps.
"""

import sympy as sp

from derivations.statements import Norm
from tests._hand import Q, n2, ninf

#: MiRU's coefficients as the cells declare them (cb.scalar: real symbols)
LAM = Norm(sp.Symbol("lam", real=True), sp.oo)
THETA = Norm(sp.Symbol("theta", real=True), sp.oo)

HH = ("h", "h")
HAND_GLOBAL = {
    # D(g) + D((1 - c^2)(1 - g)) W_hc + D(g (1 - g)(h - c)) W_hg, |h - c| <= 2
    ("ugrnn", None): {HH: 1 + n2("W_hc") + 2 * Q * n2("W_hg")},
    # D(1 - f) + D(f (1 - f)(h~ - h)) W_hf, |h~ - h| <= 2
    ("lightru", None): {HH: 1 + 2 * Q * n2("W_hf")},
    # D(z) + D(z (1 - z)(h - h~)) W_hz + D((1 - z) relu') W_hn; h~ = relu(.) is unbounded
    ("ligru", None): {HH: 1 + Q * (ninf("h") + ninf("h_tilde")) * n2("W_hz") + n2("W_hn")},
    # D((1 - h'^2) f) + D((1 - h'^2) f (1 - f) h) W_hh - D((1 - h'^2) f (1 - f) p) W_hh,
    # p = W_ih x + b_ih the input's: |p| <= ||W_ih||_oo ||x||_oo + ||b_ih||_oo
    ("sgrn", None): {HH: 1 + Q * n2("W_hh")
                     + Q * (ninf("W_ih") * ninf("x") + ninf("b_ih")) * n2("W_hh")},
    # D((1 - h'^2)(1 - k)) + D((1 - h'^2) k (1 - k)(z - h)) W_hk, |z - h| <= 2
    ("star", None): {HH: 1 + 2 * Q * n2("W_hk")},
    # D(f) + D(i (1 - i) p) W_hh - D(f (1 - f) h) W_hh; neither p nor h is bounded
    ("atr", None): {HH: 1 + Q * (ninf("p") + ninf("h")) * n2("W_hh")},
    # D(f)
    ("trnn", None): {HH: sp.S.One},
    # lambda I + (1 - lambda) D(1 - h~^2) W_hn [D(r) + D(r (1 - r) h) W_hr], |1 - lambda|
    # <= 1 + |lambda| (lambda of any sign: h is not bounded without 0 <= lambda <= 1)
    ("miru1", None): {HH: LAM + (1 + LAM) * n2("W_hn") * (1 + Q * ninf("h") * n2("W_hr"))},
    # lambda I + (1 - lambda) theta D(1 - h~^2) W_hn
    ("miru2", None): {HH: LAM + (1 + LAM) * THETA * n2("W_hn")},
}
HAND_K = {
    # -eps I + D((1 - c^2) eps) W_hc + D((1 - eps) eps (h - c)) W_hg
    ("ugrnn", None): {HH: 1 + n2("W_hc") + 2 * n2("W_hg")},
    # -eps I + D(eps (1 - eps)(h~ - h)) W_hf
    ("lightru", None): {HH: 1 + 2 * n2("W_hf")},
    # -eps I + D((1 - eps) eps (h - h~)) W_hz + D(eps relu') W_hn
    ("ligru", None): {HH: 1 + (ninf("h") + ninf("h_tilde")) * n2("W_hz") + n2("W_hn")},
    # -eps I
    ("trnn", None): {HH: sp.S.One},
}

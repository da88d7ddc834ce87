"""Hand-derived global bounds and saturation constants of the ``io`` family (T-GRU, T-LSTM,
tau-GRU, IntersectionRNN, MC-LSTM), from the equations in their cell files' docstrings."""

import sympy as sp

from tests._hand import Q, n2, ninf

# T-GRU: h' = f h + z o, z = W_z x + p_z (linear), f = sigma(W_f x + p_f), o = tanh(W_o x + p_o);
# dh'/dh = D(f) -> 1, dh'/dp_z = D(o) -> 1, dh'/dp_f = D(h f(1-f)) -> |h|/4,
# dh'/dp_o = D(z (1 - o^2)) -> |z|; the p states are set from x alone (zero rows)
HAND_GLOBAL = {
    ("tgru", None): {("h", "h"): 1, ("h", "p_z"): 1, ("h", "p_f"): Q * ninf("h"),
                     ("h", "p_o"): ninf("z")},
    # T-LSTM: c' = f c + (1 - f) z: dc'/dc = D(f), dc'/dp_z = D(1 - f) -> 1,
    # dc'/dp_f = D(f(1-f)(c - z)) -> (|c| + |z|)/4; the output h = c' o is not a state
    ("tlstm", None): {("c", "c"): 1, ("c", "p_z"): 1,
                      ("c", "p_f"): Q * ninf("c") + Q * ninf("z")},
    # IntersectionRNN: h' = g h + (1 - g) tanh(W_hx x + W_hh h): D(g) + D(g(1-g)(h - r)) W_ghh
    # + D((1-g)(1-r^2)) W_hh, |h - r| <= 2 (h in [-1, 1] by convex combination)
    ("intersection_rnn", None): {("h", "h"): 1 + n2("W_ghh") / 2 + n2("W_hh")},
    # MC-LSTM: c' = f c + i n, v' = m tanh(c') (v the recurrent state, h = o tanh(c') output)
    ("mclstm", None): {
        ("c", "c"): 1,
        ("c", "v"): Q * ninf("c") * n2("W_hf") + Q * n2("W_hi") + n2("W_hn"),
        ("v", "c"): 1,
        ("v", "v"): Q * ninf("c") * n2("W_hf") + Q * n2("W_hi") + n2("W_hn") + Q * n2("W_hm")},
}
HAND_K = {
    ("tgru", None): {("h", "h"): sp.S.One},
    ("tlstm", None): {("c", "c"): sp.S.One},
    ("intersection_rnn", None): {("h", "h"): 1 + 2 * n2("W_ghh") + n2("W_hh")},
    ("mclstm", None): {("c", "c"): sp.S.One},
}
# tau-GRU with delay D: h' = (1 - g) h + g (u + a z), u = tanh(. + W_1 h), z = tanh(. + W_2
# h_dD), g = sigma(. + W_3 h), a = sigma(. + W_4 h); the delay line h_d1' = h, h_dk' = h_d(k-1):
# dh'/dh = D(1 - g) + D(g(1-g)(u + a z - h)) W_3 + D(g (1 - u^2)) W_1 + D(g z a(1-a)) W_4
# -> 1 + (1/2 + |h|/4) ||W_3|| + ||W_1|| + ||W_4||/4 (|u + a z| <= 2);
# dh'/dh_dD = D(g a (1 - z^2)) W_2 -> ||W_2||; K: (1 - g) -> 1 as g -> eps, the rest times
# g(1-g) <= eps: 1 + ||W_1|| + ||W_4||/4 + (2 + |h|) ||W_3||
for _d in (1, 2, 3, 4):
    _g = {("h", "h"): 1 + n2("W_1") + Q * n2("W_4") + (sp.Rational(1, 2) + Q * ninf("h"))
          * n2("W_3"),
          ("h", f"h_d{_d}"): n2("W_2"), ("h_d1", "h"): 1}
    _g.update({(f"h_d{k}", f"h_d{k - 1}"): 1 for k in range(2, _d + 1)})
    HAND_GLOBAL[("taugru", f"delay{_d}")] = _g
    HAND_K[("taugru", f"delay{_d}")] = {
        ("h", "h"): 1 + n2("W_1") + Q * n2("W_4") + (2 + ninf("h")) * n2("W_3")}

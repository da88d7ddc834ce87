"""Hand-derived global bounds and saturation constants of the ``bistable`` family (BR, nBR,
CFN, MUT1-3, SGU, DSGU, NAS), from the equations in their cell files' docstrings.

``||J||_2 <=`` the sum over terms of the sup-norms of the diagonals times the weights'
2-norms (a vector weight ``w`` of a diagonal term: ``||w||_oo``), with sigma' <= 1/4,
tanh' <= 1, hard_sigmoid' <= 1/6, relu' <= 1, softplus' = sigma < 1, gates in (0, 1),
|tanh| < 1, BR's a = 1 + tanh in (0, 2), and |h| <= 1 where the state is a convex combination
of values in [-1, 1] (BR, nBR, MUT1-3, DSGU; NAS's h is a tanh, c = c~ l_2 in (-1, 1)); an
unbounded factor (relu, softplus, a linear input projection, SGU's state) stays as its
sup-norm. Saturation: substitute the carrying gate g = g* -+ eps; ||J - I|| <= K eps.
"""

from tests._hand import Q, n2, ninf

HH = ("h", "h")
HAND_GLOBAL = {
    # D(c) + D(c (1 - c)(h - n) w_c) + D((1 - c)(1 - n^2) a) + D((1 - c)(1 - n^2) h a' w_a),
    # all diagonal; |h - n| <= 2, a <= 2, a' = 1 - tanh^2 <= 1: 1 + ||w_c||/2 + 2 + ||w_a||
    ("br", None): {HH: 3 + 2 * Q * ninf("w_c") + ninf("w_a")},
    # the same with W_hc, W_ha matrices: D(c) + D(c (1 - c)(h - n)) W_hc + D((1 - c)(1 - n^2) a)
    # + D((1 - c)(1 - n^2) h a') W_ha
    ("nbr", None): {HH: 3 + 2 * Q * n2("W_hc") + n2("W_ha")},
    # D(theta (1 - tanh^2 h)) + D(theta (1 - theta) tanh h) W_hf
    # + D(eta (1 - eta) tanh(W_in x + b_in)) W_hi
    ("cfn", None): {HH: 1 + Q * n2("W_hf") + Q * n2("W_hi")},
    # D(1 - z) + D(z (1 - n^2)) W_hn [D(r) + D(h r (1 - r)) W_hr]  (z reads only x)
    ("mut1", None): {HH: 1 + n2("W_hn") + Q * n2("W_hn") * n2("W_hr")},
    # + D(z (1 - z)(n - h)) W_hz, |n - h| <= 2
    ("mut2", None): {HH: 1 + 2 * Q * n2("W_hz") + n2("W_hn") + Q * n2("W_hn") * n2("W_hr")},
    # + D(z (1 - z)(n - h)) W_hz D(1 - tanh^2 h)
    ("mut3", None): {HH: 1 + 2 * Q * n2("W_hz") + n2("W_hn") + Q * n2("W_hn") * n2("W_hr")},
    # D(1 - z) + D(z s z_g) + D(z s h (1 - z_g^2)) W_hg D(x_g) + D(hs' (z_out - h)) W_hz,
    # s = softplus' in (0, 1); h and z_out = softplus(.) are not bounded above
    ("sgu", None): {HH: 2 + ninf("h") * ninf("x_g") * n2("W_hg")
                    + (ninf("z_out") + ninf("h")) * n2("W_hz") / 6},
    # D(1 - z) + D(z s') W_ho [D(z_g) + D(h (1 - z_g^2)) W_hg D(x_g)] + D(hs' (z_out - h)) W_hz,
    # s' = sigma' <= 1/4, z_out in (0, 1), |z_out - h| <= 2
    ("dsgu", None): {HH: 1 + Q * n2("W_ho") + Q * n2("W_ho") * n2("W_hg") * ninf("x_g")
                     + 2 * n2("W_hz") / 6},
    # c' = c~ l_2, c~ = tanh(l_1 + c), h' = tanh(c' l_5): dc'/dc = D(l_2 (1 - c~^2)),
    # dh'/dc = D((1 - h'^2) l_5) dc'/dc; dc'/dh = D(l_2 (1 - c~^2)) dl_1/dh + D(c~) dl_2/dh with
    # dl_1/dh = D(1 - l_1^2) [D(o_1 o_0 (1 - o_0)) W_h0 + D(o_0 relu'(g_1)) W_h1] (o_1 = relu:
    # unbounded) and dl_2/dh = D(1 - l_2^2) [D(o_2 (1 - o_2)) W_h2 + D(relu'(g_3)) W_h3];
    # dh'/dh = D((1 - h'^2) l_5) dc'/dh + D((1 - h'^2) c' (1 - l_5^2)) [dl_3/dh + dl_4/dh],
    # dl_3/dh = D(1 - l_3^2) [D(o_5 (1 - o_4^2)) W_h4 + D(o_4 o_5 (1 - o_5)) W_h5],
    # dl_4/dh = D(l_4 (1 - l_4)) [D(1 - o_6^2) W_h6 + D(o_7 (1 - o_7)) W_h7]
    ("nas", None): {
        ("c", "c"): 1,
        ("h", "c"): 1,
        ("c", "h"): Q * ninf("o_1") * n2("W_h0") + n2("W_h1") + Q * n2("W_h2") + n2("W_h3"),
        HH: (Q * ninf("o_1") * n2("W_h0") + n2("W_h1") + Q * n2("W_h2") + n2("W_h3")
             + n2("W_h4") + Q * n2("W_h5") + Q * n2("W_h6") + Q * Q * n2("W_h7")),
    },
}
HAND_K = {
    # c = 1 - eps, every term diagonal: (J - I) / eps = -1 + (1 - n^2) a
    # + (1 - eps)(h - n) w_c + (1 - n^2)(1 - t^2) h w_a (t = tanh of a's pre-activation);
    # bounded as the method does, after expanding: |-1| + |a (1 - n^2)| <= 1 + 2, and each of
    # the four monomials of the w_c part and of the w_a part by its norm. (Jointly the three
    # parts are at most 1, 2 ||w_c|| and ||w_a||: K = 1 + 2 ||w_c|| + ||w_a|| also holds.)
    ("br", None): {HH: 3 + 4 * ninf("w_c") + 4 * ninf("w_a")},
    # diagonal part as BR's first two (1 + 2), then D((1 - eps) eps (h - n)) W_hc and
    # D(eps (1 - n^2) h a') W_ha
    ("nbr", None): {HH: 3 + 2 * n2("W_hc") + n2("W_ha")},
    # z = eps: -eps I + D(eps (1 - n^2)) W_hn [D(r) + D(h r (1 - r)) W_hr]
    ("mut1", None): {HH: 1 + n2("W_hn") + Q * n2("W_hn") * n2("W_hr")},
    # + D(eps (1 - eps)(n - h)) W_hz (MUT3: times D(1 - tanh^2 h))
    ("mut2", None): {HH: 1 + 2 * n2("W_hz") + n2("W_hn") + Q * n2("W_hn") * n2("W_hr")},
    ("mut3", None): {HH: 1 + 2 * n2("W_hz") + n2("W_hn") + Q * n2("W_hn") * n2("W_hr")},
    # SGU, DSGU: no constant, hard_sigmoid' = 1/6 up to z = 0 exactly (not O(eps)); CFN and
    # NAS have no carrying gate
}

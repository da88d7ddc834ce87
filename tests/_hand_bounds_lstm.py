"""Hand-derived global bounds and saturation constants of the ``lstm`` family (original LSTM,
mLSTM, residual LSTM, working-memory LSTM, RAN, SCRN, JANET, LSTMP; the peephole and CIFG LSTMs are
in ``tests/test_bounds_symbolic.py``), from the equations in their cell files' docstrings.

``||J||_2 <=`` the sum over terms of the sup-norms of the diagonals times the weights'
2-norms, with sigma' <= 1/4, tanh' <= 1, sigma, 1 - sigma in (0, 1), |tanh| < 1,
T = tanh(c'), T' = 1 - T^2; a factor with no range (the cell c, a linear map of the input, a
named projection, the scalar alpha) stays as its sup-norm. Saturation: substitute the
carrying gate f = 1 - eps; ||J - I|| <= K eps.
"""

import sympy as sp

from derivations.statements import Norm
from tests._hand import Q, n2, ninf

HH, HC, CH, CC = ("h", "h"), ("h", "c"), ("c", "h"), ("c", "c")

#: mLSTM: |W_mx x + b_mx| <= ||W_mx||_oo ||x||_oo + ||b_mx||_oo (dm/dh = D(that) W_mh)
A = ninf("W_mx") * ninf("x") + ninf("b_mx")
#: ResLSTM: |m + r| <= ||m||_oo + ||r||_oo (m = W_p tanh(c'), r = W_r x)
MR = ninf("m") + ninf("r")
#: SCRN's learnable scalar (cb.scalar: a real symbol)
ALPHA = Norm(sp.Symbol("alpha", real=True), sp.oo)

# ResLSTM's and WMC-LSTM's dc'/dc and dc'/dh bounds, shared by their h rows
RES_CC = 1 + Q * ninf("c") * ninf("p_f") + Q * ninf("p_i")
WMC_CC = 1 + Q * ninf("c") * n2("W_cf") + Q * n2("W_ci")
LSTM_CH = Q * ninf("c") * n2("W_hf") + Q * n2("W_hi") + n2("W_hg")

HAND_GLOBAL = {
    # c' = c + i g: dc'/dc = I; dc'/dh = D(g i(1-i)) W_hi + D(i(1-g^2)) W_hg;
    # dh'/dc = D(o T'); dh'/dh = D(T o(1-o)) W_ho + D(o T') dc'/dh
    ("original_lstm", None): {
        CC: 1, CH: Q * n2("W_hi") + n2("W_hg"), HC: 1,
        HH: Q * n2("W_ho") + Q * n2("W_hi") + n2("W_hg")},
    # every h path through m: dc'/dh = [D(c f(1-f)) W_fm + D(tanh(h^) i(1-i)) W_im
    # + D(i(1 - tanh^2 h^)) W_hm] D(W_mx x + b_mx) W_mh; dh'/dc = D(o T' f);
    # dh'/dh = D(T o(1-o)) W_om D(.) W_mh + D(o T') dc'/dh
    ("multiplicative_lstm", None): {
        CC: 1, HC: 1,
        CH: A * n2("W_mh") * (Q * ninf("c") * n2("W_fm") + Q * n2("W_im") + n2("W_hm")),
        HH: A * n2("W_mh") * (Q * n2("W_om") + Q * ninf("c") * n2("W_fm") + Q * n2("W_im")
                              + n2("W_hm"))},
    # peephole carry D(f + c f(1-f) p_f + g i(1-i) p_i); h' = o (m + r), o reads c' by p_o,
    # m = W_p tanh(c'): dh'/d. = [D((m + r) o(1-o) p_o) + D(o) W_p D(T')] dc'/d.
    # (+ D((m + r) o(1-o)) W_ho for dh'/dh)
    ("reslstm", None): {
        CC: RES_CC, CH: LSTM_CH,
        HC: (Q * MR * ninf("p_o") + n2("W_p")) * RES_CC,
        HH: Q * MR * n2("W_ho") + (Q * MR * ninf("p_o") + n2("W_p")) * LSTM_CH},
    # w = tanh(W_c c + b_c) in the gates: dc'/dc = D(f) + D(c f(1-f)(1-w_f^2)) W_cf
    # + D(g i(1-i)(1-w_i^2)) W_ci; dh'/d. = [D(o T') + D(T o(1-o)(1-w_o^2)) W_co] dc'/d.
    # (+ D(T o(1-o)) W_ho for dh'/dh)
    ("wmclstm", None): {
        CC: WMC_CC, CH: LSTM_CH, HC: (1 + Q * n2("W_co")) * WMC_CC,
        HH: Q * n2("W_ho") + (1 + Q * n2("W_co")) * LSTM_CH},
    # c' = i c~ + f c, c~ = W_cx x (named): dc'/dh = D(c~ i(1-i)) W_ih + D(c f(1-f)) W_fh;
    # h' = tanh(c'): dh'/d. = D(1 - h'^2) dc'/d.
    ("ran", None): {
        CC: 1, HC: 1,
        CH: Q * ninf("c_tilde") * n2("W_ih") + Q * ninf("c") * n2("W_fh"),
        HH: Q * ninf("c_tilde") * n2("W_ih") + Q * ninf("c") * n2("W_fh")},
    # s' = (1 - alpha)(B x + b_B) + alpha s: ds'/ds = alpha I, ds'/dh = 0;
    # h' = tanh(U z + V s' + b), z = sigma(A x + R h + P s' + b):
    # dh'/dh = D(1 - h'^2) U D(z(1-z)) R; dh'/ds = D(1 - h'^2) [U D(z(1-z)) P + V] alpha
    ("scrn", None): {
        ("s", "s"): ALPHA, HH: Q * n2("U") * n2("R"),
        ("h", "s"): ALPHA * (Q * n2("U") * n2("P") + n2("V"))},
    # c' = f c + (1 - u) c~, f = sigma(s), u = sigma(s - beta), h' = c':
    # dc'/dh = dh'/dh = D(c f(1-f)) W_hf - D(c~ u(1-u)) W_hf + D((1-u)(1-c~^2)) W_hc;
    # dc'/dc = dh'/dc = D(f)
    ("janet", None): {
        CC: 1, HC: 1,
        CH: Q * ninf("c") * n2("W_hf") + Q * n2("W_hf") + n2("W_hc"),
        HH: Q * ninf("c") * n2("W_hf") + Q * n2("W_hf") + n2("W_hc")},
    # LSTMP (Sak et al. 2014): the LSTM's c' = f c + i g with gates reading h (size P), and
    # h' = W_hr m, m = o T: dc'/dc = D(f) (<= 1); dc'/dh = D(c f(1-f)) W_hf + D(g i(1-i)) W_hi
    # + D(i(1-g^2)) W_hg; dh'/dc = W_hr D(o T' f) (<= ||W_hr||);
    # dh'/dh = W_hr [D(T o(1-o)) W_ho + D(o T') dc'/dh] (the projection in front of each path)
    ("lstmp", None): {
        CC: 1, CH: LSTM_CH, HC: n2("W_hr"),
        HH: n2("W_hr") * (Q * n2("W_ho") + LSTM_CH)},
}

HAND_K = {
    # dc'/dc = D(f) alone: ||D(1 - eps) - I|| = eps (mLSTM, RAN, JANET; JANET's h' = c' too);
    # the original LSTM's carry I holds no gate; ResLSTM's (peephole) and WMC-LSTM's keep
    # their input-gate term D(g i(1-i) .) as f -> 1; SCRN declares no carrying gate
    ("multiplicative_lstm", None): {CC: sp.S.One},
    ("ran", None): {CC: sp.S.One},
    ("janet", None): {CC: sp.S.One, HC: sp.S.One},
    # LSTMP: only the carry block is D(f); dh'/dc = W_hr D(o T' f) does not tend to I
    ("lstmp", None): {CC: sp.S.One},
}

"""User-defined cells written only with the public cell language (shared by the tests)."""

import derivations as dv
from derivations.facts import Role


def user_mgu(name: str = "user_mgu", towards: int = 0):
    """An MGU-like cell: h' = (1 - f) h + f tanh(W_n x + U_n (f h) + b_n), carrying as
    f -> ``towards`` (0 is the truth; 1 is a wrong declaration the property tests catch)."""
    cb = dv.CellBuilder(name)
    x, h = cb.input("x"), cb.state("h")
    W_f, U_f, W_n, U_n = cb.weights("W_f U_f W_n U_n")
    b_f, b_n = cb.biases("b_f b_n")
    f = cb.let("f", dv.sigmoid(W_f @ x + U_f @ h + b_f), role="gate")
    n = cb.let("n", dv.tanh(W_n @ x + U_n @ (f * h) + b_n), role="candidate")
    cb.update(h, (1 - f) * h + f * n)
    cb.carrying(f, towards)
    return cb.build()


def gated_indrnn(name: str = "gated_indrnn"):
    """An IndRNN-style cell with one gate: h' = g h + (1 - g) tanh(W_in x + U h + b_n)."""
    cb = dv.CellBuilder(name)
    x, h = cb.input("x"), cb.state("h")
    W_ig, W_hg, W_in, U = cb.weights("W_ig W_hg W_in U")
    b_g, b_n = cb.biases("b_g b_n")
    g = cb.let("g", dv.sigmoid(W_ig @ x + W_hg @ h + b_g), role="gate")
    cb.update(h, g * h + (1 - g) * dv.tanh(W_in @ x + U @ h + b_n))
    return cb.build()


def gated_bottleneck(name: str = "gated_bottleneck"):
    """A gated cell whose candidate reads h through a K-dimensional bottleneck u = tanh(U h),
    and whose input has a dimension of its own (E):

    u = tanh(U h) (K), g = sigmoid(W_g x + U_g h + b_g), n = tanh(V (u * u) + V_l u + A x + b_n),
    h' = g h + (1 - g) n; U is (K, H), V and V_l are (H, K), W_g and A are (H, E).
    The candidate's Jacobian terms diag(a0) V diag(2 u (1 - u^2)) U and
    diag(a0) V_l diag(1 - u^2) U have coefficients in K.
    """
    cb = dv.CellBuilder(name, reference="test")
    x, h = cb.input("x", dim="E"), cb.state("h")
    U = cb.weight("U", rows="K")
    V, V_l, W_g, U_g, A = cb.weights("V V_l W_g U_g A")
    b_g, b_n = cb.biases("b_g b_n")
    u = cb.let("u", dv.tanh(U @ h), role="bottleneck")
    g = cb.let("g", dv.sigmoid(W_g @ x + U_g @ h + b_g), role="gate")
    n = cb.let("n", dv.tanh(V @ (u * u) + V_l @ u + A @ x + b_n), role="candidate")
    cb.update(h, g * h + (1 - g) * n)
    cb.carrying(g, 1)
    return cb.build()


def two_state_features(name: str = "two_state_features"):
    """A two-state cell (h, c) with an input of dimension E and a P-dimensional feature of
    the input and the cell state, p = tanh(W_p x + U_p c) (P):

    f = sigmoid(W_f x + U_f h + b_f), m = tanh(V_c p + b_c), c' = f c + (1 - f) m,
    o = sigmoid(U_o h + V_o (p * p) + b_o), h' = o tanh(c').
    Every block but dh'/dh... passes through P: dc'/dc and dh'/dc through V_c diag(1 - p^2) U_p,
    dh'/dc also through V_o diag(2 p (1 - p^2)) U_p.
    """
    cb = dv.CellBuilder(name, reference="test")
    x, h, c = cb.input("x", dim="E"), cb.state("h"), cb.state("c")
    W_p, U_p = cb.weight("W_p", rows="P"), cb.weight("U_p", rows="P")
    W_f, U_f, V_c, U_o, V_o = cb.weights("W_f U_f V_c U_o V_o")
    b_f, b_c, b_o = cb.biases("b_f b_c b_o")
    p = cb.let("p", dv.tanh(W_p @ x + U_p @ c), role="feature")
    f = cb.let("f", dv.sigmoid(W_f @ x + U_f @ h + b_f), role="gate")
    m = cb.let("m", dv.tanh(V_c @ p + b_c), role="candidate")
    c_next = cb.update(c, f * c + (1 - f) * m, role=Role.CELL_STATE)
    o = cb.let("o", dv.sigmoid(U_o @ h + V_o @ (p * p) + b_o), role="gate")
    cb.update(h, o * dv.tanh(c_next))
    return cb.build()

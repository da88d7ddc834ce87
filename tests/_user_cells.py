"""User-defined cells written only with the public cell language (shared by the tests)."""

import derivations as dv


def gated_indrnn(name: str = "gated_indrnn"):
    """An IndRNN-style cell with one gate: h' = g h + (1 - g) tanh(W_in x + U h + b_n)."""
    cb = dv.CellBuilder(name)
    x, h = cb.input("x"), cb.state("h")
    W_ig, W_hg, W_in, U = cb.weights("W_ig W_hg W_in U")
    b_g, b_n = cb.biases("b_g b_n")
    g = cb.let("g", dv.sigmoid(W_ig @ x + W_hg @ h + b_g), role="gate")
    cb.update(h, g * h + (1 - g) * dv.tanh(W_in @ x + U @ h + b_n))
    return cb.build()

r"""The LSTM cell with a forget gate (Gers et al. 2000), in PyTorch's gate order i, f, g, o.

.. math::

    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    h_t &= o_t \odot \tanh(c_t)

The state is :math:`(h, c)`; the Jacobian has four blocks.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["lstm"]


def lstm(convention=None):
    cb = CellBuilder("lstm", convention,
                     reference="Hochreiter & Schmidhuber 1997; Gers et al. 2000; PyTorch nn.LSTMCell")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_ii, W_if, W_ig, W_io = cb.weights("W_ii W_if W_ig W_io")
    W_hi, W_hf, W_hg, W_ho = cb.weights("W_hi W_hf W_hg W_ho")
    b_ii, b_if, b_ig, b_io = cb.biases("b_ii b_if b_ig b_io")
    b_hi, b_hf, b_hg, b_ho = cb.biases("b_hi b_hf b_hg b_ho")
    i = cb.let("i", sigmoid(W_ii @ x + b_ii + W_hi @ h + b_hi), role=Role.INPUT_GATE)
    f = cb.let("f", sigmoid(W_if @ x + b_if + W_hf @ h + b_hf), role=Role.FORGET_GATE)
    g = cb.let("g", tanh(W_ig @ x + b_ig + W_hg @ h + b_hg), role=Role.CELL_CANDIDATE)
    o = cb.let("o", sigmoid(W_io @ x + b_io + W_ho @ h + b_ho), role=Role.OUTPUT_GATE)
    c_next = cb.update(c, f * c + i * g, role=Role.CELL_STATE)
    cb.update(h, o * tanh(c_next))
    cb.layout(weight_ih="W_ii W_if W_ig W_io", weight_hh="W_hi W_hf W_hg W_ho",
              bias_ih="b_ii b_if b_ig b_io", bias_hh="b_hi b_hf b_hg b_ho")
    cb.attributes(gate_order="i, f, g, o")
    cb.carrying(f, 1)
    return cb.build()

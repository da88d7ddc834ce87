r"""The LSTM with coupled input and forget gates, CIFG (Greff et al. 2017).

One gate decides both what is kept and what is written: the input gate is :math:`1 - f_t`
(ONNX's LSTM attribute ``input_forget = 1`` couples the same two gates), so the cell is a
convex combination of the old cell and the candidate:

.. math::

    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
    c_t &= f_t \odot c_{t-1} + (1 - f_t) \odot g_t \\
    h_t &= o_t \odot \tanh(c_t)

so :math:`|c_t| \le \max(|c_{t-1}|, 1)`: the cell never grows past the candidate's range,
and :math:`\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)` as in the LSTM.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["cifg_lstm"]


def cifg_lstm(convention=None):
    cb = CellBuilder("cifg_lstm", convention,
                     reference="Greff, Srivastava, Koutnik, Steunebrink & Schmidhuber 2017 "
                               "(CIFG); ONNX LSTM input_forget=1")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_if, W_ig, W_io = cb.weights("W_if W_ig W_io")
    W_hf, W_hg, W_ho = cb.weights("W_hf W_hg W_ho")
    b_if, b_ig, b_io = cb.biases("b_if b_ig b_io")
    b_hf, b_hg, b_ho = cb.biases("b_hf b_hg b_ho")
    f = cb.let("f", sigmoid(W_if @ x + b_if + W_hf @ h + b_hf), role=Role.FORGET_GATE)
    g = cb.let("g", tanh(W_ig @ x + b_ig + W_hg @ h + b_hg), role=Role.CELL_CANDIDATE)
    o = cb.let("o", sigmoid(W_io @ x + b_io + W_ho @ h + b_ho), role=Role.OUTPUT_GATE)
    c_next = cb.update(c, f * c + (1 - f) * g, role=Role.CELL_STATE)
    cb.update(h, o * tanh(c_next))
    cb.layout(weight_ih="W_if W_ig W_io", weight_hh="W_hf W_hg W_ho",
              bias_ih="b_if b_ig b_io", bias_hh="b_hf b_hg b_ho")
    cb.attributes(gate_order="f, g, o", coupling="i_t = 1 - f_t")
    cb.carrying(f, 1)
    return cb.build()

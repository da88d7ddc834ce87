r"""The residual LSTM of Kim, El-Khamy & Lee (2017): a spatial shortcut through the output gate.

A peephole LSTM whose output is a projection of the cell plus a shortcut from the layer's
input, both gated by the output gate. In the paper's symbols,

.. math::

    i_t &= \sigma(W_{xi} x_t + W_{hi} h_{t-1} + w_{ci} \odot c_{t-1} + b_i) \\
    f_t &= \sigma(W_{xf} x_t + W_{hf} h_{t-1} + w_{cf} \odot c_{t-1} + b_f) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot \tanh(W_{xc} x_t + W_{hc} h_{t-1} + b_c) \\
    o_t &= \sigma(W_{xo} x_t + W_{ho} h_{t-1} + w_{co} \odot c_t + b_o) \\
    r_t &= \tanh(c_t), \qquad m_t = W_p r_t \\
    h_t &= o_t \odot (m_t + W_h x_t)

(the shortcut's :math:`W_h` is the identity when the input and output sizes match).
torchrecurrent's ``ResLSTMCell`` (what this cell follows), in chunk order i, f, g, o:

.. math::

    i_t &= \sigma(W_{xi} x_t + b_{xi} + W_{hi} h_{t-1} + b_{hi} + p_i \odot c_{t-1}) \\
    f_t &= \sigma(W_{xf} x_t + b_{xf} + W_{hf} h_{t-1} + b_{hf} + p_f \odot c_{t-1}) \\
    g_t &= \tanh(W_{xg} x_t + b_{xg} + W_{hg} h_{t-1} + b_{hg}) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    o_t &= \sigma(W_{xo} x_t + b_{xo} + W_{ho} h_{t-1} + b_{ho} + p_o \odot c_t) \\
    m_t &= W_p \tanh(c_t), \qquad r_t = W_r x_t \\
    h_t &= o_t \odot (m_t + r_t)

with ``weight_proj`` :math:`= W_p` (:math:`H \times H`), ``weight_res`` :math:`= W_r`
(:math:`H \times I`, always a learned matrix) and peepholes ``weight_ph`` :math:`= p_i, p_f,
p_o`. How the paper differs: one bias per gate (the code has :math:`b_x` and :math:`b_h`),
:math:`W_h` may be the identity, and the projection may map to fewer units than the cell
has (here :math:`H \times H`). Unlike the LSTM, :math:`h_t` is not confined to
:math:`(-1, 1)`: :math:`|h_t| \le \|W_p\|_\infty + |W_r x_t|`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["reslstm"]


def reslstm(convention=None):
    cb = CellBuilder("reslstm", convention,
                     reference="Kim, El-Khamy & Lee 2017 (residual LSTM); torchrecurrent "
                               "ResLSTMCell")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_xi, W_xf, W_xg, W_xo = cb.weights("W_xi W_xf W_xg W_xo")
    W_hi, W_hf, W_hg, W_ho = cb.weights("W_hi W_hf W_hg W_ho")
    W_p, W_r = cb.weights("W_p W_r")
    b_xi, b_xf, b_xg, b_xo = cb.biases("b_xi b_xf b_xg b_xo")
    b_hi, b_hf, b_hg, b_ho = cb.biases("b_hi b_hf b_hg b_ho")
    p_i, p_f, p_o = cb.vector("p_i"), cb.vector("p_f"), cb.vector("p_o")
    i = cb.let("i", sigmoid(W_xi @ x + b_xi + W_hi @ h + b_hi + p_i * c), role=Role.INPUT_GATE)
    f = cb.let("f", sigmoid(W_xf @ x + b_xf + W_hf @ h + b_hf + p_f * c),
               role=Role.FORGET_GATE)
    g = cb.let("g", tanh(W_xg @ x + b_xg + W_hg @ h + b_hg), role=Role.CELL_CANDIDATE)
    c_next = cb.update(c, f * c + i * g, role=Role.CELL_STATE)
    o = cb.let("o", sigmoid(W_xo @ x + b_xo + W_ho @ h + b_ho + p_o * c_next),
               role=Role.OUTPUT_GATE)
    m = cb.let("m", W_p @ tanh(c_next), role=Role.PROJECTION)
    r = cb.let("r", W_r @ x, role=Role.RESIDUAL)
    cb.update(h, o * (m + r))
    cb.layout(weight_ih="W_xi W_xf W_xg W_xo", weight_hh="W_hi W_hf W_hg W_ho",
              bias_ih="b_xi b_xf b_xg b_xo", bias_hh="b_hi b_hf b_hg b_ho",
              weight_ph="p_i p_f p_o", weight_proj="W_p", weight_res="W_r")
    cb.attributes(gate_order="i, f, g, o", peepholes="p_i, p_f read c_{t-1}; p_o reads c_t",
                  shortcut="h_t = o_t (W_p tanh(c_t) + W_r x_t)")
    cb.carrying(f, 1)
    return cb.build()

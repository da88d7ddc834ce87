r"""The multiplicative LSTM (mLSTM) of Krause, Lu, Murray & Renals (2016).

An input-dependent transition: the LSTM's gates and candidate read, instead of
:math:`h_{t-1}`, the intermediate state :math:`m_t`, the elementwise product of a projection of
the input and one of the previous hidden state. In the paper's symbols (no biases written),

.. math::

    m_t &= (W_{mx} x_t) \odot (W_{mh} h_{t-1}) \\
    \hat h_t &= W_{hx} x_t + W_{hm} m_t \\
    i_t &= \sigma(W_{ix} x_t + W_{im} m_t), \quad
    o_t = \sigma(W_{ox} x_t + W_{om} m_t), \quad
    f_t = \sigma(W_{fx} x_t + W_{fm} m_t) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot \tanh(\hat h_t) \\
    h_t &= \tanh(c_t) \odot o_t

torchrecurrent's ``MultiplicativeLSTMCell`` (what this cell follows) adds a bias to each
factor of :math:`m_t` and to each of the four maps of :math:`m_t`:

.. math::

    m_t &= (W_{mx} x_t + b_{mx}) \odot (W_{mh} h_{t-1} + b_{mh}) \\
    i_t &= \sigma(W_{ix} x_t + b_{ix} + W_{im} m_t + b_{im}), \quad
    f_t = \sigma(W_{fx} x_t + b_{fx} + W_{fm} m_t + b_{fm}) \\
    \hat h_t &= W_{hx} x_t + b_{hx} + W_{hm} m_t + b_{hm}, \quad
    o_t = \sigma(W_{ox} x_t + b_{ox} + W_{om} m_t + b_{om}) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot \tanh(\hat h_t), \qquad h_t = o_t \odot \tanh(c_t)

Its packed arrays: ``weight_ih`` stacks :math:`W_{mx}, W_{ix}, W_{fx}, W_{hx}, W_{ox}` (and
``bias_ih`` their biases), ``weight_hh`` is :math:`W_{mh}` alone (``bias_hh`` :math:`b_{mh}`),
``weight_mh`` stacks :math:`W_{im}, W_{fm}, W_{hm}, W_{om}` (``bias_mh`` their biases).
Every path from :math:`h_{t-1}` runs through :math:`m_t`, so it carries the factor
:math:`\operatorname{diag}(W_{mx} x_t + b_{mx})`: the input scales the recurrent Jacobian,
and no global bound holds that does not involve the input (the range engine bounds
:math:`|W_{mx} x_t + b_{mx}|` only by the input's size).
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["multiplicative_lstm"]


def multiplicative_lstm(convention=None):
    cb = CellBuilder("multiplicative_lstm", convention,
                     reference="Krause, Lu, Murray & Renals 2016 (mLSTM); torchrecurrent "
                               "MultiplicativeLSTMCell")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_mx, W_ix, W_fx, W_hx, W_ox = cb.weights("W_mx W_ix W_fx W_hx W_ox")
    (W_mh,) = cb.weights("W_mh")
    W_im, W_fm, W_hm, W_om = cb.weights("W_im W_fm W_hm W_om")
    b_mx, b_ix, b_fx, b_hx, b_ox = cb.biases("b_mx b_ix b_fx b_hx b_ox")
    (b_mh,) = cb.biases("b_mh")
    b_im, b_fm, b_hm, b_om = cb.biases("b_im b_fm b_hm b_om")
    m = cb.let("m", (W_mx @ x + b_mx) * (W_mh @ h + b_mh), role=Role.MULTIPLICATIVE_STATE)
    i = cb.let("i", sigmoid(W_ix @ x + b_ix + W_im @ m + b_im), role=Role.INPUT_GATE)
    f = cb.let("f", sigmoid(W_fx @ x + b_fx + W_fm @ m + b_fm), role=Role.FORGET_GATE)
    h_hat = cb.let("h_hat", W_hx @ x + b_hx + W_hm @ m + b_hm, role=Role.PRE_ACTIVATION)
    o = cb.let("o", sigmoid(W_ox @ x + b_ox + W_om @ m + b_om), role=Role.OUTPUT_GATE)
    c_next = cb.update(c, f * c + i * tanh(h_hat), role=Role.CELL_STATE)
    cb.update(h, o * tanh(c_next))
    cb.layout(weight_ih="W_mx W_ix W_fx W_hx W_ox", weight_hh="W_mh",
              weight_mh="W_im W_fm W_hm W_om", bias_ih="b_mx b_ix b_fx b_hx b_ox",
              bias_hh="b_mh", bias_mh="b_im b_fm b_hm b_om")
    cb.attributes(gate_order="m, i, f, h_hat, o (weight_ih); i, f, h_hat, o (weight_mh)",
                  multiplicative="m_t = (W_mx x_t + b_mx) * (W_mh h_{t-1} + b_mh)")
    cb.carrying(f, 1)
    return cb.build()

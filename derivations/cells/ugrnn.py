r"""The update gate RNN (UGRNN) of Collins, Sohl-Dickstein & Sussillo (2017).

Paper ("Capacity and Trainability in Recurrent Neural Networks", ICLR 2017, eq. for the
UGRNN), in its symbols:

.. math::

    c_t &= \tanh(W^{ch} h_{t-1} + W^{cx} x_t + b_c) \\
    g_t &= \sigma(W^{gh} h_{t-1} + W^{gx} x_t + b_g) \\
    h_t &= g_t \odot h_{t-1} + (1 - g_t) \odot c_t

The cell follows torchrecurrent's ``UGRNNCell`` (packed blocks in the order c, g):

.. math::

    c_t &= \tanh(W_{ic} x_t + b_{ic} + W_{hc} h_{t-1} + b_{hc}) \\
    g_t &= \sigma(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
    h_t &= g_t \odot h_{t-1} + (1 - g_t) \odot c_t

Paper vs code: the code has two biases per gate (:math:`b_c = b_{ic} + b_{hc}`,
:math:`b_g = b_{ig} + b_{hg}`); the map is the same. The update gate carries at
:math:`g \to 1` (:math:`\partial h_t / \partial h_{t-1} \to I`).
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["ugrnn"]


def ugrnn(convention=None):
    cb = CellBuilder("ugrnn", convention,
                     reference="Collins, Sohl-Dickstein & Sussillo 2017 (UGRNN)")
    x, h = cb.input("x"), cb.state("h")
    W_ic, W_ig = cb.weights("W_ic W_ig")
    W_hc, W_hg = cb.weights("W_hc W_hg")
    b_ic, b_ig, b_hc, b_hg = cb.biases("b_ic b_ig b_hc b_hg")
    c = cb.let("c", tanh(W_ic @ x + b_ic + W_hc @ h + b_hc), role=Role.CANDIDATE)
    g = cb.let("g", sigmoid(W_ig @ x + b_ig + W_hg @ h + b_hg), role=Role.UPDATE_GATE)
    cb.update(h, g * h + (1 - g) * c)
    cb.layout(weight_ih="W_ic W_ig", weight_hh="W_hc W_hg",
              bias_ih="b_ic b_ig", bias_hh="b_hc b_hg")
    cb.attributes(gate_order="c, g")
    cb.carrying(g, 1)
    return cb.build()

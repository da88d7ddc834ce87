r"""The stackable recurrent cell (STAR) of Turkoglu, D'Aronco, Wegner & Schindler (2021).

Paper ("Gating Revisited: Deep Multi-layer RNNs That Can Be Trained", IEEE TPAMI 2021,
arXiv:1911.11033), in its symbols:

.. math::

    z_t &= \tanh(W_z x_t + b_z) \\
    k_t &= \sigma(W_x x_t + W_h h_{t-1} + b_k) \\
    h_t &= \tanh((1 - k_t) \odot h_{t-1} + k_t \odot z_t)

The cell follows torchrecurrent's ``STARCell`` (``weight_ih``, ``bias_ih`` in the order z, k;
``weight_hh``, ``bias_hh`` for k alone):

.. math::

    z_t &= \tanh(W_{iz} x_t + b_{iz}) \\
    k_t &= \sigma(W_{ik} x_t + b_{ik} + W_{hk} h_{t-1} + b_{hk}) \\
    h_t &= \tanh((1 - k_t) \odot h_{t-1} + k_t \odot z_t)

Paper vs code: the gate's bias is split in two (:math:`b_k = b_{ik} + b_{hk}`); the map is
the same. The outer :math:`\tanh` keeps the state in :math:`(-1, 1)` but means no gate value
carries it: at :math:`k = 0`, :math:`h_t = \tanh(h_{t-1})` and :math:`\partial h_t /
\partial h_{t-1} = \operatorname{diag}(1 - h_t^2)`, not :math:`I`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["star"]


def star(convention=None):
    cb = CellBuilder("star", convention,
                     reference="Turkoglu, D'Aronco, Wegner & Schindler 2021 (STAR)")
    x, h = cb.input("x"), cb.state("h")
    W_iz, W_ik, W_hk = cb.weights("W_iz W_ik W_hk")
    b_iz, b_ik, b_hk = cb.biases("b_iz b_ik b_hk")
    z = cb.let("z", tanh(W_iz @ x + b_iz), role=Role.INPUT_EMBEDDING)
    k = cb.let("k", sigmoid(W_ik @ x + b_ik + W_hk @ h + b_hk), role=Role.UPDATE_GATE)
    cb.update(h, tanh((1 - k) * h + k * z))
    cb.layout(weight_ih="W_iz W_ik", weight_hh="W_hk", bias_ih="b_iz b_ik", bias_hh="b_hk")
    cb.attributes(gate_order="z, k (weight_hh, bias_hh: k only)")
    return cb.build()

r"""The minimal gated unit of Zhou et al. (2016), written with the public language.

.. math::

    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
    n_t &= \tanh(W_{in} x_t + b_{in} + W_{hn} (f_t \odot h_{t-1}) + b_{hn}) \\
    h_t &= (1 - f_t) \odot h_{t-1} + f_t \odot n_t

One forget gate plays both GRU roles: reset (inside the candidate) and update.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["mgu"]


def mgu(convention=None):
    cb = CellBuilder("mgu", convention, reference="Zhou, Wu, Zhang & Zhou 2016")
    x, h = cb.input("x"), cb.state("h")
    W_if, W_in = cb.weights("W_if W_in")
    W_hf, W_hn = cb.weights("W_hf W_hn")
    b_if, b_in, b_hf, b_hn = cb.biases("b_if b_in b_hf b_hn")
    f = cb.let("f", sigmoid(W_if @ x + b_if + W_hf @ h + b_hf), role=Role.FORGET_GATE)
    n = cb.let("n", tanh(W_in @ x + b_in + W_hn @ (f * h) + b_hn), role=Role.CANDIDATE)
    cb.update(h, (1 - f) * h + f * n)
    cb.layout(weight_ih="W_if W_in", weight_hh="W_hf W_hn",
              bias_ih="b_if b_in", bias_hh="b_hf b_hn")
    cb.attributes(gate_order="f, n")
    cb.carrying(f, 0)
    return cb.build()

r"""The Elman (vanilla tanh) RNN, as PyTorch's ``nn.RNNCell`` with ``nonlinearity='tanh'``.

.. math::

    h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})
"""

from ..functions import tanh
from ..language import CellBuilder

__all__ = ["elman"]


def elman(convention=None):
    cb = CellBuilder("elman", convention, reference="Elman 1990; PyTorch nn.RNNCell (tanh)")
    x, h = cb.input("x"), cb.state("h")
    W_ih, W_hh = cb.weights("W_ih W_hh")
    b_ih, b_hh = cb.biases("b_ih b_hh")
    cb.update(h, tanh(W_ih @ x + b_ih + W_hh @ h + b_hh))
    cb.layout(weight_ih="W_ih", weight_hh="W_hh", bias_ih="b_ih", bias_hh="b_hh")
    cb.attributes(gate_order="(none)")
    return cb.build()

r"""The Elman RNN, as PyTorch's ``nn.RNNCell``, with ``tanh`` (default) or ``relu``.

.. math::

    h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \qquad
    \phi = \tanh \text{ (default)} \text{ or } \operatorname{relu}
    \text{ (convention ``relu``, PyTorch ``nonlinearity='relu'``)}.

The ReLU cell's Jacobian :math:`\operatorname{diag}(\operatorname{relu}'(\cdot)) W_{hh}` holds
almost everywhere (:math:`\operatorname{relu}'(0) = 0`, as autograd takes it); with the
``irnn`` initialization (Le, Jaitly & Hinton 2015: :math:`W_{hh} = I`, zero biases) it is the
identity on the active units.
"""

from .._errors import DerivationError
from ..functions import relu, tanh
from ..language import CellBuilder

__all__ = ["elman", "ELMAN_NONLINEARITIES"]

#: convention -> (activation, reference)
ELMAN_NONLINEARITIES = {
    None: (tanh, "Elman 1990; PyTorch nn.RNNCell (tanh)"),
    "relu": (relu, "Elman 1990; PyTorch nn.RNNCell(nonlinearity='relu'); "
                   "Le, Jaitly & Hinton 2015 (IRNN)"),
}


def elman(convention=None):
    """The Elman cell; ``convention="relu"`` is PyTorch's ``nonlinearity='relu'``."""
    if convention not in ELMAN_NONLINEARITIES:
        raise DerivationError(f"unknown Elman convention {convention!r}; valid: "
                              "None (tanh) or 'relu'")
    phi, reference = ELMAN_NONLINEARITIES[convention]
    cb = CellBuilder("elman", convention, reference=reference)
    x, h = cb.input("x"), cb.state("h")
    W_ih, W_hh = cb.weights("W_ih W_hh")
    b_ih, b_hh = cb.biases("b_ih b_hh")
    cb.update(h, phi(W_ih @ x + b_ih + W_hh @ h + b_hh))
    cb.layout(weight_ih="W_ih", weight_hh="W_hh", bias_ih="b_ih", bias_hh="b_hh")
    cb.attributes(gate_order="(none)", nonlinearity="relu" if convention == "relu" else "tanh")
    return cb.build()

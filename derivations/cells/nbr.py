r"""The neuromodulated bistable recurrent cell (nBRC) of Vecoven, Ernst & Drion (2021), as
torchrecurrent's ``NBRCell``.

The paper (PLoS ONE 16(6): e0252676) gives the BRC's gates full recurrent matrices
:math:`W_a, W_c` (the "recurrent neuromodulation" that links the cell to the GRU):

.. math::

    a_t &= 1 + \tanh(U_a x_t + W_a h_{t-1}) \\
    c_t &= \sigma(U_c x_t + W_c h_{t-1}) \\
    h_t &= c_t \odot h_{t-1} + (1 - c_t) \odot \tanh(U x_t + a_t \odot h_{t-1})

The cell follows torchrecurrent's ``forward``:

.. math::

    a_t &= 1 + \tanh(W_{ia} x_t + b_{ia} + W_{ha} h_{t-1} + b_{ha}) \\
    c_t &= \sigma(W_{ic} x_t + b_{ic} + W_{hc} h_{t-1} + b_{hc}) \\
    n_t &= \tanh(W_{in} x_t + b_{in} + a_t \odot h_{t-1}) \\
    h_t &= c_t \odot h_{t-1} + (1 - c_t) \odot n_t

How the paper differs: its equations carry no bias; the authors' TensorFlow code has one
bias in :math:`a` and one in :math:`c` and none in the candidate, torchrecurrent adds
:math:`b_{i\cdot}` to all three and :math:`b_{h\cdot}` to :math:`a` and :math:`c` (only
:math:`b_{in}` is new). The candidate :math:`n_t` is named here; the paper writes it inline.
The candidate still reads :math:`h_{t-1}` only elementwise, through :math:`a_t`.

:math:`c_t \to 1` carries the state (:math:`\partial h_t / \partial h_{t-1} \to I`). As in
the BRC, :math:`a_t \in (0, 2)` lets the candidate path's diagonal
:math:`(1 - c)(1 - n^2) a` approach 2, so no bound below 1 follows; the derived global bound
:math:`3 + \|W_{ha}\|_2 + \|W_{hc}\|_2 / 2` is at least 3 whatever the weights.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["nbr"]


def nbr(convention=None):
    cb = CellBuilder("nbr", convention,
                     reference="Vecoven, Ernst & Drion 2021 (neuromodulated bistable recurrent "
                               "cell, nBRC); torchrecurrent NBRCell")
    x, h = cb.input("x"), cb.state("h")
    W_ia, W_ic, W_in = cb.weights("W_ia W_ic W_in")
    W_ha, W_hc = cb.weights("W_ha W_hc")
    b_ia, b_ic, b_in = cb.biases("b_ia b_ic b_in")
    b_ha, b_hc = cb.biases("b_ha b_hc")
    a = cb.let("a", 1 + tanh(W_ia @ x + b_ia + W_ha @ h + b_ha), role=Role.MODULATION_GATE)
    c = cb.let("c", sigmoid(W_ic @ x + b_ic + W_hc @ h + b_hc), role=Role.UPDATE_GATE)
    n = cb.let("n", tanh(W_in @ x + b_in + a * h), role=Role.CANDIDATE)
    cb.update(h, c * h + (1 - c) * n)
    cb.layout(weight_ih="W_ia W_ic W_in", weight_hh="W_ha W_hc",
              bias_ih="b_ia b_ic b_in", bias_hh="b_ha b_hc")
    cb.attributes(gate_order="a, c, n")
    cb.carrying(c, 1)
    return cb.build()

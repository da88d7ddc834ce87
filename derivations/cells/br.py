r"""The bistable recurrent cell (BRC) of Vecoven, Ernst & Drion (2021), as torchrecurrent's
``BRCell``.

The paper (PLoS ONE 16(6): e0252676, eqs. for the BRC) writes, with :math:`U, U_a, U_c`
input weights and :math:`w_a, w_c` *vectors* (every neuron feeds back only onto itself):

.. math::

    a_t &= 1 + \tanh(U_a x_t + w_a \odot h_{t-1}) \\
    c_t &= \sigma(U_c x_t + w_c \odot h_{t-1}) \\
    h_t &= c_t \odot h_{t-1} + (1 - c_t) \odot \tanh(U x_t + a_t \odot h_{t-1})

The cell follows torchrecurrent's ``forward``:

.. math::

    a_t &= 1 + \tanh(W_{ia} x_t + b_{ia} + w_a \odot h_{t-1} + b_{ha}) \\
    c_t &= \sigma(W_{ic} x_t + b_{ic} + w_c \odot h_{t-1} + b_{hc}) \\
    n_t &= \tanh(W_{in} x_t + b_{in} + a_t \odot h_{t-1}) \\
    h_t &= c_t \odot h_{t-1} + (1 - c_t) \odot n_t

How the paper differs: its equations carry no bias; the authors' TensorFlow code has one
bias in :math:`a` and one in :math:`c` and none in the candidate, torchrecurrent adds
:math:`b_{i\cdot}` to all three and :math:`b_{h\cdot}` to :math:`a` and :math:`c` (two
biases of a gate add up to one, so only :math:`b_{in}` is new). The candidate
:math:`n_t` is named here; the paper writes it inline.

The modulation gate :math:`a_t \in (0, 2)` is the feedback gain of each neuron on itself:
with :math:`a > 1` the map :math:`h \mapsto \tanh(a h + u)` has two stable fixed points
(bistability), which is the paper's memory; :math:`c_t \to 1` carries the state
(:math:`\partial h_t / \partial h_{t-1} \to I`). Every recurrent weight is a vector, so the
Jacobian is diagonal,

.. math::

    \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}\bigl(c + c (1 - c)(h - n) w_c
        + (1 - c)(1 - n^2)(a + h\, w_a (1 - (a - 1)^2))\bigr),

and no bound below 1 follows: even with :math:`w_a = w_c = 0` an entry is
:math:`c + (1 - c)(1 - n^2) a`, close to 2 at :math:`c \to 0, n = 0, a \to 2` (the unstable
fixed point between the two stable ones). The derived global bound is
:math:`3 + \|w_a\|_\infty + \|w_c\|_\infty / 2` (term by term; at least 3 whatever the
weights, so no weight-norm condition forces vanishing), and the saturation bound
:math:`\|J - I\| \le K \varepsilon` with :math:`\varepsilon = \max_i (1 - c_i)`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["br"]


def br(convention=None):
    cb = CellBuilder("br", convention,
                     reference="Vecoven, Ernst & Drion 2021 (bistable recurrent cell, BRC); "
                               "torchrecurrent BRCell")
    x, h = cb.input("x"), cb.state("h")
    W_ia, W_ic, W_in = cb.weights("W_ia W_ic W_in")
    w_a, w_c = cb.vector("w_a"), cb.vector("w_c")
    b_ia, b_ic, b_in = cb.biases("b_ia b_ic b_in")
    b_ha, b_hc = cb.biases("b_ha b_hc")
    a = cb.let("a", 1 + tanh(W_ia @ x + b_ia + w_a * h + b_ha), role=Role.MODULATION_GATE)
    c = cb.let("c", sigmoid(W_ic @ x + b_ic + w_c * h + b_hc), role=Role.UPDATE_GATE)
    n = cb.let("n", tanh(W_in @ x + b_in + a * h), role=Role.CANDIDATE)
    cb.update(h, c * h + (1 - c) * n)
    cb.layout(weight_ih="W_ia W_ic W_in", weight_hh="w_a w_c",
              bias_ih="b_ia b_ic b_in", bias_hh="b_ha b_hc")
    cb.attributes(gate_order="a, c, n", recurrence="elementwise (w_a, w_c vectors)")
    cb.carrying(c, 1)
    return cb.build()

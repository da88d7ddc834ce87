r"""The recurrent cell found by neural architecture search (NAS) of Zoph & Le (2017), as
torchrecurrent's ``NASCell``.

The paper ("Neural Architecture Search with Reinforcement Learning", ICLR 2017) draws the
searched cell as a tree over eight combinations of :math:`x_t` and :math:`h_{t-1}` with the
memory :math:`c_{t-1}` injected at one node; TensorFlow's ``NASCell`` (tf.contrib.rnn, now
TensorFlow Addons) implements it. With :math:`g = W_i x_t + W_h h_{t-1} + b` cut in eight
blocks :math:`g_0, \dots, g_7` (in TensorFlow, :math:`p_k = W_{ik} x_t` and
:math:`q_k = W_{hk} h_{t-1} + b_k`):

.. math::

    o_0 &= \sigma(g_0), \ o_1 = \operatorname{relu}(g_1), \ o_2 = \sigma(g_2), \
        o_3 = \operatorname{relu}(p_3 \odot q_3), \\
    o_4 &= \tanh(g_4), \ o_5 = \sigma(g_5), \ o_6 = \tanh(g_6), \ o_7 = \sigma(g_7) \\
    l_1 &= \tanh(o_0 \odot o_1), \ l_2 = \tanh(o_2 + o_3), \
        l_3 = \tanh(o_4 \odot o_5), \ l_4 = \sigma(o_6 + o_7) \\
    \tilde{c}_t &= \tanh(l_1 + c_{t-1}), \quad c_t = \tilde{c}_t \odot l_2, \quad
        l_5 = \tanh(l_3 + l_4), \quad h_t = \tanh(c_t \odot l_5)

The cell follows torchrecurrent's ``forward``, where every block is additive,
:math:`g_k = W_{ik} x_t + b_{ik} + W_{hk} h_{t-1} + b_{hk}`, so
:math:`o_3 = \operatorname{relu}(g_3)`; the state is :math:`(h, c)` in that order.

How the reference differs: TensorFlow's fourth node multiplies the input and recurrent
projections, :math:`o_3 = \operatorname{relu}(W_{i3} x_t \odot (W_{h3} h_{t-1} + b_3))`,
torchrecurrent adds them; TensorFlow has one bias per block (on the recurrent side) and
orders the state :math:`(c, h)`. torchrecurrent's docstring writes :math:`c_t = l_1 \odot
l_2`; its code (followed here) computes :math:`c_t = \tilde{c}_t \odot l_2`.

No gate makes the cell carry: :math:`\partial c_t / \partial c_{t-1} =
\operatorname{diag}(l_2 (1 - \tilde{c}_t^2))`, with :math:`l_2 = \tanh(o_2 + o_3) \in
(0, 1)`. The ReLU nodes are differentiated almost everywhere, as autograd
(:math:`\operatorname{relu}'(0) = 0`).
"""

from ..facts import Role
from ..functions import relu, sigmoid, tanh
from ..language import CellBuilder

__all__ = ["nas"]

#: the activation of each first-layer block g_0 .. g_7
_LAYER1 = (sigmoid, relu, sigmoid, relu, tanh, sigmoid, tanh, sigmoid)


def nas(convention=None):
    cb = CellBuilder("nas", convention,
                     reference="Zoph & Le 2017 (neural architecture search cell); "
                               "torchrecurrent NASCell")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_i = cb.weights([f"W_i{k}" for k in range(8)])
    W_h = cb.weights([f"W_h{k}" for k in range(8)])
    b_i = cb.biases([f"b_i{k}" for k in range(8)])
    b_h = cb.biases([f"b_h{k}" for k in range(8)])
    o = [cb.let(f"o_{k}", act(W_i[k] @ x + b_i[k] + W_h[k] @ h + b_h[k]), role=Role.SEARCH_NODE)
         for k, act in enumerate(_LAYER1)]
    l_1 = cb.let("l_1", tanh(o[0] * o[1]), role=Role.PRE_ACTIVATION)
    l_2 = cb.let("l_2", tanh(o[2] + o[3]), role=Role.INPUT_GATE)
    l_3 = cb.let("l_3", tanh(o[4] * o[5]), role=Role.SEARCH_NODE)
    l_4 = cb.let("l_4", sigmoid(o[6] + o[7]), role=Role.SEARCH_NODE)
    c_tilde = cb.let("c_tilde", tanh(l_1 + c), role=Role.CELL_CANDIDATE)
    c_next = cb.update(c, c_tilde * l_2, role=Role.CELL_STATE)
    l_5 = cb.let("l_5", tanh(l_3 + l_4), role=Role.OUTPUT_GATE)
    cb.update(h, tanh(c_next * l_5))
    cb.layout(weight_ih=[f"W_i{k}" for k in range(8)], weight_hh=[f"W_h{k}" for k in range(8)],
              bias_ih=[f"b_i{k}" for k in range(8)], bias_hh=[f"b_h{k}" for k in range(8)])
    cb.attributes(gate_order="g_0 .. g_7 (sigmoid, relu, sigmoid, relu, tanh, sigmoid, tanh, "
                             "sigmoid)", state_order="h, c")
    return cb.build()

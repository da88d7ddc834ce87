r"""The addition-subtraction twin-gated recurrent network (ATR) of Zhang, Xiong, Su, Lin &
Qin (2018).

Paper ("Simplifying Neural Machine Translation with Addition-Subtraction Twin-Gated Recurrent
Networks", EMNLP 2018, arXiv:1810.12546), in its symbols, without biases:

.. math::

    p_t &= W_h x_t, \qquad q_t = U_h h_{t-1} \\
    i_t &= \sigma(p_t + q_t), \qquad f_t = \sigma(p_t - q_t) \\
    h_t &= i_t \odot p_t + f_t \odot h_{t-1}

The cell follows torchrecurrent's ``ATRCell``:

.. math::

    p_t &= W_{ih} x_t + b_{ih}, \qquad q_t = W_{hh} h_{t-1} + b_{hh} \\
    i_t &= \sigma(p_t + q_t), \qquad f_t = \sigma(p_t - q_t) \\
    h_t &= i_t \odot p_t + f_t \odot h_{t-1}

Paper vs code: the code adds a bias to each projection, so :math:`b_{hh}` enters the forget
gate with a minus sign (:math:`f_t = \sigma(W_{ih} x_t + b_{ih} - W_{hh} h_{t-1} -
b_{hh})`) and :math:`b_{ih}` is added to the state through :math:`i_t \odot p_t`.
:math:`\partial h_t / \partial h_{t-1} = \operatorname{diag}(f_t) + \operatorname{diag}(i_t
(1 - i_t) p_t) W_{hh} - \operatorname{diag}(f_t (1 - f_t) h_{t-1}) W_{hh}`. The twin gates share
their pre-activations, so no single gate carries: :math:`f \to 1` alone (:math:`p_t - q_t
\to \infty` with :math:`p_t + q_t` bounded) leaves the input gate's term, of size
:math:`|p_t| / 4`; the state carries when :math:`q_t \to -\infty` (:math:`f \to 1` and
:math:`i \to 0` together: :math:`h_t \to h_{t-1}`, the Jacobian :math:`\to I`).
"""

from ..facts import Role
from ..functions import sigmoid
from ..language import CellBuilder

__all__ = ["atr"]


def atr(convention=None):
    cb = CellBuilder("atr", convention,
                     reference="Zhang, Xiong, Su, Lin & Qin 2018 (ATR)")
    x, h = cb.input("x"), cb.state("h")
    W_ih, W_hh = cb.weights("W_ih W_hh")
    b_ih, b_hh = cb.biases("b_ih b_hh")
    p = cb.let("p", W_ih @ x + b_ih, role=Role.PROJECTION)
    # q_t = W_hh h + b_hh is written out in both gates: as a quantity of its own it would
    # label both paths "pre-activation" instead of by the gate they go through
    i = cb.let("i", sigmoid(p + (W_hh @ h + b_hh)), role=Role.INPUT_GATE)
    f = cb.let("f", sigmoid(p - (W_hh @ h + b_hh)), role=Role.FORGET_GATE)
    cb.update(h, i * p + f * h)
    cb.layout(weight_ih="W_ih", weight_hh="W_hh", bias_ih="b_ih", bias_hh="b_hh")
    cb.attributes(gate_order="(one block: p and q feed both gates)")
    return cb.build()

r"""The simple gated recurrent network (SGRN), IET Generation, Transmission & Distribution
(2021), doi:10.1049/gtd2.12056.

Paper, in its symbols (as torchrecurrent's author transcribes it): one forget gate, the input
gate its complement, and the same input map :math:`W x_t` in the gate and in the update,

.. math::

    f_t &= \sigma(W x_t + U h_{t-1} + b) \\
    i_t &= 1 - f_t \\
    h_t &= \tanh(i_t \odot (W x_t) + f_t \odot h_{t-1})

The cell follows torchrecurrent's ``SGRNCell``:

.. math::

    f_t &= \sigma(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}) \\
    i_t &= 1 - f_t \\
    h_t &= \tanh(i_t \odot (W_{ih} x_t + b_{ih}) + f_t \odot h_{t-1})

Paper vs code: the code's update reads :math:`W_{ih} x_t + b_{ih}`, with the input bias,
where the paper has :math:`W x_t` alone; the gate's bias is split in two
(:math:`b = b_{ih} + b_{hh}`). No gate value carries the state: at :math:`f = 1` the new
state is :math:`\tanh(h_{t-1})`, and :math:`\partial h_t / \partial h_{t-1} =
\operatorname{diag}(1 - h_t^2) [\operatorname{diag}(f_t) + \operatorname{diag}(f_t (1 - f_t)
(h_{t-1} - W_{ih} x_t - b_{ih})) W_{hh}]` tends to :math:`\operatorname{diag}(1 -
\tanh^2 h_{t-1})`, not :math:`I`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["sgrn"]


def sgrn(convention=None):
    cb = CellBuilder("sgrn", convention,
                     reference="SGRN, IET Gener. Transm. Distrib. 2021, doi:10.1049/gtd2.12056")
    x, h = cb.input("x"), cb.state("h")
    W_ih, W_hh = cb.weights("W_ih W_hh")
    b_ih, b_hh = cb.biases("b_ih b_hh")
    f = cb.let("f", sigmoid(W_ih @ x + b_ih + W_hh @ h + b_hh), role=Role.FORGET_GATE)
    i = cb.let("i", 1 - f, role=Role.INPUT_GATE)
    cb.update(h, tanh(i * (W_ih @ x + b_ih) + f * h))
    cb.layout(weight_ih="W_ih", weight_hh="W_hh", bias_ih="b_ih", bias_hh="b_hh")
    cb.attributes(gate_order="f (i = 1 - f)")
    return cb.build()

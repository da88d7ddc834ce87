r"""The chaos-free network (CFN) of Laurent & von Brecht (2017), as torchrecurrent's
``CFNCell``.

The paper ("A recurrent neural network without chaos", ICLR 2017) writes, with the forget
gate :math:`\theta_t` and the input gate :math:`\eta_t`:

.. math::

    \theta_t &= \sigma(U_\theta h_{t-1} + V_\theta x_t + b_\theta) \\
    \eta_t &= \sigma(U_\eta h_{t-1} + V_\eta x_t + b_\eta) \\
    h_t &= \theta_t \odot \tanh(h_{t-1}) + \eta_t \odot \tanh(W x_t)

The cell follows torchrecurrent's ``forward`` (:math:`\theta`'s weights carry the subscript
``f`` of a forget gate, :math:`\eta`'s the subscript ``i`` of an input gate):

.. math::

    \theta_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
    \eta_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
    h_t &= \theta_t \odot \tanh(h_{t-1}) + \eta_t \odot \tanh(W_{in} x_t + b_{in})

How the paper differs: the input term is :math:`\tanh(W x_t)`, without the bias
:math:`b_{in}`; each gate has one bias (torchrecurrent's two add up to it).

No gate value makes the cell carry its state: :math:`\theta_t \to 1` leaves
:math:`\tanh(h_{t-1})`, whose derivative :math:`1 - \tanh^2 h_{t-1}` is below 1 off
:math:`h = 0`. The carry path :math:`\operatorname{diag}(\theta (1 - \tanh^2 h))` is at most
1, and with no input the state decays to 0 (the paper's "no chaos").
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["cfn"]


def cfn(convention=None):
    cb = CellBuilder("cfn", convention,
                     reference="Laurent & von Brecht 2017 (chaos-free network); "
                               "torchrecurrent CFNCell")
    x, h = cb.input("x"), cb.state("h")
    W_if, W_ii, W_in = cb.weights("W_if W_ii W_in")
    W_hf, W_hi = cb.weights("W_hf W_hi")
    b_if, b_ii, b_in = cb.biases("b_if b_ii b_in")
    b_hf, b_hi = cb.biases("b_hf b_hi")
    theta = cb.let("theta", sigmoid(W_if @ x + b_if + W_hf @ h + b_hf), role=Role.FORGET_GATE)
    eta = cb.let("eta", sigmoid(W_ii @ x + b_ii + W_hi @ h + b_hi), role=Role.INPUT_GATE)
    cb.update(h, theta * tanh(h) + eta * tanh(W_in @ x + b_in))
    cb.layout(weight_ih="W_if W_ii W_in", weight_hh="W_hf W_hi",
              bias_ih="b_if b_ii b_in", bias_hh="b_hf b_hi")
    cb.attributes(gate_order="theta, eta, input")
    return cb.build()

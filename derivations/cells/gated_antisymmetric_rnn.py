r"""The gated antisymmetric RNN of Chang, Chen, Haber & Chi (2019), as torchrecurrent's
``GatedAntisymmetricRNNCell``.

The paper (Chang, Chen, Haber & Chi 2019, "AntisymmetricRNN: A Dynamical System View on
Recurrent Neural Networks", ICLR): an input gate :math:`z_t` scales the Euler
step, both reading the same antisymmetric matrix,

.. math::

    z_t &= \sigma((W_h - W_h^\top - \gamma I) h_{t-1} + V_z x_t + b_z) \\
    h_t &= h_{t-1} + \epsilon\, z_t \odot \tanh((W_h - W_h^\top - \gamma I) h_{t-1}
        + V_h x_t + b_h).

The cell (torchrecurrent's ``forward``, in its symbols: ``weight_ih`` packs
:math:`W_{iz}, W_{in}` in that order, ``bias_ih`` :math:`b_{iz}, b_{in}`, ``bias_hh`` is
:math:`b_{hn}`; ``epsilon`` and ``gamma`` Python floats, 1 and 0 by default):

.. math::

    A &= W_{hh} - W_{hh}^\top - \gamma I \quad \text{(a derived weight)} \\
    z_t &= \sigma(W_{iz} x_t + b_{iz} + A h_{t-1}) \\
    n_t &= \tanh(W_{in} x_t + b_{in} + A h_{t-1} + b_{hn}) \\
    h_t &= h_{t-1} + \epsilon\, z_t \odot n_t

Paper vs code: the same step (the code's :math:`b_{in} + b_{hn}` is the paper's
:math:`b_h`). torchrecurrent's docstring adds :math:`b_{hh}` to the gate as well (the code
does not) and documents a ``nonlinearity`` argument the class does not take.

The carry is the identity: :math:`z_t \to 0` stops the step, :math:`h_t = h_{t-1}`
(declared ``carrying(z, 0)``); the Jacobian is :math:`I + \epsilon
\operatorname{diag}(z_t (1 - n_t^2)) A + \epsilon \operatorname{diag}(n_t z_t (1 - z_t))
A`, the identity plus :math:`O(\epsilon z_t)`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["gated_antisymmetric_rnn"]


def gated_antisymmetric_rnn(convention=None):
    cb = CellBuilder("gated_antisymmetric_rnn", convention,
                     reference="Chang, Chen, Haber & Chi 2019 (gated AntisymmetricRNN); "
                               "torchrecurrent GatedAntisymmetricRNNCell")
    x, h = cb.input("x"), cb.state("h")
    W_iz, W_in, W_hh = cb.weights("W_iz W_in W_hh")
    b_iz, b_in, b_hn = cb.biases("b_iz b_in b_hn")
    epsilon = cb.scalar("epsilon", default=1.0)
    gamma = cb.scalar("gamma", default=0.0)
    A = cb.derived_weight("A", W_hh - W_hh.T - cb.identity(gamma))
    z = cb.let("z", sigmoid(W_iz @ x + b_iz + A @ h), role=Role.INPUT_GATE)
    n = cb.let("n", tanh(W_in @ x + b_in + A @ h + b_hn), role=Role.CANDIDATE)
    cb.update(h, h + epsilon * z * n)
    cb.layout(weight_ih="W_iz W_in", weight_hh="W_hh", bias_ih="b_iz b_in", bias_hh="b_hn")
    cb.attributes(gate_order="z, n", recurrent="A = W_hh - W_hh^T - gamma I, shared by z "
                                               "and n",
                  carry="identity plus O(epsilon z) terms")
    cb.carrying(z, 0)
    return cb.build()

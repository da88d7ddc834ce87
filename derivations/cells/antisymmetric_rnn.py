r"""The antisymmetric RNN of Chang, Chen, Haber & Chi (2019), as torchrecurrent's
``AntisymmetricRNNCell``.

The paper (Chang, Chen, Haber & Chi 2019, "AntisymmetricRNN: A Dynamical System View on
Recurrent Neural Networks", ICLR) discretizes :math:`h' = \tanh(A h + V x + b)` with an
antisymmetric :math:`W_h - W_h^\top` (eigenvalues on the imaginary axis: the ODE neither
forgets nor explodes) by forward Euler, damped by :math:`\gamma`:

.. math::

    h_t = h_{t-1} + \epsilon \tanh((W_h - W_h^\top - \gamma I) h_{t-1} + V_h x_t + b_h).

The cell (torchrecurrent's ``forward``, in its symbols; ``epsilon`` and ``gamma`` Python
floats, 1 and 0 by default):

.. math::

    A &= W_{hh} - W_{hh}^\top - \gamma I \quad \text{(a derived weight)} \\
    n_t &= \tanh(W_{ih} x_t + b_{ih} + A h_{t-1} + b_{hh}) \\
    h_t &= h_{t-1} + \epsilon\, n_t

Paper vs code: the same step; the code's two biases :math:`b_{ih} + b_{hh}` are the paper's
:math:`b_h`, and its ``nonlinearity`` option (tanh by default, the paper's) is the only one
modelled. The paper takes a small :math:`\epsilon` and :math:`\gamma > 0`; torchrecurrent's
defaults, :math:`\epsilon = 1, \gamma = 0`, are a full Euler step with no damping.

No gate: the Jacobian is the identity plus :math:`O(\epsilon)`, exactly
:math:`\partial h_t / \partial h_{t-1} = I + \epsilon \operatorname{diag}(1 - n_t^2) A`. In
the linear regime (:math:`n_t \approx 0`) with :math:`\gamma = 0` it is :math:`I + \epsilon
A`, whose singular values :math:`\sqrt{1 + \epsilon^2 \lambda_k^2}` (:math:`i \lambda_k` the
eigenvalues of :math:`A`) are all at least 1: gradients do not vanish; :math:`\gamma` pulls
them back towards 1 from above.
"""

from ..facts import Role
from ..functions import tanh
from ..language import CellBuilder

__all__ = ["antisymmetric_rnn"]


def antisymmetric_rnn(convention=None):
    cb = CellBuilder("antisymmetric_rnn", convention,
                     reference="Chang, Chen, Haber & Chi 2019 (AntisymmetricRNN); "
                               "torchrecurrent AntisymmetricRNNCell")
    x, h = cb.input("x"), cb.state("h")
    W_ih, W_hh = cb.weights("W_ih W_hh")
    b_ih, b_hh = cb.biases("b_ih b_hh")
    epsilon = cb.scalar("epsilon", default=1.0)
    gamma = cb.scalar("gamma", default=0.0)
    A = cb.derived_weight("A", W_hh - W_hh.T - cb.identity(gamma))
    n = cb.let("n", tanh(W_ih @ x + b_ih + A @ h + b_hh), role=Role.CANDIDATE)
    cb.update(h, h + epsilon * n)
    cb.layout(weight_ih="W_ih", weight_hh="W_hh", bias_ih="b_ih", bias_hh="b_hh")
    cb.attributes(recurrent="A = W_hh - W_hh^T - gamma I (antisymmetric minus damping)",
                  carry="identity plus O(epsilon) terms (no gate)")
    return cb.build()

r"""The coupled oscillatory RNN (coRNN) of Rusch & Mishra (2021), as torchrecurrent's
``coRNNCell``.

The paper (Rusch & Mishra 2021, "Coupled Oscillatory Recurrent Neural Network (coRNN): An
accurate and (gradient) stable architecture for learning long time dependencies", ICLR)
discretizes the damped, driven oscillators :math:`y'' = \sigma(W y + \mathcal{W} y' + V u +
b) - \gamma y - \epsilon y'` with a step :math:`\Delta t` (an IMEX scheme, implicit
in the damping :math:`\epsilon`):

.. math::

    y_n &= y_{n-1} + \Delta t\, z_n \\
    z_n &= z_{n-1} + \Delta t\, \sigma(W y_{n-1} + \mathcal{W} z_{n-1} + V u_n + b)
        - \Delta t\, \gamma\, y_{n-1} - \Delta t\, \epsilon\, z_n

with :math:`\sigma = \tanh`. The cell (torchrecurrent's ``forward``; :math:`h = y` the
position, :math:`c = z` the velocity; ``dt``, ``gamma``, ``epsilon`` Python floats):

.. math::

    a_t &= \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh} + W_{ch} c_{t-1} + b_{ch}) \\
    c_t &= c_{t-1} + \Delta t\, a_t - \Delta t\, \gamma\, h_{t-1}
        - \Delta t\, \epsilon\, c_{t-1} \\
    h_t &= h_{t-1} + \Delta t\, c_t

Paper vs code: the code damps explicitly, :math:`-\Delta t\, \epsilon\, c_{t-1}` (as the
authors' own code does), where the paper's scheme is implicit, :math:`-\Delta t\, \epsilon\,
z_n`, i.e. :math:`z_n = (z_{n-1} + \Delta t\, \sigma(\cdot) - \Delta t\, \gamma\, y_{n-1}) /
(1 + \Delta t\, \epsilon)`; the two agree to :math:`O(\Delta t^2)`. torchrecurrent's
docstring writes the paper's implicit form, not what its code runs. The code's three biases
sum to the paper's :math:`b`.

No gate: the carry path of each diagonal block is the identity plus :math:`O(\Delta t)`
terms, :math:`\partial c_t / \partial c_{t-1} = (1 - \Delta t\, \epsilon) I + \Delta t
\operatorname{diag}(1 - a_t^2) W_{ch}` and :math:`\partial h_t / \partial h_{t-1} = (1 -
\Delta t^2 \gamma) I + \Delta t^2 \operatorname{diag}(1 - a_t^2) W_{hh}`, which is how the
paper bounds the gradients for small :math:`\Delta t`.
"""

from ..facts import Role
from ..functions import tanh
from ..language import CellBuilder

__all__ = ["cornn"]


def cornn(convention=None):
    cb = CellBuilder("cornn", convention,
                     reference="Rusch & Mishra 2021 (coRNN); torchrecurrent coRNNCell")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_ih, W_hh, W_ch = cb.weights("W_ih W_hh W_ch")
    b_ih, b_hh, b_ch = cb.biases("b_ih b_hh b_ch")
    dt = cb.scalar("dt", default=0.1)
    gamma = cb.scalar("gamma", default=1.0)
    epsilon = cb.scalar("epsilon", default=1.0)
    a = cb.let("a", tanh(W_ih @ x + b_ih + W_hh @ h + b_hh + W_ch @ c + b_ch),
               role=Role.CANDIDATE)
    c_next = cb.update(c, c + dt * a - dt * gamma * h - dt * epsilon * c,
                       role=Role.VELOCITY_STATE)
    cb.update(h, h + dt * c_next)
    cb.layout(weight_ih="W_ih", weight_hh="W_hh", weight_ch="W_ch",
              bias_ih="b_ih", bias_hh="b_hh", bias_ch="b_ch")
    cb.attributes(discretization="explicit damping (torchrecurrent, the authors' code); the "
                                 "paper's scheme is implicit in epsilon",
                  carry="identity plus O(dt) terms (no gate)")
    return cb.build()

r"""The undamped independent controlled oscillatory RNN (UnICORNN) of Rusch & Mishra (2021),
as torchrecurrent's ``UnICORNNCell``.

The paper (Rusch & Mishra 2021, "UnICORNN: A recurrent model for learning very long time
dependencies", ICML) discretizes independent undamped oscillators with the symplectic Euler
scheme and a learned, per-unit time step :math:`\Delta t\, \hat\sigma(c)`:

.. math::

    y_n &= y_{n-1} + \Delta t\, \hat\sigma(c) \odot z_n \\
    z_n &= z_{n-1} - \Delta t\, \hat\sigma(c) \odot
        [\sigma(w \odot y_{n-1} + V u_n + b) + \alpha\, y_{n-1}]

with :math:`\sigma = \tanh`, :math:`\hat\sigma(c) = \tfrac12 + \tfrac12 \tanh(c / 2)` the
logistic sigmoid, :math:`w, c` vectors. The cell (torchrecurrent's ``forward``; :math:`h =
y`, the state :math:`c` is the paper's :math:`z`; the vectors :math:`w_{hh}, w_{ch}` are the
paper's :math:`w, c`, torchrecurrent's ``weight_hh``, ``weight_ch`` of shape ``(H,)``;
``dt``, ``alpha`` Python floats):

.. math::

    n_t &= \tanh(W_{ih} x_t + b_{ih} + w_{hh} \odot h_{t-1} + b_{hh}) \\
    c_t &= c_{t-1} - \Delta t\, \sigma(w_{ch}) \odot (n_t + \alpha\, h_{t-1}) \\
    h_t &= h_{t-1} + \Delta t\, \sigma(w_{ch}) \odot c_t

Paper vs code: the same, with an extra recurrent bias :math:`b_{hh}` (``recurrent_bias``,
off by default: a zero buffer), which adds to the paper's :math:`b`.

No gate: every block is diagonal (each unit is its own oscillator), and the carry path is
the identity plus :math:`O(\Delta t)` terms: :math:`\partial c_t / \partial c_{t-1} = I`
exactly, :math:`\partial h_t / \partial h_{t-1} = I - \Delta t^2 \operatorname{diag}(
\sigma(w_{ch})^2 ((1 - n_t^2) w_{hh} + \alpha))`. The step is invertible (symplectic), which
is what the paper's memory-free backward pass uses.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["unicornn"]


def unicornn(convention=None):
    cb = CellBuilder("unicornn", convention,
                     reference="Rusch & Mishra 2021 (UnICORNN); torchrecurrent UnICORNNCell")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    (W_ih,) = cb.weights("W_ih")
    w_hh = cb.vector("w_hh", init=(0.0, 1.0))
    w_ch = cb.vector("w_ch", init=(-0.1, 0.1))
    b_ih, b_hh = cb.biases("b_ih b_hh")
    dt = cb.scalar("dt", default=0.1)
    alpha = cb.scalar("alpha", default=0.0)
    n = cb.let("n", tanh(W_ih @ x + b_ih + w_hh * h + b_hh), role=Role.CANDIDATE)
    c_next = cb.update(c, c - dt * sigmoid(w_ch) * (n + alpha * h), role=Role.VELOCITY_STATE)
    cb.update(h, h + dt * sigmoid(w_ch) * c_next)
    cb.layout(weight_ih="W_ih", weight_hh="w_hh", weight_ch="w_ch",
              bias_ih="b_ih", bias_hh="b_hh")
    cb.attributes(discretization="symplectic Euler, time step dt * sigmoid(w_ch) per unit",
                  carry="identity plus O(dt) terms (no gate)")
    return cb.build()

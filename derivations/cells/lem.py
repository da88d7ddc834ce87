r"""Long Expressive Memory (LEM) of Rusch, Mishra, Erichson & Mahoney (2022), as
torchrecurrent's ``LEMCell``.

The paper (Rusch, Mishra, Erichson & Mahoney 2022, "Long Expressive Memory for Sequence
Modeling", ICLR) discretizes a multiscale ODE system with learned, input- and
state-dependent time steps, eq. (3):

.. math::

    \Delta t_n &= \Delta t\, \hat\sigma(W_1 y_{n-1} + V_1 u_n + b_1), \qquad
    \overline{\Delta t}_n = \Delta t\, \hat\sigma(W_2 y_{n-1} + V_2 u_n + b_2) \\
    z_n &= (1 - \Delta t_n) \odot z_{n-1} + \Delta t_n \odot \sigma(W_z y_{n-1} + V_z u_n
        + b_z) \\
    y_n &= (1 - \overline{\Delta t}_n) \odot y_{n-1} + \overline{\Delta t}_n \odot
        \sigma(W_y z_n + V_y u_n + b_y)

with :math:`\hat\sigma` the logistic sigmoid and :math:`\sigma = \tanh`. The cell
(torchrecurrent's ``forward``, :math:`h = y`, :math:`c = z`; the packed blocks 1-4 of
``weight_ih`` / ``bias_ih`` and 1-3 of ``weight_hh`` / ``bias_hh`` in its chunk order;
``dt`` a Python float):

.. math::

    \bar s_t &= \sigma(W_{i1} x_t + b_{i1} + W_{h1} h_{t-1} + b_{h1}), \qquad
    s_t = \sigma(W_{i2} x_t + b_{i2} + W_{h2} h_{t-1} + b_{h2}) \\
    \tilde c_t &= \tanh(W_{i3} x_t + b_{i3} + W_{h3} h_{t-1} + b_{h3}) \\
    c_t &= (1 - \Delta t\, s_t) \odot c_{t-1} + \Delta t\, s_t \odot \tilde c_t \\
    \tilde h_t &= \tanh(W_{i4} x_t + b_{i4} + W_{ch} c_{t-1} + b_{ch}) \\
    h_t &= (1 - \Delta t\, \bar s_t) \odot h_{t-1} + \Delta t\, \bar s_t \odot \tilde h_t

so :math:`\Delta t\, s_t` is the paper's :math:`\Delta t_n` (the step of :math:`c = z`) and
:math:`\Delta t\, \bar s_t` its :math:`\overline{\Delta t}_n` (the step of :math:`h = y`).

Paper vs code: **the new** :math:`h_t` **reads the old** :math:`c_{t-1}` in torchrecurrent
(``b_c @ self.weight_ch.t()``), where the paper (and the authors' code) reads the new
:math:`z_n`; so here :math:`\partial h_t / \partial c_{t-1} = \Delta t \operatorname{diag}(
\bar s_t (1 - \tilde h_t^2)) W_{ch}` has no path through :math:`c_t`, and
:math:`\partial h_t / \partial h_{t-1}` none through :math:`\partial c_t / \partial
h_{t-1}`. torchrecurrent's docstring also writes :math:`\Delta t(t)` (not
:math:`\overline{\Delta t}`) in the update of :math:`h` and a sigmoid for the candidates;
the code is as above. The code's biases :math:`b_{i\cdot} + b_{h\cdot}` (and :math:`b_{i4}
+ b_{ch}`) are the paper's single biases; ``dt`` defaults to 1.

The carry path is the identity plus :math:`O(\Delta t)` terms: :math:`\partial c_t /
\partial c_{t-1} = \operatorname{diag}(1 - \Delta t\, s_t)` exactly (as the LSTM's
:math:`f_t`, with :math:`s_t \to 0` carrying: declared ``carrying(s, 0)``), and
:math:`\partial h_t / \partial h_{t-1} = \operatorname{diag}(1 - \Delta t\, \bar s_t)` plus
the one term through the time step :math:`\bar s_t` (:math:`W_{h1}`): the candidate
:math:`\tilde h_t` reads no :math:`h_{t-1}`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["lem"]


def lem(convention=None):
    cb = CellBuilder("lem", convention,
                     reference="Rusch, Mishra, Erichson & Mahoney 2022 (LEM); torchrecurrent "
                               "LEMCell")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_i1, W_i2, W_i3, W_i4 = cb.weights("W_i1 W_i2 W_i3 W_i4")
    W_h1, W_h2, W_h3, W_ch = cb.weights("W_h1 W_h2 W_h3 W_ch")
    b_i1, b_i2, b_i3, b_i4 = cb.biases("b_i1 b_i2 b_i3 b_i4")
    b_h1, b_h2, b_h3, b_ch = cb.biases("b_h1 b_h2 b_h3 b_ch")
    dt = cb.scalar("dt", default=1.0)
    s_bar = cb.let("s_bar", sigmoid(W_i1 @ x + b_i1 + W_h1 @ h + b_h1), role=Role.TIME_STEP)
    s = cb.let("s", sigmoid(W_i2 @ x + b_i2 + W_h2 @ h + b_h2), role=Role.TIME_STEP)
    c_tilde = cb.let("c_tilde", tanh(W_i3 @ x + b_i3 + W_h3 @ h + b_h3),
                     role=Role.CELL_CANDIDATE)
    h_tilde = cb.let("h_tilde", tanh(W_i4 @ x + b_i4 + W_ch @ c + b_ch), role=Role.CANDIDATE)
    cb.update(c, (1 - dt * s) * c + dt * s * c_tilde, role=Role.CELL_STATE)
    cb.update(h, (1 - dt * s_bar) * h + dt * s_bar * h_tilde)
    cb.layout(weight_ih="W_i1 W_i2 W_i3 W_i4", weight_hh="W_h1 W_h2 W_h3", weight_ch="W_ch",
              bias_ih="b_i1 b_i2 b_i3 b_i4", bias_hh="b_h1 b_h2 b_h3", bias_ch="b_ch")
    cb.attributes(gate_order="s_bar, s, c_tilde, h_tilde (weight_ih); s_bar, s, c_tilde "
                             "(weight_hh)",
                  reads="h_t reads c_{t-1} (torchrecurrent); the paper reads c_t",
                  carry="identity plus O(dt) terms")
    cb.carrying(s, 0)
    return cb.build()

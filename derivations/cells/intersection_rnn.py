r"""The intersection RNN (+RNN) of Collins, Sohl-Dickstein & Sussillo (2017), as
torchrecurrent's ``IntersectionRNNCell``.

The paper ("Capacity and Trainability in Recurrent Neural Networks", ICLR 2017) separates
the cell's output :math:`y_t` (a gated mix of the input and a depth candidate, for the next
layer) from its state :math:`h_t` (a gated mix of the old state and a recurrent candidate):

.. math::

    y^{in}_t &= \phi_1(W_{yh} h_{t-1} + W_{yx} x_t + b_y) \\
    h^{in}_t &= \phi_2(W_{hh} h_{t-1} + W_{hx} x_t + b_h) \\
    g^y_t &= \sigma(W_{g^y h} h_{t-1} + W_{g^y x} x_t + b_{g^y}) \\
    g^h_t &= \sigma(W_{g^h h} h_{t-1} + W_{g^h x} x_t + b_{g^h}) \\
    y_t &= g^y_t \odot x_t + (1 - g^y_t) \odot y^{in}_t \\
    h_t &= g^h_t \odot h_{t-1} + (1 - g^h_t) \odot h^{in}_t

with :math:`\phi_1 = \operatorname{relu}`, :math:`\phi_2 = \tanh`. :math:`y_t` mixes
:math:`x_t` elementwise, so the input has the hidden size (:math:`I = H`). :math:`y_t` is
the cell's output (``cb.output``); the state Jacobian does not see it:

.. math::

    \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(g^h_t)
    + \operatorname{diag}((h_{t-1} - h^{in}_t) g^h_t (1 - g^h_t)) W_{g^h h}
    + \operatorname{diag}((1 - g^h_t)(1 - (h^{in}_t)^2)) W_{hh},

a GRU-like carry: :math:`g^h \to 1` makes it the identity.

Paper vs torchrecurrent (the cell follows torchrecurrent): the code adds two biases to each
pre-activation, ``bias_ih`` (:math:`b_{\ast x}`) and ``bias_hh`` (:math:`b_{\ast h}`), where
the paper has one (their sum). The packed blocks are in the order :math:`y^{in}, h^{in},
g^y, g^h`.
"""

from ..facts import Role
from ..functions import relu, sigmoid, tanh
from ..language import CellBuilder
from ..naming import Name

__all__ = ["intersection_rnn"]


def intersection_rnn(convention=None):
    cb = CellBuilder("intersection_rnn", convention,
                     reference="Collins, Sohl-Dickstein & Sussillo 2017 (+RNN); "
                               "torchrecurrent IntersectionRNNCell")
    x, h = cb.input("x", dim="H"), cb.state("h")
    W_yx, W_hx, W_gyx, W_ghx = cb.weights("W_yx W_hx W_gyx W_ghx")
    W_yh, W_hh, W_gyh, W_ghh = cb.weights("W_yh W_hh W_gyh W_ghh")
    b_yx, b_hx, b_gyx, b_ghx = cb.biases("b_yx b_hx b_gyx b_ghx")
    b_yh, b_hh, b_gyh, b_ghh = cb.biases("b_yh b_hh b_gyh b_ghh")
    y_in = cb.let("y_in", relu(W_yx @ x + b_yx + W_yh @ h + b_yh), role=Role.CANDIDATE,
                  display=Name("y", sub="in"))
    h_in = cb.let("h_in", tanh(W_hx @ x + b_hx + W_hh @ h + b_hh), role=Role.CANDIDATE,
                  display=Name("h", sub="in"))
    g_y = cb.let("g_y", sigmoid(W_gyx @ x + b_gyx + W_gyh @ h + b_gyh), role=Role.OUTPUT_GATE)
    g_h = cb.let("g_h", sigmoid(W_ghx @ x + b_ghx + W_ghh @ h + b_ghh),
                 role=Role.UPDATE_GATE)
    cb.update(h, g_h * h + (1 - g_h) * h_in)
    cb.output("y", g_y * x + (1 - g_y) * y_in)
    cb.layout(weight_ih="W_yx W_hx W_gyx W_ghx", weight_hh="W_yh W_hh W_gyh W_ghh",
              bias_ih="b_yx b_hx b_gyx b_ghx", bias_hh="b_yh b_hh b_gyh b_ghh")
    cb.attributes(gate_order="y_in, h_in, g_y, g_h", output="y (not the state h)")
    cb.carrying(g_h, 1)
    return cb.build()

r"""The strongly-typed RNN (T-RNN) of Balduzzi & Ghifary (2016).

Paper ("Strongly-Typed Recurrent Neural Networks", ICML 2016, eq. for the T-RNN), in its
symbols: no matrix acts on the state; the gate reads the input only,

.. math::

    z_t &= W x_t \\
    f_t &= \sigma(V x_t + b) \\
    h_t &= f_t \odot h_{t-1} + (1 - f_t) \odot z_t

The cell follows torchrecurrent's ``TRNNCell`` (``weight_ih``, ``bias_ih`` in the order z, f;
no recurrent parameters):

.. math::

    z_t &= W_{iz} x_t + b_{iz} \\
    f_t &= \sigma(W_{if} x_t + b_{if}) \\
    h_t &= f_t \odot h_{t-1} + (1 - f_t) \odot z_t

Paper vs code: the code adds a bias :math:`b_{iz}` to :math:`z_t`, which the paper's
:math:`W x_t` does not have. The Jacobian is exactly :math:`\partial h_t / \partial h_{t-1}
= \operatorname{diag}(f_t)`, in :math:`(0, 1)`: the gradient never explodes and decays as
:math:`\prod_t f_t` (carrying at :math:`f \to 1`).
"""

from ..facts import Role
from ..functions import sigmoid
from ..language import CellBuilder

__all__ = ["trnn"]


def trnn(convention=None):
    cb = CellBuilder("trnn", convention, reference="Balduzzi & Ghifary 2016 (T-RNN)")
    x, h = cb.input("x"), cb.state("h")
    W_iz, W_if = cb.weights("W_iz W_if")
    b_iz, b_if = cb.biases("b_iz b_if")
    z = cb.let("z", W_iz @ x + b_iz, role=Role.LATENT)
    f = cb.let("f", sigmoid(W_if @ x + b_if), role=Role.FORGET_GATE)
    cb.update(h, f * h + (1 - f) * z)
    cb.layout(weight_ih="W_iz W_if", bias_ih="b_iz b_if")
    cb.attributes(gate_order="z, f (no recurrent weights)")
    cb.carrying(f, 1)
    return cb.build()

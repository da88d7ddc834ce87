r"""The independently recurrent neural network (IndRNN) of Li et al. (2018).

.. math::

    h_t = \operatorname{relu}(W x_t + u \odot h_{t-1} + b)

Each unit reads only its own past through the elementwise recurrent weight :math:`u`, so the
state Jacobian is diagonal, :math:`\partial h_t / \partial h_{t-1} =
\operatorname{diag}(\operatorname{relu}'(\cdot) \odot u)` (almost everywhere), and over
:math:`T` steps a unit's gradient is :math:`\prod_t u \operatorname{relu}'(\cdot)`: it neither
vanishes nor explodes exactly when :math:`|u| = 1` on active units, which is why Li et al.
constrain :math:`|u_j| \le \gamma^{1/T}`.
"""

from ..functions import relu
from ..language import CellBuilder

__all__ = ["indrnn"]


def indrnn(convention=None):
    cb = CellBuilder("indrnn", convention,
                     reference="Li, Li, Cook, Zhu & Gao 2018 (IndRNN)")
    x, h = cb.input("x"), cb.state("h")
    (W,) = cb.weights("W")
    u = cb.vector("u")
    b = cb.bias("b")
    cb.update(h, relu(W @ x + u * h + b))
    return cb.build()

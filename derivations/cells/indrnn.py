r"""The independently recurrent neural network (IndRNN) of Li et al. (2018).

.. math::

    h_t = \sigma(W x_t + u \odot h_{t-1} + b)

with :math:`\sigma = \operatorname{relu}` in the paper (the default convention, ``None``) or
:math:`\tanh` (convention ``"tanh"``: torchrecurrent's ``IndRNNCell``, whose default
``nonlinearity`` is ``"tanh"``).

Each unit reads only its own past through the elementwise recurrent weight :math:`u`, so the
state Jacobian is diagonal, :math:`\partial h_t / \partial h_{t-1} =
\operatorname{diag}(\sigma'(\cdot) \odot u)` (almost everywhere for relu), and over
:math:`T` steps a unit's gradient is :math:`\prod_t u \sigma'(\cdot)`: with relu it neither
vanishes nor explodes exactly when :math:`|u| = 1` on active units, which is why Li et al.
constrain :math:`|u_j| \le \gamma^{1/T}`; with tanh, :math:`|\sigma'| \le 1` only adds decay.

torchrecurrent (``IndRNNCell``) differs from the paper: its default activation is
:math:`\tanh`, and it adds a recurrent bias, :math:`W_{ih} x_t + b_{ih} + u \odot h_{t-1} +
b_{hh}` (``weight_ih``, ``bias_ih``, ``vector_u``, ``bias_hh``); the cell keeps the paper's
one bias :math:`b = b_{ih} + b_{hh}` (the loader sums them; the step and the Jacobian are
the same).
"""

from .._errors import DerivationError
from ..functions import relu, tanh
from ..language import CellBuilder

__all__ = ["indrnn", "INDRNN_NONLINEARITIES"]

#: convention -> (activation, reference)
INDRNN_NONLINEARITIES = {
    None: (relu, "Li, Li, Cook, Zhu & Gao 2018 (IndRNN)"),
    "tanh": (tanh, "Li, Li, Cook, Zhu & Gao 2018 (IndRNN); torchrecurrent IndRNNCell "
                   "(nonlinearity='tanh')"),
}


def indrnn(convention=None):
    """IndRNN; ``convention="tanh"`` is torchrecurrent's default activation."""
    if convention not in INDRNN_NONLINEARITIES:
        raise DerivationError(f"unknown IndRNN convention {convention!r}; valid: "
                              "None (relu, the paper) or 'tanh'")
    phi, reference = INDRNN_NONLINEARITIES[convention]
    cb = CellBuilder("indrnn", convention, reference=reference)
    x, h = cb.input("x"), cb.state("h")
    (W,) = cb.weights("W")
    u = cb.vector("u")
    b = cb.bias("b")
    cb.update(h, phi(W @ x + u * h + b))
    if convention is not None:
        cb.attributes(nonlinearity="tanh")
    return cb.build()

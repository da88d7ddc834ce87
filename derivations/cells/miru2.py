r"""The minion recurrent unit MiRU-2 of Zyarah & Kudithipudi (2026).

Paper ("Minion Gated Recurrent Unit for Continual Learning", Neurocomputing 2026,
doi:10.1016/j.neucom.2026.132847, arXiv:2503.06175), in its symbols: MiRU-1 with its reset
gate replaced by a fixed coefficient :math:`\theta` too, so no gate is left,

.. math::

    \tilde{h}_t &= \tanh(W_h x_t + b_h + U_h (\theta \odot h_{t-1})) \\
    h_t &= \lambda \odot h_{t-1} + (1 - \lambda) \odot \tilde{h}_t

The cell follows torchrecurrent's ``MiRU2Cell``, whose :math:`\lambda`
(``update_coefficient``) and :math:`\theta` (``reset_coefficient``), default 0.5 each, are
Python floats outside the state dict:

.. math::

    \tilde{h}_t &= \tanh(W_{in} x_t + b_{in} + W_{hn} (\theta h_{t-1}) + b_{hn}) \\
    h_t &= \lambda h_{t-1} + (1 - \lambda) \tilde{h}_t

Paper vs code: the code adds a recurrent bias (the paper's :math:`b_h = b_{in} + b_{hn}`),
and its :math:`\lambda, \theta` are scalars shared by all units where the paper writes them
elementwise (:math:`\odot`). The Jacobian :math:`\lambda I + (1 - \lambda) \theta
\operatorname{diag}(1 - \tilde{h}_t^2) W_{hn}` is an Elman Jacobian scaled by :math:`(1 -
\lambda) \theta` plus the constant carry :math:`\lambda I`; it is exactly :math:`I` at
:math:`\lambda = 1`.
"""

from ..facts import Role
from ..functions import tanh
from ..language import CellBuilder
from .miru1 import LAMBDA

__all__ = ["miru2"]


def miru2(convention=None):
    cb = CellBuilder("miru2", convention, reference="Zyarah & Kudithipudi 2026 (MiRU-2)")
    x, h = cb.input("x"), cb.state("h")
    W_in, W_hn = cb.weights("W_in W_hn")
    b_in, b_hn = cb.biases("b_in b_hn")
    lam = cb.scalar("lam", default=0.5, display=LAMBDA)
    theta = cb.scalar("theta", default=0.5)
    h_tilde = cb.let("h_tilde", tanh(W_in @ x + b_in + W_hn @ (theta * h) + b_hn),
                     role=Role.CANDIDATE)
    cb.update(h, lam * h + (1 - lam) * h_tilde)
    cb.layout(weight_ih="W_in", weight_hh="W_hn", bias_ih="b_in", bias_hh="b_hn")
    cb.attributes(gate_order="candidate",
                  update="lambda = update_coefficient, theta = reset_coefficient (floats)")
    return cb.build()

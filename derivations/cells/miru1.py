r"""The minion recurrent unit MiRU-1 of Zyarah & Kudithipudi (2026).

Paper ("Minion Gated Recurrent Unit for Continual Learning", Neurocomputing 2026,
doi:10.1016/j.neucom.2026.132847, arXiv:2503.06175), in its symbols: the GRU with its update
gate replaced by a fixed coefficient :math:`\lambda`,

.. math::

    r_t &= \sigma(W_r x_t + b_r + U_r h_{t-1}) \\
    \tilde{h}_t &= \tanh(W_h x_t + b_h + U_h (r_t \odot h_{t-1})) \\
    h_t &= \lambda \odot h_{t-1} + (1 - \lambda) \odot \tilde{h}_t

The cell follows torchrecurrent's ``MiRU1Cell`` (packed blocks r, candidate), whose
:math:`\lambda` (``update_coefficient``, default 0.5) is a Python float outside the state
dict:

.. math::

    r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
    \tilde{h}_t &= \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}) \\
    h_t &= \lambda h_{t-1} + (1 - \lambda) \tilde{h}_t

Paper vs code: the code adds recurrent biases (the paper's :math:`b_r = b_{ir} + b_{hr}`,
:math:`b_h = b_{in} + b_{hn}`), and its :math:`\lambda` is one scalar shared by all units
where the paper writes it elementwise (:math:`\odot`). No gate carries: the carry is the
constant :math:`\lambda I`, and :math:`\partial h_t / \partial h_{t-1} = \lambda I + (1 -
\lambda) \operatorname{diag}(1 - \tilde{h}_t^2) W_{hn} [\operatorname{diag}(r_t) +
\operatorname{diag}(r_t (1 - r_t) h_{t-1}) W_{hr}]` is exactly :math:`I` at :math:`\lambda
= 1`. The range engine does not assume :math:`0 \le \lambda \le 1` (torchrecurrent accepts
any float), so the global bound carries :math:`|\lambda|` and :math:`|1 - \lambda| \le 1 +
|\lambda|`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder
from ..naming import Name

__all__ = ["miru1", "LAMBDA"]

#: how the update coefficient ``lam`` is shown (``lambda`` is a Python keyword)
LAMBDA = Name("lambda", kind="greek")


def miru1(convention=None):
    cb = CellBuilder("miru1", convention, reference="Zyarah & Kudithipudi 2026 (MiRU-1)")
    x, h = cb.input("x"), cb.state("h")
    W_ir, W_in = cb.weights("W_ir W_in")
    W_hr, W_hn = cb.weights("W_hr W_hn")
    b_ir, b_in, b_hr, b_hn = cb.biases("b_ir b_in b_hr b_hn")
    lam = cb.scalar("lam", default=0.5, display=LAMBDA)
    r = cb.let("r", sigmoid(W_ir @ x + b_ir + W_hr @ h + b_hr), role=Role.RESET_GATE)
    h_tilde = cb.let("h_tilde", tanh(W_in @ x + b_in + W_hn @ (r * h) + b_hn),
                     role=Role.CANDIDATE)
    cb.update(h, lam * h + (1 - lam) * h_tilde)
    cb.layout(weight_ih="W_ir W_in", weight_hh="W_hr W_hn",
              bias_ih="b_ir b_in", bias_hh="b_hr b_hn")
    cb.attributes(gate_order="r, candidate", update="lambda = update_coefficient (a float)")
    return cb.build()

r"""FastRNN of Kusupati et al. (2018), as torchrecurrent's ``FastRNNCell``.

The paper (Kusupati, Singh, Bhatia, Kumar, Jain & Varma 2018, "FastGRNN: A Fast, Accurate,
Stable and Tiny Kilobyte Sized Gated Recurrent Neural Network", NeurIPS):

.. math::

    \tilde h_t = \sigma(W x_t + U h_{t-1} + b), \qquad
    h_t = \alpha \tilde h_t + \beta h_{t-1},

with :math:`\sigma` a nonlinearity (tanh here) and trainable scalars
:math:`0 \le \alpha, \beta \le 1` parametrized through the sigmoid. The cell (torchrecurrent's
``forward``, in its symbols):

.. math::

    \tilde h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \qquad
    h_t = \sigma(\alpha) \tilde h_t + \sigma(\beta) h_{t-1}.

Paper vs code: the code's two biases :math:`b_{ih} + b_{hh}` are the paper's :math:`b`;
:math:`\alpha, \beta` are the raw learnable scalars (``nn.Parameter`` of shape ``(1,)``,
read from the state dict) behind the sigmoid. torchrecurrent initializes
:math:`\alpha = 3, \beta = -3` (:math:`\sigma(\alpha) \approx 0.95`,
:math:`\sigma(\beta) \approx 0.05`, close to an Elman cell), the reverse of the paper's code
(EdgeML: ``alphaInit=-3, betaInit=3``, a small update on a near-identity residual); the
cell's defaults are torchrecurrent's.

The Jacobian is :math:`\sigma(\beta) I + \sigma(\alpha) \operatorname{diag}(1 - \tilde h_t^2)
W_{hh}`: a scalar carry :math:`\sigma(\beta)` (not a gate: it does not depend on the input
or the state, so no ``carrying`` gate is declared) plus the Elman term scaled by
:math:`\sigma(\alpha)`. The paper's stability argument: with :math:`\beta \approx 1 - \alpha`
and small :math:`\alpha` the Jacobian is the identity plus :math:`O(\alpha)`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["fastrnn"]


def fastrnn(convention=None):
    cb = CellBuilder("fastrnn", convention,
                     reference="Kusupati et al. 2018 (FastRNN); torchrecurrent FastRNNCell")
    x, h = cb.input("x"), cb.state("h")
    W_ih, W_hh = cb.weights("W_ih W_hh")
    b_ih, b_hh = cb.biases("b_ih b_hh")
    alpha = cb.scalar("alpha", default=3.0)
    beta = cb.scalar("beta", default=-3.0)
    h_tilde = cb.let("h_tilde", tanh(W_ih @ x + b_ih + W_hh @ h + b_hh), role=Role.CANDIDATE)
    cb.update(h, sigmoid(alpha) * h_tilde + sigmoid(beta) * h)
    cb.layout(weight_ih="W_ih", weight_hh="W_hh", bias_ih="b_ih", bias_hh="b_hh")
    cb.attributes(nonlinearity="tanh", residual="sigmoid(beta) h_{t-1}, a learned scalar")
    return cb.build()

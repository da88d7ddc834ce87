r"""The structurally constrained recurrent network (SCRN) of Mikolov et al. (2015).

A slow context state :math:`s_t` (a recurrent matrix constrained to :math:`\alpha I`) beside
a fast hidden layer. In the paper's symbols,

.. math::

    s_t &= (1 - \alpha) B x_t + \alpha s_{t-1} \\
    h_t &= \sigma(P s_t + A x_t + R h_{t-1}) \\
    y_t &= f(U h_t + V s_t)

with :math:`f` the output softmax. torchrecurrent's ``SCRNCell`` (what this cell follows)
returns, as the new hidden state that recurs, the paper's *output* :math:`y_t` with
:math:`f = \tanh`, so the paper's hidden layer becomes an internal quantity, here
:math:`z_t`:

.. math::

    s_t &= (1 - \alpha) (B x_t + b_B) + \alpha s_{t-1} \\
    z_t &= \sigma(A x_t + b_A + R h_{t-1} + b_R + P s_t + b_P) \\
    h_t &= \tanh(U z_t + b_U + V s_t + b_V)

with ``weight_ih`` :math:`= [B; A]`, ``weight_hh`` :math:`= [R; U]`, ``weight_ch``
:math:`= [P; V]` (and the biases alike), the state :math:`(h, s)` (torchrecurrent's
``(h, c)``) and :math:`\alpha` a learnable scalar (``nn.Parameter``, default 0.5, read
from the state dict). How the paper differs: the recurrence runs through :math:`h_t =
\sigma(\ldots)` itself (not :math:`y_t`), no biases, :math:`U` and :math:`V` map to the
vocabulary, and :math:`\alpha` is fixed (0.95 in the paper's experiments) rather than learned.
torchrecurrent's own docstring for this class writes the paper's form (sigmoid state,
separate output), not its code.

The context carries exactly: :math:`\partial s_t / \partial s_{t-1} = \alpha I` and
:math:`\partial s_t / \partial h_{t-1} = 0`, so the state Jacobian is block triangular and
its :math:`s` block has every singular value :math:`|\alpha|`. :math:`\alpha` is a scalar
parameter, not a gate, so the cell declares no carrying gate (:math:`\alpha \to 1` carries).
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["scrn"]


def scrn(convention=None):
    cb = CellBuilder("scrn", convention,
                     reference="Mikolov, Joulin, Chopra, Mathieu & Ranzato 2015 (SCRN); "
                               "torchrecurrent SCRNCell")
    x, h, s = cb.input("x"), cb.state("h"), cb.state("s")
    B, A = cb.weights("B A")
    R, U = cb.weights("R U")
    P, V = cb.weights("P V")
    b_B, b_A = cb.biases("b_B b_A")
    b_R, b_U = cb.biases("b_R b_U")
    b_P, b_V = cb.biases("b_P b_V")
    alpha = cb.scalar("alpha", default=0.5)
    s_next = cb.update(s, (1 - alpha) * (B @ x + b_B) + alpha * s, role=Role.CONTEXT_STATE)
    z = cb.let("z", sigmoid(A @ x + b_A + R @ h + b_R + P @ s_next + b_P), role=Role.LATENT)
    cb.update(h, tanh(U @ z + b_U + V @ s_next + b_V))
    cb.layout(weight_ih="B A", weight_hh="R U", weight_ch="P V",
              bias_ih="b_B b_A", bias_hh="b_R b_U", bias_ch="b_P b_V")
    cb.attributes(gate_order="context, hidden (weight_ih); hidden, output (weight_hh); "
                             "hidden, output (weight_ch)",
                  recurrence="h_t is the paper's output y_t (f = tanh)")
    return cb.build()

r"""FastGRNN of Kusupati et al. (2018), as torchrecurrent's ``FastGRNNCell``.

The paper (Kusupati, Singh, Bhatia, Kumar, Jain & Varma 2018, NeurIPS):

.. math::

    z_t &= \sigma(W x_t + U h_{t-1} + b_z) \\
    \tilde h_t &= \tanh(W x_t + U h_{t-1} + b_h) \\
    h_t &= (\zeta (1 - z_t) + \nu) \odot \tilde h_t + z_t \odot h_{t-1}

with :math:`\sigma` the logistic sigmoid, the gate and the candidate sharing :math:`W, U`, and
trainable scalars :math:`0 \le \zeta, \nu \le 1` parametrized through the sigmoid. The cell
(torchrecurrent's ``forward``, in its symbols; :math:`n_t` is the paper's :math:`\tilde h_t`):

.. math::

    z_t &= \phi(W_{ih} x_t + W_{hh} h_{t-1} + b_{iz} + b_{hz}) \\
    n_t &= \tanh(W_{ih} x_t + W_{hh} h_{t-1} + b_{in} + b_{hn}) \\
    h_t &= (\sigma(\zeta) (1 - z_t) + \sigma(\nu)) \odot n_t + z_t \odot h_{t-1}

Paper vs code: torchrecurrent's gate activation :math:`\phi` is its ``nonlinearity``
argument, **tanh by default** (its docstring says sigmoid); the default convention
(``None``) is that code default, :math:`z_t \in (-1, 1)`; convention ``"sigmoid"`` is the
paper's gate (torchrecurrent ``nonlinearity="sigmoid"``). The code's biases
:math:`b_{i\cdot} + b_{h\cdot}` are the paper's :math:`b_z, b_h` (packed ``bias_ih``,
``bias_hh``, blocks z, n); :math:`\zeta, \nu` are the raw learnable scalars (initialized 3
and -3 by torchrecurrent, 1 and -4 by the paper's EdgeML code).

The carry is :math:`\operatorname{diag}(z_t)`: :math:`z_t \to 1` keeps :math:`h_{t-1}`
(declared ``carrying(z, 1)``), though the step is the identity only if also
:math:`\sigma(\nu) \to 0`, since :math:`\sigma(\nu) \tilde h_t` is added whatever the gate.
With the tanh gate, :math:`z_t` may be negative: a negative carry flips the sign of the
state's gradient.
"""

from .._errors import DerivationError
from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["fastgrnn", "FASTGRNN_GATES"]

#: convention -> (gate activation, reference)
FASTGRNN_GATES = {
    None: (tanh, "Kusupati et al. 2018 (FastGRNN); torchrecurrent FastGRNNCell (its default "
                 "nonlinearity='tanh' gate)"),
    "sigmoid": (sigmoid, "Kusupati et al. 2018 (FastGRNN, the paper's sigmoid gate); "
                         "torchrecurrent FastGRNNCell(nonlinearity='sigmoid')"),
}


def fastgrnn(convention=None):
    """FastGRNN; ``None`` is torchrecurrent's tanh gate, ``"sigmoid"`` the paper's."""
    if convention not in FASTGRNN_GATES:
        raise DerivationError(f"unknown FastGRNN convention {convention!r}; valid: None "
                              "(tanh gate, torchrecurrent's default) or 'sigmoid' (the paper)")
    phi, reference = FASTGRNN_GATES[convention]
    cb = CellBuilder("fastgrnn", convention, reference=reference)
    x, h = cb.input("x"), cb.state("h")
    W_ih, W_hh = cb.weights("W_ih W_hh")
    b_iz, b_in, b_hz, b_hn = cb.biases("b_iz b_in b_hz b_hn")
    zeta = cb.scalar("zeta", default=3.0)
    nu = cb.scalar("nu", default=-3.0)
    z = cb.let("z", phi(W_ih @ x + W_hh @ h + b_iz + b_hz), role=Role.UPDATE_GATE)
    n = cb.let("n", tanh(W_ih @ x + W_hh @ h + b_in + b_hn), role=Role.CANDIDATE)
    cb.update(h, (sigmoid(zeta) * (1 - z) + sigmoid(nu)) * n + z * h)
    cb.layout(weight_ih="W_ih", weight_hh="W_hh", bias_ih="b_iz b_in", bias_hh="b_hz b_hn")
    cb.attributes(gate_order="z, n (biases); W_ih, W_hh shared",
                  gate="tanh" if convention is None else "sigmoid")
    cb.carrying(z, 1)
    return cb.build()

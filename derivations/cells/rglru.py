r"""The Real-Gated Linear Recurrent Unit (RG-LRU) of Griffin / RecurrentGemma (De et al. 2024).

.. math::

    r_t &= \sigma(W_a x_t + b_a), \qquad i_t = \sigma(W_x x_t + b_x) \\
    a_t &= \exp(-c\, r_t \odot \operatorname{softplus}(-\Lambda))
        \quad (\text{so } a_t = \sigma(\Lambda)^{c r_t}) \\
    h_t &= a_t \odot h_{t-1} + \sqrt{1 - a_t^2} \odot (i_t \odot x_t)

with :math:`c = 8` and :math:`\Lambda` an elementwise parameter (initialized so that
:math:`\sigma(\Lambda)^c \in [0.9, 0.999]`). The gates read only the input, so
:math:`\partial h_t / \partial h_{t-1} = \operatorname{diag}(a_t)` with
:math:`0 < a_t < 1`: the gradient never explodes and decays exactly as :math:`\prod_t a_t`.
The input has the state's dimension (the recurrence is elementwise). RecurrentGemma stores
:math:`-\Lambda` as ``a_param``; its gate weights are block-diagonal per head (the loader
materializes them).
"""

import math

from ..facts import Role
from ..functions import exp, sigmoid, softplus, sqrt
from ..language import CellBuilder

__all__ = ["rglru"]

#: Lambda is drawn so that a = sigmoid(Lambda)**c lies in [0.9, 0.999] for r = 1 and c = 8
_A_RANGE = (0.9, 0.999)


def _logit_of_root(a, c=8):
    r"""``Lambda`` with :math:`\sigma(\Lambda)^c = a`."""
    s = a ** (1.0 / c)
    return math.log(s / (1 - s))


def rglru(convention=None):
    cb = CellBuilder("rglru", convention,
                     reference="De et al. 2024 (Griffin, RecurrentGemma): RG-LRU")
    x, h = cb.input("x", dim="H"), cb.state("h")
    W_a, W_x = cb.weights("W_a W_x")
    b_a, b_x = cb.biases("b_a b_x")
    Lam = cb.vector("Lambda",
                    init=tuple(_logit_of_root(a) for a in _A_RANGE))
    c = cb.scalar("c", default=8, positive=True)
    r = cb.let("r", sigmoid(W_a @ x + b_a), role=Role.RECURRENCE_GATE)
    i = cb.let("i", sigmoid(W_x @ x + b_x), role=Role.INPUT_GATE)
    a = cb.let("a", exp(-c * r * softplus(-Lam)), role=Role.DECAY)
    cb.update(h, a * h + sqrt(1 - a**2) * (i * x))
    cb.attributes(decay="a_t = sigma(Lambda)^(c r_t), c = 8")
    cb.carrying(a, 1)
    return cb.build()

r"""softplus, an activation the cell language does not ship, defined once for the session.

The registry of :mod:`derivations.functions` is global and refuses a second definition
of a name: import :data:`softplus` (and :func:`softplus_cell`) from here, never call
``define_activation("softplus", ...)`` in a test.

.. math::

    \operatorname{softplus}(u) = \log(1 + e^u), \qquad
    \operatorname{softplus}'(u) = \sigma(u) = 1 - e^{-y}, \quad y = \operatorname{softplus}(u),

values in :math:`(0, \infty)`, derivative in :math:`(0, 1)`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import derivations as dv
from derivations.functions import ACTIVATIONS, define_activation

__all__ = ["softplus", "softplus_cell", "np_softplus"]


def np_softplus(u):
    """log(1 + e^u) without overflow (NumPy's logaddexp)."""
    return np.logaddexp(0.0, u)


def _define():
    known = ACTIVATIONS.get("softplus")
    if known is not None:  # defined by this module under another import name
        return known.function
    return define_activation(
        "softplus", derivative=lambda y: 1 - sp.exp(-y), value_range=sp.Interval.open(0, sp.oo),
        derivative_sup=sp.S.One, latex=r"\operatorname{softplus}", typst='op("softplus")',
        numpy=np_softplus, rewrite=lambda u: sp.log(1 + sp.exp(u)))


softplus = _define()


def softplus_cell(name: str = "softplus_gated"):
    """A gated cell with softplus as a named quantity and inside the update:

    g = sigmoid(W_g x + U_g h + b_g), n = softplus(W_n x + U_n h + b_n),
    h' = g h + (1 - g) tanh(n) - softplus(V h) / 4.
    """
    cb = dv.CellBuilder(name, reference="test")
    x, h = cb.input("x"), cb.state("h")
    W_g, U_g, W_n, U_n, V = cb.weights("W_g U_g W_n U_n V")
    b_g, b_n = cb.biases("b_g b_n")
    g = cb.let("g", dv.sigmoid(W_g @ x + U_g @ h + b_g), role="gate")
    n = cb.let("n", softplus(W_n @ x + U_n @ h + b_n), role="candidate")
    cb.update(h, g * h + (1 - g) * dv.tanh(n) - softplus(V @ h) / 4)
    cb.carrying(g, 1)
    return cb.build()

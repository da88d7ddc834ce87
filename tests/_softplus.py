r"""softplus for the tests: the cell language ships it now (issue 11,
``derivations.functions.softplus``); these tests were written when it did not, and check
the shipped declaration against :data:`SOFTPLUS`, written here from the math.

:func:`registered_softplus` yields the registered class (and registers :data:`SOFTPLUS`
for the block if a caller unregistered it), so a test never defines it twice.

.. math::

    \operatorname{softplus}(u) = \log(1 + e^u), \qquad
    \operatorname{softplus}'(u) = \sigma(u) = 1 - e^{-y}, \quad y = \operatorname{softplus}(u),

values in :math:`(0, \infty)`, derivative in :math:`(0, 1)`.

>>> with registered_softplus() as softplus:
...     print(softplus(0).rewrite(sp.exp), softplus is functions.softplus)
log(2) True
>>> u = sp.Symbol("u")
>>> sp.simplify(sp.diff(SOFTPLUS["rewrite"](u), u) - SOFTPLUS["derivative"](functions.softplus(u)).rewrite(sp.exp))
0
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import sympy as sp

import derivations as dv
from derivations import functions

__all__ = ["SOFTPLUS", "registered_softplus", "softplus_cell", "np_softplus"]


def np_softplus(u):
    """log(1 + e^u) without overflow (NumPy's logaddexp)."""
    return np.logaddexp(0.0, u)


#: the declaration: derivative in the value y, value range, derivative sup, names, NumPy
SOFTPLUS = dict(derivative=lambda y: 1 - sp.exp(-y), value_range=sp.Interval.open(0, sp.oo),
                derivative_sup=sp.S.One, latex=r"\operatorname{softplus}",
                typst='op("softplus")', numpy=np_softplus,
                rewrite=lambda u: sp.log(1 + sp.exp(u)))


@contextmanager
def registered_softplus():
    """softplus's SymPy function class, registered for the duration of the block (the one
    already registered, left as it is, when a caller outside registered it)."""
    known = functions.ACTIVATIONS.get("softplus")
    if known is not None:
        yield known.function
        return
    cls = functions.define_activation("softplus", **SOFTPLUS)
    try:
        yield cls
    finally:
        functions.unregister("softplus")


def softplus_cell(softplus, name: str = "softplus_gated"):
    """A gated cell with ``softplus`` as a named quantity and inside the update:

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

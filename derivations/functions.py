r"""Elementwise activation functions of the cell language.

Each function is a SymPy ``Function`` whose derivative is written in the function itself,

.. math::

    \sigma'(u) = \sigma(u)\,(1 - \sigma(u)), \qquad \tanh'(u) = 1 - \tanh^2(u),

so that after the chain rule a derivative collapses onto the cell's own named quantity
(``sigma(a_z) * (1 - sigma(a_z))`` becomes ``z * (1 - z)``), and so that brute-force
Jacobians of explicit instances expand to polynomials in the function applications.

>>> import sympy as sp
>>> u = sp.Symbol("u")
>>> sp.diff(sigmoid(u), u)
(1 - sigmoid(u))*sigmoid(u)
>>> sp.diff(tanh(u), u)
1 - tanh(u)**2
"""

import sympy as sp

__all__ = ["sigmoid", "tanh", "ACTIVATIONS", "is_activation"]


class sigmoid(sp.Function):  # noqa: N801 - the name is the math's
    r"""The logistic function :math:`\sigma(u) = 1 / (1 + e^{-u})`."""

    nargs = 1

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    @classmethod
    def eval(cls, arg):
        if arg is sp.S.Zero:
            return sp.Rational(1, 2)
        return None

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))

    def _latex(self, printer):
        return r"\sigma\left(%s\right)" % printer._print(self.args[0])


#: SymPy's own ``tanh`` already differentiates to ``1 - tanh(u)**2``.
tanh = sp.tanh

#: The activation functions the cell language knows, by name.
ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh}


def is_activation(expr):
    """Return True if ``expr`` is an application of a known activation function."""
    return isinstance(expr, (sigmoid, sp.tanh))

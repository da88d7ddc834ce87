r"""Elementwise activation functions of the cell language, each declared once, as data.

An :class:`Activation` holds everything the toolkit needs to know about one function:
its SymPy ``Function`` class, its derivative written in its own value :math:`y = f(u)`
(so that after the chain rule a derivative collapses onto the cell's own quantity:
``sigmoid(a_z) * (1 - sigmoid(a_z))`` becomes ``z * (1 - z)``), the range of its values
and the supremum of its derivative (what the global bounds use; ``None`` when there is
none, as for ``exp``), its a.e. convention at kinks, its names in LaTeX and Typst, and a
plain NumPy evaluation. Printers, the range engine, the lemmas and the bounds read this
table; a new activation is one :func:`define_activation` call.

.. math::

    \sigma'(u) = \sigma(u)\,(1 - \sigma(u)) \in (0, \tfrac14], \qquad
    \tanh'(u) = 1 - \tanh^2(u) \in (0, 1].

>>> import sympy as sp
>>> u = sp.Symbol("u")
>>> sp.diff(sigmoid(u), u)
(1 - sigmoid(u))*sigmoid(u)
>>> sp.diff(tanh(u), u)
1 - tanh(u)**2
>>> activation(sigmoid(u)).derivative_sup, activation(tanh).value_range
(1/4, Interval.open(-1, 1))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

__all__ = ["Activation", "ACTIVATIONS", "activation", "is_activation", "define_activation",
           "register", "unregister", "sigmoid", "tanh"]


@dataclass(frozen=True)
class Activation:
    r"""One elementwise function :math:`y = f(u)` and the facts the toolkit uses about it.

    Parameters
    ----------
    name : str
        The name in the cell language (``"sigmoid"``).
    function : type
        The SymPy ``Function`` class; its ``fdiff`` must equal ``derivative(f(u))``.
    derivative : callable
        :math:`f'(u)` written in :math:`y = f(u)`, e.g. ``lambda y: y * (1 - y)``.
    value_range : sympy.Interval
        The set of values :math:`f(\mathbb{R})` (open ends where they are not attained).
    derivative_sup : sympy.Expr or None
        :math:`\sup_u |f'(u)|`, or ``None`` when it is unbounded.
    latex, typst : str
        The function's name in each printer's syntax (``\sigma``, ``sigma``).
    numpy : callable
        A plain NumPy evaluation ``f(u) -> ndarray`` (the reference; the engine may use
        faster in-place kernels of its own).
    kink : str
        How the derivative is taken where it does not exist (``""`` for smooth functions;
        e.g. ``"relu'(0) = 0, as autograd"``).
    """

    name: str
    function: type
    derivative: Callable[[sp.Expr], sp.Expr]
    value_range: sp.Interval
    derivative_sup: sp.Expr | None
    latex: str
    typst: str
    numpy: Callable
    kink: str = ""

    def derivative_at(self, u: sp.Expr) -> sp.Expr:
        """:math:`f'(u)` in terms of :math:`f(u)` (the chain rule's coefficient)."""
        return self.derivative(self.function(u))


#: the activations the cell language knows, by name (:func:`define_activation` adds one)
ACTIVATIONS: dict = {}
_BY_CLASS: dict = {}


def register(act: Activation) -> Activation:
    """Add ``act`` to :data:`ACTIVATIONS`; a name or class already registered is an error."""
    if not isinstance(act, Activation):
        raise TypeError(f"register expects an Activation, got {type(act).__name__}")
    if act.name in ACTIVATIONS or act.function in _BY_CLASS:
        raise ValueError(f"activation {act.name!r} is already registered")
    ACTIVATIONS[act.name] = act
    _BY_CLASS[act.function] = act
    return act


def unregister(name: str) -> Activation:
    """Remove the activation ``name`` from :data:`ACTIVATIONS` (cells already built with it
    keep their SymPy class but no longer print or bound as an activation); returns it."""
    if name not in ACTIVATIONS:
        raise KeyError(f"no activation {name!r} is registered; registered: {sorted(ACTIVATIONS)}")
    act = ACTIVATIONS.pop(name)
    _BY_CLASS.pop(act.function, None)
    return act


def activation(expr) -> Activation | None:
    """The :class:`Activation` of an application (``sigmoid(u)``) or class, else ``None``."""
    cls = expr if isinstance(expr, type) else type(expr)
    return _BY_CLASS.get(cls)


def is_activation(expr) -> bool:
    """True if ``expr`` is an application of a registered activation function."""
    return activation(expr) is not None


def define_activation(name: str, *, derivative, value_range, derivative_sup, latex: str,
                      typst: str, numpy, rewrite=None, kink: str = "") -> type:
    r"""Create and register a new activation; returns its SymPy ``Function`` class.

    ``rewrite`` (optional) gives :math:`f(u)` in elementary functions, used where SymPy
    must evaluate or take limits (``lambda u: sp.log(1 + sp.exp(u))`` for softplus).
    """

    def fdiff(self, argindex=1):
        return derivative(self)

    body = {"nargs": 1, "fdiff": fdiff, "__module__": __name__}
    if rewrite is not None:
        body["_eval_rewrite_as_exp"] = lambda self, arg, **kw: rewrite(arg)
    cls = type(name, (sp.Function,), body)
    register(Activation(name, cls, derivative, value_range, derivative_sup, latex, typst,
                        numpy, kink))
    return cls


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


#: SymPy's own ``tanh`` already differentiates to ``1 - tanh(u)**2``.
tanh = sp.tanh


def _np_sigmoid(u):
    u = np.asarray(u, dtype=float)
    e = np.exp(-np.abs(u))
    return np.where(u >= 0, 1 / (1 + e), e / (1 + e))


register(Activation("sigmoid", sigmoid, lambda y: y * (1 - y), sp.Interval.open(0, 1),
                    sp.Rational(1, 4), r"\sigma", "sigma", _np_sigmoid))
register(Activation("tanh", sp.tanh, lambda y: 1 - y**2, sp.Interval.open(-1, 1), sp.S.One,
                    r"\tanh", "tanh", np.tanh))

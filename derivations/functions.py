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
           "register", "unregister", "sigmoid", "tanh", "exp", "log", "softplus", "relu",
           "hard_sigmoid", "mingru_g", "sqrt", "maximum", "minimum", "KINKED", "kinks",
           "has_kinks"]


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


# -- the operations of the 2023-24 recurrences (issue 11) -----------------------------------
#: SymPy's own ``exp``: :math:`\exp' = \exp`, values :math:`(0, \infty)`, no global bound
exp = sp.exp
#: SymPy's own ``log``: :math:`\log'(u) = 1/u = e^{-y}`, values :math:`\mathbb{R}`, no bound
log = sp.log
#: :math:`\sqrt{u}` is ``Pow(u, 1/2)`` (not an activation: a power by a number)
sqrt = sp.sqrt
#: :math:`\max(a, b)` and :math:`\min(a, b)` of two vector expressions (SymPy's ``Max``,
#: ``Min``); a.e. derivative ``Heaviside(a - b)`` with value 1/2 at a tie, as the autograd
#: of ``torch.maximum`` / ``torch.minimum`` splits the gradient
maximum = sp.Max
minimum = sp.Min

register(Activation("exp", sp.exp, lambda y: y, sp.Interval.open(0, sp.oo), None,
                    r"\exp", "exp", np.exp))
register(Activation("log", sp.log, lambda y: sp.exp(-y), sp.Interval(-sp.oo, sp.oo), None,
                    r"\log", "log", np.log))

softplus = define_activation(
    "softplus", derivative=lambda y: 1 - sp.exp(-y), value_range=sp.Interval.open(0, sp.oo),
    derivative_sup=sp.S.One, latex=r"\operatorname{softplus}", typst='op("softplus")',
    numpy=lambda u: np.logaddexp(0.0, u), rewrite=lambda u: sp.log(1 + sp.exp(u)))
softplus.__doc__ = r""":math:`\operatorname{softplus}(u) = \log(1 + e^u)`, derivative
:math:`\sigma(u) = 1 - e^{-y}` in :math:`(0, 1)`."""

relu = define_activation(
    "relu", derivative=lambda y: sp.Heaviside(y, 0), value_range=sp.Interval(0, sp.oo),
    derivative_sup=sp.S.One, latex=r"\operatorname{relu}", typst='op("relu")',
    numpy=lambda u: np.maximum(u, 0.0), rewrite=lambda u: sp.Max(u, 0),
    kink="relu'(0) = 0, as autograd")
relu.__doc__ = r""":math:`\operatorname{relu}(u) = \max(u, 0)`; derivative 1 for
:math:`u > 0` and 0 otherwise (``Heaviside(y, 0)`` in its value): ``relu'(0) = 0``."""

_SIXTH, _HALF = sp.Rational(1, 6), sp.Rational(1, 2)
hard_sigmoid = define_activation(
    "hard_sigmoid",
    derivative=lambda y: _SIXTH * sp.Heaviside(y, 0) * sp.Heaviside(1 - y, 0),
    value_range=sp.Interval(0, 1), derivative_sup=_SIXTH,
    latex=r"\operatorname{hardsigmoid}", typst='op("hardsigmoid")',
    numpy=lambda u: np.clip(np.asarray(u) / 6.0 + 0.5, 0.0, 1.0),
    rewrite=lambda u: sp.Min(sp.Max(u / 6 + _HALF, 0), 1),
    kink="hard_sigmoid'(-3) = hard_sigmoid'(3) = 0, as autograd")
hard_sigmoid.__doc__ = r"""PyTorch's ``F.hardsigmoid``: :math:`\min(\max(u/6 + 1/2, 0), 1)`;
derivative 1/6 on :math:`(-3, 3)`, 0 outside and at :math:`\pm 3` (autograd's value)."""


def _np_mingru_g(u):
    u = np.asarray(u, dtype=float)
    return np.where(u >= 0, u + 0.5, _np_sigmoid(np.minimum(u, 0.0)))


mingru_g = define_activation(
    "mingru_g",
    derivative=lambda y: (sp.Heaviside(y - _HALF, 1)
                          + sp.Heaviside(_HALF - y, 0) * y * (1 - y)),
    value_range=sp.Interval.open(0, sp.oo), derivative_sup=sp.S.One, latex="g", typst="g",
    numpy=_np_mingru_g,
    rewrite=lambda u: sp.Piecewise((u + _HALF, u >= 0), (1 / (1 + sp.exp(-u)), True)),
    kink="g'(0) = 1, as autograd (the u + 1/2 branch)")
mingru_g.__doc__ = r"""The :math:`g` of minGRU (Feng et al. 2024, mingru-pytorch):
:math:`g(u) = u + 1/2` for :math:`u \ge 0`, :math:`\sigma(u)` otherwise; derivative 1 where
:math:`y \ge 1/2`, :math:`y (1 - y)` otherwise (``g'(0) = 1``, as autograd)."""

#: the a.e. conventions of the non-differentiable operations that are not activations
KINKED = {sp.Max: "d max(a, b)/da = 1/2 at a = b, as autograd (torch.maximum)",
          sp.Min: "d min(a, b)/da = 1/2 at a = b, as autograd (torch.minimum)",
          sp.Heaviside: ""}


def kinks(exprs) -> tuple:
    """The a.e. conventions (texts) of the kinked operations in ``exprs`` (an expression or
    an iterable of them), in order of first appearance; ``()`` for an analytic one.

    >>> u = sp.Symbol("u")
    >>> kinks(relu(u) + tanh(u)), kinks(sigmoid(u))
    (("relu'(0) = 0, as autograd",), ())
    """
    exprs = [exprs] if isinstance(exprs, sp.Basic) else list(exprs)
    found = []
    for e in exprs:
        for node in sp.preorder_traversal(sp.sympify(e)):
            act = activation(node)
            text = act.kink if act is not None else KINKED.get(type(node), "")
            if text and text not in found:
                found.append(text)
    return tuple(found)


def has_kinks(exprs) -> bool:
    """True if ``exprs`` use a non-differentiable operation (relu, max, Heaviside, ...)."""
    exprs = [exprs] if isinstance(exprs, sp.Basic) else list(exprs)
    return bool(kinks(exprs)) or any(sp.sympify(e).has(sp.Heaviside, sp.Max, sp.Min,
                                                       sp.Piecewise) for e in exprs)

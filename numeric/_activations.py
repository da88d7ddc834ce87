r"""Activations in the engine (private): fast paths, and any registered activation.

Every elementwise function comes from the registry of the cell language
(:func:`derivations.functions.activation`). Two have fast paths of the engine's own
(:data:`FAST_PATHS`), overflow-free and relatively accurate on their tails:

- sigmoid: :func:`sigmoid` never overflows; :func:`sigmoid_pair` returns :math:`\sigma(u)`
  and an accurate :math:`1 - \sigma(u)` from one exponential;
- tanh: NumPy's ``tanh``, with :func:`sech2` for :math:`1 - \tanh^2(u)`.

:func:`sigmoid_c` and :func:`sech2` evaluate the gate complements from the pre-activation,
so saturated Jacobian coefficients stay relatively accurate (in coefficients they appear
as the SymPy functions :class:`SigmoidC` and :class:`Sech2`). Every other registered
activation is evaluated by its declared ``Activation.numpy`` (:class:`Generic`); its
derivative reaches the engine through the derived coefficients (``Activation.derivative``),
whatever elementary functions it uses.
All kernels accept complex input (complex-step checks) unless stated otherwise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from derivations.functions import Activation, activation

from ._errors import NumericError

__all__ = ["sigmoid", "sigmoid_pair", "sigmoid_c", "sech2", "sigmoid_into", "sigmoid_c_into",
           "sigmoid_pair_into", "sech2_into", "SigmoidC", "Sech2", "FastPath", "FAST_PATHS",
           "fast_path", "Generic"]


class SigmoidC(sp.Function):
    r""":math:`1 - \sigma(u)`, evaluated relatively accurately from ``u``."""

    nargs = 1

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return 1 / (1 + sp.exp(u))


class Sech2(sp.Function):
    r""":math:`1 - \tanh^2(u)`, evaluated relatively accurately from ``u``."""

    nargs = 1

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return 4 / (sp.exp(u) + sp.exp(-u)) ** 2


@dataclass(frozen=True)
class FastPath:
    r"""The engine's own kernels for one registered activation :math:`y = f(u)`.

    Parameters
    ----------
    kernel : str
        The kernel of :math:`f` itself in generated code (``"sigmoid"``, ``"tanh"``).
    complement : callable
        The factor of the derivative (in :math:`y`) that cancels where :math:`f`
        saturates: ``1 - y`` (sigmoid), ``1 - y**2`` (tanh).
    accurate : type
        A SymPy function of :math:`u` evaluating ``complement(f(u))`` without the
        cancellation (:class:`SigmoidC`, :class:`Sech2`).
    pair : bool
        The forward pass keeps the complement of a quantity ``q = f(u)`` from the same
        exponential (the sigmoid's ``SigmoidPair`` step), so coefficients read it.
    """

    kernel: str
    complement: Callable[[sp.Expr], sp.Expr]
    accurate: type
    pair: bool = False


#: the activations with kernels of the engine's own, by registered name; every other
#: registered activation runs through :class:`Generic`
FAST_PATHS = {
    "sigmoid": FastPath("sigmoid", lambda y: 1 - y, SigmoidC, pair=True),
    "tanh": FastPath("tanh", lambda y: 1 - y**2, Sech2),
}


def fast_path(expr) -> FastPath | None:
    """The :class:`FastPath` of an activation application (``tanh(u)``) or class, else None.

    >>> import sympy as sp
    >>> fast_path(sp.tanh(sp.Symbol("u"))).kernel, fast_path(sp.exp(sp.Symbol("u")))
    ('tanh', None)
    """
    act = activation(expr)
    return None if act is None else FAST_PATHS.get(act.name)


#: functions that are not complex-analytic: a rewrite using them cannot give complex steps
_NOT_ANALYTIC = (sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min, sp.Piecewise, sp.floor,
                 sp.ceiling, sp.re, sp.im, sp.conjugate, sp.arg)


class Generic:
    r"""``out = f(u)`` for a registered activation without a fast path.

    Real ``u``: the declared ``Activation.numpy``. Complex ``u`` (complex step): the
    function's rewrite in elementary functions (``define_activation(..., rewrite=)``,
    e.g. :math:`\log(1 + e^u)` for softplus), lambdified; a NumPy function is not used
    there, since one that accepts complex input need not be analytic (``np.abs``).

    >>> import sympy as sp
    >>> act = Activation("cube", sp.Function("cube"), lambda y: 3 * y ** sp.Rational(2, 3),
    ...                  sp.Interval(-sp.oo, sp.oo), None, "c", "c", lambda u: u ** 3)
    >>> Generic(act)(np.array([2.0]), np.empty(1)).tolist()
    [8.0]
    >>> Generic(act)(np.array([2.0 + 0j]), np.empty(1, complex))
    Traceback (most recent call last):
    ...
    numeric._errors.NumericError: activation 'cube' has no complex evaluation: declare it with rewrite= in analytic elementary functions (derivations.functions.define_activation), or use method='central'
    """

    def __init__(self, act: Activation):
        self.act = act

    @functools.cached_property
    def analytic(self):
        """``f`` lambdified from its rewrite in ``exp`` (complex-capable), or None."""
        u = sp.Dummy("u")
        e = self.act.function(u).rewrite(sp.exp)
        if e.has(self.act.function) or e.has(*_NOT_ANALYTIC):
            return None
        return sp.lambdify(u, e, "numpy")

    def __call__(self, u, out):
        if out.dtype.kind != "c":
            out[...] = self.act.numpy(u)
            return out
        if self.analytic is None:
            raise NumericError(f"activation {self.act.name!r} has no complex evaluation: "
                               "declare it with rewrite= in analytic elementary functions "
                               "(derivations.functions.define_activation), or use "
                               "method='central'")
        out[...] = self.analytic(u)
        return out


def sigmoid(u):
    r"""Logistic function, overflow-free and relatively accurate on both tails.

    .. math::

        \sigma(u) = \frac{1}{1 + e^{-u}} \ (u \ge 0), \qquad
        \sigma(u) = \frac{e^{u}}{1 + e^{u}} \ (u < 0),

    so ``exp`` only sees non-positive real parts (no overflow at ``|u| = 1e4``) and
    ``sigma(-40) = 4.2e-18`` is not rounded to 0 (as ``0.5 tanh(u/2) + 0.5`` would). Complex
    ``u`` (complex-step checks) takes the branch by ``Re u``; each branch is analytic.

    >>> s = sigmoid(np.array([-40.0, 1e4]))       # 1/(1 + e^40) by mpmath: 4.2483542552915889e-18
    >>> bool(np.allclose(s, [4.2483542552915889e-18, 1.0], rtol=1e-14, atol=0))
    True
    """
    u = np.asarray(u)
    if u.dtype.kind == "c":
        pos = u.real >= 0
        e = np.exp(np.where(pos, -u, u))
        return np.where(pos, 1.0, e) / (1.0 + e)
    e = np.exp(-np.abs(u))
    num = np.where(u >= 0, 1.0, e).astype(e.dtype, copy=False)
    e += 1.0
    num /= e
    return num


def sigmoid_pair(u):
    r""":math:`\sigma(u)` and :math:`1 - \sigma(u)` from one exponential, both relatively accurate.

    .. math::

        e = e^{-|u|}, \quad \Bigl(\frac{1}{1 + e}, \frac{e}{1 + e}\Bigr)
        = (\sigma(|u|), 1 - \sigma(|u|)),

    swapped where :math:`u < 0` (``Re u < 0`` for complex ``u``, each branch analytic).

    >>> s, c = sigmoid_pair(np.array([-40.0, 0.0, 40.0]))   # (3,), (3,)
    >>> bool(np.allclose(s, [4.2483542552915889e-18, 0.5, 1.0], rtol=1e-14, atol=0))
    True
    >>> bool(np.allclose(c, [1.0, 0.5, 4.2483542552915889e-18], rtol=1e-14, atol=0))
    True
    """
    u = np.asarray(u)
    if u.dtype.kind == "c":
        neg = u.real < 0
        e = np.exp(np.where(neg, u, -u), out=np.empty_like(u))
    else:
        neg = u < 0
        e = np.abs(u, out=np.empty_like(u))
        np.negative(e, out=e)
        np.exp(e, out=e)
    d = np.add(e, 1.0, out=np.empty_like(e))
    np.reciprocal(d, out=d)
    np.multiply(e, d, out=e)
    return np.where(neg, e, d), np.where(neg, d, e)


def sigmoid_c(u):
    r""":math:`1 - \sigma(u) = \sigma(-u)`, relatively accurate as ``u -> +inf``."""
    return sigmoid(-np.asarray(u))


def sech2(u):
    r""":math:`1 - \tanh^2(u) = 4 e^{-2|u|} / (1 + e^{-2|u|})^2`, relatively accurate, no overflow."""
    u = np.asarray(u)
    if u.dtype.kind != "f":
        e = np.exp(-2.0 * np.abs(u))
        return 4.0 * e / (1.0 + e) ** 2
    e = np.abs(u, out=np.empty_like(u))
    with np.errstate(over="ignore"):  # |u| > 9e307: -2|u| = -inf, exp gives the exact 0
        e *= -2.0
    np.exp(e, out=e)
    d = np.add(e, 1.0, out=np.empty_like(e))
    d *= d
    e *= 4.0
    e /= d
    return e


# -- in-place kernels (generated code calls these with preallocated buffers) ---------------
def sigmoid_into(u, out):
    r"""``out = sigma(u)`` as :math:`1 / (1 + e^{-u})`: relatively accurate on both tails.

    For :math:`u \to -\infty`, :math:`e^{-u}` overflows to ``inf`` and the result is the
    correct 0 (the overflow is expected and not reported). ``out`` may be ``u``.

    The last bits of ``exp`` differ between CPUs (NumPy picks its SIMD kernel at run time),
    so the check is relative, against :math:`1 / (1 + e^{40}) = 4.2483542552915889 \cdot
    10^{-18}` (mpmath, 30 digits), with ``rtol`` a few ulp:

    >>> u = np.array([-40.0, 0.0, 1e4]); _ = sigmoid_into(u, u)        # (3,), in place
    >>> bool(np.allclose(u, [4.2483542552915889e-18, 0.5, 1.0], rtol=1e-14, atol=0))
    True
    """
    if out.dtype.kind == "c":
        out[...] = sigmoid(u)
        return out
    np.negative(u, out=out)
    with np.errstate(over="ignore", under="ignore"):
        np.exp(out, out=out)
        out += 1.0
        return np.reciprocal(out, out=out)


def sigmoid_c_into(u, out):
    r"""``out`` :math:`= 1 - \sigma(u) = 1 / (1 + e^{u})`, relatively accurate. ``out`` may be ``u``."""
    if out.dtype.kind == "c":
        out[...] = sigmoid_c(u)
        return out
    with np.errstate(over="ignore", under="ignore"):
        np.exp(u, out=out)
        out += 1.0
        return np.reciprocal(out, out=out)


def sigmoid_pair_into(u, q, c):
    r"""``q`` :math:`= \sigma(u)` and ``c`` :math:`= 1 - \sigma(u)` from one exponential.

    .. math:: e = e^{-u}, \quad q = \frac{1}{1 + e}, \quad c = \frac{1}{1 + 1/e},

    both relatively accurate; ``e = inf`` (``u < -709``) gives the exact ``q = 0, c = 1`` and
    ``e = 0`` the exact ``q = 1, c = 0`` (the overflow and the division by zero are expected
    and not reported). Either output may be ``u``.

    >>> u = np.array([-1e4, -40.0, 0.0, 40.0]); q, c = np.empty(4), np.empty(4)
    >>> _ = sigmoid_pair_into(u, q, c)
    >>> bool(np.allclose(q, [0.0, 4.2483542552915889e-18, 0.5, 1.0], rtol=1e-14, atol=0))
    True
    >>> bool(np.allclose(c, [1.0, 1.0, 0.5, 4.2483542552915889e-18], rtol=1e-14, atol=0))
    True
    """
    if c.dtype.kind == "c":
        q[...], c[...] = sigmoid_pair(u)
        return q, c
    np.negative(u, out=c)
    with np.errstate(over="ignore", divide="ignore", under="ignore"):
        np.exp(c, out=c)
        np.add(c, 1.0, out=q)
        np.reciprocal(q, out=q)
        np.reciprocal(c, out=c)
        c += 1.0
        np.reciprocal(c, out=c)
    return q, c


def sech2_into(u, out, tmp):
    r"""``out`` :math:`= 1 - \tanh^2(u) = 4t / (1 + t)^2`, :math:`t = e^{-2|u|}`; ``tmp`` is scratch.

    >>> u = np.array([0.0, 20.0]); out, tmp = np.empty(2), np.empty(2)
    >>> bool(np.allclose(sech2_into(u, out, tmp), [1.0, 4 * np.exp(-40.0)], rtol=1e-14))
    True
    """
    if out.dtype.kind == "c":
        out[...] = sech2(u)
        return out
    np.abs(u, out=tmp)
    with np.errstate(over="ignore", under="ignore"):  # -2|u| = -inf: exp gives the exact 0
        tmp *= -2.0
        np.exp(tmp, out=tmp)
        np.add(tmp, 1.0, out=out)
        out *= out
        np.divide(tmp, out, out=out)
        out *= 4.0
    return out

r"""Signs and monotone ranges for the range engine (private): when an activation with
values unbounded above (``exp``) has an argument that is provably bounded above, its
application has a range, e.g. the RG-LRU's :math:`a_t = \exp(-c\, r_t \odot
\operatorname{softplus}(-\Lambda)) \in (0, 1]` and the stabilized sLSTM's gates
:math:`\exp(\tilde\imath_t - m_t) \in (0, 1]`.
"""

from __future__ import annotations

import sympy as sp

from ._bounds_range import Env, _atoms, bounded, interval
from ._errors import DerivationError
from .functions import activation

__all__ = ["nonpositive", "monotone_range"]


def _increasing(act) -> bool:
    r"""True if ``act`` is nondecreasing: its derivative, written in its value, is provably
    nonnegative over its value range (:math:`\exp' = y > 0`)."""
    r = act.value_range
    flags = {"positive": True} if r.inf >= 0 else {"real": True}
    try:
        return bool(act.derivative(sp.Dummy(**flags)).is_nonnegative)
    except (TypeError, ValueError):
        return False


def _sign_dummy(atom, env: Env):
    """A Dummy carrying what ``env`` knows of ``atom``'s sign (a gate in [0, 1] is
    nonnegative, ``softplus(u)`` positive), or ``atom`` itself for a symbol with its own
    assumptions (a scalar declared positive)."""
    rng = env.ranges.get(atom)
    if rng is None:
        act = activation(atom)
        if act is not None:
            rng = (act.value_range.inf, act.value_range.sup)
        elif isinstance(atom, sp.Heaviside):
            rng = (sp.S.Zero, sp.S.One)
        elif isinstance(atom, sp.Symbol) and atom.is_real:
            return atom
    lo, hi = (sp.sympify(v) for v in (rng if rng is not None else (-sp.oo, sp.oo)))
    flags = {"real": True}
    for rel, flag in ((lo > 0, "positive"), (hi < 0, "negative"), (lo >= 0, "nonnegative"),
                      (hi <= 0, "nonpositive")):
        if rel is sp.true:   # a symbolic end decides nothing
            flags = {flag: True}
            break
    return sp.Dummy(str(atom)[:8], **flags)


def _expand_defs(expr, env: Env):
    for _ in range(len(env.defs) + 1):
        sub = {s: env.defs[s] for s in expr.free_symbols if s in env.defs}
        if not sub:
            break
        expr = expr.xreplace(sub)
    return expr


def nonpositive(expr, env: Env) -> bool:
    r"""True if ``expr <= 0`` is proven over ``env``'s ranges.

    By :math:`a - \max(a, b, \dots) \le 0` and :math:`\min(a, \dots) - a \le 0` (a
    quantity defined by ``Max``/``Min`` expanded, the sLSTM stabilizer :math:`m_t`), by
    SymPy's assumptions with each atom a Dummy carrying its known sign
    (:math:`-c\, r\, \operatorname{softplus}(u) \le 0` for :math:`c > 0, r \ge 0`), or
    by the interval of a bounded expression.

    >>> a, b, r = sp.symbols("a b r")
    >>> nonpositive(a - sp.Max(a, b), Env()), nonpositive(b - a, Env())
    (True, False)
    >>> nonpositive(-r * sp.exp(b), Env({r: (0, 1)}))
    True
    """
    expr = _expand_defs(sp.sympify(expr), env)
    for t in sp.Add.make_args(expr):
        c, m = t.as_coeff_Mul()
        if (c, type(m)) in ((-1, sp.Max), (1, sp.Min)):
            rest = expr - t   # expr <= rest - a (Max) or rest + a (Min) for any argument a
            if any(nonpositive(rest + c * a, env) for a in m.args):
                return True
    atoms = _atoms(expr)
    if expr.xreplace({a: _sign_dummy(a, env) for a in atoms}).is_nonpositive:
        return True
    if atoms and bounded(expr, env):
        try:
            return sp.sympify(interval(expr, env)[1] <= 0) is sp.true
        except DerivationError:
            return False
    return False


def monotone_range(app, env: Env):
    r"""The range ``(lo, hi)`` of an application :math:`f(u)` of an increasing activation
    with values unbounded above and bounded below, when :math:`u` is bounded above:
    :math:`[f(\inf u), f(\sup u)]` for a bounded argument, :math:`[\inf f, f(0)]` for a
    provably nonpositive one (:func:`nonpositive`); ``None`` otherwise.

    >>> u, r = sp.symbols("u r")
    >>> env = Env({r: (0, 1)})
    >>> monotone_range(sp.exp(-r), env), monotone_range(sp.exp(u), env)
    ((exp(-1), 1), None)
    """
    act = activation(app)
    if act is None or not act.value_range.inf.is_finite or not _increasing(act):
        return None
    u = app.args[0]
    if bounded(u, env):
        try:
            lo, hi = interval(u, env)
        except DerivationError:
            lo = hi = None
        if hi is not None and hi.is_finite:
            return (sp.Max(act.value_range.inf, act.function(lo)), act.function(hi))
    if nonpositive(u, env):
        return (act.value_range.inf, act.function(sp.S.Zero))
    return None

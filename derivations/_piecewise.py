"""Ranges and zero tests of an activation's elementary form, piece by piece across its
kinks (private; the lemmas' SymPy computations)."""

from __future__ import annotations

import sympy as sp
from sympy.calculus.util import continuous_domain, function_range

from .functions import Activation

__all__ = ["_explicit", "_domain", "_pieces", "_range", "_zero_ae"]


def _explicit(act: Activation, u):
    """``f(u)`` in elementary functions (its ``exp`` rewrite), or ``None``."""
    app = act.function(u)
    form = app.rewrite(sp.exp)
    if act.function.__module__.startswith("sympy."):  # exp, log: elementary themselves
        return form
    return None if form.has(act.function) else form


def _domain(explicit, u):
    """Where ``explicit`` is defined and continuous on the reals (log: :math:`u > 0`)."""
    try:
        return continuous_domain(explicit, u, sp.S.Reals)
    except (NotImplementedError, TypeError, ValueError):
        return sp.S.Reals


def _pieces(expr, x, domain) -> list:
    """``[(piece, set), ...]``: ``expr`` (kinks rewritten as ``Piecewise``) on the parts of
    ``domain`` where it is one analytic expression."""
    expr = sp.piecewise_fold(expr.rewrite(sp.Piecewise))
    if not isinstance(expr, sp.Piecewise):
        return [(expr, domain)]
    out, rest = [], domain
    for piece, cond in expr.args:
        part = rest if cond is sp.true else cond.as_set().intersect(rest)
        rest = rest - part
        if part is not sp.S.EmptySet:
            out.append((piece, part))
    return out


def _range(expr, x, domain):
    """The set of values of ``expr`` over ``domain``, piece by piece across kinks."""
    found = sp.S.EmptySet
    for piece, part in _pieces(expr, x, domain):
        found = found.union(function_range(piece, x, part))
    return found


def _zero_ae(expr, x) -> bool:
    """True if ``expr`` is 0 on the reals except on finitely many points (the kinks)."""
    return all(isinstance(part, sp.FiniteSet) or sp.simplify(piece) == 0
               for piece, part in _pieces(expr, x, sp.S.Reals))

r"""The activation lemmas and the hidden-state invariant, each proven by SymPy steps.

Every :class:`Lemma` carries its statement in LaTeX and the SymPy computations that prove
it; :meth:`Lemma.verify` re-runs them. The lemmas the bounds rest on:

.. math::

    \sigma'(u) = \sigma(u)(1 - \sigma(u)) \in (0, \tfrac14], \quad
    \text{since } \tfrac14 - s(1 - s) = \tfrac{(2s - 1)^2}{4};
    \qquad \tanh'(u) = 1 - \tanh^2(u) \in (0, 1];

a convex combination :math:`a u + (1 - a) v` of values in :math:`[-1, 1]` stays in
:math:`[-1, 1]`, so the hidden states of GRU (every convention), minimalRNN and MGU stay in
:math:`[-1, 1]` from :math:`h_0 \in [-1, 1]`, and LSTM's :math:`h_t = o_t \odot \tanh(c_t)`
stays in :math:`(-1, 1)`.

>>> ls = lemmas()
>>> [lem.name for lem in ls][:3]
['sigmoid derivative', 'tanh derivative', 'convex combination']
>>> all(lem.verify() for lem in ls)
True
>>> sigmoid_derivative_lemma(bound=sp.Rational(1, 5)).verify()   # a wrong claim fails
False
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp
from sympy.calculus.util import function_range

from ._bounds_range import cell_env, interval
from .cells import all_cells
from .language import Cell
from .printing import printer_for

__all__ = ["Lemma", "Step", "lemmas", "sigmoid_derivative_lemma", "tanh_derivative_lemma",
           "convex_combination_lemma", "invariant_lemma", "growth_lemma"]


@dataclass(frozen=True)
class Step:
    """One SymPy computation of a proof: ``run()`` returns ``(ok, latex)``."""

    description: str
    run: Callable[[], tuple]

    def latex(self) -> str:
        return self.run()[1]


@dataclass(frozen=True)
class Lemma:
    """A statement and the SymPy steps that prove it."""

    name: str
    statement_latex: str
    steps: tuple

    def verify(self) -> bool:
        """Re-run every SymPy step; True if each one establishes its claim."""
        return all(bool(step.run()[0]) for step in self.steps)

    def proof_latex(self) -> str:
        """The steps as LaTeX lines (each computed, not stored)."""
        return " \\\\\n".join(f"\\text{{{s.description}}}: & {s.latex()}" for s in self.steps)


_QUARTER = sp.Rational(1, 4)
_u = sp.Symbol("u", real=True)
_s, _t, _a, _p, _q = sp.symbols("s t a p q", real=True)


def sigmoid_derivative_lemma(bound=_QUARTER) -> Lemma:
    r""":math:`\sigma' = \sigma(1 - \sigma) \in (0, \text{bound}]`; true for bound >= 1/4 only."""
    sig = 1 / (1 + sp.exp(-_u))

    def derivative():
        diff = sp.simplify(sp.diff(sig, _u) - sig * (1 - sig))
        return diff == 0, r"\sigma'(u) - \sigma(u)(1 - \sigma(u)) = %s" % sp.latex(diff)

    def square():
        f = sp.factor(sp.Rational(1, 4) - _s * (1 - _s))
        ok = sp.expand(f - (2 * _s - 1) ** 2 / 4) == 0
        return ok, r"\tfrac14 - s(1 - s) = %s \ge 0" % sp.latex(f)

    def rng_sigma():
        r = function_range(sig, _u, sp.S.Reals)
        return r == sp.Interval.open(0, 1), r"\sigma(\mathbb{R}) = %s" % sp.latex(r)

    def rng_deriv():
        r = function_range(_s * (1 - _s), _s, sp.Interval.open(0, 1))
        ok = bool(r.inf >= 0) and 0 not in r and bool(r.sup <= bound)
        return ok, (r"\{s(1 - s) : s \in (0, 1)\} = %s \subseteq (0, %s]"
                    % (sp.latex(r), sp.latex(bound)))

    return Lemma(
        "sigmoid derivative",
        r"\sigma'(u) = \sigma(u)\,(1 - \sigma(u)) \in \left(0, %s\right]" % sp.latex(bound),
        (Step("derivative written in the function", derivative),
         Step("completing the square", square),
         Step("range of the logistic function", rng_sigma),
         Step("range of the derivative on (0, 1)", rng_deriv)))


def tanh_derivative_lemma(bound=sp.S.One) -> Lemma:
    r""":math:`\tanh' = 1 - \tanh^2 \in (0, \text{bound}]`."""

    def derivative():
        diff = sp.simplify(sp.diff(sp.tanh(_u), _u) - (1 - sp.tanh(_u) ** 2))
        return diff == 0, r"\tanh'(u) - (1 - \tanh^2 u) = %s" % sp.latex(diff)

    def rng_tanh():
        r = function_range(sp.tanh(_u), _u, sp.S.Reals)
        return r == sp.Interval.open(-1, 1), r"\tanh(\mathbb{R}) = %s" % sp.latex(r)

    def rng_deriv():
        r = function_range(1 - _t**2, _t, sp.Interval.open(-1, 1))
        ok = bool(r.inf >= 0) and 0 not in r and bool(r.sup <= bound)
        return ok, (r"\{1 - t^2 : t \in (-1, 1)\} = %s \subseteq (0, %s]"
                    % (sp.latex(r), sp.latex(bound)))

    return Lemma(
        "tanh derivative",
        r"\tanh'(u) = 1 - \tanh^2(u) \in \left(0, %s\right]" % sp.latex(bound),
        (Step("derivative written in the function", derivative),
         Step("range of tanh", rng_tanh),
         Step("range of the derivative on (-1, 1)", rng_deriv)))


def convex_combination_lemma() -> Lemma:
    r""":math:`a \in [0,1],\ p, q \in [-1,1] \Rightarrow a p + (1 - a) q \in [-1, 1]`."""
    e = _a * _p + (1 - _a) * _q

    def upper():
        slack = sp.expand(1 - e - (_a * (1 - _p) + (1 - _a) * (1 - _q)))
        return slack == 0, r"1 - (a p + (1 - a) q) = a (1 - p) + (1 - a)(1 - q) \ge 0"

    def lower():
        slack = sp.expand(e + 1 - (_a * (1 + _p) + (1 - _a) * (1 + _q)))
        return slack == 0, r"a p + (1 - a) q + 1 = a (1 + p) + (1 - a)(1 + q) \ge 0"

    def vertices():
        vals = {e.subs({_a: a, _p: p, _q: q})
                for a, p, q in itertools.product((0, 1), (-1, 1), (-1, 1))}
        ok = max(vals) == 1 and min(vals) == -1
        return ok, (r"\text{multilinear, extremes at the 8 vertices: } \{%s\}"
                    % ", ".join(sorted(sp.latex(v) for v in vals)))

    return Lemma(
        "convex combination",
        r"a \in [0, 1],\ p, q \in [-1, 1] \implies a p + (1 - a) q \in [-1, 1]",
        (Step("upper side", upper), Step("lower side", lower), Step("vertices", vertices)))


def invariant_lemma(cell: Cell) -> Lemma:
    r"""The hidden-state invariant of ``cell``, derived mechanically from its update.

    With every gate in [0, 1], every ``tanh`` value in [-1, 1] and the state in [-1, 1],
    the update's exact range (vertices of the multilinear update) lies in [-1, 1], so by
    induction the state stays in [-1, 1] for all t when it starts there.
    """
    p = printer_for(cell)
    env = cell_env(cell)
    h = cell.states[0]
    h_next = cell.next_states[h]
    expr = cell.definitions[h_next]
    groups = {}
    for s in sorted(env.why, key=sp.default_sort_key):
        if env.why[s] in ("sigmoid range", "tanh range"):
            groups.setdefault(env.ranges[s], []).append(p.doprint(s))
    names = r",\ ".join("%s \\in [%s, %s]" % (", ".join(v), sp.latex(k[0]), sp.latex(k[1]))
                         for k, v in groups.items())

    def step():
        env2 = cell_env(cell)
        if h not in env2.ranges and expr.has(h):
            return False, r"\text{the update does not keep } [-1, 1]"
        lo, hi = interval(expr, env2)
        ok = bool(lo >= -1) and bool(hi <= 1)
        return ok, (r"%s:\ %s = %s \in [%s, %s]"
                    % (names, p.doprint(h_next), p.doprint(expr), sp.latex(lo), sp.latex(hi)))

    return Lemma(
        f"hidden-state invariant ({cell.title})",
        r"\|%s\|_\infty \le 1 \implies \|%s\|_\infty \le 1 \text{ for all } t"
        % (p.doprint(h).replace("t-1", "0"), p.doprint(h_next)),
        (Step("range of the update, gates and candidates bounded by the activation lemmas",
              step),))


def growth_lemma(cell: Cell, state) -> Lemma:
    r"""Growth of a state the invariant does not bound (LSTM :math:`c`), if its update is affine.

    For :math:`c_t = a \odot c_{t-1} + b` with :math:`a, b` free of :math:`c_{t-1}`:
    :math:`|c_t| \le |a| \odot |c_{t-1}| + \sup|b|`, e.g. :math:`|c_t| \le f_t \odot
    |c_{t-1}| + 1` because :math:`|i_t \odot g_t| \le 1`.
    """
    p = printer_for(cell)
    env = cell_env(cell)
    nxt = cell.next_states[state]
    expr = cell.definitions[nxt]
    a = sp.diff(expr, state)
    b = sp.expand(expr - a * state)

    def step():
        affine = not a.has(state) and not b.has(state)
        if not affine:
            return False, r"\text{the update is not affine in the state}"
        lo, hi = interval(b, env)
        alo, ahi = interval(a, env)
        ok = bool(alo >= 0)
        return ok, (r"%s = %s \odot %s + %s,\ %s \in [%s, %s],\ %s \in [%s, %s]"
                    % (p.doprint(nxt), p.doprint(a), p.doprint(state), p.doprint(b),
                       p.doprint(a), sp.latex(alo), sp.latex(ahi), p.doprint(b),
                       sp.latex(lo), sp.latex(hi)))

    bound = interval(b, env) if not b.has(state) and all(
        env.range(x) is not None for x in b.free_symbols) else (None, None)
    sup = sp.Max(*(sp.Abs(v) for v in bound)) if bound[0] is not None else sp.Symbol("B")
    return Lemma(
        f"state growth ({cell.title}, {state.name})",
        r"|%s| \le %s \odot |%s| + %s" % (p.doprint(nxt), p.doprint(a), p.doprint(state),
                                            sp.latex(sup)),
        (Step("affine update, triangle inequality and the activation ranges", step),))


def lemmas() -> list:
    """The activation lemmas, the convex-combination lemma, each built-in's invariant, and
    the growth lemma of each state the invariant does not bound (LSTM ``c``)."""
    out = [sigmoid_derivative_lemma(), tanh_derivative_lemma(), convex_combination_lemma()]
    for c in all_cells():
        out.append(invariant_lemma(c))
        env = cell_env(c)
        out += [growth_lemma(c, s) for s in c.states if s not in env.ranges]
    return out

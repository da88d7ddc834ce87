r"""The activation lemmas and the hidden-state invariant, each proven by SymPy steps.

Every :class:`Lemma` carries its statement as structure (SymPy relations and
:mod:`derivations.statements` nodes) and the SymPy computations that prove it; each
:class:`Step` has a typed description (a :class:`LemmaText` member) and its ``run()``
returns ``(ok, statement)``; :meth:`Lemma.verify` re-runs them. The lemmas the bounds rest
on:

.. math::

    \sigma'(u) = \sigma(u)(1 - \sigma(u)) \in (0, \tfrac14], \quad
    \text{since } \tfrac14 - s(1 - s) = \tfrac{(2s - 1)^2}{4};
    \qquad \tanh'(u) = 1 - \tanh^2(u) \in (0, 1];

one derivative lemma per activation of the registry (:mod:`derivations.functions`), so a
new activation gets its lemma from its declaration; a convex combination
:math:`a u + (1 - a) v` of values in :math:`[-1, 1]` stays in :math:`[-1, 1]`, so the
hidden states of GRU (every convention), minimalRNN and MGU stay in :math:`[-1, 1]` from
:math:`h_0 \in [-1, 1]`, and LSTM's :math:`h_t = o_t \odot \tanh(c_t)` stays in
:math:`(-1, 1)`.

>>> ls = lemmas()
>>> [lem.name for lem in ls][:3]
['sigmoid derivative', 'tanh derivative', 'convex combination']
>>> all(lem.verify() for lem in ls)
True
>>> sigmoid_derivative_lemma(bound=sp.Rational(1, 5)).verify()   # a wrong claim fails
False
"""

from __future__ import annotations

import enum
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from ._bounds_range import RangeSource, cell_env, interval
from ._errors import DerivationError
from ._piecewise import _domain, _explicit, _range, _zero_ae
from .cells import all_cells
from .functions import ACTIVATIONS, Activation, activation
from .language import Cell
from .naming import Time
from .statements import At, Chain, Implies, Juxt, Norm, Partial, Statements, Words

__all__ = ["Lemma", "LemmaKind", "LemmaText", "Step", "lemmas", "derivative_lemma",
           "sigmoid_derivative_lemma", "tanh_derivative_lemma", "convex_combination_lemma",
           "invariant_lemma", "growth_lemma", "range_lemma"]


class LemmaText(Words):
    """The descriptions of the proof steps and the words inside lemma statements."""

    DERIVATIVE_IN_FUNCTION = "derivative written in the function"
    GAP_TO_SUPREMUM = "distance to the supremum"
    RANGE_OF_FUNCTION = "range of the function"
    RANGE_OF_DERIVATIVE = "range of the derivative"
    UPPER_SIDE = "upper side"
    LOWER_SIDE = "lower side"
    VERTICES = "vertices"
    MULTILINEAR = "multilinear, extremes at the 8 vertices: "
    INVARIANT_STEP = "range of the update, gates and candidates bounded by the activation lemmas"
    GROWTH_STEP = "affine update, triangle inequality and the activation ranges"
    FOR_ALL_T = " for all t"
    NOT_KEPT = "the update does not keep [-1, 1]"
    NOT_AFFINE = "the update is not affine in the state"
    NOT_EXPLICIT = "no elementary form to differentiate"
    RANGE_STEP = "the update is one activation: the state lies in its range"
    NO_INVARIANT = " (unbounded: no invariant interval)"
    NOT_ONE_ACTIVATION = "the update is not one activation"


class LemmaKind(enum.Enum):
    """What a lemma is about; the value formats its English name with its subject."""

    DERIVATIVE = "{} derivative"
    CONVEX_COMBINATION = "convex combination"
    INVARIANT = "hidden-state invariant ({})"
    GROWTH = "state growth ({})"
    RANGE = "state range ({})"


@dataclass(frozen=True)
class Step:
    """One SymPy computation of a proof: ``run()`` returns ``(ok, statement)``.

    A step is a pure computation: it runs once per step object (``verify`` and the report's
    proof display share the result).
    """

    description: LemmaText
    run: Callable[[], tuple]

    def __post_init__(self):
        object.__setattr__(self, "run", functools.cache(self.run))

    def statement(self):
        """The statement this step computes (re-run)."""
        return self.run()[1]


@dataclass(frozen=True)
class Lemma:
    """A statement and the SymPy steps that prove it.

    ``subject`` names what the lemma is about (an activation, a cell, a cell and a state);
    ``cell`` is the cell whose names print the statement (``None``: a scalar lemma).
    """

    kind: LemmaKind
    subject: str
    statement: object
    steps: tuple
    cell: Cell | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return self.kind.value.format(self.subject)

    @property
    def scalar(self) -> bool:
        """True for a lemma about scalars (products print by juxtaposition)."""
        return self.cell is None

    def verify(self) -> bool:
        """Re-run every SymPy step; True if each one establishes its claim."""
        return all(bool(step.run()[0]) for step in self.steps)


_u = sp.Symbol("u", real=True)
_y = sp.Symbol("y", real=True)
_a, _p, _q = sp.symbols("a p q", real=True)


def _minus(x, y):
    """``x - y`` kept as written (``1 - (1 - y^2)``, not ``y^2``)."""
    return sp.Add(x, sp.Mul(-1, y, evaluate=False), evaluate=False)


@functools.lru_cache(maxsize=64)
def derivative_lemma(act: Activation, bound=None) -> Lemma:
    r""":math:`f'(u) = d(f(u)) \in (0, \text{bound}]` for a registered activation ``act``.

    ``bound`` defaults to ``act.derivative_sup``; without one the lemma states only the
    derivative written in the function. Steps: the derivative of the elementary form equals
    the declared one; the range of :math:`f` is ``value_range``; the declared supremum
    minus :math:`d(y)`, factored, is nonnegative; and :math:`\{d(y)\}` over the range lies
    in :math:`(0, \text{bound}]`.
    """
    if not isinstance(act, Activation):
        raise DerivationError(f"derivative_lemma needs an Activation, got {act!r}")
    bound = act.derivative_sup if bound is None else sp.sympify(bound)
    f_u = act.function(_u)
    d_u = act.derivative(f_u)
    explicit = _explicit(act, _u)

    def derivative():
        if explicit is None:
            return False, LemmaText.NOT_EXPLICIT
        raw = sp.diff(explicit, _u) - act.derivative(explicit)
        diff = sp.simplify(raw)
        if diff != 0 and act.kink:  # equal almost everywhere: away from the kinks
            return _zero_ae(raw, _u), sp.Eq(_minus(Partial(f_u, _u), d_u), 0, evaluate=False)
        return diff == 0, sp.Eq(_minus(Partial(f_u, _u), d_u), diff, evaluate=False)

    def rng_function():
        if explicit is None:
            return False, LemmaText.NOT_EXPLICIT
        r = _range(explicit, _u, _domain(explicit, _u))
        return r == act.value_range, Implies(sp.Contains(_u, sp.S.Reals, evaluate=False),
                                             sp.Contains(f_u, r, evaluate=False))

    def gap():
        sup = act.derivative_sup if act.derivative_sup is not None else bound
        g = sp.factor(sup - act.derivative(_y))
        ok = g.is_nonnegative or bool(_range(g, _y, act.value_range).inf >= 0)
        return ok, Chain(_minus(sup, act.derivative(_y)), (("=", g), (">=", 0)))

    def rng_derivative():
        r = _range(act.derivative(_y), _y, act.value_range)
        ok = bool(r.inf >= 0) and (0 not in r or bool(act.kink)) and bool(r.sup <= bound)
        return ok, Statements((
            Implies(sp.Contains(_y, act.value_range, evaluate=False),
                    sp.Contains(act.derivative(_y), r, evaluate=False)),
            sp.Le(r.sup, bound, evaluate=False)))

    steps = [Step(LemmaText.DERIVATIVE_IN_FUNCTION, derivative),
             Step(LemmaText.RANGE_OF_FUNCTION, rng_function)]
    if bound is None:
        return Lemma(LemmaKind.DERIVATIVE, act.name,
                     sp.Eq(Partial(f_u, _u), d_u, evaluate=False), tuple(steps))
    steps += [Step(LemmaText.GAP_TO_SUPREMUM, gap), Step(LemmaText.RANGE_OF_DERIVATIVE,
                                                         rng_derivative)]
    statement = Chain(Partial(f_u, _u), (("=", d_u),))
    # a kinked function's derivative reaches 0 (relu' on u < 0): the closed interval
    values = sp.Interval(0, bound) if act.kink else sp.Interval.Lopen(0, bound)
    return Lemma(LemmaKind.DERIVATIVE, act.name,
                 Statements((statement, sp.Contains(Partial(f_u, _u), values,
                                                    evaluate=False))), tuple(steps))


def sigmoid_derivative_lemma(bound=None) -> Lemma:
    r""":math:`\sigma' = \sigma(1 - \sigma) \in (0, \text{bound}]`; true for bound >= 1/4 only."""
    return derivative_lemma(ACTIVATIONS["sigmoid"], bound)


def tanh_derivative_lemma(bound=None) -> Lemma:
    r""":math:`\tanh' = 1 - \tanh^2 \in (0, \text{bound}]`; true for bound >= 1 only."""
    return derivative_lemma(ACTIVATIONS["tanh"], bound)


def convex_combination_lemma() -> Lemma:
    r""":math:`a \in [0,1],\ p, q \in [-1,1] \Rightarrow a p + (1 - a) q \in [-1, 1]`."""
    e = _a * _p + (1 - _a) * _q

    def upper():
        rhs = _a * (1 - _p) + (1 - _a) * (1 - _q)
        slack = sp.expand(1 - e - rhs)
        return slack == 0, Chain(_minus(1, e), (("=", rhs), (">=", 0)))

    def lower():
        rhs = _a * (1 + _p) + (1 - _a) * (1 + _q)
        slack = sp.expand(e + 1 - rhs)
        return slack == 0, Chain(e + 1, (("=", rhs), (">=", 0)))

    def vertices():
        vals = {e.subs({_a: a, _p: p, _q: q})
                for a, p, q in itertools.product((0, 1), (-1, 1), (-1, 1))}
        ok = max(vals) == 1 and min(vals) == -1
        return ok, Juxt((LemmaText.MULTILINEAR, sp.FiniteSet(*vals)))

    unit = sp.Interval(-1, 1)
    return Lemma(
        LemmaKind.CONVEX_COMBINATION, "",
        Implies(Statements((sp.Contains(_a, sp.Interval(0, 1), evaluate=False),
                            sp.Contains(_p, unit, evaluate=False),
                            sp.Contains(_q, unit, evaluate=False))),
                sp.Contains(e, unit, evaluate=False)),
        (Step(LemmaText.UPPER_SIDE, upper), Step(LemmaText.LOWER_SIDE, lower),
         Step(LemmaText.VERTICES, vertices)))


def _box(lo, hi):
    return sp.Interval(lo, hi)


def invariant_lemma(cell: Cell) -> Lemma:
    r"""The hidden-state invariant of ``cell``, derived mechanically from its update.

    With every gate in [0, 1], every ``tanh`` value in [-1, 1] and the state in [-1, 1],
    the update's exact range (vertices of the multilinear update) lies in [-1, 1], so by
    induction the state stays in [-1, 1] for all t when it starts there.
    """
    env = cell_env(cell)
    h = cell.states[0]
    h_next = cell.next_states[h]
    expr = cell.definitions[h_next]
    known = tuple(sp.Contains(s, _box(*env.ranges[s]), evaluate=False)
                  for s in sorted(env.why, key=sp.default_sort_key)
                  if env.why[s] is RangeSource.ACTIVATION)

    def step():
        env2 = cell_env(cell)
        if h not in env2.ranges and expr.has(h):
            return False, LemmaText.NOT_KEPT
        lo, hi = interval(expr, env2)
        ok = bool(lo >= -1) and bool(hi <= 1)
        return ok, Implies(Statements(known), Statements((
            sp.Eq(h_next, expr, evaluate=False),
            sp.Contains(h_next, _box(lo, hi), evaluate=False))))

    return Lemma(
        LemmaKind.INVARIANT, cell.title,
        Implies(sp.Le(Norm(At(h, Time.ZERO), sp.oo), 1, evaluate=False),
                Juxt((sp.Le(Norm(h_next, sp.oo), 1, evaluate=False), LemmaText.FOR_ALL_T))),
        (Step(LemmaText.INVARIANT_STEP, step),), cell)


def growth_lemma(cell: Cell, state) -> Lemma:
    r"""Growth of a state the invariant does not bound (LSTM :math:`c`), if its update is affine.

    For :math:`c_t = a \odot c_{t-1} + b` with :math:`a, b` free of :math:`c_{t-1}`:
    :math:`|c_t| \le |a| \odot |c_{t-1}| + \sup|b|`, e.g. :math:`|c_t| \le f_t \odot
    |c_{t-1}| + 1` because :math:`|i_t \odot g_t| \le 1`. The statement writes :math:`a`
    when it is provably nonnegative (a sigmoid gate) and :math:`|a|` otherwise (FastGRNN's
    tanh gate :math:`z \in [-1, 1]`).
    """
    env = cell_env(cell)
    nxt = cell.next_states[state]
    expr = cell.definitions[nxt]
    a = sp.diff(expr, state)
    if a.has(sp.Derivative):  # the state enters through a matrix (relu(W h)): not affine
        a = sp.Symbol("A")
    b = sp.expand(expr - a * state)
    try:
        nonneg = bool(interval(a, env)[0] >= 0)
    except DerivationError:
        nonneg = False
    coef = a if nonneg else sp.Abs(a)

    def step():
        affine = not a.has(state) and not b.has(state)
        if not affine:
            return False, LemmaText.NOT_AFFINE
        lo, hi = interval(b, env)
        alo, ahi = interval(a, env)
        ok = bool(alo >= 0) or coef == sp.Abs(a)   # |a c + b| <= |a| |c| + |b| always
        return ok, Statements((sp.Eq(nxt, a * state + b, evaluate=False),
                               sp.Contains(a, _box(alo, ahi), evaluate=False),
                               sp.Contains(b, _box(lo, hi), evaluate=False)))

    bound = interval(b, env) if not b.has(state) and all(
        env.range(x) is not None for x in b.free_symbols) else (None, None)
    sup = sp.Max(*(sp.Abs(v) for v in bound)) if bound[0] is not None else sp.Symbol("B")
    return Lemma(
        LemmaKind.GROWTH, f"{cell.title}, {state.name}",
        sp.Le(sp.Abs(nxt), coef * sp.Abs(state) + sup, evaluate=False),
        (Step(LemmaText.GROWTH_STEP, step),), cell)


def range_lemma(cell: Cell, state) -> Lemma:
    r"""The range of a state whose update is one activation, :math:`s_t = f(u)`:
    :math:`s_t \in \overline{f(\mathbb{R})}` for all :math:`t \ge 1`, e.g.
    :math:`h_t \in [0, \infty)` for ``relu`` (Elman relu, IndRNN). Where that range is
    unbounded no interval is invariant, and the statement says so.
    """
    nxt = cell.next_states[state]
    expr = cell.definitions[nxt]
    act = activation(expr)
    rng = act.value_range.closure if act is not None else sp.S.Reals
    words = (LemmaText.FOR_ALL_T,) + (
        (LemmaText.NO_INVARIANT,) if not (rng.inf.is_finite and rng.sup.is_finite) else ())

    def step():
        if act is None:
            return False, LemmaText.NOT_ONE_ACTIVATION
        explicit = _explicit(act, _u)
        if explicit is None:
            return False, LemmaText.NOT_EXPLICIT
        found = _range(explicit, _u, _domain(explicit, _u))  # SymPy's, not the declaration
        return found.closure == rng, Statements((
            sp.Eq(nxt, act.function(sp.Symbol("u")), evaluate=False),
            sp.Contains(act.function(_u), found, evaluate=False)))

    return Lemma(LemmaKind.RANGE, f"{cell.title}, {state.name}",
                 Juxt((sp.Contains(nxt, rng, evaluate=False), *words)),
                 (Step(LemmaText.RANGE_STEP, step),), cell)


def _growth_applies(cell, state, env) -> bool:
    """True if ``state``'s update is affine in it with a bounded offset (LSTM ``c``)."""
    expr = cell.definitions[cell.next_states[state]]
    a = sp.diff(expr, state)
    if a.has(sp.Derivative) or a.has(state):
        return False
    b = sp.expand(expr - a * state)
    try:
        interval(a, env), interval(b, env)
    except DerivationError:
        return False
    return not b.has(state)


def lemmas() -> list:
    r"""One derivative lemma per registered activation, the convex-combination lemma, and for
    each built-in: the invariant of its first state where it holds; the range of each state
    updated by one activation with an unbounded range (relu: :math:`[0, \infty)`, no
    invariant); the growth of each state the invariant does not bound whose update is
    affine in it with a bounded offset (LSTM ``c``; the stabilized sLSTM's ``c`` and ``n``,
    whose gates are exponentials of nonpositive arguments). States with none of these (an
    unbounded candidate, an unbounded exponential gate) get no lemma; their bounds keep
    norms."""
    first = ("sigmoid", "tanh")  # the gating lemmas, then the convex combination
    out = [derivative_lemma(ACTIVATIONS[n]) for n in first]
    out.append(convex_combination_lemma())
    out += [derivative_lemma(act) for n, act in ACTIVATIONS.items() if n not in first]
    for c in all_cells():
        env = cell_env(c)
        if env.why.get(c.states[0]) is RangeSource.INVARIANT:
            out.append(invariant_lemma(c))
        for s in c.states:
            if s in env.ranges:
                continue
            if activation(c.definitions[c.next_states[s]]) is not None:
                out.append(range_lemma(c, s))
            elif _growth_applies(c, s, env):
                out.append(growth_lemma(c, s))
    return out

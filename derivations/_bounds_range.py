r"""Exact ranges and suprema of elementwise coefficient expressions (private).

Every coefficient of a Jacobian term is an elementwise expression in a cell's named
quantities. Its range follows mechanically from the ranges of its atoms:

* a quantity defined by a registered activation (:mod:`derivations.functions`), and any
  application of one (e.g. :math:`\tanh(c_t)`), lies in the activation's ``value_range``
  (:math:`\sigma`: :math:`(0, 1)`, :math:`\tanh`: :math:`(-1, 1)`); where that range is
  unbounded (softplus, exp), the activation's derivative written in the quantity
  (:math:`1 - e^{-q}`) is an atom in :math:`(0, \sup f']`, from ``derivative_sup``;
* an increasing activation with values unbounded above but not below (exp) of an argument
  bounded above is bounded (:func:`monotone_range`, ``RangeSource.MONOTONE``): the
  RG-LRU's :math:`a = e^{-c r \operatorname{softplus}(-\Lambda)} \in (0, 1]` since
  :func:`nonpositive` proves the exponent :math:`\le 0` from :math:`c > 0` (a scalar
  declared positive), :math:`r \in [0, 1]`, softplus :math:`> 0`; the stabilized sLSTM's
  :math:`e^{\tilde\imath - m_t} \in (0, 1]` since :math:`a - \max(a, b) \le 0`;
* a state lies in :math:`[-1, 1]` when the invariant lemma holds for it (its update maps
  :math:`[-1, 1]` into itself), and is *unbounded* otherwise (LSTM :math:`c`);
* inputs, biases and linear maps :math:`W v` are unbounded: they are bounded by named
  norms, :math:`|W v| \le \|W\|_\infty \sup|v|` and :math:`|b| \le \|b\|_\infty`, written
  as :class:`~derivations.statements.Norm` atoms (``Norm(W, oo)``).

For bounded expressions the range is computed exactly: a multilinear polynomial takes its
extremes at the vertices of the box of its atoms; a univariate polynomial at the interval
ends or its critical points (``sympy.solve`` of the derivative); otherwise the expression
is split into factors (or summands) over disjoint atom groups and interval arithmetic
combines the exact group ranges. For example :math:`z (1 - z)(h - n)` splits into
:math:`z (1 - z) \in [0, 1/4]` and :math:`h - n \in [-2, 2]`, so its supremum is 1/2.

>>> import sympy as sp
>>> z, h, n = sp.symbols("z h n")
>>> ranges = {z: (0, 1), h: (-1, 1), n: (-1, 1)}
>>> interval(z * (1 - z) * (h - n), ranges)
(-1/2, 1/2)
>>> interval((1 - z) * n + z * h, ranges)   # a convex combination stays in [-1, 1]
(-1, 1)
"""

from __future__ import annotations

import enum
import itertools

import sympy as sp

from ._errors import DerivationError
from .functions import activation
from .language import Cell, MatVec
from .statements import Norm

__all__ = ["interval", "sup_abs", "Env", "cell_env", "RangeSource", "activation_range",
           "derivative_form"]


class RangeSource(enum.Enum):
    """Which lemma gives an atom its range."""

    ACTIVATION = "activation range"
    DERIVATIVE = "activation derivative supremum"
    INVARIANT = "invariant"
    UPDATE = "range of its update"
    #: an increasing activation of an argument bounded above (:math:`e^u \in (0, 1]` for
    #: :math:`u \le 0`: the RG-LRU's decay, the stabilized sLSTM's gates)
    MONOTONE = "increasing activation of an argument bounded above"


def activation_range(act):
    """The closed ``(lo, hi)`` hull of ``act.value_range``, or ``None`` if it is unbounded."""
    r = act.value_range
    if not (r.inf.is_finite and r.sup.is_finite):
        return None
    return (r.inf, r.sup)


class Env:
    r"""Known ranges of a cell's atoms; anything else is unbounded.

    ``ranges`` maps atoms (symbols and activation applications) to closed ``(lo, hi)``
    pairs of SymPy numbers; ``why`` maps them to the :class:`RangeSource` that gives the
    range. ``carriers`` maps a quantity defined by an activation with unbounded values but a
    bounded derivative (softplus) to that activation: an expression in the derivative
    written in the quantity (:math:`1 - e^{-q}`) is bounded through
    :func:`derivative_form`, as is one in an application of such an activation.
    """

    def __init__(self, ranges=None, why=None, carriers=None, defs=None):
        self.ranges = dict(ranges or {})
        self.why = dict(why or {})
        self.carriers = dict(carriers or {})
        #: quantities defined by ``Max`` / ``Min`` (a stabilizer :math:`m' = \max(a, b)`),
        #: expanded by :func:`nonpositive` for the rule :math:`a - \max(a, b) \le 0`
        self.defs = dict(defs or {})

    def copy(self) -> Env:
        return Env(self.ranges, self.why, self.carriers, self.defs)

    def range(self, atom):
        if atom in self.ranges:
            return self.ranges[atom]
        if isinstance(atom, sp.Heaviside):  # an indicator (a.e. derivative of a kink)
            return (sp.S.Zero, sp.S.One)
        act = activation(atom)
        if act is not None:
            from ._bounds_sign import monotone_range  # it reads ranges through Env

            return activation_range(act) or monotone_range(atom, self)
        return None


def _carriers(expr, env: Env) -> list:
    """``(x, activation)`` for each carrier of ``env`` and each application of an activation
    with unbounded values and a derivative supremum in ``expr``."""
    out = [(q, act) for q, act in env.carriers.items() if expr.has(q)]
    for app in expr.atoms(sp.Function):
        act = activation(app)
        if act is not None and act.derivative_sup is not None and activation_range(act) is None:
            out.append((app, act))
    return out


def derivative_form(expr, env: Env):
    r"""``(expr, env)`` with every unbounded carrier :math:`x` of an activation :math:`f`
    eliminated in favour of :math:`D = f'` written in :math:`x` (a new atom in
    :math:`[0, \sup f']`), where ``expr`` is a polynomial in :math:`D` once :math:`x` is
    written through it:
    :math:`-	frac14 + 	frac14 e^{-y}` with :math:`D = 1 - e^{-y}` becomes
    :math:`-D/4`. Unchanged where that fails."""
    expr = sp.sympify(expr)
    found = _carriers(expr, env)
    if not found:
        return expr, env
    env = env.copy()
    for x, act in found:
        Y, D = sp.Dummy("y"), sp.Dummy(f"d{act.name}", nonnegative=True)
        try:
            sol = sp.solve(sp.Eq(D, act.derivative(Y)), Y)
        except (NotImplementedError, ValueError):
            continue
        if len(sol) != 1:
            continue
        rewritten = sp.simplify(expr.xreplace({x: Y}).subs(Y, sol[0]))
        if not rewritten.has(Y, x) and rewritten.is_polynomial(D):
            expr = rewritten
            env.ranges[D] = (sp.S.Zero, act.derivative_sup)
            env.why[D] = RangeSource.DERIVATIVE
    return expr, env


def _atoms(expr):
    """Symbols and activation applications of ``expr`` outside any MatVec."""
    out = set()

    def walk(e):
        if (isinstance(e, (sp.Symbol, MatVec, sp.Heaviside))
                or activation(e) is not None):
            out.add(e)
        else:
            for a in e.args:
                walk(a)

    walk(expr)
    return out


def bounded(expr, env: Env) -> bool:
    """True if every atom of ``expr`` has a known range."""
    return all(env.range(a) is not None for a in _atoms(expr))


def _imul(a, b):
    ps = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
    return (sp.Min(*ps), sp.Max(*ps))


def _ipow(a, k):
    lo, hi = a
    if k % 2 == 1 or lo >= 0:
        return (sp.Min(lo**k, hi**k), sp.Max(lo**k, hi**k))
    if hi <= 0:
        return (hi**k, lo**k)
    return (sp.S.Zero, sp.Max(lo**k, hi**k))


def _poly_range(expr, atoms, env):
    """Exact range of a polynomial that is multilinear or univariate; ``None`` otherwise."""
    dummies = {a: sp.Dummy() for a in atoms}
    e = expr.xreplace(dummies)
    try:
        poly = sp.Poly(e, *dummies.values())
    except sp.PolynomialError:
        return None
    degs = poly.degree_list() if dummies else ()
    if all(d <= 1 for d in degs):
        boxes = [env.range(a) for a in atoms]
        vals = [e.xreplace(dict(zip(dummies.values(), v, strict=True)))
                for v in itertools.product(*boxes)] if atoms else [e]
        return (sp.Min(*vals), sp.Max(*vals))
    if len(atoms) == 1:
        (a,), (d,) = atoms, dummies.values()
        lo, hi = env.range(a)
        pts = [lo, hi] + [p for p in sp.solve(sp.diff(e, d), d)
                          if p.is_real and lo <= p <= hi]
        vals = [e.subs(d, p) for p in pts]
        return (sp.Min(*vals), sp.Max(*vals))
    return None


def _groups(factors):
    """Partition factors into groups whose atom sets are disjoint (union-find)."""
    groups: list = []
    for f in factors:
        fa = _atoms(f)
        merged = [g for g in groups if g[1] & fa]
        for g in merged:
            groups.remove(g)
        facs = [f] + [x for g in merged for x in g[0]]
        atoms = fa.union(*(g[1] for g in merged))
        groups.append((facs, atoms))
    return groups


def _share(expr, env):
    r"""``(0, 1)`` if ``expr`` is a share :math:`N / (N + R)` of nonnegative parts
    (:math:`N, R \ge 0` by their ranges; minLSTM's :math:`f / (f + i)`), else ``None``.

    Wherever the quotient is defined, :math:`0 \le N \le N + R`, so it lies in [0, 1]
    although the denominator's range reaches 0."""
    dens = [f for f in sp.Mul.make_args(expr)
            if isinstance(f, sp.Pow) and f.exp == -1 and f.base.free_symbols]
    if len(dens) != 1:
        return None
    num = sp.Mul(*(f for f in sp.Mul.make_args(expr) if f is not dens[0]))
    rest = sp.expand(dens[0].base - num)
    try:
        parts = [interval(num, env), interval(rest, env)]
    except DerivationError:
        return None
    if all(bool(lo >= 0) for lo, _ in parts):
        return (sp.S.Zero, sp.S.One)
    return None


def interval(expr, ranges_or_env) -> tuple:
    """An enclosing closed interval ``(lo, hi)`` of a bounded elementwise expression.

    Exact for multilinear and univariate polynomials in the atoms, and for products and
    sums of such over disjoint atom groups.
    """
    env = ranges_or_env if isinstance(ranges_or_env, Env) else Env(ranges_or_env)
    expr = sp.sympify(expr)
    atoms = sorted(_atoms(expr), key=sp.default_sort_key)
    for a in atoms:
        if env.range(a) is None:
            raise DerivationError(f"no range is known for {a} in {expr}")
    if not atoms:
        return (expr, expr)
    exact = _poly_range(expr, atoms, env)
    if exact is not None:
        return exact
    if isinstance(expr, sp.Mul):
        share = _share(expr, env)
        if share is not None:
            return share
        groups = _groups(sp.Mul.make_args(expr))
        if len(groups) > 1:
            out = (sp.S.One, sp.S.One)
            for facs, _ in groups:
                out = _imul(out, interval(sp.Mul(*facs), env))
            return out
        out = (sp.S.One, sp.S.One)
        for f in sp.Mul.make_args(expr):
            out = _imul(out, interval(f, env))
        return out
    if isinstance(expr, sp.Add):
        lo, hi = sp.S.Zero, sp.S.Zero
        for a in expr.args:
            al, ah = interval(a, env)
            lo, hi = lo + al, hi + ah
        return (lo, hi)
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp > 0:
        return _ipow(interval(expr.base, env), int(expr.exp))
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp < 0:
        lo, hi = interval(expr.base, env)
        if bool(lo > 0) or bool(hi < 0):  # bounded away from 0: 1/b is monotone
            return _ipow((1 / hi, 1 / lo), int(-expr.exp))
    if isinstance(expr, (sp.Max, sp.Min)):  # monotone in each argument
        parts = [interval(a, env) for a in expr.args]
        return (expr.func(*(p[0] for p in parts)), expr.func(*(p[1] for p in parts)))
    raise DerivationError(f"cannot bound {expr} over the ranges of its atoms")


def sup_abs(expr, env: Env):
    r"""A SymPy expression :math:`M \ge 0` with :math:`|expr| \le M` elementwise.

    ``M`` is a number for bounded expressions and otherwise an expression in
    :class:`~derivations.statements.Norm` atoms: :math:`\|W\|_\infty`,
    :math:`\|b\|_\infty`, :math:`\|c\|_\infty` (``Norm(W, oo)``, ...).
    """
    expr, env = derivative_form(expr, env)
    if bounded(expr, env):
        lo, hi = interval(expr, env)
        return sp.Max(sp.Abs(lo), sp.Abs(hi))
    if isinstance(expr, sp.Symbol):
        return Norm(expr, sp.oo)
    if isinstance(expr, MatVec):
        return Norm(expr.matrix, sp.oo) * sup_abs(expr.operand, env)
    if isinstance(expr, sp.Mul):
        facs = sp.Mul.make_args(expr)
        good = [f for f in facs if bounded(f, env)]
        bad = [f for f in facs if not bounded(f, env)]
        out = sup_abs(sp.Mul(*good), env) if good else sp.S.One
        for f in bad:
            out = out * sup_abs(f, env)
        return out
    if isinstance(expr, sp.Add):
        factored = sp.factor(expr)
        if isinstance(factored, sp.Mul):
            return sup_abs(factored, env)
        good = [a for a in expr.args if bounded(a, env)]
        bad = [a for a in expr.args if not bounded(a, env)]
        out = sup_abs(sp.Add(*good), env) if good else sp.S.Zero
        for a in bad:
            out = out + sup_abs(a, env)
        return out
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp > 0:
        return sup_abs(expr.base, env) ** expr.exp
    if isinstance(expr, (sp.Max, sp.Min)):  # |max(a, b)| <= max(|a|, |b|)
        return sp.Max(*(sup_abs(a, env) for a in expr.args))
    raise DerivationError(f"cannot bound |{expr}|: unsupported expression type "
                          f"{type(expr).__name__}")


_UNIT = (-sp.S.One, sp.S.One)


def cell_env(cell: Cell) -> Env:
    r"""The atom ranges of ``cell`` that the lemmas give (see :mod:`derivations.lemmas`).

    A quantity defined by an activation lies in the activation's value range (gates
    defined by :math:`\sigma` in [0, 1], candidates defined by ``tanh`` in [-1, 1]); if
    that range is unbounded, the activation's derivative written in the quantity lies in
    :math:`(0, \sup f']`; an increasing one of an argument bounded above lies in
    :func:`monotone_range` (``RangeSource.MONOTONE``: :math:`e^u \in (0, 1]` for a
    provably nonpositive :math:`u`). A state lies in [-1, 1] if its update maps the box
    with that state in [-1, 1] into [-1, 1] (the invariant lemma, by induction from
    :math:`|h_0| \le 1`); a next state gets the range of its update. Every other symbol
    is unbounded.
    """
    from ._bounds_sign import monotone_range  # it reads ranges through an Env

    env = Env(defs={q.symbol: q.expr for q in cell.quantities
                    if isinstance(q.expr, (sp.Max, sp.Min))})
    for q in cell.quantities:
        act = activation(q.expr)
        if act is None:
            continue
        rng = activation_range(act)
        if rng is not None:
            env.ranges[q.symbol] = rng
            env.why[q.symbol] = RangeSource.ACTIVATION
            continue
        if act.derivative_sup is not None:
            env.carriers[q.symbol] = act
        rng = monotone_range(q.expr, env)
        if rng is not None:
            env.ranges[q.symbol] = rng
            env.why[q.symbol] = RangeSource.MONOTONE
    # the invariant: assume every state in [-1, 1], keep the states whose update stays there
    assumed = set(cell.states)
    while True:
        trial = env.copy()
        for s in assumed:
            trial.ranges[s] = _UNIT
        _next_state_ranges(cell, trial)
        keep = {s for s in assumed
                if _within_unit(trial.ranges.get(cell.next_states[s]))}
        if keep == assumed:
            break
        assumed = keep
    for s in assumed:
        env.ranges[s] = _UNIT
        env.why[s] = RangeSource.INVARIANT
    _next_state_ranges(cell, env)
    return env


def _next_state_ranges(cell, env):
    for q in cell.quantities:
        if q.symbol in env.ranges or activation(q.expr) is not None:
            continue
        if bounded(q.expr, env):
            try:
                env.ranges[q.symbol] = interval(q.expr, env)
            except DerivationError:  # e.g. a division by a range containing 0: unbounded
                continue
            env.why[q.symbol] = RangeSource.UPDATE


def _within_unit(rng) -> bool:
    return rng is not None and bool(rng[0] >= -1) and bool(rng[1] <= 1)

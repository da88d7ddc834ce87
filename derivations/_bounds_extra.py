r"""Saturation limits, multi-step products and the vanishing condition (private).

Saturation: if the gate :math:`g` of ``cell.carrying`` (a
:class:`~derivations.facts.Carrying`) is at distance :math:`\varepsilon = \max_i |g_i -
g^\ast|` from its carrying value :math:`g^\ast`, substitute :math:`g = g^\ast \mp
\varepsilon` in every coefficient. The carry minus one and at least one coefficient of each
other term vanish at :math:`\varepsilon = 0` and are divisible by :math:`\varepsilon`, so

.. math::

    \|J - I\|_2 \le K \varepsilon, \qquad
    \varepsilon < e^{-m}, \quad m = \min_i \text{(pre-activation of } g_i
    \text{ towards carrying)},

because :math:`1 - \sigma(a) = \sigma(-a) < e^{-a}`. By Weyl, :math:`\sigma_{\min}(J) \ge 1 -
K\varepsilon`. The statements use :class:`~derivations.statements.At` for the vectors at
other times (:math:`h_T`, :math:`h_{t_0}`, :math:`h_{t+k}`).
"""

from __future__ import annotations

import sympy as sp

from ._bound_types import (
    AHEAD,
    GAMMA,
    HORIZON,
    START,
    STEP,
    Bound,
    BoundText,
    L,
    NoVanishing,
    SaturationBound,
    U,
    VanishingBound,
    listed,
)
from ._bounds_range import Env, sup_abs
from ._errors import DerivationError
from .facts import BoundKind
from .functions import sigmoid
from .language import MatVec
from .naming import Time
from .statements import (
    EPSILON,
    EYE,
    At,
    Chain,
    Diag,
    EntryMax,
    Implies,
    Juxt,
    Norm,
    Partial,
    Prose,
    SigmaMax,
    SigmaMin,
    Statements,
    Sup,
    Tends,
)

__all__ = ["saturation_bound", "multistep_bound", "pmb_bound"]


def _sub(expr, gate, towards):
    return expr.xreplace({gate: (1 - EPSILON) if towards == 1 else EPSILON})


def _over_epsilon(expr):
    """``expr / epsilon``, factored only if the division leaves epsilon in a denominator (so a
    compound atom of the range engine, such as ``1 - exp(-q)``, keeps its form)."""
    q = expr / EPSILON
    if any(p.base == EPSILON and p.exp.is_negative for p in q.atoms(sp.Pow)):
        q = sp.factor(q)
    return q


def _saturation_constant(carrying, block, tbs, env: Env):
    """``(K, per-term constants)`` of :math:`\\|J - I\\| \\le K\\varepsilon`, or ``None``.

    ``None`` too when a coefficient that is 0 at the limit is not O(epsilon) before it: the
    hard sigmoid's derivative is 1/6 for every gate value in (0, 1) and 0 only once the gate
    is exactly 0 or 1, so ``J - I`` does not shrink as the gate approaches its limit."""
    gate, towards = carrying.gate, carrying.towards
    e_env = env.copy()
    e_env.ranges[EPSILON] = (sp.S.Zero, sp.S.One)
    e_env.ranges.pop(gate, None)
    carry_gap = _sub(block.carry - 1, gate, towards)
    if sp.expand(carry_gap.subs(EPSILON, 0)) != 0:
        return None
    K = sup_abs(_over_epsilon(carry_gap), e_env)
    pieces = [K]
    for tb in tbs:
        if tb.term.is_diagonal:
            continue
        subbed = [_sub(a, gate, towards) for a in tb.term.coeffs]
        k = next((i for i, a in enumerate(subbed) if sp.expand(a.subs(EPSILON, 0)) == 0), None)
        if k is None:
            return None
        factor = sp.S.One
        for i, a in enumerate(subbed):
            a = _over_epsilon(a) if i == k else a
            try:
                factor = factor * sup_abs(a, e_env)
            except DerivationError:        # e.g. Heaviside(epsilon)/epsilon: unbounded
                return None
        if factor in (sp.oo, sp.zoo):
            return None
        for W in tb.term.matrices:
            factor = factor * Norm(W, 2)
        K = K + factor
        pieces.append(factor)
    return sp.simplify(K), tuple(pieces)


def saturation_bound(cell, key, block, tbs, env: Env):
    """The limit ``J -> I`` at rate ``K * epsilon`` for ``block``, or ``None``."""
    carrying = cell.carrying
    if carrying is None or block.carry is None or carrying.gate not in block.carry.free_symbols:
        return None
    found = _saturation_constant(carrying, block, tbs, env)
    if found is None:
        return None
    K, pieces = found
    gate, towards = carrying.gate, carrying.towards
    J = Partial(block.output, block.wrt)
    statement = Statements((
        sp.Le(Norm(J - EYE), K * EPSILON, evaluate=False),
        sp.Eq(EPSILON, EntryMax(sp.Abs(carrying.distance, evaluate=False)), evaluate=False),
        Implies(Tends(EPSILON, 0), Tends(J, EYE))))
    a = sp.Symbol("a")
    proof = [BoundText.SAT_SUBSTITUTE, sp.Eq(gate, _sub(gate, gate, towards), evaluate=False),
             BoundText.SAT_WITH, sp.Contains(EPSILON, sp.Interval(0, 1), evaluate=False),
             BoundText.SAT_VANISH, EPSILON, BoundText.SAT_CONSTANTS, *listed(pieces)]
    if isinstance(cell.definitions.get(gate), sigmoid):
        distance = 1 - sigmoid(a) if towards == 1 else sigmoid(a)
        proof += [BoundText.SAT_RATE, sp.Eq(gate, sigmoid(a), evaluate=False),
                  BoundText.SAT_WITH,
                  sp.Lt(distance, sp.exp(-a if towards == 1 else a), evaluate=False),
                  BoundText.SAT_EXPONENTIAL]
    proof += [BoundText.SAT_WEYL, sp.Ge(SigmaMin(J), 1 - K * EPSILON, evaluate=False),
              BoundText.PERIOD]
    return SaturationBound(
        f"saturation limit of d{key[0]}/d{key[1]} ({gate.name} towards {towards})",
        BoundKind.SATURATION, key, statement, Prose(tuple(proof)), K, cell,
        gate=gate, towards=towards, K=K, epsilon=EPSILON)


def _product(term, low=None):
    return sp.Product(term, (STEP, START + 1 if low is None else low, HORIZON))


def multistep_bound(cell, blocks):
    """Products of the per-step bounds over a horizon."""
    s = cell.states[0]
    if len(cell.states) == 1:
        bb = next(iter(blocks.values()))
        JT = Partial(At(s, Time.HORIZON), At(s, Time.START))
        items = [Chain(Norm(JT), (("<=", _product(U[STEP])),
                                  ("<=", bb.global_upper ** (HORIZON - START))))]
        if bb.carry is not None:
            items.append(Juxt((sp.Ge(SigmaMin(JT), _product(L[STEP]), evaluate=False),
                               BoundText.IF_EVERY, sp.Gt(L[STEP], 0, evaluate=False))))
        Jt = sp.IndexedBase("J")
        proof = Prose((BoundText.MULTI_PROOF,
                       sp.Eq(JT, _product(Jt[STEP]), evaluate=False),
                       BoundText.MULTI_PROOF_RULES, U[STEP], BoundText.MULTI_PROOF_UPPER,
                       L[STEP], BoundText.MULTI_PROOF_LOWER))
    else:
        S, N = sp.Symbol("s"), sp.IndexedBase("N")
        a, b = sp.symbols("a b")
        JT = Partial(At(S, Time.HORIZON), At(S, Time.START))
        items = [sp.Le(Norm(JT), _product(Norm(N[STEP])), evaluate=False),
                 Juxt((sp.Eq(N[STEP, a, b], U[STEP, a, b], evaluate=False),
                       BoundText.UPPER_OF_BLOCK)),
                 Juxt((S, BoundText.STACKS, *listed(cell.states)))]
        x, y = sp.IndexedBase("x"), sp.IndexedBase("y")
        proof = Prose((BoundText.MULTI_STATE_PROOF,
                       sp.Eq(y.label, MatVec(sp.Symbol("J"), x.label), evaluate=False),
                       BoundText.MULTI_STATE_TRIANGLE,
                       sp.Le(Norm(y[a]), sp.Add(*(U[a, k] * Norm(x[k])
                                            for k in range(1, len(cell.states) + 1))),
                             evaluate=False),
                       BoundText.MULTI_STATE_END))
    return Bound("multi-step bounds", BoundKind.MULTISTEP, (s.name, s.name),
                 Statements(tuple(items)), proof, None, cell)


def pmb_bound(cell, blocks):
    r"""Sufficient condition for vanishing: global per-step bound below 1 (single-state cells;
    ``None`` for several states or without a global bound).

    For a one-term block :math:`\operatorname{diag}(a) W` (Elman) this is Pascanu, Mikolov
    & Bengio (2013): :math:`\gamma \sigma_{\max}(W) < 1` with :math:`\gamma = \sup |a|`.
    """
    if len(cell.states) != 1:
        return None
    bb = next(iter(blocks.values()))
    G = bb.global_upper
    if G == sp.oo:
        # no global bound (exp, a division; the NoGlobalBound says why): no weight-norm
        # condition is derived either way, neither a sufficient one nor its absence
        return None
    s = cell.states[0]
    Jk = Norm(Partial(At(s, Time.AHEAD), At(s, Time.NOW)))
    if len(bb.terms) == 1 and len(bb.terms[0].term.matrices) == 1:
        tb = bb.terms[0]
        W = tb.term.matrices[0]
        gamma = sp.Mul(*tb.sups)
        coeff = sp.Mul(*(c for c in tb.term.coeffs if c != 1))
        statement = Implies(
            Statements((sp.Lt(GAMMA * SigmaMax(W), 1, evaluate=False),
                        sp.Eq(GAMMA, gamma, evaluate=False))),
            Chain(Jk, (("<=", Tends((GAMMA * Norm(W)) ** AHEAD, 0)),)))
        Jt = sp.IndexedBase("J")[STEP]
        proof = Prose((BoundText.PMB_PROOF, Juxt((Diag(coeff), W)), BoundText.PMB_WITH,
                       sp.Eq(Sup(sp.Abs(coeff, evaluate=False)), GAMMA, evaluate=False),
                       BoundText.PMB_END, Chain(Norm(Jt), (("<=", GAMMA * Norm(W)), ("<", 1))),
                       BoundText.PMB_DECAY))
        return VanishingBound("vanishing condition (Pascanu, Mikolov and Bengio 2013)",
                              BoundKind.VANISHING, bb.key, statement, proof,
                              gamma * Norm(W, 2), cell, gamma=gamma, matrix=W)
    floor = G.xreplace({n: 0 for n in G.atoms(Norm)})
    if floor >= 1:
        statement = Juxt((sp.Ge(G, floor, evaluate=False), BoundText.FOR_ALL_WEIGHTS))
        proof = Prose((BoundText.FLOOR_PROOF, floor, BoundText.FLOOR_END))
        return NoVanishing("no weight-norm vanishing condition",
                           BoundKind.NO_VANISHING_CONDITION, bb.key, statement, proof, G,
                           cell, floor=floor)
    statement = Implies(sp.Lt(G, 1, evaluate=False), Chain(Jk, (("<=", Tends(G ** AHEAD, 0)),)))
    return Bound("sufficient condition for vanishing", BoundKind.VANISHING, bb.key, statement,
                 Prose((BoundText.CONTRACTION_PROOF,)), G, cell)

r"""Saturation limits, multi-step products and the vanishing condition (private).

Saturation: if the gate ``g`` of ``cell.attributes['carrying']`` (``'z -> 1'``) is at
distance :math:`\varepsilon = \max_i |g_i - g^\ast|` from its carrying value
:math:`g^\ast`, substitute :math:`g = g^\ast \mp \varepsilon` in every coefficient. The
carry minus one and at least one coefficient of each other term vanish at
:math:`\varepsilon = 0` and are divisible by :math:`\varepsilon`, so

.. math::

    \|J - I\|_2 \le K \varepsilon, \qquad
    \varepsilon < e^{-m}, \quad m = \min_i \text{(pre-activation of } g_i
    \text{ towards carrying)},

because :math:`1 - \sigma(a) = \sigma(-a) < e^{-a}`. By Weyl, :math:`\sigma_{\min}(J) \ge 1 -
K\varepsilon`.
"""

from __future__ import annotations

import re

import sympy as sp

from ._bounds_range import NORM_2, Env, norm_symbol, sup_abs

__all__ = ["saturation_bound", "multistep_bound", "pmb_bound", "parse_carrying", "EPSILON"]

#: the distance of the carrying gate from its carrying value
EPSILON = sp.Symbol("varepsilon", nonnegative=True)


def parse_carrying(cell):
    """``(gate symbol, carrying value)`` from ``cell.attributes['carrying']``, or ``None``."""
    text = cell.attributes.get("carrying")
    if not text:
        return None
    m = re.fullmatch(r"\s*(\w+)\s*->\s*([01])\s*", text)
    if not m:
        return None
    try:
        gate = cell.symbol(m.group(1))
    except Exception:  # noqa: BLE001 - an attribute naming no symbol gives no limit
        return None
    return gate, int(m.group(2))


def _sub(expr, gate, value):
    return expr.xreplace({gate: (1 - EPSILON) if value == 1 else EPSILON})


def saturation_bound(cell, key, block, tbs, env: Env, p):
    """The limit ``J -> I`` at rate ``K * epsilon`` for ``block``, or ``None``."""
    from .bounds import Bound

    parsed = parse_carrying(cell)
    if parsed is None or block.carry is None:
        return None
    gate, value = parsed
    if gate not in block.carry.free_symbols:
        return None
    e_env = Env({**env.ranges, EPSILON: (sp.S.Zero, sp.S.One)}, env.why)
    e_env.ranges.pop(gate, None)
    carry_gap = _sub(block.carry - 1, gate, value)
    if sp.expand(carry_gap.subs(EPSILON, 0)) != 0:
        return None
    K = sup_abs(sp.factor(carry_gap / EPSILON), e_env)
    pieces = [p.doprint(K)]
    for tb in tbs:
        if tb.term.is_diagonal:
            continue
        subbed = [_sub(a, gate, value) for a in tb.term.coeffs]
        k = next((i for i, a in enumerate(subbed) if sp.expand(a.subs(EPSILON, 0)) == 0), None)
        if k is None:
            return None
        factor = sp.S.One
        for i, a in enumerate(subbed):
            a = sp.factor(a / EPSILON) if i == k else a
            factor = factor * sup_abs(a, e_env)
        for W in tb.term.matrices:
            factor = factor * norm_symbol(W, NORM_2)
        K = K + factor
        pieces.append(p.doprint(factor))
    K = sp.simplify(K)
    g = p.doprint(gate)
    eps = r"\varepsilon"
    near = r"1 - %s" % g if value == 1 else g
    lhs = r"\left\|\frac{\partial %s}{\partial %s} - I\right\|_2" % (
        p.doprint(block.output), p.doprint(block.wrt))
    dist = r"\max_i (1 - %s)_i" % g if value == 1 else r"\max_i (%s)_i" % g
    statement = (r"%s \le %s\, %s,\quad %s = %s \to 0 \implies "
                 r"\frac{\partial %s}{\partial %s} \to I"
                 % (lhs, "(%s)" % p.doprint(K), eps, eps, dist,
                    p.doprint(block.output), p.doprint(block.wrt)))
    proof = (r"Substitute $%s = %s$ ($%s \in [0, 1]$). The carry gap $%s - 1$ and one "
             r"coefficient of every other term vanish at $%s = 0$ and are divisible by $%s$; "
             r"bounding the quotients by the lemmas gives the per-term constants $%s$. If "
             r"$%s = \sigma(a)$ then $%s < e^{%s a}$, so the limit is reached at an "
             r"exponential rate in the gate's pre-activation, and $\sigma_{\min} \ge 1 - K %s$ "
             r"by Weyl's inequality."
             % (g, ("1 - " + eps) if value == 1 else eps, eps, p.doprint(block.carry), eps, eps,
                ",\\ ".join(pieces), g, near, "-" if value == 1 else "", eps))
    return Bound(f"saturation limit of d{key[0]}/d{key[1]} ({gate.name} towards {value})",
                 "saturation", key, statement, proof, K,
                 {"gate": gate, "value": value, "epsilon": EPSILON, "K": K})


def multistep_bound(cell, blocks, p):
    """Products of the per-step bounds over a horizon."""
    from .bounds import Bound

    single = len(cell.states) == 1
    s = cell.states[0]
    if single:
        bb = next(iter(blocks.values()))
        hs = p.doprint(cell.next_states[s]).replace("{t}", "{T}")
        h0 = p.doprint(s).replace("{t-1}", "{t_0}")
        statement = (r"\left\|\frac{\partial %s}{\partial %s}\right\|_2 \le \prod_{t=t_0+1}^{T} "
                     r"U_t \le \left(%s\right)^{T - t_0}" % (hs, h0, p.doprint(bb.global_upper)))
        if bb.carry is not None:
            statement += (r",\qquad \sigma_{\min}\left(\frac{\partial %s}{\partial %s}\right) "
                          r"\ge \prod_{t} L_t \text{ if every } L_t > 0" % (hs, h0))
        proof = (r"The chain rule makes the multi-step Jacobian the product $J_T \cdots "
                 r"J_{t_0+1}$; $\|AB\|_2 \le \|A\|_2 \|B\|_2$ and $\sigma_{\min}(AB) \ge "
                 r"\sigma_{\min}(A) \sigma_{\min}(B)$ apply factor by factor, with $U_t$ "
                 r"($L_t$) the state-dependent upper (Weyl lower) bound at step $t$.")
    else:
        names = ", ".join(x.name for x in cell.states)
        statement = (r"\left\|\frac{\partial s_T}{\partial s_{t_0}}\right\|_2 \le \prod_t "
                     r"\|N_t\|_2,\quad (N_t)_{ab} = U^{(ab)}_t \text{ the upper bound of block } "
                     r"(a, b),\ s = (%s)" % names)
        proof = (r"For $x = (x_1, x_2)$, $\|\sum_b J_{ab} x_b\| \le \sum_b U^{(ab)} \|x_b\|$, so "
                 r"$\|J x\|_2 \le \|N (\|x_1\|, \|x_2\|)\|_2 \le \|N\|_2 \|x\|_2$; then "
                 r"submultiplicativity over the chain-rule product.")
    return Bound("multi-step bounds", "multistep", (s.name, s.name), statement, proof)


def pmb_bound(cell, blocks, p):
    r"""Sufficient condition for vanishing: global per-step bound below 1 (single-state cells).

    For a one-term block :math:`\operatorname{diag}(a) W` (Elman) this is Pascanu, Mikolov
    & Bengio (2013): :math:`\sigma_{\max}(W) < 1/\gamma` with :math:`\gamma = \sup |a|`.
    """
    from .bounds import Bound

    if len(cell.states) != 1:
        return None
    bb = next(iter(blocks.values()))
    G = bb.global_upper
    s = cell.states[0]
    hs = p.doprint(cell.next_states[s]).replace("{t}", "{t+k}")
    h0 = p.doprint(s).replace("{t-1}", "{t}")
    if len(bb.terms) == 1 and len(bb.terms[0].term.matrices) == 1:
        tb = bb.terms[0]
        W = tb.term.matrices[0]
        gamma = sp.Mul(*tb.sups)
        statement = (r"\sigma_{\max}(%s) < \frac{1}{\gamma},\ \gamma = %s \implies "
                     r"\left\|\frac{\partial %s}{\partial %s}\right\|_2 \le "
                     r"(\gamma \|%s\|_2)^{k} \to 0"
                     % (p.doprint(W), p.doprint(gamma), hs, h0, p.doprint(W)))
        proof = (r"Pascanu, Mikolov \& Bengio (2013): each factor is $\operatorname{diag}(a) %s$ "
                 r"with $\sup|a| = \gamma$ (the activation lemma), so $\|J_t\|_2 \le \gamma "
                 r"\|%s\|_2 < 1$ and the product of $k$ factors decays geometrically."
                 % (p.doprint(W), p.doprint(W)))
        return Bound("vanishing condition (Pascanu, Mikolov and Bengio 2013)", "vanishing",
                     bb.key, statement, proof, gamma * norm_symbol(W, NORM_2),
                     {"gamma": gamma, "matrix": W})
    floor = G.subs({s: 0 for s in G.free_symbols})
    if floor >= 1:
        statement = (r"%s \ge %s \text{ for all weights: no weight-norm condition makes the "
                     r"per-step bound contract}" % (p.doprint(G), p.doprint(floor)))
        proof = (r"Setting every norm to $0$ leaves the carry's supremum $%s$: the diagonal "
                 r"carry path alone can have norm %s, whatever the weights, so unlike the "
                 r"Elman cell no bound on the weights forces vanishing." % (
                     p.doprint(floor), p.doprint(floor)))
        return Bound("no weight-norm vanishing condition", "no vanishing condition", bb.key,
                     statement, proof, G, {"floor": floor})
    statement = (r"%s < 1 \implies \left\|\frac{\partial %s}{\partial %s}\right\|_2 \le "
                 r"\left(%s\right)^{k} \to 0" % (p.doprint(G), hs, h0, p.doprint(G)))
    proof = r"The global per-step bound is a contraction factor; multiply $k$ of them."
    return Bound("sufficient condition for vanishing", "vanishing", bb.key, statement, proof, G)

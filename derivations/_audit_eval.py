r"""Small explicit evaluations for the seed audit (private): Jacobians at numbers, updates
and Jacobian terms at a gate's limit.

A :class:`Sample` is a point of a cell's parameter space, drawn once with a seeded
generator (PyTorch's default scale :math:`U(-1/\sqrt{n}, 1/\sqrt{n})` for weights and
biases, :math:`x \sim N(0, 1)`, states in :math:`[-1, 1]`), with some biases *set* to
given values to push a gate to saturation (``biases={"b_iz": 8}`` makes :math:`b_{iz} = 8`
exactly). Its values are keyed by the cell's code names, so one sample serves every cell
with those names (the three GRU conventions) and a test can rebuild the same point for an
independent reference. The derived closed form of a block is assembled on an explicit
instance (:func:`derivations.proof.instantiate`) and evaluated there; everything stays
inside ``derivations`` (SymPy and NumPy). Symbolically, :func:`gate_limit` substitutes a
gate's limit into a GRU convention's update and names the :class:`Outcome` (the old state,
the candidate, or a mixture), and :func:`terms_at` reads the Jacobian's terms there.

>>> import derivations as dv
>>> gru = dv.cell("gru", "seed")
>>> s = draw(gru, biases={"b_iz": -30})
>>> s.values["b_iz"].tolist(), s.values["W_hz"].shape
([-30.0, -30.0], (2, 2))
>>> J, vals = evaluate_block(gru, ("h", "h"), s, gates=("z",))
>>> J.shape, bool(abs(J - np.eye(2)).max() < 1e-9)     # z ~ 0 carries under seed: J ~ I
((2, 2), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ._audit_facts import GateLimit, Outcome
from .cells import cell
from .derivation import derive
from .facts import Role
from .functions import sigmoid
from .proof import closed_form_matrix, instantiate
from .statements import Diag, Juxt, relation

__all__ = ["Sample", "draw", "evaluate_block", "spectral_norm", "sigma_min", "outcome",
           "gate_limit", "carries_at", "terms_at", "term_node"]


@dataclass(frozen=True, eq=False)
class Sample:
    """Values of a cell's weights, biases, inputs and states at one point, by code name
    (vectors ``(n,)``, weights ``(rows, cols)``), drawn with ``seed``."""

    values: dict
    n: int
    seed: int


def draw(cell, *, n: int = 2, seed: int = 0, biases=None) -> Sample:
    """A :class:`Sample` of ``cell`` at size ``n``; ``biases`` sets named biases to values."""
    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(n)
    inst = instantiate(cell, n, n)
    fixed = dict(biases or {})
    values = {}
    for W in cell.weights:
        values[W.name] = rng.uniform(-k, k, size=inst.values[W].shape)
    for b in cell.biases:
        values[b.name] = rng.uniform(-k, k, size=len(inst.values[b]))
        if b.name in fixed:
            values[b.name] = np.full(len(inst.values[b]), float(fixed[b.name]))
    for x in cell.inputs:
        values[x.name] = rng.normal(size=len(inst.values[x]))
    for s in cell.states:
        values[s.name] = rng.uniform(-1, 1, size=len(inst.values[s]))
    return Sample(values, n, seed)


def _substitution(inst, cell, sample: Sample) -> dict:
    sub = {}
    for s in (*cell.weights, *cell.biases, *cell.inputs, *cell.states):
        entries = np.asarray(sample.values[s.name], dtype=float).reshape(inst.values[s].shape)
        for e, v in zip(inst.values[s], entries.ravel(), strict=True):
            sub[e] = sp.Float(float(v), 30)
    return sub


def _to_float(M, sub):
    M = M.xreplace(sub).replace(sigmoid, lambda a: 1 / (1 + sp.exp(-a)))
    return np.array(M.evalf(30), dtype=float)


def evaluate_block(cell, key, sample: Sample, *, gates=()):
    """The block ``key`` of ``cell`` at ``sample``: ``(J (n, n) ndarray, {gate: (n,) values})``.

    ``gates`` names quantities whose values to return as well.
    """
    inst = instantiate(cell, sample.n, sample.n)
    sub = _substitution(inst, cell, sample)
    block = derive(cell).jacobian.blocks[key]
    J = _to_float(closed_form_matrix(block.terms, inst,
                                     inst.values[cell.symbol(key[0])].rows), sub)
    vals = {g: _to_float(inst.values[cell.symbol(g)], sub).ravel() for g in gates}
    return J, vals


def spectral_norm(J) -> float:
    """Largest singular value."""
    return float(np.linalg.svd(J, compute_uv=False)[0])


def sigma_min(J) -> float:
    """Smallest singular value."""
    return float(np.linalg.svd(J, compute_uv=False)[-1])


# -- symbolic evaluations: a gate at its limit, the terms there ----------------------------
def outcome(c, expr) -> Outcome:
    """What an update with a gate fixed gives: the old state, the candidate, or both."""
    h = c.states[0]
    cand = next(q.symbol for q in c.quantities if q.role == Role.CANDIDATE)
    if sp.simplify(expr - h) == 0:
        return Outcome.OLD_STATE
    if sp.simplify(expr - cand) == 0:
        return Outcome.CANDIDATE
    return Outcome.MIXTURE


def gate_limit(conv, value) -> GateLimit:
    """The GRU update of convention ``conv`` with its update gate fixed at ``value``."""
    c = cell("gru", conv)
    h_next = c.next_states[c.symbol("h")]
    update = c.definitions[h_next]
    at = update.subs(c.symbol("z"), value)
    return GateLimit(conv, relation("=", h_next, update), at, outcome(c, at))


def carries_at(conv) -> int:
    """The update-gate value at which convention ``conv`` keeps the old state."""
    return next(v for v in (0, 1) if gate_limit(conv, v).outcome is Outcome.OLD_STATE)


def terms_at(c, sym, value) -> tuple:
    """``(term, coefficients at sym = value)`` of the main block's terms."""
    s = c.symbol(sym)
    return tuple((t, tuple(sp.simplify(a.subs(s, value)) for a in t.coeffs))
                 for t in derive(c).jacobian.main.terms)


def term_node(coeffs, matrices):
    """A term :math:`\\operatorname{diag}(a_0) W_1 \\operatorname{diag}(a_1) \\cdots` as
    parts side by side (a single diagonal factor: :math:`\\operatorname{diag}(a_0)`)."""
    parts = [Diag(coeffs[0])]
    for W, a in zip(matrices, coeffs[1:], strict=True):
        parts.append(W)
        if a != 1:
            parts.append(Diag(a))
    return parts[0] if len(parts) == 1 else Juxt(tuple(parts))

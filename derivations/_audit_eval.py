r"""Small explicit evaluations for the seed audit (private): Jacobians at numbers.

A cell is instantiated at hidden and input size ``n`` with explicit SymPy entries
(:func:`derivations.proof.instantiate`); the derived closed form of a block is assembled on
that instance and evaluated at seeded random numbers (PyTorch's default scale
:math:`U(-1/\sqrt{n}, 1/\sqrt{n})`, :math:`h \in [-1, 1]`), with optional bias shifts
that push a gate to saturation. Everything stays inside ``derivations`` (SymPy and NumPy).

>>> import derivations as dv
>>> J, vals = evaluate_block(dv.cell("gru", "seed"), ("h", "h"), shifts={"b_iz": -30.0})
>>> J.shape, bool(abs(J - np.eye(2)).max() < 1e-9)     # z ~ 0 carries under seed: J ~ I
((2, 2), True)
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .functions import sigmoid
from .proof import closed_form_matrix, instantiate

__all__ = ["evaluate_block", "spectral_norm", "sigma_min"]


def _numbers(inst, cell, n, seed, shifts):
    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(n)
    sub = {}
    for W in cell.weights:
        for e in inst.values[W]:
            sub[e] = sp.Float(rng.uniform(-k, k))
    for b in cell.biases:
        for e in inst.values[b]:
            sub[e] = sp.Float(rng.uniform(-k, k) + shifts.get(b.name, 0.0))
    for x in cell.inputs:
        for e in inst.values[x]:
            sub[e] = sp.Float(rng.normal())
    for s in cell.states:
        for e in inst.values[s]:
            sub[e] = sp.Float(rng.uniform(-1, 1))
    return sub


def _to_float(M, sub):
    M = M.xreplace(sub).replace(sigmoid, lambda a: 1 / (1 + sp.exp(-a)))
    return np.array(M.evalf(30), dtype=float)


def evaluate_block(cell, key, *, n: int = 2, seed: int = 0, shifts=None, gates=()):
    """The block ``key`` of ``cell`` at numbers: ``(J (n, n) ndarray, {gate: (n,) values})``.

    ``shifts`` adds constants to named biases (e.g. ``{"b_iz": 8.0}``); ``gates`` names
    quantities whose values to return as well.
    """
    from .derivation import derive

    d = derive(cell)
    inst = instantiate(cell, n, n)
    sub = _numbers(inst, cell, n, seed, dict(shifts or {}))
    block = d.jacobian.blocks[key]
    J = _to_float(closed_form_matrix(block.terms, inst), sub)
    vals = {g: _to_float(inst.values[cell.symbol(g)], sub).ravel() for g in gates}
    return J, vals


def spectral_norm(J) -> float:
    """Largest singular value."""
    return float(np.linalg.svd(J, compute_uv=False)[0])


def sigma_min(J) -> float:
    """Smallest singular value."""
    return float(np.linalg.svd(J, compute_uv=False)[-1])

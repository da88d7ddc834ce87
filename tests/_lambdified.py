"""Lambdified explicit SymPy instances: the symbolic side of symbolic-vs-numeric tests."""

from functools import cache

import numpy as np
import sympy as sp

import derivations as dv
from derivations.proof import closed_form_matrix, instantiate


def sig(u):
    return 1.0 / (1.0 + np.exp(-u))


def _order(cell):
    return (*cell.inputs, *cell.states, *cell.biases, *cell.weights)


def lambdify_instance(inst, exprs):
    """``f(values) -> ndarray``: ``exprs`` of ``inst`` as a NumPy function of named arrays."""
    syms = [e for s in _order(inst.cell) for e in inst.values[s]]
    f = sp.lambdify(syms, exprs, modules=[{"sigmoid": sig}, "numpy"])

    def call(values):
        flat = [a for s in _order(inst.cell)
                for a in np.asarray(values[s.name], dtype=float).ravel()]
        return np.asarray(f(*flat), dtype=float)

    return call


@cache
def closed_form_function(cell, n, m):
    """The derived full state Jacobian (all blocks, ordered as the states) of ``cell`` at
    hidden size ``n`` and input size ``m``, lambdified from the SymPy closed form."""
    d = dv.derive(cell)
    inst = instantiate(d.cell, n, m)
    rows = []
    for s_out in d.cell.states:
        blocks = []
        for s_in in d.cell.states:
            terms = d.jacobian.block(s_out.name, s_in.name).terms
            rows_, cols_ = inst.values[s_out].rows, inst.values[s_in].rows
            blocks.append(closed_form_matrix(terms, inst, rows_) if terms
                          else sp.zeros(rows_, cols_))
        rows.append(sp.Matrix.hstack(*blocks))
    return lambdify_instance(inst, sp.Matrix.vstack(*rows))

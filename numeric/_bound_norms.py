"""Norms in bound statements evaluated from a cell's weights and forward pass (private).

A bound's right-hand side is a SymPy expression in :class:`~derivations.statements.Norm`
atoms (``Norm(W, 2)``, ``Norm(b, oo)``, ``Norm(c, oo)``). It is compiled once per cell
(:func:`bound_functions`, cached in ``Cell.memo``) and evaluated per sample by a
:class:`BoundContext`: weight and bias norms from the arrays, the max-abs of a state, the
input or a quantity of the cell from the samples (the forward pass when needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

import derivations as dv
from derivations.facts import BoundKind
from derivations.language import per_cell
from derivations.statements import Norm, norm_atoms

from ._errors import NumericError
from ._validate import check_params
from .step import prepare

__all__ = ["weight_norms", "bound_functions", "BoundContext"]


def weight_norms(params) -> dict:
    r"""The norms of the weights and biases, keyed by their
    :class:`~derivations.statements.Norm` atoms: ``Norm(W, 2)`` (spectral), ``Norm(W, oo)``
    (max row sum) for every weight, ``Norm(b, oo)`` (max entry) for every bias, and the
    absolute value of every scalar.

    A bound's right-hand side ``expr`` in these atoms evaluates with
    ``expr.xreplace(weight_norms(params))``.

    Raises
    ------
    NumericError
        If ``params`` is not a :class:`numeric.Params`.
    """
    check_params(params)
    out = {}
    for W in params.cell.weights:
        a = params.arrays[W.name]
        out[Norm(W, 2)] = float(np.linalg.norm(a, 2))
        out[Norm(W, sp.oo)] = float(np.abs(a).sum(axis=1).max())
    for b in params.cell.biases:
        out[Norm(b, sp.oo)] = float(np.abs(params.arrays[b.name]).max())
    for s in params.cell.scalars:  # a scalar's norm is its absolute value (coRNN's dt)
        out[Norm(s, sp.oo)] = out[Norm(s, 2)] = abs(float(params.arrays[s.name]))
    return out


@dataclass(frozen=True)
class _NormFunction:
    """A bound's right-hand side compiled once per cell: ``fn(*values of atoms)``."""

    atoms: tuple  # of Norm
    fn: object

    @classmethod
    def of(cls, expr) -> _NormFunction:
        atoms = tuple(sorted(norm_atoms(expr), key=sp.default_sort_key))
        args = [sp.Dummy() for _ in atoms]
        body = sp.sympify(expr).xreplace(dict(zip(atoms, args, strict=True)))
        return cls(atoms, sp.lambdify(args, body, modules="numpy"))


@dataclass(frozen=True)
class _BlockFunctions:
    global_upper: _NormFunction
    saturation: object  # the SaturationBound, or None
    K: _NormFunction | None


@per_cell
def bound_functions(cell) -> dict:
    """Block key -> the compiled global bound and saturation constant (once per cell)."""
    out = {}
    for key, bb in dv.derive(cell).bounds.blocks.items():
        sat = bb.get(BoundKind.SATURATION)
        out[key] = _BlockFunctions(_NormFunction.of(bb.global_upper), sat,
                                   None if sat is None else _NormFunction.of(sat.K))
    return out


class BoundContext:
    """What one check evaluates norms from: the weights' norms (computed once per call),
    the states and input per sample, and the forward pass when a quantity's norm is read."""

    def __init__(self, params, x, states, norms=None):
        self.params, self.x, self.states = params, x, states
        if norms is not None:
            self.__dict__["norms"] = norms
        self._env = None

    @cached_property
    def norms(self) -> dict:
        """:func:`weight_norms`, computed when first read (after the memory checks)."""
        return weight_norms(self.params)

    def forward(self) -> dict:
        if self._env is None:
            states = self.states[0] if len(self.states) == 1 else tuple(self.states)
            prog, xT, sT, _ = prepare(self.params, self.x, states)
            self._env = prog.forward(self.params, xT, sT)
        return self._env

    def value(self, atom: Norm):
        """The value of a Norm atom: a weight's or bias's norm, or per sample (B,) the
        max-abs of a state, the input, or a quantity of the cell."""
        if atom in self.norms:
            return self.norms[atom]
        cell, target = self.params.cell, atom.arg
        if atom.p == sp.oo:
            if target in cell.states:
                return np.abs(self.states[cell.states.index(target)]).max(axis=1, initial=0.0)
            if target == cell.inputs[0]:
                return np.abs(self.x).max(axis=1, initial=0.0)
            if target in cell.definitions:
                a = self.forward()[target.name].T
                return np.abs(a).max(axis=1, initial=0.0)
        raise NumericError(f"cannot evaluate the norm {atom} of {cell.title!r}")

    def evaluate(self, f: _NormFunction) -> np.ndarray:
        """A compiled right-hand side, per sample (B,)."""
        B = self.states[0].shape[0]
        vals = [self.value(a) for a in f.atoms]
        return np.broadcast_to(np.asarray(f.fn(*vals), dtype=float), (B,)).copy()

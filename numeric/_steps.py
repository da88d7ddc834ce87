"""The steps a generated kernel runs (private): elementwise assignments, stacked matrix
products and accurate sigmoid pairs, and the pruning of the steps no output needs."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derivations.functions import sigmoid

from ._activations import SigmoidC

__all__ = ["Let", "MatMul", "SigmoidPair", "prune"]


@dataclass(frozen=True)
class Let:
    """``name = expr`` (elementwise)."""

    name: str
    expr: sp.Expr


@dataclass(frozen=True)
class MatMul:
    """``outputs = weight @ operand``: one GEMM with a row-stacked weight argument.

    ``outputs`` are ``(name, dim)`` pairs in stack order; ``weight`` names the stacked
    matrices (a tuple, the caller's key for the stack); ``operand`` has dimension ``dim_in``.
    """

    outputs: tuple
    weight: tuple
    operand: sp.Expr
    dim_in: str


@dataclass(frozen=True)
class SigmoidPair:
    r"""``q = sigma(u)`` and ``c = 1 - sigma(u)``, both relatively accurate, from one ``exp``."""

    q: str
    c: str
    arg: str



def prune(steps, outputs, inputs):
    """The steps the outputs depend on, in order."""
    need = set(outputs)
    keep = []
    for s in reversed(steps):
        if isinstance(s, Let):
            names = {s.name}
        elif isinstance(s, SigmoidPair):
            names = {s.q, s.c}
        else:
            names = {n for n, _ in s.outputs}
        used = names & need
        if not used:
            continue
        if isinstance(s, SigmoidPair) and len(used) == 1:
            # one half only: a plain (accurate) sigmoid or complement
            fn = sigmoid if s.q in used else SigmoidC
            s = Let(s.q if s.q in used else s.c, fn(sp.Symbol(s.arg)))
        keep.append(s)
        expr = s.expr if isinstance(s, Let) else (sp.Symbol(s.arg) if isinstance(
            s, SigmoidPair) else s.operand)
        need |= {x.name for x in sp.sympify(expr).free_symbols}
    return list(reversed(keep))

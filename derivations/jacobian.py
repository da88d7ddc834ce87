r"""Structured Jacobians: sums of terms :math:`\operatorname{diag}(a_0) W_1 \operatorname{diag}(a_1) W_2 \cdots`.

The chain rule (:mod:`derivations.chain`) produces a tree of :class:`Branch` nodes, the
grouped form a person would write, e.g. for the PyTorch GRU

.. math::

    \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(z_t)
    + \operatorname{diag}(\ldots) W_{hz}
    + \operatorname{diag}((1 - z_t) \odot (1 - n_t^2))
      \left[\operatorname{diag}(r_t) W_{hn} + \operatorname{diag}(\ldots) W_{hr}\right].

Distributing the tree gives the flat list of :class:`Term` objects, each labelled with
the path (carry, update gate, candidate, reset gate, ...) it belongs to. Numeric
evaluation and bounds use the flat terms; printers use the tree.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .facts import PathLabel

__all__ = ["Term", "Branch", "Block", "Jacobian"]


@dataclass(frozen=True)
class Term:
    r"""One term :math:`\operatorname{diag}(a_0) W_1 \operatorname{diag}(a_1) \cdots W_k \operatorname{diag}(a_k)`.

    ``coeffs`` holds :math:`a_0, \ldots, a_k` (``len(matrices) + 1`` elementwise
    SymPy expressions, 1 for an identity factor); ``path`` the named quantities the
    chain rule went through; ``label`` the path's name, a
    :class:`~derivations.facts.PathLabel` (the role of the innermost quantity, or
    ``"carry"`` for the direct path).
    """

    coeffs: tuple
    matrices: tuple
    path: tuple
    label: PathLabel

    @property
    def is_diagonal(self) -> bool:
        """True for a term with no matrix factor, e.g. the GRU carry ``diag(z)``."""
        return not self.matrices

    @property
    def is_identity(self) -> bool:
        """True for the identity term :math:`I` (no matrix, coefficient 1)."""
        return not self.matrices and self.coeffs == (sp.S.One,)


@dataclass(frozen=True)
class Branch:
    r"""A node of the grouped Jacobian: :math:`\operatorname{diag}(a)\, W \,[\sum \text{children}]`.

    ``matrix`` is ``None`` for a pure diagonal factor; a branch with no children ends
    the product (identity). ``label`` is the path's
    :class:`~derivations.facts.PathLabel`.
    """

    coeff: sp.Expr
    matrix: sp.Symbol | None
    children: tuple
    path: tuple
    label: PathLabel

    @property
    def is_identity(self) -> bool:
        """True for the identity factor :math:`I`: coefficient 1, no matrix, no children.

        Printers leave it out of a product (``diag(a) W I`` is ``diag(a) W``) and print
        ``I`` where it stands alone; a weight the user named ``I`` is not an identity.
        """
        return self.coeff == 1 and self.matrix is None and not self.children

    def terms(self) -> list:
        """Distribute this branch into flat :class:`Term` objects."""
        if not self.children:
            if self.matrix is None:
                return [Term((self.coeff,), (), self.path, self.label)]
            return [Term((self.coeff, sp.S.One), (self.matrix,), self.path, self.label)]
        out = []
        for child in self.children:
            for t in child.terms():
                if self.matrix is None:
                    coeffs = (self.coeff * t.coeffs[0], *t.coeffs[1:])
                    out.append(Term(coeffs, t.matrices, t.path, t.label))
                else:
                    out.append(Term((self.coeff, *t.coeffs), (self.matrix, *t.matrices),
                                    t.path, t.label))
        return out


@dataclass(frozen=True)
class Block:
    r"""The Jacobian block :math:`\partial s_t / \partial u_{t-1}` of one next state.

    ``output`` is the next-state symbol (``h_next``), ``wrt`` the previous state
    (``h``); ``branches`` the grouped tree; ``terms`` the flat labelled terms.
    """

    output: sp.Symbol
    wrt: sp.Symbol
    branches: tuple

    @property
    def terms(self) -> list:
        return [t for b in self.branches for t in b.terms()]

    @property
    def is_zero(self) -> bool:
        return not self.branches

    @property
    def carry(self):
        """The diagonal (matrix-free) part's coefficient, or ``None`` if there is none.

        This is the carry path of a gated cell: ``z`` (PyTorch GRU), ``1 - z`` (seed
        GRU), ``f`` (LSTM ``dc'/dc``).
        """
        diag = [t.coeffs[0] for t in self.terms if t.is_diagonal]
        return sp.Add(*diag) if diag else None

    def labels(self) -> list:
        """The distinct path labels, in order."""
        seen = []
        for t in self.terms:
            if t.label not in seen:
                seen.append(t.label)
        return seen


@dataclass(frozen=True)
class Jacobian:
    r"""All blocks :math:`\partial s_t / \partial u_{t-1}` of a cell's state transition.

    For a single-state cell there is one block, ``jac.main``; for LSTM the four blocks
    ``jac.block('h', 'h')``, ``('h', 'c')``, ``('c', 'h')``, ``('c', 'c')`` form the
    full :math:`2H \times 2H` state Jacobian, ordered as the cell's states (the LSTMP's,
    whose :math:`h` has size :math:`P`, is :math:`(P + H) \times (P + H)`; a block
    :math:`\partial s / \partial u` has the sizes of :math:`s` and :math:`u`).
    """

    states: tuple
    blocks: dict  # (next-state name, previous-state name) -> Block

    def block(self, out: str, wrt: str) -> Block:
        key = (out.removesuffix("_next"), wrt)
        return self.blocks[key]

    @property
    def main(self) -> Block:
        """The block of the first state with respect to itself (``dh_t / dh_{t-1}``)."""
        s = self.states[0].name
        return self.blocks[(s, s)]

    @property
    def full(self) -> tuple:
        r"""The full state Jacobian as a block matrix: ``full[i][j]`` is
        :math:`\partial s^{(i)}_t / \partial s^{(j)}_{t-1}` for the states in order.

        For LSTM, :math:`\begin{pmatrix} \partial h_t/\partial h_{t-1} & \partial h_t/\partial c_{t-1}
        \\ \partial c_t/\partial h_{t-1} & \partial c_t/\partial c_{t-1}\end{pmatrix}`
        (:math:`2H \times 2H`), the matrix that carries gradients through time.
        """
        names = [s.name for s in self.states]
        return tuple(tuple(self.blocks[(a, b)] for b in names) for a in names)

    @property
    def terms(self) -> list:
        """The flat terms of :attr:`main`."""
        return self.main.terms

    @property
    def is_single_state(self) -> bool:
        return len(self.states) == 1

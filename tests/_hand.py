"""Notation for the hand-derived bounds of ``tests/test_bounds_symbolic.py`` and of each
family's ``tests/_hand_bounds_<family>.py``: ``n2("W")`` is :math:`\\|W\\|_2`, ``ninf("c")``
:math:`\\|c\\|_\\infty`, ``Q`` = 1/4 (the sigmoid's largest slope), ``NoGlobal({...})`` the
reasons a block has no global bound."""

import sympy as sp

from derivations.statements import Norm

__all__ = ["n2", "ninf", "Q", "NoGlobal", "EXP", "DIV_N"]


def n2(name):
    return Norm(sp.Symbol(name), 2)


def ninf(name):
    return Norm(sp.Symbol(name), sp.oo)


Q = sp.Rational(1, 4)


class NoGlobal(frozenset):
    """Expected: no global bound, for these reasons (``NoGlobalBound.reasons``)."""


EXP, DIV_N = "exp' is unbounded", "division by n_next"

"""Typed facts of a cell: the carrying gate, roles, path labels, identity terms.

Facts are values of :mod:`derivations.facts` types, set where the cell is written and read
as such downstream; each is checked against the cell's own equations (an independent
reference: which gate value makes the update the identity).
"""

from __future__ import annotations

import pickle

import pytest
import sympy as sp

import derivations as dv
from derivations.facts import Carrying

#: built-in cell -> (carrying gate name, the value it carries at), from the papers
CARRYING = {("gru", "pytorch"): ("z", 1), ("gru", "cho"): ("z", 1), ("gru", "seed"): ("z", 0),
            ("lstm", None): ("f", 1), ("minimalrnn", None): ("u", 1), ("mgu", None): ("f", 0),
            ("elman", None): None}


def _small_gated():
    cb = dv.CellBuilder("small")
    x, h = cb.input("x", dim="H"), cb.state("h")
    W, U = cb.weights("W U")
    g = cb.let("g", dv.sigmoid(W @ x + U @ h), role="gate")
    cb.update(h, g * h + (1 - g) * x)
    return cb, g, h


@pytest.mark.parametrize(("name", "conv"), list(CARRYING))
def test_builtin_carrying_is_the_typed_gate_and_value_of_the_papers(name, conv):
    c = dv.cell(name, conv)
    want = CARRYING[(name, conv)]
    if want is None:
        assert c.carrying is None
        return
    assert isinstance(c.carrying, Carrying)
    assert (c.carrying.gate, c.carrying.towards) == (c.symbol(want[0]), want[1])


@pytest.mark.parametrize(("name", "conv"), [k for k, v in CARRYING.items() if v])
def test_carrying_value_makes_the_next_state_the_previous_state(name, conv):
    """Independent check from the equations: with the gate at its carrying value (and every
    other gate open), the next state of the carrying block is the previous state."""
    c = dv.cell(name, conv)
    g, towards = c.carrying.gate, c.carrying.towards
    defs = c.definitions
    state = c.states[-1] if name == "lstm" else c.states[0]  # LSTM: the cell state c
    expr = defs[c.next_states[state]].xreplace({g: towards})
    others = {q.symbol: 0 for q in c.quantities if not q.is_update and q.symbol != g
              and q.symbol in expr.free_symbols}
    assert sp.simplify(expr.xreplace(others) - state) == 0


def test_carrying_distance_is_zero_at_the_carrying_value():
    for name, conv in [k for k, v in CARRYING.items() if v]:
        c = dv.cell(name, conv).carrying
        assert c.distance.xreplace({c.gate: c.towards}) == 0


def test_user_cell_declares_carrying_with_the_builder():
    cb, g, _ = _small_gated()
    cb.carrying(g, 1)
    cell = cb.build()
    assert cell.carrying == Carrying(g, 1)
    assert dv.derive(cell).bounds is not None


def test_carrying_round_trips_through_pickle():
    c = dv.cell("gru", "seed").carrying
    assert pickle.loads(pickle.dumps(c)) == c


@pytest.mark.parametrize(("gate", "towards", "pattern"), [
    (lambda g, h: "g", 1, r"carrying gate must be a quantity.*'g' \(str\)"),
    (lambda g, h: sp.Symbol("q"), 1, r"carrying gate must be a quantity.*'q'.*\['g'\]"),
    (lambda g, h: None, 1, r"carrying gate must be a quantity.*None"),
    (lambda g, h: h, 1, r"carrying gate must be a quantity.*'h'"),
    (lambda g, h: g, 2, r"carrying towards must be 0 or 1.*2"),
    (lambda g, h: g, True, r"carrying towards must be 0 or 1.*True"),
    (lambda g, h: g, 0.5, r"carrying towards must be 0 or 1.*0\.5"),
    (lambda g, h: g, "1", r"carrying towards must be 0 or 1.*'1'"),
])
def test_bad_carrying_is_refused_naming_the_argument(gate, towards, pattern):
    cb, g, h = _small_gated()
    with pytest.raises(dv.DerivationError, match=pattern):
        cb.carrying(gate(g, h), towards)
    assert cb.build().carrying is None


def test_carrying_declared_twice_is_refused():
    cb, g, _ = _small_gated()
    cb.carrying(g, 1)
    with pytest.raises(dv.DerivationError, match="carrying is declared twice"):
        cb.carrying(g, 0)

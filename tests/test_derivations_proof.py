"""Exact proofs: every derived closed form equals SymPy's brute-force ``Matrix.jacobian``."""

import pytest
import sympy as sp

import derivations as dv
from derivations.jacobian import Term
from derivations.proof import _atomize, closed_form_matrix, instantiate, prove
from tests._suite_cells import KEYS
from tests._user_cells import gated_indrnn


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize(("name", "convention"), KEYS)
def test_closed_form_equals_brute_force_jacobian(name, convention, n):
    result = prove(dv.cell(name, convention), n)
    assert result.ok, f"{result.cell} at n={n}"
    cell = dv.cell(name, convention)
    k = sum(result.sizes[d] for d in cell.state_dims)   # n per state of the hidden dimension
    assert k == len(cell.states) * n or any(d != cell.hidden_dim for d in cell.state_dims)
    assert result.shape == (k, k)


@pytest.mark.parametrize("m", [1, 3])
def test_proof_holds_with_input_size_different_from_hidden(m):
    assert prove(dv.cell("lstm"), 2, m).ok
    assert prove(dv.cell("gru", "cho"), 2, m).ok


def test_a_wrong_closed_form_is_refuted():
    # Drop the reset-gate path from the PyTorch GRU: the proof machinery must notice.
    d = dv.derive("gru", "pytorch")
    inst = instantiate(d.cell, 2)
    h, h_next = d.cell.symbol("h"), d.cell.symbol("h_next")
    brute = inst.values[h_next].jacobian(inst.values[h])
    partial = [t for t in d.jacobian.terms if t.label != "reset gate"]
    b, c = _atomize(brute, closed_form_matrix(partial, inst))
    assert not (b - c).applyfunc(sp.expand).is_zero_matrix
    # ...and perturbing one coefficient (z -> z^2 in the carry) is refuted too.
    carry = d.jacobian.terms[0]
    wrong = [Term((carry.coeffs[0] ** 2,), (), carry.path, carry.label), *d.jacobian.terms[1:]]
    b, c = _atomize(brute, closed_form_matrix(wrong, inst))
    assert not (b - c).applyfunc(sp.expand).is_zero_matrix


def test_user_defined_cell_gets_a_proven_jacobian():
    # An IndRNN-style cell with a gate, written only with the public language.
    cell = gated_indrnn()
    d = dv.derive(cell)
    assert [t.label for t in d.jacobian.terms] == ["carry", "recurrent", "gate"]
    for n in (1, 2, 3):
        assert prove(cell, n).ok


def test_lstm_full_state_jacobian_is_the_block_matrix_of_the_blocks():
    d = dv.derive("lstm")
    inst = instantiate(d.cell, 2)
    c = d.cell
    s_next = inst.values[c.next_states[c.states[0]]].col_join(inst.values[c.next_states[c.states[1]]])
    s_prev = inst.values[c.states[0]].col_join(inst.values[c.states[1]])
    brute = s_next.jacobian(s_prev)  # 2H x 2H over (h, c)
    full = sp.BlockMatrix([[closed_form_matrix(b.terms, inst) if b.terms else sp.zeros(2, 2)
                            for b in row] for row in d.jacobian.full]).as_explicit()
    b, f = _atomize(brute, full)
    assert (b - f).applyfunc(sp.expand).is_zero_matrix


def _bottleneck():
    """h' = tanh(V (k * k) + A x + b) with k = tanh(W h) of a dimension K of its own, and
    an input of dimension E: the Jacobian passes through K."""
    cb = dv.CellBuilder("bottleneck")
    x, h = cb.input("x", dim="E"), cb.state("h")
    W, V, A = cb.weight("W", rows="K"), cb.weight("V"), cb.weight("A")
    k = cb.let("k", dv.tanh(W @ h), role="bottleneck")
    cb.update(h, dv.tanh(V @ (k * k) + A @ x + cb.bias("b")))
    return cb.build()


@pytest.mark.parametrize("n", [1, 2, 3])
def test_every_dimension_of_a_user_cell_is_instantiated_and_proven(n):
    cell = _bottleneck()
    result = prove(cell, n)
    assert result.ok and result.shape == (n, n)
    K, E = result.sizes["K"], result.sizes["E"]
    assert result.sizes["H"] == n and E == n and K not in (n, E) and K <= 4
    inst = instantiate(cell, n)
    assert inst.values[cell.symbol("W")].shape == (K, n)
    assert inst.values[cell.symbol("V")].shape == (n, K)
    assert inst.values[cell.symbol("k")].shape == (K, 1)
    assert prove(cell, n, 1, sizes={"K": 1}).ok


def test_a_wrong_closed_form_through_another_dimension_is_refuted():
    d = dv.derive(_bottleneck())
    (term,) = d.jacobian.terms
    inst = instantiate(d.cell, 2, sizes={"K": 3})
    h, h_next = d.cell.symbol("h"), d.cell.symbol("h_next")
    brute = inst.values[h_next].jacobian(inst.values[h])
    b, c = _atomize(brute, closed_form_matrix([term], inst))
    assert (b - c).applyfunc(sp.expand).is_zero_matrix
    # the K-dimensional coefficient 2 k (1 - k^2) without its factor 2: refuted
    wrong = Term((term.coeffs[0], term.coeffs[1] / 2, term.coeffs[2]), term.matrices,
                 term.path, term.label)
    b, c = _atomize(brute, closed_form_matrix([wrong], inst))
    assert not (b - c).applyfunc(sp.expand).is_zero_matrix


def test_constant_coefficients_are_scaled_identities_of_the_right_size():
    # h' = 2 h + tanh(U h): the carry coefficient is the constant 2 (a 2 I block)
    cb = dv.CellBuilder("twice")
    h = cb.state("h")
    cb.input("x")
    cb.update(h, 2 * h + dv.tanh(cb.weight("U") @ h))
    cell = cb.build()
    for n in (1, 3):
        assert prove(cell, n).ok


def test_recursion_in_sympy_becomes_a_derivation_error(monkeypatch):
    """A proof too large for SymPy's recursion (seen: a squared product of two linear maps
    at n = 3) is one DerivationError naming the cell and the sizes, not a RecursionError."""
    import derivations.proof as proof

    def too_deep(*args):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(proof, "_block_proven", too_deep)
    with pytest.raises(dv.DerivationError, match=r"cell 'gru \(pytorch\)' at sizes .*'H': 2"):
        proof.prove(dv.cell("gru", "pytorch"), 2)

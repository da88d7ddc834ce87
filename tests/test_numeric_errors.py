"""Bad input raises NumericError naming the value and its shape, before any work."""

from __future__ import annotations

import numpy as np
import pytest

import numeric


@pytest.fixture(scope="module")
def gru():
    return numeric.init("gru", 4, 3, seed=0)


@pytest.fixture(scope="module")
def lstm():
    return numeric.init("lstm", 4, 3, seed=0)


@pytest.mark.parametrize("fn", [numeric.step, numeric.jacobian, numeric.paths,
                                numeric.term_coefficients, numeric.spectral_norms])
def test_bad_shapes_dtypes_and_values(gru, fn):
    x, h = np.zeros((2, 3)), np.zeros((2, 4))
    cases = [
        ((np.zeros((2, 5)), h), r"x has shape \(2, 5\); expected \(B, I=3\)"),
        ((x, np.zeros((2, 3))), r"state has shape \(2, 3\); expected \(B, H=4\)"),
        ((np.zeros((3, 3)), h), r"x has batch size 3 \(shape \(3, 3\)\)"),
        ((x, np.zeros(4)), r"state has shape \(4,\)"),
        ((np.zeros((2, 3), dtype=int), h), r"x has dtype int64 \(shape \(2, 3\)\)"),
        ((x, h.astype(complex)), r"state has complex dtype complex128 \(shape \(2, 4\)\)"),
        ((np.full((2, 3), np.nan), h), r"x \(shape \(2, 3\)\) has 6 non-finite"),
    ]
    for args, msg in cases:
        with pytest.raises(numeric.NumericError, match=msg):
            fn(gru, *args)


def test_lstm_state_must_be_a_pair(lstm):
    x, h = np.zeros((2, 3)), np.zeros((2, 4))
    with pytest.raises(numeric.NumericError, match=r"tuple of 2 arrays \('h', 'c'\).*\(2, 4\)"):
        numeric.step(lstm, x, h)
    with pytest.raises(numeric.NumericError, match=r"state 'c' has batch size 3"):
        numeric.jacobian(lstm, x, (h, np.zeros((3, 4))))
    with pytest.raises(numeric.NumericError, match="no block"):
        numeric.jacobian(lstm, x, (h, h), block=("h", "x"))
    with pytest.raises(numeric.NumericError, match="either full=True or block"):
        numeric.jacobian(lstm, x, (h, h), full=True, block=("c", "c"))


def test_sequences_and_tangents(gru):
    h = np.zeros((2, 4))
    with pytest.raises(numeric.NumericError, match=r"xs has shape \(2, 3\); expected \(T, B, I=3\)"):
        numeric.rollout(gru, np.zeros((2, 3)), h)
    with pytest.raises(numeric.NumericError, match=r"xs has batch size 5 \(shape \(7, 5, 3\)\)"):
        numeric.gradient_norms(gru, np.zeros((7, 5, 3)), h)
    with pytest.raises(numeric.NumericError, match=r"v has shape \(2, 5\)"):
        numeric.jvp(gru, np.zeros((2, 3)), h, np.zeros((2, 5)))
    with pytest.raises(numeric.NumericError, match=r"g has batch size 1"):
        numeric.vjp(gru, np.zeros((2, 3)), h, np.zeros((1, 4)))
    with pytest.raises(numeric.NumericError, match="expected numeric.Params"):
        numeric.step({"W": 1}, np.zeros((2, 3)), h)


def test_unknown_cells_conventions_and_parameters():
    with pytest.raises(numeric.NumericError, match="unknown cell 'gruu'"):
        numeric.init("gruu", 3, 2)
    with pytest.raises(numeric.NumericError, match="unknown convention 'keras'"):
        numeric.init("gru", 3, 2, convention="keras")
    with pytest.raises(numeric.NumericError, match="unknown scheme 'xavier'"):
        numeric.init("gru", 3, 2, scheme="xavier")
    p = numeric.init("elman", 3, 2)
    with pytest.raises(numeric.NumericError, match=r"'W_hh' has shape \(3, 4\)"):
        p.with_arrays(W_hh=np.zeros((3, 4)))
    with pytest.raises(numeric.NumericError, match=r"no parameters \['W_zz'\]"):
        p.with_arrays(W_zz=np.zeros((3, 3)))
    with pytest.raises(numeric.NumericError, match=r"parameter 'b_hh' \(shape \(3,\)\) has 1"):
        p.with_arrays(b_hh=np.array([0.0, np.inf, 0.0]))
    with pytest.raises(numeric.NumericError, match="float32 or float64"):
        p.astype(np.float16)


def test_shape_errors_name_the_cells_own_dimensions():
    import derivations as dv

    cb = dv.CellBuilder("named_dims", hidden="N")
    x, h = cb.input("x", dim="E"), cb.state("h")
    W, U = cb.weights("W U")
    cb.update(h, dv.tanh(W @ x + U @ h))
    p = numeric.init(cb.build(), 4, 3)
    with pytest.raises(numeric.NumericError, match=r"x has shape \(2, 5\); expected \(B, E=3\)"):
        numeric.step(p, np.zeros((2, 5)), np.zeros((2, 4)))
    with pytest.raises(numeric.NumericError, match=r"state has shape \(2, 5\); expected \(B, N=4\)"):
        numeric.jacobian(p, np.zeros((2, 3)), np.zeros((2, 5)))
    with pytest.raises(numeric.NumericError, match=r"expected \(T, B, E=3\)"):
        numeric.rollout(p, np.zeros((3, 2, 5)), np.zeros((2, 4)))


def test_an_error_keeps_the_option_it_names_as_data():
    import pickle

    e = numeric.NumericError("key '{odd}' of shape (3,): pass {fit}",
                             options={"fit": ("cell", "gru")})
    assert str(e) == "key '{odd}' of shape (3,): pass cell='gru'"       # other braces stay
    assert e.render(lambda o, v: f"--{o} {v}").endswith("pass --cell gru")
    back = pickle.loads(pickle.dumps(e))
    assert str(back) == str(e) and back.options == {"fit": ("cell", "gru")}
    torch = pytest.importorskip("torch")
    with pytest.raises(numeric.NumericError) as info:
        numeric.from_torch(torch.nn.GRU(3, 4).state_dict())
    assert info.value.options["fit"] == ("cell", "gru") and "pass cell='gru'" in str(info.value)

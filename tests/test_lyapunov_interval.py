"""numeric.lyapunov orthonormalizes every m steps; it must equal the per-step QR method.

The reference is the textbook algorithm written here from public pieces only: the dense
one-step Jacobian ``numeric.jacobian(full=True)`` (itself checked against autograd and
central differences elsewhere) and a Householder QR (``np.linalg.qr``) after *every* step,
:math:`\\lambda_i = \\frac1T \\sum_t \\log\\lvert (R_t)_{ii}\\rvert`, from the same initial
frame. In exact arithmetic the two are equal (QR of a product is the product of the R
factors); the interval is chosen so that each factorization keeps about 1e-12 relative
accuracy in float64, so they agree to 1e-8 (the issue's acceptance) with a wide margin.
"""

import numpy as np
import pytest

import numeric
from numeric import spectra


def _per_step(p, xs, s0, k, seed=0):
    B = xs.shape[1]
    D = p.state_size
    Q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(B, D, k)))
    acc = np.zeros((B, k))
    s = s0
    for t in range(xs.shape[0]):
        J = numeric.jacobian(p, xs[t], s, full=True)
        Q, R = np.linalg.qr(J @ Q)
        with np.errstate(divide="ignore"):
            acc += np.log(np.abs(np.diagonal(R, axis1=1, axis2=2)))
        s = numeric.step(p, xs[t], s)
    return -np.sort(-acc / xs.shape[0], axis=1)


def _scaled(p, scale):
    """``p`` with its recurrent weights (the ones with H columns; inputs are of size 4)
    times ``scale``."""
    return p.with_arrays(**{w.name: p.arrays[w.name] * scale for w in p.cell.weights
                            if p.arrays[w.name].shape[-1] == p.hidden_size})


def _zeros(p, B):
    z = tuple(np.zeros((B, n)) for n in p.state_sizes)
    return z if len(z) > 1 else z[0]


# (cell, recurrent weight scale, k, whether the interval exceeds one step)
CASES = [
    ("gru", 1.0, None, True),      # contracting, exponents spread over about 1 per step
    ("lstm", 1.0, None, False),    # the h-exponents lie 5 or more below the c-exponents
    ("elman", 3.0, None, False),   # saturated: spread over 4 units a step
    ("elman", 0.3, None, False),   # strongly contracting
    ("mgu", 1.0, 3, True),         # leading k of a larger frame
    ("indrnn:tanh", 1.0, 1, True),  # one column: only its growth bounds the interval
    ("lstmp", 1.0, 4, False),      # states of two sizes (h: P = 5, c: H)
]


@pytest.mark.parametrize(("cell", "scale", "k", "longer"), CASES,
                         ids=[f"{c}-{s}-k{k}" for c, s, k, _ in CASES])
@pytest.mark.parametrize("dense", [True, False], ids=["dense", "jvp"])
def test_interval_qr_equals_per_step_qr(cell, scale, k, longer, dense, monkeypatch):
    if not dense:
        monkeypatch.setattr(spectra, "DENSE_BYTES", 0)
    H, B, T = 12, 3, 150
    name, _, conv = cell.partition(":")
    p = _scaled(numeric.init(name, hidden_size=H, input_size=4, convention=conv or None,
                             seed=2, sizes={"P": 5} if name == "lstmp" else None), scale)
    xs = np.random.default_rng(5).normal(size=(T, B, 4))
    D = p.state_size
    want = _per_step(p, xs, _zeros(p, B), k or D)
    calls = []
    real = np.linalg.qr

    def counting(a, *args, **kw):
        calls.append(a.shape)
        return real(a, *args, **kw)

    monkeypatch.setattr(np.linalg, "qr", counting)
    got = numeric.lyapunov(p, xs, _zeros(p, B), k=k)
    monkeypatch.undo()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-8)
    factorizations = len(calls) - 1             # the first QR draws the initial frame
    if longer:
        assert factorizations < T / 3


def test_the_interval_follows_the_spread_of_the_exponents(monkeypatch):
    """A contracting GRU with exponents spread over about 1 per step is factored far less
    often than an Elman RNN with tiny recurrent weights (exponents near -4 and spread
    over several units): the interval follows the estimate, it is not a constant."""
    counts = {}
    real = np.linalg.qr
    for cell, scale in (("gru", 1.0), ("elman", 0.02)):
        p = _scaled(numeric.init(cell, hidden_size=16, input_size=4, seed=0), scale)
        calls = []
        monkeypatch.setattr(np.linalg, "qr", lambda a, *args, _c=calls, **kw:
                            (_c.append(1), real(a, *args, **kw))[1])
        numeric.lyapunov(p, np.random.default_rng(0).normal(size=(200, 2, 4)),
                         np.zeros((2, 16)))
        monkeypatch.undo()
        counts[cell] = len(calls)
    assert counts["gru"] < 40 < counts["elman"], counts


def test_a_jacobian_of_rank_zero_gives_minus_infinity_as_the_per_step_method():
    """A ReLU RNN whose units are all switched off at one step has J = 0 there: every
    exponent is -inf, as the per-step method says, not a rounding-sized finite number."""
    H = 5
    p = numeric.init("elman", hidden_size=H, input_size=H, convention="relu", seed=0)
    p = p.with_arrays(W_ih=np.eye(H))
    xs = np.random.default_rng(0).normal(size=(40, 2, H))
    xs[20] = -1e3                                  # every pre-activation negative at t = 20
    got = numeric.lyapunov(p, xs, np.zeros((2, H)))
    want = _per_step(p, xs, np.zeros((2, H)), H)
    assert np.all(np.isneginf(want)) and np.all(np.isneginf(got))


def test_float32_frames_agree_with_float64_to_float32_accuracy():
    p = numeric.init("gru", hidden_size=10, input_size=3, seed=1)
    xs = np.random.default_rng(2).normal(size=(100, 2, 3))
    want = _per_step(p, xs, np.zeros((2, 10)), 10)
    got = numeric.lyapunov(p.astype(np.float32), xs.astype(np.float32),
                           np.zeros((2, 10), np.float32))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)

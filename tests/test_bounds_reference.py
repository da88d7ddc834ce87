"""The independent references of the bound tests (:mod:`tests._reference`: hand-written NumPy
cells and their complex-step Jacobians) checked against central finite differences and closed
forms written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ._reference import KEYS, flat, rand_params, ref_jacobian, ref_step, unflat


# -- the references checked ---------------------------------------------------------------
@pytest.mark.parametrize(("name", "conv"), KEYS)
def test_complex_step_reference_matches_central_differences(name, conv):
    rng = np.random.default_rng(7)
    H, I, B = 5, 3, 2
    P = rand_params(name, conv, H, I, rng, scale=1.3)
    x = rng.normal(size=(B, I))
    state = rng.uniform(-1, 1, size=(B, H))
    if name == "lstm":
        state = (state, rng.normal(size=(B, H)))
    J = ref_jacobian(name, conv, P, x, state)
    s = flat(state)
    fd = np.empty_like(J)
    d = 1e-6
    for k in range(s.shape[1]):
        e = np.zeros_like(s)
        e[:, k] = d
        hi = flat(ref_step(name, conv, P, x, unflat(s + e, name == "lstm", H)))
        lo = flat(ref_step(name, conv, P, x, unflat(s - e, name == "lstm", H)))
        fd[:, :, k] = (hi - lo) / (2 * d)
    np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-8)


def test_elman_reference_jacobian_is_the_textbook_formula():
    rng = np.random.default_rng(3)
    P = rand_params("elman", None, 4, 2, rng)
    x, h = rng.normal(size=(3, 2)), rng.uniform(-1, 1, size=(3, 4))
    h2 = ref_step("elman", None, P, x, h)
    want = (1 - h2**2)[:, :, None] * P["W_hh"][None]
    np.testing.assert_allclose(ref_jacobian("elman", None, P, x, h), want, rtol=1e-12, atol=1e-14)

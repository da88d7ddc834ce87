"""The seed audit: every verdict re-derived by an independent computation.

The references are the hand-written cells and complex-step Jacobians of
:mod:`tests.test_bounds_reference`, the seed notes' own text, and NumPy; none of them use
the derivation the audit reads.
"""

import re
from pathlib import Path

import numpy as np
import pytest

import derivations as dv
from derivations.audit import Claim, audit, seed_lstm_as_written

from .test_bounds_reference import _mv, rand_params, ref_jacobian, ref_step, sig

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
CONVS = ("pytorch", "cho", "seed")


@pytest.fixture(scope="module")
def claims():
    return {c.id: c for c in audit()}


def _gru(conv, shifts, seed=0, H=5, I=3, B=4):
    rng = np.random.default_rng(seed)
    P = rand_params("gru", conv, H, I, rng)
    for k, v in shifts.items():
        P[k] = P[k] + v
    return P, rng.normal(size=(B, I)), rng.uniform(-1, 1, size=(B, H))


def _candidate(P, x, h):
    r = sig(_mv(P["W_ir"], x) + P["b_ir"] + _mv(P["W_hr"], h) + P["b_hr"])
    return np.tanh(_mv(P["W_in"], x) + P["b_in"] + _mv(P["W_hn"], r * h) + P["b_hn"])


def _expected(truth):
    if truth["seed"]:
        return "true"
    good = [c for c in CONVS if truth[c]]
    return "true only under convention " + ", ".join(good) if good else "false"


def test_every_claim_is_complete(claims):
    assert len(claims) >= 7
    for c in claims.values():
        assert isinstance(c, Claim)
        assert c.verdict in ("true", "false", "incomplete") or c.verdict.startswith(
            "true only under convention ")
        assert c.quote_vi and c.claim_en and c.evidence and c.explanation_en
        assert c.explanation_vi and c.explanation_vi != c.explanation_en
        assert c.evidence.count("{") == c.evidence.count("}")


def test_update_near_one_passes_the_old_state_only_under_pytorch_and_cho(claims):
    truth = {}
    for conv in CONVS:
        P, x, h = _gru(conv, {"b_iz": 40.0})           # z = 1 to rounding
        truth[conv] = bool(np.allclose(ref_step("gru", conv, P, x, h), h, atol=1e-12))
    assert truth == {"pytorch": True, "cho": True, "seed": False}
    assert claims["gru-update-near-1"].verdict == _expected(truth)


def test_update_near_zero_favours_the_new_state_only_under_pytorch_and_cho(claims):
    truth = {}
    for conv in CONVS:
        P, x, h = _gru(conv, {"b_iz": -40.0})          # z = 0 to rounding
        nxt = ref_step("gru", conv, P, x, h)
        truth[conv] = bool(np.allclose(nxt, _candidate(P, x, h), atol=1e-12)
                           if conv != "pytorch" else not np.allclose(nxt, h))
    assert truth == {"pytorch": True, "cho": True, "seed": False}
    assert claims["gru-update-near-0"].verdict == _expected(truth)


def test_gradient_at_z_near_zero_flows_through_the_carry_not_the_gate(claims):
    P, x, h = _gru("seed", {"b_iz": -40.0})
    J = ref_jacobian("gru", "seed", P, x, h)
    flows = np.allclose(J, np.eye(J.shape[1]), atol=1e-12)        # J = I: gradient flows
    no_gate = dict(P, W_hz=np.zeros_like(P["W_hz"]))             # cut the path through z
    through_gate = np.abs(J - ref_jacobian("gru", "seed", no_gate, x, h)).max()
    assert flows and through_gate < 1e-12
    # so "flows" is right but "through the gate z" is not: an incomplete claim
    assert claims["gru-gradient-z-near-0"].verdict == "incomplete"


def test_reset_near_zero_ignores_the_past_only_in_the_candidate(claims):
    P, x, h = _gru("seed", {"b_ir": -40.0})
    eta = 1e-30
    # complex step of the candidate alone, column by column
    dc = np.stack([_candidate(P, x.astype(complex), h + 1j * eta * np.eye(h.shape[1])[k]).imag
                   / eta for k in range(h.shape[1])], axis=2)
    J = ref_jacobian("gru", "seed", P, x, h)
    assert np.abs(dc).max() < 1e-12                           # the candidate ignores h
    assert np.linalg.norm(J, 2, axis=(1, 2)).min() > 0.05     # the new state does not
    assert claims["gru-reset-near-0"].verdict == "incomplete"


def test_forget_gate_near_one_makes_the_cell_path_an_identity(claims):
    rng = np.random.default_rng(1)
    P = rand_params("lstm", None, 4, 3, rng)
    P["b_if"] = P["b_if"] + 8.0
    x, h, c = rng.normal(size=(2, 3)), rng.uniform(-1, 1, (2, 4)), rng.normal(size=(2, 4))
    J = ref_jacobian("lstm", None, P, x, (h, c), wrt=1, out=1)
    f = sig(_mv(P["W_if"], x) + P["b_if"] + _mv(P["W_hf"], h) + P["b_hf"])
    gap = np.linalg.norm(J - np.eye(4), 2, axis=(1, 2))
    np.testing.assert_allclose(gap, (1 - f).max(axis=1), rtol=1e-9)
    assert gap.max() < 1e-2
    assert claims["lstm-forget-near-1"].verdict == "true"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed notes (../shared/seeds) are absent")
def test_the_seed_lstm_list_never_defines_the_cell_state_and_quotes_are_verbatim(claims):
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    lstm = text[text.index("Problem 2"):]
    assert r"\tanh(C_t)" in lstm                               # C_t is used ...
    assert not re.search(r"\bC_t\s*=", lstm)                     # ... never defined
    assert claims["lstm-missing-cell-update"].verdict == "incomplete"
    for c in audit(SEEDS):
        assert c.data["quoted"], c.id


def test_the_listed_lstm_equations_do_not_build_a_cell():
    with pytest.raises(dv.DerivationError, match="never updated"):
        seed_lstm_as_written()


def test_tanh_squashing_does_not_ease_gradient_propagation(claims):
    u = np.linspace(-8, 8, 160001)
    d = np.gradient(np.tanh(u), u)
    assert d.max() <= 1 + 1e-9 and d[np.abs(u) >= 3].max() < 0.01   # factors <= 1, -> 0
    rng = np.random.default_rng(2)
    P = rand_params("elman", None, 6, 3, rng, scale=2.0)
    x, h = rng.normal(size=(3, 3)), rng.uniform(-1, 1, (3, 6))
    J = ref_jacobian("elman", None, P, x, h)
    assert (np.linalg.norm(J, 2, axis=(1, 2)) <= np.linalg.norm(P["W_hh"], 2) + 1e-12).all()
    assert claims["tanh-range-gradient"].verdict == "false"


def test_audit_rejects_an_empty_seed_folder(tmp_path):
    with pytest.raises(dv.DerivationError, match="no seed notes"):
        audit(tmp_path)

"""The seed audit: every verdict, and every number of its evidence, re-derived by an
independent computation.

The references are the hand-written cells and complex-step Jacobians of
:mod:`tests._reference`, the seed notes' own text (shipped in ``derivations/seeds``), and
NumPy; none of them use the derivation the audit reads. The numbers of the evidence are
recomputed at the very point the audit evaluated (its facts carry the sample).
"""

import dataclasses
import re

import numpy as np
import pytest
import sympy as sp

import derivations as dv
from derivations.audit import SEEDS, Claim, Outcome, audit, seed_lstm_as_written
from derivations.facts import Verdict, VerdictKind
from derivations.statements import Prose, Statements

from ._reference import mv, rand_params, ref_jacobian, ref_step, sig

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
    r = sig(mv(P["W_ir"], x) + P["b_ir"] + mv(P["W_hr"], h) + P["b_hr"])
    return np.tanh(mv(P["W_in"], x) + P["b_in"] + mv(P["W_hn"], r * h) + P["b_hn"])


def _expected(truth):
    if truth["seed"]:
        return Verdict(VerdictKind.TRUE)
    good = [c for c in CONVS if truth[c]]
    return Verdict.only_under(good) if good else Verdict(VerdictKind.FALSE)


def _at(sample, states=("h",)):
    """The audit's sample point as reference inputs: parameters, x (1, I), the state(s)."""
    P = {k: np.asarray(v) for k, v in sample.values.items()}
    state = tuple(P[s][None] for s in states)
    return P, P["x"][None], state[0] if len(state) == 1 else state


def _floats(node) -> list:
    """Every SymPy Float in a statement tree (the numbers the evidence prints)."""
    if isinstance(node, sp.Basic):
        return [float(a) for a in sp.preorder_traversal(node) if isinstance(a, sp.Float)]
    if dataclasses.is_dataclass(node):
        return [x for f in dataclasses.fields(node) for x in _floats(getattr(node, f.name))]
    if isinstance(node, tuple):
        return [x for p in node for x in _floats(p)]
    return []


def _printed(c, *values, rtol=5e-3):
    """Each value appears in the evidence as a Float (3-4 significant digits)."""
    shown = _floats(c.evidence)
    for v in values:
        assert any(np.isclose(s, v, rtol=rtol, atol=0) for s in shown), (c.id, v, shown)


def test_every_claim_is_complete(claims):
    assert len(claims) >= 7
    for c in claims.values():
        assert isinstance(c, Claim)
        assert isinstance(c.verdict, Verdict) and c.verdict.kind in VerdictKind
        assert (c.verdict.kind is VerdictKind.TRUE_ONLY_UNDER) == bool(c.verdict.conventions)
        assert c.quote_vi and c.quote.prose.parts and isinstance(c.claim_en, Prose)
        assert c.claim_en.parts and isinstance(c.evidence, Statements) and c.evidence.items
        assert dataclasses.is_dataclass(c.facts) and c.cells
        assert c.quoted is True


def test_update_near_one_passes_the_old_state_only_under_pytorch_and_cho(claims):
    truth = {}
    for conv in CONVS:
        P, x, h = _gru(conv, {"b_iz": 40.0})           # z = 1 to rounding
        truth[conv] = bool(np.allclose(ref_step("gru", conv, P, x, h), h, atol=1e-12))
    assert truth == {"pytorch": True, "cho": True, "seed": False}
    c = claims["gru-update-near-1"]
    assert c.verdict == _expected(truth)
    assert c.facts.limit("seed").outcome is Outcome.CANDIDATE          # h_t = h~_t
    assert {lim.outcome for lim in c.facts.limits if lim.convention != "seed"} == {
        Outcome.OLD_STATE}


def test_update_near_zero_favours_the_new_state_only_under_pytorch_and_cho(claims):
    truth = {}
    for conv in CONVS:
        P, x, h = _gru(conv, {"b_iz": -40.0})          # z = 0 to rounding
        nxt = ref_step("gru", conv, P, x, h)
        truth[conv] = bool(np.allclose(nxt, _candidate(P, x, h), atol=1e-12)
                           if conv != "pytorch" else not np.allclose(nxt, h))
    assert truth == {"pytorch": True, "cho": True, "seed": False}
    c = claims["gru-update-near-0"]
    assert c.verdict == _expected(truth)
    assert c.facts.limit("seed").outcome is Outcome.OLD_STATE
    # the value the audit found the seed convention carries at is the cell's declared one
    carrying = dv.cell("gru", "seed").carrying
    assert (c.facts.gate, c.facts.carries_at) == (carrying.gate, carrying.towards)


@pytest.mark.parametrize("cid", ["gru-update-near-1", "gru-update-near-0"])
def test_update_evidence_numbers_are_the_reference_at_the_audited_point(claims, cid):
    f = claims[cid].facts
    P, x, h = _at(f.sample)
    assert P[f.bias.name].tolist() == [float(f.bias_value)] * len(h[0])
    z = sig(mv(P["W_iz"], x) + P["b_iz"] + mv(P["W_hz"], h) + P["b_hz"])
    gaps = {conv: np.linalg.norm(ref_jacobian("gru", conv, P, x, h)[0] - np.eye(h.shape[1]), 2)
            for conv in ("seed", "cho")}
    np.testing.assert_allclose(f.gate_distance, np.abs(z - f.value).max(), rtol=1e-9)
    np.testing.assert_allclose([f.gap_seed, f.gap_cho], [gaps["seed"], gaps["cho"]], rtol=1e-9)
    _printed(claims[cid], f.gate_distance, f.gap_seed, f.gap_cho)
    # the gate saturates towards the claimed value; only the carrying convention has J ~ I
    assert f.gate_distance < 1e-2 and min(gaps.values()) < 1e-2 < max(gaps.values())


def test_gradient_at_z_near_zero_flows_through_the_carry_not_the_gate(claims):
    P, x, h = _gru("seed", {"b_iz": -40.0})
    J = ref_jacobian("gru", "seed", P, x, h)
    flows = np.allclose(J, np.eye(J.shape[1]), atol=1e-12)        # J = I: gradient flows
    no_gate = dict(P, W_hz=np.zeros_like(P["W_hz"]))             # cut the path through z
    through_gate = np.abs(J - ref_jacobian("gru", "seed", no_gate, x, h)).max()
    assert flows and through_gate < 1e-12
    # so "flows" is right but "through the gate z" is not: an incomplete claim
    c = claims["gru-gradient-z-near-0"]
    assert c.verdict == Verdict(VerdictKind.INCOMPLETE)
    assert c.facts.identity_at_zero and c.facts.gate_path_vanishes
    P, x, h = _at(c.facts.sample)
    smin = np.linalg.svd(ref_jacobian("gru", "seed", P, x, h)[0], compute_uv=False)[-1]
    np.testing.assert_allclose(c.facts.sigma_min, smin, rtol=1e-9)
    _printed(c, smin)


def test_reset_near_zero_ignores_the_past_only_in_the_candidate(claims):
    P, x, h = _gru("seed", {"b_ir": -40.0})
    eta = 1e-30
    # complex step of the candidate alone, column by column
    dc = np.stack([_candidate(P, x.astype(complex), h + 1j * eta * np.eye(h.shape[1])[k]).imag
                   / eta for k in range(h.shape[1])], axis=2)
    J = ref_jacobian("gru", "seed", P, x, h)
    assert np.abs(dc).max() < 1e-12                           # the candidate ignores h
    assert np.linalg.norm(J, 2, axis=(1, 2)).min() > 0.05     # the new state does not
    c = claims["gru-reset-near-0"]
    assert c.verdict == Verdict(VerdictKind.INCOMPLETE)
    assert c.facts.candidate_ignores_state and c.facts.kept_paths
    P, x, h = _at(c.facts.sample)
    norm = np.linalg.norm(ref_jacobian("gru", "seed", P, x, h)[0], 2)
    np.testing.assert_allclose(c.facts.norm, norm, rtol=1e-9)
    _printed(c, norm)


def test_forget_gate_near_one_makes_the_cell_path_an_identity(claims):
    rng = np.random.default_rng(1)
    P = rand_params("lstm", None, 4, 3, rng)
    P["b_if"] = P["b_if"] + 8.0
    x, h, c = rng.normal(size=(2, 3)), rng.uniform(-1, 1, (2, 4)), rng.normal(size=(2, 4))
    J = ref_jacobian("lstm", None, P, x, (h, c), wrt=1, out=1)
    f = sig(mv(P["W_if"], x) + P["b_if"] + mv(P["W_hf"], h) + P["b_hf"])
    gap = np.linalg.norm(J - np.eye(4), 2, axis=(1, 2))
    np.testing.assert_allclose(gap, (1 - f).max(axis=1), rtol=1e-9)
    assert gap.max() < 1e-2
    cl = claims["lstm-forget-near-1"]
    assert cl.verdict == Verdict(VerdictKind.TRUE) and cl.facts.carry_is_gate
    P, x, (h, c) = _at(cl.facts.sample, ("h", "c"))
    J = ref_jacobian("lstm", None, P, x, (h, c), wrt=1, out=1)[0]
    f = sig(mv(P["W_if"], x) + P["b_if"] + mv(P["W_hf"], h) + P["b_hf"])
    np.testing.assert_allclose([cl.facts.gap, cl.facts.max_one_minus_gate],
                               [np.linalg.norm(J - np.eye(len(J)), 2), (1 - f).max()], rtol=1e-6)
    _printed(cl, cl.facts.gap, (1 - f).max())


def test_the_seed_lstm_list_never_defines_the_cell_state_and_quotes_are_verbatim(claims):
    notes = sorted(p for p in SEEDS.iterdir() if p.name.endswith(".txt"))
    assert notes, "the seed notes must ship in derivations/seeds"
    text = " ".join(p.read_text(encoding="utf-8") for p in notes)
    lstm = text[text.index("Problem 2"):]
    assert r"\tanh(C_t)" in lstm                               # C_t is used ...
    assert not re.search(r"\bC_t\s*=", lstm)                     # ... never defined
    c = claims["lstm-missing-cell-update"]
    assert c.verdict == Verdict(VerdictKind.INCOMPLETE) and not c.facts.builds_as_written
    for c in audit(SEEDS):
        assert c.quoted, c.id
    assert all(c.quoted for c in claims.values())


def test_a_quote_not_in_the_notes_is_flagged(tmp_path):
    (tmp_path / "notes.txt").write_text("Khi $z_t$ gần bằng 1, something else.", encoding="utf-8")
    quoted = {c.id: c.quoted for c in audit(tmp_path)}
    assert not any(quoted.values())


def test_quote_structure_is_the_raw_quote(claims):
    """The printed quote (text pieces and math nodes) follows the notes' text: the same text
    between the same number of math pieces (Markdown emphasis dropped)."""
    for c in claims.values():
        raw = re.split(r"\$(.+?)\$", c.quote.raw)
        texts, maths = raw[0::2], raw[1::2]
        parts = c.quote.prose.parts
        assert sum(not isinstance(p, str) for p in parts) == len(maths), c.id
        shown = "$".join("".join(p for p in parts[i:j] if isinstance(p, str))
                         for i, j in _runs(parts))
        assert shown == "$".join(re.sub(r"\*([^*]+)\*", r"\1", t) for t in texts), c.id


def _runs(parts):
    """Index ranges of the text between math parts (one per text piece of the raw quote)."""
    cuts = [-1] + [k for k, p in enumerate(parts) if not isinstance(p, str)] + [len(parts)]
    return [(a + 1, b) for a, b in zip(cuts, cuts[1:], strict=False)]


def test_the_listed_lstm_equations_do_not_build_a_cell():
    with pytest.raises(dv.DerivationError, match="never updated"):
        seed_lstm_as_written()


def test_the_completed_seed_lstm_carries_its_cell_state_through_the_forget_gate(claims):
    f = claims["lstm-missing-cell-update"].facts
    assert f.carry == f.gate          # dC_t/dC_{t-1} = diag(f_t) once the update is written


def test_tanh_squashing_does_not_ease_gradient_propagation(claims):
    u = np.linspace(-8, 8, 160001)
    d = np.gradient(np.tanh(u), u)
    assert d.max() <= 1 + 1e-9 and d[np.abs(u) >= 3].max() < 0.01   # factors <= 1, -> 0
    rng = np.random.default_rng(2)
    P = rand_params("elman", None, 6, 3, rng, scale=2.0)
    x, h = rng.normal(size=(3, 3)), rng.uniform(-1, 1, (3, 6))
    J = ref_jacobian("elman", None, P, x, h)
    assert (np.linalg.norm(J, 2, axis=(1, 2)) <= np.linalg.norm(P["W_hh"], 2) + 1e-12).all()
    c = claims["tanh-range-gradient"]
    assert c.verdict == Verdict(VerdictKind.FALSE)
    np.testing.assert_allclose(c.facts.derivative_at_point, 1 - np.tanh(3.0) ** 2, rtol=1e-12)
    P, x, h = _at(c.facts.sample)
    norm = np.linalg.norm(ref_jacobian("elman", None, P, x, h)[0], 2)
    np.testing.assert_allclose(c.facts.elman_norm, norm, rtol=1e-9)
    _printed(c, norm, 1 - np.tanh(3.0) ** 2)


def test_audit_rejects_an_empty_seed_folder(tmp_path):
    with pytest.raises(dv.DerivationError, match="no seed notes"):
        audit(tmp_path)
    with pytest.raises(dv.DerivationError, match=re.escape(str(tmp_path / "absent"))):
        audit(tmp_path / "absent")


def test_audit_names_bad_seed_inputs(tmp_path):
    with pytest.raises(dv.DerivationError, match="seeds_dir must be a folder path, got 5"):
        audit(5)
    (tmp_path / "notes.txt").write_bytes(b"\xff\xfe not utf-8 \xc3")
    with pytest.raises(dv.DerivationError, match=re.escape(str(tmp_path / "notes.txt"))):
        audit(tmp_path)

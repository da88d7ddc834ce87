r"""The seed audit: each claim of the seed notes checked against the derived math.

Every verdict is *computed*, and so is everything behind it: the seed convention's update
is substituted at the gate's limit, the derived Jacobian's carry and terms are read off,
the seed's LSTM list is built with the cell language, and numbers come from explicit
evaluations of the closed forms. For example the notes write
:math:`h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t` and then say :math:`z_t \to 1`
passes the old state unchanged; substituting :math:`z_t = 1` gives :math:`h_t = \tilde h_t`
under that equation and :math:`h_t = h_{t-1}` only under the PyTorch/Cho convention.

A :class:`Claim` holds the computed :class:`~derivations.facts.Verdict`, the computed facts
(one small frozen dataclass per kind of claim, :mod:`derivations._audit_facts`), the
evidence as a statement (:mod:`derivations.statements` nodes, numbers as SymPy numbers,
words as :class:`AuditText` members) and the quote, both as the notes' own text (checked
against the notes shipped in ``derivations/seeds``) and as structure (text and math
nodes). The words that explain a verdict belong to the report (``reports._audit_text``),
which chooses them from the facts.

>>> claims = audit()
>>> c = claims[0]
>>> c.id, str(c.verdict), c.quoted
('gru-update-near-1', 'true only under convention pytorch, cho', True)
>>> c.facts.limit("seed").outcome, c.facts.limit("cho").outcome     # h_t at z_t = 1
(<Outcome.CANDIDATE: 'the candidate'>, <Outcome.OLD_STATE: 'the old state'>)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np
import sympy as sp

from ._audit_eval import (
    carries_at,
    draw,
    evaluate_block,
    gate_limit,
    sigma_min,
    spectral_norm,
    term_node,
    terms_at,
)
from ._audit_facts import (
    AuditText,
    ForgetFacts,
    GateLimit,
    GradientFacts,
    MissingUpdateFacts,
    Outcome,
    Quote,
    ResetFacts,
    TanhFacts,
    UpdateFacts,
    quote,
    seed_lstm_as_written,
    seed_lstm_completed,
    seed_lstm_error,
)
from ._errors import DerivationError
from .cells import CELLS, cell
from .derivation import derive
from .facts import BoundKind, Role, Verdict, VerdictKind
from .functions import tanh
from .language import MatVec
from .lemmas import tanh_derivative_lemma
from .naming import Display, Name, Time
from .statements import (
    EYE,
    At,
    Chain,
    Diag,
    EntryMax,
    Implies,
    Juxt,
    Norm,
    Partial,
    Prose,
    SigmaMin,
    Stacked,
    Statements,
    Tends,
    relation,
)

__all__ = ["Claim", "audit", "seed_lstm_as_written", "seed_lstm_completed", "SEEDS", "AuditText",
           "Outcome", "GateLimit", "UpdateFacts", "GradientFacts", "ResetFacts", "ForgetFacts",
           "MissingUpdateFacts", "TanhFacts", "Quote"]

#: the seed notes shipped with the package (``*.txt``)
SEEDS = resources.files("derivations") / "seeds"


@dataclass(frozen=True)
class Claim:
    """One claim of the seed notes, its computed verdict, facts and evidence.

    ``quote`` is the notes' text (``quote.raw``, matched against the notes) and its
    structure (``quote.prose``, printed); ``claim_en`` the claim paraphrased in English;
    ``evidence`` a statement; ``facts`` the computed facts behind the verdict; ``cells`` the
    cells whose names print the math; ``quoted`` whether the quote occurs in the notes.
    """

    id: str
    quote: Quote
    claim_en: Prose
    verdict: Verdict
    evidence: object
    facts: object
    cells: tuple
    quoted: bool | None = None

    @property
    def quote_vi(self) -> str:
        """The quote as the notes write it (Markdown with ``$...$`` math)."""
        return self.quote.raw


def _F(x, digits: int = 3) -> sp.Float:
    """A computed number as a SymPy Float with ``digits`` significant digits."""
    return sp.Float(float(x), digits)


def _eq(a, b):
    return relation("=", a, b)


def _measured(lhs, value, *words) -> Chain:
    """``lhs = value`` and the words and conditions of the measurement (``at b = 8``)."""
    return Chain(lhs, (("=", Juxt((value, *words))),))


_CONVENTION_WORDS = {("seed",): AuditText.SEED_NOTES, ("pytorch",): AuditText.PYTORCH,
                     ("cho",): AuditText.CHO, ("pytorch", "cho"): AuditText.PYTORCH_CHO}


def _claim_update(value: int) -> Claim:
    seed = cell("gru", "seed")
    limits = tuple(gate_limit(conv, value) for conv in CELLS["gru"])
    # 'z near 1 passes the old information' (1); 'z near 0: the new state matters' (0)
    holds = tuple(lim.convention for lim in limits
                  if (lim.outcome is Outcome.OLD_STATE) == (value == 1))
    carry = derive(seed).jacobian.main.carry
    z, b_iz = seed.symbol("z"), seed.symbol("b_iz")
    shift = 8 if value == 1 else -8
    sample = draw(seed, biases={"b_iz": shift})
    J_seed, v = evaluate_block(seed, ("h", "h"), sample, gates=("z",))
    J_cho, _ = evaluate_block(cell("gru", "cho"), ("h", "h"), sample)
    facts = UpdateFacts(
        value=value, gate=z, limits=limits, holds_under=holds, carry=carry,
        carry_at_value=carry.subs(z, value), carries_at=carries_at("seed"), bias=b_iz,
        bias_value=sp.Integer(shift), sample=sample,
        gate_distance=float(np.abs(v["z"] - value).max()),
        gap_seed=spectral_norm(J_seed - np.eye(len(J_seed))),
        gap_cho=spectral_norm(J_cho - np.eye(len(J_cho))))
    verdict = (Verdict(VerdictKind.TRUE) if "seed" in holds else
               Verdict.only_under(holds) if holds else Verdict(VerdictKind.FALSE))
    h, h_tilde = seed.symbol("h"), seed.symbol("h_tilde")
    h_next = seed.next_states[h]
    groups: dict = {}
    for lim in sorted(limits, key=lambda lim: lim.convention != "seed"):
        groups.setdefault(lim.at_value, []).append(lim.convention)
    items = [Implies(_eq(z, value), Juxt((_eq(h_next, at), _CONVENTION_WORDS[key])))
             for at, convs in groups.items()
             for key in ([tuple(convs)] if tuple(convs) in _CONVENTION_WORDS else
                         [(c,) for c in convs])]
    where = (AuditText.AT, _eq(b_iz, facts.bias_value))
    gap = Norm(Partial(h_next, h) - EYE)
    items += [_measured(EntryMax(sp.Abs(z - value)), _F(facts.gate_distance), *where),
              _measured(gap, _F(facts.gap_seed), AuditText.SEED, *where),
              _measured(gap, _F(facts.gap_cho), AuditText.CHO, *where)]
    cid, said, paraphrase = {
        1: ("gru-update-near-1",
            ("Khi ", ("$z_t$", z), " gần bằng 1, nó cho phép thông tin được chuyển qua mà không "
             "cần thay đổi nhiều."),
            ("When ", z, " is close to 1 the old information passes through almost unchanged.")),
        0: ("gru-update-near-0",
            ("Khi ", ("$z_t$", z), " gần bằng 0, thì trạng thái mới ", (r"$\tilde{h}_t$", h_tilde),
             " quan trọng hơn nhiều."),
            ("When ", z, " is close to 0 the new state ", h_tilde, " matters much more."))}[value]
    return Claim(cid, quote(*said), Prose(paraphrase), verdict, _items(*items), facts,
                 (seed, cell("gru", "cho")))


def _bound(bounds, kind: BoundKind):
    """The bound of ``kind`` among ``bounds`` (``None`` if the derivation found none)."""
    return next((b for b in bounds if b.kind is kind), None)


def _items(*items) -> Statements:
    """The evidence: ``items`` as one list (a derived statement's own list spliced in)."""
    out = []
    for i in items:
        out += i.items if isinstance(i, Statements) else [i]
    return Statements(tuple(out))


def _claim_gradient_z0() -> Claim:
    c = cell("gru", "seed")
    z, h, b_iz = c.symbol("z"), c.symbol("h"), c.symbol("b_iz")
    h_next = c.next_states[h]
    at0 = terms_at(c, "z", 0)
    carry = [v for t, v in at0 if t.is_diagonal]
    gate = next(t for t, _ in at0 if t.label.role is Role.UPDATE_GATE)
    gate_at0 = next(v for t, v in at0 if t is gate)
    others = [v for t, v in at0 if not t.is_diagonal]
    identity = carry == [(1,)] and all(sp.Mul(*v) == 0 for v in others)
    sat = _bound(derive(c).bounds.all(), BoundKind.SATURATION)
    sample = draw(c, biases={"b_iz": -8})
    J, _ = evaluate_block(c, ("h", "h"), sample)
    facts = GradientFacts(
        gate=z, jacobian=Partial(h_next, h), carry=derive(c).jacobian.main.carry,
        identity_at_zero=identity, gate_path=term_node(gate.coeffs, gate.matrices),
        gate_coeffs=gate.coeffs, gate_path_vanishes=sp.Mul(*gate_at0) == 0, saturation=sat,
        bias=b_iz, bias_value=sp.Integer(-8), sample=sample, sigma_min=sigma_min(J))
    verdict = Verdict(VerdictKind.INCOMPLETE if identity and facts.gate_path_vanishes
                      else VerdictKind.FALSE)
    evidence = _items(Implies(_eq(z, 0), _eq(facts.jacobian, EYE)),
                      Juxt((AuditText.UPDATE_GATE_PATH, Tends(facts.gate_path, 0))),
                      sat.statement,
                      _measured(SigmaMin(facts.jacobian), _F(facts.sigma_min, 4), AuditText.AT,
                                _eq(b_iz, facts.bias_value)))
    return Claim(
        "gru-gradient-z-near-0",
        quote("Vì vậy, kể cả khi ", ("$z_t$", z), " gần bằng 0, gradient vẫn có thể đi qua cổng ",
              ("$z_t$", z), " trong quá trình lan truyền ngược."),
        Prose(("Even when ", z, " is close to 0, the gradient can still flow through the gate ",
               z, " during backpropagation.")),
        verdict, evidence, facts, (c,))


def _claim_reset() -> Claim:
    c = cell("gru", "seed")
    h, r, z, b_ir = c.symbol("h"), c.symbol("r"), c.symbol("z"), c.symbol("b_ir")
    h_tilde, h_next = c.symbol("h_tilde"), c.next_states[h]
    cand = c.definitions[h_tilde].subs(r, 0).replace(
        lambda e: isinstance(e, MatVec) and e.operand == 0, lambda e: sp.S.Zero)
    kept = tuple((t, v) for t, v in terms_at(c, "r", 0) if sp.Mul(*v) != 0)
    sample = draw(c, biases={"b_ir": -30})
    J, _ = evaluate_block(c, ("h", "h"), sample)
    facts = ResetFacts(
        gate=r, state=h, candidate=h_tilde, update_gate=z,
        carry_update=next(a for a in sp.Add.make_args(c.definitions[h_next]) if a.has(h)),
        candidate_at_zero=cand, candidate_ignores_state=not cand.has(h),
        kept_paths=tuple(t.label for t, _ in kept), carries_at=carries_at("seed"), bias=b_ir,
        bias_value=sp.Integer(-30), sample=sample, norm=spectral_norm(J))
    ignores, depends = facts.candidate_ignores_state, bool(kept)
    verdict = Verdict(VerdictKind.INCOMPLETE if ignores and depends else
                      VerdictKind.TRUE if ignores else VerdictKind.FALSE)
    items = [Implies(_eq(r, 0), _eq(h_tilde, cand))]
    items += [Implies(_eq(r, 0), Chain(term_node(v, t.matrices), (("!=", 0),)))
              for t, v in kept]
    items.append(_measured(Norm(Partial(h_next, h)), _F(facts.norm), AuditText.AT,
                           _eq(b_ir, facts.bias_value)))
    return Claim(
        "gru-reset-near-0",
        quote("Nếu ", ("$r_t$", r), " gần bằng 0, nó cho phép model hoàn toàn bỏ qua trạng thái "
              "trước, từ đó học được các short-term dependencies một cách hiệu quả."),
        Prose(("If ", r, " is close to 0 the model can completely ignore the previous state.")),
        verdict, _items(*items), facts, (c,))


def _claim_forget() -> Claim:
    lstm = cell("lstm")
    b = derive(lstm).bounds.block("c", "c")
    f, c, b_if = lstm.symbol("f"), lstm.symbol("c"), lstm.symbol("b_if")
    c_next = lstm.next_states[c]
    sat = _bound(b.bounds, BoundKind.SATURATION)
    gap_bound = _bound(b.bounds, BoundKind.IDENTITY_GAP)
    sample = draw(lstm, biases={"b_if": 8})
    J, v = evaluate_block(lstm, ("c", "c"), sample, gates=("f",))
    facts = ForgetFacts(
        gate=f, jacobian=Partial(c_next, c), carry=b.carry,
        carry_is_gate=b.carry == f and all(tb.term.is_diagonal for tb in b.terms),
        saturation_rate=None if sat is None else sat.K, identity_gap=gap_bound,
        cell_update=_eq(c_next, lstm.definitions[c_next]), candidate=lstm.symbol("g"),
        notes_candidate=At(seed_lstm_completed().symbol("C_tilde"), Time.NOW),
        update_in_notes=seed_lstm_error() is None,
        bias=b_if, bias_value=sp.Integer(8), sample=sample,
        gap=spectral_norm(J - np.eye(len(J))), max_one_minus_gate=float((1 - v["f"]).max()))
    verdict = Verdict(VerdictKind.TRUE if facts.carry_is_gate and facts.saturation_rate == 1
                      else VerdictKind.INCOMPLETE)
    where = (AuditText.AT, _eq(b_if, facts.bias_value))
    items = [_eq(facts.jacobian, Diag(b.carry)), gap_bound.statement,
             _measured(Norm(facts.jacobian - EYE), _F(facts.gap), *where),
             _measured(EntryMax(1 - f), _F(facts.max_one_minus_gate), *where)]
    return Claim(
        "lstm-forget-near-1",
        quote("Nếu ", ("$f_t$", f), " gần bằng 1, LSTM sẽ giữ lại phần lớn cell state trước đó, "
              "cho phép ghi nhớ các long-term dependencies. Điều này hạn chế vanishing gradient "
              "bằng cách maintain thông tin suốt các time steps."),
        Prose(("If ", f, " is close to 1 the LSTM keeps most of the previous cell state, which "
               "limits vanishing gradients.")),
        verdict, _items(*items), facts, (lstm,))


def _claim_missing_update() -> Claim:
    full = seed_lstm_completed()
    C, f, h = full.symbol("C"), full.symbol("f"), full.symbol("h")
    C_next, h_next = full.next_states[C], full.next_states[h]
    error = seed_lstm_error()
    carry = derive(full).jacobian.block("C", "C").carry
    facts = MissingUpdateFacts(
        builds_as_written=error is None, error=error,
        cell_update=_eq(C_next, full.definitions[C_next]), state=C,
        jacobian=Partial(C_next, C), carry=carry, gate=f)
    verdict = Verdict(VerdictKind.INCOMPLETE if not facts.builds_as_written
                      else VerdictKind.TRUE)
    evidence = Statements((Juxt((facts.cell_update, AuditText.IS_MISSING)),
                           Juxt((AuditText.WITH_IT, _eq(facts.jacobian, Diag(carry))))))
    W_C, x, o = full.symbol("W_C"), full.symbol("x"), full.symbol("o")
    C_tilde = full.symbol("C_tilde")
    return Claim(
        "lstm-missing-cell-update",
        quote("3. Cell State Update: ",
              (r"$\tilde{C}_t = \tanh(W_C \cdot [h_{t-1}, x_t])$",
               _eq(C_tilde, tanh(MatVec(W_C, Stacked(h, x))))),
              " ... 5. Hidden State Update: ",
              (r"$h_t = o_t \odot \tanh(C_t)$", _eq(h_next, o * tanh(C_next)))),
        Prose(("The LSTM equations (input, forget, candidate, output gates and ",
               _eq(h_next, o * tanh(C_next)), ") define the LSTM.")),
        verdict, evidence, facts, (full,))


def _claim_tanh() -> Claim:
    u = sp.Symbol("u", real=True)
    lem = tanh_derivative_lemma()
    limit = sp.limit(1 - sp.tanh(u) ** 2, u, sp.oo)
    elman = cell("elman")
    h, b_hh, W_hh = elman.symbol("h"), elman.symbol("b_hh"), elman.symbol("W_hh")
    sample = draw(elman, biases={"b_hh": 3})
    J, _ = evaluate_block(elman, ("h", "h"), sample)
    pmb = _bound(derive(elman).bounds.all(), BoundKind.VANISHING)
    derivative = 1 - tanh(u) ** 2
    facts = TanhFacts(
        lemma=lem, range_proved=lem.verify(), variable=u, derivative=derivative, limit=limit,
        point=sp.Integer(3), derivative_at_point=float((1 - sp.tanh(3) ** 2).evalf()),
        vanishing=pmb, jacobian=Partial(elman.next_states[h], h), weight=W_hh, bias=b_hh,
        bias_value=sp.Integer(3), sample=sample, elman_norm=spectral_norm(J))
    verdict = Verdict(VerdictKind.FALSE if facts.range_proved and limit == 0
                      else VerdictKind.TRUE)
    evidence = _items(
        lem.statement,
        Juxt((Tends(derivative, limit), AuditText.AS, Tends(u, sp.oo))),
        _eq(derivative.subs(u, facts.point), _F(facts.derivative_at_point, 3)),
        pmb.statement,
        _measured(Norm(facts.jacobian), _F(facts.elman_norm), AuditText.ELMAN, AuditText.AT,
                  _eq(b_hh, facts.bias_value)))
    tanh_name = Display(Name("tanh", kind="word"))
    return Claim(
        "tanh-range-gradient",
        quote("Hàm activation ", (r"$\tanh$", tanh_name), " đảm bảo rằng các giá trị sẽ được "
              "scaled để nằm trong khoảng -1 và 1, từ đó việc lan truyền gradient sẽ trở lên dễ "
              "dàng hơn trong quá trình ", ("*backpropagation*", "backpropagation"), "."),
        Prose((tanh_name, " keeps values in ", sp.Interval.open(-1, 1), ", which makes gradient "
               "propagation easier.")),
        verdict, evidence, facts, (elman,))


def _norm_ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def audit(seeds_dir=None) -> list:
    """Every audited claim with its computed verdict.

    Parameters
    ----------
    seeds_dir : path, optional
        The folder of the seed notes (``*.txt``), by default the notes shipped with the
        package (:data:`SEEDS`). Each claim's ``quoted`` records whether its quote (split at
        ``...``) occurs in the notes.

    Raises
    ------
    DerivationError
        If ``seeds_dir`` is not a path, holds no ``*.txt`` notes (the error names the
        folder) or a note cannot be read as UTF-8 text (the error names the file).
    """
    if seeds_dir is not None and not isinstance(seeds_dir, (str, os.PathLike)):
        raise DerivationError(f"seeds_dir must be a folder path, got {seeds_dir!r}")
    folder = SEEDS if seeds_dir is None else Path(seeds_dir)
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".txt")),
                   key=lambda p: p.name) if folder.is_dir() else []
    if not files:
        raise DerivationError(f"no seed notes (*.txt) in {str(seeds_dir or folder)!r}")
    texts = []
    for f in files:
        try:
            texts.append(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise DerivationError(f"cannot read the seed notes {str(f)!r}: {exc}") from None
    text = _norm_ws(" ".join(texts))
    claims = [_claim_update(1), _claim_update(0), _claim_gradient_z0(), _claim_reset(),
              _claim_forget(), _claim_missing_update(), _claim_tanh()]
    return [replace(c, quoted=all(_norm_ws(p) in text for p in c.quote.raw.split("...")))
            for c in claims]

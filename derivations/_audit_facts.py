r"""The typed facts of the seed audit (private): one frozen dataclass per kind of claim.

:mod:`derivations.audit` computes them; a report reads them to choose its words (never by
parsing text). Also here: :class:`AuditText`, the fixed phrases of the evidence;
:class:`Quote`, a quote of the notes as their text and as structure; and
:class:`Stacked`, the notes' concatenation :math:`[h_{t-1}, x_t]`; and the notes' LSTM list
written in the cell language (:func:`seed_lstm_as_written`, which the language refuses,
and :func:`seed_lstm_completed`, with the cell update the notes omit).

>>> import sympy as sp
>>> z = sp.Symbol("z")
>>> q = quote("Khi ", ("$z_t$", z), " gần bằng 1.")
>>> q.raw, q.prose.parts
('Khi $z_t$ gần bằng 1.', ('Khi ', z, ' gần bằng 1.'))
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sympy as sp

from ._errors import DerivationError
from .facts import Role
from .functions import sigmoid, tanh
from .language import CellBuilder
from .statements import Prose, Words

__all__ = ["AuditText", "Outcome", "GateLimit", "UpdateFacts", "GradientFacts", "ResetFacts",
           "ForgetFacts", "MissingUpdateFacts", "TanhFacts", "Quote", "quote",
           "seed_lstm_as_written", "seed_lstm_completed", "seed_lstm_error"]


class AuditText(Words):
    """Fixed phrases inside the audit's evidence (English; reports translate by member)."""

    SEED_NOTES = " (seed, the notes' equation)"
    SEED = " (seed)"
    PYTORCH = " (pytorch)"
    CHO = " (cho)"
    PYTORCH_CHO = " (pytorch, cho)"
    AT = " at "
    AS = " as "
    UPDATE_GATE_PATH = "update-gate path: "
    IS_MISSING = " is missing"
    WITH_IT = "with it: "
    ELMAN = " (Elman)"


class Outcome(enum.Enum):
    """What a state update gives when its gate is fixed at a value."""

    OLD_STATE = "the old state"
    CANDIDATE = "the candidate"
    MIXTURE = "a mixture of both"


@dataclass(frozen=True)
class GateLimit:
    """One GRU convention's update (``Eq(h_t, ...)``) and its value with the gate fixed."""

    convention: str
    update: sp.Eq
    at_value: sp.Expr
    outcome: Outcome


@dataclass(frozen=True, eq=False)
class UpdateFacts:
    """``z near value`` claims: the update of every convention at ``z = value``, the
    conventions where the claim holds, the seed Jacobian's carry, and numbers at a
    saturating bias (``gap_*``: :math:`\\|J - I\\|_2` under seed and cho)."""

    value: int
    gate: sp.Symbol
    limits: tuple  # of GateLimit, one per convention
    holds_under: tuple  # convention names
    carry: sp.Expr  # the seed Jacobian's carry coefficient
    carry_at_value: sp.Expr
    carries_at: int  # the gate value at which the seed convention keeps the old state
    bias: sp.Symbol
    bias_value: sp.Integer
    sample: object  # derivations._audit_eval.Sample
    gate_distance: float  # max_i |z_i - value| at the sample
    gap_seed: float
    gap_cho: float

    def limit(self, convention: str) -> GateLimit:
        """The :class:`GateLimit` of ``convention``."""
        return next(lim for lim in self.limits if lim.convention == convention)


@dataclass(frozen=True, eq=False)
class GradientFacts:
    """'the gradient flows through the gate at z near 0': the seed Jacobian at z = 0, its
    update-gate path, the saturation bound and sigma_min at a saturating bias."""

    gate: sp.Symbol
    jacobian: object  # Partial(h_t, h_{t-1})
    carry: sp.Expr
    identity_at_zero: bool  # the Jacobian is I at z = 0
    gate_path: object  # the update-gate path diag(a0) W diag(a1) ... (parts side by side)
    gate_coeffs: tuple  # its coefficients a0, a1, ...
    gate_path_vanishes: bool  # the update-gate path is 0 at z = 0
    saturation: object  # the derived saturation Bound
    bias: sp.Symbol
    bias_value: sp.Integer
    sample: object
    sigma_min: float


@dataclass(frozen=True, eq=False)
class ResetFacts:
    """'r near 0 ignores the past': the candidate at r = 0, the Jacobian paths left there."""

    gate: sp.Symbol  # r
    state: sp.Symbol  # h
    candidate: sp.Symbol  # h_tilde
    update_gate: sp.Symbol  # z
    carry_update: sp.Expr  # the update's term that carries h: (1 - z) h
    candidate_at_zero: sp.Expr
    candidate_ignores_state: bool
    kept_paths: tuple  # PathLabels of the Jacobian terms nonzero at r = 0
    carries_at: int  # the update-gate value at which the old state is kept
    bias: sp.Symbol
    bias_value: sp.Integer
    sample: object
    norm: float  # ||J||_2 at the sample


@dataclass(frozen=True, eq=False)
class ForgetFacts:
    """'f near 1 keeps the cell state': the derived dc/dc, its identity gap and saturation
    rate, numbers at a saturating bias, and whether the notes write the cell update."""

    gate: sp.Symbol  # f
    jacobian: object  # Partial(c_t, c_{t-1})
    carry: sp.Expr
    carry_is_gate: bool  # dc/dc = diag(f) exactly (one diagonal term, coefficient f)
    saturation_rate: sp.Expr | None  # K of ||dc/dc - I|| <= K eps
    identity_gap: object  # the derived identity-gap Bound
    cell_update: sp.Eq  # c_t = f c_{t-1} + i g
    candidate: sp.Symbol  # g
    notes_candidate: object  # the notes' name of the candidate, At(C_tilde, t)
    update_in_notes: bool
    bias: sp.Symbol
    bias_value: sp.Integer
    sample: object
    gap: float  # ||J - I||_2 at the sample
    max_one_minus_gate: float  # max_i (1 - f_i) at the sample


@dataclass(frozen=True, eq=False)
class MissingUpdateFacts:
    """The notes' LSTM list as written, and completed with the cell update it omits."""

    builds_as_written: bool
    error: str | None  # the cell language's refusal
    cell_update: sp.Eq  # C_t = f C_{t-1} + i C~_t
    state: sp.Symbol  # C
    jacobian: object  # Partial(C_t, C_{t-1}) of the completed list
    carry: sp.Expr  # its carry
    gate: sp.Symbol  # f


@dataclass(frozen=True, eq=False)
class TanhFacts:
    """'tanh's range eases gradients': the tanh lemma, the limit of tanh', Elman numbers."""

    lemma: object  # derivations.lemmas.Lemma
    range_proved: bool
    variable: sp.Symbol  # u
    derivative: sp.Expr  # 1 - tanh(u)^2
    limit: sp.Expr  # of the derivative as u -> oo
    point: sp.Integer
    derivative_at_point: float
    vanishing: object  # the Elman vanishing-condition Bound
    jacobian: object  # Partial(h_t, h_{t-1}) of Elman
    weight: sp.Symbol  # W_hh
    bias: sp.Symbol
    bias_value: sp.Integer
    sample: object
    elman_norm: float


@dataclass(frozen=True)
class Quote:
    """A quote of the notes: ``raw`` as they write it (matched against them) and ``prose``,
    the same text with its math as nodes (printed by both engines)."""

    raw: str
    prose: Prose


def quote(*pieces) -> Quote:
    """A :class:`Quote` from pieces: a ``str`` (the same text raw and shown) or a pair
    ``(raw, shown)`` (``shown`` a math node, or the text shown for Markdown like ``*x*``)."""
    raw, shown = [], []
    for p in pieces:
        r, s = (p, p) if isinstance(p, str) else p
        raw.append(r)
        if isinstance(s, str) and shown and isinstance(shown[-1], str):
            shown[-1] += s
        else:
            shown.append(s)
    return Quote("".join(raw), Prose(tuple(shown)))


# -- the notes' LSTM list in the cell language ------------------------------------------
def _seed_lstm(complete: bool):
    cb = CellBuilder("seed_lstm", reference="the seed notes, Problem 2")
    x, h, C = cb.input("x"), cb.state("h"), cb.state("C")
    W_i, W_f, W_C, W_o, U_i, U_f, U_C, U_o = cb.weights("W_i W_f W_C W_o U_i U_f U_C U_o")
    i = cb.let("i", sigmoid(W_i @ h + U_i @ x), role=Role.INPUT_GATE)
    f = cb.let("f", sigmoid(W_f @ h + U_f @ x), role=Role.FORGET_GATE)
    C_tilde = cb.let("C_tilde", tanh(W_C @ h + U_C @ x), role=Role.CELL_CANDIDATE)
    o = cb.let("o", sigmoid(W_o @ h + U_o @ x), role=Role.OUTPUT_GATE)
    C_next = cb.update(C, f * C + i * C_tilde) if complete else C
    cb.update(h, o * tanh(C_next))
    return cb.build()


def seed_lstm_as_written():
    """The notes' LSTM list, items 1-5, in the cell language (raises: C_t is never updated)."""
    return _seed_lstm(False)


def seed_lstm_completed():
    r"""The notes' LSTM list with the cell update :math:`C_t = f_t \odot C_{t-1} + i_t \odot
    \tilde C_t` it omits (and :math:`h_t = o_t \odot \tanh(C_t)` reading the new :math:`C_t`)."""
    return _seed_lstm(True)


def seed_lstm_error() -> str | None:
    """The cell language's refusal of the notes' list as written (``None``: it builds)."""
    try:
        seed_lstm_as_written()
    except DerivationError as exc:
        return str(exc)
    return None

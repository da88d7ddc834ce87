r"""Typed facts about cells, Jacobian paths, bounds and audit verdicts.

Facts that code reads are values of these types, never text parsed again downstream:

- :class:`Role`: what a named quantity is (``Role.UPDATE_GATE``, ...). A user cell may give
  a role of its own as a plain string; code compares roles with ``is``/``==`` against
  members, never by parsing.
- :class:`PathLabel`: the name of a Jacobian path. It *is* a ``str`` (``"carry"``,
  ``"update gate"``, ``"forget gate via candidate"``), so labels print and compare as
  before, and carries its parts as fields (``role``, ``via``).
- :class:`Carrying`: which gate carries the state, and towards which value
  (``Carrying(z, 1)`` for the PyTorch GRU, ``Carrying(z, 0)`` for the seed GRU).
- :class:`BoundKind`, :class:`VerdictKind` and :class:`Verdict`.

>>> import sympy as sp
>>> z = sp.Symbol("z")
>>> Carrying(z, 1).distance                       # how far z is from carrying
1 - z
>>> lab = PathLabel.of(Role.FORGET_GATE, via=Role.CANDIDATE)
>>> lab, lab == "forget gate via candidate", lab.role is Role.FORGET_GATE
('forget gate via candidate', True, True)
>>> str(Verdict.only_under(("pytorch", "cho")))
'true only under convention pytorch, cho'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sympy as sp

__all__ = ["Role", "role_of", "PathLabel", "Carrying", "BoundKind", "VerdictKind", "Verdict"]


class Role(enum.StrEnum):
    """The role of a named quantity of a cell (its value is the English name)."""

    UPDATE_GATE = "update gate"
    RESET_GATE = "reset gate"
    FORGET_GATE = "forget gate"
    INPUT_GATE = "input gate"
    OUTPUT_GATE = "output gate"
    CANDIDATE = "candidate"
    CELL_CANDIDATE = "cell candidate"
    CELL_STATE = "cell state"
    NEXT_STATE = "next state"
    INPUT_EMBEDDING = "input embedding"
    RECURRENCE_GATE = "recurrence gate"
    DECAY = "decay"
    INPUT_PRE_ACTIVATION = "input gate pre-activation"
    FORGET_PRE_ACTIVATION = "forget gate pre-activation"
    LOG_FORGET_GATE = "log forget gate"
    NORMALIZED_FORGET_GATE = "normalized forget gate"
    NORMALIZED_INPUT_GATE = "normalized input gate"
    NORMALIZER_STATE = "normalizer state"
    STABILIZER_STATE = "stabilizer state"
    MODULATION_GATE = "modulation gate"
    CONTROL_GATE = "control gate"
    OUTPUT = "output"
    VELOCITY_STATE = "velocity state"
    MULTIPLICATIVE_STATE = "multiplicative state"
    CONTEXT_STATE = "context state"
    DELAYED_STATE = "delayed state"
    DELAYED_INPUT = "delayed input projection"
    TIME_STEP = "learned time step"
    RESIDUAL = "residual"
    PROJECTION = "projection"
    PRE_ACTIVATION = "pre-activation"
    LATENT = "latent"
    SEARCH_NODE = "searched node"
    CELL_OUTPUT = "cell output"


def role_of(value) -> Role | str:
    """``value`` as a :class:`Role` member when it names one, else the string itself.

    >>> role_of("update gate") is Role.UPDATE_GATE, role_of("bottleneck")
    (True, 'bottleneck')
    """
    if isinstance(value, Role):
        return value
    try:
        return Role(value)
    except ValueError:
        return value


class PathLabel(str):
    """The label of a Jacobian path: a string whose parts are typed fields.

    ``kind`` is ``carry`` (the direct, matrix-free path), ``recurrent`` (through a matrix
    but no named quantity) or ``quantity``; ``role`` is the role of the innermost quantity
    the path goes through (``None`` for the other kinds); ``via`` the role of its parent when that role recurs in
    the block (MGU's ``forget gate via candidate``).
    """

    role: Role | str | None
    via: Role | str | None
    kind: str  # "carry", "recurrent" or "quantity"

    def __new__(cls, text: str, role=None, via=None, kind=None):
        self = super().__new__(cls, text)
        self.role, self.via = role, via
        self.kind = kind or ("quantity" if role is not None else "carry")
        return self

    @classmethod
    def carry(cls) -> PathLabel:
        """The direct, matrix-free path through no quantity (``diag(z)`` of the GRU)."""
        return cls("carry", kind="carry")

    @classmethod
    def recurrent(cls) -> PathLabel:
        """A path through a matrix but no named quantity (Elman's ``diag(1 - h^2) W_hh``)."""
        return cls("recurrent", kind="recurrent")

    @classmethod
    def of(cls, role, via=None) -> PathLabel:
        """The path through a quantity of ``role`` (``via`` its parent's role)."""
        text = str(role) if via is None else f"{role} via {via}"
        return cls(text, role, via, "quantity")

    @property
    def is_carry(self) -> bool:
        return self.kind == "carry"

    def __reduce__(self):
        return (PathLabel, (str(self), self.role, self.via, self.kind))


@dataclass(frozen=True)
class Carrying:
    r"""The gate that carries the state, and the value it carries at.

    ``towards`` is 1 when :math:`g \to 1` keeps the old state (PyTorch/Cho GRU ``z``,
    LSTM ``f``, minimalRNN ``u``) and 0 when :math:`g \to 0` does (seed GRU ``z``, MGU
    ``f``).
    """

    gate: sp.Symbol
    towards: int

    def __post_init__(self):
        if not isinstance(self.gate, sp.Symbol):
            raise TypeError(f"Carrying.gate must be a SymPy Symbol, got {self.gate!r}")
        if self.towards not in (0, 1) or isinstance(self.towards, bool):
            raise TypeError(f"Carrying.towards must be 0 or 1, got {self.towards!r}")

    @property
    def distance(self) -> sp.Expr:
        r"""How far the gate is from carrying: :math:`1 - g` or :math:`g`."""
        return 1 - self.gate if self.towards == 1 else self.gate

    def __str__(self):
        return f"{self.gate} -> {self.towards}"


class BoundKind(enum.Enum):
    """What a :class:`~derivations.bounds.Bound` states."""

    UPPER = "upper"
    GLOBAL_UPPER = "global upper"
    LOWER = "lower"
    IDENTITY_GAP = "identity gap"
    SATURATION = "saturation"
    MULTISTEP = "multistep"
    VANISHING = "vanishing"
    NO_VANISHING_CONDITION = "no vanishing condition"


class VerdictKind(enum.Enum):
    """The outcome of checking a claim against the derived math."""

    TRUE = "true"
    FALSE = "false"
    INCOMPLETE = "incomplete"
    TRUE_ONLY_UNDER = "true only under convention"


@dataclass(frozen=True)
class Verdict:
    """A computed verdict; ``conventions`` names where a claim holds (``TRUE_ONLY_UNDER``)."""

    kind: VerdictKind
    conventions: tuple = ()

    @classmethod
    def only_under(cls, conventions) -> Verdict:
        return cls(VerdictKind.TRUE_ONLY_UNDER, tuple(conventions))

    def __str__(self):
        if self.kind is VerdictKind.TRUE_ONLY_UNDER:
            return f"{self.kind.value} {', '.join(self.conventions)}"
        return self.kind.value

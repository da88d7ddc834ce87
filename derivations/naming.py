r"""How a symbol is displayed: its name (base, subscript, accent) and its time, as data.

A cell's code names follow the math (``W_hz``, ``h_tilde``, ``b_in``); :meth:`Name.from_code`
reads them once into a :class:`Name`, and every printer renders a :class:`Display` (a name
at a time) in its own syntax: LaTeX ``W_{hz}``, ``\tilde{h}_{t}``, ``h_{t-1}``; Typst
``W_(h z)``, ``tilde(h)_t``, ``h_(t-1)``. No printer parses another printer's output.

>>> Name.from_code("W_hz"), Name.from_code("h_tilde").accent, Name.from_code("emb").kind
(Name(base='W', sub='hz', accent=None, kind='letter'), 'tilde', 'word')
>>> Display(Name.from_code("h"), Time.PREV).time.value
't-1'
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = ["Name", "Time", "Display", "GREEK"]

#: Greek letters a multi-letter code name may spell (printed as the letter)
GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon",
    "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma",
    "Phi", "Psi", "Omega"})

_ACCENTS = ("tilde", "hat", "bar")


class Time(enum.Enum):
    """The time index a vector is shown at (its value is the subscript as written)."""

    NOW = "t"
    PREV = "t-1"
    HORIZON = "T"
    START = "t_0"
    AHEAD = "t+k"
    ZERO = "0"


@dataclass(frozen=True)
class Name:
    """A displayed name: ``base`` (a letter, a Greek letter's name, or a word), an optional
    index subscript ``sub`` (``"hz"``), an optional ``accent`` (``tilde``, ``hat``, ``bar``).

    ``kind`` is ``letter`` (one Latin letter), ``greek`` or ``word`` (upright text).
    """

    base: str
    sub: str | None = None
    accent: str | None = None
    kind: str = "letter"

    def __post_init__(self):
        if self.kind not in ("letter", "greek", "word"):
            raise ValueError(f"Name.kind must be letter, greek or word, got {self.kind!r}")
        if self.accent is not None and self.accent not in _ACCENTS:
            raise ValueError(f"Name.accent must be one of {_ACCENTS} or None, got {self.accent!r}")
        if not isinstance(self.base, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", self.base):
            raise ValueError(f"Name.base must be letters and digits, got {self.base!r}")
        if self.sub is not None and not re.fullmatch(r"[A-Za-z0-9]+", self.sub):
            raise ValueError(f"Name.sub must be letters and digits, got {self.sub!r}")

    @classmethod
    def from_code(cls, code: str) -> Name:
        """The name a code identifier spells: ``W_hz`` -> W with subscript hz,
        ``h_tilde`` -> h with a tilde, ``sigma`` -> the Greek letter, ``emb`` -> a word."""
        base, _, sub = code.partition("_")
        accent = None
        if sub in _ACCENTS:
            accent, sub = sub, ""
        sub = re.sub(r"[^A-Za-z0-9]", "", sub) or None
        if not base:
            base, sub = (sub or "x"), None
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", base):
            base = re.sub(r"[^A-Za-z0-9]", "", base) or "x"
            if not base[0].isalpha():
                base = "x" + base
        if base in GREEK:
            kind = "greek"
        elif len(base) == 1:
            kind = "letter"
        else:
            kind = "word"
        return cls(base, sub, accent, kind)


@dataclass(frozen=True)
class Display:
    """A :class:`Name` shown at a :class:`Time` (``None``: no time index, e.g. a weight)."""

    name: Name
    time: Time | None = None

    def at(self, time: Time | None) -> Display:
        """The same name at another time (``h_{t-1}`` -> ``h_{T}``)."""
        return Display(self.name, time)

r"""Escaping user text for LaTeX and Typst markup.

>>> latex_escape("50% of {x_1} & $y$")
'50\\% of \\{x\\_1\\} \\& \\$y\\$'
>>> typst_escape("a*b_c #d [e] @f")
'a\\*b\\_c \\#d \\[e\\] \\@f'
"""

from __future__ import annotations

import unicodedata

__all__ = ["latex_escape", "typst_escape", "typst_string", "nfc"]

_LATEX = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%",
    "#": r"\#", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    # math characters missing from Latin Modern text fonts: typeset as math
    "≤": r"$\le$", "≥": r"$\ge$", "₂": r"$_2$", "σ": r"$\sigma$", "ε": r"$\varepsilon$",
    "‖": r"$\|$", "∞": r"$\infty$", "²": r"$^2$", "→": r"$\to$", "∂": r"$\partial$",
    "⊙": r"$\odot$", "−": r"$-$", "β": r"$\beta$", "λ": r"$\lambda$", "∈": r"$\in$",
    "×": r"$\times$", "·": r"$\cdot$", "γ": r"$\gamma$",
}
_TYPST_SPECIAL = set("\\*_#[]$@<>`~=-+/'\"")


def nfc(text: str) -> str:
    """Unicode NFC (Vietnamese diacritics as precomposed characters)."""
    return unicodedata.normalize("NFC", text)


def latex_escape(text: str) -> str:
    """Escape ``text`` for LaTeX running text (every special character is literal)."""
    return "".join(_LATEX.get(ch, ch) for ch in nfc(str(text)))


def typst_escape(text: str) -> str:
    """Escape ``text`` for Typst markup (every markup character is literal)."""
    out = []
    for ch in nfc(str(text)):
        out.append("\\" + ch if ch in _TYPST_SPECIAL else ch)
    return "".join(out)


def typst_string(text: str) -> str:
    """A Typst string literal (for math text and function arguments).

    >>> typst_string('say "hi"\\n')
    '"say \\\\"hi\\\\"\\\\n"'
    """
    s = nfc(str(text)).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'

r"""Translate the LaTeX math subset used by :mod:`derivations.bounds` and
:mod:`derivations.lemmas` into Typst math, and prose with ``$...$`` into Typst markup.

>>> tex2typst(r"\left\|\frac{\partial h_{t}}{\partial h_{t-1}}\right\|_2 \le \tfrac14")
'lr(|| (partial h_t)/(partial h_(t-1)) ||)_2 <= (1)/(4)'
>>> tex2typst(r"\operatorname{diag}(z_{t}) \odot W_{hz}")
'op("diag")(z_t) dot.o W_(h z)'
>>> tex2typst(r"\sup|a| \le 1,\ \text{if } x \in \mathbb{R}")
'sup|a| <= 1, " " "if " x in RR'
"""

from __future__ import annotations

import re

from ._errors import ReportError
from ._escape import typst_escape, typst_string

__all__ = ["tex2typst", "prose2typst", "split_prose"]

_SIMPLE = {
    "le": "<=", "leq": "<=", "ge": ">=", "geq": ">=", "to": "->", "implies": "==>",
    "in": "in", "subseteq": "subset.eq", "odot": "dot.o", "cdots": "dots.c", "ldots": "dots",
    "dots": "dots", "quad": "quad", "qquad": "wide", "infty": "infinity", "partial": "partial",
    "cdot": "dot.c", "times": "times", "approx": "approx", "neq": "!=", "ne": "!=",
    "mapsto": "|->", "rightarrow": "->", "Rightarrow": "=>", "lt": "<", "gt": ">",
    "pm": "plus.minus", "varepsilon": "epsilon", "epsilon": "epsilon.alt", "forall": "forall",
    "exists": "exists", "lVert": "||", "rVert": "||", "vert": "|", "emptyset": "emptyset",
    "sum": "sum", "prod": "product", "min": "min", "max": "max", "sup": "sup", "inf": "inf",
    "tanh": "tanh", "log": "log", "ln": "ln", "exp": "exp", "det": "det", "lim": "lim",
    "sigma": "sigma", "gamma": "gamma", "lambda": "lambda", "alpha": "alpha", "beta": "beta",
    "delta": "delta", "theta": "theta", "mu": "mu", "rho": "rho", "tau": "tau", "phi": "phi",
    "psi": "psi", "eta": "eta", "Delta": "Delta", "Sigma": "Sigma", "Phi": "Phi",
    "cap": "inter", "cup": "union", "setminus": "without", "circ": "compose",
    "langle": "angle.l", "rangle": "angle.r", "displaystyle": "", "limits": "",
    "nolimits": "",
}
_SPACES = {",": "thin", ";": "med", ":": "med", "!": "", " ": '" "'}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_&]|\s+|[A-Za-z]|[0-9]|.", re.S)


def _tokens(s: str) -> list:
    return _TOKEN.findall(s)


class _P:
    def __init__(self, src: str):
        self.src = src
        self.t = _tokens(src)
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def next(self):
        tok = self.peek()
        self.i += 1
        return tok

    def group(self) -> str:
        """One argument: a braced group or a single token."""
        while self.peek() is not None and self.peek().isspace():
            self.next()
        tok = self.next()
        if tok is None:
            raise ReportError(f"LaTeX {self.src!r} ends where an argument was expected")
        if tok == "{":
            return self.seq(until="}")
        return self.atom(tok)

    def raw_group(self) -> str:
        while self.peek() is not None and self.peek().isspace():
            self.next()
        if self.next() != "{":
            raise ReportError(f"LaTeX {self.src!r}: expected {{ after a text command")
        depth, out = 1, []
        while True:
            tok = self.next()
            if tok is None:
                raise ReportError(f"LaTeX {self.src!r}: unbalanced braces")
            if tok == "{":
                depth += 1
            elif tok == "}":
                depth -= 1
                if depth == 0:
                    return "".join(out)
            out.append(tok[1:] if tok in ("\\{", "\\}", "\\&", "\\%", "\\_", "\\#") else tok)

    def seq(self, until=None) -> str:
        out = []
        while True:
            tok = self.peek()
            if tok is None:
                if until is not None:
                    raise ReportError(f"LaTeX {self.src!r}: unbalanced braces")
                break
            self.next()
            if tok == until:
                break
            out.append(self.atom(tok))
        return _join(out)

    def atom(self, tok) -> str:
        if tok.isspace():
            return " "
        if tok in ("^", "_"):
            arg = self.group().strip()
            simple = re.fullmatch(r"[A-Za-z0-9]|[0-9]+|\|\|", arg)
            return tok + (arg if simple else f"({arg})")
        if tok == "{":
            return self.seq(until="}")
        if tok == "&":
            return " & "
        if tok == "\\\\":
            return " \\\n "
        if tok.startswith("\\"):
            return self.command(tok[1:])
        if re.fullmatch(r"[A-Za-z]", tok):
            return tok
        if tok in ('"', "#", "$"):
            return "\\" + tok
        return tok

    def left(self) -> str:
        r"""``\left X ... \right Y``: norms and bars scale with ``lr``; others as written."""
        dmap = {"\\|": "||", ".": "", "\\{": "{", "\\}": "}"}
        a = self.next()
        body = self.seq(until="\\right")
        b = self.next()
        a, b = dmap.get(a, a), dmap.get(b, b)
        if (a, b) in (("||", "||"), ("|", "|")):
            return f"lr({a} {body.strip()} {b})"
        return f"{a}{body}{b}"

    def command(self, name) -> str:
        if name in _SPACES:
            return " " + _SPACES[name] + " " if _SPACES[name] else ""
        if name == "|":
            return "||"
        if name in ("{", "}", "%", "&", "#", "_"):
            return "\\" + name if name in ("{", "}", "#", "_") else name
        if name in ("frac", "tfrac", "dfrac"):
            a, b = self.group(), self.group()
            return f"({a.strip()})/({b.strip()})"
        if name == "left":
            return self.left()
        if name in ("right", "bigl", "bigr", "big", "Big", "bigg"):
            d = self.next()
            return {"\\|": "||", ".": "", "\\{": "{", "\\}": "}"}.get(d, d)
        if name in ("text", "textrm", "mathrm", "operatorname", "textit", "mbox"):
            body = self.raw_group()
            if name == "operatorname":
                return f"op({typst_string(body)})"
            return typst_string(body) if name != "mathrm" else f"upright({typst_string(body)})"
        if name == "mathbb":
            body = self.raw_group()
            return {"R": "RR", "N": "NN", "Z": "ZZ", "C": "CC", "Q": "QQ"}.get(body, body)
        if name in ("tilde", "hat", "bar", "overline", "vec", "dot"):
            arg = self.group().strip()
            fn = {"overline": "overline", "bar": "macron"}.get(name, name)
            return f"{fn}({arg})"
        if name == "sqrt":
            return f"sqrt({self.group().strip()})"
        if name in _SIMPLE:
            sym = _SIMPLE[name]
            return sym if re.fullmatch(r"[A-Za-z.]+", sym) else f" {sym} "
        return f"upright({typst_string(name)})"


def _join(parts) -> str:
    """Concatenate, keeping adjacent letters apart (``hz`` -> ``h z``) and spaces single."""
    out = ""
    for p in parts:
        if out and p and re.match(r"[A-Za-z0-9]", p[0]) and re.search(r"[A-Za-z]$", out):
            out += " "
        elif out and p and re.match(r"[A-Za-z]", p[0]) and re.search(r"[0-9]$", out):
            out += " "
        out += p
    out = re.sub(r"[ ]{2,}", " ", out)
    return out


def tex2typst(latex: str) -> str:
    """Translate one LaTeX math string (no ``$``) to Typst math (no ``$``)."""
    out = _P(latex).seq()
    out = re.sub(r"\(\s+", "(", out)
    out = re.sub(r"\s+\)", ")", out)
    out = re.sub(r"[ ]{2,}", " ", out)
    return out.strip()


def split_prose(text: str) -> list:
    """Split prose with inline ``$...$`` into ``("text", s)`` and ``("math", s)`` pieces."""
    out = []
    for k, piece in enumerate(re.split(r"(?<!\\)\$", text)):
        if piece:
            out.append(("math" if k % 2 else "text", piece))
    return out


def prose2typst(text: str) -> str:
    """Prose with inline LaTeX math into Typst markup."""
    return "".join(f"${tex2typst(p)}$" if kind == "math" else typst_escape(p)
                   for kind, p in split_prose(text))

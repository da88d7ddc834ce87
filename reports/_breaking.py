r"""Break long display formulas (LaTeX strings) into aligned rows for both engines.

A formula is cut, in this order, where a reader expects it:

1. into statements at top-level ``,\quad``, ``,\qquad``, ``;\ ``, ``;\quad`` and before
   ``\implies``;
2. each statement at its top-level relations (``\le``, ``\ge``, ``=``), one row per
   relation, aligned on it;
3. a side still wider than ``width`` at top-level ``+`` / ``-``; a single parenthesised
   group still too wide is opened and cut at its own ``+`` (``\left( ... \right)`` become
   ``\bigl( ... \bigr)``, which may span rows).

"Top level" ignores braces, ``( ) [ ]``, ``\left ... \right``, ``\| ... \|`` and ``| ... |`` pairs.

>>> rows = break_rows(r"a \le b + c + d", width=6)
>>> [(r.latex_lhs, r.latex_rel, r.latex_rhs) for r in rows]
[('a', '\\le', 'b + c'), ('', '', '+ d')]
>>> [r.latex_rhs for r in break_rows(r"s \ge m - (p + q + r)", width=9)]
['m - \\bigl(p + q', '+ r\\bigr)']
"""

from __future__ import annotations

import re

from .latex2typst import tex2typst
from .model import Math, MathRow

__all__ = ["break_rows", "broken_math", "visible_len", "typst_row"]

_STATEMENT_SEPS = (r",\qquad", r",\quad", r";\quad", r";\ ")
_RELATIONS = (r" \le ", r" \ge ", r" = ")
_TYPST_REL = {r"\le": "<=", r"\ge": ">=", "=": "=", r"\implies": "==>"}


def visible_len(s: str) -> int:
    """Rough printed width of a LaTeX math string (commands count as one character)."""
    s = re.sub(r"\\(left|right|bigl|bigr|operatorname|frac|tfrac|text|mathrm)\b", "", s)
    s = re.sub(r"\\text\{([^}]*)\}", r"\1", s)
    s = re.sub(r"\\[A-Za-z]+", "x", s)
    return len(re.sub(r"[{}_^\\ ]", "", s))


def _scan(s: str):
    """Yield ``(index, depth)`` for every character of ``s`` (depth before it)."""
    depth, i, norm_open, bar_open = 0, 0, False, False
    while i < len(s):
        m = re.match(r"\\(left|right)(\\[|{}]|\\?[A-Za-z]+|.)", s[i:])
        if m:
            # like "(" and ")": an opener reports the depth before it, a closer the depth after
            if m.group(1) == "left":
                for k in range(m.end()):
                    yield i + k, depth
                depth += 1
            else:
                depth -= 1
                for k in range(m.end()):
                    yield i + k, depth
            i += m.end()
            continue
        if s.startswith(r"\|", i):
            if not norm_open:
                yield i, depth
                yield i + 1, depth
                depth += 1
            else:
                depth -= 1
                yield i, depth
                yield i + 1, depth
            norm_open = not norm_open
            i += 2
            continue
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in "{}()[]":
            yield i, depth
            yield i + 1, depth
            i += 2
            continue
        ch = s[i]
        if ch == "|":
            if not bar_open:
                yield i, depth
                depth += 1
            else:
                depth -= 1
                yield i, depth
            bar_open = not bar_open
            i += 1
            continue
        if ch in "{([":
            yield i, depth
            depth += 1
        elif ch in "})]":
            depth -= 1
            yield i, depth
        else:
            yield i, depth
        i += 1


def _top_cuts(s: str, needles, level: int = 0) -> list:
    """Start indices of ``needles`` found at ``level`` in ``s``."""
    out = []
    for i, d in _scan(s):
        if d == level:
            for n in needles:
                if s.startswith(n, i):
                    out.append((i, n))
                    break
    return out


def _split_at(s: str, cuts) -> list:
    pieces, start = [], 0
    for i, n in cuts:
        pieces.append(s[start:i])
        start = i + len(n)
    pieces.append(s[start:])
    return pieces


def _remark_cuts(s: str) -> list:
    """Top-level ``\\text{...}`` of more than 36 characters not at the start: a remark row."""
    out = []
    for i, _ in _top_cuts(s, (r"\text{",)):
        body = re.match(r"\\text\{([^}]*)\}", s[i:])
        if i > 0 and body and len(body.group(1)) > 36:
            out.append((i, ""))
    return out[:1]


def _statements(tex: str) -> list:
    out = []
    for piece in _split_at(tex, _top_cuts(tex, _STATEMENT_SEPS)):
        parts = _split_at(piece, _top_cuts(piece, (r" \implies ",)))
        for k, p in enumerate(parts):
            head, *rest = _split_at(p, _remark_cuts(p))
            out.append((r"\implies " if k else "") + head.strip())
            out += [r.strip() for r in rest]
    return [p for p in out if p]


def _sum_pieces(s: str, level: int = 0) -> list:
    """``s`` cut before each ``+`` / ``-`` at ``level``."""
    cuts = [(i, "") for i, n in _top_cuts(s, (" + ", " - "), level)]
    return [p.strip() for p in _split_at(s, [(i + 1, "") for i, _ in cuts])]


def _groups(piece: str) -> list:
    """``(start, len(opener), close, len(closer))`` of each top-level ``( )`` group."""
    out, start = [], None
    for i, d in _scan(piece):
        if d != 0 or (i and piece[i - 1] == "\\"):
            continue
        if start is None:
            if piece.startswith(r"\left(", i):
                start = (i, len(r"\left("))
            elif piece[i] == "(" and not piece[:i].endswith(r"\left"):
                start = (i, 1)
        elif piece.startswith(r"\right)", i):
            out.append((*start, i, len(r"\right)")))
            start = None
        elif piece[i] == ")" and not piece[:i].endswith(r"\right"):
            out.append((*start, i, 1))
            start = None
    return out


def _open_group(piece: str) -> list:
    """Cut the widest top-level ``( ... )`` group of ``piece`` at its own ``+`` / ``-``."""
    groups = _groups(piece)
    if not groups:
        return [piece]
    a, la, b, lb = max(groups, key=lambda g: g[2] - g[0])
    parts = _sum_pieces(piece[a + la:b])
    if len(parts) < 2:
        return [piece]
    parts[0] = piece[:a] + r"\bigl(" + parts[0]
    parts[-1] = parts[-1] + r"\bigr)" + piece[b + lb:]
    return parts


def _fill(pieces, width) -> list:
    rows, cur = [], ""
    for p in pieces:
        if cur and visible_len(cur) + visible_len(p) > width:
            rows.append(cur)
            cur = p
        else:
            cur = f"{cur} {p}".strip()
    rows.append(cur)
    return rows


def _side_rows(side: str, width: int) -> list:
    if visible_len(side) <= width:
        return [side]
    pieces = []
    for p in _sum_pieces(side):
        pieces += _open_group(p) if visible_len(p) > width else [p]
    return _fill(pieces, width)


def typst_row(piece: str) -> str:
    return tex2typst(piece.replace(r"\bigl(", "(").replace(r"\bigr)", ")"))


def break_rows(tex: str, width: int = 62, label=None) -> list:
    """Rows (:class:`~reports.model.MathRow`) of ``tex`` no wider than about ``width``."""
    rows = []
    for st in _statements(tex.strip()):
        cuts = _top_cuts(st, _RELATIONS)
        if visible_len(st) <= width or not cuts:
            for r in _side_rows(st, width):
                rows.append(MathRow("", r, "", typst_row(r), None, "", ""))
            continue
        parts = _split_at(st, cuts)
        lhs = parts[0].strip()
        room = max(width - visible_len(lhs) - 2, width // 2)
        for k, ((_, rel), rhs) in enumerate(zip(cuts, parts[1:], strict=True)):
            rel = rel.strip()
            for j, r in enumerate(_side_rows(rhs.strip(), room)):
                first = j == 0
                rows.append(MathRow(lhs if (first and k == 0) else "", r,
                                    typst_row(lhs) if (first and k == 0) else "", typst_row(r), None,
                                    rel if first else "", _TYPST_REL.get(rel, rel) if first
                                    else ""))
    if label is not None and rows:
        r0 = rows[0]
        rows[0] = MathRow(r0.latex_lhs, r0.latex_rhs, r0.typst_lhs, r0.typst_rhs, label,
                          r0.latex_rel, r0.typst_rel)
    return rows


def broken_math(tex: str, width: int = 62, label=None) -> Math:
    """:func:`break_rows` as a display; a formula that fits stays one unaligned line."""
    rows = break_rows(tex, width, label)
    if len(rows) == 1 and not rows[0].latex_lhs:
        return Math((MathRow("", rows[0].latex_rhs, "", rows[0].typst_rhs, label, "", ""),))
    if len(rows) == 1:
        r = rows[0]
        joined = f"{r.latex_lhs} {r.latex_rel} {r.latex_rhs}"
        return Math((MathRow("", joined, "", typst_row(joined), label, "", ""),))
    return Math(tuple(rows))

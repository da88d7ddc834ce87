"""Buffers and source lines of a generated kernel (private; :mod:`numeric._codegen`).

A linear scan over the lowered operations assigns buffers: a temporary whose last use is
the current operation lends its buffer to the result (in place), a dead temporary's
buffer is reused by the next one of the same shape, requested outputs are the caller's
arrays, and a slice of a stacked product is a view. Each operation becomes one NumPy
call writing with ``out=``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

__all__ = ["Val", "emit", "ELEMENTARY", "UFUNC", "CALL"]


@dataclass
class Val:
    """One value of the intermediate representation."""

    dims: tuple  # row dimension names (summed), e.g. ("H",) or ("H", "H", "H")
    col: bool  # a (d, 1) column
    kind: str  # input | temp | output | view
    base: int | None = None  # views: the value they slice
    rows: tuple = ()  # views: (dims before, dims of the view)


#: SymPy's elementary functions that a coefficient may contain (an activation's derivative
#: written in its own value, e.g. ``1 - exp(-y)`` for softplus) -> NumPy ufunc names; all
#: analytic, so complex step through them stays exact (no Abs, sign, max)
ELEMENTARY = {sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.sinh: "sinh",
              sp.cosh: "cosh", expm1: "expm1", log1p: "log1p"}
#: operation kind -> the NumPy ufunc it calls with ``out=``
UFUNC = {"add": "np.add", "sub": "np.subtract", "mul": "np.multiply", "div": "np.divide",
         "neg": "np.negative", "tanh": "np.tanh", "pow": "np.power", "sqrt": "np.sqrt",
         "heaviside": "np.heaviside", "maximum": "np.maximum", "minimum": "np.minimum",
         **{name: f"np.{name}" for name in ELEMENTARY.values()}}
#: operation kind -> the in-place kernel of :mod:`numeric._activations` it calls
CALL = {"sigmoid": "_sigmoid", "sigmoid_c": "_sigmoid_c", "sech2": "_sech2",
        "pair": "_sigmoid_pair"}


def emit(name, vals, ops, inputs, out_vals, weights):
    """The kernel's source from its operations ``ops`` ((kind, dsts, srcs, extra), value
    ids into ``vals``): (source, temporary shapes, argument names, dimension names).
    ``inputs`` and ``out_vals`` are the value ids of the arguments ``a<k>`` and ``o<k>``;
    ``weights`` the stacked weights ``w<k>``."""
    last = {}
    for i, (_, _, srcs, _) in enumerate(ops):
        for s in srcs:
            if isinstance(s, int):
                last[s] = i
                if vals[s].kind == "view":
                    last[vals[s].base] = max(last.get(vals[s].base, i), i)
    for i, (_, dsts, _, _) in enumerate(ops):  # results never read die where made
        for d in dsts:
            last.setdefault(d, i)
    loc: dict = {}
    for k, v in enumerate(inputs):
        loc[v] = f"a{k}"
    for k, v in enumerate(out_vals):
        loc[v] = f"o{k}"
    regs, free, lines = [], {}, []
    for i, (kind, dsts, srcs, extra) in enumerate(ops):
        dying = [s for s in dict.fromkeys(srcs) if isinstance(s, int)
                 and vals[s].kind == "temp" and last.get(s) == i]
        inplace = kind not in ("matmul", "copy")
        for d in dsts:
            if vals[d].kind != "temp":
                continue
            key = (vals[d].dims, vals[d].col)
            pick = None
            if inplace:
                pick = next((s for s in dying if (vals[s].dims, vals[s].col) == key
                             and loc[s] not in (loc.get(x) for x in dsts)), None)
            if pick is not None:
                loc[d] = loc[pick]
                dying.remove(pick)
            elif free.get(key):
                loc[d] = free[key].pop()
            else:
                loc[d] = f"t{len(regs)}"
                regs.append(key)
        for s in srcs:  # views read by this op, whose base dies here
            if isinstance(s, int) and vals[s].kind == "view":
                b = vals[s].base
                if last.get(b) == i and vals[b].kind == "temp" and b not in dying:
                    dying.append(b)
        for s in dying:
            free.setdefault((vals[s].dims, vals[s].col), []).append(loc[s])
        for d in dsts:
            if vals[d].kind == "temp" and last.get(d) == i and d not in dying:
                free.setdefault((vals[d].dims, vals[d].col), []).append(loc[d])
        for s in srcs:
            if isinstance(s, int) and vals[s].kind == "view" and s not in loc:
                before, d = vals[s].rows
                lo = "+".join(f"_d_{x}" for x in before) or "0"
                loc[s] = f"{loc[vals[s].base]}[{lo}:{lo}+_d_{d}]"
        lines.append(_line(kind, [loc[d] for d in dsts],
                           [loc[s] if isinstance(s, int) else repr(s) for s in srcs], extra,
                           weights))
    dims = sorted({d for key, _ in regs for d in key} | {vals[v].dims[0] for v in inputs})
    args = ([f"_d_{d}" for d in dims] + [f"a{k}" for k in range(len(inputs))]
            + [f"w{k}" for k in range(len(weights))]
            + [f"o{k}" for k in range(len(out_vals))]
            + [f"t{k}" for k in range(len(regs))])
    body = lines or ["pass"]
    src = f"def {name}({', '.join(args)}):\n" + "".join(f"    {ln}\n" for ln in body)
    return src.rstrip("\n"), tuple(regs), tuple(args), tuple(dims)


def _line(kind, d, s, extra, weights):
    """One operation as a NumPy call: destinations ``d``, sources ``s`` (names or literals)."""
    if kind == "matmul":
        return f"np.matmul(w{weights.index(extra)}, {s[0]}, out={d[0]})"
    if kind == "copy":
        return f"np.copyto({d[0]}, {s[0]})"
    if kind in ("pair", "sech2"):
        return f"{CALL[kind]}({s[0]}, {d[0]}, {d[1]})"
    if kind == "act":
        return f"_act{extra}({s[0]}, {d[0]})"
    if kind in CALL:
        return f"{CALL[kind]}({s[0]}, {d[0]})"
    return f"{UFUNC[kind]}({', '.join(s)}, out={d[0]})"

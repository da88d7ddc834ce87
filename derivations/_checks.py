"""Checks of the cell language's arguments, run when a cell is written (private).

Every check raises :class:`~derivations.DerivationError` naming the argument and the value,
so a bad cell fails where it is written, never later inside a derivation, a proof or the
generated NumPy code.

Names (cells, symbols, dimensions) must be Python identifiers that are not keywords and do
not start with ``_``: generated code names its own values ``_pre_z``, ``_cse0``, ``_mv0``,
``_d_H``, ... Every other identifier works end to end (``out``, ``np``, ``I``, ``E``,
``beta``, ``lambda_``, ``sigmoid``, ...): the generated kernels never print a user's name.

>>> check_name("W_hz", "weight name")
'W_hz'
>>> check_name("in put", "symbol name")
Traceback (most recent call last):
...
derivations._errors.DerivationError: symbol name must be a Python identifier (letters, digits, _), got 'in put'
"""

from __future__ import annotations

import keyword
import numbers

import sympy as sp

from ._errors import DerivationError
from .functions import ACTIVATIONS, is_activation

__all__ = ["expr_dim", "check_name", "check_text", "check_names", "check_expr", "check_layout",
           "only_in_matvec", "check_default", "check_init_range", "MAX_NAME_LENGTH"]

#: longer names are refused (they only arrive by mistake, e.g. a whole expression as a name)
MAX_NAME_LENGTH = 100


def check_name(value, what: str) -> str:
    """``value`` if it is a usable name; DerivationError naming ``what`` otherwise."""
    if not isinstance(value, str):
        raise DerivationError(f"{what} must be a string, got {value!r} "
                              f"({type(value).__name__})")
    if not value.isidentifier():
        raise DerivationError(f"{what} must be a Python identifier (letters, digits, _), "
                              f"got {value!r}")
    if keyword.iskeyword(value):
        raise DerivationError(f"{what} {value!r} is a Python keyword; use e.g. {value + '_'!r}")
    if value.startswith("_"):
        raise DerivationError(f"{what} {value!r} starts with '_', which is reserved for the "
                              "names of generated code")
    if len(value) > MAX_NAME_LENGTH:
        raise DerivationError(f"{what} is {len(value)} characters long (at most "
                              f"{MAX_NAME_LENGTH}): {value[:40]!r}...")
    return value


def check_text(value, what: str, *, optional: bool = False, empty: bool = True):
    """A free-text argument (reference, LaTeX, role): a string, or None when ``optional``."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or (not empty and not value.strip()):
        kind = "a non-empty string" if not empty else "a string"
        raise DerivationError(f"{what} must be {kind}{' or None' if optional else ''}, "
                              f"got {value!r} ({type(value).__name__})")
    return value


def check_names(names, what: str) -> tuple:
    """Several names, as a space-separated string or a list/tuple of strings."""
    if isinstance(names, str):
        parts = tuple(names.split())
    elif isinstance(names, (list, tuple)):
        parts = tuple(names)
    else:
        raise DerivationError(f"{what} must be a space-separated string or a list of names, "
                              f"got {names!r} ({type(names).__name__})")
    if not parts:
        raise DerivationError(f"{what} names nothing: {names!r}")
    return parts


def check_default(value, what: str) -> float:
    """A finite real number (not a bool), as a float; DerivationError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, sp.Expr)):
        raise DerivationError(f"{what} must be a finite real number, got {value!r} "
                              f"({type(value).__name__})")
    v = sp.sympify(value)
    if v.free_symbols or not _constant_ok(v):
        raise DerivationError(f"{what} must be a finite real number, got {value!r}")
    return float(v)


def check_init_range(value, what: str) -> tuple:
    """``(low, high)``: two finite reals with ``low < high``; DerivationError otherwise."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise DerivationError(f"{what} must be a pair (low, high), got {value!r}")
    low, high = (check_default(v, what) for v in value)
    if not low < high:
        raise DerivationError(f"{what} must have low < high, got {value!r}")
    return (low, high)


def _constant_ok(e) -> bool:
    return e.is_extended_real is True and e.is_finite is True


def check_expr(expr, name: str, weights, matvec) -> sp.Expr:
    """``expr`` as a SymPy expression of the cell language, or DerivationError.

    Allowed: symbols, finite real constants, ``+``, ``*``, ``**`` with a constant exponent,
    ``W @ v`` (``matvec``) and the activations. Strings are refused (SymPy would parse
    ``"I"`` as the imaginary unit and ``"beta"`` as the beta function).
    """
    where = f"the definition of {name!r}"
    if isinstance(expr, (str, bytes)):
        raise DerivationError(f"{where} is the string {expr!r}; build expressions from the "
                              "symbols the CellBuilder returned (strings are not parsed)")
    if isinstance(expr, bool) or not isinstance(expr, (sp.Expr, numbers.Real)):
        raise DerivationError(f"{where} must be an expression of the cell's symbols, got "
                              f"{expr!r} ({type(expr).__name__})")
    expr = sp.sympify(expr)
    for e in sp.preorder_traversal(expr):
        if isinstance(e, sp.Symbol) or isinstance(e, (sp.Add, sp.Mul)):
            continue
        if isinstance(e, matvec):
            if e.args[0] not in weights:
                raise DerivationError(f"{e.args[0]} in {name!r} is not a declared weight")
            continue
        if isinstance(e, sp.Pow):
            if not (e.exp.is_Number and _constant_ok(e.exp)):
                raise DerivationError(f"exponent {e.exp} in {name!r} must be a number")
            continue
        if is_activation(e) or isinstance(e, (sp.Max, sp.Min)):
            continue
        if e.is_Atom and not e.free_symbols:
            if not _constant_ok(e):
                raise DerivationError(f"{where} contains the constant {e}, which is not a "
                                      "finite real number")
            continue
        if isinstance(e, sp.Function) or isinstance(type(e), sp.FunctionClass):
            raise DerivationError(f"unknown function {type(e).__name__!r} in {where}; known: "
                                  f"{', '.join(ACTIVATIONS)}")
        raise DerivationError(f"{where} contains {e} ({type(e).__name__}), which the cell "
                              "language does not know; use +, *, ** by a number, W @ v and "
                              f"{', '.join(ACTIVATIONS)}")
    return expr


def check_layout(layout: dict, cell_name: str, weights: dict, biases: dict,
                 symbol_names: set) -> None:
    """Each packed entry stacks distinct weights of one shape, or distinct biases of one
    dimension; no parameter is in two entries; no entry is named like a symbol."""
    owner = {}
    for packed, parts in layout.items():
        where = f"layout {packed!r} of cell {cell_name!r}"
        if packed in symbol_names:
            raise DerivationError(f"{where}: the packed name is also a symbol of the cell")
        bad = [p for p in parts if p not in weights and p not in biases]
        if bad:
            raise DerivationError(f"layout {packed!r} names unknown parameters {bad}; "
                                  f"weights {sorted(weights)}, biases {sorted(biases)}")
        for p in parts:
            if p in owner:
                where2 = ("twice" if owner[p] == packed
                          else f"in layout {owner[p]!r} and in layout {packed!r}")
                raise DerivationError(f"{where}: parameter {p!r} appears {where2}")
            owner[p] = packed
        kinds = {p in weights for p in parts}
        if len(kinds) > 1:
            raise DerivationError(f"{where} mixes weights and biases: {list(parts)}")
        table = weights if parts[0] in weights else biases
        shapes = {p: table[p] for p in parts}
        if len(set(shapes.values())) > 1:
            desc = ", ".join(f"{p} {s}" for p, s in shapes.items())
            raise DerivationError(f"{where} stacks parameters of different shapes: {desc}")


def only_in_matvec(expr, W, matvec) -> bool:
    """True if every occurrence of matrix symbol ``W`` in ``expr`` is as ``matvec``'s matrix."""
    if expr == W:
        return False
    if isinstance(expr, matvec):
        return only_in_matvec(expr.operand, W, matvec)
    return all(only_in_matvec(a, W, matvec) for a in expr.args)


def expr_dim(expr, where: str, dims: dict, weight_shapes: dict, scalars) -> str | None:
    """The dimension name of the vector expression ``expr`` (``None`` for a constant or a
    scalar, which broadcast), or DerivationError naming the mismatch. A weight's column
    dimension is inferred from its first ``W @ v`` (``weight_shapes`` is updated)."""
    from ._cell import MatVec

    def dim(e):
        if e.is_Number or not e.free_symbols:
            return None
        if isinstance(e, sp.Symbol):
            return dims.get(e)  # a scalar has none: it broadcasts
        if isinstance(e, MatVec):
            W = e.matrix
            d = dim(e.operand)
            rows, cols = weight_shapes[W]
            named = [s.name for s in e.operand.free_symbols if s in scalars]
            if d is None and named:
                raise DerivationError(f"{W.name} @ {e.operand} in {where!r}: {named[0]!r} "
                                      "is a scalar (cb.scalar); a weight applies to a vector")
            if d is None:
                raise DerivationError(f"{W.name} @ {e.operand} in {where!r}: a weight applies "
                                      "to a vector, not to a constant")
            if cols is None:
                weight_shapes[W] = (rows, d)
            elif cols != d:
                raise DerivationError(
                    f"shapes cannot match in {where!r}: {W.name} has {cols} columns but is "
                    f"applied to {e.operand} of dimension {d}")
            return rows
        if isinstance(e, sp.Pow):
            return dim(e.base)
        found_by = {a: dim(a) for a in e.args}
        found = {d for d in found_by.values() if d is not None}
        if len(found) > 1:
            desc = ", ".join(f"{a} ({d})" for a, d in found_by.items() if d is not None)
            raise DerivationError(f"shapes cannot match in {where!r}: {desc}")
        return found.pop() if found else None

    return dim(expr)

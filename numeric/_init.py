"""Random parameters for a cell: :func:`init` (private; public as ``numeric.init``)."""

from __future__ import annotations

import numpy as np
import sympy as sp

import derivations as dv
from derivations.facts import Role
from derivations.functions import ACTIVATIONS

from ._errors import NumericError
from ._validate import check_memory, finite_real, float_dtype, positive_int, seed_value
from .params import (
    Params,
    _array_dims,
    _check_sizes,
    _one_input,
    recurrent_weights,
    resolve_cell,
)

__all__ = ["init", "SCHEMES"]

#: the schemes :func:`init` knows
SCHEMES = ("pytorch", "orthogonal", "chrono", "irnn")


def init(cell, hidden_size: int, input_size: int, convention=None, *, scheme: str = "pytorch",
         seed: int = 0, dtype=np.float64, scale: float = 1.0, t_max=None,
         sizes=None) -> Params:
    r"""Random parameters.

    Schemes: ``pytorch`` draws every weight and bias from :math:`U(-k, k)`,
    :math:`k = 1/\sqrt{H}`; ``orthogonal`` makes each recurrent matrix orthogonal (input
    weights as ``pytorch``, biases zero); ``chrono`` (Tallec & Ollivier 2018) is ``pytorch``
    with the carrying gate's bias :math:`\pm\log U[1, T_{max} - 1]` (sign so that the gate
    carries: ``+`` for LSTM ``f`` and PyTorch/Cho GRU ``z``, ``-`` for the seed GRU's ``z``),
    the LSTM input-gate bias its negative, set once (input-side bias) with the recurrent-side
    bias of those gates zero. ``scale`` multiplies the recurrent weights.

    Parameters
    ----------
    cell : str or derivations.Cell
    hidden_size, input_size : int
        Sizes of the hidden (the states', unless a state has a dimension of its own) and
        input dimensions (positive integers).
    convention : str, optional
    scheme : {'pytorch', 'orthogonal', 'chrono', 'irnn'}
    seed : int
        A non-negative integer.
    dtype : float32 or float64
    scale : float
        A finite real number.
    t_max : float
        For ``scheme='chrono'``: the longest dependency, a finite number > 2 (checked when
        given, ignored by the other schemes, so one call can serve every scheme).
    sizes : dict, optional
        The sizes of a cell's other dimensions (``{"K": 5}`` for a weight declared with
        ``rows="K"``; the LSTMP's projection, ``{"P": 2}``, the size of its state ``h``).

    Raises
    ------
    NumericError
        Before any allocation: naming a bad argument and its value, a dimension of the cell
        with no size, or the memory the parameters need when it is not available.

    >>> p = init("lstm", 3, 2, scheme="chrono", t_max=100, seed=0)
    >>> bool((p.arrays["b_if"] >= 0).all() and (p.arrays["b_hf"] == 0).all())
    True
    """
    c = _one_input(resolve_cell(cell, convention))
    H = positive_int(hidden_size, "hidden_size")
    I_ = positive_int(input_size, "input_size")
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise NumericError(f"unknown scheme {scheme!r}; valid: "
                           f"{', '.join(repr(s) for s in SCHEMES)}")
    seed = seed_value(seed)
    dtype = float_dtype(dtype)
    scale = finite_real(scale, "scale")
    if (t_max is None and scheme == "chrono") or (
            t_max is not None and finite_real(t_max, "t_max") <= 2):
        raise NumericError(f"scheme 'chrono' needs a finite t_max > 2, got t_max={t_max!r}")
    dims = _init_sizes(c, H, I_, sizes)
    rec = recurrent_weights(c)
    if scheme == "irnn":
        _check_irnn(c, rec)
    for w, expr in c.derived.items():  # a derived recurrent weight: its parameters are
        if w.name in rec:               # drawn (and scaled) as recurrent weights
            rec = (*rec, *(m.name for m in expr.atoms(sp.MatrixSymbol)))
    _check_init_memory(c, dims, scheme, dtype)
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(H)
    arrays = {}
    for W in c.parameter_weights:
        shape = tuple(dims[d] for d in c.weight_shapes[W])
        if scheme == "irnn" and W.name in rec:
            a = np.eye(*shape)
            rng.uniform(-k, k, size=shape)  # the same draws as pytorch for the others
        elif scheme == "orthogonal" and W.name in rec:
            q, r = np.linalg.qr(rng.normal(size=(max(shape), max(shape))))
            a = (q * np.sign(np.diag(r)))[: shape[0], : shape[1]]
        else:
            a = rng.uniform(-k, k, size=shape)
        arrays[W.name] = a * scale if W.name in rec else a
    for b in c.biases:
        n = dims[c.dims[b]]
        low, high = c.vector_init.get(b, (-k, k))
        if scheme in ("orthogonal", "irnn") and b not in c.vectors:
            arrays[b.name] = np.zeros(n)
        else:
            arrays[b.name] = rng.uniform(low, high, size=n)
    if scheme == "chrono":
        _chrono(c, arrays, rng, float(t_max), H)
    return Params(c, arrays, dtype=dtype,
                  sizes={d: n for d, n in dims.items() if d not in _array_dims(c)})


def _check_irnn(c, rec) -> None:
    """NumericError naming the cell unless it has recurrent weights, all square (H x H)."""
    if not rec:
        raise NumericError(f"scheme 'irnn' needs a recurrent weight matrix; cell {c.title!r} "
                           "applies no weight to its state (an elementwise recurrence?)")
    derived = [w.name for w in c.derived if w.name in rec]
    if derived:
        raise NumericError(f"scheme 'irnn' sets each recurrent weight to the identity, but "
                           f"cell {c.title!r} computes its recurrent weight {derived[0]} = "
                           f"{c.derived[c.symbol(derived[0])]} from other parameters")
    bad = [f"{n} {c.weight_shapes[c.symbol(n)]}" for n in rec
           if len(set(c.weight_shapes[c.symbol(n)])) != 1]
    if bad:
        raise NumericError(f"scheme 'irnn' sets each recurrent weight to the identity, but "
                           f"cell {c.title!r} has non-square recurrent weights: "
                           f"{', '.join(bad)}")


def _init_sizes(c, H, I_, sizes) -> dict:
    """Every dimension's size for :func:`init`: hidden, input, then ``sizes``."""
    hidden, inp = c.hidden_dim, c.dims[c.inputs[0]]
    if c.input_in_state_dim and I_ != H:
        raise NumericError(f"cell {c.title!r} reads its input {c.inputs[0].name!r} in the "
                           f"state dimension {hidden}, so input_size must equal hidden_size "
                           f"= {H}, got {I_}")
    given = {hidden: "hidden_size", inp: "input_size"}
    dims = {hidden: H}
    dims.setdefault(inp, I_)
    dims.update(_check_sizes(c, sizes, given))
    missing = [d for d in c.dimensions if d not in dims]
    if missing:
        where = {d: [W.name for W in c.weights if d in c.weight_shapes[W]] for d in missing}
        desc = ", ".join(f"{d} (of {', '.join(w) or 'a vector'})" for d, w in where.items())
        raise NumericError(f"init: cell {c.title!r} has dimension(s) {desc} besides "
                           f"hidden_size and input_size; pass their sizes, e.g. "
                           f"sizes={{{missing[0]!r}: 4}}")
    return dims


def _check_init_memory(c, dims, scheme, dtype):
    """NumericError if the parameters (float64 draws, then the ``dtype`` copies) cannot fit."""
    shapes = [tuple(dims[d] for d in c.weight_shapes[W]) for W in c.parameter_weights]
    shapes += [(dims[c.dims[b]],) for b in c.biases]
    counts = [int(np.prod(s, dtype=object)) for s in shapes]
    total = sum(counts)
    nbytes = total * (8 + dtype.itemsize) + 8 * max(counts, default=0)
    if scheme == "orthogonal":
        nbytes += 3 * 8 * max((max(s) ** 2 for s in shapes), default=0)
    H, I_ = dims[c.hidden_dim], dims[c.dims[c.inputs[0]]]
    check_memory(nbytes, f"the {total} parameters of init({c.title!r}, hidden_size={H}, "
                         f"input_size={I_})", hint="use a smaller hidden_size")


def _chrono(c, arrays, rng, t_max, H):
    carrying = c.carrying
    if carrying is None:
        raise NumericError(f"cell {c.title!r} has no carrying gate; 'chrono' does not apply")
    gate = carrying.gate.name
    sign = 1.0 if carrying.towards == 1 else -1.0
    b = np.log(rng.uniform(1.0, t_max - 1.0, size=H))
    defs = {q.symbol.name: q.expr for q in c.quantities}
    if not _direct_biases(c, defs[gate]):
        # the gate reads its biases through other quantities (minLSTM's f / (f + i), the
        # RG-LRU's exp(-c r softplus(-Lambda)), the sLSTM's exp(log f + m - m')): each
        # bias it reads moves it one way; push each towards carrying
        for name, towards_sign in _biases_towards(c, carrying).items():
            arrays[name] = towards_sign * b
        return
    settings = {gate: sign * b}
    for q in c.quantities:  # the LSTM's input gate opposite its forget gate (not the
        # carrying gate itself when it is the cell's input gate: gated AntisymmetricRNN's z)
        if q.role is Role.INPUT_GATE and q.symbol.name != gate:
            settings[q.symbol.name] = -sign * b
    for g, value in settings.items():
        if g not in defs:
            raise NumericError(f"cell {c.title!r}: carrying gate {g!r} is not a quantity")
        biases = _direct_biases(c, defs[g])
        if not biases:
            raise NumericError(f"gate {g!r} of cell {c.title!r} has no bias for 'chrono'")
        arrays[biases[0]] = value
        for n in biases[1:]:
            arrays[n] = np.zeros(H)


def _direct_biases(c, expr) -> list:
    """The biases ``expr`` reads itself (not an elementwise weight such as BR's w_c)."""
    return [s.name for s in c.biases if s in expr.free_symbols and s not in c.vectors]


def _biases_towards(c, carrying) -> dict:
    """Bias name -> the sign (+1 or -1) of a large value that moves the carrying gate towards
    its carrying value, for every bias the gate reads through the quantities it is defined
    from, at zero weights, inputs and states (the gate as a function of that bias alone)."""
    gate = carrying.gate
    quantities = {q.symbol: q.expr for q in c.quantities}  # (a next state too: m')
    expr = quantities[gate]
    for _ in range(len(quantities)):  # the gate in the cell's own vectors
        new = expr.xreplace(quantities)
        if new == expr:
            break
        expr = new
    zero = {m: 0 for m in expr.atoms(dv.MatVec)}
    zero.update({s: 0 for s in (*c.states, *c.inputs, *c.vectors)})
    zero.update(c.scalars)
    expr = expr.xreplace(zero)
    biases = [b for b in c.biases if b in expr.free_symbols]
    numpy_of = {a.function.__name__: a.numpy for a in ACTIVATIONS.values()}
    f = sp.lambdify(biases, expr, modules=[numpy_of, "numpy"])  # numbers, not SymPy's Max
    out = {}
    for k, b in enumerate(biases):
        lo, hi = (float(f(*(v if j == k else 0.0 for j in range(len(biases)))))
                  for v in (-3.0, 3.0))
        if lo != hi:
            up = (hi > lo) == (carrying.towards == 1)   # which sign moves it to carrying
            out[b.name] = 1.0 if up else -1.0
    if not out:
        raise NumericError(f"gate {gate.name!r} of cell {c.title!r} reads no bias for 'chrono'")
    return out

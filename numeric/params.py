r"""Parameters of a cell: one array per weight and bias symbol, PyTorch's packed layout on top.

A :class:`Params` holds the arrays of one cell by symbol name (``W_hz``, ``b_in``, ...).
For cells with a packed layout (Elman, GRU, LSTM, MGU) the PyTorch-style stacks are views
computed on demand, e.g. for the GRU (gate order r, z, n)

.. math::

    \mathtt{weight\_hh} = \begin{bmatrix} W_{hr} \\ W_{hz} \\ W_{hn} \end{bmatrix}
    \in \mathbb{R}^{3H \times H}.

>>> import numpy as np
>>> from numeric import init
>>> p = init("gru", hidden_size=4, input_size=3, seed=1)
>>> p.weight_hh.shape, p.weight_ih.shape, p.bias_hh.shape   # (3H, H), (3H, I), (3H,)
((12, 4), (12, 3), (12,))
>>> bool(np.array_equal(p.weight_hh[4:8], p.arrays["W_hz"]))
True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp

import derivations as dv

from ._errors import NumericError
from ._memo import per_object
from ._validate import (
    as_float_array,
    check_memory,
    finite_real,
    float_dtype,
    positive_int,
)

__all__ = ["Params", "from_arrays", "resolve_cell", "recurrent_weights"]


def resolve_cell(cell, convention=None):
    """A :class:`derivations.Cell` from a name (and convention) or a Cell."""
    try:
        return dv.cell(cell, convention)
    except dv.DerivationError as exc:
        raise NumericError(str(exc)) from None


def _one_input(cell):
    """``cell`` if it reads exactly one input vector (the engine's case)."""
    if len(cell.inputs) != 1:
        raise NumericError(f"cell {cell.title!r} has {len(cell.inputs)} inputs "
                           f"{[s.name for s in cell.inputs]}; the engine supports one")
    return cell


def _expected(cell, s) -> str:
    """The expected shape of parameter ``s`` in dimension names: ``(H, I)`` or ``(H,)``."""
    if s in cell.weight_shapes:
        return "(%s, %s)" % cell.weight_shapes[s]
    return "(%s,)" % cell.dims[s]


def _check_copies(values, dtype, what):
    """NumericError before converting arrays whose checks and copies cannot fit (a
    broadcast view can stand for terabytes): per element, the copy and a finiteness mask."""
    n = sum(int(v.size) for v in values if isinstance(v, np.ndarray))
    item = 8 if dtype is None else np.dtype(dtype).itemsize
    check_memory(n * (item + 1), f"copies of the parameter arrays of {what} ({n} numbers)")


def _array_dims(cell) -> set:
    """The dimensions the parameter arrays of ``cell`` fix by their shapes."""
    return ({d for s in cell.parameter_weights for d in cell.weight_shapes[s]}
            | {cell.dims[b] for b in cell.biases})


def _sizes(cell, arrays, given=None):
    """Every dimension size of ``cell``: from the arrays' shapes, then ``given`` for the
    dimensions no array fixes; NumericError naming the array and shape on conflicts."""
    sizes, seen = {}, {}
    for s in cell.parameter_weights:
        a = arrays[s.name]
        if a.ndim != 2:
            raise NumericError(f"weight {s.name!r} has shape {a.shape}; expected a matrix "
                               f"of shape {_expected(cell, s)}")
        for d, n in zip(cell.weight_shapes[s], a.shape, strict=True):
            _bind(sizes, seen, d, n, s.name, a.shape)
    for s in cell.biases:
        a = arrays[s.name]
        if a.ndim != 1:
            raise NumericError(f"bias {s.name!r} has shape {a.shape}; expected "
                               f"{_expected(cell, s)}")
        _bind(sizes, seen, cell.dims[s], a.shape[0], s.name, a.shape)
    for d, n in (given or {}).items():
        _bind(sizes, seen, d, n, f"sizes[{d!r}]", None)
    missing = [d for d in cell.dimensions if d not in sizes]
    if missing:
        raise NumericError(f"cannot infer the size of dimension(s) {missing} of cell "
                           f"{cell.title!r} from its arrays; pass sizes={{{missing[0]!r}: ...}}")
    return sizes


def _bind(sizes, seen, d, n, name, shape):
    what = f"{name!r} has shape {shape}" if shape is not None else f"{name} = {n}"
    if n < 1:
        raise NumericError(f"{what}: dimension {d} must be at least 1, got {d} = {n}")
    if d in sizes and sizes[d] != n:
        raise NumericError(f"{what}, so {d} = {n}, but {seen[d]} already fixed {d} = {sizes[d]}")
    sizes.setdefault(d, int(n))
    seen.setdefault(d, f"{name!r}")


def _check_sizes(cell, sizes, skip=()) -> dict:
    """``sizes`` (dimension name -> positive int) for dimensions of ``cell`` not in ``skip``."""
    if sizes is None:
        return {}
    if not isinstance(sizes, dict):
        raise NumericError(f"sizes must be a dict of dimension name -> size, got {sizes!r} "
                           f"({type(sizes).__name__})")
    out = {}
    for d, n in sizes.items():
        if d not in cell.dimensions:
            raise NumericError(f"sizes names dimension {d!r}, which cell {cell.title!r} does "
                               f"not have; its dimensions: {list(cell.dimensions)}")
        if d in skip:
            raise NumericError(f"sizes[{d!r}]: {d} is given by {skip[d]}, not by sizes")
        out[d] = positive_int(n, f"sizes[{d!r}]")
    return out


def recurrent_weights(cell) -> tuple:
    """Names of the weights applied to something that depends on a state (recurrent)."""
    if cell.layout is not None and "weight_hh" in cell.layout:
        return tuple(cell.layout["weight_hh"])
    dep = set(cell.states)
    for q in cell.quantities:
        if q.expr.free_symbols & dep:
            dep.add(q.symbol)
    out = []
    for q in cell.quantities:
        for mv in q.expr.atoms(dv.MatVec):
            if mv.operand.free_symbols & dep and mv.matrix.name not in out:
                out.append(mv.matrix.name)
    return tuple(n for n in (w.name for w in cell.weights) if n in out)


class Params:
    """The parameter arrays of one cell.

    Parameters
    ----------
    cell : derivations.Cell
    arrays : dict
        Symbol name -> ndarray, one per weight (matrix) and bias (vector) of ``cell``.
    dtype : numpy dtype, optional
        float32 or float64 (default: float32 if every array is float32, else float64).
    sizes : dict, optional
        Sizes of dimensions no array fixes by its shape (``{"E": 4}`` for an input
        dimension that no weight reads); the others are inferred from the arrays.

    Raises
    ------
    NumericError
        Naming the array, its shape and the dimension: a missing, ``None``, non-float,
        non-finite or wrongly shaped array, an empty dimension, sizes that contradict each
        other, or more memory than is available for the copies.
    """

    __slots__ = ("cell", "arrays", "dtype", "hidden_size", "input_size", "sizes", "_extra",
                 "memo")

    def __init__(self, cell, arrays: dict, dtype=None, *, sizes=None):
        cell = _one_input(resolve_cell(cell))
        if not isinstance(arrays, Mapping):
            raise NumericError(f"arrays must be a dict of parameter name -> array, got "
                               f"{type(arrays).__name__}")
        names = [s.name for s in (*cell.parameter_weights, *cell.biases)]
        scalar_names = [s.name for s in cell.scalars]
        derived = [n.name for n in cell.derived if n.name in arrays]
        if derived:
            raise NumericError(f"{derived[0]!r} of cell {cell.title!r} is a derived weight, "
                               f"{derived[0]} = {cell.derived[cell.symbol(derived[0])]}: pass "
                               "the parameters it is computed from, not it")
        missing = [n for n in names if n not in arrays]
        extra = [n for n in arrays if n not in names and n not in scalar_names]
        if missing or extra:
            more = f" (and optional scalars {scalar_names})" if scalar_names else ""
            raise NumericError(f"cell {cell.title!r} needs arrays {names}{more}; "
                               f"missing {missing}, unknown {extra}")
        scalars = _scalars(cell, arrays)
        if dtype is not None:
            dtype = float_dtype(dtype)
        _check_copies([arrays[n] for n in names], dtype, f"cell {cell.title!r}")
        raw = {}
        for s in (*cell.parameter_weights, *cell.biases):
            v = arrays[s.name]
            if v is None:
                raise NumericError(f"parameter {s.name!r} is None; expected an array of shape "
                                   f"{_expected(cell, s)}")
            raw[s.name] = as_float_array(v, f"parameter {s.name!r}")
        if dtype is None:
            kinds = {a.dtype for a in raw.values()}
            dtype = np.dtype(np.float32) if kinds == {np.dtype(np.float32)} else np.dtype(np.float64)
        dims = _array_dims(cell)
        sizes = _sizes(cell, raw, _check_sizes(cell, sizes))
        arrs = {}
        for n, a in raw.items():
            a = np.array(a, dtype=dtype, order="C", copy=True)
            a.setflags(write=False)
            arrs[n] = a
        for n, v in scalars.items():  # 0-d arrays of the params' dtype
            a = np.array(v, dtype=dtype)
            a.setflags(write=False)
            arrs[n] = a
        for w, expr in cell.derived.items():  # computed once, read-only like the others
            a = np.ascontiguousarray(materialize(expr, arrs, dtype))
            a.setflags(write=False)
            arrs[w.name] = a
        self.cell, self.arrays, self.dtype = cell, arrs, dtype
        self.hidden_size = sizes[cell.hidden_dim]
        self.input_size = sizes[cell.dims[cell.inputs[0]]]
        self.sizes = {d: int(n) for d, n in sizes.items()}
        self._extra = {d: n for d, n in self.sizes.items() if d not in dims}
        #: values derived from these arrays, each kept by the function computing it
        #: (:func:`numeric._memo.per_object`: weight stacks, bias columns, estimates)
        self.memo = {}

    # -- views -----------------------------------------------------------------------
    @property
    def state_sizes(self) -> tuple:
        """The size of each state, in the order of ``cell.states``: ``(H,)`` for the GRU,
        ``(H, H)`` for the LSTM, ``(P, H)`` for the LSTMP (``h`` projected to ``P``)."""
        return tuple(self.sizes[d] for d in self.cell.state_dims)

    @property
    def state_size(self) -> int:
        """The size of the full state, the sum of :attr:`state_sizes` (``S*H`` when every
        state has the hidden size): the side of the full state Jacobian."""
        return sum(self.state_sizes)

    @property
    def convention(self):
        return self.cell.convention

    @property
    def name(self) -> str:
        return self.cell.name

    def packed(self, key: str) -> np.ndarray:
        """The stack of the layout entry ``key`` (``weight_ih``, ``bias_hh``, ...)."""
        layout = self.cell.layout
        if layout is None:
            raise NumericError(f"cell {self.cell.title!r} has no packed layout; address its "
                               f"parameters by symbol name: {sorted(self.arrays)}")
        if key not in layout:
            raise NumericError(f"cell {self.cell.title!r} has no packed {key!r}; "
                               f"layout keys: {sorted(layout)}")
        return _stack(self, tuple(layout[key]), False)

    @property
    def weight_ih(self) -> np.ndarray:
        """(G*H, I) input weights in the layout's gate order."""
        return self.packed("weight_ih")

    @property
    def weight_hh(self) -> np.ndarray:
        """(G*H, H) recurrent weights in the layout's gate order."""
        return self.packed("weight_hh")

    @property
    def bias_ih(self) -> np.ndarray:
        return self.packed("bias_ih")

    @property
    def bias_hh(self) -> np.ndarray:
        return self.packed("bias_hh")

    def stacked(self, names: tuple, *, transpose: bool = False) -> np.ndarray:
        """Row-stack the named weights (cached); ``transpose`` gives the C-contiguous transpose."""
        return _stack(self, tuple(names), bool(transpose))

    # -- copies ----------------------------------------------------------------------
    def astype(self, dtype) -> Params:
        """A copy in ``dtype`` (float32 or float64)."""
        return Params(self.cell, self.parameters, dtype=float_dtype(dtype), sizes=self._extra)

    @property
    def parameters(self) -> dict:
        """The arrays a parameter set is made of (name -> array): :attr:`arrays` without
        the derived weights, which are computed from them."""
        derived = {w.name for w in self.cell.derived}
        return {k: v for k, v in self.arrays.items() if k not in derived}

    def with_arrays(self, **changes) -> Params:
        """A copy with some arrays (or scalars) replaced, by symbol name."""
        unknown = [k for k in changes if k not in self.arrays]
        if unknown:
            raise NumericError(f"cell {self.cell.title!r} has no parameters {unknown}; "
                               f"known: {sorted(self.arrays)}")
        return Params(self.cell, {**self.parameters, **changes}, dtype=self.dtype,
                      sizes=self._extra)

    def __repr__(self):
        own = any(d != self.cell.hidden_dim for d in self.cell.state_dims)
        states = f"state_sizes={self.state_sizes}, " if own else ""
        return (f"Params({self.cell.title!r}, hidden_size={self.hidden_size}, "
                f"input_size={self.input_size}, {states}dtype={self.dtype.name})")


def materialize(expr, arrays, dtype) -> np.ndarray:
    """The value of a derived weight's matrix expression (weights, their transposes, the
    identity, number and scalar coefficients; :meth:`derivations.CellBuilder.derived_weight`)
    from the parameter ``arrays`` (name -> array, scalars as 0-d arrays)."""
    n = arrays[next(iter(expr.atoms(sp.MatrixSymbol))).name].shape[0]

    def value(e):
        if isinstance(e, sp.MatrixSymbol):
            return arrays[e.name]
        if isinstance(e, sp.Transpose):
            return value(e.arg).T
        if isinstance(e, sp.MatAdd):
            return sum(value(a) for a in e.args)
        if isinstance(e, sp.Identity):
            return np.eye(n, dtype=dtype)
        if isinstance(e, sp.MatMul):
            mats = [a for a in e.args if isinstance(a, sp.MatrixExpr)]
            if len(mats) == 1:
                scale = _scalar_value(sp.Mul(*(a for a in e.args if a not in mats)), arrays)
                return dtype.type(scale) * value(mats[0])
        raise NumericError(f"derived weight term {e} ({type(e).__name__}) cannot be evaluated")

    return value(expr).astype(dtype, copy=False)


def _scalar_value(expr, arrays) -> float:
    values = {s: float(arrays[s.name]) for s in expr.free_symbols}
    return float(sp.sympify(expr).xreplace(values))


def _scalars(cell, arrays) -> dict:
    """Each scalar of ``cell`` (name -> float): from ``arrays`` when given (a finite real
    number or 0-d array; > 0 for a scalar declared ``positive=True``), else its declared
    default."""
    out = {}
    for s, default in cell.scalars.items():
        v = arrays.get(s.name)
        if v is None:
            out[s.name] = float(default)
            continue
        if isinstance(v, np.ndarray):
            if v.shape != ():
                raise NumericError(f"scalar {s.name!r} has shape {v.shape}; expected a number "
                                   "or a 0-d array")
            if v.dtype.kind not in "fiu":
                raise NumericError(f"scalar {s.name!r} has dtype {v.dtype}; expected a real "
                                   "number")
            v = v.item()
        out[s.name] = finite_real(v, f"scalar {s.name!r}")
        if s.is_positive and not out[s.name] > 0:
            raise NumericError(f"scalar {s.name!r} is declared positive (cb.scalar(..., "
                               f"positive=True)); got {v!r}")
    return out


def scalar_values(params) -> dict:
    """Scalar name -> its value (a float) in ``params``."""
    return {s.name: float(params.arrays[s.name]) for s in params.cell.scalars}


@per_object
def _stack(params, names: tuple, transpose: bool) -> np.ndarray:
    """The named arrays stacked along axis 0 (read-only), or that stack's C-contiguous
    transpose: the packed layouts and the engine's stacked GEMM weights."""
    out = np.concatenate([params.arrays[n] for n in names], axis=0)
    if transpose:
        out = np.ascontiguousarray(out.T)
    out.setflags(write=False)
    return out


def from_arrays(cell, weight_ih=None, weight_hh=None, bias_ih=None, bias_hh=None, *,
                convention=None, dtype=None, **by_symbol) -> Params:
    """Parameters from PyTorch-packed arrays and/or arrays by symbol name.

    Packed arrays are split along axis 0 into the layout's gate blocks (equal sizes);
    a missing packed bias is zero (PyTorch ``bias=False``). A keyword naming another
    packed entry of the cell's layout works too. A cell without such a layout entry whose
    symbol is named ``weight_ih`` (...) gets that array by name. Symbols named ``cell``,
    ``convention`` or ``dtype`` cannot be passed here: use :class:`Params` with a dict.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = from_arrays("elman", weight_ih=rng.normal(size=(5, 2)), weight_hh=np.eye(5))
    >>> p.hidden_size, p.input_size, float(p.bias_hh.sum())
    (5, 2, 0.0)
    """
    c = resolve_cell(cell, convention)
    if dtype is not None:
        dtype = float_dtype(dtype)
    layout = c.layout or {}
    symbols = {s.name for s in (*c.parameter_weights, *c.biases, *c.scalars)}
    named = {"weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih,
             "bias_hh": bias_hh}
    packed, by_name = {}, {}
    for key, value in named.items():
        if value is None:
            continue
        if key in layout:
            packed[key] = value
        elif key in symbols:
            by_name[key] = value
        elif not layout:
            raise NumericError(f"cell {c.title!r} has no packed layout ({key} given); pass its "
                               f"parameters by symbol name: {sorted(symbols)}")
        else:
            raise NumericError(f"cell {c.title!r} has no packed {key!r} ({key} given); "
                               f"layout keys: {sorted(layout)}")
    for key, value in by_symbol.items():
        (packed if key in layout else by_name)[key] = value
    _check_copies(list(packed.values()) + list(by_name.values()), dtype, f"cell {c.title!r}")
    arrays = {}
    for key, value in packed.items():
        for n, block in _unpack(c, key, value, dtype).items():
            arrays[n] = block
    ref = next((a for n, a in arrays.items() if _rows(c, n) == c.hidden_dim), None)
    for key, parts in layout.items():  # a packed bias not given is zero (bias=False)
        is_bias = all(c.symbol(n) not in c.weight_shapes for n in parts)
        if (is_bias and key not in packed and ref is not None
                and not any(n in by_name for n in parts)):
            for n in parts:
                arrays.setdefault(n, np.zeros(ref.shape[0], dtype=ref.dtype))
    for k, v in by_name.items():
        if k in arrays:
            raise NumericError(f"parameter {k!r} is given both packed and by name")
        arrays[k] = v
    return Params(c, arrays, dtype=dtype)


def _rows(cell, name):
    """The row dimension of parameter ``name`` (a bias's dimension)."""
    s = cell.symbol(name)
    return cell.weight_shapes[s][0] if s in cell.weight_shapes else cell.dims[s]


def _unpack(cell, key, value, dtype) -> dict:
    """Split the packed array ``key`` into its gate blocks, by symbol name."""
    parts = cell.layout[key]
    if value is None:
        return {}
    arr = as_float_array(value, key)
    is_weight = cell.symbol(parts[0]) in cell.weight_shapes
    want = 2 if is_weight else 1
    G = len(parts)
    expected = ("(G*%s, %s)" % cell.weight_shapes[cell.symbol(parts[0])] if is_weight
                else "(G*%s,)" % cell.dims[cell.symbol(parts[0])])
    if arr.ndim != want or arr.shape[0] == 0 or arr.shape[0] % G or 0 in arr.shape:
        raise NumericError(f"{key} has shape {arr.shape}; expected {expected} with G = {G} "
                           f"gates ({', '.join(parts)}) and every dimension at least 1")
    return dict(zip(parts, np.split(arr, G, axis=0), strict=True))


r"""Parameters of a cell: one array per weight and bias symbol, PyTorch's packed layout on top.

A :class:`Params` holds the arrays of one cell by symbol name (``W_hz``, ``b_in``, ...).
For cells with a packed layout (Elman, GRU, LSTM, MGU) the PyTorch-style stacks are views
computed on demand, e.g. for the GRU (gate order r, z, n)

.. math::

    \mathtt{weight\_hh} = \begin{bmatrix} W_{hr} \\ W_{hz} \\ W_{hn} \end{bmatrix}
    \in \mathbb{R}^{3H \times H}.

>>> import numpy as np
>>> p = init("gru", hidden_size=4, input_size=3, seed=1)
>>> p.weight_hh.shape, p.weight_ih.shape, p.bias_hh.shape   # (3H, H), (3H, I), (3H,)
((12, 4), (12, 3), (12,))
>>> bool(np.array_equal(p.weight_hh[4:8], p.arrays["W_hz"]))
True
"""

from __future__ import annotations

import numpy as np

import derivations as dv

from ._errors import NumericError
from ._validate import as_float_array

__all__ = ["Params", "from_arrays", "init", "resolve_cell", "recurrent_weights"]


def resolve_cell(cell, convention=None):
    """A :class:`derivations.Cell` from a name (and convention) or a Cell."""
    try:
        return dv.cell(cell, convention)
    except dv.DerivationError as exc:
        raise NumericError(str(exc)) from None


def _sizes(cell, arrays):
    """Infer dimension sizes (``H``, ``I``) from the arrays; NumericError on conflicts."""
    sizes, seen = {}, {}
    for s in cell.weights:
        dims = cell.weight_shapes[s]
        a = arrays[s.name]
        if a.ndim != 2:
            raise NumericError(f"weight {s.name!r} has shape {a.shape}; expected a matrix "
                               f"of shape ({dims[0]}, {dims[1]})")
        pairs = zip(dims, a.shape, strict=True)
        for d, n in pairs:
            _bind(sizes, seen, d, n, s.name, a.shape)
    for s in cell.biases:
        a = arrays[s.name]
        d = cell.dims[s]
        if a.ndim != 1:
            raise NumericError(f"bias {s.name!r} has shape {a.shape}; expected ({d},)")
        _bind(sizes, seen, d, a.shape[0], s.name, a.shape)
    return sizes


def _bind(sizes, seen, d, n, name, shape):
    if d in sizes and sizes[d] != n:
        raise NumericError(f"{name!r} has shape {shape}, so {d} = {n}, but {seen[d]} "
                           f"already fixed {d} = {sizes[d]}")
    if n < 1:
        raise NumericError(f"{name!r} has shape {shape}: {d} must be positive")
    sizes.setdefault(d, n)
    seen.setdefault(d, f"{name!r}")


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
    """

    __slots__ = ("cell", "arrays", "dtype", "hidden_size", "input_size", "sizes", "_cache")

    def __init__(self, cell, arrays: dict, dtype=None):
        cell = resolve_cell(cell)
        if len(cell.inputs) != 1:
            raise NumericError(f"cell {cell.title!r} has {len(cell.inputs)} inputs "
                               f"{[s.name for s in cell.inputs]}; the engine supports one")
        names = [s.name for s in (*cell.weights, *cell.biases)]
        missing = [n for n in names if n not in arrays]
        extra = [n for n in arrays if n not in names]
        if missing or extra:
            raise NumericError(f"cell {cell.title!r} needs arrays {names}; "
                               f"missing {missing}, unknown {extra}")
        if dtype is None:
            kinds = {np.asarray(arrays[n]).dtype for n in names}
            dtype = np.float32 if kinds == {np.dtype(np.float32)} else np.float64
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise NumericError(f"dtype must be float32 or float64, got {dtype}")
        arrs = {}
        for n in names:
            a = as_float_array(arrays[n], f"parameter {n!r}", dtype)
            a = np.array(a, dtype=dtype, order="C", copy=True)
            a.setflags(write=False)
            arrs[n] = a
        sizes = _sizes(cell, arrs)
        H = sizes.get(cell.dims[cell.states[0]])
        I_ = sizes.get(cell.dims[cell.inputs[0]])
        if H is None or I_ is None:
            raise NumericError(f"cannot infer the sizes of cell {cell.title!r} from its arrays")
        self.cell, self.arrays, self.dtype = cell, arrs, dtype
        self.hidden_size, self.input_size = int(H), int(I_)
        self.sizes = {d: int(n) for d, n in sizes.items()}
        self._cache = {}

    # -- views -----------------------------------------------------------------------
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
        hit = self._cache.get(("packed", key))
        if hit is None:
            hit = np.concatenate([self.arrays[n] for n in layout[key]], axis=0)
            hit.setflags(write=False)
            self._cache[("packed", key)] = hit
        return hit

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
        key = ("stack", names, transpose)
        hit = self._cache.get(key)
        if hit is None:
            hit = np.concatenate([self.arrays[n] for n in names], axis=0)
            if transpose:
                hit = np.ascontiguousarray(hit.T)
            hit.setflags(write=False)
            self._cache[key] = hit
        return hit

    # -- copies ----------------------------------------------------------------------
    def astype(self, dtype) -> Params:
        """A copy in ``dtype`` (float32 or float64)."""
        return Params(self.cell, self.arrays, dtype=dtype)

    def with_arrays(self, **changes) -> Params:
        """A copy with some arrays replaced, by symbol name."""
        unknown = [k for k in changes if k not in self.arrays]
        if unknown:
            raise NumericError(f"cell {self.cell.title!r} has no parameters {unknown}; "
                               f"known: {sorted(self.arrays)}")
        return Params(self.cell, {**self.arrays, **changes}, dtype=self.dtype)

    def __repr__(self):
        return (f"Params({self.cell.title!r}, hidden_size={self.hidden_size}, "
                f"input_size={self.input_size}, dtype={self.dtype.name})")


def from_arrays(cell, weight_ih=None, weight_hh=None, bias_ih=None, bias_hh=None, *,
                convention=None, dtype=None, **by_symbol) -> Params:
    """Parameters from PyTorch-packed arrays and/or arrays by symbol name.

    Packed arrays are split along axis 0 into the layout's gate blocks (equal sizes);
    a missing packed bias is zero (PyTorch ``bias=False``).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = from_arrays("elman", weight_ih=rng.normal(size=(5, 2)), weight_hh=np.eye(5))
    >>> p.hidden_size, p.input_size, float(p.bias_hh.sum())
    (5, 2, 0.0)
    """
    c = resolve_cell(cell, convention)
    packed = {"weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih,
              "bias_hh": bias_hh}
    given = {k: v for k, v in packed.items() if v is not None}
    arrays = {}
    if given:
        if c.layout is None:
            raise NumericError(f"cell {c.title!r} has no packed layout; pass its parameters "
                               f"by symbol name: {[s.name for s in (*c.weights, *c.biases)]}")
        for key, parts in c.layout.items():
            if key not in packed:
                continue
            value = packed[key]
            if value is None:
                continue
            arr = as_float_array(value, key, dtype)
            G = len(parts)
            if arr.ndim not in (1, 2) or arr.shape[0] % G:
                raise NumericError(f"{key} has shape {arr.shape}; expected first axis "
                                   f"G*H with G = {G} gates ({', '.join(parts)})")
            for n, block in zip(parts, np.split(arr, G, axis=0), strict=True):
                arrays[n] = block
        ref = arrays.get(c.layout.get("weight_hh", ("",))[0])
        if ref is not None:
            H = ref.shape[0]
            for key in ("bias_ih", "bias_hh"):
                if key in c.layout and packed[key] is None:
                    for n in c.layout[key]:
                        arrays.setdefault(n, np.zeros(H, dtype=ref.dtype))
    for k, v in by_symbol.items():
        if k in arrays:
            raise NumericError(f"parameter {k!r} is given both packed and by name")
        arrays[k] = v
    return Params(c, arrays, dtype=dtype)


def init(cell, hidden_size: int, input_size: int, convention=None, *, scheme: str = "pytorch",
         seed: int = 0, dtype=np.float64, scale: float = 1.0, t_max=None) -> Params:
    r"""Random parameters.

    Schemes: ``pytorch`` draws every weight and bias from :math:`U(-k, k)`,
    :math:`k = 1/\sqrt{H}`; ``orthogonal`` makes each recurrent matrix orthogonal (input
    weights as ``pytorch``, biases zero); ``chrono`` (Tallec & Ollivier 2018) is ``pytorch``
    with the carrying gate's bias :math:`\pm\log U[1, T_{max} - 1]` (sign so that the gate
    carries: ``+`` for LSTM ``f`` and PyTorch/Cho GRU ``z``, ``-`` for the seed GRU's ``z``),
    the LSTM input-gate bias its negative, set once (input-side bias) with the recurrent-side
    bias of those gates zero. ``scale`` multiplies the recurrent weights.

    >>> p = init("lstm", 3, 2, scheme="chrono", t_max=100, seed=0)
    >>> bool((p.arrays["b_if"] >= 0).all() and (p.arrays["b_hf"] == 0).all())
    True
    """
    c = resolve_cell(cell, convention)
    for v, n in ((hidden_size, "hidden_size"), (input_size, "input_size")):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise NumericError(f"{n} must be a positive integer, got {v!r}")
    if scheme not in ("pytorch", "orthogonal", "chrono"):
        raise NumericError(f"unknown scheme {scheme!r}; valid: 'pytorch', 'orthogonal', 'chrono'")
    if not np.isfinite(scale):
        raise NumericError(f"scale must be finite, got {scale!r}")
    sizes = {c.dims[c.states[0]]: int(hidden_size), c.dims[c.inputs[0]]: int(input_size)}
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(hidden_size)
    rec = recurrent_weights(c)
    arrays = {}
    for W in c.weights:
        shape = tuple(sizes[d] for d in c.weight_shapes[W])
        if scheme == "orthogonal" and W.name in rec:
            q, r = np.linalg.qr(rng.normal(size=(max(shape), max(shape))))
            a = (q * np.sign(np.diag(r)))[: shape[0], : shape[1]]
        else:
            a = rng.uniform(-k, k, size=shape)
        arrays[W.name] = a * scale if W.name in rec else a
    for b in c.biases:
        n = sizes[c.dims[b]]
        arrays[b.name] = np.zeros(n) if scheme == "orthogonal" else rng.uniform(-k, k, size=n)
    if scheme == "chrono":
        _chrono(c, arrays, rng, t_max, hidden_size)
    return Params(c, arrays, dtype=dtype)


def _chrono(c, arrays, rng, t_max, H):
    if t_max is None or not np.isfinite(t_max) or t_max <= 2:
        raise NumericError(f"scheme 'chrono' needs t_max > 2, got t_max={t_max!r}")
    carrying = c.attributes.get("carrying")
    if not carrying:
        raise NumericError(f"cell {c.title!r} has no carrying gate; 'chrono' does not apply")
    gate, target = (s.strip() for s in carrying.split("->"))
    sign = 1.0 if target == "1" else -1.0
    b = np.log(rng.uniform(1.0, t_max - 1.0, size=H))
    settings = {gate: sign * b}
    for q in c.quantities:
        if q.role == "input gate":
            settings[q.symbol.name] = -settings.get(gate, sign * b)
    defs = {q.symbol.name: q.expr for q in c.quantities}
    for g, value in settings.items():
        biases = [s.name for s in c.biases if s in defs[g].free_symbols]
        if not biases:
            raise NumericError(f"gate {g!r} of cell {c.title!r} has no bias for 'chrono'")
        arrays[biases[0]] = value
        for n in biases[1:]:
            arrays[n] = np.zeros(H)

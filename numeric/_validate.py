"""Input checks shared by the public functions (private)."""

from __future__ import annotations

import numpy as np

from ._errors import NumericError

__all__ = ["as_float_array", "check_batch", "check_states", "check_inputs", "check_sequence"]


def as_float_array(value, name: str, dtype=None, *, allow_complex: bool = False) -> np.ndarray:
    """``value`` as a floating ndarray; NumericError for bad dtypes or non-finite entries."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - exotic objects
        raise NumericError(f"{name} is not array-like: {type(value).__name__}") from exc
    kind = arr.dtype.kind
    if kind == "c" and not allow_complex:
        raise NumericError(f"{name} has complex dtype {arr.dtype} (shape {arr.shape}); "
                           "expected a real floating array")
    if kind not in "fc":
        raise NumericError(f"{name} has dtype {arr.dtype} (shape {arr.shape}); "
                           "expected float32 or float64")
    if dtype is not None and kind == "f" and arr.dtype != dtype:
        arr = arr.astype(dtype)
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise NumericError(f"{name} (shape {arr.shape}) has {bad} non-finite entries")
    return arr


def check_batch(arr: np.ndarray, name: str, size: int, size_name: str, ndim: int = 2):
    if arr.ndim != ndim or arr.shape[-1] != size:
        want = "(B, %s=%d)" % (size_name, size) if ndim == 2 else "(T, B, %s=%d)" % (size_name, size)
        raise NumericError(f"{name} has shape {arr.shape}; expected {want}")
    return arr


def check_states(params, state, name="state", *, allow_complex=False) -> tuple:
    """The state as a tuple of (B, H) arrays in the order of ``cell.states``."""
    names = [s.name for s in params.cell.states]
    if len(names) == 1:
        if isinstance(state, (tuple, list)):
            if len(state) != 1:
                raise NumericError(f"{name} is a sequence of {len(state)} arrays; cell "
                                   f"{params.cell.title!r} has one state {names}")
            state = state[0]
        parts = (state,)
    else:
        if not isinstance(state, (tuple, list)) or len(state) != len(names):
            shape = getattr(state, "shape", None)
            raise NumericError(f"{name} must be a tuple of {len(names)} arrays {tuple(names)} "
                               f"for cell {params.cell.title!r}; got {type(state).__name__}"
                               + (f" of shape {shape}" if shape is not None else ""))
        parts = tuple(state)
    out = []
    H = params.hidden_size
    for n, p in zip(names, parts, strict=True):
        arr = as_float_array(p, f"{name} {n!r}" if len(names) > 1 else name, params.dtype,
                             allow_complex=allow_complex)
        out.append(check_batch(arr, f"{name} {n!r}" if len(names) > 1 else name, H, "H"))
    B = out[0].shape[0]
    for n, a in zip(names, out, strict=True):
        if a.shape[0] != B:
            raise NumericError(f"{name} {n!r} has batch size {a.shape[0]} (shape {a.shape}); "
                               f"{names[0]!r} has {B}")
    return tuple(out)


def check_inputs(params, x, B: int, name="x", *, allow_complex=False) -> np.ndarray:
    arr = as_float_array(x, name, params.dtype, allow_complex=allow_complex)
    check_batch(arr, name, params.input_size, "I")
    if arr.shape[0] != B:
        raise NumericError(f"{name} has batch size {arr.shape[0]} (shape {arr.shape}); "
                           f"the state has batch size {B}")
    return arr


def check_sequence(params, xs, B: int, name="xs") -> np.ndarray:
    arr = as_float_array(xs, name, params.dtype)
    check_batch(arr, name, params.input_size, "I", ndim=3)
    if arr.shape[1] != B:
        raise NumericError(f"{name} has batch size {arr.shape[1]} (shape {arr.shape}); "
                           f"the state has batch size {B}")
    if arr.shape[0] < 1:
        raise NumericError(f"{name} has no time steps (shape {arr.shape})")
    return arr

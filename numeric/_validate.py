"""Input checks shared by the public functions (private)."""

from __future__ import annotations

import math
import os

import numpy as np

from ._errors import NumericError

__all__ = ["as_float_array", "check_batch", "check_states", "check_inputs", "check_sequence",
           "check_params", "check_nonempty", "boolean", "choice", "require_memory",
           "positive_int", "seed_value", "finite_real", "byte_count", "float_dtype",
           "available_memory", "check_memory", "allocate"]


def _describe(value) -> str:
    """A short description of a bad argument: its type, and its value when short."""
    kind = type(value).__name__
    if value is None or isinstance(value, (bool, int, float, str, bytes, np.generic)):
        text = repr(value)
        return text if value is None else f"{text[:60]} ({kind})"
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{kind} of shape {shape}"
    if isinstance(value, (list, tuple, dict, set)):
        return f"{kind} of length {len(value)}"
    return kind


def check_params(params, name: str = "params"):
    """``params`` itself if it is a :class:`numeric.Params`; NumericError naming it otherwise.

    >>> check_params({"W_hh": 1})
    Traceback (most recent call last):
    ...
    numeric._errors.NumericError: params: expected numeric.Params (from numeric.init, from_arrays, load, from_torch or from_keras), got dict of length 1
    """
    from .params import Params

    if not isinstance(params, Params):
        raise NumericError(f"{name}: expected numeric.Params (from numeric.init, from_arrays, "
                           f"load, from_torch or from_keras), got {_describe(params)}")
    return params


def _compact(arr: np.ndarray) -> np.ndarray:
    """The distinct entries of a broadcast array: zero-stride axes reduced to length 1."""
    if arr.size == 0 or 0 not in arr.strides:
        return arr
    return arr[tuple(slice(0, 1) if st == 0 else slice(None) for st in arr.strides)]


def _count_nonfinite(arr: np.ndarray) -> int:
    """Non-finite entries of ``arr`` (broadcast copies counted), without a full-size temporary
    in the common case: the sum of finite values is finite unless it overflows."""
    small = _compact(arr)
    with np.errstate(all="ignore"):
        if small.size == 0 or np.isfinite(np.sum(small)):
            return 0
    if small.ndim == 0:
        return int(arr.size)
    bad = 0
    rows = max(1, (1 << 22) // max(1, small[0].size))  # about 4 M entries per pass
    for k in range(0, small.shape[0], rows):
        part = small[k:k + rows]
        bad += int(part.size - np.count_nonzero(np.isfinite(part)))
    return bad * (arr.size // small.size)


_NOT_ARRAYS = (str, bytes, dict, set, frozenset)


def as_float_array(value, name: str, dtype=None, *, allow_complex: bool = False) -> np.ndarray:
    """``value`` as a floating ndarray; NumericError for bad dtypes or non-finite entries.

    Nothing of the array's size is allocated unless a cast is needed, and a broadcast
    array (``np.broadcast_to``) stays a broadcast view, cast or not.

    >>> as_float_array(None, "x")
    Traceback (most recent call last):
    ...
    numeric._errors.NumericError: x is None; expected a float32 or float64 array
    """
    if value is None or isinstance(value, _NOT_ARRAYS):
        what = "None" if value is None else f"a {_describe(value)}"
        raise NumericError(f"{name} is {what}; expected a float32 or float64 array")
    try:
        arr = np.asarray(value)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NumericError(f"{name} is not array-like ({_describe(value)}): {first}") from None
    kind = arr.dtype.kind
    if kind == "c" and not allow_complex:
        raise NumericError(f"{name} has complex dtype {arr.dtype} (shape {arr.shape}); "
                           "expected a real floating array")
    if kind not in "fc":
        raise NumericError(f"{name} has dtype {arr.dtype} (shape {arr.shape}); "
                           "expected float32 or float64")
    bad = _count_nonfinite(arr)
    if bad:
        raise NumericError(f"{name} (shape {arr.shape}) has {bad} non-finite entries")
    if dtype is not None and kind == "f" and arr.dtype != dtype:
        small = _compact(arr)
        with np.errstate(over="ignore"):
            cast = small.astype(dtype)
        bad = _count_nonfinite(cast)
        if bad:
            raise NumericError(f"{name} (shape {arr.shape}) has {bad * (arr.size // small.size)}"
                               f" entries too large for {np.dtype(dtype)}")
        # a broadcast array stays a (read-only) broadcast view of its cast distinct entries
        arr = cast if small is arr else np.broadcast_to(cast, arr.shape)
    return arr


def check_batch(arr: np.ndarray, name: str, size: int, size_name: str, ndim: int = 2):
    if arr.ndim != ndim or arr.shape[-1] != size:
        want = "(B, %s=%d)" % (size_name, size) if ndim == 2 else "(T, B, %s=%d)" % (size_name, size)
        raise NumericError(f"{name} has shape {arr.shape}; expected {want}")
    return arr


def _state_parts(state, n: int):
    """``state`` split into its per-state arrays when it is a tuple/list of them (all
    ndarrays, or for one state a 1-sequence holding a nested list); None if it is one
    array-like (an ndarray or a nested list of numbers)."""
    if not isinstance(state, (tuple, list)) or not state:
        return None
    if all(isinstance(p, np.ndarray) for p in state):
        return tuple(state)
    if n > 1:
        return tuple(state)
    if len(state) == 1 and isinstance(state[0], (tuple, list)) and state[0] \
            and isinstance(state[0][0], (tuple, list, np.ndarray)):
        return tuple(state)
    return None


def check_states(params, state, name="state", *, allow_complex=False) -> tuple:
    """The state as a tuple of (B, H) arrays in the order of ``cell.states`` (each of its
    state's size: the LSTMP's ``h`` is (B, P)).

    A single-state cell takes one (B, H) array-like (or a 1-tuple of it); a multi-state
    cell a tuple with one array per state.
    """
    names = [s.name for s in params.cell.states]
    parts = _state_parts(state, len(names))
    if len(names) == 1:
        if parts is not None and len(parts) != 1:
            raise NumericError(f"{name} is a sequence of {len(parts)} arrays; cell "
                               f"{params.cell.title!r} has one state {names}")
        parts = (state,) if parts is None else parts
    elif parts is None or len(parts) != len(names):
        raise NumericError(f"{name} must be a tuple of {len(names)} arrays {tuple(names)} "
                           f"for cell {params.cell.title!r}; got {_describe(state)}")
    out = []
    for n, p, d in zip(names, parts, params.cell.state_dims, strict=True):
        label = f"{name} {n!r}" if len(names) > 1 else name
        arr = as_float_array(p, label, params.dtype, allow_complex=allow_complex)
        out.append(check_batch(arr, label, params.sizes[d], d))
    B = out[0].shape[0]
    for n, a in zip(names, out, strict=True):
        if a.shape[0] != B:
            raise NumericError(f"{name} {n!r} has batch size {a.shape[0]} (shape {a.shape}); "
                               f"{names[0]!r} has {B}")
    return tuple(out)


def check_inputs(params, x, B: int, name="x", *, allow_complex=False) -> np.ndarray:
    arr = as_float_array(x, name, params.dtype, allow_complex=allow_complex)
    check_batch(arr, name, params.input_size, params.cell.dims[params.cell.inputs[0]])
    if arr.shape[0] != B:
        raise NumericError(f"{name} has batch size {arr.shape[0]} (shape {arr.shape}); "
                           f"the state has batch size {B}")
    return arr


def check_sequence(params, xs, B: int, name="xs") -> np.ndarray:
    arr = as_float_array(xs, name, params.dtype)
    check_batch(arr, name, params.input_size, params.cell.dims[params.cell.inputs[0]],
                ndim=3)
    if arr.shape[1] != B:
        raise NumericError(f"{name} has batch size {arr.shape[1]} (shape {arr.shape}); "
                           f"the state has batch size {B}")
    if arr.shape[0] < 1:
        raise NumericError(f"{name} has no time steps (shape {arr.shape})")
    return arr


def check_nonempty(B: int, what: str) -> None:
    """NumericError for a check on batch size 0: a vacuous pass would mislead."""
    if B == 0:
        raise NumericError(f"nothing to check: batch size 0 ({what} has no samples)")


def boolean(value, name: str) -> bool:
    """``value`` as a bool: only ``True``/``False`` (and NumPy's bools) are accepted.

    >>> boolean("no", "full")
    Traceback (most recent call last):
    ...
    numeric._errors.NumericError: full must be True or False, got 'no' (str)
    """
    if not isinstance(value, (bool, np.bool_)):
        raise NumericError(f"{name} must be True or False, got {_describe(value)}")
    return bool(value)


def choice(value, name: str, options: tuple) -> str:
    """``value`` if it is one of the strings ``options``; NumericError naming it otherwise."""
    if not isinstance(value, str) or value not in options:
        raise NumericError(f"{name} must be one of {options}, got {_describe(value)}")
    return value


# -- knobs: scalar arguments checked by name, before any work --------------------------

def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def _finite(value) -> bool:
    """``math.isfinite`` of a real number; an int too large for a float is not finite
    (``np.isfinite`` raises TypeError on ints beyond 64 bits)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def positive_int(value, name: str, *, minimum: int = 1) -> int:
    """``value`` as an ``int >= minimum``; NumericError naming ``name`` otherwise.

    >>> positive_int(np.int64(3), "hidden_size")
    3
    >>> positive_int("3", "hidden_size")
    Traceback (most recent call last):
    ...
    numeric._errors.NumericError: hidden_size must be an integer >= 1, got '3' (str)
    """
    if not _is_int(value) or value < minimum:
        raise NumericError(f"{name} must be an integer >= {minimum}, got {value!r} "
                           f"({type(value).__name__})")
    return int(value)


def seed_value(value, name: str = "seed") -> int:
    """A seed for ``np.random.default_rng``: a non-negative integer.

    >>> seed_value(-1)
    Traceback (most recent call last):
    ...
    numeric._errors.NumericError: seed must be a non-negative integer, got -1 (int)
    """
    if not _is_int(value) or value < 0:
        raise NumericError(f"{name} must be a non-negative integer, got {value!r} "
                           f"({type(value).__name__})")
    return int(value)


def finite_real(value, name: str, *, positive: bool = False) -> float:
    """``value`` as a finite float (``> 0`` when ``positive``); strings and bools refused.

    >>> finite_real(2, "scale")
    2.0
    >>> finite_real(float("nan"), "scale")
    Traceback (most recent call last):
    ...
    numeric._errors.NumericError: scale must be a finite real number, got nan (float)
    """
    ok = _is_real(value) and _finite(value)
    if not ok or (positive and not value > 0):
        kind = "a finite positive" if positive else "a finite"
        raise NumericError(f"{name} must be {kind} real number, got {value!r} "
                           f"({type(value).__name__})")
    return float(value)


def byte_count(value, name: str) -> int:
    """A memory size in bytes: a finite positive number (floats such as ``1e9`` allowed).

    >>> byte_count(1e9, "max_bytes")
    1000000000
    >>> byte_count("1G", "store_bytes")
    Traceback (most recent call last):
    ...
    numeric._errors.NumericError: store_bytes must be a finite positive number of bytes, got '1G' (str)
    """
    if not _is_real(value) or not _finite(value) or not value >= 1:
        raise NumericError(f"{name} must be a finite positive number of bytes, got {value!r} "
                           f"({type(value).__name__})")
    return int(value)


def float_dtype(value, name: str = "dtype") -> np.dtype:
    """``float32`` or ``float64`` as a NumPy dtype; anything else refused by name.

    ``None`` is refused too (``np.dtype(None)`` would silently mean float64): callers
    whose ``dtype`` defaults to ``None`` resolve the default themselves.

    >>> float_dtype("float32").name
    'float32'
    """
    if value is None:
        raise NumericError(f"{name} must be float32 or float64, got None")
    try:
        dt = np.dtype(value)
    except TypeError as exc:
        raise NumericError(f"{name} must be float32 or float64, got {value!r}: {exc}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise NumericError(f"{name} must be float32 or float64, got {value!r} ({dt})")
    return dt


# -- memory: refuse what cannot fit, before allocating ---------------------------------

def available_memory() -> int | None:
    """Bytes of memory a new allocation can use now (Linux ``MemAvailable``; else the
    physical memory where the OS reports it; ``None`` when unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def _size(nbytes: int) -> str:
    for unit, k in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if nbytes >= 1 << k:
            return f"{nbytes / (1 << k):.3g} {unit}"
    return f"{nbytes} bytes"


def check_memory(nbytes: int, what: str, *, limit: int | None = None,
                 limit_name: str = "max_bytes", hint: str = "") -> None:
    """NumericError if ``what`` needs more than ``limit`` bytes or than the memory available.

    The message says how much was asked, what the limit is, and (``hint``) what to use
    instead.

    >>> check_memory(2**40, "a (1024, 4096, 4096) float64 Jacobian", limit=2**26,
    ...              hint="use numeric.jacobian_chunks")
    Traceback (most recent call last):
    ...
    numeric._errors.NumericError: a (1024, 4096, 4096) float64 Jacobian needs 1.02e+03 GiB, more than max_bytes = 64 MiB; use numeric.jacobian_chunks
    """
    if not _is_int(nbytes) or nbytes < 0:
        raise NumericError(f"nbytes must be a non-negative integer, got {nbytes!r} "
                           f"({type(nbytes).__name__})")
    if limit is not None and (not _is_int(limit) or limit < 0):
        raise NumericError(f"limit must be a non-negative integer or None, got {limit!r} "
                           f"({type(limit).__name__})")
    if not isinstance(what, str) or not isinstance(hint, str):
        raise NumericError("what and hint must be strings, got "
                           f"{type(what).__name__} and {type(hint).__name__}")
    nbytes = int(nbytes)
    tail = f"; {hint}" if hint else ""
    if limit is not None and nbytes > limit:
        raise NumericError(f"{what} needs {_size(nbytes)}, more than {limit_name} = "
                           f"{_size(int(limit))}{tail}")
    avail = available_memory()
    if avail is not None and nbytes > avail:
        raise NumericError(f"{what} needs {_size(nbytes)}, more than the {_size(avail)} of "
                           f"memory available{tail}")


#: below this size :func:`require_memory` skips the look-up of the available memory (35 us
#: on Linux, a third of a small ``step``); a failed small allocation is still a MemoryError
#: that :func:`allocate` turns into NumericError
SMALL_BYTES = 16 << 20


def require_memory(nbytes: int, what: str, *, limit: int | None = None,
                   limit_name: str = "max_bytes", hint: str = "") -> int:
    """:func:`check_memory` for a request of ``nbytes``, skipping the look-up of the available
    memory below :data:`SMALL_BYTES` (a ``limit`` is always enforced). Returns ``nbytes``."""
    nbytes = int(nbytes)
    if limit is not None or nbytes >= SMALL_BYTES:
        check_memory(nbytes, what, limit=limit, limit_name=limit_name, hint=hint)
    return nbytes


def allocate(shape, dtype, what: str, *, limit: int | None = None,
             limit_name: str = "max_bytes", hint: str = "") -> np.ndarray:
    """``np.empty(shape, dtype)`` after :func:`check_memory`; a MemoryError becomes
    NumericError with the same message."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    check_memory(nbytes, what, limit=limit, limit_name=limit_name, hint=hint)
    try:
        return np.empty(shape, dtype=dtype)
    except MemoryError:
        raise NumericError(f"{what} needs {_size(nbytes)}, which could not be allocated"
                           + (f"; {hint}" if hint else "")) from None

"""Input checks shared by the public functions (private)."""

from __future__ import annotations

import os

import numpy as np

from ._errors import NumericError

__all__ = ["as_float_array", "check_batch", "check_states", "check_inputs", "check_sequence",
           "positive_int", "seed_value", "finite_real", "byte_count", "float_dtype",
           "available_memory", "check_memory", "allocate"]


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


# -- knobs: scalar arguments checked by name, before any work --------------------------

def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


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
    ok = _is_real(value) and bool(np.isfinite(value))
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
    if not _is_real(value) or not np.isfinite(value) or not value >= 1:
        raise NumericError(f"{name} must be a finite positive number of bytes, got {value!r} "
                           f"({type(value).__name__})")
    return int(value)


def float_dtype(value, name: str = "dtype") -> np.dtype:
    """``float32`` or ``float64`` as a NumPy dtype; anything else refused by name.

    >>> float_dtype("float32").name
    'float32'
    """
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
    nbytes = int(nbytes)
    tail = f"; {hint}" if hint else ""
    if limit is not None and nbytes > limit:
        raise NumericError(f"{what} needs {_size(nbytes)}, more than {limit_name} = "
                           f"{_size(int(limit))}{tail}")
    avail = available_memory()
    if avail is not None and nbytes > avail:
        raise NumericError(f"{what} needs {_size(nbytes)}, more than the {_size(avail)} of "
                           f"memory available{tail}")


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

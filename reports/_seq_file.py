r"""A user's input sequence for ``gatebound analyze --inputs`` (private).

``seq.npy`` holds one array; ``seq.npz`` holds one (or several: pick one with
``seq.npz:key``). Read with ``allow_pickle=False`` (an object array is refused, never
unpickled). The array is ``(T, B, I)``, or ``(B, T, I)`` with ``batch_first``, or
``(T, I)`` (one sequence, :math:`B = 1`); it must hold finite real floats, and
:math:`I` must be the model's input size. Every check names the file, the shape or the value.

>>> import numpy as np, tempfile, os
>>> f = os.path.join(tempfile.mkdtemp(), "seq.npy")
>>> np.save(f, np.zeros((5, 3)))                       # (T, I)
>>> xs, shown = load_sequence(f, input_size=3)
>>> xs.shape                                           # (T, B = 1, I)
(5, 1, 3)
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import numpy as np

from ._errors import ReportError

__all__ = ["load_sequence", "split_spec"]


def split_spec(spec) -> tuple[Path, str | None]:
    """``seq.npz:key`` -> ``(Path('seq.npz'), 'key')``; a path without ``:key`` (or one
    that exists as written) -> ``(path, None)``."""
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
    if not isinstance(spec, str) or not spec.strip() or "\0" in spec:
        raise ReportError(f"--inputs must name a .npy or .npz file, got {spec!r}")
    if os.path.lexists(spec):
        return Path(spec), None
    head, colon, key = spec.rpartition(":")
    if colon and head.lower().endswith(".npz") and key:
        return Path(head), key
    return Path(spec), None


def _check_file(path: Path, shown: str) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ReportError(f"--inputs {shown} does not exist") from None
    except OSError as exc:
        raise ReportError(f"--inputs {shown} cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ReportError(f"--inputs {shown} is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise ReportError(f"--inputs {shown} is not a regular file")
    if st.st_size == 0:
        raise ReportError(f"--inputs {shown} is empty")


def _read(path: Path, key: str | None, shown: str) -> np.ndarray:
    with open(path, "rb") as fh:
        head = fh.read(6)
    try:
        if head.startswith(b"PK"):
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.files)
                if key is None:
                    if len(keys) != 1:
                        raise ReportError(f"--inputs {shown} holds {len(keys)} arrays "
                                          f"{keys}; pick one with {shown.strip(chr(39))}:KEY")
                    key = keys[0]
                elif key not in keys:
                    raise ReportError(f"--inputs {shown} has no array {key!r}; its arrays: "
                                      f"{keys}")
                return z[key]
        if key is not None:
            raise ReportError(f"--inputs {shown}:{key}: ':key' picks an array of an .npz "
                              "file, and this file is not one")
        if head != b"\x93NUMPY":
            raise ReportError(f"--inputs {shown} is neither a .npy array nor an .npz archive "
                              f"(it starts with {head!r})")
        return np.load(path, allow_pickle=False)
    except ReportError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ReportError(f"--inputs {shown} holds Python objects (a pickled object "
                              "array), which are never unpickled; save a float array") from None
        raise ReportError(f"--inputs {shown} cannot be read: {str(exc).splitlines()[0]}") \
            from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ReportError(f"--inputs {shown} cannot be read (truncated or corrupt?): "
                          f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") \
            from None


def load_sequence(spec, *, input_size: int, batch_first: bool = False):
    """The sequence ``spec`` names as a float64 ``(T, B, I)`` array, and the name shown
    for it (the path, with ``:key`` when one was picked).

    Raises
    ------
    ReportError
        Before any work: a missing/unreadable/empty file, an ``.npz`` of several arrays
        without ``:key`` (its keys listed) or an unknown key, an array that is not 2-D or
        3-D, of integer/complex/object dtype, with non-finite values (the first one's
        index named), with ``T = 0`` or ``B = 0``, or whose last axis is not
        ``input_size``.
    """
    path, key = split_spec(spec)
    shown = repr(str(path))
    _check_file(path, shown)
    arr = _read(path, key, shown)
    name = str(path) + (f":{key}" if key is not None else "")
    what = f"--inputs {name!r}"
    if arr.dtype.kind != "f":
        raise ReportError(f"{what} has dtype {arr.dtype} (shape {arr.shape}); expected real "
                          "floats")
    if arr.ndim not in (2, 3):
        layout = "(B, T, I)" if batch_first else "(T, B, I)"
        raise ReportError(f"{what} has shape {arr.shape}; expected {layout} or (T, I)")
    if arr.ndim == 2:
        arr = arr[:, None, :]
    elif batch_first:
        arr = np.swapaxes(arr, 0, 1)
    T, B, I = arr.shape
    if T == 0 or B == 0:
        raise ReportError(f"{what} has shape {arr.shape} as (T, B, I): no steps or no "
                          "sequences")
    if I != input_size:
        raise ReportError(f"{what} has {I} features per step (shape {arr.shape} as "
                          f"(T, B, I)); the model reads {input_size}")
    bad = ~np.isfinite(arr)
    if bad.any():
        t, b, i = (int(v) for v in np.argwhere(bad)[0])
        raise ReportError(f"{what} has non-finite values ({int(bad.sum())} of them; the first, "
                          f"{arr[t, b, i]!r}, at (t, b, i) = ({t}, {b}, {i}))")
    return np.ascontiguousarray(arr, dtype=np.float64), name

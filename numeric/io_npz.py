"""Save and load :class:`~numeric.Params` as ``.npz`` (never unpickles).

The file is a zip archive of ``.npy`` arrays, as :func:`numpy.savez` writes: one float
array per symbol name plus the 0-d strings ``__cell__`` and ``__convention__`` (``""`` for
a cell without conventions). :func:`save` writes a hidden temporary file beside the target
and moves it into place with :func:`os.replace`, so the target always holds a complete file
(the old one or the new one); temporary files of earlier saves that were killed before the
move are removed by the next save of the same target. :func:`load` reads the archive
itself: arrays of Python objects (pickles) are refused without being unpickled, and a
member claiming more data than the file holds is refused before anything is allocated.

>>> import os, tempfile, numpy as np, numeric
>>> p = numeric.init("gru", 3, 2, convention="cho", seed=0, dtype=np.float32)
>>> path = os.path.join(tempfile.mkdtemp(), "gru.npz")
>>> q = numeric.load(numeric.save(p, path))
>>> q.cell.title, q.dtype.name, bool(np.array_equal(q.weight_hh, p.weight_hh))
('gru (cho)', 'float32', True)
"""

from __future__ import annotations

import os
import stat
import zipfile

import numpy as np

from ._atomic import atomic_write, target_path
from ._errors import NumericError
from ._validate import check_memory, float_dtype
from .params import Params, resolve_cell

__all__ = ["save", "load"]

_META = ("__cell__", "__convention__")
_ZIP = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
_NPY = b"\x93NUMPY"


def save(params: Params, path) -> str:
    """Write ``params`` to ``path`` (an ``.npz`` archive) atomically.

    Parameters
    ----------
    params : numeric.Params
    path : str or os.PathLike
        The file to write; its folder must exist. An existing file is replaced.

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    NumericError
        ``params`` is not a :class:`~numeric.Params`; ``path`` is not a path, is a folder,
        lies in a missing folder or under a regular file, or cannot be written. Nothing is
        written then, and an existing file at ``path`` is left intact.
    """
    if not isinstance(params, Params):
        raise NumericError(f"save expects numeric.Params, got {type(params).__name__}")
    shown = os.fspath(path) if isinstance(path, os.PathLike) else path
    target_path(path, "path")
    meta = {"__cell__": np.array(params.cell.name),
            "__convention__": np.array(params.cell.convention or "")}
    members = {**meta, **params.parameters}

    def write(fh):
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for key, value in members.items():
                with zf.open(key + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)

    atomic_write(path, write, what="parameters")
    return shown


def _file(path) -> str:
    """``path`` as a str naming an existing, non-empty regular file."""
    p = target_path(path, "path")
    shown = os.fspath(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise NumericError(f"parameter file {shown!r} does not exist") from None
    except OSError as exc:
        raise NumericError(f"cannot read parameter file {shown!r}: "
                           f"{os.strerror(exc.errno) if exc.errno else exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise NumericError(f"parameter file {shown!r} is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise NumericError(f"parameter file {shown!r} is not a regular file")
    if st.st_size == 0:
        raise NumericError(f"parameter file {shown!r} is empty (0 bytes)")
    return p


def _read_members(path: str, shown: str) -> dict:
    """The arrays of the archive at ``path``, read without unpickling or over-allocating."""
    def bad(what):
        return NumericError(f"{shown!r} is not a numeric.save parameter file: {what}")

    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise NumericError(f"cannot read parameter file {shown!r}: "
                           f"{os.strerror(exc.errno) if exc.errno else exc}") from None
    if head.startswith(_NPY):
        raise bad("it is a single .npy array, not an .npz archive")
    if not head.startswith((_ZIP, _EMPTY_ZIP)):
        raise bad(f"it is not a zip (.npz) archive (it starts with {head!r})")
    arrays = {}
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = 0
            for info in infos:
                name = info.filename
                if not name.endswith(".npy"):
                    raise bad(f"member {name!r} is not a .npy array")
                key = name[:-4]
                if key in arrays:
                    raise bad(f"member {name!r} appears twice")
                with zf.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    if version == (1, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                    elif version == (2, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                    else:
                        raise bad(f"member {name!r} has .npy format version {version}; "
                                  "expected 1.0 or 2.0")
                    if dtype.hasobject:
                        raise bad(f"member {name!r} holds Python objects (dtype {dtype}), "
                                  "which are never unpickled")
                    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
                    held = info.file_size - f.tell()
                    if nbytes > held:
                        raise bad(f"member {name!r} claims shape {shape} {dtype} "
                                  f"({nbytes} bytes) but holds {max(held, 0)} bytes: the "
                                  "file is truncated or corrupt")
                    total += nbytes
                    check_memory(total, f"reading {shown!r}")
                    data = f.read(nbytes)
                if len(data) != nbytes:
                    raise bad(f"member {name!r} is truncated")
                arr = np.frombuffer(data, dtype=dtype).reshape(shape,
                                                               order="F" if fortran else "C")
                arrays[key] = arr.copy()
    except NumericError:
        raise
    except MemoryError:
        raise NumericError(f"{shown!r}: not enough memory to read it") from None
    except OSError as exc:
        if exc.errno is None:
            raise NumericError(f"cannot read parameters from {shown!r}: the .npz archive is "
                               f"corrupt ({type(exc).__name__}: {exc})") from None
        raise NumericError(f"cannot read parameter file {shown!r}: "
                           f"{os.strerror(exc.errno)}") from None
    except Exception as exc:           # a corrupt archive: BadZipFile, zlib.error, EOFError, ...
        first = str(exc).splitlines()[0] if str(exc) else ""
        reason = type(exc).__name__ + (f": {first}" if first else "")
        raise NumericError(f"cannot read parameters from {shown!r}: the .npz archive is "
                           f"truncated or corrupt ({reason})") from None
    return arrays


def _meta(arrays: dict, key: str, shown: str) -> str:
    value = arrays.pop(key)
    if value.shape != () or value.dtype.kind != "U":
        raise NumericError(f"{shown!r}: {key} must be a 0-d string array, got shape "
                           f"{value.shape} dtype {value.dtype}")
    return str(value)


def load(path, *, cell=None, dtype=None) -> Params:
    """Read parameters written by :func:`save`.

    Parameters
    ----------
    path : str or os.PathLike
        An ``.npz`` file written by :func:`save`.
    cell : str or derivations.Cell, optional
        Needed for user-defined cells (built-in cells are found by the stored name); when
        given for a built-in cell it must match the stored cell and convention.
    dtype : float32 or float64, optional
        Default: the stored dtype.

    Raises
    ------
    NumericError
        Naming the file and what is wrong: a missing, empty or non-regular file, a folder,
        a ``.npy`` or non-zip file, a truncated or corrupt archive, arrays of Python objects
        (never unpickled), missing or malformed ``__cell__``/``__convention__``, an unknown
        cell, or arrays that do not fit the cell.
    """
    if dtype is not None:
        dtype = float_dtype(dtype)
    c = None
    if cell is not None:
        try:
            c = resolve_cell(cell)
        except NumericError as exc:
            raise NumericError(f"cell={cell!r}: {exc}") from None
    p = _file(path)
    shown = os.fspath(path)
    arrays = _read_members(p, shown)
    missing = [k for k in _META if k not in arrays]
    if missing:
        raise NumericError(f"{shown!r} is not a numeric.save parameter file: missing "
                           f"{missing} (it holds {sorted(arrays)[:8]})")
    name = _meta(arrays, "__cell__", shown)
    conv = _meta(arrays, "__convention__", shown) or None
    if c is None:
        try:
            c = resolve_cell(name, conv)
        except NumericError as exc:
            raise NumericError(f"{shown!r} holds cell {name!r} (convention {conv!r}): {exc}; "
                               "for a user-defined cell pass cell=") from None
    elif (c.name, c.convention) != (name, conv):
        raise NumericError(f"{shown!r} holds cell {name!r} (convention {conv!r}), "
                           f"not {c.title!r}")
    try:
        return Params(c, arrays, dtype=dtype)
    except NumericError as exc:
        raise NumericError(f"{shown!r}: {exc}") from None

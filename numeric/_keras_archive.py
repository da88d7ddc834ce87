"""Opening Keras 3 files safely (private): a ``.keras`` zip archive or a ``.weights.h5``
HDF5 file, read with :mod:`zipfile`, :mod:`json` and ``h5py`` only (nothing is executed,
nothing unpickled, no TensorFlow or Keras import).

Guards: the file kind is decided by its first bytes (zip or HDF5 signature), not its name;
zip members are never extracted to disk; ``config.json`` is at most
:data:`MAX_CONFIG_BYTES`; a compressed ``model.weights.h5`` member is decompressed into
memory only when its declared size fits the memory available and its compression ratio
is at most :data:`MAX_RATIO` (a zip bomb is refused before it is inflated). In HDF5,
only hard links are followed (external and soft links, external raw storage and virtual
datasets would read other files: refused), and a dataset whose declared size exceeds
what it stores (uncompressed) or :data:`MAX_RATIO` times it (compressed) is refused
before it is read. Attributes (the layers' ``name`` strings) are not read, except the
``dtype`` marker of a bfloat16 dataset. The HDF5 C library is not hardened against
deliberately malformed files (nor is Keras, which reads them with it): these guards keep
to what h5py can check, and every error it reports becomes one NumericError.
"""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
import zlib
from contextlib import contextmanager

import numpy as np

from ._errors import NumericError
from ._validate import check_memory

__all__ = ["open_keras", "group", "subgroup", "dataset", "keys", "MAX_CONFIG_BYTES", "MAX_RATIO"]

MAX_CONFIG_BYTES = 64 << 20
MAX_RATIO = 1000
_ZIP = b"PK\x03\x04"
#: what zipfile raises on damaged archives (NotImplementedError: an unknown version or
#: compression method; RuntimeError: an encrypted member; zlib.error: a bad deflate stream)
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError,
               zlib.error)
_HDF5 = b"\x89HDF\r\n\x1a\n"


def _h5py():
    try:
        import h5py
    except ImportError:
        raise NumericError("reading Keras files needs the h5py package: pip install h5py "
                           "(or pip install 'gatebound[formats]')") from None
    return h5py


def _stat(path) -> tuple[str, str]:
    shown = os.fspath(path) if isinstance(path, (str, os.PathLike)) else path
    if not isinstance(shown, str):
        raise NumericError(f"from_keras_file reads a path (str or os.PathLike), got "
                           f"{type(path).__name__}")
    where = f"Keras file {shown!r}"
    try:
        st = os.stat(shown)
    except FileNotFoundError:
        raise NumericError(f"{where} does not exist") from None
    except (OSError, ValueError) as exc:
        why = os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else str(exc)
        raise NumericError(f"cannot read {where}: {why}") from None
    if stat.S_ISDIR(st.st_mode):
        raise NumericError(f"{where} is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise NumericError(f"{where} is not a regular file")
    if st.st_size == 0:
        raise NumericError(f"{where} is empty (0 bytes)")
    return shown, where


def _why(exc: BaseException) -> str:
    """A library's exception in one line (HDF5 and zlib messages can span several)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _h5_file(source, where):
    h5py = _h5py()
    try:
        return h5py.File(source, "r")
    except Exception as exc:  # OSError: signature not found, truncated file, ...
        raise NumericError(f"{where} cannot be read as HDF5 (truncated or corrupt?): "
                           f"{_why(exc)}") from None


def _member(zf, name, where, limit):
    """The bytes of zip member ``name`` (at most ``limit`` bytes declared and read)."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise NumericError(f"{where}: member {name!r} declares {info.file_size} bytes, more "
                           f"than the {limit} read")
    if info.compress_type != zipfile.ZIP_STORED and \
            info.file_size > MAX_RATIO * max(info.compress_size, 1) + (1 << 20):
        raise NumericError(f"{where}: member {name!r} declares {info.file_size} bytes from "
                           f"{info.compress_size} compressed (ratio > {MAX_RATIO}): refused "
                           "as a possible zip bomb")
    check_memory(info.file_size, f"{where}: member {name!r}")
    out = bytearray()
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            out += chunk
            if len(out) > info.file_size:
                raise NumericError(f"{where}: member {name!r} inflates beyond its declared "
                                   f"{info.file_size} bytes")
    return bytes(out)


def _config(zf, where) -> dict:
    raw = _member(zf, "config.json", where, MAX_CONFIG_BYTES)
    try:
        cfg = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise NumericError(f"{where}: config.json is not JSON: {_why(exc)}") from None
    if not isinstance(cfg, dict):
        raise NumericError(f"{where}: config.json holds a {type(cfg).__name__}, not a model "
                           "config (an object with class_name and config)")
    return cfg


@contextmanager
def _closing(f, where):
    """Close ``f`` on exit; what h5py raises on corrupt structures becomes one NumericError."""
    try:
        yield
    except NumericError:
        raise
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        raise NumericError(f"{where}: its HDF5 data cannot be read (corrupt?): "
                           f"{_why(exc)}") from None
    finally:
        f.close()


@contextmanager
def open_keras(path):
    """``(config or None, h5py.File, where)`` for a ``.keras`` archive or ``.weights.h5``
    file; the HDF5 file (and zip) is closed on exit."""
    shown, where = _stat(path)
    try:
        with open(shown, "rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise NumericError(f"cannot read {where}: {os.strerror(exc.errno or 0)}") from None
    if magic.startswith(_HDF5):
        f = _h5_file(shown, where)
        with _closing(f, where):
            yield None, f, where
        return
    if not magic.startswith(_ZIP):
        raise NumericError(f"{where} is neither a Keras archive (zip) nor a .weights.h5 "
                           f"(HDF5) file: it starts with {magic!r}")
    try:
        zf = zipfile.ZipFile(shown)
    except _ZIP_ERRORS as exc:
        raise NumericError(f"{where} is not a readable zip archive (truncated or corrupt?): "
                           f"{_why(exc)}") from None
    with zf:
        names = zf.namelist()
        if "model.weights.json" in names:
            raise NumericError(f"{where} holds sharded weights (model.weights.json), which "
                               "are not read; save the model unsharded")
        missing = [n for n in ("config.json", "model.weights.h5") if n not in names]
        if missing:
            raise NumericError(f"{where} is a zip archive but not a Keras 3 archive: no "
                               f"{' or '.join(missing)} (members: {names[:8]})")
        try:
            cfg = _config(zf, where)
            info = zf.getinfo("model.weights.h5")
            if info.compress_type == zipfile.ZIP_STORED:
                raw = zf.open(info)                   # seekable: read in place
            else:
                raw = io.BytesIO(_member(zf, "model.weights.h5", where, info.file_size))
        except _ZIP_ERRORS as exc:
            raise NumericError(f"{where}: cannot read its members (truncated or corrupt?): "
                               f"{_why(exc)}") from None
        with raw:
            f = _h5_file(raw, f"{where}: model.weights.h5")
            with _closing(f, where):
                yield cfg, f, where


def _child(g, name: str, where: str, kind: str):
    h5py = _h5py()
    try:
        link = g.get(name, getlink=True)
    except Exception as exc:
        raise NumericError(f"{where}: cannot read {g.name}/{name}: {_why(exc)}") from None
    if link is None:
        return None
    if not isinstance(link, h5py.HardLink):
        raise NumericError(f"{where}: {g.name.rstrip('/')}/{name} is a "
                           f"{type(link).__name__}, which is not followed (Keras writes "
                           "only groups and datasets)")
    obj = g[name]
    want = h5py.Group if kind == "group" else h5py.Dataset
    if not isinstance(obj, want):
        raise NumericError(f"{where}: {obj.name} is a {type(obj).__name__}; expected a "
                           f"{kind}")
    return obj


def group(f, path: str, where: str):
    """The group at ``path`` (``a/b/c``), following hard links only; None if absent."""
    g = f
    for part in path.split("/"):
        g = _child(g, part, where, "group")
        if g is None:
            return None
    return g


def subgroup(g, name: str, where: str):
    """The child group ``name`` of ``g`` (hard link only), or None."""
    return _child(g, name, where, "group")


def keys(g, where: str) -> list:
    """The names of ``g``'s members (str); a name that is not UTF-8 is refused."""
    out = list(g.keys())
    bad = [k for k in out if not isinstance(k, str)]
    if bad:
        raise NumericError(f"{where}: group {g.name} has members whose names are not UTF-8 "
                           f"text ({bad[0]!r}): corrupt")
    return out


def dataset(g, key: str, where: str) -> np.ndarray:
    """Dataset ``key`` of group ``g`` as a float array; bfloat16 (stored as 2-byte opaque
    with a ``dtype`` attribute, as Keras writes it) becomes float32."""
    ds = _child(g, key, where, "dataset")
    label = f"{where}: dataset {g.name}/{key}"
    if ds is None:
        raise NumericError(f"{label} is missing")
    if ds.is_virtual or ds.external:
        raise NumericError(f"{label} stores its data in other files (virtual or external "
                           "storage), which are not read")
    # attributes are read only here (a 2-byte opaque dataset): a damaged variable-length
    # string attribute can crash the HDF5 library itself
    bf16 = ds.dtype.kind == "V" and ds.dtype.itemsize == 2 and \
        ds.attrs.get("dtype") in ("bfloat16", b"bfloat16")
    if not bf16 and ds.dtype.kind != "f":
        raise NumericError(f"{label} has dtype {ds.dtype} (shape {ds.shape}); expected "
                           "float16, bfloat16, float32 or float64")
    nbytes = int(np.prod(ds.shape, dtype=np.int64)) * ds.dtype.itemsize
    stored = ds.id.get_storage_size()
    compressed = ds.id.get_create_plist().get_nfilters() > 0
    if nbytes and (stored * MAX_RATIO < nbytes if compressed else stored < nbytes):
        raise NumericError(f"{label} declares shape {ds.shape} ({nbytes} bytes) but stores "
                           f"{stored} bytes: truncated, or a shape bomb")
    check_memory(nbytes, label)
    try:
        arr = ds[()]
    except Exception as exc:
        raise NumericError(f"{label} cannot be read (truncated or corrupt?): {_why(exc)}") from None
    arr = np.asarray(arr)
    if bf16:
        bits = arr.view(np.uint16).astype(np.uint32) << 16   # bfloat16 = float32's high half
        arr = bits.view(np.float32)
    elif arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)
    return arr

r"""A model file's kind, read from its content, and its layers as a :class:`numeric.Stack`.

The kind is read from the bytes, not from the suffix alone:

- a zip archive holding ``*/data.pkl`` (or ``data.pkl``) is a PyTorch file (``torch.save``);
  one holding only ``*.npy`` members is a NumPy ``.npz``; one holding ``config.json`` and
  ``model.weights.h5`` is a Keras ``.keras`` file;
- a file starting with the HDF5 signature ``b"\x89HDF\r\n\x1a\n"`` is Keras
  ``.weights.h5``;
- a file starting with a pickle opcode ``0x80`` is a legacy (non-zip) PyTorch file;
- ONNX has no signature: a file is ONNX when the ``onnx`` package parses it into a model
  with a graph of at least one node.

A suffix that disagrees with the content loses: the content's kind is read (and returned,
so the caller can say which kind was read). A file whose content matches no kind is refused,
by the loader its suffix names (so that loader's reason is shown) or, for another suffix, by
name and suffix.

>>> import numpy as np, numeric, tempfile, os
>>> d = tempfile.mkdtemp()
>>> f = numeric.save(numeric.init("gru", 4, 3, seed=0), os.path.join(d, "w.pt"))  # .npz content
>>> stack, kind = load_model(f)
>>> kind, len(stack), stack.input_size                # (kind, layers, I)
('npz', 1, 3)
"""

from __future__ import annotations

import errno
import os
import re
import stat
import warnings
import zipfile
from pathlib import Path

from ._errors import ReportError

__all__ = ["load_model", "model_kind", "KINDS", "SUFFIXES"]

#: the kinds of model file, as :func:`model_kind` names them, in words
KINDS = {"torch": "PyTorch state dict", "npz": "NumPy .npz (numeric.save)",
         "onnx": "ONNX model", "keras": "Keras model"}

#: the suffix each kind is usually saved with
SUFFIXES = {".pt": "torch", ".pth": "torch", ".npz": "npz", ".onnx": "onnx",
            ".keras": "keras", ".h5": "keras"}

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

_STACK_KEY = re.compile(r"(?P<prefix>(?:.*\.)?)weight_hh_l(?P<layer>[0-9]+)(?P<rev>_reverse)?")


def _checked_file(path, suffixes=None) -> tuple[Path, str]:
    """``path`` as a readable, non-empty regular file (of one of ``suffixes``, unless None)
    and its shown name; ReportError saying why not."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str) or not path.strip() or "\0" in path:
        raise ReportError(f"weights file must be a file path, got {path!r}")
    shown = repr(path)
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ReportError(f"weights file {shown} is a symbolic link loop") from None
        if isinstance(exc, FileNotFoundError) and p.is_symlink():
            raise ReportError(f"weights file {shown} is a broken symbolic link") from None
        if isinstance(exc, FileNotFoundError):
            raise ReportError(f"weights file {shown} does not exist") from None
        raise ReportError(f"weights file {shown} cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ReportError(f"weights path {shown} is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise ReportError(f"weights file {shown} is not a regular file (a FIFO, socket or "
                          "device)")
    suffix = p.suffix.lower()
    if suffixes is not None and suffix not in suffixes:
        raise ReportError(f"unknown weights format {suffix!r} of {shown}; use .pt, .pth "
                          "(a PyTorch state dict) or .npz (numeric.save)")
    if st.st_size == 0:
        raise ReportError(f"weights file {shown} is empty")
    try:
        with open(p, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise ReportError(f"weights file {shown} cannot be read ({exc.strerror})") from None
    return p, shown


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None                     # a cut archive: the suffix's loader says why
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return "torch"
    if "config.json" in names and "model.weights.h5" in names:
        return "keras"
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    return None


def _is_onnx(path: Path) -> bool:
    try:
        import onnx
    except ImportError:
        return False
    try:
        model = onnx.load_model_from_string(path.read_bytes())
    except Exception:                   # protobuf's DecodeError: not ONNX
        return False
    return model.HasField("graph") and len(model.graph.node) > 0 and model.ir_version >= 1


def model_kind(path) -> str:
    """The kind of the model file ``path`` (``'torch'``, ``'npz'``, ``'onnx'`` or
    ``'keras'``), read from its content; the suffix's kind when the content matches none
    (its loader then says what is wrong). ReportError for a file no kind fits."""
    p, shown = _checked_file(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ReportError(f"weights file {shown} cannot be read ({exc.strerror})") from None
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        kind = _zip_kind(p)
        if kind is not None:
            return kind
    if head == HDF5_SIGNATURE:
        return "keras"
    if head[:1] == b"\x80" and not p.name.lower().endswith(".onnx"):
        return "torch"                  # a legacy (pre-zip) torch.save pickle
    if _is_onnx(p):
        return "onnx"
    suffix = ".weights.h5" if p.name.lower().endswith(".weights.h5") else p.suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    raise ReportError(f"weights file {shown} (suffix {suffix!r}) is none of the formats read "
                      "here: a PyTorch state dict (.pt/.pth), a numeric.save .npz, an ONNX "
                      "model (.onnx) or a Keras .keras/.weights.h5 file")


def _cli_words(exc) -> str:
    from numeric import NumericError

    if isinstance(exc, NumericError) and exc.options:
        text = exc.render(lambda option, value: f"--{option} {value}")
    else:
        text = str(exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def _torch_stack(path: Path, shown: str, cell, scalars, dtype, layer):
    """One layer (``layer``, or a single-layer/zoo file) or every layer of an nn.RNN/GRU/LSTM
    state dict."""
    import numeric
    from numeric._torch_file import load_file

    try:
        import torch  # noqa: F401
    except ImportError:
        raise ReportError(f"reading {shown} needs PyTorch (pip install torch)") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # torch.load's notes about pickle protocols
            first = numeric.from_torch(path, layer=layer or 0, cell=cell, scalars=scalars,
                                       dtype=dtype)
            if layer is not None:
                return numeric.Stack([first])
            sd, _ = load_file(path)
    except numeric.NumericError as exc:
        raise ReportError(_cli_words(exc)) from None
    except Exception as exc:                       # any failure of a loader is the file's
        raise ReportError(f"cannot read {shown} as a PyTorch state dict: "
                          f"{type(exc).__name__}: {_cli_words(exc)}") from None
    found = {}
    for key in sd:
        m = _STACK_KEY.fullmatch(key) if isinstance(key, str) else None
        if m is not None:
            found.setdefault(m["prefix"], set()).add((int(m["layer"]), bool(m["rev"])))
    if len(found) > 1:
        raise ReportError(f"{shown} holds several recurrent modules (key prefixes "
                          f"{sorted(found)}); save the state dict of one")
    layers = next(iter(found.values()), set())
    if layers <= {(0, False)}:
        return numeric.Stack([first])              # one layer, one direction (or a zoo cell)
    prefix = next(iter(found))
    sub = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
    try:
        return numeric.stack_from_torch(sub, cell=cell, dtype=dtype)
    except numeric.NumericError as exc:
        raise ReportError(f"{shown}: {_cli_words(exc)}") from None


def load_model(path, *, cell=None, scalars=None, dtype=None, layer=None):
    """The layers of the model file ``path`` as ``(numeric.Stack, kind)``.

    Parameters
    ----------
    path : str or os.PathLike
        A PyTorch state dict (``.pt``/``.pth``), a numeric.save ``.npz``, an ONNX model or a
        Keras ``.keras``/``.weights.h5`` file; the kind is read from the content
        (:func:`model_kind`).
    cell : str, optional
        ``name`` or ``name:convention``: needed for a state dict (which cannot say its
        cell), checked against an ``.npz`` file, passed to the Keras reader.
    scalars : dict, optional
        A torchrecurrent cell's hyper-parameters kept outside its state dict.
    dtype : float32 or float64, optional
        The parameters' dtype (default: the file's).
    layer : int, optional
        One layer of a multi-layer PyTorch state dict on its own (default: every layer).

    Raises
    ------
    ReportError
        One line naming the file: unreadable, of no known kind, or refused by its loader.
    """
    import numeric

    p, shown = _checked_file(path)
    kind = model_kind(p)
    spec = None
    if cell is not None:
        from ._cli_options import cell_option

        spec = cell_option(cell, "--cell")
        cell = spec[0] if spec[1] is None else f"{spec[0]}:{spec[1]}"
    if kind != "torch":
        if scalars:
            raise ReportError(f"--scalar applies to a PyTorch state dict; {shown} is a "
                              f"{KINDS[kind]} (it holds its own)")
        if layer not in (None, 0):
            raise ReportError(f"--layer {layer}: applies to a PyTorch state dict; {shown} is "
                              f"a {KINDS[kind]} (use --layers to pick layers of a stack)")
    if kind == "torch":
        return _torch_stack(p, shown, cell, scalars, dtype, layer), kind
    try:
        if kind == "npz":
            import derivations as dv

            c = None if spec is None else dv.cell(*spec)
            return numeric.Stack([numeric.load(p, cell=c, dtype=dtype)]), kind
        if kind == "onnx":
            if cell is not None:
                raise ReportError(f"--cell: an ONNX file says its cells ({shown}); drop --cell")
            return numeric.stack_from_onnx(p, dtype=dtype), kind
        return numeric.from_keras_file(p, cell=cell, dtype=dtype), kind
    except numeric.NumericError as exc:
        text = _cli_words(exc)
        if os.fspath(p) not in text and p.name not in text:
            text = f"{shown}: {text}"
        raise ReportError(text) from None
    except ReportError:
        raise
    except Exception as exc:
        raise ReportError(f"cannot read {shown} as a {KINDS[kind]}: {type(exc).__name__}: "
                          f"{_cli_words(exc)}") from None

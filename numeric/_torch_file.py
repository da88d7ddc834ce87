"""Reading a PyTorch file safely (private): ``torch.load(..., weights_only=True)``, every
failure one :class:`~numeric.NumericError` line naming the file; pickles other than tensors
are refused, never executed."""

from __future__ import annotations

import os
import re
import stat
import sys
import warnings
from collections.abc import Mapping

import numpy as np

from ._errors import NumericError
from ._validate import as_float_array

__all__ = ["load_file", "tensor_array"]


def load_file(path) -> tuple[dict, str]:
    shown = os.fspath(path)
    if not isinstance(shown, str):
        raise NumericError(f"a path must be a str or os.PathLike naming a str, got {shown!r}")
    where = repr(shown)
    try:
        st = os.stat(shown)
    except FileNotFoundError:
        raise NumericError(f"PyTorch file {where} does not exist") from None
    except (OSError, ValueError) as exc:
        why = _why(exc) if isinstance(exc, OSError) else str(exc)
        raise NumericError(f"cannot read PyTorch file {where}: {why}") from None
    if stat.S_ISDIR(st.st_mode):
        raise NumericError(f"PyTorch file {where} is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise NumericError(f"PyTorch file {where} is not a regular file")
    if st.st_size == 0:
        raise NumericError(f"PyTorch file {where} is empty (0 bytes)")
    try:
        import torch
    except ImportError:
        raise NumericError(f"reading {where} needs PyTorch (pip install torch)") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = torch.load(shown, map_location="cpu", weights_only=True)
    except MemoryError:
        raise NumericError(f"cannot read {where}: not enough memory") from None
    except Exception as exc:
        raise NumericError(f"cannot read {where}: {_why(exc)}") from None
    if not isinstance(obj, Mapping):
        raise NumericError(f"{where} holds a {type(obj).__name__}, not a state dict "
                           "(save module.state_dict())")
    return obj, where


def _why(exc: BaseException) -> str:
    """What a torch.load failure means, in one line."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return os.strerror(exc.errno)
    text = " ".join(str(e) for e in (exc, exc.__context__) if e is not None)
    if "Weights only load failed" in text or type(exc).__name__ == "UnpicklingError":
        m = re.search(r"GLOBAL ([\w.]+)", text)
        found = f" ({m.group(1)})" if m else ""
        return (f"it holds pickled Python objects other than tensors{found}, which are never "
                "unpickled; a whole model saved with torch.save(model) cannot be read safely: "
                "save model.state_dict() instead")
    first = str(exc).splitlines()[0].strip() if str(exc).strip() else ""
    if len(first) > 120:
        first = first.split(". ")[0]
    detail = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    if "zip" in first.lower():
        return f"a truncated or corrupt PyTorch zip archive ({detail})"
    return f"not a file written by torch.save, or truncated or corrupt ({detail})"


def tensor_array(value, key: str, where: str) -> np.ndarray:
    """A tensor or ndarray as a finite float32/float64 ndarray; NumericError otherwise."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        if value.is_meta:
            raise NumericError(f"{where}: {key!r} is a meta-device tensor (shape "
                               f"{tuple(value.shape)}), which holds no values")
        if value.layout != torch.strided or value.is_quantized:
            raise NumericError(f"{where}: {key!r} is a {value.layout} "
                               f"{'quantized ' if value.is_quantized else ''}tensor; expected "
                               "a dense floating tensor")
        if value.is_complex() or not value.is_floating_point():
            raise NumericError(f"{where}: {key!r} has dtype {value.dtype} (shape "
                               f"{tuple(value.shape)}); expected a floating tensor")
        if value.dtype not in (torch.float32, torch.float64):
            value = value.float()                    # float16, bfloat16, float8
        value = value.numpy(force=True)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind != "f":
            raise NumericError(f"{where}: {key!r} has dtype {value.dtype} (shape "
                               f"{value.shape}); expected a floating array")
        if value.dtype not in (np.float32, np.float64):
            value = value.astype(np.float32)
    else:
        raise NumericError(f"{where}: {key!r} holds a {type(value).__name__}, not a tensor")
    return as_float_array(value, f"{where}: {key!r}")

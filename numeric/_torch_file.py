"""Reading a PyTorch file safely (private): ``torch.load(..., weights_only=True)``, every
failure one :class:`~numeric.NumericError` line naming the file; pickles other than tensors
are refused, never executed."""

from __future__ import annotations

import os
import re
import stat
import warnings
from collections.abc import Mapping

from ._errors import NumericError

__all__ = ["load_file"]


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

"""Save and load :class:`~numeric.Params` as ``.npz`` (``allow_pickle=False``, never unpickles).

The file holds one array per symbol name plus the strings ``__cell__`` and
``__convention__``. Writing goes to a temporary file in the same directory, then
``os.replace`` moves it into place.

>>> import os, tempfile, numpy as np, numeric
>>> p = numeric.init("gru", 3, 2, convention="cho", seed=0, dtype=np.float32)
>>> path = os.path.join(tempfile.mkdtemp(), "gru.npz")
>>> q = numeric.load(numeric.save(p, path))
>>> q.cell.title, q.dtype.name, bool(np.array_equal(q.weight_hh, p.weight_hh))
('gru (cho)', 'float32', True)
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from ._errors import NumericError
from .params import Params, resolve_cell

__all__ = ["save", "load"]

_META = ("__cell__", "__convention__")


def save(params: Params, path) -> str:
    """Write ``params`` to ``path`` (``.npz``) atomically; returns the path."""
    if not isinstance(params, Params):
        raise NumericError(f"expected numeric.Params, got {type(params).__name__}")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    meta = {"__cell__": np.array(params.cell.name),
            "__convention__": np.array(params.cell.convention or "")}
    fd, tmp = tempfile.mkstemp(suffix=".npz.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **meta, **params.arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load(path, *, cell=None, dtype=None) -> Params:
    """Read parameters written by :func:`save`.

    ``cell`` is needed for user-defined cells (built-ins are found by name); ``dtype``
    defaults to the stored one.
    """
    try:
        with np.load(os.fspath(path), allow_pickle=False) as data:
            arrays = {k: np.array(data[k]) for k in data.files}
    except (OSError, ValueError) as exc:
        raise NumericError(f"cannot read parameters from {os.fspath(path)!r}: {exc}") from None
    missing = [k for k in _META if k not in arrays]
    if missing:
        raise NumericError(f"{os.fspath(path)!r} is not a gatebound parameter file: "
                           f"missing {missing}")
    name = str(arrays.pop("__cell__"))
    conv = str(arrays.pop("__convention__")) or None
    if cell is None:
        c = resolve_cell(name, conv)
    else:
        c = resolve_cell(cell)
        if (c.name, c.convention) != (name, conv):
            raise NumericError(f"{os.fspath(path)!r} holds cell {name!r} (convention {conv!r}), "
                               f"not {c.title!r}")
    return Params(c, arrays, dtype=dtype)

r"""The Zarr store of a sweep (private): created up front, written point by point, resumable.

Layout (Zarr format 2, through xarray): one dimension per axis of the spec (coordinates the
axis values) and ``exponent`` (1..k) for ``lyapunov``; one variable per metric (NaN until
computed), ``done`` and ``failed`` (bool) and ``message`` (fixed-width unicode,
:data:`MESSAGE_WIDTH` characters). Attributes: ``gatebound_spec`` (the canonical spec),
``gatebound_spec_sha256``, ``versions`` and ``engine`` (JSON).

Why a store is never unreadable: the template (metadata and every chunk) is written to a
temporary folder and renamed into place, so ``out`` either does not exist or is complete.
After that only chunks are rewritten, and Zarr's ``LocalStore`` (zarr >= 3.1.3, since
zarr-python pull request 3412) writes each chunk to a temporary file and renames it over
the old one: a chunk is the old one or the new one, never a torn mix (temporary files of a
killed write, ``*.partial``, are removed when the store is resumed). A batch writes the metric variables first
and ``done`` last, so ``done`` is True only for points whose values are stored; a point
written without its ``done`` (a kill in between) is computed again on resume.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from ._errors import NumericError
from .sweep_point import VARIABLES
from .sweep_spec import SweepSpec

__all__ = ["MESSAGE_WIDTH", "create_or_open", "done_mask", "write_batch", "set_engine"]

#: characters kept of a failed point's message
MESSAGE_WIDTH = 240

#: points per chunk (at most): leading axes are chunked by 1 until the rest fits
CHUNK_POINTS = 4096


def _chunks(shape) -> tuple:
    out = list(shape)
    for i in range(len(out)):
        if math.prod(out[i:]) <= CHUNK_POINTS:
            break
        out[i] = 1
    return tuple(out)


def _variables(spec: SweepSpec) -> list:
    return [v for m in spec.metrics for v in VARIABLES[m]]


def _template(spec: SweepSpec, versions: dict, engine: dict):
    import xarray as xr

    dims, shape = spec.dims, spec.shape
    k = spec.settings["k"]
    data = {}
    for v in _variables(spec):
        if v == "lyapunov":
            data[v] = ((*dims, "exponent"), np.full((*shape, k), np.nan))
        else:
            data[v] = (dims, np.full(shape, np.nan))
    data["done"] = (dims, np.zeros(shape, dtype=bool))
    data["failed"] = (dims, np.zeros(shape, dtype=bool))
    data["message"] = (dims, np.full(shape, "", dtype=f"<U{MESSAGE_WIDTH}"))
    coords = {a: np.asarray(list(v)) for a, v in spec.axes}
    if "lyapunov" in spec.metrics:
        coords["exponent"] = np.arange(1, k + 1)
    attrs = {"gatebound_spec": spec.canonical(), "gatebound_spec_sha256": spec.digest,
             "versions": json.dumps(versions, sort_keys=True),
             "engine": json.dumps(engine, sort_keys=True),
             "description": "gatebound sweep: see numeric.sweep_point for the metrics"}
    ds = xr.Dataset(data, coords=coords, attrs=attrs)
    chunks = _chunks(shape)
    enc = {v: {"chunks": chunks + ((k,) if ds[v].ndim > len(dims) else ())}
           for v in ds.data_vars}
    return ds, enc


def _stored_spec(path: Path):
    import zarr

    try:
        g = zarr.open_group(str(path), mode="r")
        text = g.attrs["gatebound_spec"]
    except Exception as exc:
        raise NumericError(f"--out {str(path)!r} exists but is not a gatebound sweep store "
                           f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''});"
                           " choose another --out") from None
    return SweepSpec.from_canonical(text)


def create_or_open(spec: SweepSpec, out, versions: dict, engine: dict) -> tuple[Path, bool]:
    """The store at ``out``: created (atomically) if missing, else checked to hold the same
    spec (NumericError listing what differs). Returns ``(path, created)``."""
    path = Path(os.path.abspath(os.fspath(out)))
    if path.exists():
        if not path.is_dir():
            raise NumericError(f"--out {str(path)!r} exists and is not a Zarr store (a folder)")
        old = _stored_spec(path)
        if old.canonical() != spec.canonical():
            diff = "; ".join(spec.differences(old)) or "canonical forms differ"
            raise NumericError(f"--out {str(path)!r} holds a sweep of another spec ({diff}); "
                               "use a new --out or the same spec to resume")
        for leftover in path.rglob("*.partial"):  # a chunk write killed half-way
            leftover.unlink(missing_ok=True)
        set_engine(path, engine)
        return path, False
    if not path.parent.is_dir():
        raise NumericError(f"--out {str(path)!r}: folder {str(path.parent)!r} does not exist")
    ds, enc = _template(spec, versions, engine)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        ds.to_zarr(str(tmp), mode="w-", encoding=enc, zarr_format=2, consolidated=True)
        os.rename(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return path, True


def set_engine(path: Path, engine: dict) -> None:
    """Record this run's engine settings in the store's attributes (and the consolidated
    metadata), each file replaced atomically."""
    import zarr

    g = zarr.open_group(str(path), mode="r+", zarr_format=2)
    g.attrs["engine"] = json.dumps(engine, sort_keys=True)
    zarr.consolidate_metadata(str(path))


def done_mask(path: Path) -> np.ndarray:
    """The stored ``done`` mask (one bool per grid point)."""
    import zarr

    return np.asarray(zarr.open_group(str(path), mode="r")["done"][...])


def write_batch(path: Path, spec: SweepSpec, results: list) -> None:
    """Write ``[(index, result dict), ...]``: metric variables, then ``failed`` and
    ``message``, then ``done`` (so ``done`` never claims a point whose values are not
    stored). Only the client calls this: Zarr chunks are read, modified and replaced."""
    import zarr

    if not results:
        return
    g = zarr.open_group(str(path), mode="r+", zarr_format=2)
    idx = np.array([i for i, _ in results], dtype=np.int64)      # (n, ndim)
    cols = tuple(idx[:, d] for d in range(idx.shape[1]))
    ok = [r for _, r in results]
    for v in _variables(spec):
        if v == "lyapunov":
            k = spec.settings["k"]
            vals = np.array([np.asarray(r.get(v, np.full(k, np.nan)), dtype=float)
                             for r in ok])                        # (n, k)
            sel = tuple(np.repeat(c[:, None], k, axis=1) for c in cols)
            sel += (np.broadcast_to(np.arange(k), (len(ok), k)),)
            g[v].set_coordinate_selection(sel, vals)
        else:
            g[v].set_coordinate_selection(cols, np.array([float(r.get(v, np.nan)) for r in ok]))
    failed = np.array(["failed" in r for r in ok])
    g["failed"].set_coordinate_selection(cols, failed)
    msgs = np.array([r.get("failed", "")[:MESSAGE_WIDTH] for r in ok], dtype=f"<U{MESSAGE_WIDTH}")
    g["message"].set_coordinate_selection(cols, msgs)
    g["done"].set_coordinate_selection(cols, np.ones(len(ok), dtype=bool))

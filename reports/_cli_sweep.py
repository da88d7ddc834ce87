"""``gatebound sweep SPEC.toml --out results.zarr``: a grid of points on Dask, resumable.

The spec, the options and ``--out`` are checked before any cluster starts (one-line errors
through :class:`ReportError`); the engine is :func:`numeric.sweep`. ``--plot DIR`` then
draws the phase diagrams from the store (:mod:`reports._sweep_figures`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ._errors import ReportError

__all__ = ["run_sweep"]


def _folder(value, option: str) -> Path:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise ReportError(f"{option} must name a folder, got {value!r}")
    return Path(os.path.abspath(value))


def run_sweep(spec_path, *, out, scheduler=None, workers=None, plot=None, say=print) -> int:
    """Run (or resume) the sweep of ``spec_path`` into ``out``; draw figures into ``plot``."""
    import numeric

    try:
        spec = numeric.SweepSpec.load(spec_path)
    except numeric.NumericError as exc:
        raise ReportError(str(exc).splitlines()[0]) from None
    store = _folder(out, "--out")
    if store.exists() and not store.is_dir():
        raise ReportError(f"--out {str(store)!r} exists and is not a Zarr store (a folder)")
    if not store.parent.is_dir():
        raise ReportError(f"--out {str(store)!r}: folder {str(store.parent)!r} does not exist")
    if scheduler is not None and not str(scheduler).startswith(("tcp://", "tls://", "inproc://",
                                                                "ws://", "wss://", "ucx://")):
        raise ReportError(f"--scheduler must be an address such as tcp://HOST:PORT, got "
                          f"{scheduler!r}")
    if scheduler is not None and workers is not None:
        raise ReportError("--workers applies to the local cluster; an existing cluster "
                          "(--scheduler) has its own workers")
    plot_dir = None if plot is None else _folder(plot, "--plot")
    if plot_dir is not None and plot_dir.exists() and not plot_dir.is_dir():
        raise ReportError(f"--plot {str(plot_dir)!r} exists and is not a folder")
    try:
        summary = numeric.sweep(spec, store, scheduler=scheduler, workers=workers,
                                progress=True, say=say)
    except numeric.NumericError as exc:
        raise ReportError(str(exc).splitlines()[0]) from None
    say(f"sweep: {summary.computed} points computed, {summary.skipped} already done, "
        f"{summary.failed} failed of {summary.total}, in {summary.seconds:.1f} s")
    if summary.lost:
        say(f"sweep: {summary.lost} points lost by the cluster ({summary.lost_error}); "
            "rerun the same command to compute them")
    print(summary.path)
    if plot_dir is not None:
        from ._sweep_figures import plot_sweep

        for f in plot_sweep(store, plot_dir):
            print(f)
    return 0

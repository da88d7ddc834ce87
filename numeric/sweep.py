r"""Sweeps on Dask: :func:`sweep` computes every point of a :class:`SweepSpec` as a Dask task
and writes the results, as they finish, into a resumable Zarr store.

Engine: ``dask.distributed``. Without ``client`` a ``LocalCluster`` of ``workers``
processes (default: the usable cores), one thread each, with ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` set to 1 in the workers, so that the
workers' BLAS threads never oversubscribe the cores; ``client`` (or ``scheduler``, an
address such as ``tcp://HOST:PORT``) runs the same spec on an existing cluster. Each point
is one task, keyed by the spec's digest and the point's grid index, so resubmitting a point
is the same task; results come back through ``distributed.as_completed`` and only this
process (the client) writes the store, in batches (see :mod:`numeric._sweep_store` for why
an interrupted store stays readable). A lost worker's tasks are rescheduled by Dask; each
point is written once, when its future completes.

Resume: a store at ``out`` made by the same spec gets only its points not ``done``; a
store of another spec is refused with the differences.

The cost of a point is dominated by the Lyapunov QR steps, about :math:`T\,B\,D^2 k`
(:math:`D^3` per step and sample for the full spectrum, :math:`k = D`); see the README.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from ._errors import NumericError
from .sweep_point import sweep_point
from .sweep_spec import SweepSpec

__all__ = ["sweep", "SweepSummary", "SweepProgress", "require_sweep_modules", "versions",
           "local_cluster", "WORKER_ENV", "WORKER_CONFIG"]

#: environment of the default LocalCluster's workers: one BLAS thread per worker process
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

#: Dask configuration of the default LocalCluster. Dask's nanny sets
#: ``MALLOC_TRIM_THRESHOLD_=65536`` in its workers by default, which turns off glibc's
#: dynamic mmap threshold: every large temporary of the engine is then a fresh mmap,
#: page-faulted on each step, and a point took 2 to 3 times as long in a worker as in this
#: process (GRU H = 64, T = 1000: 3.4-4.0 s against 1.3-2.2 s, measured side by side);
#: unset, the times agree. A cluster of your own: set this key to null in its Dask config.
WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}

#: the client writes finished points at least this often (seconds), or every FLUSH_POINTS
FLUSH_SECONDS = 2.0
FLUSH_POINTS = 256


@dataclass(frozen=True)
class SweepProgress:
    """Progress of a sweep: points ``done`` of ``total`` (including those already in the
    store), ``failed`` so far, ``rate`` (points per second this run) and ``eta`` (seconds)."""

    done: int
    total: int
    failed: int
    rate: float
    eta: float

    def line(self) -> str:
        eta = "?" if not np.isfinite(self.eta) else f"{self.eta:.0f} s"
        return (f"sweep: {self.done}/{self.total} points ({self.failed} failed), "
                f"{self.rate:.2f} points/s, ETA {eta}")


@dataclass(frozen=True)
class SweepSummary:
    """What :func:`sweep` did: the store's ``path``, the grid's ``total`` points, how many
    this run ``computed`` and ``skipped`` (already done), how many of all ``failed``, the
    wall time in ``seconds``, and the tasks ``lost`` by the cluster (Dask gave up on them,
    e.g. their workers kept dying; left not done for a rerun) with the first such error."""

    path: str
    total: int
    computed: int
    skipped: int
    failed: int
    seconds: float
    lost: int = 0
    lost_error: str = ""


def require_sweep_modules():
    """``(distributed, xarray, zarr)``; NumericError saying how to install them."""
    missing, mods = [], []
    for name in ("distributed", "xarray", "zarr"):
        try:
            mods.append(__import__(name))
        except ImportError:
            missing.append(name)
    if missing:
        raise NumericError(f"numeric.sweep needs dask[distributed], xarray and zarr (missing: "
                           f"{', '.join(missing)}); install them with: "
                           "pip install 'gatebound[sweep]'")
    if _version_tuple(mods[2].__version__) < ZARR_ATOMIC:
        raise NumericError(f"numeric.sweep needs zarr >= 3.1.3, whose local store replaces "
                           f"each chunk atomically (found zarr {mods[2].__version__}); "
                           "pip install 'gatebound[sweep]'")
    return tuple(mods)


#: the first zarr whose LocalStore writes each file to a temporary and renames it
ZARR_ATOMIC = (3, 1, 3)


def _version_tuple(text: str) -> tuple:
    """``"3.1.6"`` -> ``(3, 1, 6)`` (a pre-release part ends the tuple).

    >>> _version_tuple("3.1.3rc1"), _version_tuple("2.18.7")
    ((3, 1), (2, 18, 7))
    """
    out = []
    for part in str(text).split(".")[:3]:
        if not part.isdigit():
            break
        out.append(int(part))
    return tuple(out)


def versions() -> dict:
    """Versions of the packages a sweep's results depend on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("numpy", "gatebound", "dask", "distributed", "xarray", "zarr"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@functools.lru_cache(maxsize=8)
def _spec_of(canonical: str) -> SweepSpec:
    return SweepSpec.from_canonical(canonical)


def local_cluster(n_workers: int):
    """The default ``LocalCluster``: ``n_workers`` processes, one thread and one BLAS thread
    each (:data:`WORKER_ENV`), glibc's malloc left alone (:data:`WORKER_CONFIG`), no fixed
    dashboard port."""
    import dask
    import distributed

    with dask.config.set(WORKER_CONFIG):
        return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                        processes=True, env=dict(WORKER_ENV),
                                        dashboard_address=":0")


def _run_point(canonical: str, index) -> dict:
    """The task: the point at grid ``index`` of the spec whose canonical form is given."""
    spec = _spec_of(canonical)
    return sweep_point(spec, spec.point(tuple(index)))


def _task_key(spec: SweepSpec, index) -> str:
    return f"gatebound-point-{spec.digest[:16]}-" + "-".join(str(i) for i in index)


def _say_progress(state: dict):
    def show(p: SweepProgress) -> None:
        now = time.monotonic()
        if p.done == p.total or now - state.get("last", 0.0) >= 1.0:
            state["last"] = now
            print(p.line(), file=sys.stderr, flush=True)
    return show


def sweep(spec, out, *, client=None, scheduler=None, workers=None, progress=True,
          say=None) -> SweepSummary:
    """Compute every point of ``spec`` not yet done in the Zarr store ``out``.

    Parameters
    ----------
    spec : SweepSpec, dict, or path of a TOML file
    out : path
        The Zarr store: created if missing; resumed if it holds the same spec.
    client : distributed.Client, optional
        An existing client (its cluster is used as it is).
    scheduler : str, optional
        Address of an existing scheduler (``tcp://HOST:PORT``); not with ``client``.
    workers : int, optional
        Worker processes of the default LocalCluster (default: the usable cores).
    progress : bool or callable
        True: a line on stderr at most once a second (points done/total, rate, ETA);
        a callable gets a :class:`SweepProgress` after each finished point.
    say : callable, optional
        Receives one-line messages (the dashboard link); default stderr.

    Raises
    ------
    NumericError
        Before any work: a bad spec (naming the key and value), missing modules (with the
        ``pip install`` line), an ``out`` that is not a store of the same spec (saying what
        differs), bad engine options.
    """
    if isinstance(spec, (str, os.PathLike)):
        spec = SweepSpec.load(spec)
    spec = SweepSpec.from_dict(spec)
    if client is not None and scheduler is not None:
        raise NumericError("pass client or scheduler, not both")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise NumericError(f"scheduler must be an address such as tcp://HOST:PORT, got "
                           f"{scheduler!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise NumericError(f"workers must be an integer >= 1, got {workers!r}")
    if workers is not None and (client is not None or scheduler is not None):
        raise NumericError("workers applies to the default LocalCluster, not to an existing "
                           "cluster (client or scheduler)")
    if not (isinstance(progress, bool) or callable(progress)):
        raise NumericError(f"progress must be True, False or a callable, got {progress!r}")
    say = say or (lambda m: print(m, file=sys.stderr, flush=True))
    distributed, _, _ = require_sweep_modules()
    from . import _sweep_store as store

    n_workers = workers or _cores()
    engine = ({"cluster": "LocalCluster", "workers": n_workers, "threads_per_worker": 1,
               "processes": True, "worker_env": WORKER_ENV,
               "worker_config": WORKER_CONFIG} if client is None and scheduler is None
              else {"cluster": "existing", "scheduler": scheduler or client.scheduler.address})
    path, _ = store.create_or_open(spec, out, versions(), engine)
    own = []
    # Dask's nanny writes its workers' variables (OMP_NUM_THREADS=1, ...) into this
    # process's os.environ before spawning them; a cluster of ours gives them back after
    environ = dict(os.environ) if client is None and scheduler is None else None
    try:
        if client is None:
            if scheduler is not None:
                client = distributed.Client(scheduler)
            else:
                cluster = local_cluster(n_workers)
                own.append(cluster)
                client = distributed.Client(cluster)
            own.insert(0, client)
        link = getattr(client, "dashboard_link", None)
        say(f"sweep: scheduler {client.scheduler.address}"
            + (f", dashboard {link}" if link else ""))
        return _drive(spec, path, client, distributed, store, progress)
    finally:
        for obj in own:
            obj.close()
        if environ is not None and dict(os.environ) != environ:
            os.environ.clear()
            os.environ.update(environ)


def _drive(spec, path, client, distributed, store, progress) -> SweepSummary:
    t0 = time.monotonic()
    done = store.done_mask(path)
    todo = [i for i in spec.indices() if not done[i]]
    total = spec.size
    skipped = total - len(todo)
    import zarr

    failed = int(np.asarray(zarr.open_group(str(path), mode="r")["failed"][...]).sum())
    show = (_say_progress({}) if progress is True else progress if callable(progress)
            else None)
    canonical = spec.canonical()
    futs = client.map(_run_point, [canonical] * len(todo), [list(i) for i in todo],
                      key=[_task_key(spec, i) for i in todo]) if todo else []
    futures = dict(zip(futs, todo, strict=True))
    # the first finished point is written at once (the store shows progress early), then
    # batches at most every FLUSH_SECONDS
    pending, last, computed, lost = [], time.monotonic() - FLUSH_SECONDS, 0, []
    if show is not None and not todo:
        show(SweepProgress(total, total, failed, 0.0, 0.0))
    try:
        for fut in distributed.as_completed(list(futures)):
            index = futures.pop(fut)
            try:
                result = fut.result()
            except (Exception, asyncio.CancelledError) as exc:  # the task itself was lost (its workers kept dying,
                # or it was cancelled): not a result of the point, so it stays not done and
                # a rerun computes it
                lost.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
                fut.release()
                continue
            fut.release()
            pending.append((index, result))
            computed += 1
            failed += "failed" in result
            now = time.monotonic()
            if len(pending) >= FLUSH_POINTS or now - last >= FLUSH_SECONDS:
                store.write_batch(path, spec, pending)
                pending, last = [], now
            if show is not None:
                rate = computed / max(now - t0, 1e-9)
                left = len(futures)
                show(SweepProgress(skipped + computed, total, failed, rate,
                                   left / rate if rate > 0 else float("inf")))
    finally:
        store.write_batch(path, spec, pending)
        for fut in futures:
            fut.cancel()
    return SweepSummary(str(path), total, computed, skipped, failed, time.monotonic() - t0,
                        len(lost), lost[0] if lost else "")

"""Two-thread execution over batch halves, BLAS pinned to one thread (private).

A whole pipeline (gate GEMMs, coefficients, row-block products; or a whole recurrence)
runs on each half of the batch on its own worker thread while OpenBLAS (or whichever BLAS
NumPy uses) is limited to one thread through ``threadpoolctl`` (a dependency: the library
made for exactly this); the controller and the pool are created once.

The work runs on the calling thread (BLAS keeps its own threads) in exactly three cases:
``GATEBOUND_THREADS=1`` in the environment, a machine with one core
(``os.cpu_count() < 2``), or work below the size where two threads pay off
(:data:`MIN_PARALLEL_BYTES`). Nested calls from a worker run inline.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

__all__ = ["run_halves", "matmul_into", "MIN_PARALLEL_BYTES"]

#: Jacobian outputs smaller than this run on the calling thread: two threads fight over the
#: GIL at every small NumPy call, so they were slower below it (B = 128, H = 64: 1.8 against
#: 1.5 ms in float64, 1.6 against 0.8 ms in float32) and faster above (16 MiB: 0.7 to 0.95)
MIN_PARALLEL_BYTES = 16 << 20
#: bytes of output per row-block product: 32 KiB stays in L1/L2 while BLAS zeroes and then
#: accumulates it (benchmarks/README.md: 2.2-2.4x the fill floor against 2.4-2.9x in one call)
CHUNK_BYTES = 1 << 15
#: at most this many samples per product, by item size: at B = 1024, H = 64 (two threads)
#: float64 took 7.3 ms with 16 samples against 8.4 ms with 64; float32 at (256, 256) and
#: (64, 512) 7.4 and 8.6 ms with 8 samples against 9.1 and 9.8 ms uncapped
MAX_CHUNK_ROWS = {8: 16, 4: 8}
#: the same for 4-byte items (float32): measured 6-14% faster with 128 KiB than 32 KiB
CHUNK_BYTES_SMALL = 1 << 17

_STATE = {"pool": None, "blas": None, "checked": False}
_LOCK = threading.Lock()
_LOCAL = threading.local()


def _resources():
    with _LOCK:
        if not _STATE["checked"]:
            _STATE["checked"] = True
            if (os.cpu_count() or 1) >= 2 and os.environ.get("GATEBOUND_THREADS", "2") != "1":
                _STATE["blas"] = ThreadpoolController().select(user_api="blas")
                _STATE["pool"] = ThreadPoolExecutor(2, thread_name_prefix="gatebound")
        return _STATE["pool"], _STATE["blas"]


def _in_worker(fn, sl):
    _LOCAL.worker = True
    try:
        return fn(sl)
    finally:
        _LOCAL.worker = False


def run_halves(fn, n: int, nbytes: int, min_bytes: int | None = None) -> list:
    """``[fn(slice)]`` over the two halves of ``range(n)`` on two threads (or one call).

    Threads are used when ``nbytes >= min_bytes`` (default :data:`MIN_PARALLEL_BYTES`).
    Nested calls run inline.
    """
    limit = MIN_PARALLEL_BYTES if min_bytes is None else min_bytes
    if n < 2 or nbytes < limit or getattr(_LOCAL, "worker", False):
        return [fn(slice(0, n))]
    pool, blas = _resources()
    if pool is None:
        return [fn(slice(0, n))]
    half = n // 2
    with blas.limit(limits=1):
        futs = [pool.submit(_in_worker, fn, sl) for sl in (slice(0, half), slice(half, n))]
        return [f.result() for f in futs]


def matmul_into(A: np.ndarray, S: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``np.matmul(A, S, out=out)`` over axis 1 (the batch) in cache-sized pieces.

    >>> A = np.ones((3, 4, 2)); S = np.ones((3, 2, 5)); out = np.empty((3, 4, 5))
    >>> float(matmul_into(A, S, out).sum())   # (3, 4, 5) of 2.0
    120.0
    """
    B = A.shape[1]
    chunk = CHUNK_BYTES if out.itemsize >= 8 else CHUNK_BYTES_SMALL
    cap = MAX_CHUNK_ROWS.get(out.itemsize, 16)
    step = max(1, min(cap, chunk // max(1, out.shape[2] * out.itemsize)))
    if step >= B:
        return np.matmul(A, S, out=out)
    for b0 in range(0, B, step):
        np.matmul(A[:, b0:b0 + step], S, out=out[:, b0:b0 + step])
    return out

"""Batched ``np.matmul`` into a preallocated output, optionally on two threads (private).

The two halves of the batch axis are multiplied on two worker threads with BLAS pinned
to one thread each (``threadpoolctl``, when installed; the controller is created once).
Without ``threadpoolctl``, or for small outputs, one plain ``np.matmul`` call is used.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["matmul_into", "MIN_PARALLEL"]

#: outputs smaller than this many elements are computed on the calling thread
MIN_PARALLEL = 1 << 18

_STATE = {"pool": None, "controller": None, "checked": False}
_LOCK = threading.Lock()


def _resources():
    with _LOCK:
        if not _STATE["checked"]:
            _STATE["checked"] = True
            if (os.cpu_count() or 1) >= 2 and os.environ.get("GATEBOUND_THREADS", "2") != "1":
                try:
                    from threadpoolctl import ThreadpoolController
                except ImportError:  # pragma: no cover - optional dependency
                    return None, None
                _STATE["controller"] = ThreadpoolController()
                _STATE["pool"] = ThreadPoolExecutor(2, thread_name_prefix="gatebound")
        return _STATE["pool"], _STATE["controller"]


def matmul_into(A: np.ndarray, S: np.ndarray, out: np.ndarray, axis: int = 1) -> np.ndarray:
    """``np.matmul(A, S, out=out)``, split over ``axis`` (the batch axis) on two threads.

    >>> A = np.ones((3, 4, 2)); S = np.ones((3, 2, 5)); out = np.empty((3, 4, 5))
    >>> float(matmul_into(A, S, out).sum())   # (3, 4, 5) of 2.0
    120.0
    """
    n = A.shape[axis]
    if out.size < MIN_PARALLEL or n < 2:
        return np.matmul(A, S, out=out)
    pool, controller = _resources()
    if pool is None:
        return np.matmul(A, S, out=out)
    half = n // 2
    idx = [slice(None)] * A.ndim
    parts = []
    for sl in (slice(0, half), slice(half, n)):
        idx[axis] = sl
        parts.append((A[tuple(idx)], out[tuple(idx)]))
    with controller.limit(limits=1, user_api="blas"):
        futs = [pool.submit(np.matmul, a, S, out=o) for a, o in parts]
        for f in futs:
            f.result()
    return out

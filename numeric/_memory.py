"""Large scratch buffers kept between calls (private), released by :func:`release_memory`.

The coefficient store of :func:`numeric.gradient_norms` is up to ``store_bytes`` (1 GiB by
default), and every Jacobian call needs a few MiB of coefficient slabs and kernel
temporaries. Allocating them afresh on every call costs a page fault per page; on a
virtual machine whose freed memory goes back to the host, re-faulting 512 MiB was measured
at 0.06 s to 1.6 s, and at B = 1024, H = 64 (float32) fresh temporaries made the
coefficient kernel of a Jacobian 2.6x slower (3.9 against 1.5 ms). So at most :data:`MAX_KEPT` buffers (one per worker thread) are kept for the
next call and reused whenever they are large enough.

>>> with scratch((2, 3), np.float64) as a:
...     a.shape, a.dtype.name
((2, 3), 'float64')
>>> release_memory()
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np

__all__ = ["scratch", "scratch_arrays", "release_memory", "MAX_KEPT"]

#: buffers kept between calls (one per worker thread)
MAX_KEPT = 2

_LOCK = threading.Lock()
_FREE: list = []


@contextmanager
def scratch(shape, dtype):
    """An uninitialised array of ``shape`` and ``dtype`` on reused memory, for the block."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    with _LOCK:
        k = next((k for k, b in enumerate(_FREE) if b.nbytes >= n), None)  # smallest fit
        buf = _FREE.pop(k) if k is not None else None
    if buf is None:
        buf = np.empty(max(n, 1), dtype=np.uint8)
    try:
        yield buf[:n].view(dtype).reshape(shape)
    finally:
        with _LOCK:
            _FREE.append(buf)
            _FREE.sort(key=lambda b: b.nbytes)
            del _FREE[:-MAX_KEPT]


_ALIGN = 64  # bytes: every carved array starts on a cache line


@contextmanager
def scratch_arrays(shapes, dtype):
    """Uninitialised arrays of ``shapes`` (a list), carved from one reused buffer.

    >>> with scratch_arrays([(2, 3), (4,)], np.float32) as (a, b):
    ...     a.shape, b.shape, a.ctypes.data % 64 == b.ctypes.data % 64 == 0
    ((2, 3), (4,), True)
    """
    dtype = np.dtype(dtype)
    sizes = [int(np.prod(s, dtype=np.int64)) * dtype.itemsize for s in shapes]
    offsets, n = [], 0
    for size in sizes:
        offsets.append(n)
        n += -(-size // _ALIGN) * _ALIGN
    with scratch((n + _ALIGN,), np.uint8) as raw:
        base = (-raw.ctypes.data) % _ALIGN
        yield [raw[base + o: base + o + size].view(dtype).reshape(shape)
               for o, size, shape in zip(offsets, sizes, shapes, strict=True)]


def release_memory() -> None:
    """Return the scratch memory kept between calls (the gradient-norm coefficient stores)."""
    with _LOCK:
        _FREE.clear()

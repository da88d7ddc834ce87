"""Values that live and die with one engine object, cached by the function computing them
(private).

:func:`per_object` is the engine's counterpart of :func:`derivations.language.per_cell`:
``fn(obj, *args)`` is kept in ``obj.memo`` under ``fn``'s qualified name and ``args``, so
each cached value is owned by the one function that computes it (no module reads or
writes another's entries) and is freed with ``obj``. It is the one cache of a
:class:`~numeric.Params` (weight stacks, bias columns, working-memory estimates) and of a
compiled :class:`~numeric._compile.Program` (kernels, block plans), itself kept per cell.

>>> class Box:
...     def __init__(self):
...         self.memo, self.calls = {}, 0
>>> @per_object
... def double(box, k):
...     box.calls += 1
...     return 2 * k
>>> b = Box()
>>> double(b, 3), double(b, 3), b.calls
(6, 6, 1)
"""

from __future__ import annotations

import functools

__all__ = ["per_object"]

_MISSING = object()


def per_object(fn):
    """Cache ``fn(obj, *args)`` in ``obj.memo`` (a dict), keyed by ``fn`` and ``args``.

    ``args`` must be hashable and passed positionally (a keyword or default argument
    would make a second key for the same value: wrap such a function in a method that
    passes every argument). Two threads may both compute a missing value; both results
    are equal, one is kept.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def cached(obj, *args):
        key = (name, *args)
        hit = obj.memo.get(key, _MISSING)
        if hit is _MISSING:
            hit = obj.memo[key] = fn(obj, *args)
        return hit

    return cached

"""NumPy building blocks of the zoo's family tests (``tests/test_zoo_<family>.py``), which
write torchrecurrent's ``forward`` methods and the papers' equations again in plain NumPy,
and the refusal check they share."""

from __future__ import annotations

import numpy as np
import pytest

__all__ = ["sig", "relu", "split", "rows", "rel", "assert_activation_refused"]


def sig(u):
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-u))


def relu(u):
    return np.maximum(u, 0.0)


def split(a, n):
    """torch's ``chunk(n)`` along the last axis (a batch of rows or one packed vector)."""
    return np.split(a, n, axis=-1)


def rows(W, n):
    """A packed weight's ``n`` row blocks (torch's ``chunk(n, 0)``)."""
    return np.split(W, n, axis=0)


def rel(a, b):
    """The largest absolute difference relative to the largest entry of ``b``."""
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


def assert_activation_refused(tr, cls, kwargs, attr, value, I, H):
    """``from_torch`` refuses torchrecurrent's ``cls(**kwargs)`` (a cell and layer 1 of its
    layer) naming the activation attribute and its value."""
    from numeric import NumericError, from_torch

    mod = getattr(tr, cls)(I, H, **kwargs)
    with pytest.raises(NumericError, match=rf"{attr}={value!r}.*not supported"):
        from_torch(mod)
    layer = getattr(tr, cls[:-len("Cell")])(I, H, num_layers=2, **kwargs)
    with pytest.raises(NumericError, match=rf"layer 1 .*{attr}={value!r}"):
        from_torch(layer, layer=1)

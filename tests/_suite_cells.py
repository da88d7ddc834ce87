"""The cells the generic per-cell suites run on.

Under the ``ci`` profile (``HYPOTHESIS_PROFILE=ci``, what ``.ci/run`` uses) or with
``GATEBOUND_ALL_CELLS=1``: every built-in cell under every convention. Under ``dev`` (``make
test``): the cells that predate the torchrecurrent zoo, so the suite stays within its time
budget; every zoo cell is still checked under ``dev`` by ``tests/test_zoo*.py`` (against
torchrecurrent's module and torch autograd, proved at n = 1, 2, 3, and its own equations).
"""

from __future__ import annotations

import os

import derivations as dv

__all__ = ["ALL", "KEYS", "CORE", "suite_cells"]

#: the cells of the generic suites under ``dev``
CORE = ("elman", "gru", "lstm", "minimalrnn", "mgu", "indrnn", "peephole_lstm", "cifg_lstm",
        "mingru", "minlstm", "rglru", "slstm", "slstm_stabilized")

ALL = (os.environ.get("HYPOTHESIS_PROFILE") == "ci"
       or os.environ.get("GATEBOUND_ALL_CELLS") == "1")

#: ``(name, convention)`` of every cell the generic suites run on
KEYS = [(n, c) for n, convs in dv.CELLS.items() for c in convs if ALL or n in CORE]


def suite_cells() -> list:
    """The cells of :data:`KEYS`."""
    return [dv.cell(*k) for k in KEYS]

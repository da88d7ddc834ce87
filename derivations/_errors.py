"""The one exception type of :mod:`derivations`."""

__all__ = ["DerivationError"]


class DerivationError(ValueError):
    """A cell definition or a derivation request that cannot be honoured.

    The message names the offending value (a symbol, a cell, a convention, a shape).
    """

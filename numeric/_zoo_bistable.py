"""torchrecurrent's cells of the family ``bistable`` (read by :mod:`numeric._zoo`): one spec per class."""


__all__ = ["SPECS"]

SPECS: tuple = ()

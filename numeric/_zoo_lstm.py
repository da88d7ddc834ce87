"""torchrecurrent's cells of the family ``lstm`` (read by :mod:`numeric._zoo`): one spec per class."""


__all__ = ["SPECS"]

SPECS: tuple = ()

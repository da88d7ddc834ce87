"""The one exception type of :mod:`reports`."""

__all__ = ["ReportError"]


class ReportError(ValueError):
    """A report, rendering or command-line request that cannot be honoured.

    The message names the offending value (an option, a path, a cell, a compile error
    with the log's path).
    """

"""The one exception type of :mod:`numeric`."""

__all__ = ["NumericError"]


class NumericError(ValueError):
    """Input the numeric engine cannot honour.

    Raised before any work, with a message naming the offending value and its shape
    (wrong shapes, mismatched batch sizes, non-finite values, integer or complex dtypes,
    unknown cells or conventions, layout mismatches, memory limits).
    """

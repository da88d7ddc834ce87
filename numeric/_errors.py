"""The one exception type of :mod:`numeric`."""

__all__ = ["NumericError"]


def _python(option: str, value) -> str:
    return f"{option}={value!r}"


class NumericError(ValueError):
    """Input the numeric engine cannot honour.

    Raised before any work, with a message naming the offending value and its shape
    (wrong shapes, mismatched batch sizes, non-finite values, integer or complex dtypes,
    unknown cells or conventions, layout mismatches, memory limits).

    A message that tells the caller which option to pass keeps that option as data:
    ``options`` maps placeholders of the message to ``(option, value)`` pairs, printed as
    Python keywords (``cell='gru'``) by ``str()``, and in another caller's words by
    :meth:`render` (the command line prints ``--cell gru``).

    >>> e = NumericError("a state dict cannot say which cell it holds; pass {fit}",
    ...                  options={"fit": ("cell", "gru")})
    >>> str(e), e.render(lambda option, value: f"--{option} {value}")
    ("a state dict cannot say which cell it holds; pass cell='gru'", 'a state dict cannot say which cell it holds; pass --cell gru')
    """

    def __init__(self, message: str, *, options: dict | None = None):
        self.template, self.options = message, dict(options or {})
        super().__init__(self.render())

    def render(self, spell=_python) -> str:
        """The message with each option written by ``spell(option, value)``."""
        text = self.template                 # exact placeholders only: other braces in the
        for key, (option, value) in self.options.items():     # message (a user's key) stay
            text = text.replace("{%s}" % key, spell(option, value))
        return text

    def __reduce__(self):
        return (_rebuild, (self.template, self.options))


def _rebuild(template, options):
    return NumericError(template, options=options)

"""A user's own cell on the command line: ``path/to/file.py:name`` or ``package.module:name``
(private).

``name`` is a :class:`derivations.Cell`, or a function with no required arguments that
returns one. A file is the user's own code and is executed, under a private module name
that is in ``sys.modules`` only while it runs (dataclasses and pickling need it there);
``sys.path`` is never changed. A module is imported as Python imports it. Every mistake is
one :class:`~reports.ReportError` naming the spec, the file (and line) or the attribute.

>>> is_user_spec("gru:cho"), is_user_spec("cells/my.py:cell"), is_user_spec("pkg.mod:cell")
(False, True, True)
>>> load_user_cell("no/such/file.py:cell", "--cells")
Traceback (most recent call last):
...
reports._errors.ReportError: --cells 'no/such/file.py:cell': cell file 'no/such/file.py' does not exist
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import os
import re
import sys
import traceback
import types

from ._errors import ReportError

__all__ = ["is_user_spec", "load_user_cell", "resolve_cells"]

_MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_IDENT = re.compile(r"[A-Za-z_]\w*")
_COUNT = itertools.count()


def _split(text: str):
    """``(where, name)`` split at the last ``':'`` (a Windows drive's colon stays)."""
    where, _, name = text.strip().rpartition(":")
    return where.strip(), name.strip()


def is_user_spec(text) -> bool:
    """True if ``text`` names a user's cell: ``file.py:name``, a path with a separator, or
    ``package.module:name``; ``gru:cho`` (a built-in cell's name before ``':'``) is a
    built-in cell's convention."""
    import derivations as dv

    if not isinstance(text, str) or ":" not in text:
        return False
    where, _ = _split(text)
    if where.lower() in dv.CELLS:
        return False
    return _is_path(where) or bool(_MODULE.fullmatch(where))


def _is_path(where: str) -> bool:
    """A file's name: ``.py``, a path separator, or an existing file (``cells.txt``)."""
    return (where.endswith(".py") or "/" in where or os.sep in where
            or os.path.isfile(where))


def _one_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[0] if lines else ""
    text = text if len(text) <= 300 else text[:297] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _user_line(exc: BaseException, path: str) -> str:
    """`` (line N)`` of the deepest frame of ``exc`` in the file ``path``, if any."""
    line = None
    for fr in traceback.extract_tb(exc.__traceback__):
        if fr.filename == path:
            line = fr.lineno
    return f" (line {line})" if line else ""


def _exec_file(path: str, shown: str, head: str) -> types.ModuleType:
    if not os.path.exists(path):
        raise ReportError(f"{head}: cell file {shown!r} does not exist")
    if not os.path.isfile(path):
        raise ReportError(f"{head}: {shown!r} is not a file")
    if not path.endswith(".py"):
        raise ReportError(f"{head}: cell file {shown!r} is not a .py file")
    try:
        with open(path, "rb") as fh:
            source = fh.read()
    except OSError as exc:
        raise ReportError(f"{head}: cannot read {shown!r} ({exc.strerror})") from None
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ReportError(f"{head}: syntax error in {shown!r} line {exc.lineno}: "
                          f"{exc.msg}") from None
    except ValueError as exc:                     # e.g. a NUL byte in the source
        raise ReportError(f"{head}: {shown!r} is not Python source ({exc})") from None
    name = f"_gatebound_user_cell_{next(_COUNT)}"
    mod = types.ModuleType(name)
    mod.__file__ = path
    sys.modules[name] = mod
    try:
        exec(code, mod.__dict__)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:                  # the user's code: any error, SystemExit too
        raise ReportError(f"{head}: running {shown!r} raised {_one_line(exc)}"
                          f"{_user_line(exc, path)}") from None
    finally:
        sys.modules.pop(name, None)
    return mod


def _import_module(where: str, head: str) -> types.ModuleType:
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as exc:
        if exc.name and where.startswith(exc.name):
            import derivations as dv

            raise ReportError(f"{head}: {where!r} is neither a built-in cell, a .py file "
                              f"nor an importable module (no module named {exc.name!r}); "
                              f"built-in cells: {', '.join(sorted(dv.CELLS))}") from None
        raise ReportError(f"{head}: importing {where!r} raised {_one_line(exc)}") from None
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise ReportError(f"{head}: importing {where!r} raised {_one_line(exc)}") from None


def _cells_in(mod) -> list:
    import derivations as dv

    return sorted(k for k, v in vars(mod).items()
                  if isinstance(v, dv.Cell) and not k.startswith("_"))


def _cell_from(obj, name: str, head: str, path: str | None):
    import derivations as dv

    if isinstance(obj, dv.Cell):
        return obj
    if not callable(obj):
        raise ReportError(f"{head}: {name!r} is not a derivations.Cell or a function "
                          f"returning one (its type is {type(obj).__name__})")
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        sig = None
    if sig is not None:
        required = [p.name for p in sig.parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                           p.POSITIONAL_OR_KEYWORD,
                                                           p.KEYWORD_ONLY)]
        if required:
            raise ReportError(f"{head}: {name!r} takes required arguments "
                              f"({', '.join(required)}); give a Cell or a function with "
                              "no required arguments")
    try:
        cell = obj()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        where = _user_line(exc, path) if path else ""
        raise ReportError(f"{head}: {name}() raised {_one_line(exc)}{where}") from None
    if not isinstance(cell, dv.Cell):
        raise ReportError(f"{head}: {name}() returned an object of type "
                          f"{type(cell).__name__}, not a derivations.Cell")
    return cell


def load_user_cell(text: str, option: str = "cell"):
    """The :class:`derivations.Cell` that ``text`` (``file.py:name`` or
    ``package.module:name``) names; one ReportError for any mistake, naming it."""
    head = f"{option} {text.strip()!r}"
    where, name = _split(text)
    if not where:
        raise ReportError(f"{head} names no file or module before ':'")
    if not _IDENT.fullmatch(name):
        raise ReportError(f"{head}: {name!r} after ':' is not a Python name (write "
                          "file.py:name or package.module:name)")
    if _is_path(where):
        path = os.path.abspath(os.path.expanduser(where))
        mod = _exec_file(path, where, head)
    elif _MODULE.fullmatch(where):
        path, mod = None, _import_module(where, head)
    else:
        raise ReportError(f"{head}: {where!r} is neither a .py file nor a module name")
    if not hasattr(mod, name):
        found = _cells_in(mod)
        shown = ", ".join(found) if found else "none (a Cell, or a function returning one)"
        raise ReportError(f"{head}: {where!r} has no attribute {name!r}; its cells: {shown}")
    return _cell_from(getattr(mod, name), name, head, path)


def resolve_cells(text, option: str = "--cells"):
    """A comma-separated ``--cells`` value as a list of cells (``None``: ``None``, every
    built-in cell): built-in names (``gru``, ``gru:cho``) and users' cells, in order,
    each once; every item checked before any work."""
    from ._cli_options import cells_option
    from .document import parse_cells

    if text is None:
        return None
    if not isinstance(text, str):
        raise ReportError(f"{option} must be a comma-separated string, got {text!r}")
    items = [s.strip() for s in text.split(",") if s.strip()]
    builtin = [s for s in items if not is_user_spec(s)]
    if builtin or not items:
        cells_option(",".join(builtin) if items else text, option)
    out = []
    for item in items:
        found = [load_user_cell(item, option)] if is_user_spec(item) else parse_cells(item)
        out += [c for c in found if c not in out]
    return out

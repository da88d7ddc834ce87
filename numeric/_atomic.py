"""Atomic file writes that leave nothing behind (private).

A file is written to a temporary file beside the target, named
``.<name>.tmp-<host>-<pid>-<random>``, flushed to disk and moved over the target with
:func:`os.replace`, so at every instant the target holds either the complete old file or the
complete new one. A writer killed before the move (SIGKILL, power loss) leaves its temporary
file behind; the next write of the same target removes such leftovers, but only those of a
process of this host that no longer exists, never a live concurrent writer's.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> target = os.path.join(folder, "a.bin")
>>> _ = atomic_write(target, lambda fh: fh.write(b"new"))
>>> with open(target, "rb") as fh:
...     fh.read(), os.listdir(folder)
(b'new', ['a.bin'])
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
import stat

from ._errors import NumericError

__all__ = ["target_path", "atomic_write", "remove_leftovers", "temp_name"]


def _host_tag() -> str:
    """Eight hex digits naming this host, so leftovers of other hosts (a shared folder)
    are never judged by this host's process table."""
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def temp_name(target: str, pid: int | None = None) -> str:
    """The path of a new temporary file for ``target`` (same folder, hidden, recognisable)."""
    folder, name = os.path.split(target)
    pid = os.getpid() if pid is None else pid
    return os.path.join(folder, f".{name}.tmp-{_host_tag()}-{pid}-{secrets.token_hex(4)}")


def target_path(path, what: str = "path", error=NumericError) -> str:
    """``path`` (str or os.PathLike naming a str) as an absolute path; ``error`` otherwise."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise error(f"{what} must be a str or os.PathLike, got {path!r} "
                    f"({type(path).__name__})")
    if not path or "\0" in path:
        raise error(f"{what} {path!r} is not a valid file name")
    return os.path.abspath(path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True                      # another thread of this process may be writing
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True                      # exists, owned by someone else
    except OSError:
        return True                      # cannot tell: keep the file
    return True


def remove_leftovers(target: str) -> list[str]:
    """Remove the temporary files of earlier writes of ``target`` killed before their move.

    Only regular files named by :func:`temp_name` for this host whose process no longer
    exists are removed; returns their paths. Errors (a file gone meanwhile, no permission)
    are ignored: a leftover is never worth failing a write.
    """
    folder, name = os.path.split(target)
    pattern = re.compile(r"\." + re.escape(name) + r"\.tmp-" + _host_tag()
                         + r"-([0-9]{1,10})-[0-9a-f]{8}")
    removed = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    for entry in entries:
        m = pattern.fullmatch(entry)
        if m is None or _alive(int(m.group(1))):
            continue
        path = os.path.join(folder, entry)
        try:
            if stat.S_ISREG(os.lstat(path).st_mode):
                os.unlink(path)
                removed.append(path)
        except OSError:
            pass
    return removed


def _check_target(target: str, what: str, error) -> None:
    folder = os.path.dirname(target)
    if not os.path.exists(folder):
        parent = folder
        while parent and not os.path.exists(parent):
            parent = os.path.dirname(parent)
        if parent and not os.path.isdir(parent):
            raise error(f"cannot write {what} {target!r}: {parent!r} is a file, not a folder")
        raise error(f"cannot write {what} {target!r}: folder {folder!r} does not exist")
    if not os.path.isdir(folder):
        raise error(f"cannot write {what} {target!r}: {folder!r} is a file, not a folder")
    if os.path.isdir(target):
        raise error(f"cannot write {what} {target!r}: it is an existing folder")
    if os.path.lexists(target) and not os.path.isfile(target):
        raise error(f"cannot write {what} {target!r}: it exists and is not a regular file")


def atomic_write(target: str, write, *, what: str = "file", error=NumericError) -> str:
    """Write ``target`` atomically: ``write(fh)`` fills a temporary binary file beside it,
    which then replaces ``target`` with :func:`os.replace`.

    The target's folder must exist (nothing is created). Any failure (``write`` raising,
    a full disk, no permission, an interrupt) removes the temporary file and leaves the old
    ``target`` untouched; OS errors become ``error`` naming ``target`` (never the temporary
    name). Leftovers of earlier killed writes of ``target`` are removed first.
    """
    target = target_path(target, what, error)
    _check_target(target, what, error)
    remove_leftovers(target)
    tmp = temp_name(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     0o666)
    except OSError as exc:
        raise error(f"cannot write {what} {target!r}: cannot create a file in folder "
                    f"{os.path.dirname(target)!r} ({_reason(exc)})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise error(f"cannot write {what} {target!r}: {_reason(exc)}") from None
        raise
    _sync_folder(os.path.dirname(target))
    return target


def _reason(exc: OSError) -> str:
    if exc.errno is not None:
        return os.strerror(exc.errno)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _sync_folder(folder: str) -> None:
    """Make the rename durable where the OS allows opening a folder (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

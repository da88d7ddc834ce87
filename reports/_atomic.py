"""Outputs that are replaced whole or not at all, and leave nothing behind (private).

A build writes into a *staging* folder beside its target, named
``.<name>.tmp-<host>-<pid>-<random>`` and locked (``flock``) by the writing process for
as long as it lives. The finished folder then takes the target's place in one step:

- where the OS offers a directory exchange (Linux ``renameat2(RENAME_EXCHANGE)``, macOS
  ``renamex_np(RENAME_SWAP)``) and the file system supports it, the two folders swap
  names atomically: the target holds the complete old tree, then the complete new one;
- otherwise each file is moved over its old version with :func:`os.replace` (atomic per
  file), sub-folders first and the named ``last`` files (the PDF) at the end.

A writer killed before the swap leaves its staging folder (and after an exchange, the old
tree under the staging name) behind; :func:`remove_leftovers`, run by the next build,
removes those whose lock is free, i.e. whose writer is dead, and never the folder of a live
concurrent build. Where ``flock`` is not available the process id in the name decides
(same host, process gone).

>>> import os, tempfile
>>> root = Path(tempfile.mkdtemp())
>>> (root / "out").mkdir(); _ = (root / "out" / "a.txt").write_text("old")
>>> stage = Staging(root, "out")
>>> _ = (stage.path / "a.txt").write_text("new")
>>> left = install_tree(stage.path, root / "out")
>>> stage.discard()
>>> (root / "out" / "a.txt").read_text(), sorted(os.listdir(root))
('new', ['out'])
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import sys
import threading
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from ._errors import ReportError

__all__ = ["Staging", "remove_leftovers", "exchange", "install_tree", "replace_files",
           "deferred_signals", "fsync_tree", "pause", "make_folder", "remove_folders",
           "staging_in"]

#: leftovers of the previous builder (``mkdtemp`` names, ``.old-<ns>`` copies) are removed
#: once they have not changed for this long (they carry no process id to ask)
LEGACY_AGE = 3600.0


def _host_tag() -> str:
    """Eight hex digits naming this host: leftovers of another host (a shared folder) are
    never judged by this host's process table."""
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _pattern(stem: str) -> re.Pattern:
    return re.compile(r"\." + re.escape(stem) + r"\.tmp-([0-9a-f]{8})-([0-9]{1,10})-[0-9a-f]{8}")


def _legacy(stem: str) -> re.Pattern:
    return re.compile(r"\." + re.escape(stem) + r"\.(?:tmp-[a-z0-9_]{8}|old-[0-9]{1,25})")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True          # exists (another user's) or cannot tell: keep it
    return True


def _try_lock(path) -> tuple[int | None, bool | None]:
    """Open folder ``path`` and try to take its lock without waiting.

    Returns ``(fd, True)`` when locked (the caller closes ``fd``), ``(None, False)`` when
    another open file holds the lock, ``(fd_or_None, None)`` when locks are unsupported.
    """
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None, None
    if fcntl is None:
        return fd, None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None, False
    except OSError:
        return fd, None
    return fd, True


class Staging:
    """A new, locked staging folder ``parent/.<stem>.tmp-<host>-<pid>-<random>``.

    The lock lives as long as this process keeps :attr:`fd` open (:meth:`close`), so a
    concurrent :func:`remove_leftovers` never takes the folder away. ``OSError`` from
    creating it propagates (the caller names its own target).
    """

    def __init__(self, parent, stem: str):
        parent = Path(parent)
        for _ in range(8):
            path = parent / f".{stem}.tmp-{_host_tag()}-{os.getpid()}-{secrets.token_hex(4)}"
            os.mkdir(path)
            fd, locked = _try_lock(path)
            if locked is False:                      # a cleaner holds it this instant
                continue
            try:                                     # not removed by a cleaner meanwhile
                same = os.path.isdir(path) if fd is None else \
                    os.path.samestat(os.fstat(fd), os.stat(path))
            except OSError:
                same = False
            if same:
                self.path, self.fd = path, fd
                return
            if fd is not None:
                os.close(fd)
        raise OSError(errno.EAGAIN, "could not create a staging folder", str(parent))

    def close(self) -> None:
        """Release the lock (idempotent)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def discard(self) -> None:
        """Remove whatever the staging path holds now and release the lock."""
        try:
            shutil.rmtree(self.path, ignore_errors=True)
        finally:
            self.close()


def remove_leftovers(parent, stem: str) -> list[Path]:
    """Remove staging folders of ``stem`` in ``parent`` whose writer is dead; their paths.

    A folder is removed only when its lock can be taken (its writer's process has ended:
    the kernel drops the lock of a killed process), or, without locks, when it names a
    process of this host that no longer exists. Folders of the previous naming scheme
    (no process id) are removed when untouched for :data:`LEGACY_AGE` seconds. Errors
    are ignored: a leftover is never worth failing a build.
    """
    parent = Path(parent)
    ours, legacy = _pattern(stem), _legacy(stem)
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        m = ours.fullmatch(entry.name)
        old = m is None and legacy.fullmatch(entry.name) is not None
        if (m is None and not old) or not entry.is_dir(follow_symlinks=False):
            continue
        if old:
            try:
                if time.time() - entry.stat(follow_symlinks=False).st_mtime < LEGACY_AGE:
                    continue
            except OSError:
                continue
        fd, locked = _try_lock(entry.path)
        try:
            if locked is False:
                continue
            if locked is None and m is not None and (m.group(1) != _host_tag()
                                                     or _alive(int(m.group(2)))):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            if not os.path.lexists(entry.path):
                removed.append(Path(entry.path))
        finally:
            if fd is not None:
                os.close(fd)
    return removed


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover
        return None


def exchange(a, b) -> bool:
    """Swap the names of folders ``a`` and ``b`` atomically; False (nothing changed) when
    the OS or the file system offers no exchange, or it fails for any other reason."""
    a, b = os.fsencode(a), os.fsencode(b)
    libc = _libc()
    if libc is None:
        return False
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        at_fdcwd, rename_exchange = -100, 2
        fn = libc.renameat2
        fn.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                       ctypes.c_uint)
        return fn(at_fdcwd, a, at_fdcwd, b, rename_exchange) == 0
    if sys.platform == "darwin" and hasattr(libc, "renamex_np"):  # pragma: no cover
        rename_swap = 2
        fn = libc.renamex_np
        fn.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint)
        return fn(a, b, rename_swap) == 0
    return False  # pragma: no cover


def _files(root: Path) -> list[Path]:
    """Relative paths of the regular files under ``root``, sorted, depth first."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = Path(dirpath).relative_to(root)
        out += [rel / f for f in sorted(filenames)]
    return out


def replace_files(src, dst, *, last=(), remove=()) -> None:
    """Move every file of folder ``src`` over its namesake in ``dst`` with
    :func:`os.replace`: files in sub-folders first, then the top level, the names in
    ``last`` at the very end in their order; then delete the relative paths ``remove``.

    Each file of ``dst`` is at every instant its complete old or complete new version.
    """
    src, dst = Path(src), Path(dst)
    files = _files(src)
    rank = {Path(n): k for k, n in enumerate(last)}
    files.sort(key=lambda p: (p in rank, rank.get(p, 0), len(p.parts) == 1, str(p)))
    for rel in files:
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src / rel, target)
        pause("swap-file")
    for rel in remove:
        with contextlib.suppress(FileNotFoundError):
            (dst / rel).unlink()


def install_tree(staged, out, *, last=()) -> Path | None:
    """Make folder ``out`` hold the tree of ``staged``; the path that now holds what must
    be deleted (the old tree after an exchange), or None.

    ``out`` missing: one rename. Otherwise a directory :func:`exchange`, or, where there is
    none, :func:`replace_files` (``last`` at the end) followed by deleting the files of
    ``out`` (top level and the folders the new tree has) that the new tree does not have.
    """
    staged, out = Path(staged), Path(out)
    if not os.path.lexists(out):
        try:
            os.rename(staged, out)
            return None
        except OSError:
            pass                                     # appeared meanwhile: swap with it
    if exchange(staged, out):
        return staged
    new = set(_files(staged))
    dirs = {p.parent for p in new}
    stale = [p for p in _files(out) if p.parent in dirs and p not in new]
    replace_files(staged, out, last=last, remove=stale)
    return staged


def fsync_tree(root) -> None:
    """Flush every file and folder under ``root`` to disk (best effort), so a swap that
    survives a power loss does not expose empty files."""
    for dirpath, _, filenames in os.walk(root):
        for name in [*filenames, None]:
            path = os.path.join(dirpath, name) if name else dirpath
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
            except OSError:
                pass
            finally:
                os.close(fd)


@contextlib.contextmanager
def deferred_signals(signums=(signal.SIGINT, signal.SIGTERM)):
    """Hold SIGINT/SIGTERM for the duration of the block, then deliver the first one
    received to the handler that was in place (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    saved = {}
    for s in signums:
        old = signal.getsignal(s)
        if old is None or old is signal.SIG_IGN:
            continue
        saved[s] = old
        signal.signal(s, lambda num, frame: got.append(num))
    try:
        yield
    finally:
        for s, old in saved.items():
            signal.signal(s, old)
        if got:
            signal.raise_signal(got[0])


def pause(point: str) -> None:
    """Test hook: with ``GATEBOUND_TEST_PAUSE=<point>:<folder>``, create ``<folder>/<point>``
    and wait here until ``<folder>/go`` exists (the kill tests signal the process while it
    waits). No effect otherwise."""
    spec = os.environ.get("GATEBOUND_TEST_PAUSE")
    if not spec:
        return
    name, _, folder = spec.partition(":")
    if name != point or not folder:
        return
    Path(folder, point).touch()
    while not os.path.exists(os.path.join(folder, "go")):
        time.sleep(0.01)


def _reason(exc: OSError) -> str:
    return exc.strerror or (str(exc).splitlines() or [type(exc).__name__])[0]


def make_folder(folder, what: str) -> list[Path]:
    """Create ``folder`` and its missing parents; the folders created, outermost first.

    :class:`ReportError` naming ``what`` and the offending component when a component is
    a file, a broken link, or cannot be created (nothing created stays behind).
    """
    folder = Path(folder)
    missing, p = [], folder
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    if not p.is_dir():
        kind = "a broken symbolic link or a link loop" if p.is_symlink() and not p.exists() \
            else "a file, not a folder"
        raise ReportError(f"{what}: {str(p)!r} is {kind}")
    created: list[Path] = []
    for d in reversed(missing):
        try:
            os.mkdir(d)
        except OSError as exc:
            remove_folders(created)
            raise ReportError(f"{what}: cannot create folder {str(d)!r} ({_reason(exc)})") \
                from None
        created.append(d)
    return created


def remove_folders(created) -> None:
    """Remove the folders ``created`` by :func:`make_folder` again, if still empty."""
    for d in reversed(list(created)):
        with contextlib.suppress(OSError):
            os.rmdir(d)


def staging_in(parent, stem: str, what: str) -> Staging:
    """:class:`Staging` in ``parent``, or :class:`ReportError` saying ``what`` cannot be
    written there (the folder, not the staging name)."""
    try:
        return Staging(parent, stem)
    except OSError as exc:
        raise ReportError(f"{what}: cannot write in folder {str(parent)!r} "
                          f"({_reason(exc)})") from None

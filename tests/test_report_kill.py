"""A killed report never costs the old one, and leaves nothing behind.

Real ``gatebound report`` processes are stopped with SIGKILL, SIGTERM and SIGINT at named
points (the private hook ``GATEBOUND_TEST_PAUSE=<point>:<folder>`` makes the build wait
there): during the document build, before the compile, just before the swap, just after it,
and in the middle of the per-file swap used where the OS has no directory exchange.
Afterwards the report folder holds the complete old or the complete new report (every PDF
opens, the ``.tex`` is complete), the exit status is 128 + the signal with one line on
stderr, and after the next run no staging folder survives. A reader loop checks that the
swap itself is atomic.

To stay fast, every paused process is started at once (module fixture) and most of them
reuse a document computed once (a small wrapper primes ``build_report``'s document cache),
so they spend their time only on the file handling under test.
"""

import dataclasses
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reports import _atomic, build_report
from reports.document import parse_cells

pypdf = pytest.importorskip("pypdf")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals, FIFOs and links")

ROOT = Path(__file__).parents[1]
NAME = "report"
#: the cache key's cells: ``cells="elman"`` is every Elman convention (tanh and relu)
ELMAN = tuple(parse_cells("elman"))
ARGS = ["report", "--quick", "--engine", "typst", "--cells", "elman"]

WRAPPER = '''
import pickle, sys
cache_file, no_exchange, *argv = sys.argv[1:]
import reports._atomic as a
import reports.build as b
if no_exchange == "1":
    a.exchange = lambda *args: False
if cache_file != "-":
    with open(cache_file, "rb") as fh:
        entry = pickle.load(fh)

    class AnyKey(dict):
        def get(self, key, default=None):
            return entry

    real = b.build_report

    def build_report(*args, **kw):
        kw["document_cache"] = AnyKey()
        return real(*args, **kw)

    b.build_report = build_report
from reports.cli import main
sys.argv = ["gatebound", *argv]
sys.exit(main(argv))
'''


def _text(pdf: Path) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _which(folder: Path, old: dict) -> str:
    """'old' or 'new' for a complete report in ``folder`` (asserts it is complete)."""
    files = _snapshot(folder)
    assert {"gatebound.pdf", "gatebound.tex", "gatebound.typ"} <= set(files), sorted(files)
    assert len([f for f in files if f.startswith("figures/")]) == 9, sorted(files)
    tex = files["gatebound.tex"].decode()
    assert tex.rstrip().endswith("\\end{document}")
    text = _text(folder / "gatebound.pdf")              # opens: the PDF is complete
    for f in files:
        if f.endswith(".pdf"):
            pypdf.PdfReader(folder / f)
    if files == old:
        return "old"
    assert "Old Author" not in tex and "Old Author" not in text
    assert "New Author" in tex and "New Author" in text
    return "new"


def _staging(parent: Path) -> list:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A complete old report, the new document (pickled) and the child wrapper."""
    d = tmp_path_factory.mktemp("kill")
    cache = {}
    res = build_report(d / "old", engine="typst", cells="elman", quick=True,
                       author="Old Author", document_cache=cache)
    (doc, figures), = cache.values()
    with open(d / "new.pkl", "wb") as fh:
        pickle.dump((dataclasses.replace(doc, author="New Author"), figures), fh)
    (d / "wrapper.py").write_text(WRAPPER)
    return {"dir": d, "old": res.out, "old_files": _snapshot(res.out), "cache": d / "new.pkl",
            "wrapper": d / "wrapper.py"}


class Child:
    """A ``gatebound report`` process paused at ``point`` (or running to the end)."""

    def __init__(self, base, out: Path, point, *, cached=True, no_exchange=False):
        self.out, self.point = out, point
        self.pause = out.parent / f"pause-{point}-{out.name}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("GATEBOUND_TEST_PAUSE", None)
        if point:
            self.pause.mkdir(parents=True, exist_ok=True)
            env["GATEBOUND_TEST_PAUSE"] = f"{point}:{self.pause}"
        cmd = [sys.executable, str(base["wrapper"]), str(base["cache"]) if cached else "-",
               "1" if no_exchange else "0", *ARGS, "--out", str(out)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=out.parent, env=env)

    def wait_paused(self, timeout=120.0):
        t0 = time.monotonic()
        while not (self.pause / self.point).exists():
            if self.proc.poll() is not None:
                pytest.fail(f"exited {self.proc.returncode} before {self.point}: "
                            f"{self.proc.stderr.read()}")
            assert time.monotonic() - t0 < timeout, f"never reached {self.point}"
            time.sleep(0.02)

    def stop(self, sig, *, release=False) -> tuple[int, str]:
        """Send ``sig``; with ``release``, then let the paused process go on."""
        self.wait_paused()
        self.proc.send_signal(sig)
        if release:
            time.sleep(0.3)
            assert self.proc.poll() is None, "the signal was not held"
            (self.pause / "go").touch()
        _, err = self.proc.communicate(timeout=120)
        shutil.rmtree(self.pause)
        return self.proc.returncode, err


def _old_copy(base, parent: Path) -> Path:
    out = parent / NAME
    shutil.copytree(base["old"], out)
    return out


#: SIGKILLed runs, all on one folder (the first computes its document for real)
KILLS = [("document", False), ("compile", True), ("swap", True)]
#: SIGTERM/SIGINT, each on its own folder
STOPS = [(signal.SIGTERM, "document"), (signal.SIGTERM, "swap"), (signal.SIGTERM, "swapped"),
         (signal.SIGINT, "document"), (signal.SIGINT, "compile")]


@pytest.fixture(scope="module")
def children(base):
    """Every paused process, started at once."""
    d = base["dir"]
    shared = _old_copy(base, d / "shared")
    kids = {("KILL", p): Child(base, shared, p, cached=c) for p, c in KILLS}
    kids["KILL", "swapped"] = Child(base, _old_copy(base, d / "swapped"), "swapped")
    kids["KILL", "swap-file"] = Child(base, _old_copy(base, d / "perfile"), "swap-file",
                                      no_exchange=True)
    for sig, point in STOPS:
        kids[sig.name, point] = Child(base, _old_copy(base, d / f"{sig.name}-{point}"), point)
    kids["TERM", "swap-file"] = Child(base, _old_copy(base, d / "term-perfile"), "swap-file",
                                      no_exchange=True)
    yield kids
    for k in kids.values():
        if k.proc.poll() is None:
            k.proc.kill()
            k.proc.communicate()


def test_live_runs_keep_their_staging_folders(children):
    kids = [children["KILL", p] for p, _ in KILLS]
    for k in kids:
        k.wait_paused()
    parent = kids[0].out.parent
    assert len(_staging(parent)) == 3                   # one locked folder per live run
    assert _atomic.remove_leftovers(parent, NAME) == []  # a concurrent run keeps its own
    assert len(_staging(parent)) == 3


@pytest.mark.parametrize(("point", "cached"), KILLS)
def test_sigkill_keeps_the_old_report(children, base, point, cached):
    k = children["KILL", point]
    code, _ = k.stop(signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert _which(k.out, base["old_files"]) == "old"


def test_sigkill_after_the_exchange_leaves_the_new_report(children, base):
    k = children["KILL", "swapped"]
    code, _ = k.stop(signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert _which(k.out, base["old_files"]) == "new"
    assert len(_staging(k.out.parent)) == 1             # the old tree, for the next run


def test_sigkill_during_the_per_file_swap_leaves_complete_files(children, base):
    k = children["KILL", "swap-file"]
    code, _ = k.stop(signal.SIGKILL)
    assert code == -signal.SIGKILL
    old = base["old_files"]
    files = _snapshot(k.out)
    assert set(files) == set(old)                       # no file missing
    assert files["gatebound.pdf"] == old["gatebound.pdf"]  # the PDF goes last
    for name in files:
        if name.endswith(".pdf"):
            pypdf.PdfReader(k.out / name)               # every file complete
    assert files["gatebound.tex"].decode().rstrip().endswith("\\end{document}")


@pytest.mark.parametrize(("sig", "point"), STOPS, ids=[f"{s.name}-{p}" for s, p in STOPS])
def test_sigterm_and_sigint_clean_up_and_exit_128_plus_signal(children, base, sig, point):
    k = children[sig.name, point]
    code, err = k.stop(sig)
    assert code == 128 + sig, err
    assert "Traceback" not in err
    final = {signal.SIGTERM: "gatebound report: terminated (SIGTERM)",
             signal.SIGINT: "gatebound report: interrupted"}[sig]
    assert err.strip().splitlines()[-1] == final
    assert sum("gatebound report:" in ln for ln in err.splitlines()) == 1
    assert _which(k.out, base["old_files"]) == ("new" if point == "swapped" else "old")
    assert _staging(k.out.parent) == []                 # nothing left behind
    assert sorted(p.name for p in k.out.parent.iterdir()) == [NAME]


def test_sigterm_during_the_per_file_swap_is_held_until_the_swap_is_done(children, base):
    k = children["TERM", "swap-file"]
    code, err = k.stop(signal.SIGTERM, release=True)
    assert code == 128 + signal.SIGTERM, err
    assert err.strip().splitlines()[-1] == "gatebound report: terminated (SIGTERM)"
    assert _which(k.out, base["old_files"]) == "new"
    assert sorted(p.name for p in k.out.parent.iterdir()) == [NAME]


def test_next_run_removes_every_leftover(children, base):
    """After the SIGKILLed runs, the next run builds and removes every leftover: the real
    console script on the shared folder, in-process builds on the two others."""
    for key in [("KILL", p) for p, _ in KILLS] + [("KILL", "swapped"), ("KILL", "swap-file")]:
        if children[key].proc.poll() is None:         # run alone: kill them here
            children[key].stop(signal.SIGKILL)
    shared = children["KILL", "document"].out
    assert len(_staging(shared.parent)) == 3
    exe = Path(sys.executable).with_name("gatebound")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "reports.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("GATEBOUND_TEST_PAUSE", None)
    run = subprocess.Popen([*cmd, *ARGS, "--out", str(shared)], env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    others = [children["KILL", "swapped"].out, children["KILL", "swap-file"].out]
    with open(base["cache"], "rb") as fh:
        entry = pickle.load(fh)
    for out in others:
        build_report(out, engine="typst", cells="elman", quick=True, author="New Author",
                     document_cache={(ELMAN, True, None, "New Author", None, "en"): entry})
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    for out in [shared, *others]:
        assert _staging(out.parent) == []
        assert sorted(p.name for p in out.parent.iterdir()) == [NAME]
    assert "Old Author" not in (shared / "gatebound.tex").read_text()
    pypdf.PdfReader(shared / "gatebound.pdf")
    for out in others:
        assert _which(out, base["old_files"]) == "new"


# -- the swap itself: a reader never sees a missing or partial report ---------------------

def _variant(base, parent: Path, tag: bytes) -> Path:
    """A complete report tree whose every file ends with ``tag`` (so a reader can tell)."""
    out = parent / tag.decode()
    shutil.copytree(base["old"], out)
    for p in out.rglob("*"):
        if p.is_file():
            p.write_bytes(p.read_bytes() + tag)
    return out


@pytest.mark.parametrize("mode", ["exchange", "per-file"])
def test_swap_is_atomic_for_a_concurrent_reader(base, tmp_path, monkeypatch, mode):
    if mode == "per-file":
        monkeypatch.setattr(_atomic, "exchange", lambda a, b: False)
    else:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        if not _atomic.exchange(tmp_path / "a", tmp_path / "b"):
            pytest.skip("no directory exchange on this file system")
    trees = [_variant(base, tmp_path / "src", t) for t in (b"A", b"B")]
    versions = [_snapshot(t) for t in trees]
    names = set(versions[0])
    out = tmp_path / "x" / NAME
    out.parent.mkdir()
    shutil.copytree(trees[0], out)
    stop, seen, problems = threading.Event(), set(), []

    def reader():
        while not stop.is_set():
            try:
                fd = os.open(out, os.O_RDONLY)        # one tree for the whole snapshot
            except OSError as exc:
                problems.append(f"report folder missing: {exc}")
                continue
            try:
                snap = {}
                for name in names:
                    f = os.open(name, os.O_RDONLY, dir_fd=fd)
                    with os.fdopen(f, "rb") as fh:
                        snap[name] = fh.read()
            except OSError as exc:
                if not os.path.samestat(os.fstat(fd), os.stat(out)):
                    continue                          # swapped out and being removed

                problems.append(f"file missing: {exc}")
                continue
            finally:
                os.close(fd)
            tags = set()
            for name, data in snap.items():
                which = [k for k, v in enumerate(versions) if v[name] == data]
                if not which:
                    problems.append(f"{name} is partial")
                tags.update(which)
            seen.update(tags)
            if mode == "exchange" and len(tags) != 1:
                problems.append(f"a mixed tree: {tags}")

    th = threading.Thread(target=reader)
    th.start()
    try:
        t0, k = time.monotonic(), 0
        while time.monotonic() - t0 < 1.5 or k < 20:
            k += 1
            stage = _atomic.Staging(out.parent, NAME)
            try:
                shutil.copytree(trees[k % 2], stage.path, dirs_exist_ok=True)
                _atomic.install_tree(stage.path, out, last=("gatebound.pdf",))
            finally:
                stage.discard()
    finally:
        stop.set()
        th.join()
    assert problems == []
    assert seen == {0, 1}
    assert sorted(os.listdir(out.parent)) == [NAME]


# -- which leftovers the next run removes ------------------------------------------------

def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _leftover(parent: Path, host: str, pid: int) -> Path:
    p = parent / f".{NAME}.tmp-{host}-{pid}-0123abcd"
    (p / "figures").mkdir(parents=True)
    (p / "figures" / "x.pdf").write_bytes(b"partial")
    return p


def test_leftovers_without_locks_are_judged_by_host_and_process(tmp_path, monkeypatch):
    """Where flock is unavailable, a folder goes only when its process of this host is gone."""
    monkeypatch.setattr(_atomic, "_try_lock", lambda path: (None, None))
    host = _atomic._host_tag()
    dead = _leftover(tmp_path, host, _dead_pid())
    live = _leftover(tmp_path, host, os.getpid())
    other = _leftover(tmp_path, "ffffffff" if host != "ffffffff" else "eeeeeeee", _dead_pid())
    assert _atomic.remove_leftovers(tmp_path, NAME) == [dead]
    assert live.exists() and other.exists() and not dead.exists()


def test_leftovers_with_free_locks_go_and_held_locks_stay(tmp_path):
    dead = _leftover(tmp_path, _atomic._host_tag(), os.getpid())   # no one holds its lock
    held = _atomic.Staging(tmp_path, NAME)
    try:
        assert _atomic.remove_leftovers(tmp_path, NAME) == [dead]
        assert held.path.exists()
    finally:
        held.discard()
    assert os.listdir(tmp_path) == []


def test_leftovers_of_the_previous_builder_go_once_old(tmp_path):
    old_tmp, old_aside = tmp_path / f".{NAME}.tmp-k3j_9x2a", tmp_path / f".{NAME}.old-17000"
    recent = tmp_path / f".{NAME}.tmp-recent12"
    others = [tmp_path / f".{NAME}.tmp-notours", tmp_path / ".other.tmp-k3j_9x2a",
              tmp_path / NAME]
    for p in (old_tmp, old_aside, recent, *others):
        p.mkdir()
    (old_tmp / "gatebound.tex").write_text("partial")
    t = time.time() - 2 * _atomic.LEGACY_AGE
    for p in (old_tmp, old_aside):
        os.utime(p, (t, t))
    assert sorted(_atomic.remove_leftovers(tmp_path, NAME)) == sorted([old_tmp, old_aside])
    assert recent.exists() and all(p.exists() for p in others)


def test_a_file_or_link_with_a_staging_name_is_never_removed(tmp_path):
    target = tmp_path / "keep"
    target.mkdir()
    (tmp_path / f".{NAME}.tmp-{_atomic._host_tag()}-{_dead_pid()}-0123abcd").write_text("x")
    os.symlink(target, tmp_path / f".{NAME}.tmp-{_atomic._host_tag()}-{_dead_pid()}-4567abcd")
    assert _atomic.remove_leftovers(tmp_path, NAME) == []
    assert len(os.listdir(tmp_path)) == 3


def test_per_file_swap_replaces_figures_first_pdf_last_and_drops_stale_files(base, tmp_path,
                                                                            monkeypatch):
    monkeypatch.setattr(_atomic, "exchange", lambda a, b: False)
    out = _old_copy(base, tmp_path)
    (out / "stale.log").write_text("from an old LaTeX build")
    (out / "figures" / "gone.pdf").write_bytes(b"old figure")
    (out / "notes").mkdir()
    (out / "notes" / "mine.txt").write_text("kept: not part of the report's folders")
    moved = []
    real = os.replace
    monkeypatch.setattr(_atomic.os, "replace",
                        lambda a, b: (moved.append(Path(b).relative_to(out)), real(a, b)))
    with open(base["cache"], "rb") as fh:
        entry = pickle.load(fh)
    build_report(out, engine="typst", cells="elman", quick=True, author="New Author",
                 document_cache={(ELMAN, True, None, "New Author", None, "en"): entry})
    assert moved[-1] == Path("gatebound.pdf")
    assert all(p.parts[0] == "figures" for p in moved[:5])
    assert _which(out, base["old_files"]) == "new"
    assert not (out / "stale.log").exists() and not (out / "figures" / "gone.pdf").exists()
    assert (out / "notes" / "mine.txt").exists()
    assert sorted(os.listdir(tmp_path)) == [NAME]



def _cached_build(base, out):
    with open(base["cache"], "rb") as fh:
        entry = pickle.load(fh)
    return build_report(out, engine="typst", cells="elman", quick=True, author="New Author",
                        document_cache={(ELMAN, True, None, "New Author", None, "en"):
                                        entry})


def test_out_through_a_symbolic_link_replaces_the_linked_folder(base, tmp_path):
    real = _old_copy(base, tmp_path / "data")
    (tmp_path / "link").symlink_to(real)
    res = _cached_build(base, tmp_path / "link")
    assert (tmp_path / "link").is_symlink() and res.out == real
    assert _which(real, base["old_files"]) == "new"
    assert sorted(os.listdir(tmp_path / "data")) == [NAME]


def test_out_holding_only_figures_or_hidden_files_is_replaced(base, tmp_path):
    out = tmp_path / NAME
    (out / "figures").mkdir(parents=True)
    (out / ".DS_Store").write_bytes(b"")
    _cached_build(base, out)
    assert _which(out, base["old_files"]) == "new"


def test_cleaners_racing_with_new_staging_folders_never_take_a_live_one(tmp_path):
    """Threads create, fill and discard staging folders while others clean leftovers:
    a folder is never removed while its owner holds it."""
    stop, problems = threading.Event(), []

    def owner():
        while not stop.is_set():
            st = _atomic.Staging(tmp_path, NAME)
            try:
                (st.path / "figures").mkdir()
                (st.path / "figures" / "f.pdf").write_bytes(b"x")
                time.sleep(0.001)
                if not (st.path / "figures" / "f.pdf").exists():
                    problems.append(st.path.name)
            except OSError as exc:
                problems.append(repr(exc))
            finally:
                st.discard()

    def cleaner():
        while not stop.is_set():
            _atomic.remove_leftovers(tmp_path, NAME)

    threads = [threading.Thread(target=f) for f in (owner, owner, cleaner, cleaner)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join()
    assert problems == []
    assert os.listdir(tmp_path) == []

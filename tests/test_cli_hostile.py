"""Hostile command lines: every failure is one line on stderr naming the offending option or
file, exit status 2, no traceback, found before any work, and nothing written."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import numeric
from reports import cli
from reports.cli import main

BIG = str(10**12)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals, FIFOs and links")


def _files(root: Path) -> set:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A folder of good and damaged weight files."""
    d = tmp_path_factory.mktemp("weights")
    (d / "empty.pt").write_bytes(b"")
    (d / "text.pt").write_text("hello world\n")
    (d / "empty.npz").write_bytes(b"")
    p = numeric.init("gru", 4, 3, seed=0)
    numeric.save(p, d / "gru.npz")
    data = (d / "gru.npz").read_bytes()
    (d / "trunc.npz").write_bytes(data[: len(data) // 2])
    np.save(d / "arr.npy", np.zeros(3))
    os.replace(d / "arr.npy", d / "renamed.npz")
    np.savez(d / "other.npz", a=np.zeros(3))
    numeric.save(numeric.init("elman", 4, 3, seed=0), d / "elman.npz")
    (d / "dir.pt").mkdir()
    (d / "dir.npz").mkdir()
    os.mkfifo(d / "fifo.pt")
    os.mkfifo(d / "fifo.npz")
    os.symlink(d / "loop.pt", d / "loop.pt")
    os.symlink(d / "nothere.npz", d / "dangling.npz")
    (d / "afile").write_text("x")
    (d / "w.txt").write_text("x")
    (d / "w.onnx").write_bytes(b"\x08\x01")
    (d / "notes").mkdir()
    (d / "notes" / "mine.txt").write_text("keep me")
    try:
        import torch
    except ImportError:
        return d
    torch.save({"weight_ih_l0": torch.zeros(0, 3), "weight_hh_l0": torch.zeros(0, 0)},
               d / "zero.pt")
    torch.save({"weight_ih_l0": torch.zeros(6, 3), "weight_hh_l0": torch.zeros(6, 0)},
               d / "six0.pt")
    torch.save(torch.nn.GRU(3, 4).state_dict(), d / "gru.pt")
    torch.save(torch.nn.GRU(3, 4, num_layers=2).state_dict(), d / "gru2.pt")
    torch.save(torch.nn.RNN(3, 4, nonlinearity="relu"), d / "relu_module.pt")
    torch.save({"a": torch.zeros(2)}, d / "nokeys.pt")
    torch.save([1, 2], d / "list.pt")
    import pickle

    (d / "pickle.pt").write_bytes(pickle.dumps({"x": 1}))
    data = (d / "gru.pt").read_bytes()
    (d / "trunc.pt").write_bytes(data[: len(data) // 2])
    return d


W = "{w}"     # the weights folder
O = "{o}"     # a fresh output path inside the scratch folder (never created)

# (argv, a regular expression the one error line must match: it names the option or file)
CASES = [
    # weights files
    (["analyze", f"{W}/empty.pt"], r"empty\.pt.*empty"),
    (["analyze", f"{W}/empty.npz"], r"empty\.npz.*empty"),
    (["analyze", f"{W}/trunc.npz"], r"trunc\.npz"),
    (["analyze", f"{W}/renamed.npz"], r"renamed\.npz"),
    (["analyze", f"{W}/other.npz"], r"other\.npz"),
    (["analyze", f"{W}/dir.pt"], r"dir\.pt.*directory"),
    (["analyze", f"{W}/dir.npz"], r"dir\.npz.*directory"),
    (["analyze", f"{W}/fifo.pt"], r"fifo\.pt.*not a regular file"),
    (["analyze", f"{W}/fifo.npz"], r"fifo\.npz.*not a regular file"),
    (["analyze", f"{W}/loop.pt"], r"loop\.pt.*loop"),
    (["analyze", f"{W}/dangling.npz"], r"dangling\.npz.*broken symbolic link"),
    (["analyze", f"{W}/missing.npz"], r"missing\.npz.*does not exist"),
    (["analyze", f"{W}/afile"], r"afile.*\.pt"),
    (["analyze", f"{W}/w.txt"], r"'\.txt'"),
    (["analyze", f"{W}/w.onnx"], r"w\.onnx.*not an ONNX model"),
    (["analyze", ""], r"weights file"),
    (["analyze", "   "], r"weights file"),
    (["analyze", f"{W}/gru.npz", "--layer", "1"], r"--layer 1.*\.npz"),
    (["analyze", f"{W}/gru.npz", "--cell", "lstm"], r"gru\.npz.*lstm"),
    # --cell syntax
    (["analyze", f"{W}/gru.npz", "--cell", ""], r"--cell is empty"),
    (["analyze", f"{W}/gru.npz", "--cell", "gru:"], r"--cell 'gru:'.*convention"),
    (["analyze", f"{W}/gru.npz", "--cell", ":cho"], r"--cell ':cho'.*no cell"),
    (["analyze", f"{W}/gru.npz", "--cell", " : "], r"--cell ' : '"),
    (["analyze", f"{W}/gru.npz", "--cell", "gru:nope"], r"--cell.*'nope'"),
    (["analyze", f"{W}/gru.npz", "--cell", "nosuch"], r"--cell.*'nosuch'"),
    (["analyze", f"{W}/gru.npz", "--cell", "gru:cho:x"], r"--cell 'gru:cho:x'"),
    (["analyze", f"{W}/elman.npz", "--cell", "elman:pytorch"], r"--cell.*'pytorch'"),
    # numbers: negative, zero, huge, not integers
    *[(["analyze", f"{W}/gru.npz", opt, v], rf"argument {opt}: .*{re.escape(v)}")
      for opt, bad in (("--steps", ["0", "1", "-3", "2.5", "1e3", "x", "", "nan", "inf",
                                    "0x10"]),
                       ("--batch", ["0", "-1", "1.5", "1e2", "x"]),
                       ("--seed", ["-1", "x", "1.5", "-0.5"]),
                       ("--layer", ["-1", "x", "0.5"]))
      for v in bad],
    (["analyze", f"{W}/gru.npz", "--steps", BIG], rf"--steps {BIG}.*more than"),
    (["analyze", f"{W}/gru.npz", "--batch", BIG], rf"--batch {BIG}.*more than"),
    (["analyze", f"{W}/gru.npz", "--steps", "10000000", "--batch", "100000"],
     r"--steps 10000000 --batch 100000.*more than"),
    # --out of analyze
    (["analyze", f"{W}/gru.npz", "--out", f"{W}/afile"], r"--out.*afile.*a file"),
    (["analyze", f"{W}/gru.npz", "--out", f"{W}/afile/sub"], r"--out.*afile.*a file"),
    (["analyze", f"{W}/gru.npz", "--out", "/proc/gb", "--steps", "40000"],
     r"--out '/proc/gb'"),
    (["analyze", f"{W}/gru.npz", "--out", f"{W}/loop.pt/x"], r"--out.*loop"),
    (["analyze", f"{W}/gru.npz", "--out", ""], r"--out"),
    # check
    *[(["check", "--samples", v, "--cells", "elman"], rf"--samples.*{re.escape(v)}")
      for v in ("0", "-1", "1.5", "x", BIG)],
    *[(["check", "--seed", v, "--cells", "elman"], rf"--seed.*{re.escape(v)}")
      for v in ("-1", "x", "2.0")],
    *[(["check", "--cells", v], rf"--cells.*{re.escape(m)}")
      for v, m in (("", "''"), (",", "','"), ("gru:", "'gru:'"), (":cho", "':cho'"),
                   ("gru:nope", "'nope'"), ("bogus", "'bogus'"), ("elman,bogus", "'bogus'"),
                   ("a:b:c", "'a:b:c'"), ("elman:pytorch", "'pytorch'"))],
    (["check", "--seed", "9" * 5000], r"argument --seed: must be an integer >= 0, got '999"),
    (["check", "--samples", "1" * 40], r"--samples 1{40} .*more than"),
    # derive
    (["derive", ""], r"cell is empty"),
    (["derive", "gru", "--convention", "CHO"], r"'CHO'"),
    (["derive", "nosuch"], r"'nosuch'"),
    (["derive", "gru:"], r"'gru:'"),
    (["derive", "gru", "--convention", "nope"], r"'nope'"),
    (["derive", "gru", "--convention", ""], r"--convention"),
    (["derive", "elman", "--convention", "pytorch"], r"'pytorch'"),
    (["derive", "gru:cho", "--convention", "seed"], r"'cho'.*--convention"),
    (["derive", "gru", "--format", "pdf"], r"--format.*'pdf'"),
    # report
    (["report", "--engine", "typst", "--out", f"{W}/afile"], r"--out.*afile.*not a directory"),
    (["report", "--engine", "typst", "--out", f"{W}/afile/sub"], r"--out.*afile.*a file"),
    (["report", "--engine", "typst", "--out", "/proc/gb"], r"--out '/proc/gb'"),
    (["report", "--engine", "typst", "--out", ""], r"--out"),
    (["report", "--engine", "typst", "--out", "/"], r"--out '/'.*root"),
    (["report", "--engine", "typst", "--out", f"{W}/loop.pt"], r"--out.*loop"),
    (["report", "--engine", "typst", "--out", f"{W}/dangling.npz"], r"--out.*broken"),
    (["report", "--engine", "typst", "--out", f"{W}/notes"], r"--out.*notes.*other files"),
    (["report", "--engine", "pdf"], r"--engine.*'pdf'"),
    (["report", "--lang", "fr"], r"--lang.*'fr'"),
    (["report", "--cells", "gru:"], r"--cells 'gru:'"),
    (["report", "--cells", "elman,bogus"], r"'bogus'"),
    # the command line itself
    ([], r"required"),
    (["nosuch"], r"'nosuch'"),
    (["analyze"], r"MODEL"),
    (["check", "--nosuch"], r"--nosuch"),
]

TORCH_CASES = [
    (["analyze", f"{W}/text.pt", "--cell", "gru"], r"text\.pt"),
    (["analyze", f"{W}/zero.pt", "--cell", "elman"], r"zero\.pt.*\(0, 0\)"),
    (["analyze", f"{W}/six0.pt", "--cell", "gru"], r"six0\.pt.*\(6, 0\)"),
    (["analyze", f"{W}/nokeys.pt", "--cell", "gru"], r"nokeys\.pt"),
    (["analyze", f"{W}/list.pt", "--cell", "gru"], r"list\.pt"),
    (["analyze", f"{W}/pickle.pt", "--cell", "gru"], r"pickle\.pt"),
    (["analyze", f"{W}/trunc.pt", "--cell", "gru"], r"trunc\.pt"),
    (["analyze", f"{W}/relu_module.pt", "--cell", "elman"], r"relu_module\.pt"),
    (["analyze", f"{W}/gru.pt"], r"gru\.pt.*--cell gru"),
    (["analyze", f"{W}/gru.pt", "--cell", "lstm"], r"gru\.pt.*--cell lstm"),
    (["analyze", f"{W}/gru.pt", "--cell", "gru:seed"], r"gru"),
    (["analyze", f"{W}/gru.pt", "--cell", "gru", "--layer", "5"], r"gru\.pt.*layer 5"),
    (["analyze", f"{W}/gru2.pt", "--cell", "gru", "--layer", "2"], r"gru2\.pt.*layer 2"),
    (["analyze", f"{W}/gru.pt", "--cell", "gru", "--steps", BIG], rf"--steps {BIG}"),
    (["analyze", f"{W}/gru.pt", "--cell", "gru", "--out", f"{W}/afile"], r"--out.*afile"),
]


def _ids(cases):
    return [" ".join(a)[:70].replace("{w}/", "") or "(none)" for a, _ in cases]


def _run(argv, weights, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)                      # default outputs land in tmp_path
    argv = [a.replace(W, str(weights)).replace(O, str(tmp_path / "out")) for a in argv]
    before_w, before_t = _files(weights), _files(tmp_path)
    code = main(argv)
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert code == 2, (argv, code, cap.err)
    assert len(lines) == 1, cap.err
    cmd = f" {argv[0]}" if argv and argv[0] in ("analyze", "check", "derive", "report") else ""
    assert re.match(rf"gatebound({cmd})?: error: ", lines[0]), lines[0]
    assert "Traceback" not in cap.err
    assert _files(weights) == before_w and _files(tmp_path) == before_t  # nothing written
    return lines[0]


@pytest.mark.parametrize(("argv", "pattern"), CASES, ids=_ids(CASES))
def test_hostile_invocation_is_one_line_exit_2_and_writes_nothing(argv, pattern, weights,
                                                                   tmp_path, monkeypatch,
                                                                   capsys):
    line = _run(argv, weights, tmp_path, monkeypatch, capsys)
    assert re.search(pattern, line), line


@pytest.mark.torch
@pytest.mark.parametrize(("argv", "pattern"), TORCH_CASES, ids=_ids(TORCH_CASES))
def test_hostile_torch_file_is_one_line_exit_2_and_writes_nothing(argv, pattern, weights,
                                                                  tmp_path, monkeypatch,
                                                                  capsys):
    pytest.importorskip("torch")
    line = _run(argv, weights, tmp_path, monkeypatch, capsys)
    assert re.search(pattern, line), line


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes regardless of modes")
def test_unreadable_weights_and_unwritable_out(weights, tmp_path, monkeypatch, capsys):
    f = tmp_path / "locked.npz"
    f.write_bytes((weights / "gru.npz").read_bytes())
    f.chmod(0)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert main(["analyze", str(f)]) == 2
        assert "locked.npz" in capsys.readouterr().err
        assert main(["analyze", str(weights / "gru.npz"), "--out", str(ro / "a")]) == 2
        assert "--out" in capsys.readouterr().err
        assert main(["report", "--engine", "typst", "--out", str(ro / "r")]) == 2
        assert "--out" in capsys.readouterr().err
        assert os.listdir(ro) == []
    finally:
        ro.chmod(0o700)


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "analyze" in capsys.readouterr().out


# -- the last resort: anything unexpected is still one line ------------------------------

@pytest.mark.parametrize("exc", [ZeroDivisionError(), KeyError(101), IndexError(""),
                                 RuntimeError("first\nsecond\n\nthird"),
                                 ValueError("\x1b[1mbold\x1b[0m and\tcontrol\x07"),
                                 OSError(28, "No space left on device"), MemoryError(),
                                 RecursionError("deep")])
def test_unexpected_exception_is_one_line_naming_its_type(exc, monkeypatch, capsys):
    def boom(args):
        raise exc

    monkeypatch.setattr(cli, "_derive", boom)
    assert main(["derive", "gru"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gatebound derive: error: ")
    assert type(exc).__name__ in lines[0] or str(exc).split("\n")[0] in lines[0]
    assert "\x1b" not in err and "\x07" not in err and "\t" not in lines[0]


@pytest.mark.parametrize("msg", ["", "\n", "   \n  ", "\x1b[0m"])
def test_empty_messages_never_index_into_nothing(msg, monkeypatch, capsys):
    from reports import ReportError

    def boom(args):
        raise ReportError(msg)

    monkeypatch.setattr(cli, "_derive", boom)
    assert main(["derive", "gru"]) == 2
    assert capsys.readouterr().err.strip() == "gatebound derive: error: ReportError"


def test_interrupt_is_one_line_exit_130(monkeypatch, capsys):
    def boom(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_check", boom)
    assert main(["check"]) == 130
    assert capsys.readouterr().err.strip() == "gatebound check: interrupted"


def test_sigterm_handler_is_restored_after_main(capsys):
    import signal

    before = signal.getsignal(signal.SIGTERM)
    assert main(["derive", "nosuch"]) == 2
    assert signal.getsignal(signal.SIGTERM) is before
    capsys.readouterr()


# -- the real console: a subprocess shows the real stderr --------------------------------

@pytest.mark.parametrize(("argv", "pattern"), [
    (["analyze", "{w}/empty.npz"], r"empty\.npz"),
    (["check", "--seed", "-1"], r"--seed"),
    (["report", "--engine", "typst", "--out", "{w}/afile/sub"], r"--out"),
], ids=["empty-npz", "seed", "out-under-file"])
def test_real_process_prints_one_line_and_exits_2(argv, pattern, weights, tmp_path):
    argv = [a.replace(W, str(weights)) for a in argv]
    proc = subprocess.run([sys.executable, "-m", "reports.cli", *argv], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and re.search(pattern, lines[0]), proc.stderr
    assert proc.stdout == "" and os.listdir(tmp_path) == []

"""A user's own cell on the command line: ``gatebound derive/check/report --cells`` with
``path/to/file.py:name`` and ``package.module:name``; every mistake one line, exit 2,
nothing written."""

from __future__ import annotations

import os
import re
import sys
import textwrap

import pytest

import derivations as dv
from reports.cli import main
from tests._user_cells import user_mgu

CELL_SOURCE = textwrap.dedent('''
    """A user's cells, written only with the public cell language."""
    import derivations as dv


    def mgu():
        """An MGU-like cell: h' = (1 - f) h + f tanh(W_n x + U_n (f h) + b_n)."""
        cb = dv.CellBuilder("user_mgu")
        x, h = cb.input("x"), cb.state("h")
        W_f, U_f, W_n, U_n = cb.weights("W_f U_f W_n U_n")
        b_f, b_n = cb.biases("b_f b_n")
        f = cb.let("f", dv.sigmoid(W_f @ x + U_f @ h + b_f), role="gate")
        n = cb.let("n", dv.tanh(W_n @ x + U_n @ (f * h) + b_n), role="candidate")
        cb.update(h, (1 - f) * h + f * n)
        cb.carrying(f, 0)
        return cb.build()


    def _indrnn():
        cb = dv.CellBuilder("user_indrnn")
        x, h = cb.input("x"), cb.state("h")
        W, U = cb.weights("W U")
        b = cb.bias("b")
        cb.update(h, dv.tanh(W @ x + U @ h + b))
        return cb.build()


    INDRNN = _indrnn()
    NOT_A_CELL = 3


    def broken():
        raise ValueError("the user's factory fails")


    def needs_size(hidden):
        return None


    def returns_int():
        return 7
''')


def reference_mgu():
    """The same MGU-like cell, built here independently of the file."""
    return user_mgu()


@pytest.fixture
def cell_file(tmp_path):
    path = tmp_path / "my_cells.py"
    path.write_text(CELL_SOURCE, encoding="utf-8")
    return path


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return code, cap.out, cap.err.strip().splitlines()


def test_derive_prints_the_latex_jacobian_of_a_file_cell(cell_file, capsys):
    before_path, before_mods = list(sys.path), set(sys.modules)
    code, out, _ = _run(["derive", f"{cell_file}:mgu"], capsys)
    assert code == 0
    d = dv.derive(reference_mgu())
    assert d.latex(labelled=True) in out and d.equations_latex() in out
    # the user's file ran under a private name that is gone again; sys.path untouched
    assert sys.path == before_path
    assert not [m for m in set(sys.modules) - before_mods
                if "my_cells" in m or m.startswith("_gatebound_user")]


def test_derive_takes_a_cell_object_and_a_module_spec(cell_file, capsys, monkeypatch):
    code, out, _ = _run(["derive", f"{cell_file}:INDRNN", "--format", "text"], capsys)
    assert code == 0 and "user_indrnn: equations" in out
    pkg = cell_file.parent / "userpkg_cli"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "cells.py").write_text(CELL_SOURCE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(cell_file.parent))
    try:
        code, out, _ = _run(["derive", "userpkg_cli.cells:mgu"], capsys)
    finally:
        for name in ("userpkg_cli.cells", "userpkg_cli"):
            sys.modules.pop(name, None)
    assert code == 0 and dv.derive(reference_mgu()).latex(labelled=True) in out


def test_a_builtin_name_still_works(capsys):
    code, out, _ = _run(["derive", "gru:cho"], capsys)
    assert code == 0 and dv.derive("gru", "cho").latex(labelled=True) in out


def test_check_passes_on_a_file_cell(cell_file, capsys):
    code, out, _ = _run(["check", "--cells", f"elman,{cell_file}:mgu", "--samples", "4"],
                        capsys)
    assert code == 0
    rows = [ln.split()[0] for ln in out.splitlines()]
    assert "user_mgu" in rows and "elman" in rows and "all checks passed" in out


def _parse_cells_takes_cells() -> bool:
    from reports.document import parse_cells

    try:
        return parse_cells([dv.cell("elman")]) == [dv.cell("elman")]
    except Exception:
        return False


@pytest.mark.xfail(not _parse_cells_takes_cells(), strict=True,
                   reason="reports.document.parse_cells does not yet pass Cell objects "
                   "through (the lead's file)")
def test_report_quick_builds_with_a_file_cell(cell_file, tmp_path, capsys):
    out = tmp_path / "report"
    code, _, err = _run(["report", "--quick", "--engine", "typst", "--out", out,
                         "--cells", f"{cell_file}:mgu"], capsys)
    assert code == 0, err
    tex = (out / "gatebound.tex").read_text(encoding="utf-8")
    assert (out / "gatebound.pdf").stat().st_size > 0
    # the same sections as a built-in cell: its subsection, exact proofs, numeric bounds
    assert "\\subsection{user\\_mgu}" in tex
    assert "Exact proofs for user\\_mgu" in tex and "weight scales for user\\_mgu" in tex


HOSTILE = [
    ("missing.py:mgu", r"cell file 'missing\.py' does not exist"),
    ("cells.txt:mgu", r"cell file 'cells\.txt' is not a \.py file"),
    ("syntax.py:mgu", r"syntax error in 'syntax\.py' line 3"),
    ("raises.py:mgu", r"running 'raises\.py' raised RuntimeError: at import \(line 2\)"),
    ("my_cells.py:nope", r"has no attribute 'nope'; its cells: INDRNN"),
    ("my_cells.py:NOT_A_CELL", r"'NOT_A_CELL' is not a derivations\.Cell.*type is int"),
    ("my_cells.py:broken", r"broken\(\) raised ValueError: the user's factory fails"),
    ("my_cells.py:needs_size", r"'needs_size' takes required arguments \(hidden\)"),
    ("my_cells.py:returns_int", r"returns_int\(\) returned an object of type int"),
    ("nosuchmod:cell", r"'nosuchmod' is neither a built-in cell, a \.py file nor an "
                       r"importable module"),
]


@pytest.mark.parametrize("command", ["derive", "check", "report"])
@pytest.mark.parametrize(("spec", "message"), HOSTILE)
def test_a_bad_user_cell_is_one_line_exit_2_nothing_written(command, spec, message,
                                                             cell_file, tmp_path, capsys,
                                                             monkeypatch):
    (tmp_path / "cells.txt").write_text(CELL_SOURCE)
    (tmp_path / "syntax.py").write_text("import derivations\n\ndef mgu(:\n    pass\n")
    (tmp_path / "raises.py").write_text("import derivations\nraise RuntimeError('at import')\n")
    monkeypatch.chdir(tmp_path)
    before = sorted(os.listdir(tmp_path))
    argv = {"derive": ["derive", spec],
            "check": ["check", "--cells", f"gru:cho,{spec}", "--samples", "2"],
            "report": ["report", "--quick", "--out", "out", "--cells", f"elman,{spec}"]}
    code, out, err = _run(argv[command], capsys)
    assert code == 2 and out == ""
    assert len(err) == 1 and err[0].startswith(f"gatebound {command}: error: ")
    assert spec.split(":")[0] in err[0]
    assert re.search(message, err[0]), err[0]
    assert sorted(os.listdir(tmp_path)) == before        # nothing written (no out/)


def test_convention_with_a_user_cell_is_refused(cell_file, capsys):
    code, _, err = _run(["derive", f"{cell_file}:mgu", "--convention", "cho"], capsys)
    assert code == 2 and len(err) == 1 and "--convention 'cho'" in err[0]

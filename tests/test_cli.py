"""The gatebound command line: derive, check, analyze and user mistakes (exit 2, one line)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import derivations as dv
from reports.cli import main


def test_derive_latex_contains_the_closed_form(capsys):
    assert main(["derive", "gru", "--convention", "seed", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert dv.derive("gru", "seed").latex(labelled=True) in out


def test_derive_text_terms_sum_to_the_brute_force_jacobian(capsys):
    # the text form lists diag(a0) @ W ... terms; rebuild the n = 1 scalar Jacobian from the
    # printed coefficients and compare with SymPy's derivative of the scalar update
    assert main(["derive", "elman", "--format", "text"]) == 0
    out = capsys.readouterr().out
    line = [ln for ln in out.splitlines() if ln.strip().startswith("+ diag(")][0]
    coeff = sp.sympify(line.split("diag(", 1)[1].split(") @", 1)[0])
    x, h, W_ih, W_hh, b_ih, b_hh = sp.symbols("x h W_ih W_hh b_ih b_hh")
    h_next = sp.tanh(W_ih * x + b_ih + W_hh * h + b_hh)
    closed = coeff.subs(sp.Symbol("h_next"), h_next) * W_hh
    assert sp.simplify(closed - sp.diff(h_next, h)) == 0


@pytest.mark.parametrize("argv", [
    ["derive", "nosuchcell"],
    ["derive", "gru", "--convention", "nope"],
    ["report", "--lang", "fr"],
    ["report", "--cells", "elman,bogus"],
    ["check", "--samples", "0", "--cells", "elman"],
    ["analyze", "/nonexistent/weights.npz"],
])
def test_user_mistakes_print_one_line_and_exit_2(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "error" in err[0] and "Traceback" not in err[0]


def test_analyze_bad_extension(tmp_path, capsys):
    f = tmp_path / "w.txt"
    f.write_text("x")
    assert main(["analyze", str(f)]) == 2
    assert ".txt" in capsys.readouterr().err


def test_check_passes_and_prints_summary(capsys):
    assert main(["check", "--cells", "gru:pytorch", "--samples", "8"]) == 0
    out = capsys.readouterr().out
    assert "gru (pytorch)" in out and "all checks passed" in out


def test_analyze_npz_reports_vanishing_for_contracting_elman(tmp_path, capsys):
    numeric = pytest.importorskip("numeric")
    p = numeric.init("elman", 16, 4, seed=1, scale=0.2)
    path = tmp_path / "elman.npz"
    numeric.save(p, path)
    out_dir = tmp_path / "an"
    assert main(["analyze", str(path), "--out", str(out_dir), "--steps", "60",
                 "--batch", "4"]) == 0
    out = capsys.readouterr().out
    assert "vanishing" in out
    # independent reference: ||W_hh||_2 bounds the per-step log-norm change (|tanh'| <= 1)
    W = p.arrays["W_hh"]
    rate = float(out.split("mean log-norm change per step:")[1].split()[0])
    assert rate <= np.log(np.linalg.norm(W, 2)) + 1e-9
    assert (out_dir / "gradient_norms.pdf").exists()
    assert (out_dir / "singular_values.pdf").exists()


# -- analyze --out: figures replaced whole, nothing left behind ---------------------------

def _analyze(path, out, *extra):
    return main(["analyze", str(path), "--out", str(out), "--steps", "12", "--batch", "2",
                 *extra])


@pytest.fixture
def two_layers(tmp_path):
    numeric = pytest.importorskip("numeric")
    gru, elman = tmp_path / "gru.npz", tmp_path / "elman.npz"
    numeric.save(numeric.init("gru", 5, 3, seed=1), gru)
    numeric.save(numeric.init("elman", 5, 3, seed=2), elman)
    return gru, elman


def test_analyze_replaces_its_figures_and_keeps_other_files(two_layers, tmp_path, capsys):
    gru, elman = two_layers
    out = tmp_path / "an"
    assert _analyze(gru, out) == 0
    assert sorted(os.listdir(out)) == ["gate_saturation.pdf", "gradient_norms.pdf",
                                       "singular_values.pdf"]
    (out / "mine.txt").write_text("not analyze's")
    before = (out / "gradient_norms.pdf").read_bytes()
    assert _analyze(elman, out) == 0
    # the GRU's gate histogram would now mislead: it goes; the user's file stays
    assert sorted(os.listdir(out)) == ["gradient_norms.pdf", "mine.txt", "singular_values.pdf"]
    assert (out / "gradient_norms.pdf").read_bytes() != before
    assert "no carrying gate" in capsys.readouterr().out


def test_interrupted_analyze_keeps_old_figures_and_leaves_nothing(two_layers, tmp_path,
                                                                  monkeypatch, capsys):
    import reports._analyze_output as an

    gru, elman = two_layers
    out = tmp_path / "an"
    assert _analyze(gru, out) == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(an, "plot_histogram_panels", interrupt)  # after the first figure
    assert _analyze(elman, out) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "gatebound analyze: interrupted"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old


def test_failed_analyze_creates_no_output_folder(two_layers, tmp_path, capsys):
    gru, _ = two_layers
    out = tmp_path / "new" / "an"
    assert _analyze(gru, out, "--cell", "lstm") == 2
    assert "lstm" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_sigkilled_analyze_leaves_complete_figures_and_next_run_cleans(two_layers, tmp_path):
    """A real process killed between two figure replacements: every figure is complete
    (old or new), and the next run removes the staging folder."""
    pypdf = pytest.importorskip("pypdf")
    gru, elman = two_layers
    out = tmp_path / "an"
    assert _analyze(gru, out) == 0
    pause = tmp_path / "pause"
    pause.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]),
           "GATEBOUND_TEST_PAUSE": f"swap-file:{pause}"}
    proc = subprocess.Popen([sys.executable, "-m", "reports.cli", "analyze", str(elman),
                             "--out", str(out), "--steps", "12", "--batch", "2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t0 = time.monotonic()
    while not (pause / "swap-file").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < 120
        time.sleep(0.02)
    proc.kill()
    proc.communicate()
    figures = sorted(p for p in out.iterdir() if p.suffix == ".pdf")
    assert [p.name for p in figures] == ["gate_saturation.pdf", "gradient_norms.pdf",
                                         "singular_values.pdf"]
    for p in figures:
        pypdf.PdfReader(p)
    assert len([p for p in os.listdir(out) if ".tmp-" in p]) == 1
    assert _analyze(elman, out) == 0
    assert sorted(os.listdir(out)) == ["gradient_norms.pdf", "singular_values.pdf"]

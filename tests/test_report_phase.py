"""The report's "Phase diagrams" section (issue 14): its grid is the spec file in sweeps/,
its numbers equal direct calls of ``numeric.lyapunov`` / ``numeric.gradient_norms`` at
grid points (parameters and inputs built here by hand, the bias moved by hand), and the
figures are the same slices whether drawn from arrays or from an xarray Dataset.

The quick spec (24 points, H = 16, T <= 100, about a second with its figures) is the grid
under test; the full spec is only parsed.
"""

import fnmatch
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

import numeric
from reports._errors import ReportError
from reports._phase_data import SPEC_FILES, compute_grid, report_spec, spec_text
from reports._sec_phase import LABEL, TITLE, phase_section
from reports._sweep_figures import FIGURES, phase_arrays, rate_arrays
from reports.model import Code, Figure, Paragraph, Table

ROOT = Path(__file__).parents[1]
#: the carrying gate's bias each cell of the specs reads directly (moved by hand here)
CARRY_BIAS = {"gru:pytorch": "b_iz"}


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    figs = tmp_path_factory.mktemp("phase") / "figures"
    figs.mkdir()
    sec, grid = phase_section(figs, lang="en", quick=True)
    return sec, grid, figs


def _direct(spec, cell, sigma_w, beta, T):
    """(median lambda_1, median least-squares rate) at one point, from numeric.init, the
    bias moved by hand, inputs drawn here, numeric.lyapunov and numeric.gradient_norms."""
    s = spec.settings
    H, B, seed = spec.axis("H")[0], s["batch"], spec.axis("seed")[0]
    name, _, conv = cell.partition(":")
    p = numeric.init(name, H, s["input_size"], conv or None, scheme="pytorch", seed=seed,
                     scale=sigma_w)
    b = CARRY_BIAS[cell]
    p = p.with_arrays(**{b: p.arrays[b] + beta})
    dist, _, std = spec.axis("input")[0].partition(":")
    assert dist == "normal"
    xs = float(std) * np.random.default_rng(seed).standard_normal((T, B, s["input_size"]))
    s0 = tuple(np.zeros((B, H)) for _ in p.cell.states)
    s0 = s0[0] if len(s0) == 1 else s0
    lam = numeric.lyapunov(p, xs, s0, k=1, seed=seed)[:, 0]
    logn = numeric.gradient_norms(p, xs, s0, seed=seed).log_norms       # (T, B)
    n = T - np.arange(T, dtype=float)
    rates = [np.polyfit(n, logn[:, j], 1)[0] for j in range(B)]
    return float(np.median(lam)), float(np.median(rates))


def test_spec_files_in_sweeps_parse_and_are_the_report_grid(quick):
    """sweeps/report_phase*.toml parse with SweepSpec.load and are the very grid the report
    computes (read from the package: one source of truth)."""
    _, grid, _ = quick
    for q, name in SPEC_FILES.items():
        path = ROOT / "sweeps" / name
        loaded = numeric.SweepSpec.load(path)
        assert loaded.canonical() == report_spec(q).canonical()
        assert path.read_text(encoding="utf-8") == spec_text(q)
        assert {"lyapunov", "grad_rate"} <= set(loaded.metrics) and loaded.settings["k"] == 1
    assert grid.spec.canonical() == numeric.SweepSpec.load(
        ROOT / "sweeps" / SPEC_FILES[True]).canonical()
    full = report_spec(False)
    assert full.axis("cell") == ("gru:pytorch", "lstm", "minimalrnn")
    assert full.shape[1:3] == (9, 7) and full.axis("H") == (16,) and max(full.axis("T")) == 300


def test_spec_files_are_package_data():
    """pyproject's package data of `reports` matches both files (a `pip install .` has
    them), and sweeps/ holds no second copy that could drift."""
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = conf["tool"]["setuptools"]["package-data"]["reports"]
    for name in SPEC_FILES.values():
        assert any(fnmatch.fnmatch(f"phase_specs/{name}", pat) for pat in patterns)
        assert (ROOT / "reports" / "phase_specs" / name).is_file()
        link = ROOT / "sweeps" / name
        assert link.resolve() == (ROOT / "reports" / "phase_specs" / name).resolve()


def test_section_table_equals_numeric_lyapunov_called_directly(quick):
    """The table's lambda_1 (beta = 0, largest T) equals numeric.lyapunov at each sigma_w
    within the table's rounding (3 decimals); the grid's values within 1e-9 (the same
    computation, no last bits pinned)."""
    sec, grid, _ = quick
    spec = grid.spec
    table = next(b for b in sec.blocks if isinstance(b, Table))
    assert [h for h in table.header[1:]] == [f"{v:g}" for v in spec.axis("sigma_w")]
    T = max(spec.axis("T"))
    for row in table.rows:
        cell = row[0]
        for sw, text in zip(spec.axis("sigma_w"), row[1:], strict=True):
            lam, _ = _direct(spec, cell, sw, 0.0, T)
            assert abs(float(text.replace("−", "-")) - lam) <= 5e-4 + 1e-12, (cell, sw)
            assert abs(grid.at(cell=cell, sigma_w=sw, gate_bias=0.0, T=T)[0] - lam) <= 1e-9


@pytest.mark.parametrize("sigma_w,beta,T", [(0.5, -3.0, 50), (8.5, 3.0, 100), (12.5, -3.0, 100)])
def test_grid_points_off_the_table_equal_direct_calls(quick, sigma_w, beta, T):
    """Other points (gate bias moved, shorter T): lambda_1 and the rate (slope by
    numpy.polyfit here) equal the direct calls."""
    _, grid, _ = quick
    lam, rate = _direct(grid.spec, "gru:pytorch", sigma_w, beta, T)
    got_lam, got_rate = grid.at(cell="gru:pytorch", sigma_w=sigma_w, gate_bias=beta, T=T)
    assert abs(got_lam - lam) <= 1e-9 and abs(got_rate - rate) <= 1e-9


def test_section_text_names_how_and_how_to_rerun(quick):
    sec, grid, figs = quick
    assert sec.title == TITLE and sec.label == LABEL
    codes = [p.text for b in sec.blocks if isinstance(b, Paragraph) for p in b.parts
             if isinstance(p, Code)]
    assert "sweeps/report_phase_quick.toml" in codes
    assert "gatebound sweep sweeps/report_phase_quick.toml --out phase.zarr --plot DIR" in codes
    text = " ".join(t.en for t in _texts(sec))
    for needle in ("k = 1", "B = 2", "T = 100", "H = ", "seed"):
        assert needle in text, needle
    assert [b.path for b in sec.blocks if isinstance(b, Figure)] == \
        [f"figures/{f}" for f in FIGURES]
    pypdf = pytest.importorskip("pypdf")
    for f in FIGURES:
        assert len(pypdf.PdfReader(figs / f).pages) == 1
    assert not grid.failed


def _texts(sec):
    from reports.model import Document, Tr

    return list(Document(Tr("t", "t"), "a", (sec,)).texts())


def test_failed_points_are_blank_and_named(tmp_path):
    """A spec whose points all fail (NaN inputs): blank figures, the failures named."""
    spec = numeric.SweepSpec.from_dict({
        "axes": {"cell": ["gru"], "sigma_w": [0.5, 1.0], "gate_bias": [0.0, 1.0], "H": [4],
                 "T": [10, 20], "input": ["normal:nan"]},
        "settings": {"batch": 2}, "metrics": ["lyapunov", "grad_rate"]})
    sec, grid = phase_section(tmp_path, spec=spec)
    assert len(grid.failed) == spec.size and np.isnan(grid.lam1).all()
    text = " ".join(t.en for t in _texts(sec))
    assert f"{spec.size} points failed" in text and "no point computed" in text


def test_figures_from_arrays_and_from_a_dataset_are_the_same_slices(quick):
    """phase_data / rate_data (xarray adapters of gatebound sweep --plot) give the arrays
    the report draws, for the same grid as a Dataset."""
    xr = pytest.importorskip("xarray")
    _, grid, _ = quick
    dims, coords = grid.dims, grid.coords
    ds = xr.Dataset({"lyapunov": ((*dims, "exponent"), grid.lam1[..., None]),
                     "grad_rate": (dims, grid.rate),
                     "done": (dims, np.ones(grid.lam1.shape, bool)),
                     "failed": (dims, np.zeros(grid.lam1.shape, bool))},
                    coords={d: list(v) for d, v in coords.items()})
    from reports._sweep_figures import phase_data, rate_data

    a, b = phase_data(ds), phase_arrays(grid.lam1, dims, coords)
    assert a[3] == b[3] and "T = 100" in a[3]
    np.testing.assert_array_equal(a[1], b[1])
    for cell in b[0]:
        np.testing.assert_array_equal(a[0][cell], b[0][cell])
    ra, rb = rate_data(ds), rate_arrays(grid.rate, dims, coords)
    assert ra[3] == rb[3] and "gate_bias = 0" in ra[3]
    for cell in rb[1]:
        np.testing.assert_array_equal(ra[1][cell], rb[1][cell])


def test_bad_grid_for_the_figures_is_refused_by_name():
    with pytest.raises(ReportError, match="no axis 'gate_bias'"):
        phase_arrays(np.zeros((1, 2)), ("cell", "sigma_w"), {"cell": ["gru"],
                                                             "sigma_w": [1.0, 2.0]})
    with pytest.raises(ReportError, match=re.escape("shape (3,)")):
        phase_arrays(np.zeros(3), ("cell", "sigma_w"), {})
    spec = report_spec(True)
    with pytest.raises(ReportError, match="gate_bias = 7.0 is not on the grid"):
        compute_grid(numeric.SweepSpec.from_dict(
            {"axes": {"H": [2], "T": [5]}, "settings": {"batch": 1}})).at(gate_bias=7.0)
    assert spec.size == 24


def test_the_section_needs_no_dask_xarray_or_zarr(tmp_path):
    """`make report` installs only .[dev]: the section is built in a process where
    importing dask, distributed, xarray or zarr fails."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('dask', 'distributed', 'xarray', 'zarr'):\n"
        "            raise ImportError(f'blocked {name}')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from reports._sec_phase import phase_section\n"
        f"sec, grid = phase_section({str(tmp_path)!r}, quick=True)\n"
        "assert not grid.failed and grid.spec.size == 24\n"
        "print('ok')\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=300, check=False)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]


@pytest.mark.parametrize("lam", [
    [[-0.4355, -0.33, -0.187], [-2.9e-4, -2.7e-4, -2.4e-4]],   # all below 0, max near 0
    [[-0.4885, -0.40, -0.29], [0.0032, 0.0053, 0.0336]],       # crossing, tiny positives
    [[0.2, 0.3, 0.4], [0.5, 0.6, 0.7]],                       # all above 0
    [[np.nan] * 3] * 2,                                       # every point failed
])
def test_phase_figure_draws_whatever_side_of_zero(tmp_path, lam):
    """The colour bar's ticks stay inside its range (a tick rounded outside it made the
    bar's axis singular: a RuntimeWarning, an error here); pypdf reads the PDF."""
    from reports._sweep_figures import plot_phase_arrays

    lam = np.asarray(lam, dtype=float)
    p = plot_phase_arrays({"gru": lam, "lstm": lam[::-1]}, [0.5, 1.0, 2.0], [0.0, 8.0],
                          tmp_path / "phase.pdf")
    pypdf = pytest.importorskip("pypdf")
    assert len(pypdf.PdfReader(p).pages) == 1

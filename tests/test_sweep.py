"""numeric.sweep on a real Dask LocalCluster (2 worker processes, 1 thread each): values
against direct engine calls point by point, resume, a killed worker, a killed client, a
changed spec, failing points, the Zarr round trip and the command line.

One cluster serves the module (starting one costs seconds). Warnings: distributed's
shutdown of a cluster whose worker was SIGKILLed can log, not warn; no warning filter is
needed here, and none is added (pytest's filterwarnings = error stays in force).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import numeric
from numeric import NumericError, SweepSpec

distributed = pytest.importorskip("distributed")
xr = pytest.importorskip("xarray")
pytest.importorskip("zarr")

ROOT = Path(__file__).parents[1]

#: 2 cells x 3 scales x 2 biases x 2 inputs (the second fails: NaN std) = 24 points
SPEC = {
    "axes": {"cell": ["gru", "lstm"], "sigma_w": [0.5, 1.0, 2.0], "gate_bias": [0.0, 8.0],
             "H": [8], "T": [50], "input": ["normal:1", "normal:nan"]},
    "settings": {"batch": 3, "input_size": 4, "k": 2, "bound_steps": 10},
}

#: the carrying gate's bias that gate_bias moves (towards carrying: + for z -> 1, f -> 1)
GATE_BIAS = {"gru:pytorch": ("b_iz", "W_iz", "W_hz", "b_hz"),
             "lstm": ("b_if", "W_if", "W_hf", "b_hf")}


@pytest.fixture(scope="module")
def client():
    import dask

    from numeric.sweep import WORKER_CONFIG, WORKER_ENV

    env = {**WORKER_ENV, "PYTHONPATH": str(ROOT)}
    environ = dict(os.environ)     # the nanny writes its workers' variables into ours
    with dask.config.set(WORKER_CONFIG), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None, env=env) as cluster, \
            distributed.Client(cluster) as c:
        c.cluster_ref = cluster
        yield c
    os.environ.clear()
    os.environ.update(environ)


@pytest.fixture(scope="module")
def full(client, tmp_path_factory):
    """The 24-point sweep, run once."""
    out = tmp_path_factory.mktemp("sweep") / "full.zarr"
    summary = numeric.sweep(SPEC, out, client=client, progress=False, say=lambda m: None)
    return out, summary, xr.open_zarr(out).load()


# -- references -------------------------------------------------------------------------
def _params(cell, sigma_w, beta):
    """init, then the carrying gate's bias moved by hand (independent of the sweep code)."""
    name, _, conv = cell.partition(":")
    p = numeric.init(name, 8, 4, conv or None, scheme="pytorch", seed=0, scale=sigma_w)
    b = GATE_BIAS[cell][0]
    return p.with_arrays(**{b: p.arrays[b] + beta})


def _inputs(T=50, B=3):
    return np.random.default_rng(0).standard_normal((T, B, 4))


def _zero(p, B=3):
    z = [np.zeros((B, 8)) for _ in p.cell.states]
    return z[0] if len(z) == 1 else tuple(z)


def _before(p, xs, s0):
    """The state entering each step t (T, B, H) per state."""
    traj = numeric.rollout(p, xs, s0)
    parts = traj if isinstance(traj, tuple) else (traj,)
    first = s0 if isinstance(s0, tuple) else (s0,)
    return [np.concatenate([f[None], a[:-1]]) for f, a in zip(first, parts, strict=True)]


def _at(states):
    """t -> the state entering step t, as the engine takes it ((B, H) or a tuple)."""
    return lambda t: states[0][t] if len(states) == 1 else tuple(s[t] for s in states)


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# -- the spec ---------------------------------------------------------------------------
@pytest.mark.parametrize("data, key", [
    ({"axes": {"cell": ["gru", "nope"]}}, "axes.cell[1]"),
    ({"axes": {"cell": ["gru:"]}}, "axes.cell[0]"),
    ({"axes": {"scheme": ["xavier"]}}, "axes.scheme[0]"),
    ({"axes": {"sigma_w": [1.0, float("inf")]}}, "axes.sigma_w[1]"),
    ({"axes": {"sigma_w": {"start": 0, "stop": 1}}}, "axes.sigma_w"),
    ({"axes": {"gate_bias": ["1"]}}, "axes.gate_bias[0]"),
    ({"axes": {"H": [8, 8]}}, "axes.H[1]"),
    ({"axes": {"T": [1]}}, "axes.T[0]"),
    ({"axes": {"input": ["normal:-1"]}}, "axes.input[0]"),
    ({"axes": {"input": ["lognormal:1"]}}, "axes.input[0]"),
    ({"axes": {"input": ["normal:1+1"]}}, "axes.input[0]"),
    ({"axes": {"seed": [-1]}}, "axes.seed[0]"),
    ({"axes": {"width": [3]}}, "axes.width"),
    ({"axes": {"H": []}}, "axes.H"),
    ({"settings": {"batch": 0}}, "settings.batch"),
    ({"settings": {"k": 17}, "axes": {"H": [8]}}, "settings.k"),
    ({"settings": {"t_max": 1}}, "settings.t_max"),
    ({"settings": {"threads": 1}}, "settings.threads"),
    ({"metrics": ["lyapunov", "entropy"]}, "metrics[1]"),
    ({"grid": {}}, "'grid'"),
])
def test_spec_refuses_bad_values_naming_key_and_value(data, key):
    with pytest.raises(NumericError) as exc:
        SweepSpec.from_dict(data)
    assert key in str(exc.value)


def test_spec_canonical_form_and_toml_round_trip(tmp_path):
    a = SweepSpec.from_dict(SPEC)
    text = ('[axes]\ncell = ["gru:pytorch", "lstm"]\nsigma_w = {start = 0.5, stop = 2.0, '
            'num = 4}\n')
    f = tmp_path / "s.toml"
    f.write_text(text)
    b = SweepSpec.load(f)
    assert b.axis("sigma_w") == (0.5, 1.0, 1.5, 2.0)
    assert SweepSpec.from_canonical(a.canonical()) == a
    assert SweepSpec.from_dict({"axes": {"cell": ["gru:pytorch"]}}).canonical() == \
        SweepSpec.from_dict({"axes": {"cell": ["gru"]}}).canonical()
    assert a.dims[:6] == ("cell", "sigma_w", "gate_bias", "H", "T", "input")
    assert a.size == 24


# -- values against the engine, point by point ------------------------------------------
def test_stored_values_equal_direct_engine_calls(full):
    """Each stored metric equals numeric.lyapunov / gradient_norms / check_bounds called
    here on the same point (parameters and inputs rebuilt here): agreement to 1e-12 (the
    same float64 operations; the workers' single BLAS thread may round differently)."""
    _, summary, ds = full
    assert summary.total == 24 and summary.computed == 24 and summary.skipped == 0
    good = ds.sel(input="normal:1.0")
    tol = 1e-12
    for cell in GATE_BIAS:
        b, Wi, Wh, bh = GATE_BIAS[cell]
        for sw in SPEC["axes"]["sigma_w"]:
            for beta in SPEC["axes"]["gate_bias"]:
                at = good.sel(cell=cell, sigma_w=sw, gate_bias=beta).squeeze()
                assert bool(at.done) and not bool(at.failed)
                p, xs = _params(cell, sw, beta), _inputs()
                s0 = _zero(p)
                lam = np.median(numeric.lyapunov(p, xs, s0, k=2, seed=0), axis=0)
                np.testing.assert_allclose(at.lyapunov.values, lam, rtol=0, atol=tol)
                logn = numeric.gradient_norms(p, xs, s0, seed=0).log_norms
                n = 50 - np.arange(50)
                slopes = [np.polyfit(n, logn[:, j], 1)[0] for j in range(3)]
                assert abs(float(at.grad_rate) - np.median(slopes)) <= 1e-10
                states = _before(p, xs, s0)
                key = ("h", "h") if cell.startswith("gru") else ("c", "c")
                st = _at(states)
                lower = np.array([numeric.check_bounds(p, xs[t], st(t), which=key).lower
                                  for t in range(50)])
                assert float(at.weyl_positive) == np.mean(lower > 0)
                A = p.arrays
                h = states[0]
                g = _sigmoid(xs @ A[Wi].T + A[b] + h @ A[Wh].T + A[bh])   # z or f, by hand
                assert float(at.saturation_1) == np.mean(np.abs(g - 1) <= 1e-3)
                assert float(at.saturation_0) == np.mean(np.abs(g) <= 1e-3)
                ts = np.unique(np.linspace(0, 49, 10).round().astype(int))
                ratios = []
                for t in ts:
                    J = numeric.jacobian(p, xs[t], st(t), full=True)
                    up = numeric.check_bounds(p, xs[t], st(t), which="full").upper
                    ratios.append(np.linalg.norm(J, 2, axis=(1, 2)) / up)
                ratios = np.concatenate(ratios)
                assert abs(float(at.tightness_median) - np.median(ratios)) <= 1e-10
                assert abs(float(at.tightness_p90) - np.quantile(ratios, 0.9)) <= 1e-10
    sat = good.saturation_1.sel(gate_bias=8.0)
    assert float(sat.min()) > 0.5       # the offset drives the gates into saturation
    assert float(good.saturation_1.sel(gate_bias=0.0).max()) == 0.0


def test_failing_points_recorded_with_message_others_complete(full):
    _, summary, ds = full
    bad = ds.sel(input="normal:nan")
    assert bool(ds.done.all())
    assert bool(bad.failed.all()) and not bool(ds.sel(input="normal:1.0").failed.any())
    assert summary.failed == 12
    msgs = set(np.ravel(bad.message.values))
    assert len(msgs) == 1 and "non-finite" in msgs.pop()
    assert bool(bad.lyapunov.isnull().all())


def test_store_round_trips_through_open_zarr(full):
    out, _, ds = full
    assert ds.lyapunov.dims == (*SweepSpec.from_dict(SPEC).dims, "exponent")
    assert list(ds.cell.values) == ["gru:pytorch", "lstm"]
    assert list(ds.exponent.values) == [1, 2]
    assert SweepSpec.from_canonical(ds.attrs["gatebound_spec"]) == SweepSpec.from_dict(SPEC)
    import json

    versions = json.loads(ds.attrs["versions"])
    assert set(versions) >= {"numpy", "gatebound", "dask", "xarray", "zarr"}
    assert json.loads(ds.attrs["engine"])["cluster"] == "existing"
    assert ds.message.dtype.kind == "U"


def test_rerun_of_a_finished_store_computes_nothing(full, client):
    out, _, ds = full
    s = numeric.sweep(SPEC, out, client=client, progress=False, say=lambda m: None)
    assert (s.computed, s.skipped, s.failed) == (0, 24, 12)
    again = xr.open_zarr(out).load()
    xr.testing.assert_identical(again.drop_attrs(), ds.drop_attrs())


def test_changed_spec_is_refused_with_what_differs(full, client):
    out, _, _ = full
    changed = {"axes": {**SPEC["axes"], "sigma_w": [0.5, 1.0, 3.0]}, "settings": SPEC["settings"]}
    with pytest.raises(NumericError, match=r"sigma_w \[0.5, 1.0, 2.0\] -> \[0.5, 1.0, 3.0\]"):
        numeric.sweep(changed, out, client=client, progress=False)
    other = {"axes": SPEC["axes"], "settings": {**SPEC["settings"], "k": 1}}
    with pytest.raises(NumericError, match="settings.k 2 -> 1"):
        numeric.sweep(other, out, client=client, progress=False)


# -- interruption, resume, faults -------------------------------------------------------
def _small(T=50, seeds=4):
    return {"axes": {"cell": ["gru"], "sigma_w": [0.5, 1.0, 1.5], "H": [8], "T": [T],
                     "seed": list(range(seeds))},
            "settings": {"batch": 2, "k": 1, "bound_steps": 5}}


def test_resume_after_interrupt_computes_only_missing_points(client, tmp_path):
    """Ctrl-C after 4 points: the store opens with what finished; the rerun runs exactly
    the tasks of the points not done (counted by the scheduler's task stream) and the
    values equal an uninterrupted run's."""
    out = tmp_path / "r.zarr"
    seen = []

    def stop(p):
        seen.append(p.done)
        if p.done >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        numeric.sweep(_small(), out, client=client, progress=stop, say=lambda m: None)
    part = xr.open_zarr(out).load()
    n_done = int(part.done.sum())
    assert 4 <= n_done < 12
    assert bool(part.lyapunov.where(part.done).notnull().sum() == n_done)
    assert bool(part.lyapunov.where(~part.done).isnull().all())
    with distributed.get_task_stream(client) as ts:
        s = numeric.sweep(_small(), out, client=client, progress=False, say=lambda m: None)
    ran = [t for t in ts.data if str(t["key"]).startswith("gatebound-point-")]
    assert (s.computed, s.skipped) == (12 - n_done, n_done)
    assert len({t["key"] for t in ran}) == 12 - n_done
    whole = tmp_path / "w.zarr"
    numeric.sweep(_small(), whole, client=client, progress=False, say=lambda m: None)
    a, b = xr.open_zarr(out).load(), xr.open_zarr(whole).load()
    assert bool(a.done.all())
    np.testing.assert_allclose(a.lyapunov.values, b.lyapunov.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.grad_rate.values, b.grad_rate.values, rtol=0, atol=1e-12)


def test_killed_worker_loses_no_point(client, tmp_path):
    """SIGKILL one worker process after the first results: Dask reschedules its tasks;
    every point is stored once, none failed, values as computed directly."""
    out = tmp_path / "k.zarr"
    killed = []

    def kill(p):
        if not killed:
            pids = client.run(os.getpid)
            pid = sorted(pids.values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(p.done)

    spec = _small(T=400, seeds=4)
    s = numeric.sweep(spec, out, client=client, progress=kill, say=lambda m: None)
    assert killed == [1]                  # killed after the first of 12 points
    ds = xr.open_zarr(out).load()
    assert (s.computed, s.failed) == (12, 0)
    assert bool(ds.done.all()) and not bool(ds.failed.any())
    sp = SweepSpec.from_dict(spec)
    assert sp.dims[:5] == ("cell", "sigma_w", "H", "T", "seed")
    for idx in [(0, 0, 0, 0, 0, 0, 0, 0), (0, 2, 0, 0, 3, 0, 0, 0)]:
        ref = numeric.sweep_point(sp, sp.point(idx))
        got = ds.lyapunov.values[idx]
        np.testing.assert_allclose(got, ref["lyapunov"], rtol=0, atol=1e-12)
    client.wait_for_workers(2, timeout=60)


def test_killed_client_leaves_a_readable_store_that_resumes(client, tmp_path):
    """The command line on the module's cluster (--scheduler), SIGKILLed as soon as its
    first batch is in the store (read here while it runs): the store opens with what
    finished; the rerun computes only the rest."""
    import zarr

    out = tmp_path / "c.zarr"
    spec = tmp_path / "s.toml"
    spec.write_text('metrics = ["lyapunov", "grad_rate"]\n[axes]\ncell = ["gru"]\n'
                    'sigma_w = [0.5, 1.0, 1.5, 2.0]\nH = [8]\nT = [600]\n'
                    'seed = [0, 1]\n[settings]\nbatch = 2\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "reports.cli", "sweep", str(spec), "--out", str(out),
           "--scheduler", client.scheduler.address]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    t0 = time.monotonic()
    while True:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < 120
        if (out / ".zmetadata").exists() and zarr.open_group(str(out), mode="r")["done"][...].any():
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    part = xr.open_zarr(out).load()
    n_done = int(part.done.sum())
    assert 1 <= n_done < 8
    assert int(part.lyapunov.notnull().sum()) == n_done
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert f"{8 - n_done} points computed, {n_done} already done" in res.stderr
    assert bool(xr.open_zarr(out).done.all())


# -- dependencies and the command line --------------------------------------------------
def test_missing_modules_give_the_install_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(NumericError, match=r"pip install 'gatebound\[sweep\]'.*") as exc:
        numeric.sweep(SPEC, tmp_path / "x.zarr", progress=False)
    assert "missing: xarray" in str(exc.value)
    assert not (tmp_path / "x.zarr").exists()


def test_core_engine_imports_without_the_sweep_modules():
    code = ("import sys\n"
            "for m in ('dask', 'distributed', 'xarray', 'zarr'): sys.modules[m] = None\n"
            "import numpy as np, numeric\n"
            "s = numeric.SweepSpec.from_dict({'axes': {'H': [4], 'T': [10]}})\n"
            "r = numeric.sweep_point(s, s.point((0,) * 8))\n"
            "print(sorted(r))\n")
    res = subprocess.run([sys.executable, "-c", code], env={**os.environ,
                         "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "lyapunov" in res.stdout


@pytest.mark.parametrize("args, text", [
    (["missing.toml", "--out", "{tmp}/o.zarr"], "spec file"),
    (["{bad}", "--out", "{tmp}/o.zarr"], "axes.H[0]: must be an integer >= 1, got 0"),
    (["{good}", "--out", "{tmp}/no/such/o.zarr"], "does not exist"),
    (["{good}", "--out", "{tmp}/o.zarr", "--scheduler", "localhost"], "--scheduler"),
    (["{good}", "--out", "{tmp}/o.zarr", "--workers", "0"], "--workers"),
    (["{good}", "--out", "{good}"], "not a Zarr store"),
])
def test_cli_errors_are_one_line_exit_2(tmp_path, capsys, args, text):
    from reports.cli import main

    (tmp_path / "bad.toml").write_text("[axes]\nH = [0]\n")
    (tmp_path / "good.toml").write_text("[axes]\nH = [4]\nT = [10]\n")
    argv = ["sweep", *(a.format(tmp=tmp_path, bad=tmp_path / "bad.toml",
                                good=tmp_path / "good.toml") for a in args)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and text in err, err


def test_cli_changed_spec_and_plot(full, client, tmp_path, capsys):
    """--plot draws both figures from a store (pypdf reads them); a changed spec over the
    store is one line, exit 2, naming what differs."""
    from reports.cli import main

    out, _, _ = full
    spec = tmp_path / "changed.toml"
    spec.write_text('[axes]\ncell = ["gru"]\n')
    assert main(["sweep", str(spec), "--out", str(out), "--scheduler",
                 client.scheduler.address]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "axes.cell" in err
    from reports._sweep_figures import phase_data, plot_sweep

    paths = plot_sweep(out, tmp_path / "fig")
    assert [p.name for p in paths] == ["phase_lambda1.pdf", "grad_rate_vs_T.pdf"]
    pypdf = pytest.importorskip("pypdf")
    for p in paths:
        assert len(pypdf.PdfReader(p).pages) == 1
    data, sw, gb, held = phase_data(xr.open_zarr(out).load())
    np.testing.assert_array_equal(sw, [0.5, 1.0, 2.0])
    ds = xr.open_zarr(out).load()
    np.testing.assert_array_equal(
        data["lstm"], ds.lyapunov.sel(cell="lstm").isel(H=0, T=0, input=0, scheme=0, seed=0,
                                                       exponent=0).transpose().values)


def test_default_local_cluster_one_worker(tmp_path):
    """Without client or scheduler: a LocalCluster of ``workers`` processes, one thread
    and one BLAS thread each (recorded in the store), closed afterwards."""
    import json

    spec = {"axes": {"sigma_w": [0.5, 1.0], "H": [4], "T": [20]},
            "settings": {"batch": 2}, "metrics": ["lyapunov"]}
    lines = []
    before = dict(os.environ)
    s = numeric.sweep(spec, tmp_path / "l.zarr", workers=1, progress=False, say=lines.append)
    assert dict(os.environ) == before          # the nanny's variables are given back
    assert (s.computed, s.failed) == (2, 0)
    assert lines and lines[0].startswith("sweep: scheduler tcp://127.0.0.1:")
    ds = xr.open_zarr(tmp_path / "l.zarr").load()
    engine = json.loads(ds.attrs["engine"])
    assert engine["cluster"] == "LocalCluster" and engine["workers"] == 1
    assert engine["threads_per_worker"] == 1
    assert engine["worker_env"]["OPENBLAS_NUM_THREADS"] == "1"
    sp = SweepSpec.from_dict(spec)
    ref = numeric.sweep_point(sp, sp.point((0,) * 8))["lyapunov"]
    np.testing.assert_allclose(ds.lyapunov.values[(0,) * 8], ref, rtol=0, atol=1e-12)


_WRITER = """
import os, pathlib, signal, sys
import numpy as np, zarr

real_open = pathlib.Path.open


class Dies:
    # a file whose write() writes half of the bytes, then SIGKILLs the process
    def __init__(self, f):
        self.f = f
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self.f.__exit__(*exc)
    def write(self, data):
        data = memoryview(data).cast("B")
        self.f.write(data[: len(data) // 2])
        self.f.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def dying_open(self, mode="r", *args, **kwargs):
    f = real_open(self, mode, *args, **kwargs)
    return Dies(f) if "w" in mode or "+" in mode else f


if sys.argv[2] == "plain":   # a store that writes chunks in place (what zarr 3.0 did)
    import contextlib
    import zarr.storage._local as L

    @contextlib.contextmanager
    def in_place(path, mode, exclusive=False):
        with path.open(mode) as f:
            yield f
    L._atomic_write = in_place
g = zarr.open_group(sys.argv[1], mode="r+", zarr_format=2)
noise = np.random.default_rng(0).random(%d)
pathlib.Path.open = dying_open
g["a"][:] = noise + 1.0
"""


_READER = """
import sys, numpy as np, zarr
a = zarr.open_group(sys.argv[1], mode="r")["a"][...]
noise = np.random.default_rng(0).random(a.size)
print("old" if np.array_equal(a, noise) else "new" if np.array_equal(a, noise + 1) else "torn")
"""


def _killed_mid_write(path, n, how="zarr"):
    """Rewrite the chunk of array ``a`` in a child killed half-way through the file write,
    then read it in another child (a torn Blosc chunk can crash its reader): what it read
    ("old", "new", "torn") or how the reader failed."""
    res = subprocess.run([sys.executable, "-c", _WRITER % n, str(path), how],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == -signal.SIGKILL, res.stderr
    read = subprocess.run([sys.executable, "-c", _READER, str(path)], capture_output=True,
                          text=True, timeout=120)
    return read.stdout.strip() if read.returncode == 0 else f"reader failed ({read.returncode})"


def test_zarr_chunk_write_killed_half_way_keeps_the_old_chunk(tmp_path):
    """What resuming relies on: a process killed half-way through writing a chunk (the
    client rewrites the store's chunks) leaves the old chunk whole (zarr >= 3.1.3's
    LocalStore writes a temporary file and renames it). The same kill against a store that
    writes in place tears the chunk (its reader fails, even crashes): the check has teeth."""
    import zarr

    n = 100_000
    path = tmp_path / "s.zarr"
    g = zarr.open_group(str(path), mode="w", zarr_format=2)
    noise = np.random.default_rng(0).random(n)
    g.create_array("a", shape=(n,), chunks=(n,), dtype="f8")[:] = noise
    assert _killed_mid_write(path, n) == "old"
    assert list(path.rglob("*.partial"))          # the killed write's temporary file
    assert _killed_mid_write(path, n, "plain") != "old"

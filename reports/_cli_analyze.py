"""``gatebound analyze``: gradient-flow diagnostics of a trained recurrent layer.

Everything is checked before any work: the options, the weights file (a readable regular
file of a known kind), the output folder (created and written to), the file's contents,
and that the work fits in memory. The figures are drawn in a locked staging folder inside
``--out`` and each then replaces its old version atomically (see :mod:`reports._atomic`);
figures of an earlier run that this run does not draw are removed, so ``--out`` never mixes
two runs' figures once the run is over.
"""

from __future__ import annotations

import errno
import os
import stat
import warnings
from pathlib import Path

import numpy as np

from numeric import NumericError

from . import _atomic
from ._cli_options import cell_option, count
from ._errors import ReportError
from ._sec_numeric import draw_state
from .figures import plot_gradient_norms, plot_histograms

__all__ = ["run_analyze", "load_params", "analyze_bytes", "FIGURES"]

#: the figures ``analyze`` may draw (the last only for a cell with a carrying gate)
FIGURES = ("gradient_norms.pdf", "singular_values.pdf", "gate_saturation.pdf")

#: steps of the rollout whose one-step Jacobians are measured
SPECTRUM_STEPS = 200


def _weights_file(weights) -> Path:
    """``weights`` as the path of a readable regular file; ReportError saying why not."""
    if isinstance(weights, os.PathLike):
        weights = os.fspath(weights)
    if not isinstance(weights, str) or not weights.strip() or "\0" in weights:
        raise ReportError(f"weights file must be a file path, got {weights!r}")
    path = Path(weights)
    shown = repr(weights)
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ReportError(f"weights file {shown} is a symbolic link loop") from None
        if isinstance(exc, FileNotFoundError) and path.is_symlink():
            raise ReportError(f"weights file {shown} is a broken symbolic link") from None
        if isinstance(exc, FileNotFoundError):
            raise ReportError(f"weights file {shown} does not exist") from None
        raise ReportError(f"weights file {shown} cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ReportError(f"weights path {shown} is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise ReportError(f"weights file {shown} is not a regular file (a FIFO, socket or "
                          "device)")
    suffix = path.suffix.lower()
    if suffix not in (".pt", ".pth", ".npz"):
        raise ReportError(f"unknown weights format {suffix!r} of {shown}; use .pt, .pth "
                          "(a PyTorch state dict) or .npz (numeric.save)")
    if st.st_size == 0:
        raise ReportError(f"weights file {shown} is empty")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise ReportError(f"weights file {shown} cannot be read ({exc.strerror})") from None
    return path


def _cli_words(exc: BaseException) -> str:
    """A loader's error in the command line's words: the options it names (kept as data by
    :class:`numeric.NumericError`) spelled ``--cell gru`` instead of ``cell='gru'``."""
    if isinstance(exc, NumericError) and exc.options:
        return _first_line(exc.render(lambda option, value: f"--{option} {value}"))
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def scalar_options(values) -> dict | None:
    """``--scalar NAME=VALUE`` options (a list, or None) -> ``{name: float}``; ReportError
    naming the first that is not of that form."""
    if not values:
        return None
    out = {}
    for v in values:
        name, eq, num = str(v).partition("=")
        try:
            value = float(num)
        except ValueError:
            value = None
        if not eq or not name.strip().isidentifier() or value is None or value != value \
                or value in (float("inf"), float("-inf")):
            raise ReportError(f"--scalar {v!r}: expected NAME=VALUE with a finite number, "
                              "e.g. --scalar dt=0.1")
        if name.strip() in out:
            raise ReportError(f"--scalar {name.strip()} is given twice")
        out[name.strip()] = value
    return out


def _from_torch(path: Path, spec, layer: int, scalars=None):
    import numeric

    try:
        import torch  # noqa: F401
    except ImportError:
        raise ReportError(f"reading {path.name} needs PyTorch (pip install torch)") from None
    name = None if spec is None else (spec[0] if spec[1] is None else f"{spec[0]}:{spec[1]}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # torch.load's notes about pickle protocols
            p = numeric.from_torch(path, layer=layer, cell=name, scalars=scalars)
    except numeric.NumericError as exc:
        raise ReportError(_cli_words(exc)) from None
    except Exception as exc:                       # any failure of a loader is the file's
        raise ReportError(f"cannot read {str(path)!r} as a PyTorch state dict: "
                          f"{type(exc).__name__}: {_first_line(exc)}") from None
    return p


def load_params(path, *, cell=None, layer: int = 0, scalars=None):
    """Parameters from a ``.pt``/``.pth`` state dict or an ``.npz`` file.

    ``cell``: ``"name"`` or ``"name:convention"`` (needed for a state dict, which cannot
    say which cell it holds; checked against an ``.npz`` file). ``scalars``: the
    hyper-parameters a torchrecurrent cell keeps outside its state dict (``{"dt": 0.1}``;
    an ``.npz`` file holds its own). ReportError for anything that cannot be read, naming
    the file.
    """
    import numeric

    path = _weights_file(path)
    spec = None if cell is None else cell_option(cell, "--cell")
    layer = count(layer, "--layer", minimum=0)
    if path.suffix.lower() in (".pt", ".pth"):
        return _from_torch(path, spec, layer, scalars)
    if scalars:
        raise ReportError(f"--scalar: an .npz file holds its own scalars ({str(path)!r}); "
                          "--scalar applies to a PyTorch state dict")
    if layer != 0:
        raise ReportError(f"--layer {layer}: an .npz file holds one layer ({str(path)!r}); "
                          "--layer applies to a PyTorch state dict")
    c = None
    if spec is not None:
        import derivations as dv

        c = dv.cell(*spec)
    try:
        return numeric.load(path, cell=c)
    except numeric.NumericError as exc:
        raise ReportError(_first_line(exc)) from None
    except Exception as exc:
        raise ReportError(f"cannot read {str(path)!r} as a numeric.save .npz file: "
                          f"{type(exc).__name__}: {_first_line(exc)}") from None


def analyze_bytes(params, steps: int, batch: int) -> int:
    """Memory ``analyze`` needs: the inputs ``(T, B, I)``, the log-norms ``(T, B)`` and at
    least one state per step ``(T, B, S H)`` of the gradient-norm pass, the rollout of
    :data:`SPECTRUM_STEPS` steps, and three ``(B, S H, S H)`` Jacobians for the spectra."""
    I = params.input_size
    SH = params.state_size
    return 8 * (steps * batch * (I + SH + 2) + SPECTRUM_STEPS * batch * SH + 3 * batch * SH * SH)


def _gate_histogram(p, xs, s0, out, say):
    """Histogram of the carrying gate along the rollout (None for a cell without one)."""
    from ._fig_data import gate_samples

    if p.cell.carrying is None:
        return None
    say("gate saturation along the trajectory")
    T = xs.shape[0]
    name, g = gate_samples(p.cell.title, None, params=p, xs=xs, state0=s0,
                           every=max(1, T // 200))
    f3 = plot_histograms({p.cell.title: g}, out / "gate_saturation.pdf",
                         xlabel=f"carrying gate {name}", ylabel="density")
    return name, g, f3


def run_analyze(weights, *, cell=None, layer=0, out="build/analyze", steps=1000, batch=16,
                seed=0, say=print, scalars=None) -> int:
    """Diagnose the layer in ``weights``; print a summary; draw the figures into ``out``."""
    import numeric

    steps = count(steps, "--steps", minimum=2)
    batch = count(batch, "--batch", minimum=1)
    seed = count(seed, "--seed", minimum=0)
    layer = count(layer, "--layer", minimum=0)
    scalars = scalar_options(scalars)
    if cell is not None:
        cell_option(cell, "--cell")
    path = _weights_file(weights)
    if isinstance(out, os.PathLike):
        out = os.fspath(out)
    if not isinstance(out, str) or not out.strip() or "\0" in out:
        raise ReportError(f"--out must name a folder, got {out!r}")
    out = Path(os.path.abspath(out))
    what = f"--out {str(out)!r}"
    created = _atomic.make_folder(out, what)
    try:
        _atomic.remove_leftovers(out, "analyze")
        stage = _atomic.staging_in(out, "analyze", what)
    except BaseException:
        _atomic.remove_folders(created)
        raise
    try:
        p = load_params(path, cell=cell, layer=layer, scalars=scalars)
        numeric.check_memory(analyze_bytes(p, steps, batch),
                             f"analyze of {p.cell.title} (H = {p.hidden_size}) with --steps "
                             f"{steps} --batch {batch}",
                             hint="use a smaller --steps or --batch")
        lines = _diagnose(p, stage.path, steps=steps, batch=batch, seed=seed, say=say)
        drawn = {f.name for f in stage.path.iterdir()}
        with _atomic.deferred_signals():
            _atomic.replace_files(stage.path, out,
                                  remove=[f for f in FIGURES if f not in drawn])
    except BaseException:
        stage.discard()
        _atomic.remove_folders(created)
        raise
    finally:
        stage.discard()
    for line in lines:
        print(line)
    print("figures: " + ", ".join(str(out / f) for f in FIGURES if f in drawn)
          + ("" if "gate_saturation.pdf" in drawn
             else " (no carrying gate: no saturation histogram)"))
    return 0


def _other_sizes(p, sep: str) -> str:
    """The sizes of ``p``'s dimensions besides H and I (the LSTMP's ``P``), as
    ``{sep}P = 2`` each; empty for a cell without one."""
    own = (p.cell.hidden_dim, p.cell.dims[p.cell.inputs[0]])
    return "".join(f"{sep}{d} = {n}" for d, n in p.sizes.items() if d not in own)


def _diagnose(p, out: Path, *, steps, batch, seed, say) -> list[str]:
    """Compute the diagnostics, draw the figures into ``out``; the summary lines."""
    import numeric
    from numeric.bounds import check_bounds

    say(f"loaded {p.cell.title}: H = {p.hidden_size}, I = {p.input_size}"
        + _other_sizes(p, ", "))
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((steps, batch, p.input_size))
    _, s0 = draw_state(p, batch, rng)
    say(f"gradient norms over T = {steps}")
    gn = numeric.gradient_norms(p, xs, s0, seed=seed)
    logn = np.asarray(gn.log_norms)
    plot_gradient_norms({p.cell.title: logn}, out / "gradient_norms.pdf",
                        xlabel="steps back k = T - t",
                        ylabel=r"$\log_{10}\,\|v^\top\partial s_T/\partial s_t\|$ "
                               "(median, IQR)")
    say("Jacobian spectra and bounds along the trajectory")
    n = min(steps, SPECTRUM_STEPS)
    traj = numeric.rollout(p, xs[:n], s0)
    idx = np.linspace(0, n - 1, 8).astype(int)
    svals, tight = [], []
    for t in idx:
        st = tuple(a[t] for a in traj) if isinstance(traj, tuple) else traj[t]
        sv = numeric.singular_values(p, xs[t], st)
        svals.append(np.ravel(sv))
        bc = check_bounds(p, xs[t], st)
        tight.append(bc.norm / bc.upper)
    svals, tight = np.concatenate(svals), np.concatenate(tight)
    plot_histograms({p.cell.title: svals}, out / "singular_values.pdf",
                    xlabel="singular value of dh_t/dh_(t-1)", ylabel="density",
                    range_=(0.0, float(max(1.0, svals.max()))))
    gates = _gate_histogram(p, xs, s0, out, say)
    rate = float(np.median((logn[0] - logn[-1]) / (steps - 1)))
    lines = [
        f"cell: {p.cell.title}  H = {p.hidden_size}  I = {p.input_size}"
        + _other_sizes(p, "  "),
        f"log10 ||v^T dh_T/dh_0|| (median over batch): {np.median(logn[0]) / np.log(10):.2f}",
        f"mean log-norm change per step: {rate:+.4f}  "
        f"({'vanishing' if rate < -1e-3 else 'exploding' if rate > 1e-3 else 'neutral'})",
        f"singular values of one-step Jacobians: min {svals.min():.3g}, "
        f"median {np.median(svals):.3g}, max {svals.max():.3g}",
        f"bound tightness ||J||/upper: median {np.median(tight):.3f}, max {tight.max():.3f}",
    ]
    if gates is not None:
        name, g, _ = gates
        lines.append(f"carrying gate {name}: median {np.median(g):.3f}, "
                     f"{100 * np.mean(g > 0.9):.1f}% above 0.9, "
                     f"{100 * np.mean(g < 0.1):.1f}% below 0.1 (carrying is {name} -> "
                     f"{p.cell.carrying.towards})")
    return lines

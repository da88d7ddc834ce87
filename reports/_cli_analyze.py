"""``gatebound analyze``: gradient-flow diagnostics of a trained recurrent layer."""

from __future__ import annotations

import pickle  # noqa: S403  (only for its error type; files are read with weights_only=True)
from pathlib import Path

import numpy as np

from ._errors import ReportError
from ._sec_numeric import draw_state
from .figures import plot_gradient_norms, plot_histograms

__all__ = ["run_analyze", "load_params"]


def load_params(path, *, cell=None, layer: int = 0):
    """Parameters from a ``.pt``/``.pth`` state dict or an ``.npz`` file."""
    import numeric

    path = Path(path)
    if not path.exists():
        raise ReportError(f"weights file {str(path)!r} does not exist")
    if path.is_dir():
        raise ReportError(f"weights path {str(path)!r} is a directory, not a file")
    suffix = path.suffix.lower()
    if suffix in (".pt", ".pth"):
        try:
            import torch  # noqa: F401
        except ImportError:
            raise ReportError(f"reading {path.name} needs PyTorch (pip install torch)") from None
        try:
            return numeric.from_torch(path, layer=layer)
        except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError) as exc:
            raise ReportError(f"cannot read {str(path)!r} as a PyTorch state dict: "
                              f"{str(exc).splitlines()[0]}") from None
    if suffix == ".npz":
        c = None
        if cell:
            import derivations as dv

            name, _, conv = cell.partition(":")
            c = dv.cell(name, conv or None)
        return numeric.load(path, cell=c)
    raise ReportError(f"unknown weights format {suffix!r} of {str(path)!r}; use .pt, .pth or .npz")


def _gate_histogram(p, xs, s0, out, say):
    """Histogram of the carrying gate along the rollout (None for a cell without one)."""
    from ._fig_data import gate_samples

    if not p.cell.attributes.get("carrying"):
        return None
    say("gate saturation along the trajectory")
    T = xs.shape[0]
    name, g = gate_samples(p.cell.title, None, params=p, xs=xs, state0=s0,
                           every=max(1, T // 200))
    f3 = plot_histograms({p.cell.title: g}, out / "gate_saturation.pdf",
                         xlabel=f"carrying gate {name}", ylabel="density")
    return name, g, f3


def run_analyze(weights, *, cell=None, layer=0, out="build/analyze", steps=1000, batch=16,
                seed=0, say=print) -> int:
    import numeric
    from numeric.bounds import check_bounds

    if steps < 2 or batch < 1:
        raise ReportError(f"--steps must be >= 2 and --batch >= 1, got {steps}, {batch}")
    p = load_params(weights, cell=cell, layer=layer)
    say(f"loaded {p.cell.title}: H = {p.hidden_size}, I = {p.input_size}")
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((steps, batch, p.input_size))
    _, s0 = draw_state(p, batch, rng)
    say(f"gradient norms over T = {steps}")
    gn = numeric.gradient_norms(p, xs, s0, seed=seed)
    logn = np.asarray(gn.log_norms)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    f1 = plot_gradient_norms({p.cell.title: logn}, out / "gradient_norms.pdf",
                             xlabel="steps back k = T - t",
                             ylabel=r"$\log_{10}\,\|v^\top\partial s_T/\partial s_t\|$ "
                                    "(median, IQR)")
    say("Jacobian spectra and bounds along the trajectory")
    traj = numeric.rollout(p, xs[: min(steps, 200)], s0)
    idx = np.linspace(0, min(steps, 200) - 1, 8).astype(int)
    svals, tight = [], []
    for t in idx:
        st = tuple(a[t] for a in traj) if isinstance(traj, tuple) else traj[t]
        sv = numeric.singular_values(p, xs[t], st)
        svals.append(np.ravel(sv))
        bc = check_bounds(p, xs[t], st)
        tight.append(bc.norm / bc.upper)
    svals, tight = np.concatenate(svals), np.concatenate(tight)
    f2 = plot_histograms({p.cell.title: svals}, out / "singular_values.pdf",
                         xlabel="singular value of dh_t/dh_(t-1)", ylabel="density",
                         range_=(0.0, float(max(1.0, svals.max()))))
    gates = _gate_histogram(p, xs, s0, out, say)
    rate = float(np.median((logn[0] - logn[-1]) / (steps - 1)))
    print(f"cell: {p.cell.title}  H = {p.hidden_size}  I = {p.input_size}")
    print(f"log10 ||v^T dh_T/dh_0|| (median over batch): {np.median(logn[0]) / np.log(10):.2f}")
    print(f"mean log-norm change per step: {rate:+.4f}  "
          f"({'vanishing' if rate < -1e-3 else 'exploding' if rate > 1e-3 else 'neutral'})")
    print(f"singular values of one-step Jacobians: min {svals.min():.3g}, "
          f"median {np.median(svals):.3g}, max {svals.max():.3g}")
    print(f"bound tightness ||J||/upper: median {np.median(tight):.3f}, max {tight.max():.3f}")
    if gates is not None:
        name, g, f3 = gates
        print(f"carrying gate {name}: median {np.median(g):.3f}, "
              f"{100 * np.mean(g > 0.9):.1f}% above 0.9, {100 * np.mean(g < 0.1):.1f}% below 0.1 "
              f"(carrying is {name} -> {p.cell.attributes['carrying'].split('->')[1].strip()})")
        print(f"figures: {f1}, {f2}, {f3}")
    else:
        print(f"figures: {f1}, {f2} (no carrying gate: no saturation histogram)")
    return 0

r"""Figures of a sweep store (``gatebound sweep --plot``, and the report's phase diagrams).

- :func:`plot_phase_diagrams`: per cell, a heatmap of the leading Lyapunov exponent
  :math:`\lambda_1` over (:math:`\sigma_w`, gate bias) with the edge of chaos
  :math:`\lambda_1 = 0` as a contour;
- :func:`plot_rate_vs_T`: the log gradient-norm rate (slope of
  :math:`\log\|v^\top\partial s_T/\partial s_t\|` in :math:`T - t`) against T, per cell and
  :math:`\sigma_w`.

Axes not drawn are held at their first value (named in the title). Points not done or
failed are NaN and left blank. Each PDF is written to a temporary file and renamed
(:func:`reports.figures._save`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._errors import ReportError
from .figures import _save, setup

__all__ = ["phase_data", "rate_data", "plot_phase_diagrams", "plot_rate_vs_T", "plot_sweep",
           "FIGURES"]

#: the files :func:`plot_sweep` writes (each when its metric is in the store)
FIGURES = ("phase_lambda1.pdf", "grad_rate_vs_T.pdf")


def _fixed(ds, keep) -> tuple:
    """``ds`` with every axis not in ``keep`` held at its first value, and a description."""
    dims = [d for d in ds["done"].dims if d not in keep]
    held = {d: ds[d].values[0] for d in dims}
    text = ", ".join(f"{d} = {v}" for d, v in held.items())
    return ds.isel({d: 0 for d in dims}), text


def _valid(ds, name):
    """``ds[name]`` with points not done, or failed, as NaN."""
    ok = ds["done"] & ~ds["failed"]
    return ds[name].where(ok)


def phase_data(ds) -> tuple:
    r"""``({cell: lambda_1 (gate_bias, sigma_w)}, sigma_w values, gate_bias values, held)``
    of a sweep dataset (an ``xarray.Dataset`` read from the store)."""
    if "lyapunov" not in ds:
        raise ReportError("the sweep store has no lyapunov variable (metric not computed)")
    sub, held = _fixed(ds, ("cell", "sigma_w", "gate_bias", "exponent"))
    lam = _valid(sub, "lyapunov").isel(exponent=0).transpose("cell", "gate_bias", "sigma_w")
    out = {str(c): np.asarray(lam.sel(cell=c).values, dtype=float) for c in sub["cell"].values}
    return out, np.asarray(sub["sigma_w"].values), np.asarray(sub["gate_bias"].values), held


def rate_data(ds) -> tuple:
    """``({"cell, sigma_w = s": (T values, rate per T)}, held)`` with gate bias and the other
    axes at their first value."""
    if "grad_rate" not in ds:
        raise ReportError("the sweep store has no grad_rate variable (metric not computed)")
    sub, held = _fixed(ds, ("cell", "sigma_w", "T"))
    rate = _valid(sub, "grad_rate").transpose("cell", "sigma_w", "T")
    T = np.asarray(sub["T"].values)
    out = {}
    for c in sub["cell"].values:
        for s in sub["sigma_w"].values:
            out[f"{c}, sigma_w = {s:g}"] = (T, np.asarray(rate.sel(cell=c, sigma_w=s).values,
                                                          dtype=float))
    return out, held


def plot_phase_diagrams(ds, path) -> Path:
    r"""One panel per cell: :math:`\lambda_1` over (:math:`\sigma_w`, gate bias), with the
    :math:`\lambda_1 = 0` contour where the grid crosses it."""
    plt = setup()
    data, sw, gb, held = phase_data(ds)
    n = len(data)
    fig, axes = plt.subplots(1, n, figsize=(max(3.2 * n, 4.0), 3.2), squeeze=False)
    from matplotlib.colors import TwoSlopeNorm

    finite = np.concatenate([v[np.isfinite(v)] for v in data.values()] or [np.zeros(1)])
    low = float(finite.min()) if finite.size else -1.0
    high = float(finite.max()) if finite.size else 1.0
    # blue below the edge of chaos, red above, each side over its own range
    norm = TwoSlopeNorm(vcenter=0.0, vmin=min(low, -1e-3), vmax=max(high, 1e-3))
    for ax, (cell, lam) in zip(axes[0], data.items(), strict=True):
        im = ax.imshow(lam, origin="lower", aspect="auto", cmap="RdBu_r", norm=norm,
                       interpolation="nearest")
        if lam.shape[0] >= 2 and lam.shape[1] >= 2 and np.isfinite(lam).any() \
                and np.nanmin(lam) < 0 < np.nanmax(lam):
            ax.contour(np.arange(lam.shape[1]), np.arange(lam.shape[0]), lam, levels=[0.0],
                       colors="k", linewidths=1.2)
        ax.set_xticks(range(len(sw)), [f"{v:g}" for v in sw], fontsize=7)
        ax.set_yticks(range(len(gb)), [f"{v:g}" for v in gb], fontsize=7)
        ax.set_xlabel(r"$\sigma_w$")
        ax.set_title(cell, fontsize=9)
        ax.grid(False)
    axes[0][0].set_ylabel("gate bias offset")
    fig.colorbar(im, ax=list(axes[0]), label=r"$\lambda_1$ (per step)")
    if held:
        fig.suptitle(held, fontsize=7)
    return _save(fig, path)


def plot_rate_vs_T(ds, path) -> Path:
    """The log gradient-norm rate against T, one line per (cell, sigma_w)."""
    plt = setup()
    data, held = rate_data(ds)
    fig, ax = plt.subplots(figsize=(6.2, 3.3))
    for label, (T, r) in data.items():
        ax.plot(T, r, "o-", ms=3, lw=1.2, label=label)
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_xlabel("horizon T")
    ax.set_ylabel(r"slope of $\log\|v^\top\partial s_T/\partial s_t\|$ in $T - t$")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=6.5)
    if held:
        ax.set_title(held, fontsize=7)
    fig.tight_layout()
    return _save(fig, path)


def plot_sweep(store, folder) -> list:
    """Draw the figures of the sweep store ``store`` into ``folder`` (created if missing);
    the paths written."""
    try:
        import xarray as xr
    except ImportError:
        raise ReportError("drawing a sweep needs xarray and zarr: pip install "
                          "'gatebound[sweep]'") from None
    folder = Path(os.path.abspath(os.fspath(folder)))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        ds = xr.open_zarr(os.fspath(store)).load()
    except Exception as exc:
        raise ReportError(f"cannot read the sweep store {os.fspath(store)!r}: "
                          f"{type(exc).__name__}") from None
    out = []
    if "lyapunov" in ds:
        out.append(plot_phase_diagrams(ds, folder / FIGURES[0]))
    if "grad_rate" in ds:
        out.append(plot_rate_vs_T(ds, folder / FIGURES[1]))
    return out

r"""Figures of a sweep (``gatebound sweep --plot``, and the report's phase diagrams).

- :func:`plot_phase_arrays`: per cell, a heatmap of the leading Lyapunov exponent
  :math:`\lambda_1` over (:math:`\sigma_w`, gate bias) with the edge of chaos
  :math:`\lambda_1 = 0` as a contour;
- :func:`plot_rate_arrays`: per cell, the log gradient-norm rate (slope of
  :math:`\log\|v^\top\partial s_T/\partial s_t\|` in :math:`T - t`) against T, one line per
  :math:`\sigma_w`.

Both take plain NumPy arrays, so the report (which computes its grid in-process with
:func:`numeric.sweep_point`, without Dask, xarray or zarr) and ``gatebound sweep --plot``
(which reads a Zarr store through xarray: :func:`plot_phase_diagrams`,
:func:`plot_rate_vs_T`, thin adapters) draw the same figures. The slices are chosen once,
by :func:`phase_arrays` and :func:`rate_arrays` on a metric's array over the grid's
dimensions: axes not drawn are held at one value (:func:`held_index`: the largest T, the
gate-bias offset closest to 0, the first value of any other axis), named in the title.
Points not done or failed are NaN and left blank. Each PDF is written to a temporary file
and renamed (:func:`reports.figures._save`).

>>> dims, coords = ("cell", "sigma_w", "gate_bias", "T"), {
...     "cell": ["gru"], "sigma_w": [0.5, 1.0], "gate_bias": [-1.0, 0.0, 1.0], "T": [10, 20]}
>>> lam = np.arange(12.0).reshape(1, 2, 3, 2)                  # (cell, sigma_w, gate_bias, T)
>>> data, sw, gb, held = phase_arrays(lam, dims, coords)
>>> data["gru"].shape, held                                  # (gate_bias, sigma_w) at T = 20
((3, 2), 'T = 20')
>>> T, rates, sw, held = rate_arrays(lam, dims, coords)
>>> rates["gru"].shape, held                                 # (sigma_w, T) at gate bias 0
((2, 2), 'gate_bias = 0')
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._errors import ReportError
from .figures import _save, setup

__all__ = ["held_index", "phase_arrays", "rate_arrays", "plot_phase_arrays",
           "plot_rate_arrays", "phase_data", "rate_data", "plot_phase_diagrams",
           "plot_rate_vs_T", "plot_sweep", "FIGURES", "LABELS"]

#: the files :func:`plot_sweep` writes (each when its metric is in the store)
FIGURES = ("phase_lambda1.pdf", "grad_rate_vs_T.pdf")

#: axis labels of the figures, per language
LABELS = {
    "en": {"sigma_w": r"$\sigma_w$", "gate_bias": "gate bias offset",
           "lam": r"$\lambda_1$ (per step)", "T": "horizon T",
           "rate": r"slope of $\log\|v^\top\partial s_T/\partial s_t\|$ in $T - t$"},
    "vi": {"sigma_w": r"$\sigma_w$", "gate_bias": "độ dịch bias cổng mang",
           "lam": r"$\lambda_1$ (mỗi bước)", "T": "độ dài T",
           "rate": r"độ dốc của $\log\|v^\top\partial s_T/\partial s_t\|$ theo $T - t$"},
}


def _labels(lang: str) -> dict:
    if lang not in LABELS:
        raise ReportError(f"unknown language {lang!r}; choose one of {list(LABELS)}")
    return LABELS[lang]


def held_index(name: str, values) -> int:
    """The position at which an axis not drawn is held: the largest horizon ``T`` (the
    longest average), the ``gate_bias`` offset closest to 0 (the initialisation's own
    bias), the first value of any other axis.

    >>> held_index("T", [100, 300, 50]), held_index("gate_bias", [-2.0, 0.5, 3.0])
    (1, 1)
    """
    if name == "T":
        return int(np.argmax(np.asarray(values)))
    if name == "gate_bias":
        return int(np.argmin(np.abs(np.asarray(values, dtype=float))))
    return 0


def _slice(values, dims, coords, keep) -> tuple:
    """``values`` (one axis per ``dims``) with the axes not in ``keep`` held
    (:func:`held_index`), transposed to ``keep``; and the text naming the held values."""
    values = np.asarray(values, dtype=float)
    dims = tuple(dims)
    if values.ndim != len(dims):
        raise ReportError(f"sweep values of shape {values.shape} do not match the "
                          f"dimensions {list(dims)}")
    missing = [d for d in keep if d not in dims]
    if missing:
        raise ReportError(f"the sweep has no axis {missing[0]!r}; axes: {', '.join(dims)}")
    index, held = [], []
    for d in dims:
        if d in keep:
            index.append(slice(None))
        else:
            i = held_index(d, coords[d])
            index.append(i)
            if len(coords[d]) > 1 or d in ("T", "gate_bias"):
                v = coords[d][i]
                held.append(f"{d} = {v:g}" if isinstance(v, (float, np.floating)) else
                            f"{d} = {v}")
    rest = [d for d in dims if d in keep]
    out = values[tuple(index)].transpose([rest.index(d) for d in keep])
    return out, ", ".join(held)


def phase_arrays(lam1, dims, coords) -> tuple:
    r"""``({cell: lambda_1 (gate_bias, sigma_w)}, sigma_w values, gate_bias values, held)``
    from the leading exponent ``lam1`` over the grid's ``dims`` (``coords``: dim -> values).
    """
    arr, held = _slice(lam1, dims, coords, ("cell", "gate_bias", "sigma_w"))
    data = {str(c): arr[i] for i, c in enumerate(coords["cell"])}
    return data, np.asarray(coords["sigma_w"], float), np.asarray(coords["gate_bias"], float), held


def rate_arrays(rate, dims, coords) -> tuple:
    """``(T values, {cell: rate (sigma_w, T)}, sigma_w values, held)`` from the gradient-norm
    rate over the grid's ``dims``."""
    arr, held = _slice(rate, dims, coords, ("cell", "sigma_w", "T"))
    data = {str(c): arr[i] for i, c in enumerate(coords["cell"])}
    return np.asarray(coords["T"]), data, np.asarray(coords["sigma_w"], float), held


def plot_phase_arrays(data: dict, sigma_w, gate_bias, path, *, held: str = "",
                      lang: str = "en") -> Path:
    r"""One panel per ``{cell: lambda_1 (gate_bias, sigma_w)}``: a heatmap (blue below the
    edge of chaos, red above, each side over its own range) with the :math:`\lambda_1 = 0`
    contour where the grid crosses it."""
    lab = _labels(lang)
    for cell, lam in data.items():
        if np.shape(lam) != (len(gate_bias), len(sigma_w)):
            raise ReportError(f"lambda_1 of {cell!r} has shape {np.shape(lam)}, expected "
                              f"(gate_bias, sigma_w) = ({len(gate_bias)}, {len(sigma_w)})")
    plt = setup()
    from matplotlib.colors import TwoSlopeNorm

    n = len(data)
    fig, axes = plt.subplots(1, n, figsize=(max(3.2 * n, 4.0), 3.2), squeeze=False)
    finite = np.concatenate([np.ravel(v)[np.isfinite(np.ravel(v))] for v in data.values()]
                            or [np.zeros(1)])
    low = float(finite.min()) if finite.size else -1.0
    high = float(finite.max()) if finite.size else 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=min(low, -1e-3), vmax=max(high, 1e-3))
    for ax, (cell, lam) in zip(axes[0], data.items(), strict=True):
        lam = np.asarray(lam, dtype=float)
        im = ax.imshow(lam, origin="lower", aspect="auto", cmap="RdBu_r", norm=norm,
                       interpolation="nearest")
        if lam.shape[0] >= 2 and lam.shape[1] >= 2 and np.isfinite(lam).any() \
                and np.nanmin(lam) < 0 < np.nanmax(lam):
            ax.contour(np.arange(lam.shape[1]), np.arange(lam.shape[0]), lam, levels=[0.0],
                       colors="k", linewidths=1.2)
        ax.set_xticks(range(len(sigma_w)), [f"{v:g}" for v in sigma_w], fontsize=7,
                      rotation=45 if len(sigma_w) > 6 else 0)
        ax.set_yticks(range(len(gate_bias)), [f"{v:g}" for v in gate_bias], fontsize=7)
        ax.set_xlabel(lab["sigma_w"])
        ax.set_title(cell, fontsize=9)
        ax.grid(False)
    axes[0][0].set_ylabel(lab["gate_bias"])
    bar = fig.colorbar(im, ax=list(axes[0]), label=lab["lam"])
    # ticks on both sides of 0 (each side has its own scale), never outside the range
    # (a tick beyond vmin or vmax has no colour: the colour bar's axis would be singular)
    ticks = [norm.vmin, norm.vmin / 2, 0.0, norm.vmax / 2, norm.vmax]
    bar.set_ticks(ticks, labels=[f"{t:.3g}" for t in ticks])
    if held:
        fig.suptitle(held, fontsize=7)
    return _save(fig, path)


def plot_rate_arrays(T, rates: dict, sigma_w, path, *, held: str = "",
                     lang: str = "en") -> Path:
    r"""One panel per ``{cell: rate (sigma_w, T)}``: the log gradient-norm rate against T,
    one line per :math:`\sigma_w` (coloured by :math:`\sigma_w`, a shared colour bar)."""
    lab = _labels(lang)
    for cell, r in rates.items():
        if np.shape(r) != (len(sigma_w), len(T)):
            raise ReportError(f"the rate of {cell!r} has shape {np.shape(r)}, expected "
                              f"(sigma_w, T) = ({len(sigma_w)}, {len(T)})")
    plt = setup()
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    n = len(rates)
    fig, axes = plt.subplots(1, n, figsize=(max(3.0 * n, 4.0), 3.0), squeeze=False,
                             sharey=True)
    sw = np.asarray(sigma_w, dtype=float)
    norm = Normalize(vmin=float(sw.min()), vmax=float(max(sw.max(), sw.min() + 1e-9)))
    cmap = plt.get_cmap("viridis")
    for ax, (cell, r) in zip(axes[0], rates.items(), strict=True):
        for s, row in zip(sw, np.asarray(r, dtype=float), strict=True):
            ax.plot(T, row, "o-", ms=3, lw=1.1, color=cmap(norm(s)))
        ax.axhline(0.0, color="0.3", lw=0.8)
        ax.set_xlabel(lab["T"])
        ax.set_title(cell, fontsize=9)
    axes[0][0].set_ylabel(lab["rate"], fontsize=8)
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=list(axes[0]), label=lab["sigma_w"])
    if held:
        fig.suptitle(held, fontsize=7)
    return _save(fig, path)


# -- xarray adapters (gatebound sweep --plot) ----------------------------------------------

def _grid(ds, name, where_exponent=True) -> tuple:
    """``(values, dims, coords)`` of variable ``name`` of a sweep dataset, points not done
    or failed as NaN (the leading exponent of ``lyapunov``)."""
    ok = ds["done"] & ~ds["failed"]
    var = ds[name].where(ok)
    if "exponent" in var.dims:
        var = var.isel(exponent=0)
    dims = tuple(ds["done"].dims)
    var = var.transpose(*dims)
    coords = {d: list(ds[d].values) for d in dims}
    return np.asarray(var.values, dtype=float), dims, coords


def phase_data(ds) -> tuple:
    r"""``({cell: lambda_1 (gate_bias, sigma_w)}, sigma_w values, gate_bias values, held)``
    of a sweep dataset (an ``xarray.Dataset`` read from the store)."""
    if "lyapunov" not in ds:
        raise ReportError("the sweep store has no lyapunov variable (metric not computed)")
    return phase_arrays(*_grid(ds, "lyapunov"))


def rate_data(ds) -> tuple:
    """``(T values, {cell: rate (sigma_w, T)}, sigma_w values, held)`` of a sweep dataset."""
    if "grad_rate" not in ds:
        raise ReportError("the sweep store has no grad_rate variable (metric not computed)")
    return rate_arrays(*_grid(ds, "grad_rate"))


def plot_phase_diagrams(ds, path, *, lang: str = "en") -> Path:
    r""":func:`plot_phase_arrays` of a sweep dataset."""
    data, sw, gb, held = phase_data(ds)
    return plot_phase_arrays(data, sw, gb, path, held=held, lang=lang)


def plot_rate_vs_T(ds, path, *, lang: str = "en") -> Path:
    """:func:`plot_rate_arrays` of a sweep dataset."""
    T, rates, sw, held = rate_data(ds)
    return plot_rate_arrays(T, rates, sw, path, held=held, lang=lang)


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

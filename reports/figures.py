r"""Matplotlib figures (PDF, embedded TrueType fonts) shared by both engines.

Gradient norms are plotted as :math:`\log_{10}` values on a linear axis, straight from
the natural-log norms of :func:`numeric.gradient_norms` (``log_norms / ln 10``): norms
of :math:`10^{-300}` and below never pass through ``exp`` and never underflow.

>>> import numpy as np, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> logn = np.log(np.full((50, 3), 0.5)).cumsum(0)[::-1]          # (T, B)
>>> p = plot_gradient_norms({"elman": logn}, d / "g.pdf", xlabel="k", ylabel="log10 norm")
>>> p.exists()
True
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["plot_gradient_norms", "plot_gradient_panels", "plot_lines", "plot_histograms",
           "plot_histogram_panels", "plot_band_lines", "log10_quantiles", "setup"]

_W, _HT = 6.2, 3.3
#: line styles of successive curves (overlapping medians stay distinguishable)
_STYLES = ("--", "-", ":", "-.")


def setup():
    """Import matplotlib with the Agg backend, TrueType (type 42) fonts in PDFs."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update({"pdf.fonttype": 42, "ps.fonttype": 42, "font.size": 9,
                                "axes.grid": True, "grid.alpha": 0.3,
                                "font.family": "DejaVu Sans", "mathtext.fontset": "dejavusans"})
    return plt


def _save(fig, path: Path) -> Path:
    path = Path(path)
    tmp = path.with_name(path.stem + ".part" + path.suffix)
    fig.savefig(tmp, bbox_inches="tight", metadata={"CreationDate": None})
    os.replace(tmp, path)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def log10_quantiles(logn, qs=(0.25, 0.5, 0.75)) -> np.ndarray:
    r"""Quantiles over the batch of :math:`\log_{10}` norms from natural-log norms (T, B).

    Returns (len(qs), T); ``-inf`` entries (an exactly zero gradient) are kept, ``nan`` ignored.

    >>> log10_quantiles(np.log(np.array([[10.0, 1000.0, 100.0]])), (0.5,))   # (1, T=1)
    array([[2.]])
    """
    logn = np.asarray(logn, dtype=float)
    if logn.ndim != 2:
        from ._errors import ReportError

        raise ReportError(f"log-norms must have shape (T, B), got shape {logn.shape}")
    # an exactly zero gradient (a ReLU unit switched off on every path) has log-norm -inf:
    # a quantile between two -inf is undefined (nan, not drawn), not a warning
    with np.errstate(invalid="ignore"):
        return np.nanquantile(logn / np.log(10.0), list(qs), axis=1)


def plot_gradient_panels(panels: dict, path, *, xlabel: str, ylabel: str) -> Path:
    r"""One panel per entry ``{panel title: {label: log_norms (T, B)}}``: median and IQR band.

    The x axis is the distance :math:`k = T - t` (``log_norms[t]``, ``t = T - 1`` is one step
    back); the y axis is :math:`\log_{10}` of the norm, on a linear scale.
    """
    plt = setup()
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(_W, _HT), sharey=False, squeeze=False)
    colours = {}
    for ax, (ptitle, curves) in zip(axes[0], panels.items(), strict=True):
        for j, (label, logn) in enumerate(curves.items()):
            q1, med, q3 = log10_quantiles(logn)
            k = logn.shape[0] - np.arange(logn.shape[0])
            style = _STYLES[j % len(_STYLES)] if len(curves) > 1 else "-"
            (line,) = ax.plot(k, med, style, label=label, lw=1.5, color=colours.get(label))
            colours[label] = line.get_color()
            ax.fill_between(k, q1, q3, color=line.get_color(), alpha=0.25, lw=0)
        ax.set_xlabel(xlabel)
        if ptitle:
            ax.set_title(ptitle, fontsize=9)
        ax.legend(loc="lower left", fontsize=7.5)
    axes[0][0].set_ylabel(ylabel)
    fig.tight_layout()
    return _save(fig, path)


def plot_gradient_norms(curves: dict, path, *, xlabel: str, ylabel: str, title: str = "") -> Path:
    r"""Median and interquartile band of :math:`\log_{10}\|v^\top \partial h_T / \partial h_t\|`.

    ``curves`` maps a label to natural-log norms of shape (T, B) (see
    :func:`plot_gradient_panels`).
    """
    return plot_gradient_panels({title: curves}, path, xlabel=xlabel, ylabel=ylabel)


def plot_band_lines(x, ys: dict, path, *, xlabel: str, ylabel: str, ylim=None,
                    hline=None) -> Path:
    """Median line and IQR band of each ``{label: (len(x), B) array}``; optional y limits."""
    plt = setup()
    fig, ax = plt.subplots(figsize=(_W, _HT))
    for label, y in ys.items():
        q1, med, q3 = np.nanquantile(np.asarray(y, dtype=float), [0.25, 0.5, 0.75], axis=1)
        (line,) = ax.plot(x, med, "o-", ms=3, lw=1.3, label=label)
        ax.fill_between(x, q1, q3, color=line.get_color(), alpha=0.2, lw=0)
    if hline is not None:
        ax.axhline(hline, color="0.3", lw=0.8)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_lines(x, ys: dict, path, *, xlabel: str, ylabel: str, logy: bool = False,
               title: str = "", markers: bool = False, styles: dict | None = None) -> Path:
    """One line per entry of ``ys`` against ``x`` (or per-entry ``(x, y)`` pairs)."""
    plt = setup()
    fig, ax = plt.subplots(figsize=(_W, _HT))
    for label, y in ys.items():
        xx, yy = (y if isinstance(y, tuple) else (x, y))
        style = (styles or {}).get(label, "o-" if markers else "-")
        ax.plot(xx, yy, style, ms=3, lw=1.3, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_histogram_panels(panels: dict, path, *, xlabel, ylabel: str, bins: int = 40,
                          range_=(0.0, 1.0)) -> Path:
    """One panel per ``{title: {label: values}}``: overlaid step histograms (densities).

    ``xlabel`` is one string, or ``{panel title: string}``.
    """
    plt = setup()
    fig, axes = plt.subplots(1, len(panels), figsize=(_W, _HT), squeeze=False)
    for ax, (ptitle, data) in zip(axes[0], panels.items(), strict=True):
        for label, values in data.items():
            ax.hist(np.ravel(values), bins=bins, range=range_, density=True, histtype="step",
                    lw=1.4, label=label)
        ax.set_xlabel(xlabel[ptitle] if isinstance(xlabel, dict) else xlabel)
        if ptitle:
            ax.set_title(ptitle, fontsize=9)
        ax.legend(loc="best", fontsize=7.5)
    axes[0][0].set_ylabel(ylabel)
    fig.tight_layout()
    return _save(fig, path)


def plot_histograms(data: dict, path, *, xlabel: str, ylabel: str, bins: int = 40,
                    title: str = "", range_=(0.0, 1.0)) -> Path:
    """Overlaid step histograms (densities) of each entry of ``data``."""
    return plot_histogram_panels({title: data}, path, xlabel=xlabel, ylabel=ylabel, bins=bins,
                                 range_=range_)

"""Matplotlib figures (PDF, embedded TrueType fonts) shared by both engines.

>>> import numpy as np, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> p = plot_gradient_norms({"elman": np.log(np.full((50, 3), 0.5)).cumsum(0)[::-1]},
...                         d / "g.pdf", xlabel="k", ylabel="norm")
>>> p.exists()
True
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["plot_gradient_norms", "plot_lines", "plot_histograms", "setup"]


def setup():
    """Import matplotlib with the Agg backend, TrueType (type 42) fonts in PDFs."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update({"pdf.fonttype": 42, "ps.fonttype": 42, "font.size": 9,
                                "axes.grid": True, "grid.alpha": 0.3})
    return plt


def _save(fig, path: Path) -> Path:
    path = Path(path)
    tmp = path.with_name(path.stem + ".part" + path.suffix)
    fig.savefig(tmp, bbox_inches="tight", metadata={"CreationDate": None})
    os.replace(tmp, path)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def plot_gradient_norms(curves: dict, path, *, xlabel: str, ylabel: str, title: str = "") -> Path:
    r"""Median and interquartile band of :math:`\|v^\top \partial h_T / \partial h_t\|` per curve.

    ``curves`` maps a label to natural-log norms of shape (T, B) indexed by t (t = T-1 is
    one step back); the x axis is the distance :math:`k = T - t`.
    """
    plt = setup()
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    for label, logn in curves.items():
        logn = np.asarray(logn, dtype=float)
        T = logn.shape[0]
        k = T - np.arange(T)
        l10 = logn / np.log(10.0)
        q1, med, q3 = np.nanquantile(l10, [0.25, 0.5, 0.75], axis=1)
        (line,) = ax.plot(k, 10.0 ** med, label=label, lw=1.3)
        ax.fill_between(k, 10.0 ** q1, 10.0 ** q3, color=line.get_color(), alpha=0.25, lw=0)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def plot_lines(x, ys: dict, path, *, xlabel: str, ylabel: str, logy: bool = False,
               title: str = "", markers: bool = False) -> Path:
    """One line per entry of ``ys`` against ``x`` (or per-entry ``(x, y)`` pairs)."""
    plt = setup()
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    for label, y in ys.items():
        xx, yy = (y if isinstance(y, tuple) else (x, y))
        ax.plot(xx, yy, "o-" if markers else "-", ms=3, lw=1.3, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def plot_histograms(data: dict, path, *, xlabel: str, ylabel: str, bins: int = 40,
                    title: str = "", range_=(0.0, 1.0)) -> Path:
    """Overlaid step histograms (densities) of each entry of ``data``."""
    plt = setup()
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    for label, values in data.items():
        ax.hist(np.ravel(values), bins=bins, range=range_, density=True, histtype="step",
                lw=1.4, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)

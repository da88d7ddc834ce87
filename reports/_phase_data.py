r"""The numbers of the report's phase diagrams: the grid of ``sweeps/report_phase*.toml``
computed in-process, point by point, with :func:`numeric.sweep_point` (no Dask, xarray or
zarr: the core report needs none of them).

The spec files are package data of :mod:`reports` (``reports/phase_specs/``, read with
:mod:`importlib.resources`, so a ``pip install .`` has them too); ``sweeps/`` at the top of
the repository links to them, so ``gatebound sweep sweeps/report_phase.toml --out X.zarr
--plot DIR`` recomputes the same grid on Dask and redraws the same figures. One source of
truth: the grid is never written in code.

>>> spec = report_spec(quick=True)
>>> spec.axis("cell"), spec.shape[:3]                      # (cell, sigma_w, gate_bias)
(('gru:pytorch',), (1, 4, 3))
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ._errors import ReportError

__all__ = ["SPEC_FILES", "spec_text", "report_spec", "PhaseGrid", "compute_grid"]

#: the spec file of the full report and of ``--quick`` (in ``reports/phase_specs/``)
SPEC_FILES = {False: "report_phase.toml", True: "report_phase_quick.toml"}


def spec_text(quick: bool) -> str:
    """The TOML text of the report's spec (``--quick`` or full), read from the package."""
    name = SPEC_FILES[bool(quick)]
    try:
        return (resources.files("reports") / "phase_specs" / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"the phase-diagram spec {name!r} is missing from the reports "
                          f"package ({exc.strerror}); reinstall gatebound") from None


def report_spec(quick: bool = False):
    """The :class:`numeric.SweepSpec` of the report's phase diagrams."""
    import numeric

    try:
        spec = numeric.SweepSpec.from_toml(spec_text(quick))
    except numeric.NumericError as exc:
        raise ReportError(f"the phase-diagram spec {SPEC_FILES[bool(quick)]!r}: "
                          f"{str(exc).splitlines()[0]}") from None
    missing = [m for m in ("lyapunov", "grad_rate") if m not in spec.metrics]
    if missing or spec.settings["k"] < 1:
        raise ReportError(f"the phase-diagram spec {SPEC_FILES[bool(quick)]!r} must compute "
                          f"the metrics lyapunov and grad_rate, lacks {missing}")
    return spec


@dataclass(frozen=True)
class PhaseGrid:
    r"""Every point of a spec's grid: ``lam1`` the median leading exponent
    :math:`\lambda_1` and ``rate`` the median gradient-norm rate, each an array of
    ``spec.shape`` (NaN where the point failed; ``failed`` lists ``(point, message)``),
    and the time taken."""

    spec: object
    lam1: np.ndarray
    rate: np.ndarray
    failed: tuple
    seconds: float

    @property
    def dims(self) -> tuple:
        return self.spec.dims

    @property
    def coords(self) -> dict:
        return {a: list(v) for a, v in self.spec.axes}

    def at(self, **point) -> tuple:
        """``(lambda_1, rate)`` at the grid point named by its axis values (every axis with
        more than one value)."""
        index = []
        for a, values in self.spec.axes:
            if a not in point:
                if len(values) > 1:
                    raise ReportError(f"name the {a} of the point: one of {list(values)}")
                index.append(0)
            elif point[a] not in values:
                raise ReportError(f"{a} = {point[a]!r} is not on the grid {list(values)}")
            else:
                index.append(values.index(point[a]))
        i = tuple(index)
        return float(self.lam1[i]), float(self.rate[i])


def compute_grid(spec, progress=None) -> PhaseGrid:
    """Every point of ``spec`` by :func:`numeric.sweep_point`, in the grid's C order
    (``progress(message)`` every few points)."""
    import numeric

    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    lam1 = np.full(spec.shape, np.nan)
    rate = np.full(spec.shape, np.nan)
    failed = []
    step = max(1, spec.size // 4)
    for n, index in enumerate(spec.indices()):
        if n % step == 0:
            say(f"phase diagrams: point {n + 1}/{spec.size}")
        point = spec.point(index)
        r = numeric.sweep_point(spec, point)
        if "failed" in r:
            failed.append((point, r["failed"]))
            continue
        lam1[index] = r["lyapunov"][0]
        rate[index] = r["grad_rate"]
    return PhaseGrid(spec, lam1, rate, tuple(failed), time.perf_counter() - t0)

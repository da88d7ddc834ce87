r"""The grid of a sweep: :class:`SweepSpec`, read from a TOML file or a dict, checked whole.

A spec names the grid axes, the metrics and the fixed settings. Every point of the grid
(the Cartesian product of the axes, in the spec's axis order) is computed on its own by
:func:`numeric.sweep_point`; the axes are the dimensions of the result dataset.

Axes (any subset, in any order; an axis left out has its one default value and comes
after the given ones, in this order):

========= ========================================================== ==================
axis      values                                                     default
========= ========================================================== ==================
cell      built-in cell names, ``name`` or ``name:convention``       ``["gru"]``
scheme    :func:`numeric.init` schemes (pytorch, orthogonal, chrono, ``["pytorch"]``
          irnn)
sigma_w   :math:`\sigma_w`, multiplies the recurrent weights          ``[1.0]``
          (``numeric.init(scale=)``: the weights acting on states)
gate_bias offset added to the carrying gate's bias (see              ``[0.0]``
          :func:`numeric.sweep_point.gate_bias_offset`)
H         hidden sizes, integers >= 1                                ``[32]``
T         horizons, integers >= 2                                    ``[1000]``
input     ``"normal:STD"``, ``"uniform:HALF_WIDTH"``, ``"zeros"``    ``["normal:1"]``
          (or tables ``{dist = "normal", std = 1.0}``)
seed      integers >= 0 (parameters, inputs, tangent frames)         ``[0]``
========= ========================================================== ==================

Values are a list, or for ``sigma_w`` and ``gate_bias`` also ``{start, stop, num}``
(``numpy.linspace``). An input distribution string is parsed (a name and one number),
never evaluated. Its number may be NaN: that is a valid spec whose points fail (the engine
refuses non-finite inputs) and are recorded as failed.

Settings (``[settings]``): ``batch`` B (default 8), ``input_size`` I (default 4; a cell
whose input lives in the state dimension, the RG-LRU, reads I = H), ``k`` leading
exponents (default 1, at most the smallest state dimension of the grid), ``bound_steps``
(default 100: evenly spaced steps at which :math:`\|J\|_2` is computed for the bound
tightness), ``saturation_tol`` (default 1e-3), ``t_max`` for ``chrono`` (default: the
point's T). ``metrics`` (default all): ``lyapunov``, ``grad_rate``, ``weyl_positive``,
``saturation``, ``tightness``.

>>> spec = SweepSpec.from_dict({"axes": {"cell": ["gru", "lstm"],
...                                      "sigma_w": {"start": 0.5, "stop": 1.5, "num": 3}},
...                             "settings": {"batch": 2, "k": 2}})
>>> spec.dims[:3], spec.shape[:3], spec.size          # axis order = dimension order
(('cell', 'sigma_w', 'scheme'), (2, 3, 1), 6)
>>> spec.axis("cell"), spec.axis("sigma_w")
(('gru:pytorch', 'lstm'), (0.5, 1.0, 1.5))
>>> SweepSpec.from_dict({"axes": {"H": [0]}})
Traceback (most recent call last):
...
numeric._errors.NumericError: axes.H[0]: must be an integer >= 1, got 0
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass

import numpy as np

from ._errors import NumericError

__all__ = ["SweepSpec", "AXES", "METRICS", "SETTINGS", "parse_input"]

#: the axes in their default order, with their default values
AXES = {"cell": ("gru",), "scheme": ("pytorch",), "sigma_w": (1.0,), "gate_bias": (0.0,),
        "H": (32,), "T": (1000,), "input": ("normal:1",), "seed": (0,)}

#: the metrics a sweep can compute
METRICS = ("lyapunov", "grad_rate", "weyl_positive", "saturation", "tightness")

#: fixed settings and their defaults (``t_max`` None: the point's T)
SETTINGS = {"batch": 8, "input_size": 4, "k": 1, "bound_steps": 100,
            "saturation_tol": 1e-3, "t_max": None}

_DISTS = {"normal": "std", "uniform": "half_width", "zeros": None}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|nan|NaN")


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _bad(where: str, what: str, value) -> NumericError:
    return NumericError(f"{where}: {what}, got {_shown(value)}")


def _int(value, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise _bad(where, f"must be an integer >= {minimum}", value)
    return int(value)


def _real(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)):
        raise _bad(where, "must be a finite real number", value)
    return float(value)


def parse_input(value, where: str = "input") -> str:
    """An input distribution in its canonical form ``"normal:1.0"``, ``"uniform:0.5"``,
    ``"zeros"``; NumericError naming ``where`` for anything else (parsed, never evaluated).

    >>> parse_input("normal:2"), parse_input({"dist": "uniform", "half_width": 0.5})
    ('normal:2.0', 'uniform:0.5')
    >>> parse_input("normal:__import__('os')")
    Traceback (most recent call last):
    ...
    numeric._errors.NumericError: input: the number of 'normal:NUMBER' must be a number >= 0 or nan, got "normal:__import__('os')"
    """
    if isinstance(value, dict):
        dist = value.get("dist")
        if dist not in _DISTS:
            raise _bad(where, f"a table needs dist = one of {sorted(_DISTS)}", value)
        param = _DISTS[dist]
        extra = sorted(set(value) - {"dist", *([param] if param else [])})
        if extra or (param is not None and param not in value):
            want = f"dist and {param}" if param else "dist only"
            raise _bad(where, f"an input table for {dist!r} has keys {want}", value)
        if param is None:
            return "zeros"
        number = value[param]
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise _bad(where, f"{param} must be a number", value)
        text = f"{dist}:{float(number)!r}"
        value = text
    if not isinstance(value, str):
        raise _bad(where, "must be 'normal:STD', 'uniform:HALF_WIDTH' or 'zeros'", value)
    name, colon, number = value.strip().partition(":")
    if name not in _DISTS:
        raise _bad(where, f"unknown distribution {name!r}; valid: 'normal:STD', "
                          "'uniform:HALF_WIDTH', 'zeros'", value)
    if _DISTS[name] is None:
        if colon:
            raise _bad(where, "'zeros' takes no number", value)
        return "zeros"
    number = number.strip()
    if not _NUMBER.fullmatch(number) or not (float(number) >= 0 or math.isnan(float(number))):
        raise _bad(where, f"the number of '{name}:NUMBER' must be a number >= 0 or nan", value)
    return f"{name}:{float(number)!r}"


def _cell_label(value, where: str) -> str:
    import derivations as dv

    if not isinstance(value, str) or not value.strip():
        raise _bad(where, "must be a built-in cell name such as 'gru' or 'gru:cho'", value)
    name, colon, conv = value.strip().partition(":")
    if colon and not conv:
        raise _bad(where, "names no convention after ':'", value)
    try:
        c = dv.cell(name, conv or None)
    except dv.DerivationError as exc:
        raise NumericError(f"{where}: {exc}") from None
    return c.name if c.convention is None else f"{c.name}:{c.convention}"


def _scheme(value, where: str) -> str:
    from ._init import SCHEMES

    if not isinstance(value, str) or value not in SCHEMES:
        raise _bad(where, f"unknown scheme; valid: {', '.join(SCHEMES)}", value)
    return value


_CHECK = {
    "cell": _cell_label,
    "scheme": _scheme,
    "sigma_w": _real,
    "gate_bias": _real,
    "H": lambda v, w: _int(v, w, 1),
    "T": lambda v, w: _int(v, w, 2),
    "input": parse_input,
    "seed": lambda v, w: _int(v, w, 0),
}


def _values(name: str, raw) -> tuple:
    where = f"axes.{name}"
    if isinstance(raw, dict):
        if name not in ("sigma_w", "gate_bias"):
            raise _bad(where, "a {start, stop, num} range is for sigma_w and gate_bias; "
                              "give a list", raw)
        if sorted(raw) != ["num", "start", "stop"]:
            raise _bad(where, "a range has exactly the keys start, stop, num", raw)
        start, stop = _real(raw["start"], f"{where}.start"), _real(raw["stop"], f"{where}.stop")
        num = _int(raw["num"], f"{where}.num", 1)
        raw = [float(v) for v in np.linspace(start, stop, num)]
    if not isinstance(raw, (list, tuple)) or not raw:
        raise _bad(where, "must be a non-empty list of values", raw)
    out = tuple(_CHECK[name](v, f"{where}[{i}]") for i, v in enumerate(raw))
    seen = set()
    for i, v in enumerate(out):
        if v in seen or (isinstance(v, float) and math.isnan(v)):
            raise _bad(f"{where}[{i}]", "repeats a value of the axis", raw[i])
        seen.add(v)
    return out


def _settings(raw) -> dict:
    if not isinstance(raw, dict):
        raise _bad("settings", "must be a table", raw)
    unknown = sorted(set(raw) - set(SETTINGS))
    if unknown:
        raise NumericError(f"settings.{unknown[0]}: unknown setting; valid: "
                           f"{', '.join(SETTINGS)}")
    out = dict(SETTINGS)
    for key, value in raw.items():
        where = f"settings.{key}"
        if key in ("batch", "input_size", "k", "bound_steps"):
            out[key] = _int(value, where, 1)
        elif key == "saturation_tol":
            v = _real(value, where)
            if not 0 < v < 0.5:
                raise _bad(where, "must be a number in (0, 0.5)", value)
            out[key] = v
        elif key == "t_max":
            v = _real(value, where)
            if v <= 2:
                raise _bad(where, "must be a number > 2", value)
            out[key] = v
    return out


def _metrics(raw) -> tuple:
    if raw is None:
        return METRICS
    if not isinstance(raw, (list, tuple)) or not raw:
        raise _bad("metrics", f"must be a non-empty list of {', '.join(METRICS)}", raw)
    for i, m in enumerate(raw):
        if m not in METRICS:
            raise _bad(f"metrics[{i}]", f"unknown metric; valid: {', '.join(METRICS)}", m)
    return tuple(m for m in METRICS if m in raw)  # canonical order


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep grid. Build it with :meth:`from_dict`, :meth:`from_toml` or
    :meth:`load`; ``axes`` is a tuple of ``(name, values)`` in dimension order."""

    axes: tuple
    metrics: tuple
    settings: dict

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data) -> SweepSpec:
        """A spec from ``{"axes": {...}, "settings": {...}, "metrics": [...]}``; every key
        and value is checked before anything else happens (NumericError naming it)."""
        if isinstance(data, SweepSpec):
            return data
        if not isinstance(data, dict):
            raise _bad("spec", "must be a table with axes, settings and metrics", data)
        unknown = sorted(set(data) - {"axes", "settings", "metrics"})
        if unknown:
            raise NumericError(f"spec: unknown key {unknown[0]!r}; valid: axes, settings, "
                               "metrics")
        raw_axes = data.get("axes", {})
        if not isinstance(raw_axes, dict):
            raise _bad("axes", "must be a table of axis name -> values", raw_axes)
        bad = [a for a in raw_axes if a not in AXES]
        if bad:
            raise NumericError(f"axes.{bad[0]}: unknown axis; valid: {', '.join(AXES)}")
        axes = [(a, _values(a, v)) for a, v in raw_axes.items()]
        axes += [(a, tuple(_CHECK[a](v, f"axes.{a}") for v in d))
                 for a, d in AXES.items() if a not in raw_axes]
        settings = _settings(data.get("settings", {}))
        spec = cls(tuple(axes), _metrics(data.get("metrics")), settings)
        spec._check_k()
        return spec

    @classmethod
    def from_toml(cls, text: str) -> SweepSpec:
        """A spec from TOML text (``tomllib``)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise NumericError(f"spec is not valid TOML: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path) -> SweepSpec:
        """A spec from a TOML file; NumericError naming the file when it cannot be read."""
        shown = repr(os.fspath(path)) if isinstance(path, (str, os.PathLike)) else repr(path)
        if not isinstance(path, (str, os.PathLike)):
            raise NumericError(f"spec file must be a path, got {shown}")
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise NumericError(f"spec file {shown} is not valid TOML: {exc}") from None
        except IsADirectoryError:
            raise NumericError(f"spec file {shown} is a directory") from None
        except OSError as exc:
            raise NumericError(f"spec file {shown} cannot be read ({exc.strerror})") from None
        try:
            return cls.from_dict(data)
        except NumericError as exc:
            raise NumericError(f"spec file {shown}: {exc}") from None

    def _check_k(self) -> None:
        import derivations as dv

        k = self.settings["k"]
        for label in self.axis("cell"):
            c = dv.cell(*label.split(":")) if ":" in label else dv.cell(label)
            D = min(self.axis("H")) * len(c.states)
            if k > D:
                raise NumericError(f"settings.k: must be at most the state dimension "
                                   f"{D} of cell {label!r} at H = {min(self.axis('H'))}, "
                                   f"got {k}")

    # -- the grid ----------------------------------------------------------------------
    @property
    def dims(self) -> tuple:
        return tuple(a for a, _ in self.axes)

    @property
    def shape(self) -> tuple:
        return tuple(len(v) for _, v in self.axes)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def axis(self, name: str) -> tuple:
        """The values of axis ``name``."""
        for a, v in self.axes:
            if a == name:
                return v
        raise NumericError(f"unknown axis {name!r}; axes: {', '.join(self.dims)}")

    def point(self, index) -> dict:
        """The point at grid ``index`` (a tuple of positions, one per axis)."""
        index = tuple(index)
        if len(index) != len(self.axes) or not all(
                isinstance(i, (int, np.integer)) and 0 <= i < n
                for i, n in zip(index, self.shape, strict=False)):
            raise NumericError(f"grid index {index!r} is not in a grid of shape {self.shape}")
        return {a: v[i] for (a, v), i in zip(self.axes, index, strict=True)}

    def indices(self):
        """Every grid index, in C order."""
        return itertools.product(*(range(n) for n in self.shape))

    def check_point(self, point) -> dict:
        """``point`` (axis name -> value) checked: every axis once, each value valid."""
        if not isinstance(point, dict) or sorted(point) != sorted(self.dims):
            raise _bad("point", f"must be a dict with the axes {', '.join(self.dims)}", point)
        return {a: _CHECK[a](point[a], f"point[{a!r}]") for a in self.dims}

    # -- identity ----------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"axes": {a: list(v) for a, v in self.axes}, "metrics": list(self.metrics),
                "settings": dict(self.settings)}

    def canonical(self) -> str:
        """The spec as sorted JSON (axes as an ordered list: their order is the
        dimension order); equal specs have equal canonical forms.

        >>> SweepSpec.from_dict({}).canonical()[:40]
        '{"axes": [["cell", ["gru:pytorch"]], ["s'
        """
        return json.dumps({"axes": [[a, list(v)] for a, v in self.axes],
                           "metrics": list(self.metrics), "settings": self.settings},
                          sort_keys=True, allow_nan=True)

    @property
    def digest(self) -> str:
        """SHA-256 of :meth:`canonical`."""
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    @classmethod
    def from_canonical(cls, text: str) -> SweepSpec:
        """The spec of a canonical form (as stored with the results)."""
        data = json.loads(text)
        return cls.from_dict({"axes": dict(data["axes"]), "metrics": data["metrics"],
                              "settings": {k: v for k, v in data["settings"].items()
                                           if v is not None}})

    def differences(self, other: SweepSpec) -> list:
        """Human-readable differences from ``other`` (empty when the specs are equal)."""
        out = []
        mine, theirs = dict(self.axes), dict(other.axes)
        if self.dims != other.dims:
            out.append(f"axis order {list(other.dims)} -> {list(self.dims)}")
        for a in AXES:
            if mine.get(a) != theirs.get(a):
                out.append(f"axes.{a} {list(theirs.get(a, ()))} -> {list(mine.get(a, ()))}")
        if self.metrics != other.metrics:
            out.append(f"metrics {list(other.metrics)} -> {list(self.metrics)}")
        for k in SETTINGS:
            if self.settings.get(k) != other.settings.get(k):
                out.append(f"settings.{k} {other.settings.get(k)!r} -> {self.settings.get(k)!r}")
        return out

r"""What ``gatebound analyze`` writes: the summary lines, the figures and the JSON numbers.

The JSON (``--json out.json``) holds plain numbers for scripts; every log-norm is
:math:`\log_{10}`; a value that is not a finite number is written ``null``, and the
object holding it says why under ``"null"``. Schema::

    {"model":  {"path", "kind" ("torch" | "npz" | "onnx" | "keras"), "kind_note",
                "layers": [{"index", "cell", "convention", "bidirectional",
                            "input_size", "hidden_size", "state_sizes"}]},
     "inputs": {"source": "random" | the --inputs path, "T", "B",
                "initial_states": "zeros" | "random", "seed"},
     "stack":  {"gradient": {"cotangent": "v: a random unit vector per sequence on the
                                           top layer's last output (seed)",
                             "v": [B][O] that cotangent,
                             "inputs_log10": [T][B]   log10 ||v^T dy_{T-1}/dx_t||,
                             "states_log10": [L][T][B] log10 ||v^T dy_{T-1}/ds_t^(l)||,
                             "null": why a value is null},
                "spectra": {"steps": [n], "sigma_max": [n][B], "sigma_min": [n][B]}
                           | null, "spectra_null": why},
     "layers": [{"index", "bidirectional",
                 "through_depth_log10": [T][B] (= stack.gradient.states_log10[index]),
                 "directions": [{"direction" ("forward" | "reverse"), "cell", "convention",
                   "through_depth_log10": [T][B] log10 ||v^T dy_{T-1}/ds_t|| on this
                                          direction's state (the whole stack's sweep),
                   "through_time": {"log10": [T][B] log10 ||u^T ds_T/ds_t|| of the layer
                                    alone (t in the order the direction reads),
                                    "log10_first_median", "rate_per_step", "null"},
                   "spectra": {"steps": [n], "sigma_max": [n][B], "sigma_min": [n][B],
                               "min", "median", "max"},
                   "tightness": {"values": [n][B] ||J||/U, "median", "max", "null"},
                   "gate": {"name", "towards", "eps", "median", "near_0", "near_1",
                            "saturated", "above_0.9", "below_0.1"} | null,
                   "gate_null": why}]}]}

``steps`` are positions :math:`t` in the sequence; the Jacobian measured at :math:`t` is
that of the step reading :math:`x_t`.
"""

from __future__ import annotations

import json
import math

import numpy as np

from .figures import plot_gradient_panels, plot_histogram_panels

__all__ = ["analysis_json", "summary_lines", "draw_figures", "write_json", "FIGURES"]

#: the figures ``analyze`` may draw (the last only when a layer has a carrying gate)
FIGURES = ("gradient_norms.pdf", "singular_values.pdf", "gate_saturation.pdf")

_ZERO = "an exactly zero gradient (log-norm -inf)"


def _num(x):
    """A plain float, or None when not finite."""
    x = float(x)
    return x if math.isfinite(x) else None


def _nested(a):
    """An array as nested lists of plain floats (None where not finite)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return _num(a)
    return [_nested(v) for v in a] if a.ndim > 1 else [_num(v) for v in a]


def _finite(stat, a):
    """``stat`` of the finite values of ``a`` as a plain float; None when there are none."""
    a = np.asarray(a, dtype=float)
    a = a[np.isfinite(a)]
    return _num(stat(a)) if a.size else None


def _gate_stats(gate, eps):
    name, g, towards = gate
    g = np.asarray(g, dtype=float)
    return {"name": name, "towards": str(towards), "eps": eps,
            "median": _num(np.median(g)), "near_0": _num(np.mean(g <= eps)),
            "near_1": _num(np.mean(g >= 1 - eps)),
            "saturated": _num(np.mean((g <= eps) | (g >= 1 - eps))),
            "above_0.9": _num(np.mean(g > 0.9)), "below_0.1": _num(np.mean(g < 0.1))}


def _rate(tt) -> float:
    T = tt.shape[0]
    with np.errstate(invalid="ignore"):
        return float(np.median((tt[0] - tt[-1]) / max(T - 1, 1)))


def analysis_json(an, *, path, kind, kind_note, source, initial, seed) -> dict:
    """The JSON document of the module docstring for the analysis ``an``."""
    from ._stack_analysis import SATURATION_EPS

    ln10 = np.log(10.0)
    stack = an.stack
    model_layers = []
    for k, lay in enumerate(stack.layers):
        p = lay[0]
        model_layers.append({"index": k, "cell": p.cell.name, "convention": p.convention,
                             "bidirectional": len(lay) == 2, "input_size": p.input_size,
                             "hidden_size": p.hidden_size, "state_sizes": list(p.state_sizes)})
    grad = {"cotangent": "v: a random unit vector per sequence on the top layer's output at "
                         "the last step (from the seed)",
            "v": _nested(an.v),
            "inputs_log10": _nested(an.input_norms / ln10),
            "states_log10": _nested(an.through_depth / ln10), "null": _ZERO}
    if an.stack_singular_values is None:
        spectra, why = None, an.stack_reason
    else:
        sv = an.stack_singular_values
        spectra = {"steps": [int(t) for t in an.steps], "sigma_max": _nested(sv[..., 0]),
                   "sigma_min": _nested(sv[..., -1])}
        why = None
    layers = []
    for k, lay in enumerate(stack.layers):
        dirs = [d for d in an.directions if d.layer == k]
        if not dirs:
            continue
        out_dirs = []
        for d in dirs:
            sv, tight = d.singular_values, d.tightness
            tt = d.through_time
            entry = {"direction": d.direction, "cell": d.params.cell.name,
                     "convention": d.params.convention,
                     "through_depth_log10": _nested(d.through_depth / ln10),
                     "through_time": {"log10": _nested(tt / ln10),
                                      "log10_first_median": _num(np.median(tt[0]) / ln10),
                                      "rate_per_step": _num(_rate(tt)), "null": _ZERO},
                     "spectra": {"steps": [int(t) for t in d.steps],
                                 "sigma_max": _nested(sv[..., 0]),
                                 "sigma_min": _nested(sv[..., -1]),
                                 "min": _num(sv.min()), "median": _num(np.median(sv)),
                                 "max": _num(sv.max())},
                     "tightness": {"values": _nested(tight), "median": _finite(np.median, tight),
                                   "max": _finite(np.max, tight),
                                   "null": "0/0 (J = 0 and its upper bound U = 0) or a bound "
                                           "not defined there"},
                     "gate": None if d.gate is None else _gate_stats(d.gate, SATURATION_EPS),
                     "gate_null": d.gate_reason}
            out_dirs.append(entry)
        layers.append({"index": k, "bidirectional": len(lay) == 2,
                       "through_depth_log10": _nested(an.through_depth[k] / ln10),
                       "directions": out_dirs})
    return {"model": {"path": str(path), "kind": kind, "kind_note": kind_note,
                      "layers": model_layers},
            "inputs": {"source": source, "T": int(an.T), "B": int(an.B),
                       "initial_states": initial, "seed": int(seed)},
            "stack": {"gradient": grad, "spectra": spectra, "spectra_null": why},
            "layers": layers}


def write_json(doc: dict, path) -> None:
    """``doc`` as JSON into ``path`` (NaN and infinities refused: they were made null)."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, allow_nan=False, indent=1)
        fh.write("\n")


def _fmt(x, spec=".2f") -> str:
    return "n/a" if x is None or not math.isfinite(x) else format(x, spec)


def _other_sizes(p, sep: str) -> str:
    """The sizes of ``p``'s dimensions besides H and I (the LSTMP's ``P``), as
    ``{sep}P = 2`` each; empty for a cell without one."""
    own = (p.cell.hidden_dim, p.cell.dims[p.cell.inputs[0]])
    return "".join(f"{sep}{d} = {n}" for d, n in p.sizes.items() if d not in own)


def summary_lines(an) -> list[str]:
    """The text summary: per layer direction, then the whole stack."""
    ln10 = np.log(10.0)
    lines = []
    for d in an.directions:
        p = d.params
        bidi = an.stack.bidirectional(d.layer)
        head = f"layer {d.layer}" + (f" ({d.direction})" if bidi else "")
        if len(an.stack) > 1 or bidi:
            lines.append(f"-- {head} --")
        tt, sv, tight = d.through_time, d.singular_values, d.tightness
        rate = _rate(tt)
        kind = "vanishing" if rate < -1e-3 else "exploding" if rate > 1e-3 else "neutral"
        lines += [
            f"cell: {p.cell.title}  H = {p.hidden_size}  I = {p.input_size}"
            + _other_sizes(p, "  "),
            f"log10 ||v^T dh_T/dh_0|| (median over batch): "
            f"{_fmt(np.median(tt[0]) / ln10)}",
            f"mean log-norm change per step: {rate:+.4f}  ({kind})",
            f"whole stack: log10 ||v^T dy_T/ds_0|| on this layer's state (median over "
            f"batch): {_fmt(np.median(d.through_depth[0]) / ln10)}",
            f"singular values of one-step Jacobians: min {sv.min():.3g}, "
            f"median {np.median(sv):.3g}, max {sv.max():.3g}",
            f"bound tightness ||J||/upper: median {_fmt(_finite(np.median, tight), '.3f')}, "
            f"max {_fmt(_finite(np.max, tight), '.3f')}",
        ]
        if d.gate is None and d.params.cell.carrying is not None:
            lines.append(f"carrying gate: not measured ({d.gate_reason})")
        if d.gate is not None:
            name, g, towards = d.gate
            lines.append(f"carrying gate {name}: median {np.median(g):.3f}, "
                         f"{100 * np.mean(g > 0.9):.1f}% above 0.9, "
                         f"{100 * np.mean(g < 0.1):.1f}% below 0.1 (carrying is {name} -> "
                         f"{towards})")
    lines.append("-- whole stack --" if len(an.stack) > 1 else "-- through the output --")
    for k in range(len(an.stack)):
        lines.append(f"stack: log10 ||v^T dy_T/ds_0^({k})|| (median over batch): "
                     f"{_fmt(np.median(an.through_depth[k, 0]) / ln10)}")
    lines.append(f"stack: log10 ||v^T dy_T/dx_0|| (median over batch): "
                 f"{_fmt(np.median(an.input_norms[0]) / ln10)}")
    if an.stack_singular_values is not None:
        sv = an.stack_singular_values
        lines.append(f"stack: singular values of dS_(t+1)/dS_t: min {sv.min():.3g}, "
                     f"median {np.median(sv):.3g}, max {sv.max():.3g}")
    else:
        lines.append(f"stack: no stacked spectrum ({an.stack_reason})")
    return lines


def draw_figures(an, folder) -> list[str]:
    """Draw the figures into ``folder``; the names drawn."""
    labels = {}
    for d in an.directions:
        bidi = an.stack.bidirectional(d.layer)
        labels[id(d)] = (f"layer {d.layer}" + (f" {d.direction}" if bidi else "")
                         + f": {d.params.cell.title}")
    through_time = {labels[id(d)]: d.through_time for d in an.directions}
    depth = {f"layer {k}": an.through_depth[k] for k in range(len(an.stack))}
    depth["inputs x_t"] = an.input_norms
    plot_gradient_panels({"each layer alone (through time)": through_time,
                          "whole stack (through time and depth)": depth},
                         folder / "gradient_norms.pdf", xlabel="steps back k = T - t",
                         ylabel=r"$\log_{10}$ gradient norm (median, IQR)")
    svals = {labels[id(d)]: d.singular_values for d in an.directions}
    top = max([1.0] + [float(v.max()) for v in svals.values()])
    panels = {"each layer": svals}
    if an.stack_singular_values is not None:
        panels["whole stack"] = {"dS_(t+1)/dS_t": an.stack_singular_values}
        top = max(top, float(an.stack_singular_values.max()))
    plot_histogram_panels(panels, folder / "singular_values.pdf",
                          xlabel="singular value of the one-step Jacobian", ylabel="density",
                          range_=(0.0, top))
    drawn = ["gradient_norms.pdf", "singular_values.pdf"]
    gates = {f"{labels[id(d)]} ({d.gate[0]})": d.gate[1] for d in an.directions
             if d.gate is not None}
    if gates:
        plot_histogram_panels({"": gates}, folder / "gate_saturation.pdf",
                              xlabel="carrying gate value", ylabel="density")
        drawn.append("gate_saturation.pdf")
    return drawn

"""``gatebound analyze``: gradient-flow diagnostics of a trained recurrent model.

``MODEL`` is a PyTorch state dict, an ``.npz`` (numeric.save), an ONNX file or a Keras file,
its kind read from the content (:mod:`reports._model_file`); every layer runs as a
:class:`numeric.Stack` over the ``--inputs`` sequence (:mod:`reports._seq_file`) or random
inputs, and :mod:`reports._stack_analysis` computes the numbers.

Everything is checked before any work: the options, the model file (a readable regular
file of a known kind), the output places (``--out``, the ``--json`` file's folder, the
``--report`` folder's parent: created and written to), the file's contents, the inputs
(shape, dtype, finiteness, input size) and that the work fits in memory. Every output is
made in a locked staging folder beside its target and published only when all are done:
the figures each replace their old version atomically (figures of an earlier run that this
run does not draw are removed, so ``--out`` never mixes two runs' figures), the JSON file
by one rename, the report folder whole (see :mod:`reports._atomic`). A failure or an
interrupt leaves no partial file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import _atomic
from ._analyze_output import FIGURES
from ._cli_options import cell_option, count
from ._errors import ReportError
from ._sec_numeric import draw_state

__all__ = ["run_analyze", "load_params", "layers_option", "FIGURES"]

def _weights_file(weights, *, suffixes=(".pt", ".pth", ".npz")) -> Path:
    """``weights`` as the path of a readable regular file (of one of ``suffixes``, unless
    None); ReportError saying why not (:func:`reports._model_file._checked_file`)."""
    from ._model_file import _checked_file

    return _checked_file(weights, suffixes)[0]


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


def load_params(path, *, cell=None, layer: int = 0, scalars=None):
    """Parameters of one layer from a ``.pt``/``.pth`` state dict or an ``.npz`` file.

    ``cell``: ``"name"`` or ``"name:convention"`` (needed for a state dict, which cannot
    say which cell it holds; checked against an ``.npz`` file). ``scalars``: the
    hyper-parameters a torchrecurrent cell keeps outside its state dict (``{"dt": 0.1}``;
    an ``.npz`` file holds its own). ReportError for anything that cannot be read, naming
    the file (see :func:`reports._model_file.load_model`, which reads every kind).
    """
    from ._model_file import load_model

    path = _weights_file(path)
    layer = count(layer, "--layer", minimum=0)
    stack, _ = load_model(path, cell=cell, scalars=scalars, layer=layer)
    return stack.layers[0][0]


def layers_option(text, n_layers: int | None = None):
    """``--layers all`` (None) or ``0,2`` (sorted unique indices); with ``n_layers`` each
    index is checked to be below it. ReportError naming the value.

    >>> layers_option("2,0,2"), layers_option("all")
    ([0, 2], None)
    """
    if text is None:
        return None
    if not isinstance(text, str) or not text.strip():
        raise ReportError(f"--layers must be 'all' or comma-separated layer indices such as "
                          f"0,2; got {text!r}")
    if text.strip().lower() == "all":
        return None
    out = []
    for item in text.split(","):
        item = item.strip()
        if not item.isdigit():
            raise ReportError(f"--layers {text!r}: {item!r} is not a layer index (write "
                              "'all' or indices such as 0,2)")
        out.append(int(item))
    if n_layers is not None:
        for k in out:
            if k >= n_layers:
                raise ReportError(f"--layers {text!r}: layer {k} is out of range; the model "
                                  f"has {n_layers} layer(s), 0..{n_layers - 1}")
    return sorted(set(out))


def _folder_arg(value, option: str) -> Path:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise ReportError(f"{option} must name a folder, got {value!r}")
    return Path(os.path.abspath(value))


def _report_dir(value) -> Path:
    """``--report DIR``: a folder the report may replace whole; ReportError otherwise."""
    from ._analyze_report import REPORT_NAME

    path = _folder_arg(value, "--report")
    shown = f"--report {str(value)!r}"
    if path == path.parent:
        raise ReportError(f"{shown} is the root folder; choose a folder for the report")
    if os.path.lexists(path) and not path.is_dir():
        raise ReportError(f"{shown} exists and is not a directory")
    if path.is_dir():
        try:
            names = os.listdir(path)
        except OSError as exc:
            raise ReportError(f"{shown} cannot be read ({exc.strerror})") from None
        others = [n for n in names if not n.startswith(".") and n != "figures"]
        if others and not any(n.startswith(REPORT_NAME + ".") for n in names):
            raise ReportError(f"{shown} is a folder holding other files and no analysis "
                              "report; the report replaces the whole folder, so choose a new "
                              "or empty folder")
    return path


def _json_path(value) -> Path:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise ReportError(f"--json must name a file, got {value!r}")
    path = Path(os.path.abspath(value))
    if path.is_dir():
        raise ReportError(f"--json {value!r} is a directory; name a file such as out.json")
    return path


class _Outputs:
    """The output places, checked (created and written to) before any work; each a locked
    staging folder, published at the end or discarded whole."""

    def __init__(self):
        self.created, self.stages = [], []

    def stage(self, folder: Path, stem: str, what: str):
        self.created += _atomic.make_folder(folder, what)
        _atomic.remove_leftovers(folder, stem)
        st = _atomic.staging_in(folder, stem, what)
        self.stages.append(st)
        return st

    def discard(self, failed: bool):
        for st in self.stages:
            st.discard()
        if failed:
            _atomic.remove_folders(self.created)


def _random_inputs(stack, T, B, seed):
    """The random inputs of ``analyze`` without ``--inputs``: ``xs`` ~ N(0, 1) (T, B, I)
    from ``seed``, then each layer's (each direction's) initial state as
    :func:`reports._sec_numeric.draw_state` draws it, from the same generator."""
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((T, B, stack.input_size))
    states0 = []
    for lay in stack.layers:
        st = [draw_state(p, B, rng)[1] for p in lay]
        states0.append(tuple(st) if len(lay) == 2 else st[0])
    return xs, states0


def run_analyze(weights, *, cell=None, layer=None, out="build/analyze", steps=1000, batch=16,
                seed=0, say=print, scalars=None, inputs=None, batch_first=False, layers=None,
                json_out=None, report=None, engine="auto") -> int:
    """Diagnose the model in ``weights``; print a summary; draw the figures into ``out``
    (and write ``json_out``, the report folder ``report``). See :mod:`reports._stack_analysis`
    for what is computed and :mod:`reports._analyze_output` for the JSON schema."""
    import numeric

    from ._analyze_output import analysis_json, draw_figures, summary_lines, write_json
    from ._model_file import KINDS, SUFFIXES, load_model
    from ._seq_file import load_sequence, split_spec
    from ._stack_analysis import analysis_bytes, analyze_stack

    steps = count(steps, "--steps", minimum=2)
    batch = count(batch, "--batch", minimum=1)
    seed = count(seed, "--seed", minimum=0)
    if layer is not None:
        layer = count(layer, "--layer", minimum=0)
        if layers is not None:
            raise ReportError("--layer reads one layer of a state dict on its own; --layers "
                              "picks layers of the whole stack: give one of them")
    layers_option(layers)
    scalars = scalar_options(scalars)
    if cell is not None:
        cell_option(cell, "--cell")
    if inputs is None and batch_first:
        raise ReportError("--batch-first describes an --inputs file; without --inputs the "
                          "inputs are random")
    path = _weights_file(weights, suffixes=None)
    if inputs is not None:
        seq_path, _ = split_spec(inputs)
        if not os.path.lexists(seq_path):
            raise ReportError(f"--inputs {str(seq_path)!r} does not exist")
    out = _folder_arg(out, "--out")
    json_path = None if json_out is None else _json_path(json_out)
    report_dir = None if report is None else _report_dir(report)
    if report_dir is not None:
        for other, option in ((out, "--out"), (json_path, "--json")):
            if other is not None and (other == report_dir or report_dir in other.parents):
                raise ReportError(f"{option} {str(other)!r} lies inside --report "
                                  f"{str(report_dir)!r}, which the report replaces whole; "
                                  "choose another place")
    outs = _Outputs()
    failed = True
    try:
        fig_stage = outs.stage(out, "analyze", f"--out {str(out)!r}")
        json_stage = None if json_path is None else outs.stage(
            json_path.parent, json_path.name, f"--json {str(json_path)!r}")
        rep_stage = None if report_dir is None else outs.stage(
            report_dir.parent, report_dir.name, f"--report {str(report_dir)!r}")
        stack, kind = load_model(path, cell=cell, scalars=scalars, dtype=np.float64,
                                 layer=layer)
        suffix = ".weights.h5" if path.name.lower().endswith(".weights.h5") \
            else path.suffix.lower()
        if SUFFIXES.get(suffix) == kind:
            kind_note = f"read as a {KINDS[kind]}"
        else:
            kind_note = (f"read as a {KINDS[kind]} from its content (the suffix "
                         f"{suffix or '(none)'!r} says otherwise)")
        picked = layers_option(layers, len(stack))
        if inputs is not None:
            xs, source = load_sequence(inputs, input_size=stack.input_size,
                                       batch_first=batch_first)
            states0, initial = None, "zeros"
            T, B = xs.shape[:2]
            sizes = f"--inputs of T = {T} steps, B = {B} sequences"
        else:
            T, B, source, initial = steps, batch, "random", "random"
            sizes = f"--steps {steps} --batch {batch}"
        numeric.check_memory(analysis_bytes(stack, T, B),
                             f"analyze of a {len(stack)}-layer {stack!r} with {sizes}",
                             hint="use a smaller --steps or --batch"
                             if inputs is None else "use a shorter or smaller --inputs")
        if inputs is None:
            xs, states0 = _random_inputs(stack, T, B, seed)
        say(f"loaded {path.name}: {kind_note}; {len(stack)} layer(s), input size "
            f"{stack.input_size}")
        say("inputs: " + ("random inputs" if source == "random" else source)
            + f" (T = {T}, B = {B})")
        an = analyze_stack(stack, xs, states0, layers=picked, seed=seed, say=say)
        drawn = draw_figures(an, fig_stage.path)
        info = analysis_json(an, path=path, kind=kind, kind_note=kind_note, source=source,
                             initial=initial, seed=seed)
        if json_stage is not None:
            write_json(info, json_stage.path / json_path.name)
        if rep_stage is not None:
            from ._analyze_report import analysis_document, write_report

            say("report: rendering and compiling")
            (rep_stage.path / "figures").mkdir()
            for name in drawn:
                (rep_stage.path / "figures" / name).write_bytes(
                    (fig_stage.path / name).read_bytes())
            write_report(analysis_document(an, info, drawn), rep_stage.path, engine=engine)
            _atomic.fsync_tree(rep_stage.path)
        with _atomic.deferred_signals():
            if json_stage is not None:
                _atomic.replace_files(json_stage.path, json_path.parent)
            if rep_stage is not None:
                _atomic.install_tree(rep_stage.path, report_dir,
                                     last=("analysis.pdf",))
            _atomic.replace_files(fig_stage.path, out,
                                  remove=[f for f in FIGURES if f not in drawn])
        failed = False
    except OSError as exc:
        raise ReportError(f"cannot write the outputs: {exc.strerror or exc} "
                          f"({exc.filename!r})") from None
    finally:
        outs.discard(failed)
    lines = [f"model: {path} ({kind_note})",
             "inputs: " + ("random inputs" if source == "random" else source)
             + f" (T = {T}, B = {B}, initial states {initial})", *summary_lines(an)]
    for line in lines:
        print(line)
    print("figures: " + ", ".join(str(out / f) for f in FIGURES if f in drawn)
          + ("" if "gate_saturation.pdf" in drawn
             else " (no carrying gate: no saturation histogram)"))
    if json_path is not None:
        print(f"json: {json_path}")
    if report_dir is not None:
        print(f"report: {report_dir / 'analysis.pdf'}")
    return 0

"""The ``gatebound`` command line: ``report``, ``derive``, ``check``, ``analyze``, ``sweep``.

Every failure prints one line on stderr naming the problem and exits with status 2, never
a traceback: a user mistake (unknown cell, bad file, bad option, an output folder that
cannot be written, work that cannot fit in memory) is found before any work; anything
unexpected is reported by its exception type. ``check`` exits 1 when a check fails.
An interrupt (SIGINT) exits with 130 and SIGTERM with 143 (128 + the signal), after the
same clean-up: outputs are replaced whole or not at all, and no temporary folder stays.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
import warnings

from ._cli_options import int_type
from ._errors import ReportError

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gatebound", description="Derive, prove and measure why gated recurrent "
                "cells keep their gradients: derivations, checks and the PDF report.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("report", help="build the LaTeX/Typst report and its PDF",
                       description="Build OUT/gatebound.tex, OUT/gatebound.pdf and OUT/figures/.")
    r.add_argument("--out", default="build/report", help="output directory (default build/report)")
    r.add_argument("--engine", default="auto", choices=("auto", "latex", "typst"),
                   help="PDF engine: latexmk when found (auto), or the typst package")
    r.add_argument("--lang", default="en", choices=("en", "vi"), help="report language")
    r.add_argument("--cells", default=None,
                   help="comma-separated cells, e.g. elman,gru,lstm or gru:seed, or your "
                   "own: path/to/file.py:name or package.module:name (default all; with "
                   "--quick one per family)")
    r.add_argument("--quick", action="store_true",
                   help="small proofs (n <= 2) and samples, in under 30 s; without --cells it "
                   "covers a subset: Elman, GRU, LSTM and the first cell of every other family "
                   "(the full report: every cell, proofs at n <= 3)")
    r.add_argument("--title", default=None, help="document title (default: the built-in one)")
    r.add_argument("--author", default="gatebound", help="document author")

    d = sub.add_parser("derive", help="print a cell's equations, Jacobian and bounds",
                       description="Print the equations, the closed-form Jacobian and the "
                       "bounds of one cell, for pasting into notes.")
    d.add_argument("cell", help="a built-in cell (e.g. gru, lstm, mgu) or your own: "
                   "path/to/file.py:name or package.module:name (a derivations.Cell or a "
                   "function with no required arguments returning one)")
    d.add_argument("--convention", default=None, help="GRU: pytorch (default), cho or seed")
    d.add_argument("--format", default="latex", choices=("latex", "typst", "text"))

    c = sub.add_parser("check", help="numeric checks: Jacobian vs complex step, every bound",
                       description="Run the engine against complex step and every bound on "
                       "random states; print a summary; exit 1 on any failure.")
    c.add_argument("--cells", default=None, help="comma-separated cells, built-in or "
                   "file.py:name / package.module:name (default all)")
    c.add_argument("--samples", type=int_type(1), default=256,
                   help="states per weight scale (default 256)")
    c.add_argument("--seed", type=int_type(0), default=0, help="random seed (>= 0)")

    a = sub.add_parser("analyze", help="gradient-flow diagnostics of a trained model",
                       description="Gradient norms through time and depth, Jacobian spectra, "
                       "bound tightness and gate saturation of a trained model (a PyTorch "
                       "state dict, .npz, ONNX or Keras file; the kind is read from the "
                       "content), every layer driven by --inputs or random inputs.")
    a.add_argument("weights", metavar="MODEL",
                   help="a PyTorch state dict (.pt/.pth), a numeric.save .npz, an ONNX "
                   "model (.onnx) or a Keras .keras/.weights.h5 file")
    a.add_argument("--cell", default=None,
                   help="the cell the file holds: elman, gru or lstm (needed for a .pt state "
                   "dict, which cannot say it), or e.g. gru:cho for an .npz file (checked)")
    a.add_argument("--layer", type=int_type(0), default=None,
                   help="one layer of a multi-layer state dict on its own (.pt only; "
                   "default: the whole stack)")
    a.add_argument("--layers", default=None, metavar="all|0,2",
                   help="the layers that get per-layer diagnostics (default all); the whole "
                   "stack always runs")
    a.add_argument("--scalar", action="append", default=None, metavar="NAME=VALUE",
                   help="a hyper-parameter a torchrecurrent cell keeps outside its state dict "
                   "(e.g. --scalar dt=0.1 for coRNN; repeat for several; .pt only)")
    a.add_argument("--inputs", default=None, metavar="SEQ.npy|SEQ.npz[:KEY]",
                   help="the input sequence, (T, B, I) or (T, I); an .npz holding several "
                   "arrays needs :KEY (default: random inputs, --steps/--batch/--seed)")
    a.add_argument("--batch-first", action="store_true",
                   help="the --inputs array is (B, T, I)")
    a.add_argument("--out", default="build/analyze", help="directory for the figures")
    a.add_argument("--json", default=None, metavar="OUT.json",
                   help="also write the numbers as JSON for scripts")
    a.add_argument("--report", default=None, metavar="DIR",
                   help="also write a short PDF report (with its LaTeX/Typst source) into DIR")
    a.add_argument("--steps", type=int_type(2), default=1000,
                   help="horizon T of the random inputs (default 1000)")
    a.add_argument("--batch", type=int_type(1), default=16,
                   help="random sequences (default 16)")
    a.add_argument("--seed", type=int_type(0), default=0,
                   help="random seed of the inputs, initial states and cotangents (>= 0)")

    w = sub.add_parser("sweep", help="a grid of cells and initialisations on Dask, into Zarr",
                       description="Compute the metrics of every point of the grid in SPEC "
                       "(a TOML file) as Dask tasks and write them into a Zarr store; rerun "
                       "with the same --out to resume.")
    w.add_argument("spec", help="the sweep spec, a TOML file (see sweeps/phase_small.toml)")
    w.add_argument("--out", required=True, help="the Zarr store (created, or resumed)")
    w.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="an existing Dask scheduler (default: a local cluster)")
    w.add_argument("--workers", type=int_type(1), default=None,
                   help="worker processes of the local cluster (default: the usable cores)")
    w.add_argument("--plot", default=None, metavar="DIR",
                   help="draw the phase diagram and the rate-vs-T figure into DIR")
    return p


def _report(args) -> int:
    from ._user_cell import resolve_cells
    from .build import build_report

    cells = resolve_cells(args.cells)
    cmd = " ".join(["gatebound", *sys.argv[1:]]) if sys.argv[1:2] == ["report"] else None
    res = build_report(args.out, engine=args.engine, lang=args.lang, cells=cells,
                       quick=args.quick, title=args.title, author=args.author, command=cmd,
                       progress=_say)
    print(res.pdf)
    if res.missing:
        _say("sections left out (source not installed): " + ", ".join(res.missing))
    return 0


def _derive(args) -> int:
    from ._cli_derive import derive_text

    print(derive_text(args.cell, args.convention, args.format))
    return 0


def _check(args) -> int:
    from ._cli_check import run_check

    return run_check(args.cells, args.samples, args.seed, _say)


def _analyze(args) -> int:
    from ._cli_analyze import run_analyze

    return run_analyze(args.weights, cell=args.cell, layer=args.layer, out=args.out,
                       steps=args.steps, batch=args.batch, seed=args.seed, say=_say,
                       scalars=args.scalar, inputs=args.inputs, batch_first=args.batch_first,
                       layers=args.layers, json_out=args.json, report=args.report)


def _sweep(args) -> int:
    from ._cli_sweep import run_sweep

    return run_sweep(args.spec, out=args.out, scheduler=args.scheduler, workers=args.workers,
                     plot=args.plot, say=_say)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like an interrupt so that every clean-up runs."""


def _on_sigterm(signum, frame):
    raise _Terminated()


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")


def _one_line(exc: BaseException) -> str:
    """The first non-empty line of ``exc``'s message, printable, at most 400 characters;
    the exception's type when the message is empty (never an index into an empty list)."""
    try:
        text = str(exc)
    except Exception:  # a broken __str__
        text = ""
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror + (f": {exc.filename!r}" if exc.filename is not None else "")
    lines = [ln.strip() for ln in _ANSI.sub("", text).splitlines() if ln.strip()]
    first = "".join(ch if ch.isprintable() else "?" for ch in (lines[0] if lines else ""))
    if len(first) > 400:
        first = first[:397] + "..."
    return first or type(exc).__name__


def _show_warning(message, category, filename, lineno, file=None, line=None):
    _say(f"gatebound: warning: {_one_line(Warning(str(message)))} ({category.__name__})")


def _known_errors() -> tuple:
    errors: tuple = (ReportError,)
    for mod, name in (("derivations", "DerivationError"), ("numeric", "NumericError")):
        try:
            errors += (getattr(__import__(mod), name),)
        except Exception:  # pragma: no cover - a partial install or a broken package
            pass
    return errors


def _run(args) -> int:
    handlers = {"report": _report, "derive": _derive, "check": _check, "analyze": _analyze,
                "sweep": _sweep}
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return handlers[args.command](args)


def _main(argv, name: list) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2, one line already printed)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    name[0] = f"gatebound {args.command}"
    try:
        return _run(args)
    except BrokenPipeError:  # stdout closed early (e.g. `| head`): quiet, as other tools
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 141
    except _known_errors() as exc:
        print(f"{name[0]}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (OSError, MemoryError, RecursionError) as exc:
        print(f"{name[0]}: error: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"{name[0]}: error: unexpected {type(exc).__name__}: {_one_line(exc)} (a bug: "
              "please report it with the command line)", file=sys.stderr)
        return 2


def main(argv=None) -> int:
    """Entry point of the ``gatebound`` console script; returns the exit status.

    0 success, 1 a failed ``check``, 2 any error (one line on stderr), 130 interrupted
    (SIGINT), 143 terminated (SIGTERM), 141 stdout closed early.
    """
    name = ["gatebound"]
    installed = False
    if threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
        installed = True
    try:
        return _main(argv, name)
    except _Terminated:
        print(f"{name[0]}: terminated (SIGTERM)", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print(f"{name[0]}: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    finally:
        if installed:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``gatebound`` command line: ``report``, ``derive``, ``check``, ``analyze``.

A user mistake (unknown cell, bad file, bad option) prints one line naming the problem
and exits with status 2, never a traceback. ``check`` exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import sys

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
                   help="comma-separated cells, e.g. elman,gru,lstm or gru:seed (default all)")
    r.add_argument("--quick", action="store_true", help="small proofs and samples (< 30 s)")
    r.add_argument("--title", default=None, help="document title (default: the built-in one)")
    r.add_argument("--author", default="gatebound", help="document author")

    d = sub.add_parser("derive", help="print a cell's equations, Jacobian and bounds",
                       description="Print the equations, the closed-form Jacobian and the "
                       "bounds of one cell, for pasting into notes.")
    d.add_argument("cell", help="elman, gru, lstm, minimalrnn or mgu")
    d.add_argument("--convention", default=None, help="GRU: pytorch (default), cho or seed")
    d.add_argument("--format", default="latex", choices=("latex", "typst", "text"))

    c = sub.add_parser("check", help="numeric checks: Jacobian vs complex step, every bound",
                       description="Run the engine against complex step and every bound on "
                       "random states; print a summary; exit 1 on any failure.")
    c.add_argument("--cells", default=None, help="comma-separated cells (default all)")
    c.add_argument("--samples", type=int, default=256, help="states per weight scale (default 256)")
    c.add_argument("--seed", type=int, default=0)

    a = sub.add_parser("analyze", help="gradient-flow diagnostics of trained weights",
                       description="Gradient norms over T, Jacobian spectra, bound tightness and "
                       "gate saturation of a trained layer (.pt state dict or .npz).")
    a.add_argument("weights", help="a PyTorch state dict (.pt/.pth) or numeric.save .npz file")
    a.add_argument("--cell", default=None, help="cell of an .npz file (e.g. gru:cho)")
    a.add_argument("--layer", type=int, default=0, help="layer of a multi-layer module")
    a.add_argument("--out", default="build/analyze", help="directory for the figures")
    a.add_argument("--steps", type=int, default=1000, help="horizon T (default 1000)")
    a.add_argument("--batch", type=int, default=16)
    a.add_argument("--seed", type=int, default=0)
    return p


def _report(args) -> int:
    from .build import build_report

    cmd = " ".join(["gatebound", *sys.argv[1:]]) if sys.argv[1:2] == ["report"] else None
    res = build_report(args.out, engine=args.engine, lang=args.lang, cells=args.cells,
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
                       steps=args.steps, batch=args.batch, seed=args.seed, say=_say)


def main(argv=None) -> int:
    """Entry point of the ``gatebound`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    handlers = {"report": _report, "derive": _derive, "check": _check, "analyze": _analyze}
    from derivations import DerivationError

    errors: tuple = (ReportError, DerivationError, FileNotFoundError, IsADirectoryError,
                     PermissionError)
    try:
        from numeric import NumericError

        errors += (NumericError,)
    except ImportError:
        pass
    try:
        return handlers[args.command](args)
    except errors as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"gatebound {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gatebound {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Side-by-side speed of the ``numeric`` engine against torch.func, JAX and the fill floor.

Usage::

    python benchmarks/run.py [--quick] [--dtype float64,float32] [--rounds 5] [--out FILE.md]

Prints a Markdown table of medians and their ratios, each against its target from issue 3,
with PASS/MISS. ``--out`` writes the table to a file (between the ``<!-- bench:start -->`` /
``<!-- bench:end -->`` markers if the file has them, e.g. ``benchmarks/README.md``).
The process re-executes itself without ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` first.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from benchmarks import _env  # noqa: E402  (no NumPy yet: must come before the re-exec)


def _parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="small sizes, a few seconds per case (targets only indicative)")
    ap.add_argument("--dtype", default="float64,float32",
                    help="comma-separated dtypes (default: float64,float32)")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds per contender (>= 5)")
    ap.add_argument("--out", type=Path, help="also write the table to this Markdown file")
    ap.add_argument("--only", default="gru,lstm,norms,lyapunov",
                    help="comma-separated subset of cases: gru, lstm, norms, lyapunov")
    ap.add_argument("--no-peers", action="store_true", help="skip torch and JAX")
    args = ap.parse_args(argv)
    if args.rounds < 5:
        ap.error(f"--rounds must be at least 5, got {args.rounds}")
    return args


def _fmt_s(s):
    if s is None:
        return "-"
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def _table(rows) -> str:
    lines = ["| case | dtype | numeric | compared with | its time | ratio | target | result "
             "| spread |", "|---|---|---:|---|---:|---:|---|---|---:|"]
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.3g}"
        target = "-" if r.op == "info" else f"{r.op} {r.target:g}"
        lines.append(f"| {r.case} | {r.dtype} | {_fmt_s(r.numeric_s)} | {r.peer} | "
                     f"{_fmt_s(r.peer_s)} | {r.ratio_name} = {ratio} | {target} | "
                     f"{r.status} | {'-' if r.spread is None else f'{r.spread:.0%}'} |")
    return "\n".join(lines)


def _write(path: Path, text: str) -> None:
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    body = text
    if path.exists():
        old = path.read_text()
        if start in old and end in old:
            head, rest = old.split(start, 1)
            body = head + start + "\n" + text + "\n" + end + rest.split(end, 1)[1]
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(body if body.endswith("\n") else body + "\n")
    os.replace(tmp, path)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _env.reexec_without_slow_blas([str(Path(__file__).resolve()), *argv])
    args = _parse(argv)
    _env.configure_threads()

    import numpy as np

    import numeric
    from benchmarks import _cases, peers

    names = [d.strip() for d in args.dtype.split(",") if d.strip()]
    if not names or set(names) - {"float64", "float32"}:
        print(f"run.py: --dtype takes float64 and/or float32, got {args.dtype!r}",
              file=sys.stderr)
        return 2
    dtypes = [np.dtype(d).type for d in names]
    have = {k: False for k in ("torch", "jax")} if args.no_peers else peers.available()
    versions = peers.versions() if any(have.values()) else {}
    only = {s.strip() for s in args.only.split(",")}
    ctx = _cases.Context(engine=numeric, peers=have, rounds=args.rounds, quick=args.quick,
                           missing="skipped (--no-peers)" if args.no_peers else "not installed")

    q = args.quick
    plan = []
    for dt in dtypes:
        if "gru" in only:
            for B, H in (_cases.GRU_SHAPES_QUICK if q else _cases.GRU_SHAPES):
                plan.append((f"GRU J (B={B}, H={H})", dt,
                             lambda B=B, H=H, dt=dt: _cases.gru_jacobian_rows(ctx, B, H, dt)))
        if "lstm" in only:
            B, H = (128, 64) if q else (256, 256)
            plan.append((f"LSTM dh'/dh (B={B}, H={H})", dt, lambda B=B, H=H, dt=dt:
                         _cases.lstm_jacobian_rows(ctx, B, H, dt, full=False)))
            B, H = (128, 32) if q else (256, 128)
            plan.append((f"LSTM full 2Hx2H (B={B}, H={H})", dt, lambda B=B, H=H, dt=dt:
                         _cases.lstm_jacobian_rows(ctx, B, H, dt, full=True)))
        if "norms" in only:
            T, B, H = (100, 64, 64) if q else (1000, 256, 128)
            plan.append((f"GRU grad norms (T={T}, B={B}, H={H})", dt, lambda T=T, B=B, H=H,
                         dt=dt: _cases.gradient_norm_rows(ctx, T, B, H, dt)))

        if "lyapunov" in only and dt == np.float64:       # the 1e-8 check is float64's
            for T, B, H, k in (_cases.LYAPUNOV_CASES_QUICK if q else _cases.LYAPUNOV_CASES):
                plan.append((f"GRU Lyapunov {'full' if k is None else f'k={k}'} (T={T}, B={B}, "
                             f"H={H})", dt, lambda T=T, B=B, H=H, k=k, dt=dt:
                             _cases.lyapunov_rows(ctx, T, B, H, k, dt)))

    header = [f"gatebound benchmarks ({'quick' if q else 'full'}), "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, engine: numeric",
              *_env.machine_lines(),
              "BLAS: " + "; ".join(_env.blas_lines()),
              "peers: " + (", ".join(f"{k} {v}" for k, v in versions.items()) or "none")
              + "".join(f"; {k} {ctx.missing}" for k, ok in have.items() if not ok),
              f"timing: median of {args.rounds} interleaved rounds after warm-up; "
              "engine Jacobians written into a preallocated `out=`; "
              "spread = (max - min)/median of the noisier of the two contenders"]
    print("\n".join(header), flush=True)
    rows, void = [], 0
    t_start = time.perf_counter()
    for label, dt, run in plan:
        t0 = time.perf_counter()
        try:
            new = run()
        except Exception as exc:  # a failed check voids the case; other errors are reported
            void += 1
            kind = "VOID" if isinstance(exc, _cases.CheckError) else type(exc).__name__
            new = [_cases.Row(label, np.dtype(dt).name, None, "(check)", None, "-", None,
                              "<=", 0, note=f"{kind}: " + str(exc).replace("|", "/"))]
        rows.extend(new)
        print(f"  {label} {np.dtype(dt).name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr,
              flush=True)
    text = "\n".join(["```", *header, "```", "", _table(rows), ""])
    print()
    print(_table(rows))
    print(f"\ntotal {time.perf_counter() - t_start:.1f} s", file=sys.stderr)
    if args.out:
        _write(args.out, text)
    return 1 if void else 0


if __name__ == "__main__":
    sys.exit(main())

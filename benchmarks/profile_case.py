"""Where the engine's time goes: cProfile of one benchmark case, top functions by own time.

Usage::

    python benchmarks/profile_case.py gru 256 256 [--dtype float32] [--calls 5]
    python benchmarks/profile_case.py lstm 256 256 [--full]
    python benchmarks/profile_case.py norms 256 128 --T 1000

Time spent in BLAS worker threads shows up as ``acquire`` of ``_thread.lock`` (the caller
waiting for them); use ``--threads 1`` (``GATEBOUND_THREADS=1``) to see the BLAS calls instead.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from benchmarks import _env  # noqa: E402


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _env.reexec_without_slow_blas([str(Path(__file__).resolve()), *argv])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("case", choices=("gru", "lstm", "norms"))
    ap.add_argument("B", type=int)
    ap.add_argument("H", type=int)
    ap.add_argument("--T", type=int, default=1000)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--dtype", default="float64")
    ap.add_argument("--calls", type=int, default=5)
    ap.add_argument("--threads", type=int, choices=(1, 2), default=2)
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    if args.threads == 1:
        os.environ["GATEBOUND_THREADS"] = "1"

    import numpy as np

    import numeric

    dt = np.dtype(args.dtype).type
    rng = np.random.default_rng(0)
    B, H = args.B, args.H
    cell = "lstm" if args.case == "lstm" else "gru"
    p = numeric.init(cell, H, H, seed=0, dtype=dt)
    x = rng.standard_normal((B, H)).astype(dt)
    h = np.tanh(rng.standard_normal((B, H))).astype(dt)
    if args.case == "norms":
        xs = rng.standard_normal((args.T, B, H)).astype(dt)
        v = rng.standard_normal((B, H)).astype(dt)

        def call():
            return numeric.gradient_norms(p, xs, h, v=v)
    else:
        state = (h, rng.standard_normal((B, H)).astype(dt)) if cell == "lstm" else h
        n = 2 * H if args.full else H
        out = np.empty((B, n, n), dtype=dt)

        def call():
            return numeric.jacobian(p, x, state, full=args.full, out=out)
    call()
    t = []
    for _ in range(args.calls):
        t0 = time.perf_counter()
        call()
        t.append(time.perf_counter() - t0)
    print(f"{args.case} B={B} H={H} {np.dtype(dt).name}: median {np.median(t) * 1e3:.2f} ms "
          f"over {args.calls} calls (unprofiled)")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.calls):
        call()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())

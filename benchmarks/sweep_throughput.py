"""Throughput of ``numeric.sweep``: seconds per point and points per second, 1 vs 2 workers.

```sh
python benchmarks/sweep_throughput.py            # GRU H = 64, T = 1000, full spectra (minutes)
python benchmarks/sweep_throughput.py --quick    # H = 16, T = 200 (seconds; not the figures)
```

1. Seconds per point in this process with one BLAS thread (what one worker does): the full
   Lyapunov spectrum alone (k = D) and every metric, median over the points of the grid;
   the cost-model constant ``c = seconds / (T B H^3)`` of the full spectrum.
2. The same grid through ``numeric.sweep`` on a ``LocalCluster`` of 1 and of 2 worker
   processes (one thread each; the cluster's start is not timed): points per second, their
   ratio (ideal 2 on 2 idle cores), the median compute time of a task on its worker and the
   fraction of the wall time the workers spent computing (the rest is the sweep's own
   overhead: scheduling, gathering, writing the store). On a shared machine the ratio
   follows the load average printed at the start: a task's compute time grows when the two
   workers do not get two cores.

The grid is GRU (PyTorch convention) over sigma_w x gate bias, batch B = 4, input N(0, 1).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._env import machine_lines, reexec_without_slow_blas  # noqa: E402


def _spec(H, T, B, n_scales, metrics):
    return {"axes": {"cell": ["gru"], "sigma_w": {"start": 0.5, "stop": 2.0, "num": n_scales},
                     "gate_bias": [0.0, 2.0], "H": [H], "T": [T]},
            "settings": {"batch": B, "k": H, "bound_steps": 100}, "metrics": metrics}


def _per_point(spec, n):
    import numpy as np
    from threadpoolctl import threadpool_limits

    import numeric

    sp = numeric.SweepSpec.from_dict(spec)
    _warm_up(spec)
    times = []
    with threadpool_limits(1):
        for idx in list(sp.indices())[:n]:
            t0 = time.perf_counter()
            r = numeric.sweep_point(sp, sp.point(idx))
            times.append(time.perf_counter() - t0)
            assert "failed" not in r, r
    return float(np.median(times))


def _warm_up(spec):
    """One tiny point of the grid's cell in this worker (a process pays its imports and the
    cell's derivation and compiled kernels once)."""
    import numeric

    small = {**spec, "axes": {**spec["axes"], "H": [4], "T": [5], "sigma_w": [1.0]},
             "settings": {**spec["settings"], "k": 1, "bound_steps": 2}}
    sp = numeric.SweepSpec.from_dict(small)
    return sorted(numeric.sweep_point(sp, sp.point((0,) * len(sp.dims))))


def _throughput(spec, workers):
    import distributed
    import numpy as np

    import numeric
    from numeric.sweep import local_cluster

    tmp = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    try:
        with local_cluster(workers) as cluster, distributed.Client(cluster) as client:
            client.run(_warm_up, spec)    # imports, derivations, compiled kernels: not timed
            with distributed.get_task_stream(client) as ts:
                s = numeric.sweep(spec, tmp / "b.zarr", client=client, progress=False,
                                  say=lambda m: None)
        assert s.computed == s.total and s.failed == 0, s
        compute = [sum(x["stop"] - x["start"] for x in t["startstops"]
                       if x["action"] == "compute") for t in ts.data]
        busy = sum(compute) / (workers * s.seconds)
        return s.total / s.seconds, s.seconds, float(np.median(compute)), busy
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--scales", type=int, default=8, help="sigma_w values (x 2 gate biases)")
    args = ap.parse_args(argv)
    H, T, B = (16, 200, 4) if args.quick else (64, 1000, 4)
    for line in machine_lines():
        print(line)
    lyap = _spec(H, T, B, args.scales, ["lyapunov"])
    full = _spec(H, T, B, args.scales, list(__import__("numeric").sweep_spec.METRICS))
    n = 4
    s_lyap = _per_point(lyap, n)
    s_all = _per_point(full, n)
    c = s_lyap / (T * B * H ** 3)
    print(f"GRU H = {H}, T = {T}, B = {B}, full spectrum k = {H}; one BLAS thread:")
    print(f"  seconds per point, Lyapunov spectrum only: {s_lyap:.3f} (median of {n})")
    print(f"  seconds per point, every metric:           {s_all:.3f} (median of {n})")
    print(f"  cost-model constant c = s / (T B H^3) = {c:.3e} s")
    points = 2 * args.scales
    r1, t1, c1, b1 = _throughput(full, 1)
    r2, t2, c2, b2 = _throughput(full, 2)
    print(f"numeric.sweep, {points} points, every metric (compute: median seconds of one "
          "task on its worker):")
    print(f"  1 worker : {r1:.3f} points/s ({t1:.1f} s; compute {c1:.2f} s per point; "
          f"workers busy {100 * b1:.0f}% of the time)")
    print(f"  2 workers: {r2:.3f} points/s ({t2:.1f} s; compute {c2:.2f} s per point; "
          f"workers busy {100 * b2:.0f}% of the time)")
    print(f"  ratio 2/1: {r2 / r1:.2f}")
    return 0


if __name__ == "__main__":
    reexec_without_slow_blas([os.path.abspath(__file__), *sys.argv[1:]])
    sys.exit(main())

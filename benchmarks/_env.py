"""A fair process environment for timing: BLAS variables, thread counts, what is installed.

``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` force a slow OpenBLAS kernel on this machine.
They are read once, when OpenBLAS is loaded, so they cannot be undone from inside the process:
:func:`reexec_without_slow_blas` replaces the process (``os.execve``) with the same command and
an environment without them, before NumPy is imported.
"""

from __future__ import annotations

import os
import platform
import sys

#: variables that make NumPy's OpenBLAS pick a slow kernel (set for the test suite, not for us)
SLOW_BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
#: the number of cores of the benchmark machine; torch, JAX and BLAS use this many threads
THREADS = 2
_MARK = "GATEBOUND_BENCH_REEXEC"


def reexec_without_slow_blas(argv: list[str]) -> None:
    """Re-execute ``python argv...`` with :data:`SLOW_BLAS_VARS` removed, unless already unset.

    Must run before NumPy (hence OpenBLAS) is loaded. The marker variable stops a loop if
    something re-adds the variables.
    """
    present = [k for k in SLOW_BLAS_VARS if k in os.environ]
    if not present or os.environ.get(_MARK):
        return
    env = {k: v for k, v in os.environ.items() if k not in SLOW_BLAS_VARS}
    env[_MARK] = ",".join(present)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *argv], env)


def configure_threads() -> None:
    """Pin XLA's CPU client to :data:`THREADS` intra-op threads (read when JAX is first imported)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=true "
                                   f"intra_op_parallelism_threads={THREADS}").strip()


def blas_lines() -> list[str]:
    """One line per thread pool (BLAS, OpenMP) loaded in this process, from threadpoolctl."""
    from threadpoolctl import threadpool_info  # a dependency of numeric (not before re-exec)

    lines = []
    for pool in threadpool_info():
        arch = pool.get("architecture") or "-"
        lines.append(f"{pool.get('internal_api')} {pool.get('version')} "
                     f"kernel={arch} threads={pool.get('num_threads')} "
                     f"({os.path.basename(pool.get('filepath', ''))})")
    return lines


def machine_lines() -> list[str]:
    """CPU model, core count, load average and library versions, for the table header."""
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    removed = os.environ.get(_MARK)
    blas_env = (f"re-executed without {removed}" if removed else
                "no slow-BLAS variables were set")
    return [f"CPU: {cpu}, {os.cpu_count()} logical cores; load average at start: {load}",
            f"Python {platform.python_version()}, NumPy {np.__version__}; {blas_env}"]

"""Side-by-side timing: contenders run interleaved, round after round, in one process.

Each contender is a zero-argument callable that finishes its work before returning (JAX results
are blocked on). After warm-up, every round times each contender once (the order rotates from
round to round, so no contender always follows the same neighbour); a sample repeats the call
``number`` times, chosen per contender so that one sample lasts at least ``min_sample`` seconds.
The reported time per call is the median over rounds.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Median seconds per call over ``rounds`` samples of ``number`` calls each."""

    median: float
    samples: tuple[float, ...]
    number: int

    @property
    def spread(self) -> float:
        """(max - min) / median over the samples: a noise indicator."""
        return (max(self.samples) - min(self.samples)) / self.median


def _calls_per_sample(fn: Callable[[], object], min_sample: float) -> int:
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    return max(1, min(10_000, int(min_sample / max(once, 1e-9)) + 1)) if once < min_sample else 1


def measure(contenders: dict[str, Callable[[], object]], *, rounds: int = 5, warmup: int = 1,
            min_sample: float = 0.02) -> dict[str, Timing]:
    """Time ``contenders`` interleaved; return each one's :class:`Timing`."""
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    names = list(contenders)
    for name in names:
        for _ in range(warmup):
            contenders[name]()
    number = {name: _calls_per_sample(contenders[name], min_sample) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                fn, n = contenders[name], number[name]
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                samples[name].append((time.perf_counter() - t0) / n)
    finally:
        if was_enabled:
            gc.enable()
    return {name: Timing(statistics.median(s), tuple(s), number[name])
            for name, s in samples.items()}

"""``gatebound check``: the numeric checks and every bound, with progress and a summary."""

from __future__ import annotations

import numpy as np

from ._cli_options import count
from ._sec_numeric import SCALES, bound_samples, jacobian_check
from ._user_cell import resolve_cells
from .document import parse_cells

__all__ = ["run_check", "check_bytes"]

#: hidden size of the bound samples (:func:`reports._sec_numeric.bound_samples`)
BOUND_HIDDEN = 32


def check_bytes(cell, samples: int) -> int:
    """Memory the bound checks of ``cell`` need for ``samples`` states: per sample its
    ``(S H) x (S H)`` float64 state Jacobian about four times over (the Jacobian, its
    terms, the SVD's copy and workspace; measured 1 to 3.4 times), plus the inputs."""
    SH = len(cell.states) * BOUND_HIDDEN  # at most: another state dimension is H/2 here
    return samples * (4 * SH * SH + 4 * SH + 8) * 8


def run_check(cells, samples: int, seed: int, say) -> int:
    """Run the checks; print a table on stdout; return 0 if all pass, 1 otherwise.

    Every option is checked before any work: ``samples >= 1``, ``seed >= 0``, the cells
    (built-in names and users' ``file.py:name`` / ``package.module:name``), and that the largest cell's bound checks fit in the memory available.
    """
    import numeric

    samples = count(samples, "--samples", minimum=1)
    seed = count(seed, "--seed", minimum=0)
    chosen = resolve_cells(cells)
    cells = parse_cells(None) if chosen is None else chosen
    worst = max(cells, key=lambda c: len(c.states))
    numeric.check_memory(check_bytes(worst, samples),
                         f"check --samples {samples} ({worst.title}, H = {BOUND_HIDDEN})",
                         hint="use a smaller --samples")
    rows, failed = [], False
    for k, cell in enumerate(cells, 1):
        ref = "central differences" if cell.kinks else "complex step"
        say(f"[{k}/{len(cells)}] {cell.title}: Jacobian vs {ref} (H = 64)")
        jc = jacobian_check(cell, hidden=64, seed=seed)
        say(f"[{k}/{len(cells)}] {cell.title}: bounds on {samples} states x {len(SCALES)} scales")
        bc = bound_samples(cell, samples=samples, seed=seed)
        n_ok = sum(int(np.sum(b.ok)) for b in bc.values())
        n = sum(b.ok.shape[0] for b in bc.values())
        tight = np.concatenate([b.norm / b.upper for b in bc.values()])
        ok = jc.ok and n_ok == n
        failed |= not ok
        # kinked cells (relu, max) have no complex step: central differences, marked (cd)
        err = (f"{jc.max_abs_finite_diff:.1e} (cd)" if cell.kinks
               else f"{jc.max_abs_complex_step:.1e}")
        rows.append((cell.title, err, f"{n_ok}/{n}",
                     f"{np.nanmedian(tight):.3f}", "ok" if ok else "FAIL"))
    head = ("cell", "max|J - J_ref|", "bounds hold", "median ||J||/upper", "status")
    widths = [max(len(str(r[i])) for r in (head, *rows)) for i in range(len(head))]
    line = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True))  # noqa: E731
    print(line(head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    if any(c.kinks for c in cells):
        print("(cd): against central differences: a cell with kinks (relu, max) has no "
              "complex step")
    print("FAILED" if failed else "all checks passed")
    return 1 if failed else 0

"""``gatebound check``: the numeric checks and every bound, with progress and a summary."""

from __future__ import annotations

import numpy as np

from ._errors import ReportError
from ._sec_numeric import SCALES, bound_samples, jacobian_check
from .document import parse_cells

__all__ = ["run_check"]


def run_check(cells, samples: int, seed: int, say) -> int:
    """Run the checks; print a table on stdout; return 0 if all pass, 1 otherwise."""
    if not isinstance(samples, int) or samples < 1:
        raise ReportError(f"--samples must be a positive integer, got {samples!r}")
    cells = parse_cells(cells)
    rows, failed = [], False
    for k, cell in enumerate(cells, 1):
        say(f"[{k}/{len(cells)}] {cell.title}: Jacobian vs complex step (H = 64)")
        jc = jacobian_check(cell, hidden=64, seed=seed)
        say(f"[{k}/{len(cells)}] {cell.title}: bounds on {samples} states x {len(SCALES)} scales")
        bc = bound_samples(cell, samples=samples, seed=seed)
        n_ok = sum(int(np.sum(b.ok)) for b in bc.values())
        n = sum(b.ok.shape[0] for b in bc.values())
        tight = np.concatenate([b.norm / b.upper for b in bc.values()])
        ok = jc.ok and n_ok == n
        failed |= not ok
        rows.append((cell.title, f"{jc.max_abs_complex_step:.1e}", f"{n_ok}/{n}",
                     f"{np.nanmedian(tight):.3f}", "ok" if ok else "FAIL"))
    head = ("cell", "max|J - J_cs|", "bounds hold", "median ||J||/upper", "status")
    widths = [max(len(str(r[i])) for r in (head, *rows)) for i in range(len(head))]
    line = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True))  # noqa: E731
    print(line(head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    print("FAILED" if failed else "all checks passed")
    return 1 if failed else 0

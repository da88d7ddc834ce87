"""Numeric evidence per cell: the engine against complex step, and every bound on samples."""

from __future__ import annotations

import numpy as np

import numeric
from derivations.facts import Role
from numeric.bounds import check_bounds

from ._fig_data import input_size, other_sizes
from .model import M, Paragraph, Table, Tr

_NORM = M(r"\|J\|_2", "||J||_2")

__all__ = ["draw_state", "jacobian_check", "bound_samples", "numeric_blocks", "SCALES"]

#: recurrent-weight scales of the bound evidence: contracting, default, saturating
SCALES = (0.5, 1.0, 3.0)


def draw_state(params, B: int, rng: np.random.Generator):
    """Inputs (B, I) ~ N(0, 1); hidden states uniform in [-1, 1]; a memory cell (a state
    whose update has the role :attr:`~derivations.facts.Role.CELL_STATE`, LSTM ``c``) ~ N(0, 1);
    a normalizer state (sLSTM ``n``) uniform in [0.5, 2]."""
    I = params.input_size
    cell = params.cell
    x = rng.standard_normal((B, I))
    states = []
    for s, H in zip(cell.states, params.state_sizes, strict=True):
        role = cell.roles[cell.next_states[s]]
        if role is Role.NORMALIZER_STATE:  # sLSTM n: a positive sum, its domain
            states.append(rng.uniform(0.5, 2.0, (B, H)))
        elif role is Role.CELL_STATE:
            states.append(rng.standard_normal((B, H)))
        else:
            states.append(rng.uniform(-1, 1, (B, H)))
    return x, (states[0] if len(states) == 1 else tuple(states))


def jacobian_check(cell, *, hidden: int = 64, inputs: int = 16, batch: int = 2, seed: int = 0):
    """:func:`numeric.check_jacobian` at ``hidden`` on random parameters and states."""
    p = numeric.init(cell, hidden, input_size(cell, inputs, hidden), seed=seed,
                     sizes=other_sizes(cell, hidden))
    x, state = draw_state(p, batch, np.random.default_rng(seed))
    return numeric.check_jacobian(p, x, state)


def bound_samples(cell, *, samples: int, hidden: int = 32, inputs: int = 8, seed: int = 0):
    """Run :func:`numeric.check_bounds` on ``samples`` states at each scale of SCALES.

    Returns ``{scale: BoundCheck}``.
    """
    out = {}
    for k, scale in enumerate(SCALES):
        p = numeric.init(cell, hidden, input_size(cell, inputs, hidden), seed=seed + k,
                         sizes=other_sizes(cell, hidden),
                         scale=scale)
        x, state = draw_state(p, samples, np.random.default_rng(seed + 100 + k))
        out[scale] = check_bounds(p, x, state)
    return out


def _q(a, q):
    a = np.asarray(a, dtype=float)
    a = a[np.isfinite(a)]
    return float(np.quantile(a, q)) if a.size else float("nan")


def numeric_blocks(cell, *, samples: int, hidden: int = 64, seed: int = 0) -> list:
    chk = jacobian_check(cell, hidden=hidden, seed=seed)
    jac = Paragraph((Tr(f"Numeric engine against complex step at H = {hidden} (full state "
                        "Jacobian, 2 samples): max abs error ",
                        f"Bộ tính số so với phương pháp bước phức tại H = {hidden} (ma trận "
                        "Jacobi toàn trạng thái, 2 mẫu): sai số tuyệt đối lớn nhất "),
                     f"{chk.max_abs_complex_step:.2e}",
                     Tr(", against central differences ", ", so với sai phân trung tâm "),
                     f"{chk.max_abs_finite_diff:.2e}",
                     Tr(" — within tolerance." if chk.ok else " — OUTSIDE tolerance.",
                        " — trong ngưỡng cho phép." if chk.ok else " — VƯỢT ngưỡng cho phép.")))
    rows = []
    for scale, bc in bound_samples(cell, samples=samples, seed=seed).items():
        n = bc.norm.shape[0]
        tight = bc.norm / bc.upper
        lower_pos = np.isfinite(bc.lower) & (bc.lower > 0)
        rows.append((f"{scale:g}", str(n), f"{int(np.sum(bc.ok))}/{n}",
                     f"{_q(tight, 0.5):.3f}", f"{_q(tight, 0.9):.3f}",
                     f"{_q(bc.norm / bc.global_upper, 0.5):.3f}",
                     f"{int(np.sum(lower_pos))}/{n}"))
    table = Table((Tr("scale", "hệ số"), Tr("samples", "số mẫu"), Tr("all bounds hold", "mọi cận đúng"),
                   (Tr("median ", "trung vị "), _NORM, Tr("/upper", "/cận trên")),
                   (Tr("90% ", "phân vị 90% "), _NORM, Tr("/upper", "/cận trên")),
                   (Tr("median ", "trung vị "), _NORM, Tr("/global", "/cận toàn cục")),
                   Tr("lower bound > 0", "cận dưới > 0")), tuple(rows),
                  Tr(f"Bounds checked on random states (H = 32) at three weight scales for "
                     f"{cell.title}; the ratios measure tightness (1 = tight).",
                     f"Kiểm tra các cận trên các trạng thái ngẫu nhiên (H = 32) ở ba hệ số trọng "
                     f"số cho {cell.title}; các tỉ số đo độ chặt (1 = chặt)."),
                  widths=(0.08, 0.1, 0.14, 0.17, 0.17, 0.17, 0.15))
    return [jac, table]

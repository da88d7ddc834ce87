r"""The numbers of the cell zoo table: one row per cell, from its derivation and the engine.

Per cell (one convention), at a fixed small size (:class:`ZooConfig`):

- the state dimension (``2H`` for :math:`(h, c)`), the carry path (the matrix-free
  diagonal term of each state's own block :math:`\partial s_t / \partial s_{t-1}`, read from
  the derived Jacobian) and the gate that makes it the identity (``cell.carrying``);
- which blocks have a global bound (:func:`derivations.derive_bounds`; a
  :class:`~derivations.bounds.NoGlobalBound` says why not);
- the tightness of the bounds on random states: the median of :math:`\|J\|_2 / U` (the
  state-dependent bound) and of :math:`\|J\|_2 / G` (the global bound) over the full state
  Jacobian (:func:`numeric.check_bounds`, ``which="full"``);
- the median over a batch of :math:`\log_{10} \|v^\top \partial s_T / \partial s_0\|` after
  ``T`` steps (:func:`numeric.gradient_norms`) under the default initialisation and under the
  carrying (chrono) one, and the leading Lyapunov exponent :math:`\lambda_1`
  (:func:`numeric.lyapunov`, ``k = 1``; natural log per step).

A number that cannot be computed is a :class:`Num` with no value and the reason (the
engine's refusal, a non-finite result, no carrying gate), never left out.

>>> import derivations as dv
>>> row = zoo_row(dv.cell("gru", "seed"), ZooConfig(H=4, I=2, T=20, B=2, lyap_batch=2, bound_batch=4))
>>> row.state_dim, [(s.name, str(k)) for s, k in row.carries], str(row.cell.carrying)
('H', [('h', '1 - z')], 'z -> 0')
>>> row.grad_default.ok, row.tightness.value <= 1.0, row.global_blocks
(True, True, (('h', 'h'),))
"""

from __future__ import annotations

import enum
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

import derivations as dv
from derivations.bounds import NoGlobalBound
from derivations.facts import BoundKind

from ._fig_data import input_size, other_sizes, zero_state

__all__ = ["ZooConfig", "ZOO", "Why", "Num", "ZooRow", "zoo_row", "zoo_rows", "state_dim",
           "carries", "global_bounds", "gradient_medians", "lyapunov_median", "tightness",
           "inputs"]


@dataclass(frozen=True)
class ZooConfig:
    """Sizes of the zoo runs: hidden ``H``, input ``I``; ``T`` steps of ``B`` sequences for the
    gradient norms, ``lyap_batch`` of them for :math:`\\lambda_1`; ``bound_batch`` random states for
    the tightness; ``seed`` for every draw."""

    H: int = 32
    I: int = 8  # noqa: E741
    T: int = 1000
    B: int = 8
    lyap_batch: int = 4
    bound_batch: int = 32
    seed: int = 0


#: the report's zoo configuration (full and quick reports alike; quick has fewer cells)
ZOO = ZooConfig()


class Why(enum.Enum):
    """Why a number of the table is missing (or what is special about it)."""

    NO_CARRYING = "no carrying gate"  # the carrying initialisation does not apply
    NO_GLOBAL = "no global bound"
    REFUSED = "the engine refused"  # ``detail``: its message
    NOT_FINITE = "not finite"  # ``detail``: how many samples, and which value
    EXACT_ZERO = "exactly zero"  # a value -inf in log scale (the gradient is exactly 0)


@dataclass(frozen=True)
class Num:
    """A number of the table (``value``), or ``value`` nan and ``why`` it is missing.

    ``why`` :attr:`Why.EXACT_ZERO` keeps the value (``-inf``): the median sample's product
    of Jacobians is exactly zero (a ReLU unit that was off at some step)."""

    value: float
    why: Why | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True if the value is a finite number."""
        return self.why is None

    @classmethod
    def missing(cls, why: Why, detail: str = "") -> Num:
        return cls(float("nan"), why, detail)


@dataclass(frozen=True)
class ZooRow:
    """One row of the zoo table (see the module docstring)."""

    cell: object
    state_dim: str
    carries: tuple  # ((state symbol, carry coefficient), ...) of the states' own blocks
    global_blocks: tuple  # block keys with a global bound
    no_global: tuple  # ((block key, NoGlobalBound), ...)
    bounds_error: str  # why the bounds could not be derived ("" when they were)
    tightness: Num
    global_tightness: Num
    grad_default: Num
    grad_carrying: Num
    lyapunov: Num
    seconds: float = field(default=0.0, compare=False)

    @property
    def has_global(self) -> bool:
        """True if every block of the state Jacobian has a global bound."""
        return not self.no_global


def state_dim(cell) -> str:
    """The state's dimension in the cell's dimension names: ``H``, ``2H``, ``H + K``.

    >>> state_dim(dv.cell("lstm")), state_dim(dv.cell("elman")), state_dim(dv.cell("lstmp"))
    ('2H', 'H', 'P + H')
    """
    counts = Counter(cell.dims[s] for s in cell.states)
    return " + ".join(f"{n}{d}" if n > 1 else str(d) for d, n in counts.items())


def carries(derivation) -> tuple:
    """``((state, carry), ...)``: the matrix-free diagonal term of each state's own block
    :math:`\\partial s_t / \\partial s_{t-1}`, for the states whose block has one."""
    out = []
    for s in derivation.cell.states:
        block = derivation.jacobian.blocks.get((s.name, s.name))
        if block is not None and block.carry is not None:
            out.append((s, block.carry))
    return tuple(out)


def global_bounds(derivation) -> tuple:
    """``(blocks with a global bound, ((block, NoGlobalBound), ...))`` over the non-zero
    blocks of the state Jacobian. Raises the DerivationError of bounds that cannot be
    derived."""
    have, lack = [], []
    for key, bb in derivation.bounds.blocks.items():
        if bb.block.is_zero:
            continue
        b = bb.get(BoundKind.GLOBAL_UPPER)
        if isinstance(b, NoGlobalBound):
            lack.append((key, b))
        else:
            have.append(key)
    return tuple(have), tuple(lack)


def _refused(exc: Exception) -> Num:
    return Num.missing(Why.REFUSED, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def _median(values, what: str) -> Num:
    """The median of ``values``; a non-finite median says how many samples were not finite
    (``-inf`` medians are kept: :attr:`Why.EXACT_ZERO`)."""
    v = np.asarray(values, dtype=float)
    nan = int(np.isnan(v).sum())
    if nan * 2 >= v.size:
        return Num.missing(Why.NOT_FINITE, f"{what}: NaN for {nan} of {v.size} samples")
    m = float(np.median(np.where(np.isnan(v), np.inf, v)))  # NaN counts as overflow
    if m == -np.inf:
        return Num(m, Why.EXACT_ZERO, f"{what}: -inf for {int(np.isneginf(v).sum())} of "
                                      f"{v.size} samples")
    if not np.isfinite(m):
        return Num.missing(Why.NOT_FINITE, f"{what}: overflow for "
                                           f"{int((~np.isfinite(v) & (v > 0)).sum() + nan)} "
                                           f"of {v.size} samples")
    return Num(m)


def _params(cell, cfg: ZooConfig, scheme: str):
    import numeric

    return numeric.init(cell, cfg.H, input_size(cell, cfg.I, cfg.H), scheme=scheme,
                        seed=cfg.seed, t_max=cfg.T if scheme == "chrono" else None,
                        sizes=other_sizes(cell, cfg.H))


def inputs(params, cfg: ZooConfig, B: int) -> np.ndarray:
    """The zoo's input sequence (T, B, I): :math:`x_t \\sim N(0, I)` from ``cfg.seed``, the
    same for every cell (of an input size)."""
    return np.random.default_rng(cfg.seed).standard_normal((cfg.T, B, params.input_size))


def gradient_medians(cell, cfg: ZooConfig) -> tuple:
    r"""``(default, carrying)``: the median over ``cfg.B`` sequences of
    :math:`\log_{10}\|v^\top \partial s_T/\partial s_0\|` from a zero state, under
    ``numeric.init(scheme="pytorch")`` and under ``scheme="chrono"`` (:math:`T_{max} = T`;
    :attr:`Why.NO_CARRYING` for a cell without a carrying gate)."""
    import numeric

    out = []
    for scheme in ("pytorch", "chrono"):
        if scheme == "chrono" and cell.carrying is None:
            out.append(Num.missing(Why.NO_CARRYING))
            continue
        try:
            p = _params(cell, cfg, scheme)
            with np.errstate(all="ignore"):
                res = numeric.gradient_norms(p, inputs(p, cfg, cfg.B), zero_state(p, cfg.B),
                                             seed=cfg.seed)
            out.append(_median(res.log_norms[0] / np.log(10.0), "log10 norm"))
        except (dv.DerivationError, numeric.NumericError, FloatingPointError,
                np.linalg.LinAlgError) as exc:
            out.append(_refused(exc))
    return tuple(out)


def lyapunov_median(cell, cfg: ZooConfig) -> Num:
    r"""The median over ``cfg.lyap_batch`` sequences of :math:`\lambda_1` over ``cfg.T`` steps
    from a zero state, default initialisation."""
    import numeric

    try:
        p = _params(cell, cfg, "pytorch")
        with np.errstate(all="ignore"):
            lam = numeric.lyapunov(p, inputs(p, cfg, cfg.lyap_batch), zero_state(p, cfg.lyap_batch),
                                   k=1, seed=cfg.seed)
        return _median(lam[:, 0], "lambda_1")
    except (dv.DerivationError, numeric.NumericError, FloatingPointError,
                np.linalg.LinAlgError) as exc:
        return _refused(exc)


def tightness(cell, cfg: ZooConfig) -> tuple:
    r"""``(median ||J||/U, median ||J||/G)`` of the full state Jacobian on ``cfg.bound_batch``
    random states (:func:`reports._sec_numeric.draw_state`), default initialisation;
    :attr:`Why.NO_GLOBAL` for the second when the cell has no global bound."""
    import numeric

    from ._sec_numeric import draw_state

    try:
        p = _params(cell, cfg, "pytorch")
        x, state = draw_state(p, cfg.bound_batch, np.random.default_rng(cfg.seed + 1))
        with np.errstate(all="ignore"):
            bc = numeric.check_bounds(p, x, state, which="full")
            tight = bc.norm / bc.upper
            glob = bc.norm / bc.global_upper
    except (dv.DerivationError, numeric.NumericError, FloatingPointError,
                np.linalg.LinAlgError) as exc:
        r = _refused(exc)
        return r, r
    g = (Num.missing(Why.NO_GLOBAL) if np.isnan(bc.global_upper).all()
         else _median(glob, "||J||/G"))
    return _median(tight, "||J||/U"), g


def zoo_row(cell, cfg: ZooConfig = ZOO) -> ZooRow:
    """The row of ``cell`` (a :class:`derivations.Cell`)."""
    t0 = time.perf_counter()
    d = dv.derive(cell)
    try:
        have, lack = global_bounds(d)
        error = ""
    except dv.DerivationError as exc:
        have, lack, error = (), (), str(exc).splitlines()[0]
    tight, gtight = tightness(cell, cfg)
    g_def, g_car = gradient_medians(cell, cfg)
    lam = lyapunov_median(cell, cfg)
    return ZooRow(cell, state_dim(cell), carries(d), have, lack, error, tight, gtight, g_def,
                  g_car, lam, time.perf_counter() - t0)


def zoo_rows(cells, cfg: ZooConfig = ZOO, progress=None) -> list:
    """:func:`zoo_row` of each cell, in order (``progress(message)`` before each)."""
    out = []
    for k, c in enumerate(cells, 1):
        if progress is not None:
            progress(f"[{k}/{len(cells)}] zoo table: {c.title}")
        out.append(zoo_row(c, cfg))
    return out

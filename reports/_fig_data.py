r"""The numbers behind the report's figures (numeric engine runs; no plotting here).

Every run uses the same random inputs :math:`x_t \sim N(0, I)` for all cells, zero initial
states, PyTorch's initialisation :math:`U(-1/\sqrt H, 1/\sqrt H)` and the same recurrent
weight ``scale`` ("matched weight scales"), or the chrono initialisation with
:math:`T_{max} = T`.

>>> import numpy as np, numeric
>>> p = numeric.init("gru", 4, 2, seed=0)
>>> name, g = carrying_gate(p, np.zeros((3, 2)), np.zeros((3, 4)))
>>> name, g.shape                                      # (B, H)
('z', (3, 4))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

import derivations as dv
from derivations.language import per_cell

from ._errors import ReportError

__all__ = ["FigConfig", "FULL", "QUICK", "GRADIENT_CELLS", "gradient_curves", "lyapunov_spectra",
           "RECENT_CELLS", "recent_curves", "diagonal_decay",
           "bias_sweep", "carrying_gate", "gate_samples", "zero_state"]

#: the cells of the comparison figures
GRADIENT_CELLS = ("elman", "gru", "lstm")
#: (cell, convention, init scheme) of the second comparison: the ReLU and elementwise
#: recurrences, the LSTM variants and the gated linear recurrences of 2023-24 (the sLSTM runs
#: in its stabilized form, which the numeric engine evaluates without overflow)
RECENT_CELLS = (("elman", "relu", "irnn"), ("indrnn", None, "pytorch"),
                ("peephole_lstm", None, "pytorch"), ("cifg_lstm", None, "pytorch"),
                ("mingru", "paper", "pytorch"), ("minlstm", "paper", "pytorch"),
                ("rglru", None, "pytorch"), ("slstm_stabilized", "sigmoid", "pytorch"))


@dataclass(frozen=True)
class FigConfig:
    """Sizes of the figure runs: ``T`` steps, batch ``B``, hidden ``H``, input ``I``."""

    T: int
    B: int
    H: int
    I: int  # noqa: E741
    lyap_steps: int
    lyap_batch: int
    lyap_hidden: int
    sweep_batch: int
    sweep_biases: tuple
    hist_every: int


FULL = FigConfig(T=1000, B=32, H=48, I=16, lyap_steps=400, lyap_batch=4, lyap_hidden=24, sweep_batch=128,
                 sweep_biases=tuple(np.linspace(-2.0, 10.0, 13)), hist_every=5)
QUICK = FigConfig(T=300, B=8, H=32, I=8, lyap_steps=120, lyap_batch=2, lyap_hidden=16, sweep_batch=64,
                  sweep_biases=tuple(np.linspace(-2.0, 10.0, 7)), hist_every=10)


def zero_state(params, B: int):
    """Zero initial state(s) of ``params``' cell: (B, H), or a tuple for LSTM (each state of
    its size: the LSTMP's h is (B, P))."""
    z = [np.zeros((B, n)) for n in params.state_sizes]
    return z[0] if len(z) == 1 else tuple(z)


def _init(name, cfg, scheme, scale, seed, H=None):
    import numeric

    return numeric.init(name, H or cfg.H, cfg.I, scheme=scheme, seed=seed, scale=scale,
                        t_max=cfg.T if scheme == "chrono" else None)


def _inputs(cfg, T, B, seed, size=None):
    return np.random.default_rng(seed).standard_normal((T, B, size or cfg.I))


def gradient_curves(cfg: FigConfig, *, scheme: str = "pytorch", scale: float = 1.0,
                    seed: int = 0) -> dict:
    r"""``{cell title: log_norms (T, B)}`` of :math:`\|v^\top \partial s_T/\partial s_t\|`.

    Under ``chrono`` a cell without a carrying gate (Elman) keeps the default
    initialisation, as the reference curve.
    """
    import numeric

    xs = _inputs(cfg, cfg.T, cfg.B, seed)
    out = {}
    for name in GRADIENT_CELLS:
        sch = scheme if dv.cell(name).carrying is not None else "pytorch"
        p = _init(name, cfg, sch, scale, seed)
        out[p.cell.title] = numeric.gradient_norms(p, xs, zero_state(p, cfg.B),
                                                   seed=seed).log_norms
    return out


def _recent_params(name, conv, scheme, cfg, seed):
    import numeric

    cell = dv.cell(name, conv)
    return numeric.init(cell, cfg.H, input_size(cell, cfg.I, cfg.H), scheme=scheme, seed=seed,
                        sizes=other_sizes(cell, cfg.H))


def input_size(cell, I_: int, H: int) -> int:
    """``I_``, or ``H`` for a cell whose input has the state's dimension (the RG-LRU)."""
    return H if cell.input_in_state_dim else I_


def other_sizes(cell, H: int) -> dict | None:
    """The size the report gives each dimension of ``cell`` besides the hidden and the input
    one: ``H // 2``, at least 1 (the LSTMP's projection ``P``, below ``H`` as PyTorch's
    ``proj_size`` must be); ``None`` for a cell without one (``numeric.init(sizes=)``)."""
    own = (cell.hidden_dim, cell.dims[cell.inputs[0]])
    return {d: max(1, H // 2) for d in cell.dimensions if d not in own} or None


def recent_curves(cfg: FigConfig, *, seed: int = 0) -> dict:
    r"""``{label: log_norms (T, B)}`` of :math:`\|v^\top \partial s_T/\partial s_t\|` for
    :data:`RECENT_CELLS`, each under its own scheme at scale 1, on inputs of its input size
    (the RG-LRU's input has the state's size)."""
    import numeric

    out = {}
    for name, conv, scheme in RECENT_CELLS:
        p = _recent_params(name, conv, scheme, cfg, seed)
        xs = _inputs(cfg, cfg.T, cfg.B, seed, p.input_size)
        label = p.cell.title + (" (IRNN)" if scheme == "irnn" else "")
        out[label] = numeric.gradient_norms(p, xs, zero_state(p, cfg.B), seed=seed).log_norms
    return out


def diagonal_decay(name: str, conv, cfg: FigConfig, *, seed: int = 0) -> dict:
    r"""For a cell whose state Jacobian is diagonal (:math:`J_t = \operatorname{diag}(a_t)`,
    its only term the carry): the measured :math:`\|\partial h_T / \partial h_t\|_2` (from
    the engine's Jacobians, multiplied out) and the product :math:`\max_j \prod_t a_{t,j}`
    read from the carry coefficient alone, over ``cfg.T`` steps of one sequence.

    Returns ``{"measured": (T,), "product": (T,), "carry": gate name}`` (log10), which agree
    to rounding when the Jacobian is the diagonal the derivation says.
    """
    import numeric

    cell = dv.cell(name, conv)
    block = dv.derive(cell).jacobian.blocks[(cell.states[0].name, cell.states[0].name)]
    if len(cell.states) != 1 or not all(t.is_diagonal for t in block.terms):
        raise ReportError(f"cell {cell.title!r} does not have a diagonal state Jacobian")
    p = numeric.init(cell, cfg.H, input_size(cell, cfg.I, cfg.H), seed=seed,
                     sizes=other_sizes(cell, cfg.H))
    xs = _inputs(cfg, cfg.T, 1, seed + 1, p.input_size)
    hs = numeric.rollout(p, xs, np.zeros((1, cfg.H)))
    before = np.concatenate([np.zeros((1, 1, cfg.H)), hs[:-1]])
    x, h = xs[:, 0], before[:, 0]                       # the T steps as one batch
    Js = numeric.jacobian(p, x, h)                      # (T, H, H), every term
    key = (cell.states[0].name,) * 2
    carry = sum(cs[0] for t, cs in numeric.term_coefficients(p, x, h, block=key)
                if t.is_diagonal)                       # (T, H), the carry term alone
    log_prod = np.cumsum(np.log10(np.abs(carry[::-1])), axis=0).max(axis=1)
    meas = np.eye(cfg.H)
    log_meas = []
    for J in Js[::-1]:                                  # dh_T/dh_t = J_{T-1} ... J_t
        meas = meas @ J
        log_meas.append(np.log10(np.linalg.norm(meas, 2)))
    return {"measured": np.array(log_meas), "product": log_prod,
            "carry": str(block.carry)}


def lyapunov_spectra(cfg: FigConfig, *, seed: int = 0) -> dict:
    """``{label: exponents (B, D)}``: full spectra (D = state size) of the three cells under
    the default initialisation and of GRU and LSTM under chrono."""
    import numeric

    xs = _inputs(cfg, cfg.lyap_steps, cfg.lyap_batch, seed)
    out = {}
    for scheme in ("pytorch", "chrono"):
        for name in GRADIENT_CELLS:
            if scheme == "chrono" and dv.cell(name).carrying is None:
                continue
            p = _init(name, cfg, scheme, 1.0, seed, H=cfg.lyap_hidden)
            lam = numeric.lyapunov(p, xs, zero_state(p, cfg.lyap_batch), seed=seed)
            out[(p.cell.title, scheme)] = lam
    return out


def _gate_biases(cell, gate) -> list:
    """The biases in the definition of the quantity ``gate`` (a symbol of ``cell``)."""
    return [b.name for b in cell.biases if b in cell.definitions[gate].free_symbols]


def bias_sweep(cfg: FigConfig, *, seed: int = 0) -> dict:
    r"""GRU (PyTorch convention): Weyl lower bound and :math:`\sigma_{\min}(J)` against a shift
    :math:`\beta` of the update-gate bias (:math:`\beta \to \infty`: :math:`z \to 1`, carrying).

    Returns ``{"beta": (n,), "lower": (n, B), "sigma_min": (n, B), "z_min": (n, B)}`` on
    random states (``h`` uniform in [-1, 1], ``x`` ~ N(0, 1)).
    """
    import numeric

    from ._sec_numeric import draw_state

    p = _init("gru", cfg, "pytorch", 1.0, seed)
    x, h = draw_state(p, cfg.sweep_batch, np.random.default_rng(seed + 7))
    (b,) = _gate_biases(p.cell, p.cell.carrying.gate)[:1]
    lower, smin, zmin = [], [], []
    for beta in cfg.sweep_biases:
        q = p.with_arrays(**{b: p.arrays[b] + beta})
        bc = numeric.check_bounds(q, x, h)
        lower.append(bc.lower)
        smin.append(bc.sigma_min)
        zmin.append(carrying_gate(q, x, h)[1].min(axis=1))
    return {"beta": np.asarray(cfg.sweep_biases), "lower": np.array(lower),
            "sigma_min": np.array(smin), "z_min": np.array(zmin), "bias": b}


def _zero(expr) -> bool:
    """``expr`` is identically zero: a polynomial (or rational function) in the cell's
    symbols and functions, so expanding (or cancelling) decides it; ``sp.simplify`` took
    minutes on the carries that are no gate (the peephole LSTM's ``c f p_f (1 - f) + f +
    ...``)."""
    expr = sp.sympify(expr)
    if expr.is_zero:
        return True
    return sp.expand(expr) == 0 or sp.cancel(sp.together(expr)) == 0


@per_cell
def _carry_block(cell):
    """(block key, gate name, sign): the block whose carry is the gate ``g`` (sign +1) or
    ``1 - g`` (sign -1). Cached per cell object."""
    if cell.carrying is None:
        raise ReportError(f"cell {cell.title!r} has no carrying gate (declare one with "
                          "CellBuilder.carrying)")
    g = cell.carrying.gate
    name = g.name
    for key, block in dv.derive(cell).jacobian.blocks.items():
        c = block.carry
        if c is None:
            continue
        if _zero(c - g):
            return key, name, 1
        if _zero(c - (1 - g)):
            return key, name, -1
    raise ReportError(f"cell {cell.title!r}: no Jacobian block has carry {name} or 1 - {name}")


def carrying_gate(params, x, state):
    """The carrying gate (GRU ``z``, LSTM ``f``, ...) at input ``x`` (B, I) and ``state``.

    Read from the carry term of the derived Jacobian (:func:`numeric.term_coefficients`):
    returns ``(gate name, values (B, H))``.
    """
    import numeric

    key, name, sign = _carry_block(params.cell)
    tcs = numeric.term_coefficients(params, x, state, block=key)
    carry = sum(cs[0] for t, cs in tcs if t.is_diagonal)
    return name, (carry if sign == 1 else 1.0 - carry)


def gate_samples(name: str, cfg: FigConfig | None, *, scheme: str = "pytorch", seed: int = 0,
                 params=None, xs=None, state0=None, every: int | None = None) -> tuple:
    """The carrying gate's values along a rollout, every ``every`` (``cfg.hist_every``) steps.

    Returns ``(gate name, values (n, B, H))``; ``params``/``xs``/``state0`` default to a
    fresh ``name`` cell on the standard inputs of ``cfg``.
    """
    import numeric

    p = params if params is not None else _init(name, cfg, scheme, 1.0, seed)
    if xs is None:
        xs = _inputs(cfg, cfg.T, cfg.B, seed)
    s0 = state0 if state0 is not None else zero_state(p, xs.shape[1])
    traj = numeric.rollout(p, xs, s0)
    parts = traj if isinstance(traj, tuple) else (traj,)
    first = s0 if isinstance(s0, tuple) else (s0,)
    ts = np.arange(0, xs.shape[0], every or cfg.hist_every)
    # the state entering step t: s0 for t = 0, else the rollout's state t - 1
    before = [np.concatenate([f[None], a[:-1]])[ts] for f, a in zip(first, parts, strict=True)]
    n, B = len(ts), xs.shape[1]
    flat = tuple(b.reshape(n * B, -1) for b in before)
    gname, g = carrying_gate(p, xs[ts].reshape(n * B, -1), flat if len(flat) > 1 else flat[0])
    return gname, g.reshape(n, B, -1)

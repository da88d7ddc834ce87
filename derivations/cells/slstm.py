r"""The sLSTM of xLSTM (Beck et al. 2024): exponential gating with a normalizer state.

Derived in the paper's (unstabilized) coordinates, states :math:`h, c, n`:

.. math::

    \tilde\imath_t &= W_i x_t + R_i h_{t-1} + b_i, \qquad
    \tilde f_t = W_f x_t + R_f h_{t-1} + b_f \\
    i_t &= \exp(\tilde\imath_t), \qquad
    f_t = \sigma(\tilde f_t) \ \text{(``sigmoid``)} \ \text{or} \ \exp(\tilde f_t)
    \ \text{(``exp``)} \\
    z_t &= \tanh(W_z x_t + R_z h_{t-1} + b_z), \qquad
    o_t = \sigma(W_o x_t + R_o h_{t-1} + b_o) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot z_t, \qquad n_t = f_t \odot n_{t-1} + i_t \\
    h_t &= o_t \odot c_t / n_t

The recurrent matrices :math:`R` are block-diagonal over heads in xLSTM (a loader
materializes them). The input gate is unbounded (:math:`\exp' = \exp`), so no global bound
exists for the paths through it; the normalizer makes :math:`h_t` a weighted mean of the
candidates, :math:`|c_t / n_t| < 1`.

:func:`slstm_stabilized` is the form the numeric engine runs (nothing overflows): a fourth
state :math:`m_t = \max(\log f_t + m_{t-1}, \tilde\imath_t)` rescales
:math:`i_t' = \exp(\tilde\imath_t - m_t)`, :math:`f_t' = \exp(\log f_t + m_{t-1} - m_t)`, so that
its :math:`c, n` are the paper's times :math:`e^{-m_t}` and :math:`h_t` is unchanged, as is
:math:`\partial h_t / \partial h_{t-1}` with :math:`c, n` held fixed (a test proves both).
This is xLSTM's ``vanilla`` backend step (``slstm_forward_pointwise``).
"""

from .._errors import DerivationError
from ..facts import Role
from ..functions import exp, maximum, sigmoid, softplus, tanh
from ..language import CellBuilder

__all__ = ["slstm", "slstm_stabilized", "SLSTM_FORGET"]

#: convention -> the forget gate's activation, as text
SLSTM_FORGET = {"sigmoid": "f_t = sigma(f~_t) (xLSTM's default)", "exp": "f_t = exp(f~_t)"}
_REF = "Beck et al. 2024 (xLSTM): sLSTM"


def _check(convention):
    convention = "sigmoid" if convention is None else convention
    if convention not in SLSTM_FORGET:
        raise DerivationError(f"unknown sLSTM convention {convention!r}; valid conventions: "
                              f"{sorted(SLSTM_FORGET)}")
    return convention


def _gates(cb):
    x = cb.input("x")
    W_i, W_f, W_z, W_o = cb.weights("W_i W_f W_z W_o")
    R_i, R_f, R_z, R_o = cb.weights("R_i R_f R_z R_o")
    b_i, b_f, b_z, b_o = cb.biases("b_i b_f b_z b_o")
    return x, (W_i, W_f, W_z, W_o), (R_i, R_f, R_z, R_o), (b_i, b_f, b_z, b_o)


def _layout(cb):
    cb.layout(weight_ih="W_i W_f W_z W_o", weight_hh="R_i R_f R_z R_o",
              bias="b_i b_f b_z b_o")
    return cb


def _cell_update(cb, convention, x, W, R, b, states, i, f):
    r"""The part both forms share: :math:`z_t, o_t`, :math:`c_t = f_t c_{t-1} + i_t z_t`,
    :math:`n_t = f_t n_{t-1} + i_t`, :math:`h_t = o_t c_t / n_t`; builds the cell."""
    h, c, n = states
    z = cb.let("z", tanh(W[2] @ x + R[2] @ h + b[2]), role=Role.CELL_CANDIDATE)
    o = cb.let("o", sigmoid(W[3] @ x + R[3] @ h + b[3]), role=Role.OUTPUT_GATE)
    c_next = cb.update(c, f * c + i * z, role=Role.CELL_STATE)
    n_next = cb.update(n, f * n + i, role=Role.NORMALIZER_STATE)
    cb.update(h, o * c_next / n_next)
    cb.attributes(gate_order="i, f, z, o", forget=SLSTM_FORGET[convention])
    cb.carrying(f, 1)
    return _layout(cb).build()


def slstm(convention="sigmoid"):
    """The sLSTM in the paper's coordinates (states ``h, c, n``)."""
    convention = _check(convention)
    cb = CellBuilder("slstm", convention, reference=_REF)
    x, W, R, b = _gates(cb)
    h, c, n = cb.state("h"), cb.state("c"), cb.state("n")
    i_t = cb.let("i_tilde", W[0] @ x + R[0] @ h + b[0],
                 role=Role.INPUT_PRE_ACTIVATION)
    f_t = cb.let("f_tilde", W[1] @ x + R[1] @ h + b[1],
                 role=Role.FORGET_PRE_ACTIVATION)
    i = cb.let("i", exp(i_t), role=Role.INPUT_GATE)
    f = cb.let("f", sigmoid(f_t) if convention == "sigmoid" else exp(f_t),
               role=Role.FORGET_GATE)
    return _cell_update(cb, convention, x, W, R, b, (h, c, n), i, f)


def slstm_stabilized(convention="sigmoid"):
    """The stabilized sLSTM (states ``h, c, n, m``), as xLSTM's vanilla backend runs it."""
    convention = _check(convention)
    cb = CellBuilder("slstm_stabilized", convention, reference=_REF + " (stabilized); xlstm "
                     "vanilla backend")
    x, W, R, b = _gates(cb)
    h, c, n, m = cb.state("h"), cb.state("c"), cb.state("n"), cb.state("m")
    i_t = cb.let("i_tilde", W[0] @ x + R[0] @ h + b[0],
                 role=Role.INPUT_PRE_ACTIVATION)
    f_t = W[1] @ x + R[1] @ h + b[1]
    log_f = cb.let("log_f", -softplus(-f_t) if convention == "sigmoid" else f_t,
                   role=Role.LOG_FORGET_GATE)
    m_next = cb.update(m, maximum(log_f + m, i_t), role=Role.STABILIZER_STATE)
    i = cb.let("i", exp(i_t - m_next), role=Role.INPUT_GATE)
    f = cb.let("f", exp(log_f + m - m_next), role=Role.FORGET_GATE)
    return _cell_update(cb, convention, x, W, R, b, (h, c, n), i, f)

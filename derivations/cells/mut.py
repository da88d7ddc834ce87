r"""The three evolved architectures MUT1, MUT2, MUT3 of Jozefowicz, Zaremba & Sutskever
(2015), as torchrecurrent's ``MUT1Cell``, ``MUT2Cell``, ``MUT3Cell``.

The paper ("An empirical exploration of recurrent network architectures", ICML 2015) found
them by mutating the GRU; it writes (state :math:`h_t \to h_{t+1}`):

.. math::

    \text{MUT1:}\quad z &= \sigma(W_{xz} x_t + b_z), \quad
        r = \sigma(W_{xr} x_t + W_{hr} h_t + b_r), \\
    h_{t+1} &= \tanh(W_{hh} (r \odot h_t) + \tanh(x_t) + b_h) \odot z + h_t \odot (1 - z) \\
    \text{MUT2:}\quad z &= \sigma(W_{xz} x_t + W_{hz} h_t + b_z), \quad
        r = \sigma(x_t + W_{hr} h_t + b_r), \\
    h_{t+1} &= \tanh(W_{hh} (r \odot h_t) + W_{xh} x_t + b_h) \odot z + h_t \odot (1 - z) \\
    \text{MUT3:}\quad z &= \sigma(W_{xz} x_t + W_{hz} \tanh(h_t) + b_z), \quad
        r = \sigma(W_{xr} x_t + W_{hr} h_t + b_r), \\
    h_{t+1} &= \tanh(W_{hh} (r \odot h_t) + W_{xh} x_t + b_h) \odot z + h_t \odot (1 - z)

The cells follow torchrecurrent's ``forward`` (packed order z, r, n; the candidate is named
:math:`n_t`):

.. math::

    z_t &= \sigma(W_{iz} x_t + b_{iz} + [\,W_{hz} h_{t-1} \text{ (MUT2) } \mid
        W_{hz} \tanh(h_{t-1}) \text{ (MUT3) }\,] + [\,b_{hz}\,]) \\
    r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
    n_t &= \tanh(W_{hn} (r_t \odot h_{t-1}) + b_{hn} + [\,\tanh(W_{in} x_t + b_{in})
        \text{ (MUT1) } \mid W_{in} x_t + b_{in}\,]) \\
    h_t &= z_t \odot n_t + (1 - z_t) \odot h_{t-1}

(MUT1's update gate reads only the input: :math:`z_t = \sigma(W_{iz} x_t + b_{iz})`.)

How the papers differ: MUT1's candidate adds :math:`\tanh(x_t)`, the raw input (so the paper
needs input size = hidden size); torchrecurrent adds :math:`\tanh(W_{in} x_t + b_{in})`.
MUT2's reset gate adds the raw input, :math:`r = \sigma(x_t + W_{hr} h_t + b_r)`;
torchrecurrent uses :math:`W_{ir} x_t + b_{ir}`, which makes its MUT2 exactly the GRU of
Cho et al. in the ``seed`` update convention (reset before the recurrent matrix). MUT3
matches the paper. The gates' biases (two in torchrecurrent, one in the paper) add up.
torchrecurrent's own MUT3 docstring writes :math:`z` with :math:`W_{hz} h_{t-1}` and
:math:`r` with the raw :math:`x_t`; its code (followed here) reads :math:`\tanh(h_{t-1})`
and :math:`W_{ir} x_t`, as the paper.

:math:`z_t \to 0` carries the state.
"""

from .._errors import DerivationError
from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["mut1", "mut2", "mut3"]

_REFERENCE = "Jozefowicz, Zaremba & Sutskever 2015 ({}); torchrecurrent {}Cell"


def _mut(kind, convention):
    if convention is not None:
        raise DerivationError(f"cell {kind.lower()!r} has one form; got convention "
                              f"{convention!r}")
    cb = CellBuilder(kind.lower(), convention, reference=_REFERENCE.format(kind, kind))
    x, h = cb.input("x"), cb.state("h")
    W_iz, W_ir, W_in = cb.weights("W_iz W_ir W_in")
    b_iz, b_ir, b_in = cb.biases("b_iz b_ir b_in")
    if kind == "MUT1":
        W_hr, W_hn = cb.weights("W_hr W_hn")
        b_hr, b_hn = cb.biases("b_hr b_hn")
        z = cb.let("z", sigmoid(W_iz @ x + b_iz), role=Role.UPDATE_GATE)
    else:
        W_hz, W_hr, W_hn = cb.weights("W_hz W_hr W_hn")
        b_hz, b_hr, b_hn = cb.biases("b_hz b_hr b_hn")
        past = h if kind == "MUT2" else tanh(h)
        z = cb.let("z", sigmoid(W_iz @ x + b_iz + W_hz @ past + b_hz), role=Role.UPDATE_GATE)
    r = cb.let("r", sigmoid(W_ir @ x + b_ir + W_hr @ h + b_hr), role=Role.RESET_GATE)
    inp = tanh(W_in @ x + b_in) if kind == "MUT1" else W_in @ x + b_in
    n = cb.let("n", tanh(W_hn @ (r * h) + b_hn + inp), role=Role.CANDIDATE)
    cb.update(h, z * n + (1 - z) * h)
    hh = "W_hr W_hn" if kind == "MUT1" else "W_hz W_hr W_hn"
    cb.layout(weight_ih="W_iz W_ir W_in", weight_hh=hh, bias_ih="b_iz b_ir b_in",
              bias_hh=hh.replace("W_", "b_"))
    cb.attributes(gate_order="z, r, n", reset="before the recurrent matrix",
                  update="z -> 0 keeps h_{t-1}")
    cb.carrying(z, 0)
    return cb.build()


def mut1(convention=None):
    """MUT1: the update gate reads only the input; the candidate adds tanh of its input
    projection."""
    return _mut("MUT1", convention)


def mut2(convention=None):
    """MUT2 as torchrecurrent runs it (the GRU of Cho et al., seed update convention)."""
    return _mut("MUT2", convention)


def mut3(convention=None):
    """MUT3: the update gate reads tanh of the previous state."""
    return _mut("MUT3", convention)

r"""The original LSTM of Hochreiter & Schmidhuber (1997): no forget gate.

The paper's memory cell :math:`c_j` has an input gate :math:`\mathrm{in}_j` and an output gate
:math:`\mathrm{out}_j`; its internal state :math:`s_{c_j}` is the constant error carousel,

.. math::

    y^{\mathrm{in}_j}(t) &= f_{\mathrm{in}_j}(\mathrm{net}_{\mathrm{in}_j}(t)), \qquad
    y^{\mathrm{out}_j}(t) = f_{\mathrm{out}_j}(\mathrm{net}_{\mathrm{out}_j}(t)), \qquad
    \mathrm{net}_u(t) = \textstyle\sum_v w_{uv} y^v(t-1) \\
    s_{c_j}(t) &= s_{c_j}(t-1) + y^{\mathrm{in}_j}(t)\, g(\mathrm{net}_{c_j}(t)) \\
    y^{c_j}(t) &= y^{\mathrm{out}_j}(t)\, h(s_{c_j}(t))

with :math:`f` the logistic sigmoid and :math:`g, h` centred sigmoids of ranges
:math:`[-2, 2]` and :math:`[-1, 1]`. torchrecurrent's ``OriginalLSTMCell`` (what this cell
follows), in its chunk order i, c, o:

.. math::

    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
    c_t &= c_{t-1} + i_t \odot g_t \\
    h_t &= o_t \odot \tanh(c_t)

How the paper differs: :math:`g(x) = 4\sigma(x) - 2 = 2\tanh(x/2)` and :math:`h(x) =
2\sigma(x) - 1 = \tanh(x/2)` where the code has :math:`\tanh(x)` for both; the paper's gates
and cell inputs read every unit's previous activation (inputs, gates and cell outputs alike)
through one weight each and no biases are written, where the code reads
:math:`x_t, h_{t-1}` with a bias on each side; the paper trains with a truncated gradient
(errors are not sent back through the recurrent inputs of the gates and cell inputs), a
choice of training, not of the cell: the Jacobian here is the full one.

The carry is exactly the identity, :math:`\partial c_t / \partial c_{t-1} = I`, for every
parameter and state: no gate is needed for it, and the derived bounds say so exactly
(global upper bound 1, Weyl lower bound 1 with equality, identity gap 0), with no
saturation limit (the carry holds no gate). What a gate decides is the rest of the
:math:`c` rows: the input gate :math:`i \to 0` makes :math:`c_t = c_{t-1}` and
:math:`\partial c_t / \partial h_{t-1} \to 0`, so the cell declares ``carrying(i, 0)`` (the
``chrono`` initialisation then closes the input gate, :math:`b_{ii} = -\log U[1, T-1]`).
Nothing bounds the cell itself: :math:`|c_t| \le |c_{t-1}| + 1`, and with :math:`i = g = 1`
it grows by one every step, the drift the forget gate of Gers et al. (2000) was added to
undo.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["original_lstm"]


def original_lstm(convention=None):
    cb = CellBuilder("original_lstm", convention,
                     reference="Hochreiter & Schmidhuber 1997; torchrecurrent OriginalLSTMCell")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_ii, W_ig, W_io = cb.weights("W_ii W_ig W_io")
    W_hi, W_hg, W_ho = cb.weights("W_hi W_hg W_ho")
    b_ii, b_ig, b_io = cb.biases("b_ii b_ig b_io")
    b_hi, b_hg, b_ho = cb.biases("b_hi b_hg b_ho")
    i = cb.let("i", sigmoid(W_ii @ x + b_ii + W_hi @ h + b_hi), role=Role.INPUT_GATE)
    g = cb.let("g", tanh(W_ig @ x + b_ig + W_hg @ h + b_hg), role=Role.CELL_CANDIDATE)
    o = cb.let("o", sigmoid(W_io @ x + b_io + W_ho @ h + b_ho), role=Role.OUTPUT_GATE)
    c_next = cb.update(c, c + i * g, role=Role.CELL_STATE)
    cb.update(h, o * tanh(c_next))
    cb.layout(weight_ih="W_ii W_ig W_io", weight_hh="W_hi W_hg W_ho",
              bias_ih="b_ii b_ig b_io", bias_hh="b_hi b_hg b_ho")
    cb.attributes(gate_order="i, g, o", forget_gate="none (c_t = c_{t-1} + i_t g_t)")
    cb.carrying(i, 0)
    return cb.build()

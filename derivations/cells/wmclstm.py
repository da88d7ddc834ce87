r"""The LSTM with working-memory connections of Landi, Baraldi, Cornia & Cucchiara (2021).

The gates read the cell through a full matrix squashed by :math:`\tanh` (a "protected"
cell-to-gate connection, where the peephole's :math:`p \odot c` is unbounded). In the
paper's symbols,

.. math::

    g_t &= \tanh(W_{gx} x_t + W_{gh} h_{t-1} + b_g) \\
    i_t &= \sigma(W_{ix} x_t + W_{ih} h_{t-1} + b_i + \tanh(W_{ic} c_{t-1})) \\
    f_t &= \sigma(W_{fx} x_t + W_{fh} h_{t-1} + b_f + \tanh(W_{fc} c_{t-1})) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    o_t &= \sigma(W_{ox} x_t + W_{oh} h_{t-1} + b_o + \tanh(W_{oc} c_t)) \\
    h_t &= o_t \odot \tanh(c_t)

torchrecurrent's ``WMCLSTMCell`` (what this cell follows), chunks i, f, g, o of
``weight_ih``/``weight_hh``/``bias_ih``/``bias_hh`` and i, f, o of ``weight_mh``/``bias_mh``:

.. math::

    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}
           + \tanh(W_{ci} c_{t-1} + b_{ci})) \\
    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}
           + \tanh(W_{cf} c_{t-1} + b_{cf})) \\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}
           + \tanh(W_{co} c_t + b_{co})) \\
    h_t &= o_t \odot \tanh(c_t)

How the paper differs: one bias per gate, none inside the :math:`\tanh` (the code has
:math:`b_x`, :math:`b_h` and :math:`b_c`). torchrecurrent's own docstring for this class
does not match its ``forward``: it writes the connections without the :math:`\tanh`
(:math:`W_{mh} c + b_{mh}` added to the gate) and the candidate without
:math:`W_{hg} h_{t-1} + b_{hg}`; the code has both, as the paper does.

The carry :math:`\partial c_t / \partial c_{t-1}` is no longer diagonal: beside
:math:`\operatorname{diag}(f_t)` the working memory adds :math:`\operatorname{diag}(c_{t-1}
f_t (1 - f_t) (1 - w_f^2)) W_{cf} + \operatorname{diag}(g_t i_t (1 - i_t) (1 - w_i^2))
W_{ci}`, so the derived bound on it is :math:`1 + \tfrac14 \|W_{ci}\|_2 + \tfrac14
\|c_{t-1}\|_\infty \|W_{cf}\|_2`. Both extra terms vanish as :math:`f \to 1` and
:math:`i \to 0` together; :math:`f \to 1` alone leaves the input gate's.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["wmclstm"]


def wmclstm(convention=None):
    cb = CellBuilder("wmclstm", convention,
                     reference="Landi, Baraldi, Cornia & Cucchiara 2021 (working memory "
                               "connections); torchrecurrent WMCLSTMCell")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_ii, W_if, W_ig, W_io = cb.weights("W_ii W_if W_ig W_io")
    W_hi, W_hf, W_hg, W_ho = cb.weights("W_hi W_hf W_hg W_ho")
    W_ci, W_cf, W_co = cb.weights("W_ci W_cf W_co")
    b_ii, b_if, b_ig, b_io = cb.biases("b_ii b_if b_ig b_io")
    b_hi, b_hf, b_hg, b_ho = cb.biases("b_hi b_hf b_hg b_ho")
    b_ci, b_cf, b_co = cb.biases("b_ci b_cf b_co")
    w_i = cb.let("w_i", tanh(W_ci @ c + b_ci), role=Role.PROJECTION)
    w_f = cb.let("w_f", tanh(W_cf @ c + b_cf), role=Role.PROJECTION)
    i = cb.let("i", sigmoid(W_ii @ x + b_ii + W_hi @ h + b_hi + w_i), role=Role.INPUT_GATE)
    f = cb.let("f", sigmoid(W_if @ x + b_if + W_hf @ h + b_hf + w_f), role=Role.FORGET_GATE)
    g = cb.let("g", tanh(W_ig @ x + b_ig + W_hg @ h + b_hg), role=Role.CELL_CANDIDATE)
    c_next = cb.update(c, f * c + i * g, role=Role.CELL_STATE)
    w_o = cb.let("w_o", tanh(W_co @ c_next + b_co), role=Role.PROJECTION)
    o = cb.let("o", sigmoid(W_io @ x + b_io + W_ho @ h + b_ho + w_o), role=Role.OUTPUT_GATE)
    cb.update(h, o * tanh(c_next))
    cb.layout(weight_ih="W_ii W_if W_ig W_io", weight_hh="W_hi W_hf W_hg W_ho",
              weight_mh="W_ci W_cf W_co", bias_ih="b_ii b_if b_ig b_io",
              bias_hh="b_hi b_hf b_hg b_ho", bias_mh="b_ci b_cf b_co")
    cb.attributes(gate_order="i, f, g, o; working memory i, f, o",
                  working_memory="w = tanh(W_c c + b_c) added to the gate's pre-activation "
                                 "(i, f read c_{t-1}; o reads c_t)")
    cb.carrying(f, 1)
    return cb.build()

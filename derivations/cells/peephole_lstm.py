r"""The LSTM with peephole connections (Gers, Schraudolph & Schmidhuber 2002).

The input and forget gates read the previous cell :math:`c_{t-1}`, the output gate the new
one :math:`c_t`, through elementwise weights :math:`p_i, p_f, p_o` (ONNX's LSTM input ``P``,
in the order i, o, f):

.. math::

    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi} + p_i \odot c_{t-1}) \\
    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf} + p_f \odot c_{t-1}) \\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho} + p_o \odot c_t) \\
    h_t &= o_t \odot \tanh(c_t)

The carry :math:`\partial c_t / \partial c_{t-1}` is no longer :math:`\operatorname{diag}(f_t)`
alone: the peepholes add :math:`\operatorname{diag}(c_{t-1} f_t (1 - f_t) p_f + g_t i_t
(1 - i_t) p_i)`, still diagonal.

torchrecurrent's ``PeepholeLSTMCell`` is this cell exactly: chunks i, f, c, o of
``weight_ih``/``weight_hh``/``bias_ih``/``bias_hh`` and peepholes ``weight_ph`` = :math:`p_i,
p_f, p_o` (the last reading the new :math:`c_t`), with ``nonlinearity`` (tanh) for both the
candidate and the cell output and ``gate_nonlinearity`` (sigmoid) for the gates; the loader
refuses other activations. How the paper differs: Gers et al. write one memory block of
cells sharing its gates, the peephole weights :math:`w_{c_j \mathrm{in}}, w_{c_j \varphi},
w_{c_j \mathrm{out}}` from each cell's state to its own block's gates, one bias per unit
(no :math:`b_h` beside :math:`b_x`), and gates reading every unit's previous output; the
code's per-unit elementwise peepholes are the case of blocks of one cell.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["peephole_lstm"]


def peephole_lstm(convention=None):
    cb = CellBuilder("peephole_lstm", convention,
                     reference="Gers, Schraudolph & Schmidhuber 2002; ONNX LSTM with P")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_ii, W_if, W_ig, W_io = cb.weights("W_ii W_if W_ig W_io")
    W_hi, W_hf, W_hg, W_ho = cb.weights("W_hi W_hf W_hg W_ho")
    b_ii, b_if, b_ig, b_io = cb.biases("b_ii b_if b_ig b_io")
    b_hi, b_hf, b_hg, b_ho = cb.biases("b_hi b_hf b_hg b_ho")
    p_i, p_f, p_o = cb.vector("p_i"), cb.vector("p_f"), cb.vector("p_o")
    i = cb.let("i", sigmoid(W_ii @ x + b_ii + W_hi @ h + b_hi + p_i * c),
               role=Role.INPUT_GATE)
    f = cb.let("f", sigmoid(W_if @ x + b_if + W_hf @ h + b_hf + p_f * c),
               role=Role.FORGET_GATE)
    g = cb.let("g", tanh(W_ig @ x + b_ig + W_hg @ h + b_hg), role=Role.CELL_CANDIDATE)
    c_next = cb.update(c, f * c + i * g, role=Role.CELL_STATE)
    o = cb.let("o", sigmoid(W_io @ x + b_io + W_ho @ h + b_ho + p_o * c_next),
               role=Role.OUTPUT_GATE)
    cb.update(h, o * tanh(c_next))
    cb.layout(weight_ih="W_ii W_if W_ig W_io", weight_hh="W_hi W_hf W_hg W_ho",
              bias_ih="b_ii b_if b_ig b_io", bias_hh="b_hi b_hf b_hg b_ho",
              weight_ph="p_i p_f p_o")
    cb.attributes(gate_order="i, f, g, o", peepholes="p_i, p_f read c_{t-1}; p_o reads c_t")
    cb.carrying(f, 1)
    return cb.build()

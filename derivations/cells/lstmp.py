r"""The LSTM with a recurrent projection layer, LSTMP (Sak, Senior & Beaufays 2014), in
PyTorch's gate order i, f, g, o (``nn.LSTM(..., proj_size=P)``).

The gates read the projected output :math:`h_{t-1} \in \mathbb{R}^P` (:math:`0 < P < H`);
the memory cell :math:`c_t` keeps the hidden size :math:`H`:

.. math::

    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    m_t &= o_t \odot \tanh(c_t) \\
    h_t &= W_{hr} m_t

with :math:`W_{h\cdot}` of shape :math:`H \times P` and the projection :math:`W_{hr}` of
shape :math:`P \times H` (torch's ``weight_hr_l{k}``; the paper's :math:`W_{rm}`, its
:math:`r_t` our :math:`h_t`). The state is :math:`(h, c)` of size :math:`P + H`; the
Jacobian's blocks are :math:`\partial h_t / \partial h_{t-1}` (P x P),
:math:`\partial h_t / \partial c_{t-1} = W_{hr} \operatorname{diag}(o_t (1 - \tanh^2 c_t) f_t)`
(P x H), :math:`\partial c_t / \partial h_{t-1}` (H x P) and the carry
:math:`\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)` (H x H), as in the LSTM.
How the paper differs: it also has peepholes and an optional non-recurrent projection
:math:`p_t` (both absent from torch's module), and writes one bias per gate.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["lstmp"]


def lstmp(convention=None):
    cb = CellBuilder("lstmp", convention,
                     reference="Sak, Senior & Beaufays 2014; PyTorch nn.LSTM(proj_size=P)")
    x, h, c = cb.input("x"), cb.state("h", dim="P"), cb.state("c")
    W_ii, W_if, W_ig, W_io = cb.weights("W_ii W_if W_ig W_io")
    W_hi, W_hf, W_hg, W_ho = cb.weights("W_hi W_hf W_hg W_ho")
    W_hr = cb.weight("W_hr", rows="P")
    b_ii, b_if, b_ig, b_io = cb.biases("b_ii b_if b_ig b_io")
    b_hi, b_hf, b_hg, b_ho = cb.biases("b_hi b_hf b_hg b_ho")
    i = cb.let("i", sigmoid(W_ii @ x + b_ii + W_hi @ h + b_hi), role=Role.INPUT_GATE)
    f = cb.let("f", sigmoid(W_if @ x + b_if + W_hf @ h + b_hf), role=Role.FORGET_GATE)
    g = cb.let("g", tanh(W_ig @ x + b_ig + W_hg @ h + b_hg), role=Role.CELL_CANDIDATE)
    o = cb.let("o", sigmoid(W_io @ x + b_io + W_ho @ h + b_ho), role=Role.OUTPUT_GATE)
    c_next = cb.update(c, f * c + i * g, role=Role.CELL_STATE)
    m = cb.let("m", o * tanh(c_next), role=Role.CELL_OUTPUT)
    cb.update(h, W_hr @ m, role=Role.PROJECTION)
    cb.layout(weight_ih="W_ii W_if W_ig W_io", weight_hh="W_hi W_hf W_hg W_ho",
              bias_ih="b_ii b_if b_ig b_io", bias_hh="b_hi b_hf b_hg b_ho",
              weight_hr="W_hr")
    cb.attributes(gate_order="i, f, g, o", projection="h_t = W_hr m_t, P < H")
    cb.carrying(f, 1)
    return cb.build()

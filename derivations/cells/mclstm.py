r"""The memory-controller LSTM (MC-LSTM), as torchrecurrent's ``MCLSTMCell``.

The reference torchrecurrent cites (an Intel NIPS 2017 workshop paper on sequence modeling)
drives every gate by a *control vector* :math:`v_{t-1}` instead of the output
:math:`h_{t-1}`; the output :math:`h_t` is not fed back, and the state is :math:`(v, c)`:

.. math::

    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} v_{t-1} + b_{hf}) \\
    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} v_{t-1} + b_{hi}) \\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} v_{t-1} + b_{ho}) \\
    m_t &= \sigma(W_{im} x_t + b_{im} + W_{hm} v_{t-1} + b_{hm}) \\
    n_t &= \tanh(W_{in} x_t + b_{in} + W_{hn} v_{t-1} + b_{hn}) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot n_t \\
    h_t &= o_t \odot \tanh(c_t) \\
    v_t &= m_t \odot \tanh(c_t)

:math:`h_t` is the cell's output (``cb.output``): the output gate :math:`o` reaches no
Jacobian path. The state Jacobian of :math:`(v, c)` is the LSTM's with :math:`m` in the
role of :math:`o`: :math:`\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)` (the
carry, :math:`f \to 1`), :math:`\partial v_t / \partial c_{t-1} =
\operatorname{diag}(m_t (1 - \tanh^2 c_t) f_t)`.

Paper vs torchrecurrent: the equations above are torchrecurrent's (its docstring's and its
``forward``'s agree; the workshop paper could not be checked here beyond them); the code's
two biases per pre-activation (``bias_ih``, ``bias_hh``) sum to one. The squashing of
:math:`c_t` is always :math:`\tanh` (``cell_nonlinearity`` sets only :math:`n`'s). The
packed blocks are in the order :math:`f, i, o, m, n`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["mclstm"]


def mclstm(convention=None):
    cb = CellBuilder("mclstm", convention,
                     reference="MC-LSTM (Intel, NIPS 2017 workshop); torchrecurrent MCLSTMCell")
    x, v, c = cb.input("x"), cb.state("v"), cb.state("c")
    W_if, W_ii, W_io, W_im, W_in = cb.weights("W_if W_ii W_io W_im W_in")
    W_hf, W_hi, W_ho, W_hm, W_hn = cb.weights("W_hf W_hi W_ho W_hm W_hn")
    b_if, b_ii, b_io, b_im, b_in = cb.biases("b_if b_ii b_io b_im b_in")
    b_hf, b_hi, b_ho, b_hm, b_hn = cb.biases("b_hf b_hi b_ho b_hm b_hn")
    f = cb.let("f", sigmoid(W_if @ x + b_if + W_hf @ v + b_hf), role=Role.FORGET_GATE)
    i = cb.let("i", sigmoid(W_ii @ x + b_ii + W_hi @ v + b_hi), role=Role.INPUT_GATE)
    o = cb.let("o", sigmoid(W_io @ x + b_io + W_ho @ v + b_ho), role=Role.OUTPUT_GATE)
    m = cb.let("m", sigmoid(W_im @ x + b_im + W_hm @ v + b_hm), role=Role.CONTROL_GATE)
    n = cb.let("n", tanh(W_in @ x + b_in + W_hn @ v + b_hn), role=Role.CELL_CANDIDATE)
    c_next = cb.update(c, f * c + i * n, role=Role.CELL_STATE)
    cb.update(v, m * tanh(c_next))
    cb.output("h", o * tanh(c_next))
    cb.layout(weight_ih="W_if W_ii W_io W_im W_in", weight_hh="W_hf W_hi W_ho W_hm W_hn",
              bias_ih="b_if b_ii b_io b_im b_in", bias_hh="b_hf b_hi b_ho b_hm b_hn")
    cb.attributes(gate_order="f, i, o, m, n", output="h (not the state v)")
    cb.carrying(f, 1)
    return cb.build()

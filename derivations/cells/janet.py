r"""JANET, the forget-gate-only LSTM of van der Westhuizen & Lasenby (2018).

One gate :math:`\sigma(s_t)` forgets, and the same pre-activation shifted by :math:`\beta`
decides what is written. In the paper's symbols,

.. math::

    s_t &= U_f h_{t-1} + W_f x_t + b_f \\
    \tilde c_t &= \tanh(U_c h_{t-1} + W_c x_t + b_c) \\
    c_t &= \sigma(s_t) \odot c_{t-1} + (1 - \sigma(s_t - \beta)) \odot \tilde c_t \\
    h_t &= c_t

with :math:`\beta` a fixed hyper-parameter (1 in the paper) and the forget biases
chrono-initialised. torchrecurrent's ``JANETCell`` (what this cell follows), chunks f, c:

.. math::

    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
    u_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf} - \beta) \\
    \tilde c_t &= \tanh(W_{ic} x_t + b_{ic} + W_{hc} h_{t-1} + b_{hc}) \\
    c_t &= f_t \odot c_{t-1} + (1 - u_t) \odot \tilde c_t, \qquad h_t = c_t

(:math:`u_t` is what the code names ``update_gate``). Like torchrecurrent, the cell keeps two
states :math:`(h, c)`, both returned equal: the gates read :math:`h_{t-1}`, the carry reads
:math:`c_{t-1}`, and a caller may pass :math:`h \ne c`; the Jacobian has the four blocks
:math:`\partial c_t / \partial c_{t-1} = \partial h_t / \partial c_{t-1} =
\operatorname{diag}(f_t)` and :math:`\partial c_t / \partial h_{t-1} = \partial h_t /
\partial h_{t-1}`. The pre-activation :math:`s_t` is written out in both gates (not named)
so that ``numeric.init``'s ``chrono`` scheme finds the forget gate's biases in it.

How the paper differs: :math:`\beta` is an ``nn.Parameter`` in the code (learned, default 1,
read from the state dict), a fixed constant in the paper; two biases per gate; one state.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["janet"]


def janet(convention=None):
    cb = CellBuilder("janet", convention,
                     reference="van der Westhuizen & Lasenby 2018 (JANET); torchrecurrent "
                               "JANETCell")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_if, W_ic = cb.weights("W_if W_ic")
    W_hf, W_hc = cb.weights("W_hf W_hc")
    b_if, b_ic = cb.biases("b_if b_ic")
    b_hf, b_hc = cb.biases("b_hf b_hc")
    beta = cb.scalar("beta", default=1.0)
    s_t = W_if @ x + b_if + W_hf @ h + b_hf
    f = cb.let("f", sigmoid(s_t), role=Role.FORGET_GATE)
    u = cb.let("u", sigmoid(s_t - beta), role=Role.UPDATE_GATE)
    c_tilde = cb.let("c_tilde", tanh(W_ic @ x + b_ic + W_hc @ h + b_hc),
                     role=Role.CELL_CANDIDATE)
    c_next = cb.update(c, f * c + (1 - u) * c_tilde, role=Role.CELL_STATE)
    cb.update(h, c_next)
    cb.layout(weight_ih="W_if W_ic", weight_hh="W_hf W_hc",
              bias_ih="b_if b_ic", bias_hh="b_hf b_hc")
    cb.attributes(gate_order="f, c", input="1 - sigma(s_t - beta), s_t the forget "
                                           "pre-activation", output="h_t = c_t")
    cb.carrying(f, 1)
    return cb.build()

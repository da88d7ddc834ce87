r"""The Light Recurrent Unit (LRU, torchrecurrent's LightRU) of Ye, Zhang, Liu, Li, Chang &
Zheng (2024).

Paper ("Light Recurrent Unit: Towards an Interpretable Recurrent Neural Network for Modeling
Long-Range Dependency", Electronics 13(16):3204, sec. 3.2), in its symbols: a candidate read
from the input alone and one forget gate, the only gate with a bias,

.. math::

    \tilde{h}_t &= \tanh(W_h x_t) \\
    f_t &= \sigma(W_f x_t + U_f h_{t-1} + b_f) \\
    h_t &= (1 - f_t) \odot h_{t-1} + f_t \odot \tilde{h}_t

The cell follows torchrecurrent's ``LightRUCell`` (``weight_ih``, ``bias_ih`` in the order
candidate, f; ``weight_hh``, ``bias_hh`` for f alone):

.. math::

    \tilde{h}_t &= \tanh(W_{in} x_t + b_{in}) \\
    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
    h_t &= (1 - f_t) \odot h_{t-1} + f_t \odot \tilde{h}_t

Paper vs code: the code adds a bias :math:`b_{in}` to the candidate, which the paper does
not have, and splits the gate's bias in two (:math:`b_f = b_{if} + b_{hf}`). The paper's
"stack recurrent cells" (SRC) act between layers, not inside the cell. The candidate does
not see the past, so :math:`\partial h_t / \partial h_{t-1} = \operatorname{diag}(1 - f_t)
+ \operatorname{diag}(f_t (1 - f_t) (\tilde{h}_t - h_{t-1})) W_{hf}`: the forget gate
carries at :math:`f \to 0`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["lightru"]


def lightru(convention=None):
    cb = CellBuilder("lightru", convention,
                     reference="Ye, Zhang, Liu, Li, Chang & Zheng 2024 (Light Recurrent Unit)")
    x, h = cb.input("x"), cb.state("h")
    W_in, W_if, W_hf = cb.weights("W_in W_if W_hf")
    b_in, b_if, b_hf = cb.biases("b_in b_if b_hf")
    h_tilde = cb.let("h_tilde", tanh(W_in @ x + b_in), role=Role.CANDIDATE)
    f = cb.let("f", sigmoid(W_if @ x + b_if + W_hf @ h + b_hf), role=Role.FORGET_GATE)
    cb.update(h, (1 - f) * h + f * h_tilde)
    cb.layout(weight_ih="W_in W_if", weight_hh="W_hf", bias_ih="b_in b_if", bias_hh="b_hf")
    cb.attributes(gate_order="candidate, f (weight_hh, bias_hh: f only)")
    cb.carrying(f, 0)
    return cb.build()

r"""The light gated recurrent unit (Li-GRU) of Ravanelli, Brakel, Omologo & Bengio (2018).

Paper ("Light Gated Recurrent Units for Speech Recognition", IEEE TETCI 2(2), eqs. 5-8), in
its symbols: the GRU without its reset gate, a ReLU candidate and batch normalization on the
feed-forward connections,

.. math::

    z_t &= \sigma(\operatorname{BN}(W_z x_t) + U_z h_{t-1}) \\
    \tilde{h}_t &= \operatorname{ReLU}(\operatorname{BN}(W_h x_t) + U_h h_{t-1}) \\
    h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot \tilde{h}_t

The cell follows torchrecurrent's ``LiGRUCell`` (packed blocks in the order z, candidate):

.. math::

    z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
    \tilde{h}_t &= \operatorname{relu}(W_{in} x_t + b_{in} + W_{hn} h_{t-1} + b_{hn}) \\
    h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot \tilde{h}_t

Paper vs code: the code has no batch normalization; it has biases instead (at inference a
batch norm is the affine map :math:`\gamma (u - \mu) / \sqrt{\sigma^2 + \epsilon} + \beta`,
which folds into :math:`W_{i\cdot}` and :math:`b_{i\cdot}`, so a trained paper model maps
onto this cell). The ReLU's derivative is taken a.e. (:math:`\operatorname{relu}'(0) = 0`,
as autograd). The update gate carries at :math:`z \to 1`.
"""

from ..facts import Role
from ..functions import relu, sigmoid
from ..language import CellBuilder

__all__ = ["ligru"]


def ligru(convention=None):
    cb = CellBuilder("ligru", convention,
                     reference="Ravanelli, Brakel, Omologo & Bengio 2018 (Li-GRU)")
    x, h = cb.input("x"), cb.state("h")
    W_iz, W_in = cb.weights("W_iz W_in")
    W_hz, W_hn = cb.weights("W_hz W_hn")
    b_iz, b_in, b_hz, b_hn = cb.biases("b_iz b_in b_hz b_hn")
    z = cb.let("z", sigmoid(W_iz @ x + b_iz + W_hz @ h + b_hz), role=Role.UPDATE_GATE)
    h_tilde = cb.let("h_tilde", relu(W_in @ x + b_in + W_hn @ h + b_hn), role=Role.CANDIDATE)
    cb.update(h, z * h + (1 - z) * h_tilde)
    cb.layout(weight_ih="W_iz W_in", weight_hh="W_hz W_hn",
              bias_ih="b_iz b_in", bias_hh="b_hz b_hn")
    cb.attributes(gate_order="z, candidate")
    cb.carrying(z, 1)
    return cb.build()

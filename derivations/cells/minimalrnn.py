r"""The minimalRNN of Chen, Pennington & Schoenholz (2018), written with the public language.

.. math::

    z_t &= \tanh(W_{x} x_t + b_{z}) \\
    u_t &= \sigma(U_{h} h_{t-1} + U_{z} z_t + b_{u}) \\
    h_t &= u_t \odot h_{t-1} + (1 - u_t) \odot z_t

The input is embedded once (:math:`\Phi(x) = \tanh(W_x x + b_z)`); only the update gate
:math:`u_t` sees the past, so the carry path is :math:`\operatorname{diag}(u_t)`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["minimalrnn"]


def minimalrnn(convention=None):
    cb = CellBuilder("minimalrnn", convention,
                     reference="Chen, Pennington & Schoenholz 2018")
    x, h = cb.input("x"), cb.state("h")
    W_x, U_h, U_z = cb.weights("W_x U_h U_z")
    b_z, b_u = cb.biases("b_z b_u")
    z = cb.let("z", tanh(W_x @ x + b_z), role=Role.INPUT_EMBEDDING)
    u = cb.let("u", sigmoid(U_h @ h + U_z @ z + b_u), role=Role.UPDATE_GATE)
    cb.update(h, u * h + (1 - u) * z)
    cb.carrying(u, 1)
    return cb.build()

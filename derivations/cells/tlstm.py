r"""The strongly-typed LSTM (T-LSTM) of Balduzzi & Ghifary (2016), as torchrecurrent's
``TLSTMCell``.

The paper (Balduzzi & Ghifary, "Strongly-Typed Recurrent Neural Networks", ICML 2016) lets no
weight matrix act on a state: the weights :math:`V` act on the *previous input*
:math:`x_{t-1}`, and the output :math:`h_t` is not fed back.

.. math::

    z_t &= V_z x_{t-1} + W_z x_t + b_z \\
    f_t &= \sigma(V_f x_{t-1} + W_f x_t + b_f) \\
    o_t &= \tau(V_o x_{t-1} + W_o x_t + b_o) \\
    c_t &= f_t \odot c_{t-1} + (1 - f_t) \odot z_t \\
    h_t &= c_t \odot o_t

with :math:`\tau = \tanh`. The recurring state is :math:`(c_t, x_t)`; the cell carries
:math:`x_{t-1}` only through its projections :math:`p_{\ast, t-1} = V_\ast x_{t-1}` (hidden
size), so its states are :math:`(c, p_z, p_f, p_o)` with :math:`p_{\ast, t} = V_\ast x_t`
(exact), and :math:`h_t` is its output (``cb.output``), read by the next layer but not by the
state. The state Jacobian is block upper-triangular:

.. math::

    \frac{\partial c_t}{\partial c_{t-1}} = \operatorname{diag}(f_t), \quad
    \frac{\partial c_t}{\partial p_{z,t-1}} = \operatorname{diag}(1 - f_t), \quad
    \frac{\partial c_t}{\partial p_{f,t-1}} = \operatorname{diag}((c_{t-1} - z_t) f_t (1 - f_t)),

and every other block is zero (:math:`o` reaches only the output). :math:`f \to 1` carries
:math:`c` exactly, and :math:`c` stays a convex combination of :math:`c_{t-1}` and the
(unbounded, linear) latent :math:`z_t`. torchrecurrent's state :math:`x_{t-1}` maps to
:math:`p_{t-1} = V x_{t-1}` (its zero default to :math:`p = 0`), and its Jacobian columns of
:math:`x_{t-1}` are these :math:`p` columns times :math:`V_\ast`.

Paper vs torchrecurrent (the cell follows torchrecurrent): the code adds two biases,
``bias_ih`` (:math:`b_\ast`) and ``bias_hh`` (:math:`b_{v\ast}`, paired with :math:`V`),
where the paper has one (their sum); its previous input before the first step is zero. The
packed blocks are in the order :math:`z, f, o`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["tlstm"]


def tlstm(convention=None):
    cb = CellBuilder("tlstm", convention,
                     reference="Balduzzi & Ghifary 2016 (strongly-typed RNNs); "
                               "torchrecurrent TLSTMCell")
    x, c = cb.input("x"), cb.state("c")
    p_z, p_f, p_o = cb.state("p_z"), cb.state("p_f"), cb.state("p_o")
    W_z, W_f, W_o = cb.weights("W_z W_f W_o")
    V_z, V_f, V_o = cb.weights("V_z V_f V_o")
    b_z, b_f, b_o = cb.biases("b_z b_f b_o")
    b_vz, b_vf, b_vo = cb.biases("b_vz b_vf b_vo")
    z = cb.let("z", W_z @ x + b_z + p_z + b_vz, role=Role.LATENT)
    f = cb.let("f", sigmoid(W_f @ x + b_f + p_f + b_vf), role=Role.FORGET_GATE)
    o = cb.let("o", tanh(W_o @ x + b_o + p_o + b_vo), role=Role.OUTPUT_GATE)
    c_next = cb.update(c, f * c + (1 - f) * z, role=Role.CELL_STATE)
    cb.update(p_z, V_z @ x, role=Role.DELAYED_INPUT)
    cb.update(p_f, V_f @ x, role=Role.DELAYED_INPUT)
    cb.update(p_o, V_o @ x, role=Role.DELAYED_INPUT)
    cb.output("h", c_next * o)
    cb.layout(weight_ih="W_z W_f W_o", weight_hh="V_z V_f V_o",
              bias_ih="b_z b_f b_o", bias_hh="b_vz b_vf b_vo")
    cb.attributes(gate_order="z, f, o",
                  delayed_input="p_* = V_* x_{t-1}, carried as states of size H")
    cb.carrying(f, 1)
    return cb.build()

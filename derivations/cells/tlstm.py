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
from ..language import CellBuilder
from .tgru import typed_cell

__all__ = ["tlstm"]


def tlstm(convention=None):
    cb = CellBuilder("tlstm", convention,
                     reference="Balduzzi & Ghifary 2016 (strongly-typed RNNs); "
                               "torchrecurrent TLSTMCell")
    c, (z, f, o), finish = typed_cell(cb, "c")
    c_next = cb.update(c, f * c + (1 - f) * z, role=Role.CELL_STATE)
    finish()
    cb.output("h", c_next * o)
    return cb.build()

r"""The strongly-typed GRU (T-GRU) of Balduzzi & Ghifary (2016), as torchrecurrent's
``TGRUCell``.

The paper (Balduzzi & Ghifary, "Strongly-Typed Recurrent Neural Networks", ICML 2016) lets no
weight matrix act on the state: the weights :math:`V` act on the *previous input*
:math:`x_{t-1}`, so the state meets only elementwise gates.

.. math::

    z_t &= V_z x_{t-1} + W_z x_t + b_z \\
    f_t &= \sigma(V_f x_{t-1} + W_f x_t + b_f) \\
    o_t &= \tau(V_o x_{t-1} + W_o x_t + b_o) \\
    h_t &= f_t \odot h_{t-1} + z_t \odot o_t

with :math:`\tau = \tanh`. The cell carries :math:`x_{t-1}` only through the three
projections :math:`p_{\ast, t-1} = V_\ast x_{t-1}`, so it carries those (each of the hidden
size) as states: :math:`p_{\ast, t} = V_\ast x_t`. This is exact (every quantity is the
paper's), and the state Jacobian of :math:`(h, p_z, p_f, p_o)` is block upper-triangular:

.. math::

    \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(f_t), \quad
    \frac{\partial h_t}{\partial p_{z,t-1}} = \operatorname{diag}(o_t), \quad
    \frac{\partial h_t}{\partial p_{f,t-1}} = \operatorname{diag}(h_{t-1} f_t (1 - f_t)),
    \quad \frac{\partial h_t}{\partial p_{o,t-1}} = \operatorname{diag}(z_t (1 - o_t^2)),

and :math:`\partial p_t / \partial(\cdot)_{t-1} = 0`. torchrecurrent's state
:math:`x_{t-1}` maps to :math:`p_{t-1} = V x_{t-1}` (its zero default to :math:`p = 0`), and
its Jacobian columns of :math:`x_{t-1}` are these :math:`p` columns times :math:`V_\ast`.
The :math:`h`-to-:math:`h` block is :math:`\operatorname{diag}(f_t)`: :math:`f \to 1` carries
:math:`h` exactly (the other blocks need not vanish: the latent :math:`z_t` is unbounded).

Paper vs torchrecurrent (the cell follows torchrecurrent): the code adds two biases,
``bias_ih`` (:math:`b_\ast`) and ``bias_hh`` (:math:`b_{v\ast}`, paired with :math:`V`),
where the paper has one (their sum); and its previous input before the first step is zero
(the paper does not say). The packed blocks are in the order :math:`z, f, o`.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["tgru", "typed_cell"]


def typed_cell(cb, state: str):
    """Declare a strongly-typed cell's input, its own state ``state``, the three
    previous-input projections (states), its weights and biases, and its latent, forget gate
    and output gate. Returns ``(state, (z, f, o), finish)``; ``finish()``, called after the
    state's update, gives the projections their updates :math:`p_{\\ast,t} = V_\\ast x_t`,
    the packed layout (blocks z, f, o) and the carrying gate ``f -> 1``."""
    x, s = cb.input("x"), cb.state(state)
    p_z, p_f, p_o = cb.state("p_z"), cb.state("p_f"), cb.state("p_o")
    W_z, W_f, W_o = cb.weights("W_z W_f W_o")
    V_z, V_f, V_o = cb.weights("V_z V_f V_o")
    b_z, b_f, b_o = cb.biases("b_z b_f b_o")
    b_vz, b_vf, b_vo = cb.biases("b_vz b_vf b_vo")
    z = cb.let("z", W_z @ x + b_z + p_z + b_vz, role=Role.LATENT)
    f = cb.let("f", sigmoid(W_f @ x + b_f + p_f + b_vf), role=Role.FORGET_GATE)
    o = cb.let("o", tanh(W_o @ x + b_o + p_o + b_vo), role=Role.OUTPUT_GATE)

    def finish():
        for p, V in ((p_z, V_z), (p_f, V_f), (p_o, V_o)):
            cb.update(p, V @ x, role=Role.DELAYED_INPUT)
        cb.layout(weight_ih="W_z W_f W_o", weight_hh="V_z V_f V_o",
                  bias_ih="b_z b_f b_o", bias_hh="b_vz b_vf b_vo")
        cb.attributes(gate_order="z, f, o",
                      delayed_input="p_* = V_* x_{t-1}, carried as states of size H")
        cb.carrying(f, 1)

    return s, (z, f, o), finish


def tgru(convention=None):
    cb = CellBuilder("tgru", convention,
                     reference="Balduzzi & Ghifary 2016 (strongly-typed RNNs); "
                               "torchrecurrent TGRUCell")
    h, (z, f, o), finish = typed_cell(cb, "h")
    cb.update(h, f * h + z * o)
    finish()
    return cb.build()

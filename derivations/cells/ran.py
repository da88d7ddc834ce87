r"""The recurrent additive network (RAN) of Lee, Levy & Zettlemoyer (2017).

The cell's content is a linear map of the input alone; two gates mix it into the memory, and
the state is a squashing of the memory. In the paper's symbols,

.. math::

    \tilde c_t &= W_{cx} x_t \\
    i_t &= \sigma(W_{ih} h_{t-1} + W_{ix} x_t + b_i) \\
    f_t &= \sigma(W_{fh} h_{t-1} + W_{fx} x_t + b_f) \\
    c_t &= i_t \odot \tilde c_t + f_t \odot c_{t-1} \\
    h_t &= g(c_t)

with :math:`g = \tanh` (RAN(tanh)) or the identity (RAN(identity)). torchrecurrent's
``RANCell`` (what this cell follows) is RAN(tanh), with a bias on each side of each gate:
``weight_ih`` stacks :math:`W_{cx}, W_{ix}, W_{fx}`, ``weight_hh`` :math:`W_{ih}, W_{fh}`,
``bias_ih`` :math:`b_{ix}, b_{fx}` and ``bias_hh`` :math:`b_{ih}, b_{fh}` (the content has
no bias, as in the paper):

.. math::

    i_t &= \sigma(W_{ix} x_t + b_{ix} + W_{ih} h_{t-1} + b_{ih}), \qquad
    f_t = \sigma(W_{fx} x_t + b_{fx} + W_{fh} h_{t-1} + b_{fh}) \\
    c_t &= i_t \odot W_{cx} x_t + f_t \odot c_{t-1}, \qquad h_t = \tanh(c_t)

How the paper differs: one bias per gate, and the identity output RAN(identity), which the
code does not offer. Since :math:`\tilde c_t` does not read the state, the only
nonlinearities on the recurrent paths are the gates and the output :math:`\tanh`:
:math:`\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)`, and unrolled, :math:`c_t`
is a weighted sum of the past contents :math:`\tilde c_{t-k}` with weights :math:`i_{t-k}
\prod f`, which is the paper's point.
"""

from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["ran"]


def ran(convention=None):
    cb = CellBuilder("ran", convention,
                     reference="Lee, Levy & Zettlemoyer 2017 (RAN, tanh); torchrecurrent "
                               "RANCell")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c")
    W_cx, W_ix, W_fx = cb.weights("W_cx W_ix W_fx")
    W_ih, W_fh = cb.weights("W_ih W_fh")
    b_ix, b_fx = cb.biases("b_ix b_fx")
    b_ih, b_fh = cb.biases("b_ih b_fh")
    c_tilde = cb.let("c_tilde", W_cx @ x, role=Role.CELL_CANDIDATE)
    i = cb.let("i", sigmoid(W_ix @ x + b_ix + W_ih @ h + b_ih), role=Role.INPUT_GATE)
    f = cb.let("f", sigmoid(W_fx @ x + b_fx + W_fh @ h + b_fh), role=Role.FORGET_GATE)
    c_next = cb.update(c, i * c_tilde + f * c, role=Role.CELL_STATE)
    cb.update(h, tanh(c_next))
    cb.layout(weight_ih="W_cx W_ix W_fx", weight_hh="W_ih W_fh",
              bias_ih="b_ix b_fx", bias_hh="b_ih b_fh")
    cb.attributes(gate_order="content, i, f (weight_ih); i, f (weight_hh)",
                  output="h_t = tanh(c_t) (RAN(tanh))")
    cb.carrying(f, 1)
    return cb.build()

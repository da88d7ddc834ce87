r"""The :math:`\tau`-GRU of Erichson, Lim & Mahoney (2022), as torchrecurrent's ``tauGRU``.

The paper ("Gated Recurrent Neural Networks with Weighted Time-Delay Feedback",
arXiv:2212.00228) discretizes a delay differential equation: the state at step :math:`n+1`
reads the state :math:`h_n` and a delayed one :math:`h_{n-\tau}` (:math:`\tau` steps
further back), the delayed feedback weighted by a gate :math:`a_n`:

.. math::

    u_n &= \phi(W_1 h_n + U_1 x_n) \\
    z_n &= \phi(W_2 h_{n-\tau} + U_2 x_n) \\
    g_n &= \sigma(W_3 h_n + U_3 x_n) \\
    a_n &= \sigma(W_4 h_n + U_4 x_n) \\
    h_{n+1} &= (1 - g_n) \odot h_n + g_n \odot (u_n + a_n \odot z_n)

with :math:`\phi = \tanh`. The delay line is part of the state: for delay :math:`d` the
states are :math:`h` and :math:`d_1, \ldots, d_d` with :math:`d_{k, t-1} = h_{t-1-k}`,
updated by :math:`d_{1,t} = h_{t-1}`, :math:`d_{k,t} = d_{k-1,t-1}`; the candidate
:math:`z` reads :math:`d_d`. The one-step Jacobian of :math:`(h, d_1, \ldots, d_d)` is then
the companion-like block matrix whose first block row is
:math:`(\partial h_t/\partial h_{t-1}, 0, \ldots, 0, \partial h_t/\partial d_{d,t-1})`, with
:math:`\partial h_t/\partial d_{d,t-1} = \operatorname{diag}(g_t a_t (1 - z_t^2)) W_2`, and
the rows below shift the line (identity blocks). :math:`g \to 0` carries :math:`h`
(:math:`\partial h_t/\partial h_{t-1} \to I` and the delayed block :math:`\to 0`).

Conventions: the delay, ``delay1`` (the default, and the tauGRU layer's default), ``delay2``,
``delay3``, ``delay4``.

Paper vs torchrecurrent (the cell follows torchrecurrent): the code adds two biases to each
pre-activation, ``bias_ih`` (:math:`b_{i\ast}`) and ``bias_hh`` (:math:`b_{h\ast}`), where the
equations above write none; the layer feeds zeros as the states before the sequence
(:math:`h_{-k} = 0`). A bare ``tauGRUCell`` takes the delayed state as a third argument and
does not know the delay (only the ``tauGRU`` layer does). The packed blocks are in the order
:math:`u, z, g, a`.
"""

from .._errors import DerivationError
from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["taugru", "TAUGRU_DELAYS"]

#: convention -> the delay d (in steps): z reads h_{t-1-d}
TAUGRU_DELAYS = {"delay1": 1, "delay2": 2, "delay3": 3, "delay4": 4}


def taugru(convention="delay1"):
    """The tau-GRU with the delay its ``convention`` names (``"delay1"`` ... ``"delay4"``)."""
    if convention is None:
        convention = "delay1"
    if convention not in TAUGRU_DELAYS:
        raise DerivationError(f"unknown tauGRU convention {convention!r}; valid: "
                              f"{list(TAUGRU_DELAYS)} (the delay in steps)")
    delay = TAUGRU_DELAYS[convention]
    cb = CellBuilder("taugru", convention,
                     reference="Erichson, Lim & Mahoney 2022 (tau-GRU); torchrecurrent tauGRU")
    x, h = cb.input("x"), cb.state("h")
    line = [cb.state(f"h_d{k}") for k in range(1, delay + 1)]
    U_1, U_2, U_3, U_4 = cb.weights("U_1 U_2 U_3 U_4")
    W_1, W_2, W_3, W_4 = cb.weights("W_1 W_2 W_3 W_4")
    b_i1, b_i2, b_i3, b_i4 = cb.biases("b_i1 b_i2 b_i3 b_i4")
    b_h1, b_h2, b_h3, b_h4 = cb.biases("b_h1 b_h2 b_h3 b_h4")
    u = cb.let("u", tanh(U_1 @ x + b_i1 + W_1 @ h + b_h1), role=Role.CANDIDATE)
    z = cb.let("z", tanh(U_2 @ x + b_i2 + W_2 @ line[-1] + b_h2), role=Role.CANDIDATE)
    g = cb.let("g", sigmoid(U_3 @ x + b_i3 + W_3 @ h + b_h3), role=Role.UPDATE_GATE)
    a = cb.let("a", sigmoid(U_4 @ x + b_i4 + W_4 @ h + b_h4), role=Role.MODULATION_GATE)
    cb.update(h, (1 - g) * h + g * (u + a * z))
    for k, d_k in enumerate(line):
        cb.update(d_k, h if k == 0 else line[k - 1], role=Role.DELAYED_STATE)
    cb.layout(weight_ih="U_1 U_2 U_3 U_4", weight_hh="W_1 W_2 W_3 W_4",
              bias_ih="b_i1 b_i2 b_i3 b_i4", bias_hh="b_h1 b_h2 b_h3 b_h4")
    cb.attributes(gate_order="u, z, g, a", delay=str(delay),
                  delay_line="h_dk = h_{t-1-k}; z reads h_d" + str(delay))
    cb.carrying(g, 0)
    return cb.build()

r"""minGRU (Feng et al. 2024, "Were RNNs All We Needed?").

The gate and the candidate read only the input, so the state Jacobian is diagonal:

.. math::

    z_t &= \sigma(W_z x_t + b_z) \\
    \tilde h_t &= W_h x_t + b_h \quad\text{(convention ``paper``)}, \qquad
    \tilde h_t = g(W_h x_t + b_h) \quad\text{(convention ``g``)} \\
    h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t,
    \qquad \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(1 - z_t).

``g`` is the positive activation of the paper's log-space form and of ``mingru-pytorch``
(:math:`g(u) = u + \tfrac12` for :math:`u \ge 0`, :math:`\sigma(u)` otherwise). Over
:math:`T` steps the gradient is exactly :math:`\prod_t (1 - z_t)`: it can never explode,
and it decays unless the gate stays near 0.
"""

from .._errors import DerivationError
from ..facts import Role
from ..functions import mingru_g, sigmoid
from ..language import CellBuilder

__all__ = ["mingru", "MINGRU_CONVENTIONS"]

#: convention -> who uses it
MINGRU_CONVENTIONS = {
    "paper": "Feng et al. 2024, Algorithm (sequential mode): linear candidate",
    "g": "Feng et al. 2024 log-space form; mingru-pytorch (candidate g(W_h x))",
}


def mingru(convention="paper"):
    convention = "paper" if convention is None else convention
    if convention not in MINGRU_CONVENTIONS:
        raise DerivationError(f"unknown minGRU convention {convention!r}; valid conventions: "
                              f"{sorted(MINGRU_CONVENTIONS)}")
    cb = CellBuilder("mingru", convention, reference="Feng, Tung, Ahmed, Bengio & Hajimirsadeghi "
                     "2024 (minGRU)" + ("; mingru-pytorch" if convention == "g" else ""))
    x, h = cb.input("x"), cb.state("h")
    W_z, W_h = cb.weights("W_z W_h")
    b_z, b_h = cb.biases("b_z b_h")
    z = cb.let("z", sigmoid(W_z @ x + b_z), role=Role.UPDATE_GATE)
    pre = W_h @ x + b_h
    h_tilde = cb.let("h_tilde", mingru_g(pre) if convention == "g" else pre,
                     role=Role.CANDIDATE)
    cb.update(h, (1 - z) * h + z * h_tilde)
    cb.layout(weight_ih="W_h W_z", bias_ih="b_h b_z")
    cb.attributes(gate_order="h, z (mingru-pytorch's to_hidden_and_gate)",
                  used_by=MINGRU_CONVENTIONS[convention])
    cb.carrying(z, 0)
    return cb.build()

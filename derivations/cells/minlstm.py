r"""minLSTM (Feng et al. 2024, "Were RNNs All We Needed?").

Forget and input gates read only the input and are normalized to sum to one:

.. math::

    f_t &= \sigma(W_f x_t + b_f), \quad i_t = \sigma(W_i x_t + b_i) \\
    \hat f_t &= \frac{f_t}{f_t + i_t}, \quad \hat\imath_t = \frac{i_t}{f_t + i_t} \\
    \tilde h_t &= W_h x_t + b_h \quad\text{(``paper``)}, \qquad
    \tilde h_t = g(W_h x_t + b_h) \quad\text{(``g``)} \\
    h_t &= \hat f_t \odot h_{t-1} + \hat\imath_t \odot \tilde h_t,
    \qquad \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(\hat f_t).
"""

from .._errors import DerivationError
from ..facts import Role
from ..functions import mingru_g, sigmoid
from ..language import CellBuilder
from ..naming import Name

__all__ = ["minlstm"]


def minlstm(convention="paper"):
    convention = "paper" if convention is None else convention
    if convention not in ("paper", "g"):
        raise DerivationError(f"unknown minLSTM convention {convention!r}; valid conventions: "
                              "['g', 'paper']")
    cb = CellBuilder("minlstm", convention,
                     reference="Feng, Tung, Ahmed, Bengio & Hajimirsadeghi 2024 (minLSTM)")
    x, h = cb.input("x"), cb.state("h")
    W_f, W_i, W_h = cb.weights("W_f W_i W_h")
    b_f, b_i, b_h = cb.biases("b_f b_i b_h")
    f = cb.let("f", sigmoid(W_f @ x + b_f), role=Role.FORGET_GATE)
    i = cb.let("i", sigmoid(W_i @ x + b_i), role=Role.INPUT_GATE)
    f_n = cb.let("f_n", f / (f + i), role=Role.NORMALIZED_FORGET_GATE,
                  display=Name("f", accent="hat"))
    i_n = cb.let("i_n", i / (f + i), role=Role.NORMALIZED_INPUT_GATE,
                  display=Name("i", accent="hat"))
    pre = W_h @ x + b_h
    h_tilde = cb.let("h_tilde", mingru_g(pre) if convention == "g" else pre,
                     role=Role.CANDIDATE)
    cb.update(h, f_n * h + i_n * h_tilde)
    cb.layout(weight_ih="W_f W_i W_h", bias_ih="b_f b_i b_h")
    cb.attributes(gate_order="f, i, h")
    cb.carrying(f_n, 1)
    return cb.build()

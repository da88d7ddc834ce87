r"""The gated recurrent unit in its three conventions.

Two independent choices define a GRU convention: which way the update gate points
(does :math:`z_t` keep the old state or take the new one?) and where the reset gate acts
(after or before the recurrent matrix). Every preset names both.

``pytorch`` (PyTorch, cuDNN, Keras ``reset_after=True``, Cho et al. arXiv v1):

.. math::

    r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
    z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
    n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

``cho`` (Cho et al. 2014 final, Keras ``reset_after=False``, ONNX default):
:math:`n_t = \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn})`, same update.

``seed`` (Chung et al. 2014, and the seed notes): the candidate is :math:`\tilde h_t`,
:math:`\tilde h_t = \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn})`
(the notes' :math:`W [r_t \odot h_{t-1}, x_t]`, split into its two blocks) and
:math:`h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t`.

All three share PyTorch's packed layout (gate order r, z, n), so one set of weights can
be read under each convention.
"""

import enum
from dataclasses import dataclass

from .._errors import DerivationError
from ..facts import Role
from ..functions import sigmoid, tanh
from ..language import CellBuilder

__all__ = ["gru", "GRU_CONVENTIONS", "GRUConvention", "ResetPlacement"]

class ResetPlacement(enum.Enum):
    """Where the reset gate acts."""

    AFTER = "after the recurrent matmul: r_t * (W_hn h_{t-1} + b_hn)"
    BEFORE = "before the recurrent matmul: W_hn (r_t * h_{t-1})"


@dataclass(frozen=True)
class GRUConvention:
    """The two choices of a GRU convention, and who uses it.

    ``towards`` is the value of ``z`` that carries the old state (the cell's
    :class:`~derivations.facts.Carrying`); ``reset`` where the reset gate acts.
    """

    towards: int
    reset: ResetPlacement
    used_by: str

    @property
    def update(self) -> str:
        """The update, in words (display text)."""
        if self.towards == 1:
            return "z keeps the old state: h_t = (1 - z_t) n_t + z_t h_{t-1}"
        return "z takes the new state: h_t = (1 - z_t) h_{t-1} + z_t h~_t"


#: convention -> its typed facts
GRU_CONVENTIONS = {
    "pytorch": GRUConvention(1, ResetPlacement.AFTER, "PyTorch nn.GRU/GRUCell, cuDNN, Keras "
                             "reset_after=True, Cho et al. arXiv v1"),
    "cho": GRUConvention(1, ResetPlacement.BEFORE, "Cho et al. 2014 (final), Keras "
                         "reset_after=False, ONNX default"),
    "seed": GRUConvention(0, ResetPlacement.BEFORE, "Chung et al. 2014, the seed notes"),
}


def gru(convention="pytorch"):
    """The GRU cell under ``convention`` (``pytorch``, ``cho`` or ``seed``)."""
    if convention is None:
        convention = "pytorch"
    if convention not in GRU_CONVENTIONS:
        raise DerivationError(f"unknown GRU convention {convention!r}; "
                              f"valid conventions: {sorted(GRU_CONVENTIONS)}")
    refs = {"pytorch": "PyTorch nn.GRUCell; Cho et al. 2014 (arXiv v1)",
            "cho": "Cho et al. 2014; Keras GRU(reset_after=False)",
            "seed": "Chung et al. 2014; the seed notes"}
    cb = CellBuilder("gru", convention, reference=refs[convention])
    x, h = cb.input("x"), cb.state("h")
    W_ir, W_iz, W_in = cb.weights("W_ir W_iz W_in")
    W_hr, W_hz, W_hn = cb.weights("W_hr W_hz W_hn")
    b_ir, b_iz, b_in = cb.biases("b_ir b_iz b_in")
    b_hr, b_hz, b_hn = cb.biases("b_hr b_hz b_hn")
    r = cb.let("r", sigmoid(W_ir @ x + b_ir + W_hr @ h + b_hr), role=Role.RESET_GATE)
    z = cb.let("z", sigmoid(W_iz @ x + b_iz + W_hz @ h + b_hz), role=Role.UPDATE_GATE)
    if convention == "pytorch":
        n = cb.let("n", tanh(W_in @ x + b_in + r * (W_hn @ h + b_hn)), role=Role.CANDIDATE)
        cb.update(h, (1 - z) * n + z * h)
    elif convention == "cho":
        n = cb.let("n", tanh(W_in @ x + b_in + W_hn @ (r * h) + b_hn), role=Role.CANDIDATE)
        cb.update(h, (1 - z) * n + z * h)
    else:
        h_tilde = cb.let("h_tilde", tanh(W_in @ x + b_in + W_hn @ (r * h) + b_hn),
                         role=Role.CANDIDATE)
        cb.update(h, (1 - z) * h + z * h_tilde)
    cb.layout(weight_ih="W_ir W_iz W_in", weight_hh="W_hr W_hz W_hn",
              bias_ih="b_ir b_iz b_in", bias_hh="b_hr b_hz b_hn")
    facts = GRU_CONVENTIONS[convention]
    cb.attributes(gate_order="r, z, n", update=facts.update, reset=facts.reset.value,
                  used_by=facts.used_by)
    cb.carrying(z, facts.towards)
    return cb.build()

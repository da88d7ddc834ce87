r"""The simple gated unit (SGU) and the deep simple gated unit (DSGU) of Gao & Glowacka
(2016), as torchrecurrent's ``SGUCell`` and ``DSGUCell``.

The paper ("Deep Gate Recurrent Neural Network", ACML 2016) writes, with
:math:`\sigma_1 = \tanh`, :math:`\sigma_2` a softplus (SGU) or a sigmoid (DSGU) and
:math:`\sigma_3` a hard sigmoid:

.. math::

    x_g &= W_{xh} x_t + b_g \\
    z_g &= \sigma_1(W_{zxh} (x_g \odot h_{t-1})) \\
    z_{out} &= \sigma_2(z_g \odot h_{t-1}) \ \text{(SGU)}, \quad
        \sigma_2(W_{go} (z_g \odot h_{t-1})) \ \text{(DSGU)} \\
    z_t &= \sigma_3(W_{xz} x_t + b_z + W_{hz} h_{t-1}) \\
    h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot z_{out}

The input reaches the gate :math:`z_g` only multiplicatively, through
:math:`x_g \odot h_{t-1}`. The cells follow torchrecurrent's ``forward`` (packed order g, z):

.. math::

    x_g &= W_{ig} x_t + b_{ig} \\
    z_g &= \tanh(W_{hg} (x_g \odot h_{t-1}) + b_{hg}) \\
    z_{out} &= \operatorname{softplus}(z_g \odot h_{t-1}) \ \text{(SGU)}, \quad
        \sigma(W_{ho} (z_g \odot h_{t-1})) \ \text{(DSGU)} \\
    z_t &= \operatorname{hard\_sigmoid}(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
    h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot z_{out}

How the paper differs: :math:`z_g` has no bias there (torchrecurrent adds :math:`b_{hg}`);
:math:`z_t` has one bias (torchrecurrent's two add up to it). The hard sigmoid is PyTorch's,
:math:`\min(\max(u/6 + 1/2, 0), 1)`; its derivative is taken almost everywhere, as autograd
(0 at the kinks :math:`u = \pm 3`). Other activations (torchrecurrent's ``nonlinearity``,
``output_nonlinearity``, ``gate_nonlinearity``) are not modelled.

:math:`z_t \to 0` carries the state; the hard sigmoid reaches 0 exactly (for a
pre-activation :math:`\le -3`), where :math:`\partial h_t / \partial h_{t-1} = I` exactly.
"""

from .._errors import DerivationError
from ..facts import Role
from ..functions import hard_sigmoid, sigmoid, softplus, tanh
from ..language import CellBuilder

__all__ = ["sgu", "dsgu"]


def _sgu(name, convention):
    if convention is not None:
        raise DerivationError(f"cell {name!r} has one form; got convention {convention!r}")
    deep = name == "dsgu"
    cb = CellBuilder(name, convention,
                     reference=f"Gao & Glowacka 2016 ({'DSGU' if deep else 'SGU'}); "
                               f"torchrecurrent {'DSGU' if deep else 'SGU'}Cell")
    x, h = cb.input("x"), cb.state("h")
    W_ig, W_iz = cb.weights("W_ig W_iz")
    W_hg, W_hz = cb.weights("W_hg W_hz")
    b_ig, b_iz, b_hg, b_hz = cb.biases("b_ig b_iz b_hg b_hz")
    x_g = cb.let("x_g", W_ig @ x + b_ig, role=Role.PROJECTION)
    z_g = cb.let("z_g", tanh(W_hg @ (x_g * h) + b_hg), role=Role.MODULATION_GATE)
    if deep:
        (W_ho,) = cb.weights("W_ho")
        z_out = cb.let("z_out", sigmoid(W_ho @ (z_g * h)), role=Role.CANDIDATE)
    else:
        z_out = cb.let("z_out", softplus(z_g * h), role=Role.CANDIDATE)
    z = cb.let("z", hard_sigmoid(W_iz @ x + b_iz + W_hz @ h + b_hz), role=Role.UPDATE_GATE)
    cb.update(h, (1 - z) * h + z * z_out)
    packed = dict(weight_ih="W_ig W_iz", weight_hh="W_hg W_hz", bias_ih="b_ig b_iz",
                  bias_hh="b_hg b_hz")
    if deep:
        packed["weight_ho"] = "W_ho"
    cb.layout(**packed)
    cb.attributes(gate_order="g, z", update="z -> 0 keeps h_{t-1}",
                  output="sigmoid(W_ho (z_g * h))" if deep else "softplus(z_g * h)")
    cb.carrying(z, 0)
    return cb.build()


def sgu(convention=None):
    """The SGU: softplus output of :math:`z_g \\odot h_{t-1}`."""
    return _sgu("sgu", convention)


def dsgu(convention=None):
    """The DSGU: sigmoid output of the projection :math:`W_{ho} (z_g \\odot h_{t-1})`."""
    return _sgu("dsgu", convention)

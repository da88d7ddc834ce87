"""torchrecurrent's cells of the family ``ode`` (read by :mod:`numeric._zoo`): one spec per class.

Residual, antisymmetric and oscillator cells: IndRNN, FastRNN, FastGRNN, coRNN, UnICORNN, LEM,
AntisymmetricRNN, GatedAntisymmetricRNN. The learnable scalars (FastRNN's ``alpha``, ``beta``,
FastGRNN's ``zeta``, ``nu``) are in the state dict; the step sizes and dampings (``dt``,
``gamma``, ``epsilon``, UnICORNN's ``alpha``) are Python floats, listed in ``scalars`` (a
state dict needs ``scalars=``). The antisymmetric cells' ``A = W_hh - W_hh^T - gamma I`` is
a derived weight: the loader reads ``weight_hh`` (W_hh) and ``gamma``.

A state dict cannot say its activation: ``cell='indrnn'`` is the paper's relu IndRNN, and a
state dict of torchrecurrent's default ``IndRNNCell`` (tanh) needs ``cell='indrnn:tanh'``;
``cell='fastgrnn'`` is torchrecurrent's default tanh gate, ``'fastgrnn:sigmoid'`` the paper's.

>>> from numeric._zoo_ode import SPECS
>>> [s.cls for s in SPECS][:3]
['IndRNNCell', 'FastRNNCell', 'FastGRNNCell']
>>> next(s for s in SPECS if s.cls == "coRNNCell").scalars
{'dt': 'dt', 'gamma': 'gamma', 'epsilon': 'epsilon'}
"""

from ._zoo_spec import ZooSpec, activations, packed

__all__ = ["SPECS"]


def _by_activation(attr, conventions):
    """A ``convention`` reading the module's activation ``attr`` (``{'relu': None, ...}``);
    a state dict's convention is the one its ``cell=`` names."""
    def convention(r):
        if r.module is None:
            return r.convention
        act = r.activation(attr)
        r.require(attr, act, tuple(conventions))
        return conventions[act]
    return convention


def _indrnn(r):
    """The paper's one bias: torchrecurrent's ``bias_ih + bias_hh`` (zero buffers when off)."""
    return {"W": r.array("weight_ih", 2), "u": r.array("vector_u", 1),
            "b": r.array("bias_ih", 1) + r.array("bias_hh", 1)}


def _with_scalars(*names, keys=()):
    """``packed(*keys)`` plus the hyper-parameters ``names`` (attribute = symbol)."""
    read_packed = packed(*keys)

    def read(r):
        out = read_packed(r)
        out.update({n: r.scalar(n) for n in names})
        return out
    return read


_OSC = ("weight_ih", "weight_hh", "weight_ch", "bias_ih", "bias_hh", "bias_ch")

SPECS = (
    # IndRNN: relu (the paper, convention None) or tanh (torchrecurrent's default)
    ZooSpec("IndRNNCell", "indrnn", _indrnn,
            convention=_by_activation("act", {"relu": None, "tanh": "tanh"})),
    # FastRNN: the learnable scalars alpha, beta (behind a sigmoid) are in the state dict
    ZooSpec("FastRNNCell", "fastrnn", _with_scalars("alpha", "beta"),
            check=activations(act="tanh")),
    # FastGRNN: the gate's activation is torchrecurrent's nonlinearity, tanh by default
    ZooSpec("FastGRNNCell", "fastgrnn", _with_scalars("zeta", "nu"),
            convention=_by_activation("act", {"tanh": None, "sigmoid": "sigmoid"})),
    # coRNN: dt, gamma, epsilon are Python floats
    ZooSpec("coRNNCell", "cornn", _with_scalars("dt", "gamma", "epsilon", keys=_OSC),
            scalars={"dt": "dt", "gamma": "gamma", "epsilon": "epsilon"}),
    # UnICORNN: weight_hh and weight_ch are vectors (H,); dt, alpha are Python floats
    ZooSpec("UnICORNNCell", "unicornn", _with_scalars("dt", "alpha", keys=_OSC[:5]),
            scalars={"dt": "dt", "alpha": "alpha"}),
    # LEM: blocks in torchrecurrent's chunk order; dt is a Python float
    ZooSpec("LEMCell", "lem", _with_scalars("dt", keys=_OSC), scalars={"dt": "dt"}),
    # AntisymmetricRNN: epsilon, gamma are Python floats; A is derived from W_hh and gamma
    ZooSpec("AntisymmetricRNNCell", "antisymmetric_rnn", _with_scalars("epsilon", "gamma"),
            check=activations(act="tanh"),
            scalars={"epsilon": "epsilon", "gamma": "gamma"}),
    # GatedAntisymmetricRNN: weight_ih, bias_ih pack z, n; bias_hh is the candidate's only
    ZooSpec("GatedAntisymmetricRNNCell", "gated_antisymmetric_rnn",
            _with_scalars("epsilon", "gamma"), scalars={"epsilon": "epsilon", "gamma": "gamma"}),
)

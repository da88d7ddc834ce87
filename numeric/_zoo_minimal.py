"""torchrecurrent's cells of the family ``minimal`` (read by :mod:`numeric._zoo`): one spec per
class.

Every class but ``MinimalRNNCell`` stores its parameters in its cell's packed layout (blocks in
torchrecurrent's chunk order), so they pass unchanged; ``MinimalRNNCell``'s four unpacked
arrays are renamed to the paper's symbols. A class with a configurable activation refuses
any but its default; ``MiRU1Cell``/``MiRU2Cell`` keep their coefficients as Python floats
(``scalars``: pass them for a state dict).

>>> [s.cls for s in SPECS][:3]
['MGUCell', 'MinimalRNNCell', 'UGRNNCell']
>>> SPECS[-1].scalars
{'update_coefficient': 'lam', 'reset_coefficient': 'theta'}
"""

from ._zoo_spec import ZooSpec, activations, packed

__all__ = ["SPECS"]


def _minimalrnn(r):
    """MinimalRNNCell: weight_ih/bias_ih embed the input, weight_hh/weight_mm/bias_hh gate."""
    return {"W_x": r.array("weight_ih", 2), "b_z": r.array("bias_ih", 1),
            "U_h": r.array("weight_hh", 2), "U_z": r.array("weight_mm", 2),
            "b_u": r.array("bias_hh", 1)}


def _miru1(r):
    return {**packed()(r), "lam": r.scalar("update_coefficient", "lam")}


def _miru2(r):
    return {**packed()(r), "lam": r.scalar("update_coefficient", "lam"),
            "theta": r.scalar("reset_coefficient", "theta")}


SPECS = (
    # MGU: the built-in mgu, in torchrecurrent's packed layout (f, n blocks)
    ZooSpec("MGUCell", "mgu", packed(), check=activations(act="tanh", gate_act="sigmoid")),
    # minimalRNN: z = act(W_x x + b_z) (act = tanh), u = gate_act(U_h h + U_z z + b_u)
    ZooSpec("MinimalRNNCell", "minimalrnn", _minimalrnn,
            check=activations(act="tanh", gate_act="sigmoid")),
    # UGRNN: fixed tanh candidate and sigmoid gate (blocks c, g)
    ZooSpec("UGRNNCell", "ugrnn", packed()),
    # LightRU: blocks (candidate, f) in weight_ih/bias_ih, f alone in weight_hh/bias_hh
    ZooSpec("LightRUCell", "lightru", packed()),
    # Li-GRU: relu candidate (a.e.), sigmoid gate (blocks z, candidate)
    ZooSpec("LiGRUCell", "ligru", packed(), check=activations(act="relu", gate_act="sigmoid")),
    # SGRN: one block each
    ZooSpec("SGRNCell", "sgrn", packed()),
    # STAR: blocks (z, k) in weight_ih/bias_ih, k alone in weight_hh/bias_hh
    ZooSpec("STARCell", "star", packed()),
    # ATR: one block each
    ZooSpec("ATRCell", "atr", packed()),
    # T-RNN: no recurrent parameters (blocks z, f)
    ZooSpec("TRNNCell", "trnn", packed("weight_ih", "bias_ih"),
            check=activations(gate_act="sigmoid")),
    # MiRU-1: blocks (r, candidate); lambda is a float outside the state dict
    ZooSpec("MiRU1Cell", "miru1", _miru1, check=activations(act="tanh", gate_act="sigmoid"),
            scalars={"update_coefficient": "lam"}),
    # MiRU-2: one block each; lambda and theta are floats outside the state dict
    ZooSpec("MiRU2Cell", "miru2", _miru2, check=activations(act="tanh"),
            scalars={"update_coefficient": "lam", "reset_coefficient": "theta"}),
)

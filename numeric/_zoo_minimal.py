"""torchrecurrent's cells of the family ``minimal`` (read by :mod:`numeric._zoo`): one spec per class."""

from ._zoo_spec import ZooSpec, activations, packed

__all__ = ["SPECS"]

SPECS = (
    # MGU: the built-in mgu, in torchrecurrent's packed layout (f, n blocks)
    ZooSpec("MGUCell", "mgu", packed(), check=activations(act="tanh", gate_act="sigmoid")),
)

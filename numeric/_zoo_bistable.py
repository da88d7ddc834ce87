"""torchrecurrent's cells of the family ``bistable`` (read by :mod:`numeric._zoo`): one spec per class.

Every cell keeps torchrecurrent's packed layout (``weight_ih``, ``weight_hh``, ``bias_ih``,
``bias_hh``, and the DSGU's ``weight_ho``), so the arrays pass unchanged; BR's ``weight_hh``
stacks the two recurrent vectors :math:`w_a, w_c`. A module built with ``bias=False`` or
``recurrent_bias=False`` holds zero buffers under the same names, read like the parameters.
The SGU and the DSGU model only their default activations (``nonlinearity='tanh'``, output
``softplus`` / ``sigmoid``, gate ``hard_sigmoid``); any other is refused by name.
"""

from ._zoo_spec import ZooSpec, activations, packed

__all__ = ["SPECS"]

SPECS = (
    ZooSpec("BRCell", "br", packed()),
    ZooSpec("NBRCell", "nbr", packed()),
    ZooSpec("CFNCell", "cfn", packed()),
    ZooSpec("MUT1Cell", "mut1", packed()),
    ZooSpec("MUT2Cell", "mut2", packed()),
    ZooSpec("MUT3Cell", "mut3", packed()),
    ZooSpec("SGUCell", "sgu", packed(),
            check=activations(act="tanh", output_act="softplus", gate_act="hard_sigmoid")),
    ZooSpec("DSGUCell", "dsgu",
            packed("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ho"),
            check=activations(act="tanh", output_act="sigmoid", gate_act="hard_sigmoid")),
    ZooSpec("NASCell", "nas", packed()),
)

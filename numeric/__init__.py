"""gatebound.numeric: the derived Jacobians evaluated on real parameters, in batches.

>>> import numpy as np, numeric
>>> p = numeric.init("gru", hidden_size=8, input_size=4, seed=0)
>>> x, h = np.zeros((16, 4)), np.zeros((16, 8))       # (B, I), (B, H)
>>> numeric.jacobian(p, x, h).shape                   # (B, H, H)
(16, 8, 8)
"""

from ._errors import NumericError
from .jacobian import jacobian, jacobian_chunks, jvp, paths, term_coefficients, vjp
from .params import Params, from_arrays, init
from .step import rollout, step

__all__ = [
    "NumericError", "Params", "from_arrays", "init", "step", "rollout", "jacobian",
    "jacobian_chunks", "paths", "term_coefficients", "jvp", "vjp",
]

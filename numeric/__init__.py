"""numeric (gatebound): the derived Jacobians evaluated on real parameters, in batches.

>>> import numpy as np, numeric
>>> p = numeric.init("gru", hidden_size=8, input_size=4, seed=0)
>>> x, h = np.zeros((16, 4)), np.zeros((16, 8))       # (B, I), (B, H)
>>> numeric.jacobian(p, x, h).shape                   # (B, H, H)
(16, 8, 8)

The suite's property tests are public for users' own cells in :mod:`numeric.testing`
(imported on its own; hypothesis is imported only when it is used).
"""

from ._errors import NumericError
from ._init import init
from ._memory import release_memory
from ._validate import available_memory, check_memory
from .check import JacobianCheck, check_jacobian, step_jacobian
from .horizon import GradientNorms, gradient_norms
from .io_keras import from_keras
from .io_keras_file import KerasLayer, from_keras_file, keras_layers
from .io_npz import load, save
from .io_onnx import OnnxNode, from_onnx, onnx_nodes
from .io_onnx_stack import stack_from_onnx
from .io_torch import from_torch
from .io_torch_stack import stack_from_torch
from .jacobian import jacobian, jacobian_chunks, jvp, paths, term_coefficients, vjp
from .params import Params, from_arrays
from .spectra import (
    SumRule,
    log_det_mean,
    lyapunov,
    lyapunov_sum_rule,
    sigma_min,
    singular_values,
    spectral_norms,
)
from .stack import Stack, StackRollout
from .stack_gradients import StackGradientNorms, stack_gradient_norms
from .stack_jacobian import stack_jacobian
from .step import output, rollout, step
from .sweep import SweepProgress, SweepSummary, sweep
from .sweep_point import sweep_point
from .sweep_spec import SweepSpec

__all__ = [
    "NumericError", "Params", "from_arrays", "init", "from_torch", "from_keras", "from_keras_file",
    "keras_layers", "KerasLayer", "from_onnx",
    "onnx_nodes", "OnnxNode", "save",
    "load", "step", "output", "rollout", "jacobian", "jacobian_chunks", "paths", "term_coefficients",
    "jvp", "vjp", "gradient_norms", "GradientNorms", "lyapunov", "log_det_mean",
    "lyapunov_sum_rule", "SumRule", "singular_values", "spectral_norms", "sigma_min",
    "check_jacobian", "JacobianCheck", "step_jacobian", "release_memory", "check_memory",
    "available_memory", "Stack", "StackRollout", "stack_gradient_norms", "StackGradientNorms",
    "stack_from_torch", "stack_jacobian", "stack_from_onnx", "SweepSpec", "sweep_point",
    "sweep", "SweepSummary", "SweepProgress",
]
from .bounds import check_bounds  # noqa: E402, I001
__all__ += ["check_bounds"]

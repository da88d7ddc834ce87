r"""Importable check of the engine's Jacobian against derivatives of ``step`` alone.

Complex step, exact to rounding for real-analytic cells,

.. math::

    J_{:, j} \approx \operatorname{Im} f(s + i \epsilon e_j) / \epsilon, \qquad \epsilon = 10^{-20},

and central finite differences
:math:`J_{:, j} \approx (f(s + \delta e_j) - f(s - \delta e_j)) / (2 \delta)`. Both use
only the forward equations (``cell.quantities``), never the derived closed form.

>>> import numpy as np, numeric
>>> p = numeric.init("gru", 4, 3, convention="cho", seed=0)
>>> res = numeric.check_jacobian(p, np.ones((2, 3)), np.zeros((2, 4)))
>>> res.ok
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._errors import NumericError
from .jacobian import jacobian
from .params import Params
from .step import prepare

__all__ = ["check_jacobian", "JacobianCheck", "step_jacobian"]


@dataclass(frozen=True)
class JacobianCheck:
    """Errors of the engine's full state Jacobian against two independent references.

    ``*_rel`` errors are the max absolute error over ``max(1, max |J_ref|)``.
    """

    max_abs_complex_step: float
    max_rel_complex_step: float
    max_abs_finite_diff: float
    max_rel_finite_diff: float
    rtol_complex_step: float
    rtol_finite_diff: float

    @property
    def ok(self) -> bool:
        return (self.max_rel_complex_step <= self.rtol_complex_step
                and self.max_rel_finite_diff <= self.rtol_finite_diff)


def step_jacobian(params: Params, x, state, *, method: str = "complex", eps=None) -> np.ndarray:
    """The full state Jacobian (B, S*H, S*H) from ``step`` by complex step or central FD."""
    if method not in ("complex", "central"):
        raise NumericError(f"method must be 'complex' or 'central', got {method!r}")
    p64 = params if params.dtype == np.float64 else params.astype(np.float64)
    prog, xT, sT, B = prepare(p64, x, state)
    S, H = len(sT), p64.hidden_size
    D = S * H
    s = np.concatenate(sT, axis=0)                              # (D, B)
    xr = np.repeat(xT, D, axis=1)                               # (I, B*D): sample-major
    eye = np.eye(D)
    if method == "complex":
        eps = 1e-20 if eps is None else eps
        pert = (np.repeat(s, D, axis=1).astype(complex)
                + 1j * eps * np.tile(eye, (1, B)))
        f = _forward(prog, p64, xr, pert, S, H)
        J = f.imag / eps
    else:
        eps = 1e-6 if eps is None else eps
        base = np.repeat(s, D, axis=1)
        d = eps * np.tile(eye, (1, B))
        J = (_forward(prog, p64, xr, base + d, S, H) - _forward(prog, p64, xr, base - d, S, H))
        J /= 2 * eps
    # J is (D_out, B*D_in) with column b*D + j -> (B, D_out, D_in)
    return np.ascontiguousarray(J.reshape(D, B, D).transpose(1, 0, 2))


def _forward(prog, params, xT, sT, S, H):
    """The next full state (S*H, n) from stacked states ``sT`` (S*H, n), real or complex."""
    states = tuple(sT[k * H:(k + 1) * H] for k in range(S))
    return np.concatenate(prog.evaluate(params, xT, states, prog.next_names), axis=0)


def check_jacobian(params: Params, x, state, *, rtol_complex_step: float = 1e-10,
                   rtol_finite_diff: float = 1e-6) -> JacobianCheck:
    """Compare :func:`numeric.jacobian` (``full=True``) with complex step and central FD.

    The engine's Jacobian is evaluated in float64 (a float32 ``params`` is cast).
    """
    p64 = params if params.dtype == np.float64 else params.astype(np.float64)
    J = jacobian(p64, x, state, full=True)
    errs = []
    for method in ("complex", "central"):
        ref = step_jacobian(p64, x, state, method=method)
        a = float(np.max(np.abs(J - ref)))
        errs += [a, a / max(1.0, float(np.max(np.abs(ref))))]
    return JacobianCheck(*errs, rtol_complex_step, rtol_finite_diff)

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

from derivations.functions import has_kinks

from ._errors import NumericError
from ._validate import (
    check_nonempty,
    check_params,
    choice,
    finite_real,
    require_memory,
)
from .jacobian import jacobian, state_slices
from .params import Params
from .step import prepare

__all__ = ["check_jacobian", "JacobianCheck", "step_jacobian"]

#: bytes of (complex) work arrays per batch chunk of :func:`step_jacobian`
WORK_BYTES = 64 << 20


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
    #: the references compared: both for an analytic cell; ``("central",)`` for a cell
    #: with kinks (relu, max, ...), whose complex-step errors are then NaN
    methods: tuple = ("complex", "central")

    @property
    def ok(self) -> bool:
        cs = "complex" not in self.methods or self.max_rel_complex_step <= self.rtol_complex_step
        return cs and self.max_rel_finite_diff <= self.rtol_finite_diff


def _step_setup(params, x, state, method, eps):
    """Checked arguments of :func:`step_jacobian`, before the float64 cast of ``params``:
    (method, eps, B, D, samples per chunk, bytes of a chunk's work arrays)."""
    method = choice(method, "method", ("auto", "complex", "central"))
    if eps is not None:
        eps = finite_real(eps, "eps", positive=True)
    check_params(params)
    prog, xT, sT, B = prepare(params, x, state)
    check_nonempty(B, "state")
    D = params.state_size
    kernel = prog.kernel(prog.next_names)
    if method == "auto":
        method = reference_method(params.cell)
    if eps is None:
        eps = 1e-20 if method == "complex" else 1e-6
    if method == "complex" and kernel.real_only():
        raise NumericError(f"complex step needs an analytic evaluation of activation(s) "
                           f"{list(kernel.real_only())} of cell {params.cell.title!r} "
                           "(derivations.functions.define_activation(..., rewrite=...)); "
                           "use step_jacobian(..., method='central')")
    if method == "complex" and has_kinks(params.cell.definitions.values()):
        raise NumericError(f"complex step cannot run through the kinks of cell "
                           f"{params.cell.title!r} ({'; '.join(params.cell.kinks) or 'max/min'})"
                           "; use method='central' (or 'auto')")
    rows = sum(r for r, c in kernel.workspace_shapes(params.sizes, 1) if c == 1)
    # per sample: D columns of the kernel's work space, the perturbed states, the inputs,
    # the next states (complex, 16 bytes), and the real difference
    per = D * (rows + 3 * D + xT.shape[0]) * 16 + D * D * 8
    nb = max(1, WORK_BYTES // per)
    return method, eps, B, D, nb, per * min(nb, B)


def _kinked(cell, kernel) -> bool:
    """True if complex step cannot run through ``cell``: a kinked operation (relu, max,
    Heaviside, ...) or an activation with no analytic evaluation."""
    return has_kinks(cell.definitions.values()) or bool(kernel.real_only())


def reference_method(cell) -> str:
    """The reference ``method="auto"`` takes for ``cell``: ``"complex"`` (complex step) for
    an analytic cell, ``"central"`` when complex step cannot run through it."""
    from ._compile import program

    prog = program(cell)
    return "central" if _kinked(cell, prog.kernel(prog.next_names)) else "complex"


def _in_float64(params, x, state):
    """(params in float64, prog, xT, sT) once the memory check has passed."""
    p64 = params if params.dtype == np.float64 else params.astype(np.float64)
    prog, xT, sT, _ = prepare(p64, x, state)
    return p64, prog, xT, sT


def step_jacobian(params: Params, x, state, *, method: str = "auto", eps=None) -> np.ndarray:
    """The full state Jacobian (B, D, D) from ``step`` by complex step or central FD (D the
    full state's size, the sum of the states' sizes).

    ``method="auto"`` takes complex step for an analytic cell and central differences
    (``eps = 1e-6``) for a cell with kinks (relu, max, ...; pass states away from them).

    Evaluated in float64 on batch chunks whose work arrays stay within 64 MiB.

    Raises
    ------
    NumericError
        Before any work: for bad arguments (``method`` not ``'auto'``, ``'complex'`` or
        ``'central'``,
        ``eps`` not a finite positive number, bad arrays), for batch size 0 (nothing to
        check), when the result does not fit in the available memory, or for complex step
        through an activation declared without an analytic ``rewrite``.
    """
    method, eps, B, D, nb, work = _step_setup(params, x, state, method, eps)
    require_memory(B * D * D * 8 + work, f"a ({B}, {D}, {D}) float64 reference Jacobian",
                   hint="check a smaller batch")
    p64, prog, xT, sT = _in_float64(params, x, state)
    return _step_jacobian(prog, p64, xT, sT, B, D, method, eps, nb)


def _step_jacobian(prog, p64, xT, sT, B, D, method, eps, nb):
    spans = state_slices(p64)
    out = np.empty((B, D, D))
    for b0 in range(0, B, nb):
        sl = slice(b0, min(b0 + nb, B))
        out[sl] = _step_chunk(prog, p64, xT[:, sl], tuple(s[:, sl] for s in sT), spans, D,
                              method, eps)
    return out


def _step_chunk(prog, p64, xT, sT, spans, D, method, eps):
    B = xT.shape[1]
    s = np.concatenate(sT, axis=0)                              # (D, B)
    xr = np.repeat(xT, D, axis=1)                               # (I, B*D): sample-major
    eye = np.eye(D)
    if method == "complex":
        pert = (np.repeat(s, D, axis=1).astype(complex)
                + 1j * eps * np.tile(eye, (1, B)))
        f = _forward(prog, p64, xr, pert, spans)
        J = f.imag / eps
    else:
        base = np.repeat(s, D, axis=1)
        d = eps * np.tile(eye, (1, B))
        J = (_forward(prog, p64, xr, base + d, spans) - _forward(prog, p64, xr, base - d, spans))
        J /= 2 * eps
    # J is (D_out, B*D_in) with column b*D + j -> (B, D_out, D_in)
    return J.reshape(D, B, D).transpose(1, 0, 2)


def _forward(prog, params, xT, sT, spans):
    """The next full state (D, n) from stacked states ``sT`` (D, n), real or complex;
    ``spans`` the slice of each state."""
    states = tuple(sT[sl] for sl in spans)
    return np.concatenate(prog.evaluate(params, xT, states, prog.next_names), axis=0)


def check_jacobian(params: Params, x, state, *, rtol_complex_step: float = 1e-10,
                   rtol_finite_diff: float = 1e-6, method: str = "auto") -> JacobianCheck:
    r"""Compare :func:`numeric.jacobian` (``full=True``) with complex step and central FD.

    The engine's Jacobian is evaluated in float64 (a float32 ``params`` is cast).
    ``method="auto"`` compares with both references for an analytic cell, and with
    central differences only for a cell with kinks (relu, max, ...: complex step does not
    run through them; pass states away from the kinks); ``"complex"`` insists on both
    (refused for a kinked cell), ``"central"`` compares with central differences only.
    Central differences with :math:`\delta = 10^{-6}` err by about
    :math:`\delta^2 |f^{(3)}| + 10^{-16} |f| / \delta`, within the default
    ``rtol_finite_diff``.

    Raises
    ------
    NumericError
        Before any work: for bad arguments (``rtol_*`` must be finite positive numbers),
        for batch size 0 (nothing to check: a vacuous pass would mislead), when the
        three (B, D, D) Jacobians do not fit in the available memory, or when the cell has
        an activation without an analytic ``rewrite`` (complex step cannot run through it:
        use :func:`step_jacobian` with ``method='central'``).
    """
    rtol_cs = finite_real(rtol_complex_step, "rtol_complex_step", positive=True)
    rtol_fd = finite_real(rtol_finite_diff, "rtol_finite_diff", positive=True)
    method = choice(method, "method", ("auto", "complex", "central"))
    chosen, _, B, D, nb, work = _step_setup(params, x, state, method, None)
    # the engine's J, two references, the difference
    require_memory(4 * B * D * D * 8 + work,
                   f"checking ({B}, {D}, {D}) float64 Jacobians", hint="check a smaller batch")
    p64, prog, xT, sT = _in_float64(params, x, state)
    J = jacobian(p64, x, state, full=True)
    methods = ("complex", "central") if chosen == "complex" else ("central",)
    errs = [] if chosen == "complex" else [float("nan")] * 2
    for method, eps in (("complex", 1e-20), ("central", 1e-6)):
        if method not in methods:
            continue
        ref = _step_jacobian(prog, p64, xT, sT, B, D, method, eps, nb)
        scale = max(1.0, float(ref.max()), -float(ref.min()))
        ref -= J
        a = float(np.abs(ref, out=ref).max())
        errs += [a, a / scale]
    return JacobianCheck(*errs, rtol_cs, rtol_fd, methods)

"""The cases and properties of :mod:`numeric.testing` (private; import them from there).

Nothing here imports hypothesis: a :class:`CellCase` is plain data, and each property is a
function that raises ``AssertionError`` naming the cell and the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp

import derivations as dv
from derivations._bounds_range import RangeSource
from derivations.facts import BoundKind
from derivations.functions import ACTIVATIONS

from ._errors import NumericError
from ._init import init
from .bounds import check_bounds, weight_norms
from .check import reference_method, step_jacobian
from .jacobian import jacobian
from .step import prepare

__all__ = ["CellCase", "as_cell", "closed_form_is_exact", "engine_matches_sympy",
           "engine_matches_step", "bounds_hold", "carrying_limit_holds"]

def as_cell(cell, what="cell") -> dv.Cell:
    if isinstance(cell, dv.Cell):
        return cell
    if isinstance(cell, str):
        try:
            return dv.cell(cell)
        except dv.DerivationError as exc:
            raise NumericError(f"{what}: {exc}") from None
    raise NumericError(f"{what} must be a derivations.Cell (or a built-in cell's name), got "
                       f"{type(cell).__name__}")


@dataclass(frozen=True)
class CellCase:
    """One drawn configuration of ``cell``; its arrays come from ``seed``.

    ``sizes`` gives the cell's other dimensions (a weight declared ``rows="K"``).
    """

    cell: dv.Cell
    hidden: int
    inputs: int
    batch: int
    scale: float
    bias_shift: float
    seed: int
    state_regime: str = "uniform"
    sizes: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.cell.name

    @property
    def convention(self) -> str | None:
        return self.cell.convention

    @property
    def state_sizes(self) -> tuple:
        """The size of each state: ``hidden`` unless the state has a dimension of its own
        (the LSTMP's ``P``, from ``sizes``)."""
        cell = self.cell
        known = {cell.hidden_dim: self.hidden, cell.dims[cell.inputs[0]]: self.inputs,
                 **self.sizes}
        return tuple(known[d] for d in cell.state_dims)

    def state_block(self, J, key) -> np.ndarray:
        """Block ``key`` (output, input state names) of full state Jacobians J (B, D, D)."""
        names = [s.name for s in self.cell.states]
        offsets = np.cumsum([0, *self.state_sizes]).tolist()
        o, w = names.index(key[0]), names.index(key[1])
        return J[:, offsets[o]:offsets[o + 1], offsets[w]:offsets[w + 1]]

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def params(self, dtype=np.float64):
        """``numeric.init`` parameters, recurrent weights times ``scale``, every bias (not
        the elementwise parameters of ``cb.vector``) plus ``bias_shift``."""
        p = init(self.cell, self.hidden, self.inputs, seed=self.seed % 2**31,
                 scale=self.scale, dtype=dtype, sizes=self.sizes or None)
        return p.with_arrays(**{b.name: p.arrays[b.name] + self.bias_shift
                                for b in self.cell.biases if b not in self.cell.vectors})

    def arrays(self):
        """``(x, state)``: ``x`` (B, I) standard normal, the state in ``state_regime``."""
        rng = np.random.default_rng([self.seed, 1])
        B = self.batch
        x = rng.normal(size=(B, self.inputs))
        why = dv.derive(self.cell).bounds.env.why
        parts = []
        for s, H in zip(self.cell.states, self.state_sizes, strict=True):
            if self.state_regime == "small":
                v = rng.uniform(-0.1, 0.1, size=(B, H))
            elif self.state_regime == "edge":
                v = rng.choice((-1.0, 1.0), size=(B, H)) * rng.uniform(0.9, 1.0, size=(B, H))
            else:
                v = rng.uniform(-1, 1, size=(B, H))
            parts.append(v if why.get(s) is RangeSource.INVARIANT else 3 * v)
        return x, (tuple(parts) if len(parts) > 1 else parts[0])



def _reference(p, x, state):
    """(the full state Jacobian by complex step, or by central differences when the cell
    has kinks or no analytic form, with a mask of the samples away from kinks; rtol)."""
    if reference_method(p.cell) == "complex":
        return step_jacobian(p, x, state, method="complex"), None, 1e-10
    ref = step_jacobian(p, x, state, method="central", eps=1e-6)
    other = step_jacobian(p, x, state, method="central", eps=1e-7)
    scale = np.maximum(1.0, np.abs(ref).max(axis=(1, 2)))
    away = np.abs(ref - other).max(axis=(1, 2)) <= 1e-5 * scale   # no kink within 1e-6
    return ref, away, 1e-6


def _fail(case, what):
    raise AssertionError(f"cell {case.cell.title!r}: {what} (H={case.hidden}, "
                         f"I={case.inputs}, B={case.batch}, scale={case.scale:.3g}, "
                         f"bias_shift={case.bias_shift:.3g}, seed={case.seed}, "
                         f"states {case.state_regime})")


def closed_form_is_exact(cell, sizes=(1, 2, 3)) -> None:
    """The derived closed form equals the brute-force SymPy Jacobian exactly at each ``n``
    (every block; proven once per cell and size)."""
    from derivations.proof import prove

    cell = as_cell(cell)
    for n in sizes:
        key = ("numeric.testing.prove", n)
        if key not in cell.memo:
            cell.memo[key] = prove(cell, n).ok
        if not cell.memo[key]:
            raise AssertionError(f"cell {cell.title!r}: the derived Jacobian differs from "
                                 f"SymPy's brute-force Jacobian at n = {n}")


def _sympy_function(cell, n, m, sizes, closed_form):
    """``f(values) -> (S n, S n)``: the brute-force (or the derived closed-form) full state
    Jacobian of ``cell`` at sizes ``n``, ``m``, lambdified (cached on the cell)."""
    key = ("numeric.testing.lambdify", n, m, tuple(sorted(sizes.items())), closed_form)
    if key in cell.memo:
        return cell.memo[key]
    from derivations.proof import closed_form_matrix, instantiate

    inst = instantiate(cell, n, m, sizes=sizes or None)
    d = dv.derive(cell) if closed_form else None
    rows = []
    for out in cell.states:
        nxt = inst.values[cell.next_states[out]]
        blocks = []
        for wrt in cell.states:
            if closed_form:
                terms = d.jacobian.block(out.name, wrt.name).terms
                blocks.append(closed_form_matrix(terms, inst, inst.values[out].rows) if terms
                              else sp.zeros(inst.values[out].rows, inst.values[wrt].rows))
            else:
                blocks.append(nxt.jacobian(inst.values[wrt]))
        rows.append(sp.Matrix.hstack(*blocks))
    J = sp.Matrix.vstack(*rows)
    order = [s for s in (*cell.inputs, *cell.states, *cell.biases, *cell.weights)
             if s in inst.values]
    order += [s for s in cell.scalars if s not in inst.values and s in J.free_symbols]
    syms = [e for s in order for e in (inst.values[s] if s in inst.values else (s,))]
    mods = [{a.name: a.numpy for a in ACTIVATIONS.values()}, "numpy"]
    f = sp.lambdify(syms, J, modules=mods)

    def call(values):
        flat = [a for s in order for a in np.asarray(values[s.name], dtype=float).ravel()]
        return np.asarray(f(*flat), dtype=float)
    cell.memo[key] = call
    return call


def engine_matches_sympy(case: CellCase, *, closed_form: bool = False,
                         max_size: int = 3) -> None:
    """The engine's full state Jacobian equals SymPy's (brute force by default, or the
    derived closed form), lambdified, on ``case`` shrunk to n <= ``max_size``, 2 inputs."""
    n = min(case.hidden, max_size)
    case = replace(case, hidden=n, inputs=n if case.cell.input_in_state_dim else 2,
                   sizes={d: min(k, 2) for d, k in case.sizes.items()})
    p, (x, state) = case.params(), case.arrays()
    parts = state if isinstance(state, tuple) else (state,)
    J = jacobian(p, x, state, full=True)
    f = _sympy_function(case.cell, case.hidden, case.inputs, case.sizes, closed_form)
    for b in range(case.batch):
        values = dict(p.arrays)
        values[case.cell.inputs[0].name] = x[b]
        values.update({s.name: v[b] for s, v in zip(case.cell.states, parts, strict=True)})
        ref = f(values)
        if not np.allclose(J[b], ref, rtol=1e-9, atol=1e-12):
            _fail(case, f"engine Jacobian differs from SymPy's "
                  f"{'closed form' if closed_form else 'brute-force Jacobian'} by "
                  f"{np.abs(J[b] - ref).max():.3g} (sample {b})")


def engine_matches_step(case: CellCase) -> None:
    """The engine's full state Jacobian equals complex step through ``step`` (central
    differences away from kinks for a cell with kinks)."""
    p, (x, state) = case.params(), case.arrays()
    ref, away, rtol = _reference(p, x, state)
    J = jacobian(p, x, state, full=True)
    err = np.abs(J - ref).max(axis=(1, 2)) / np.maximum(1.0, np.abs(ref).max(axis=(1, 2)))
    if away is not None:
        err = err[away]
    if err.size and err.max() > rtol:
        _fail(case, f"engine Jacobian differs from the step reference by {err.max():.3g} "
              f"(relative; tolerance {rtol:g})")


def _svd(J):
    sv = np.linalg.svd(J, compute_uv=False)
    return sv[:, 0], sv[:, -1]


def bounds_hold(case: CellCase) -> None:
    """Every bound of :func:`numeric.check_bounds`, block by block (and the full state
    Jacobian's), holds on the singular values of the reference Jacobian."""
    p, (x, state) = case.params(), case.arrays()
    ref, away, rtol = _reference(p, x, state)
    keep = np.ones(case.batch, bool) if away is None else away
    names = [s.name for s in case.cell.states]
    slack = max(rtol, 1e-9)
    for key in dv.derive(case.cell).bounds.blocks:
        blk = case.state_block(ref, key)
        r = check_bounds(p, x, state, which=key)
        norm, smin = _svd(blk)
        tol = slack * np.maximum(1.0, r.upper)
        dom = keep & r.in_domain
        checks = {
            "||J|| <= upper": norm <= r.upper + tol,
            "upper <= global upper": ~dom | (r.upper <= r.global_upper * (1 + 1e-9)),
            "sigma_min >= lower": ~(r.lower > 0) | (smin >= r.lower - tol),
            # a saturation bound is derived for square (carry) blocks only
            "||J - I|| <= saturation": np.isnan(r.saturation) if blk.shape[1] != blk.shape[2]
            else np.isnan(r.saturation) | (
                np.linalg.norm(blk - np.eye(blk.shape[1]), 2, axis=(1, 2))
                <= r.saturation + tol),
            "check_bounds ok": r.ok,
        }
        for what, ok in checks.items():
            if not ok[keep].all():
                _fail(case, f"bound {what} fails on block d{key[0]}'/d{key[1]} "
                      f"(samples {np.flatnonzero(keep & ~ok).tolist()})")
    if len(names) > 1:
        r = check_bounds(p, x, state, which="full")
        norm, _ = _svd(ref)
        if not (norm <= r.upper * (1 + slack) + slack)[keep].all():
            _fail(case, "||J|| <= upper fails on the full state Jacobian")


def _carrying_bias(cell):
    """The bias names inside the carrying gate's definition (through its quantities)."""
    defs, seen, todo = cell.definitions, set(), [cell.carrying.gate]
    while todo:
        s = todo.pop()
        for a in defs.get(s, s).free_symbols:
            if a in defs and a not in seen and a not in cell.states:
                seen.add(a)
                todo.append(a)
            elif a in cell.biases:
                seen.add(a)
    return [b.name for b in cell.biases if b in seen]


def carrying_limit_holds(case: CellCase, push: float = 8.0) -> None:
    r"""With the carrying gate's bias pushed ``push`` towards carrying, the carry block
    satisfies :math:`\|J - I\|_2 \le K \varepsilon`, :math:`\varepsilon = \max_i |g_i -
    g^\ast|` read from the gate's values, on the reference Jacobian: :math:`J \to I`."""
    cell = case.cell
    if cell.carrying is None:
        raise NumericError(f"cell {cell.title!r} declares no carrying gate")
    sat = [b for b in dv.derive(cell).bounds.all() if b.kind is BoundKind.SATURATION]
    if not sat:
        _fail(case, f"the cell declares carrying {cell.carrying} but no saturation bound "
              "||J - I|| <= K eps was derived")
    sat = sat[0]
    bias = _carrying_bias(cell)
    if not bias:
        raise NumericError(f"the carrying gate {cell.carrying.gate} of cell {cell.title!r} "
                           "has no bias to push it to saturation")
    p0, (x, state) = replace(case, bias_shift=0.0).params(), case.arrays()
    gate, towards = cell.carrying.gate.name, cell.carrying.towards

    def pushed(sign):
        p = p0.with_arrays(**{bias[0]: p0.arrays[bias[0]] + sign * push})
        prog, xT, sT, _ = prepare(p, x, state)
        g = prog.evaluate(p, xT, sT, (gate,))[0].T
        return p, np.abs(g - towards).max(axis=1)

    (p, eps), (pm, epsm) = pushed(1.0), pushed(-1.0)
    if epsm.mean() < eps.mean():
        p, eps = pm, epsm
    ref, away, rtol = _reference(p, x, state)
    blk = case.state_block(ref, sat.block)
    gap = np.linalg.norm(blk - np.eye(blk.shape[1]), 2, axis=(1, 2))
    K = float(sat.K.xreplace(weight_norms(p)))
    ok = gap <= K * eps * (1 + 1e-9) + max(rtol, 1e-12) * 10
    if away is not None:
        ok |= ~away
    if not ok.all():
        _fail(case, f"||J - I|| = {gap.max():.3g} exceeds K eps = {K * eps.max():.3g} with "
              f"the carrying gate {cell.carrying} pushed {push:g}")

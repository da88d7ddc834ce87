r"""Property tests for any cell, built-in or your own: hypothesis strategies and properties.

The suite's own property tests, public, so that a cell written with
:class:`derivations.CellBuilder` gets the same checks in its author's test suite::

    from numeric.testing import property_tests
    test_my_cell = property_tests(my_cell)        # a pytest test (hypothesis-driven)

Each drawn :class:`CellCase` (sizes, weight scale from contracting to saturating, gate-bias
shift up to saturation, states in every regime) is checked against references that share
no code with the derived Jacobian or the engine:

- ``closed_form``: the derived closed form equals SymPy's brute-force ``Matrix.jacobian``
  exactly at n = 1, 2, 3 (:func:`derivations.proof.prove`, once per cell);
- ``sympy``: the engine's Jacobian equals the brute-force SymPy Jacobian, lambdified, at
  n <= 3;
- ``step``: the engine's Jacobian equals complex step through the forward equations
  (central differences, away from kinks, when an activation has one);
- ``bounds``: every bound of :func:`numeric.check_bounds` holds on the singular values of
  that reference Jacobian, block by block;
- ``carrying`` (cells that declare a carrying gate): as the gate saturates,
  :math:`\|J - I\|_2 \le K \varepsilon` with :math:`\varepsilon` read from the gate's values.

Each property is a function that raises ``AssertionError`` naming the cell and the case.
hypothesis is imported only when a strategy or :func:`property_tests` is used.

>>> import derivations as dv
>>> case = CellCase(dv.cell("gru", "cho"), hidden=3, inputs=2, batch=2, scale=1.0,
...                 bias_shift=0.0, seed=0)
>>> check_case(case, properties=("step", "bounds", "carrying"))   # raises if one fails
>>> case.params().hidden_size, case.arrays()[0].shape            # x: (B, I)
(3, (2, 2))
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp

import derivations as dv
from derivations._bounds_range import RangeSource
from derivations.facts import BoundKind
from derivations.functions import ACTIVATIONS, activation

from ._errors import NumericError
from ._init import init
from .bounds import check_bounds, weight_norms
from .check import step_jacobian
from .jacobian import jacobian
from .step import prepare

__all__ = ["REGIMES", "STATE_REGIMES", "PROPERTIES", "CellCase", "cell_cases", "hidden_sizes",
           "input_sizes", "weight_scales", "bias_shifts", "seeds", "state_regimes",
           "horizons", "carrying_shifts", "closed_form_is_exact", "engine_matches_sympy",
           "engine_matches_step", "bounds_hold", "carrying_limit_holds", "check_case",
           "property_tests"]

#: recurrent-weight scales (multiplying the default init) by regime
REGIMES = {"contracting": (0.05, 0.7), "critical": (0.8, 1.25), "saturating": (1.5, 6.0)}
#: where states are drawn: near 0, across [-1, 1], near the edges +-1 (a state the
#: invariant lemma does not bound, such as LSTM's c, is drawn three times wider)
STATE_REGIMES = ("small", "uniform", "edge")
#: the properties :func:`check_case` runs, in order
PROPERTIES = ("closed_form", "sympy", "step", "bounds", "carrying")


def _hypothesis():
    try:
        import hypothesis
        from hypothesis import strategies
    except ImportError:
        raise NumericError("numeric.testing's strategies and property_tests need the "
                           "hypothesis package (pip install hypothesis)") from None
    return hypothesis, strategies


def _as_cell(cell, what="cell") -> dv.Cell:
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
        B, H = self.batch, self.hidden
        x = rng.normal(size=(B, self.inputs))
        why = dv.derive(self.cell).bounds.env.why
        parts = []
        for s in self.cell.states:
            if self.state_regime == "small":
                v = rng.uniform(-0.1, 0.1, size=(B, H))
            elif self.state_regime == "edge":
                v = rng.choice((-1.0, 1.0), size=(B, H)) * rng.uniform(0.9, 1.0, size=(B, H))
            else:
                v = rng.uniform(-1, 1, size=(B, H))
            parts.append(v if why.get(s) is RangeSource.INVARIANT else 3 * v)
        return x, (tuple(parts) if len(parts) > 1 else parts[0])


# -- strategies ------------------------------------------------------------------------
def hidden_sizes(lo: int = 1, hi: int = 64):
    return _hypothesis()[1].integers(lo, hi)


def input_sizes(lo: int = 1, hi: int = 32):
    return _hypothesis()[1].integers(lo, hi)


def weight_scales(regime: str | None = None):
    """Scale factors of the recurrent weights: contracting, critical or saturating."""
    st = _hypothesis()[1]
    if regime is not None:
        if regime not in REGIMES:
            raise NumericError(f"regime {regime!r} is not one of {sorted(REGIMES)}")
        lo, hi = REGIMES[regime]
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return st.sampled_from(sorted(REGIMES)).flatmap(weight_scales)


def bias_shifts():
    """A shift added to the biases: zero, moderate, or pushed to saturation (|b| <= 12)."""
    st = _hypothesis()[1]
    return st.one_of(st.just(0.0), st.floats(-3.0, 3.0), st.floats(-12.0, 12.0))


def seeds():
    return _hypothesis()[1].integers(0, 2**32 - 1)


def state_regimes():
    return _hypothesis()[1].sampled_from(STATE_REGIMES)


def horizons(lo: int = 1, hi: int = 12):
    """Numbers of recurrent steps for multi-step properties."""
    return _hypothesis()[1].integers(lo, hi)


def carrying_shifts(lo: float = 2.0, hi: float = 12.0):
    """How far a carrying gate's bias is pushed towards carrying."""
    return _hypothesis()[1].floats(lo, hi, allow_nan=False, allow_infinity=False)


def _other_dims(cell) -> tuple:
    return tuple(d for d in cell.dimensions
                 if d not in (cell.hidden_dim, *(cell.dims[s] for s in cell.inputs)))


def cell_cases(cells=None, *, max_hidden: int = 64, max_input: int = 32, max_batch: int = 4,
               regime: str | None = None, shift=None):
    """:class:`CellCase` strategy over ``cells`` (a Cell, a list of them, default every
    built-in cell and convention); ``regime`` fixes the weight scale's regime, ``shift`` is
    a strategy for the bias shift (default :func:`bias_shifts`)."""
    _, st = _hypothesis()
    if cells is None:
        pool = dv.all_cells()
    elif isinstance(cells, (list, tuple)):
        pool = [_as_cell(c, "cells") for c in cells]
    else:
        pool = [_as_cell(cells, "cells")]
    if not pool:
        raise NumericError("cells is empty: cell_cases needs at least one cell")
    scales = weight_scales(regime)

    @st.composite
    def cases(draw):
        cell = draw(st.sampled_from(pool))
        sizes = {d: draw(st.integers(1, 4)) for d in _other_dims(cell)}
        return CellCase(cell, draw(hidden_sizes(1, max_hidden)), draw(input_sizes(1, max_input)),
                        draw(st.integers(1, max_batch)), draw(scales),
                        draw(shift if shift is not None else bias_shifts()), draw(seeds()),
                        draw(state_regimes()), sizes)
    return cases()


# -- properties ------------------------------------------------------------------------
def _kinked(cell) -> bool:
    """True if an operation of ``cell`` has a kink (its derivative is a.e. only)."""
    kinks = getattr(cell, "kinks", None)
    if kinks is not None:
        return bool(kinks)
    return any((a := activation(f)) is not None and a.kink
               for q in cell.quantities for f in q.expr.atoms(sp.Function))


def _reference(p, x, state):
    """(the full state Jacobian by complex step, or by central differences when the cell
    has kinks or no analytic form, with a mask of the samples away from kinks; rtol)."""
    if not _kinked(p.cell):
        try:
            return step_jacobian(p, x, state, method="complex"), None, 1e-10
        except NumericError as exc:
            if "complex step" not in str(exc):
                raise
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

    cell = _as_cell(cell)
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
                blocks.append(closed_form_matrix(terms, inst) if terms
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
    case = replace(case, hidden=min(case.hidden, max_size), inputs=2,
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
    H, slack = case.hidden, max(rtol, 1e-9)
    for key in dv.derive(case.cell).bounds.blocks:
        o, w = names.index(key[0]), names.index(key[1])
        blk = ref[:, o * H:(o + 1) * H, w * H:(w + 1) * H]
        r = check_bounds(p, x, state, which=key)
        norm, smin = _svd(blk)
        tol = slack * np.maximum(1.0, r.upper)
        dom = keep & r.in_domain
        checks = {
            "||J|| <= upper": norm <= r.upper + tol,
            "upper <= global upper": ~dom | (r.upper <= r.global_upper * (1 + 1e-9)),
            "sigma_min >= lower": ~(r.lower > 0) | (smin >= r.lower - tol),
            "||J - I|| <= saturation": np.isnan(r.saturation) | (
                np.linalg.norm(blk - np.eye(H), 2, axis=(1, 2)) <= r.saturation + tol),
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
    names = [s.name for s in cell.states]
    H, (o, w) = case.hidden, (names.index(sat.block[0]), names.index(sat.block[1]))
    blk = ref[:, o * H:(o + 1) * H, w * H:(w + 1) * H]
    gap = np.linalg.norm(blk - np.eye(H), 2, axis=(1, 2))
    K = float(sat.K.xreplace(weight_norms(p)))
    ok = gap <= K * eps * (1 + 1e-9) + max(rtol, 1e-12) * 10
    if away is not None:
        ok |= ~away
    if not ok.all():
        _fail(case, f"||J - I|| = {gap.max():.3g} exceeds K eps = {K * eps.max():.3g} with "
              f"the carrying gate {cell.carrying} pushed {push:g}")


def _chosen(cell, properties) -> tuple:
    if properties is None:
        return tuple(k for k in PROPERTIES if k != "carrying" or cell.carrying is not None)
    if isinstance(properties, str) or not all(isinstance(k, str) for k in properties):
        raise NumericError(f"properties must be a list of names from {list(PROPERTIES)}, "
                           f"got {properties!r}")
    bad = [k for k in properties if k not in PROPERTIES]
    if bad:
        raise NumericError(f"unknown properties {bad}; choose from {list(PROPERTIES)}")
    if "carrying" in properties and cell.carrying is None:
        raise NumericError(f"property 'carrying': cell {cell.title!r} declares no carrying "
                           "gate (CellBuilder.carrying)")
    return tuple(properties)


def check_case(case: CellCase, properties=None, push: float = 8.0) -> None:
    """Run ``properties`` (default all that apply, :data:`PROPERTIES`) on ``case``."""
    if not isinstance(case, CellCase):
        raise NumericError(f"case must be a CellCase, got {type(case).__name__}")
    props = _chosen(case.cell, properties)
    runs = {"closed_form": lambda: closed_form_is_exact(case.cell),
            "sympy": lambda: engine_matches_sympy(case),
            "step": lambda: engine_matches_step(case),
            "bounds": lambda: bounds_hold(case),
            "carrying": lambda: carrying_limit_holds(case, push)}
    for k in props:
        runs[k]()


def property_tests(cell, *, properties=None, max_hidden: int = 16, max_input: int = 8,
                   max_batch: int = 3):
    """A hypothesis-driven test function (collected by pytest when assigned to a
    ``test_*`` name) checking ``properties`` of ``cell`` on drawn cases.

    The examples follow the active hypothesis profile (``settings``); wrap the result
    with ``hypothesis.settings(max_examples=...)`` to change them.

    Raises
    ------
    NumericError
        At once, for a ``cell`` that is not a Cell, an unknown property, ``'carrying'`` on
        a cell without a carrying gate, or when hypothesis is not installed.
    """
    cell = _as_cell(cell)
    props = _chosen(cell, properties)
    hypothesis, st = _hypothesis()

    @hypothesis.given(case=cell_cases(cell, max_hidden=max_hidden, max_input=max_input,
                                      max_batch=max_batch), push=carrying_shifts(2.0, 12.0))
    def test(case, push):
        check_case(case, props, push)

    test.__name__ = test.__qualname__ = f"test_{cell.name}_properties"
    test.__doc__ = f"Properties {', '.join(props)} of cell {cell.title!r}."
    return test

r"""Compile a cell's derivation into NumPy evaluators (private): ONE source of truth.

The forward equations come from ``cell.quantities`` and the Jacobian coefficients from
``derive(cell).jacobian`` terms, both turned into NumPy by ``sympy.lambdify``. Every
``MatVec(W, v)`` becomes a dummy symbol whose value is computed by a matrix product;
all products with the same operand (``W_hr h``, ``W_hz h``, ``W_hn h``) are stacked into one
GEMM. The sigmoid never overflows and keeps relative accuracy on both tails
(:func:`sigmoid`); in Jacobian coefficients the gate complements ``1 - z`` and ``1 - n**2``
are evaluated from the pre-activation (:func:`sigmoid_c`, :func:`sech2`), so saturated
derivatives stay relatively accurate instead of rounding to 0.

Arrays are kept *feature-major*: a vector quantity of a batch is an ``(H, B)`` array, so
per-gate slabs of a stacked product are contiguous. Compiled programs are cached per cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

import derivations as dv
from derivations.language import MatVec

from ._activations import sech2, sigmoid, sigmoid_c, sigmoid_pair
from ._errors import NumericError

__all__ = ["program", "Program", "BlockPlan"]


class _SigmoidC(sp.Function):
    nargs = 1


class _Sech2(sp.Function):
    nargs = 1


_MODULES = [{"sigmoid": sigmoid, "tanh": np.tanh, "_SigmoidC": sigmoid_c,
             "_Sech2": sech2},
            "numpy"]


def _lambdify(args, exprs):
    return sp.lambdify(args, exprs, modules=_MODULES, cse=True, docstring_limit=0)


@dataclass(frozen=True)
class _MatVecStage:
    operand: object  # a symbol name (str) or (fn, argnames)
    weights: tuple  # weight names, stacked in this order
    outputs: tuple  # dummy names


@dataclass(frozen=True)
class _LetStage:
    name: str
    fn: object
    args: tuple
    extra: str | None = None  # a second output (the accurate complement 1 - q)


class BlockPlan:
    """Evaluation plan for a sum of Jacobian terms (one block, or one path of it).

    Terms are grouped as: ``diag`` (the matrix-free carry), ``rows`` (single-matrix terms
    ``diag(a) W``, summed per matrix) and ``general`` (every other term, e.g.
    ``diag(a0) W_hn diag(a1) W_hr`` or ``diag(a0) W diag(a1)``).
    """

    def __init__(self, prog, key, terms, label=None):
        self.key, self.label, self.terms = key, label, tuple(terms)
        diag, rows, general = [], {}, []
        for t in terms:
            if t.is_diagonal:
                diag.append(t.coeffs[0])
            elif len(t.matrices) == 1 and t.coeffs[1] == 1:
                rows.setdefault(t.matrices[0].name, []).append(t.coeffs[0])
            else:
                general.append(t)
        order = [w.name for w in prog.cell.weights]
        self.row_names = tuple(sorted(rows, key=order.index))
        self.has_diag = bool(diag)
        self.general = tuple(([m.name for m in t.matrices], [c == 1 for c in t.coeffs])
                             for t in general)
        exprs = ([sp.Add(*diag)] if diag else []) + [sp.Add(*rows[n]) for n in self.row_names]
        for t in general:
            exprs.extend(t.coeffs)
        self._fn, self._args = prog.lambdify(exprs, stable=True)
        self.n_exprs = len(exprs)

    def coefficients(self, env):
        """(diag or None, [row coeffs], [[general coeffs]]) as (H, B)-broadcastable values."""
        vals = list(self._fn(*(env[a] for a in self._args))) if self.n_exprs else []
        diag = vals.pop(0) if self.has_diag else None
        rows = vals[: len(self.row_names)]
        vals = vals[len(self.row_names):]
        general = []
        for _, ones in self.general:
            general.append([None if one else v for one, v in zip(ones, vals[: len(ones)],
                                                                 strict=True)])
            vals = vals[len(ones):]
        return diag, rows, general

    def row_stack(self, params):
        """(H, K, H_in) stack: row i of each row-matrix, then e_i if there is a carry."""
        key = ("rowstack", self.key, self.label)
        hit = params._cache.get(key)
        if hit is None:
            mats = [params.arrays[n] for n in self.row_names]
            if self.has_diag:
                H = params.hidden_size
                mats.append(np.eye(H, dtype=params.dtype))
            hit = np.ascontiguousarray(np.stack(mats, axis=1))
            hit.setflags(write=False)
            params._cache[key] = hit
        return hit


class Program:
    """A cell compiled to NumPy: forward stages and Jacobian block plans."""

    def __init__(self, cell):
        self.cell = cell
        self.derivation = dv.derive(cell)
        self.jac = self.derivation.jacobian
        self.state_names = tuple(s.name for s in cell.states)
        self.next_names = tuple(cell.next_states[s].name for s in cell.states)
        self.input_name = cell.inputs[0].name
        self.bias_names = tuple(b.name for b in cell.biases)
        self.blocks = tuple(self.jac.blocks)
        self._plans = {}
        exprs = [q.expr for q in cell.quantities]
        for block in self.jac.blocks.values():
            for t in block.terms:
                exprs.extend(t.coeffs)
        mvs = []
        for e in exprs:
            for m in sp.preorder_traversal(e):
                if isinstance(m, MatVec) and m not in mvs:
                    mvs.append(m)
        self._mv = {m: sp.Symbol(f"_mv{k}") for k, m in enumerate(mvs)}
        self.stages = self._compile_forward(cell, mvs)

    # -- compilation ---------------------------------------------------------------------
    def replace(self, expr):
        return sp.sympify(expr).xreplace(self._mv)

    def _stable_map(self, exprs):
        """Rewrite ``1 - q`` (q = sigmoid(u)) and ``1 - q**2`` (q = tanh(u)) as functions of u.

        Near saturation the derived forms cancel catastrophically (``1 - n**2`` is 0 once
        ``n`` rounds to 1); :func:`sigmoid_c` and :func:`sech2` keep relative accuracy. For
        a sigmoid quantity ``q`` the forward pass keeps ``1 - q`` (``_cpl_q``) from
        :func:`sigmoid_pair`.
        """
        rep = {}
        for q in self.cell.quantities:
            pre = sp.Symbol(_pre_name(q.symbol.name))
            if isinstance(q.expr, dv.sigmoid):
                # the forward stage computes 1 - q with q from one exp (sigmoid_pair)
                rep[1 - q.symbol] = sp.Symbol(_cpl_name(q.symbol.name))
            elif isinstance(q.expr, sp.tanh):
                rep[1 - q.symbol**2] = _Sech2(pre)
        for e in exprs:
            for f in sp.sympify(e).atoms(sp.tanh, dv.sigmoid):
                if isinstance(f, sp.tanh):
                    rep[1 - f**2] = _Sech2(f.args[0])
                else:
                    rep[1 - f] = _SigmoidC(f.args[0])
        return rep

    def lambdify(self, exprs, *, stable: bool = False):
        """A function of the env names it needs, returning the list of ``exprs`` values.

        ``stable`` rewrites gate complements for accuracy in saturation (coefficients only).
        """
        if stable:
            rep_map = self._stable_map(exprs)
            exprs = [sp.sympify(e).xreplace(rep_map) for e in exprs]
        rep = [self.replace(e) for e in exprs]
        args = sorted({s for e in rep for s in e.free_symbols}, key=lambda s: s.name)
        return _lambdify(args, rep), tuple(s.name for s in args)

    def _compile_forward(self, cell, mvs):
        available = {self.input_name, *self.state_names, *self.bias_names}
        pending = list(mvs)
        stages = []
        order = [w.name for w in cell.weights]

        def ready(m):
            return {s.name for s in self.replace(m.operand).free_symbols} <= available

        def flush():
            now = [m for m in pending if ready(m)]
            groups = {}
            for m in now:
                groups.setdefault(self.replace(m.operand), []).append(m)
                pending.remove(m)
            for operand, ms in groups.items():
                ms.sort(key=lambda m: order.index(m.matrix.name))
                if isinstance(operand, sp.Symbol):
                    op = operand.name
                else:
                    fn, args = self.lambdify([operand])
                    op = (fn, args)
                stages.append(_MatVecStage(op, tuple(m.matrix.name for m in ms),
                                           tuple(self._mv[m].name for m in ms)))
                available.update(self._mv[m].name for m in ms)
            return bool(now)

        for q in cell.quantities:
            rep = self.replace(q.expr)
            while {s.name for s in rep.free_symbols} - available:
                if not flush():
                    missing = {s.name for s in rep.free_symbols} - available
                    raise NumericError(f"cannot order the evaluation of {q.symbol.name!r} "
                                       f"in cell {cell.title!r}: {sorted(missing)} unavailable")
            if isinstance(q.expr, (dv.sigmoid, sp.tanh)):
                # keep the pre-activation: the stable coefficients use it
                pre = _pre_name(q.symbol.name)
                fn, args = self.lambdify([q.expr.args[0]])
                stages.append(_LetStage(pre, fn, args))
                available.add(pre)
                if isinstance(q.expr, dv.sigmoid):
                    cpl = _cpl_name(q.symbol.name)
                    stages.append(_LetStage(q.symbol.name, sigmoid_pair, (pre,), cpl))
                    available.update((q.symbol.name, cpl))
                    continue
                fn, args = self.lambdify([q.expr.func(sp.Symbol(pre))])
            else:
                fn, args = self.lambdify([q.expr])
            stages.append(_LetStage(q.symbol.name, fn, args))
            available.add(q.symbol.name)
        while pending and flush():
            pass
        if pending:
            raise NumericError(f"cell {cell.title!r}: cannot evaluate {pending}")
        return tuple(stages)

    # -- evaluation ----------------------------------------------------------------------
    def bias_env(self, params):
        hit = params._cache.get("bias_env")
        if hit is None:
            hit = {n: params.arrays[n][:, None] for n in self.bias_names}
            params._cache["bias_env"] = hit
        return hit

    def forward(self, params, xT, statesT, *, only=None) -> dict:
        """Evaluate every quantity; ``xT`` (I, B), ``statesT`` tuple of (H, B). Returns env.

        ``only`` (from :meth:`needed`) skips the stages nothing downstream asks for.
        """
        env = dict(self.bias_env(params))
        env[self.input_name] = xT
        for n, s in zip(self.state_names, statesT, strict=True):
            env[n] = s
        for k, st in enumerate(self.stages):
            if only is not None and not only[k]:
                continue
            if isinstance(st, _LetStage):
                vals = st.fn(*(env[a] for a in st.args))
                env[st.name] = vals[0]
                if st.extra is not None:
                    env[st.extra] = vals[1]
                continue
            if isinstance(st.operand, str):
                v = env[st.operand]
            else:
                fn, args = st.operand
                v = fn(*(env[a] for a in args))[0]
            out = params.stacked(st.weights) @ v
            r0 = 0
            for name, w in zip(st.outputs, st.weights, strict=True):
                r1 = r0 + params.arrays[w].shape[0]
                env[name] = out[r0:r1]
                r0 = r1
        return env

    def needed(self, keys) -> tuple:
        """Per stage, whether the coefficients of blocks ``keys`` depend on it (cached)."""
        ck = ("needed", tuple(keys))
        hit = self._plans.get(ck)
        if hit is None:
            names = {a for key in keys for a in self.plan(key)._args}
            flags = []
            for st in reversed(self.stages):
                if isinstance(st, _LetStage):
                    use = st.name in names or st.extra in names
                    inputs = st.args
                else:
                    use = any(o in names for o in st.outputs)
                    inputs = (st.operand,) if isinstance(st.operand, str) else st.operand[1]
                if use:
                    names.update(inputs)
                flags.append(use)
            hit = tuple(reversed(flags))
            self._plans[ck] = hit
        return hit

    def warm(self, params, keys=None) -> None:
        """Build every plan and cached weight stack up front (before worker threads run)."""
        self.bias_env(params)
        for st in self.stages:
            if isinstance(st, _MatVecStage):
                params.stacked(st.weights)
        for key in (self.blocks if keys is None else keys):
            plan = self.plan(key)
            if plan.row_names:
                params.stacked(plan.row_names)
                params.stacked(plan.row_names, transpose=True)
            if plan.row_names or plan.has_diag:
                plan.row_stack(params)

    def plan(self, key, label=None) -> BlockPlan:
        """The plan of block ``key`` (``('h', 'h')``), or of its terms with one path label."""
        pk = (key, label)
        hit = self._plans.get(pk)
        if hit is None:
            terms = self.jac.blocks[key].terms
            if label is not None:
                terms = [t for t in terms if t.label == label]
            hit = BlockPlan(self, key, terms, label)
            self._plans[pk] = hit
        return hit

    def term_function(self, key):
        """(terms, fn, args) evaluating every coefficient of every term of block ``key``."""
        pk = ("terms", key)
        hit = self._plans.get(pk)
        if hit is None:
            terms = self.jac.blocks[key].terms
            flat = [c for t in terms for c in t.coeffs]
            fn, args = self.lambdify(flat, stable=True) if flat else (None, ())
            hit = (terms, fn, args)
            self._plans[pk] = hit
        return hit


def _pre_name(name: str) -> str:
    return f"_pre_{name}"


def _cpl_name(name: str) -> str:
    return f"_cpl_{name}"


@cache
def program(cell) -> Program:
    """The compiled program of ``cell`` (cached per cell object; cells hash by identity)."""
    return Program(cell)

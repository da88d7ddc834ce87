r"""Compile a cell's derivation into NumPy evaluators (private): ONE source of truth.

The forward equations come from ``cell.quantities`` and the Jacobian coefficients from
``derive(cell).jacobian`` terms. Every ``MatVec(W, v)`` becomes a dummy symbol whose value
is computed by a matrix product; all products with the same operand (``W_hr h``, ``W_hz h``,
``W_hn h``) are stacked into one GEMM. Everything (forward pass, next state, the
coefficients of every Jacobian, path, JVP and VJP) runs generated straight-line code that
writes every operation into reused buffers (:mod:`numeric._codegen`): one evaluation path.
Activations come from the registry of the cell language
(:func:`derivations.functions.activation`). Those with a fast path of the engine
(:data:`numeric._activations.FAST_PATHS`: sigmoid, tanh) keep their pre-activation, and in
coefficients their complements ``1 - z`` and ``1 - n**2`` are evaluated from it
(``SigmoidC``, ``Sech2``), so saturated derivatives stay relatively accurate instead of
rounding to 0; the sigmoid never overflows and keeps relative accuracy on both tails. Any
other registered activation is evaluated by its declared NumPy function, and its
derivative is whatever ``Activation.derivative`` put in the derived coefficients.

Arrays are kept *feature-major*: a vector quantity of a batch is an ``(H, B)`` array, so
per-gate slabs of a stacked product are contiguous. Compiled programs are kept per cell
(:func:`~derivations.language.per_cell`); a program's kernels and plans, and what it
derives from one :class:`~numeric.Params` (bias columns, row stacks), are kept by the
function computing them (:func:`numeric._memo.per_object`).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import derivations as dv
from derivations.language import MatVec, per_cell

from ._activations import fast_path
from ._codegen import SCALAR_DIM, Kernel, Let, MatMul, SigmoidPair
from ._errors import NumericError
from ._memo import per_object

__all__ = ["program", "Program", "BlockPlan", "coefficient_dims", "bias_columns"]


class BlockPlan:
    """Evaluation plan for a sum of Jacobian terms (one block, or one path of it).

    Terms are grouped as: ``diag`` (the matrix-free carry), ``rows`` (single-matrix terms
    ``diag(a) W``, summed per matrix) and ``general`` (every other term, e.g.
    ``diag(a0) W_hn diag(a1) W_hr`` or ``diag(a0) W diag(a1)``). A coefficient between two
    matrices has the dimension they share, which may be one of the cell's own (``V diag(a)
    U`` with U of ``rows="K"``): :attr:`dims` names each coefficient's dimension.
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
        cell = prog.cell
        #: the dimension names of the block's output (rows) and input (columns) states:
        #: the carry and the ``diag(a) W`` coefficients have the rows' dimension
        self.row_dim, self.col_dim = (cell.dims[cell.symbol(n)] for n in key)
        dims = [self.row_dim] * len(exprs)
        for t in general:
            for c, d in zip(t.coeffs, coefficient_dims(cell, t, self.row_dim), strict=True):
                if c != 1:
                    exprs.append(c)
                    dims.append(d)
        self.exprs = tuple(exprs)
        #: the dimension name of each coefficient in :attr:`exprs` (``diag(a) W`` has a's
        #: dimension = W's rows; ``W diag(a)`` = W's columns)
        self.dims = tuple(dims)
        self.n_exprs = len(exprs)

    def group(self, vals):
        """Flat values in :attr:`exprs` order -> (diag or None, [rows], [[general]])."""
        vals = list(vals)
        diag = vals.pop(0) if self.has_diag else None
        rows = vals[: len(self.row_names)]
        vals = vals[len(self.row_names):]
        general = []
        for _, ones in self.general:
            general.append([None if one else vals.pop(0) for one in ones])
        return diag, rows, general

    def row_stack(self, params):
        """(H, K, H_in) stack: row i of each row-matrix, then e_i if there is a carry
        (H the block's rows, H_in its columns: the sizes of its two states)."""
        return _row_stack(params, self.row_names, self.has_diag, self.row_dim)


@per_object
def _row_stack(params, row_names: tuple, has_diag: bool, row_dim: str) -> np.ndarray:
    """:meth:`BlockPlan.row_stack` of ``params`` (kept per params)."""
    mats = [params.arrays[n] for n in row_names]
    if has_diag:  # a carry diag(a) is square: its block's two states have one dimension
        mats.append(np.eye(params.sizes[row_dim], dtype=params.dtype))
    out = np.ascontiguousarray(np.stack(mats, axis=1))
    out.setflags(write=False)
    return out


@per_object
def bias_columns(params) -> dict:
    """Bias name -> its (d, 1) column view, the kernels' bias arguments, and scalar name ->
    its (1, 1) column (kept per params: kernels are per cell, values per params)."""
    out = {b.name: params.arrays[b.name][:, None] for b in params.cell.biases}
    out.update({s.name: params.arrays[s.name].reshape(1, 1) for s in params.cell.scalars})
    return out


class Program:
    """A cell compiled to NumPy: forward stages and Jacobian block plans."""

    def __init__(self, cell):
        self.cell = cell
        self.derivation = dv.derive(cell)
        self.jac = self.derivation.jacobian
        self.state_names = tuple(s.name for s in cell.states)
        self.next_names = tuple(cell.next_states[s].name for s in cell.states)
        self.input_name = cell.inputs[0].name
        self.bias_names = tuple(b.name for b in (*cell.biases, *cell.scalars))
        self.blocks = tuple(self.jac.blocks)
        #: kernels, block plans and dimension lists of this program, each kept by the
        #: method computing it (:func:`numeric._memo.per_object`)
        self.memo = {}
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
        self.steps = self._forward_steps(cell, mvs)

    # -- compilation ---------------------------------------------------------------------
    def replace(self, expr):
        return sp.sympify(expr).xreplace(self._mv)

    def _stable_map(self, exprs):
        """Rewrite the complement of each fast-path activation as a function of its
        argument: ``1 - q`` (q = sigmoid(u)) and ``1 - q**2`` (q = tanh(u)).

        Near saturation the derived forms cancel catastrophically (``1 - n**2`` is 0 once
        ``n`` rounds to 1); :func:`sigmoid_c` and :func:`sech2` keep relative accuracy. For
        a sigmoid quantity ``q`` the forward pass keeps ``1 - q`` (``_cpl_q``) from
        :func:`sigmoid_pair`.
        """
        rep = {}
        for q in self.cell.quantities:
            fp = fast_path(q.expr)
            if fp is None:
                continue
            name = q.symbol.name
            # the forward stage keeps u (and, for a pair, 1 - q from the same exp)
            rep[fp.complement(q.symbol)] = (sp.Symbol(_cpl_name(name)) if fp.pair
                                            else fp.accurate(sp.Symbol(_pre_name(name))))
        for e in exprs:
            for f in sp.sympify(e).atoms(sp.Function):
                fp = fast_path(f)
                if fp is not None:
                    rep[fp.complement(f)] = fp.accurate(f.args[0])
        # a scaled complement 1 + m q (LEM's carry 1 - dt s): (1 + m) - m (1 - q), with
        # 1 - q the accurate complement, exact where m = -1 (dt = 1) and q rounds to 1
        pairs = {q.symbol: sp.Symbol(_cpl_name(q.symbol.name)) for q in self.cell.quantities
                 if (fp := fast_path(q.expr)) is not None and fp.pair}
        for e in exprs:
            for a in sp.preorder_traversal(sp.sympify(e)):
                if not isinstance(a, sp.Add) or len(a.args) != 2 or sp.S.One not in a.args:
                    continue
                t = a.args[0] if a.args[1] == 1 else a.args[1]
                for q, cpl in pairs.items():
                    m, rest = t.as_independent(q, as_Add=False)
                    if rest == q and m != -1:
                        rep[a] = (1 + m) - m * cpl
        return rep

    def _forward_steps(self, cell, mvs):
        """Kernel steps of the forward pass: stacked GEMMs as soon as their operand is known,
        each quantity after them; a quantity of a fast-path activation (sigmoid, tanh)
        keeps its pre-activation (``_pre_q``), a sigmoid also its accurate complement
        ``_cpl_q``; any other expression (other activations included) is one ``Let``."""
        available = {self.input_name, *self.state_names, *self.bias_names}
        pending = list(mvs)
        steps = []
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
                names = tuple(m.matrix.name for m in ms)
                steps.append(MatMul(tuple((self._mv[m].name, cell.weight_shapes[m.matrix][0])
                                          for m in ms),
                                    names, operand, cell.weight_shapes[ms[0].matrix][1]))
                available.update(self._mv[m].name for m in ms)
            return bool(now)

        cpl = {}  # 1 - q -> the accurate complement kept by the sigmoid pair
        for q in cell.quantities:
            rep = self.replace(q.expr).xreplace(cpl)
            while {s.name for s in rep.free_symbols} - available:
                if not flush():
                    missing = {s.name for s in rep.free_symbols} - available
                    raise NumericError(f"cannot order the evaluation of {q.symbol.name!r} "
                                       f"in cell {cell.title!r}: {sorted(missing)} unavailable")
            name = q.symbol.name
            fp = fast_path(q.expr)
            if fp is not None:
                pre = _pre_name(name)
                steps.append(Let(pre, rep.args[0]))
                if fp.pair:
                    steps.append(SigmoidPair(name, _cpl_name(name), pre))
                    cpl[fp.complement(q.symbol)] = sp.Symbol(_cpl_name(name))
                else:
                    steps.append(Let(name, type(q.expr)(sp.Symbol(pre))))
                available.update((pre, _cpl_name(name), name))
            else:
                steps.append(Let(name, rep))
                available.add(name)
        while pending and flush():
            pass
        if pending:
            raise NumericError(f"cell {cell.title!r}: cannot evaluate {pending}")
        return tuple(steps)

    def _inputs(self):
        cell = self.cell
        spec = {self.input_name: (cell.dims[cell.inputs[0]], False)}
        for s in cell.states:
            spec[s.name] = (cell.dims[s], False)
        for b in cell.biases:
            spec[b.name] = (cell.dims[b], True)
        for c in cell.scalars:
            spec[c.name] = (SCALAR_DIM, True)
        return spec

    def kernel(self, outputs: tuple, exprs: tuple = ()) -> Kernel:
        """The generated kernel computing named quantities ``outputs`` and then the
        (stable-rewritten) coefficient expressions ``exprs`` (cached)."""
        return self._kernel(tuple(outputs), tuple(exprs))

    @per_object
    def _kernel(self, outputs: tuple, exprs: tuple) -> Kernel:
        rep_map = self._stable_map(exprs)
        lets = [Let(f"_out{k}", self.replace(sp.sympify(e).xreplace(rep_map)))
                for k, e in enumerate(exprs)]
        return Kernel(self.steps + tuple(lets), self._inputs(),
                      tuple(outputs) + tuple(x.name for x in lets),
                      name=f"_{self.cell.name}_kernel")

    def coef_exprs(self, keys) -> tuple:
        """Every coefficient expression of the blocks ``keys``, flat, in plan order."""
        return tuple(e for key in keys for e in self.plan(key).exprs)

    def group(self, keys, vals) -> dict:
        """Flat coefficient arrays (in :meth:`coef_exprs` order) -> {key: plan grouping}."""
        return dict(zip(keys, _split([self.plan(k) for k in keys], vals), strict=True))

    def run(self, kernel, params, xT, statesT, outs, ws=None):
        """Run ``kernel`` on one batch: ``xT`` (I, B), ``statesT`` (H, B) each; ``outs`` the
        (d, B) output arrays; ``ws`` a workspace from :meth:`workspace` (fresh if None)."""
        args = dict(bias_columns(params))
        args[self.input_name] = xT
        for n, s in zip(self.state_names, statesT, strict=True):
            args[n] = s
        if ws is None:
            ws = self.workspace(kernel, params, xT.shape[1],
                                np.result_type(xT, *statesT, params.dtype))
        weights = [params.stacked(w) for w in kernel.weights]
        return kernel(args, outs, ws, params.sizes, weights)

    @staticmethod
    def workspace(kernel, params, B, dtype):
        return kernel.workspace(params.sizes, B, dtype)

    # -- evaluation ----------------------------------------------------------------------
    def env_names(self) -> tuple:
        """Every named value of the forward pass (quantities, pre-activations, products)."""
        names = []
        for st in self.steps:
            if isinstance(st, Let):
                names.append(st.name)
            elif isinstance(st, SigmoidPair):
                names += [st.q, st.c]
            else:
                names += [n for n, _ in st.outputs]
        return tuple(names)

    def evaluate(self, params, xT, statesT, names=(), exprs=(), dims=None) -> list:
        """Named forward values, then the (stable-rewritten) coefficient expressions ``exprs``,
        each a fresh (d, B) array, from one run of the generated kernel. ``dims`` names the
        dimension of each expression (default: read from the expression; a constant
        coefficient between two matrices needs it)."""
        k = self.kernel(tuple(names), tuple(exprs))
        dt = np.result_type(xT, *statesT, params.dtype)
        B = xT.shape[1]
        dims = list(self.expr_dims(tuple(exprs)) if dims is None else dims)
        outs = [np.empty((params.sizes[d], B), dtype=dt) for d in self.dims_of(names) + dims]
        self.run(k, params, xT, statesT, outs)
        return outs

    def coefficients(self, params, xT, statesT, plans, *, next_states=False):
        """(next states or (), [coefficient grouping per plan]) from one kernel run."""
        names = self.next_names if next_states else ()
        vals = self.evaluate(params, xT, statesT, names, tuple(e for p in plans for e in p.exprs),
                             [d for p in plans for d in p.dims])
        return tuple(vals[:len(names)]), _split(plans, vals[len(names):])

    def forward(self, params, xT, statesT) -> dict:
        """Evaluate every quantity; ``xT`` (I, B), ``statesT`` tuple of (H, B). Returns env."""
        names = self.env_names()
        env = dict(bias_columns(params))
        env[self.input_name] = xT
        env.update(zip(self.state_names, statesT, strict=True))
        env.update(zip(names, self.evaluate(params, xT, statesT, names), strict=True))
        return env

    @per_object
    def expr_dims(self, exprs: tuple) -> tuple:
        """The dimension name of each elementwise expression (a constant: the state's)."""
        return tuple(self.cell.dim_of(e) or self.cell.hidden_dim for e in exprs)

    def dims_of(self, names) -> list:
        """The row dimension name of each named forward value."""
        dims = {}
        for st in self.steps:
            if isinstance(st, MatMul):
                dims.update(dict(st.outputs))
        for q in self.cell.quantities:
            d = self.cell.dims[q.symbol]
            for n in (q.symbol.name, _pre_name(q.symbol.name), _cpl_name(q.symbol.name)):
                dims[n] = d
        return [dims[n] for n in names]

    def warm(self, params, keys=None) -> None:
        """Build every plan and cached weight stack up front (before worker threads run)."""
        bias_columns(params)
        for st in self.steps:
            if isinstance(st, MatMul):
                params.stacked(st.weight)
        for key in (self.blocks if keys is None else keys):
            plan = self.plan(key)
            if plan.row_names:
                params.stacked(plan.row_names)
                params.stacked(plan.row_names, transpose=True)
            if plan.row_names or plan.has_diag:
                plan.row_stack(params)

    def plan(self, key, label=None) -> BlockPlan:
        """The plan of block ``key`` (``('h', 'h')``), or of its terms with one path label."""
        return self._plan(key, label)

    @per_object
    def _plan(self, key, label) -> BlockPlan:
        terms = self.jac.blocks[key].terms
        if label is not None:
            terms = [t for t in terms if t.label == label]
        return BlockPlan(self, key, terms, label)

def coefficient_dims(cell, term, rows: str | None = None) -> tuple:
    """The dimension name of each coefficient of ``term`` (one more than its matrices):
    ``diag(a0) W1 diag(a1) W2 ...`` has a0 in W1's rows, a_k in W_k's columns; a
    matrix-free ``diag(a0)`` has ``rows``, its block's output state's dimension (default
    the hidden one)."""
    if not term.matrices:
        return (rows or cell.hidden_dim,) * len(term.coeffs)
    return (cell.weight_shapes[term.matrices[0]][0],
            *(cell.weight_shapes[W][1] for W in term.matrices))


def _split(plans, vals) -> list:
    """Flat values -> one (diag, rows, general) grouping per plan, in order."""
    out, k = [], 0
    for p in plans:
        out.append(p.group(vals[k:k + p.n_exprs]))
        k += p.n_exprs
    return out


def _pre_name(name: str) -> str:
    return f"_pre_{name}"


def _cpl_name(name: str) -> str:
    return f"_cpl_{name}"


@per_cell
def program(cell) -> Program:
    """The compiled program of ``cell``, kept on the cell (it lives and dies with the cell)."""
    return Program(cell)

r"""Straight-line NumPy code generated from SymPy assignments, into reused buffers (private).

``sympy.lambdify`` turns ``(1 - z)*(1 - n**2)*r`` into NumPy code that allocates a new
array for every operation; over thousands of steps the allocations (page faults of fresh
temporaries) cost as much as the arithmetic. :class:`Kernel` compiles the same expressions
into three-address code where every operation writes with ``out=`` into a buffer of a
workspace allocated once per batch size:

1. the steps (:class:`Let`, :class:`MatMul`, :class:`SigmoidPair`) needed by the requested
   outputs are kept (dead code removed) and their expressions share common subexpressions
   (``sympy.cse``);
2. each expression is lowered to single ufunc calls (``Add`` and ``Mul`` as chains, with
   broadcast bias columns combined first, ``x - y`` as one subtraction, integer powers as
   products, ``1 - exp(x)`` as ``-expm1(x)``); a function application is an activation's
   fast path (:data:`numeric._activations.FAST_PATHS`), an analytic elementary function,
   or any other registered activation through its declared NumPy function;
3. a linear scan over the operations assigns buffers: a temporary whose last use is the
   current operation lends its buffer to the result (in place), requested outputs are
   written straight into the caller's arrays.

Vectors are feature-major ``(d, B)``; a value built only from biases and constants is a
``(d, 1)`` column. ``d`` is a dimension name of the cell (``"H"``, ``"I"``), resolved when a
workspace is allocated.

>>> import sympy as sp, numpy as np
>>> a, b, y = sp.symbols("a b y")
>>> k = Kernel([Let("y", (1 - a) * b + a)], {"a": ("H", False), "b": ("H", False)}, ("y",))
>>> print(k.source)                      # one buffer, reused in place
def _kernel(_d_H, a0, a1, o0, t0):
    np.subtract(1.0, a0, out=t0)
    np.multiply(a1, t0, out=t0)
    np.add(a0, t0, out=o0)
>>> A, B = np.array([[0.25, 1.0]]), np.array([[2.0, 3.0]])
>>> out = np.empty((1, 2))
>>> _ = k({"a": A, "b": B}, [out], k.workspace({"H": 1}, 2, np.float64), {"H": 1})
>>> out.tolist()
[[1.75, 1.0]]
"""

from __future__ import annotations

import keyword
import math

import numpy as np
import sympy as sp
from sympy.codegen.rewriting import expm1_opt, log1p_opt, optimize

from derivations.functions import activation

from ._activations import (
    Generic,
    Sech2,
    SigmoidC,
    fast_path,
    sech2_into,
    sigmoid_c_into,
    sigmoid_into,
    sigmoid_pair_into,
)
from ._emit import ELEMENTARY, Val, emit
from ._errors import NumericError
from ._steps import Let, MatMul, SigmoidPair, prune

__all__ = ["Let", "MatMul", "SigmoidPair", "Kernel", "SigmoidC", "Sech2", "SCALAR_DIM"]

#: the dimension of a scalar input (``cb.scalar``): a (1, 1) column of size 1, which no
#: user's dimension can be named (names starting with ``_`` are reserved)
SCALAR_DIM = "_s"


class Kernel:
    """Generated code computing ``outputs`` from ``inputs`` through ``steps``.

    Parameters
    ----------
    steps : sequence of Let | MatMul | SigmoidPair, in evaluation order
    inputs : dict name -> (dim, col)
        Arrays the kernel reads: ``(d, B)`` vectors or ``(d, 1)`` columns (``col``).
        Row-stacked weights of :class:`MatMul` steps are read too (by ``weight`` name).
    outputs : tuple of names
        Written into caller arrays of shape ``(d, B)`` (in this order).
    """

    def __init__(self, steps, inputs: dict, outputs: tuple, name: str = "_kernel"):
        if not name.isidentifier() or keyword.iskeyword(name):
            raise NumericError(f"kernel name {name!r} is not a Python identifier")
        bad = [d for d, _ in inputs.values() if not str(d).isidentifier()]
        if bad:  # dimension names become the argument names ``_d_<dim>``
            raise NumericError(f"kernel {name!r}: dimension names {bad} are not identifiers")
        self.name = name
        self.inputs_spec, self.outputs = dict(inputs), tuple(outputs)
        self._vals: list[Val] = []
        self._ops: list[tuple] = []  # (op, dsts, srcs, extra)
        self._sym: dict = {}
        self._memo: dict = {}
        self._generic: list[Generic] = []  # registered activations without a fast path
        steps = prune(list(steps), self.outputs, set(inputs))
        self.weights = tuple(dict.fromkeys(s.weight for s in steps if isinstance(s, MatMul)))
        self._cse_pending: dict = {}
        steps = self._share(steps)
        for n, (d, col) in self.inputs_spec.items():
            self._sym[n] = self._new((d,), col, "input")
        for s in steps:
            self._lower_step(s)
        self._bind_outputs()
        self.source, self.temp_shapes, self.arg_names = self._emit(name)
        glb = {"np": np, "_sigmoid": sigmoid_into, "_sigmoid_c": sigmoid_c_into,
               "_sech2": sech2_into, "_sigmoid_pair": sigmoid_pair_into,
               **{f"_act{k}": g for k, g in enumerate(self._generic)}}
        exec(compile(self.source, f"<gatebound kernel {name}>", "exec"), glb)  # noqa: S102
        self._fn = glb[name]

    # -- building ------------------------------------------------------------------------
    def _new(self, dims, col, kind, **kw) -> int:
        self._vals.append(Val(tuple(dims), col, kind, **kw))
        return len(self._vals) - 1

    def _share(self, steps):
        """Common subexpressions of every Let, emitted lazily before their first use."""
        lets = [s for s in steps if isinstance(s, Let)]
        if not lets:
            return steps
        syms = sp.numbered_symbols("_cse")
        reps, reduced = sp.cse([_accurate(s.expr) for s in lets], symbols=syms, order="none")
        self._cse_pending = dict(reps)
        it = iter(reduced)
        return [Let(s.name, next(it)) if isinstance(s, Let) else s for s in steps]

    def _lower_step(self, s):
        if isinstance(s, Let):
            self._sym[s.name] = self._lower(s.expr)
        elif isinstance(s, SigmoidPair):
            u = self._lower(sp.Symbol(s.arg))
            v = self._vals[u]
            q, c = self._new(v.dims, v.col, "temp"), self._new(v.dims, v.col, "temp")
            self._ops.append(("pair", (q, c), (u,), None))
            self._sym[s.q], self._sym[s.c] = q, c
        else:
            op = self._lower(s.operand)
            if not isinstance(op, int):
                raise NumericError(f"the operand of {'+'.join(s.weight)} is the constant {op}")
            dims = tuple(d for _, d in s.outputs)
            col = self._vals[op].col
            buf = self._new(dims, col, "temp")
            self._ops.append(("matmul", (buf,), (op,), s.weight))
            for k, (n, d) in enumerate(s.outputs):
                self._sym[n] = self._new((d,), col, "view", base=buf, rows=(dims[:k], d))

    def _lower(self, e):
        """The operand (value id or float) computing ``e``; emits the operations."""
        e = sp.sympify(e)
        if e.is_Number:
            return float(e)
        if not e.free_symbols:  # a constant such as 1/(2 + tanh(1)**2): folded
            return _constant(e)
        if e in self._memo:
            return self._memo[e]
        if e.is_Symbol:
            if e.name in self._sym:
                return self._sym[e.name]
            if e in self._cse_pending:
                v = self._lower(self._cse_pending.pop(e))
                self._sym[e.name] = v
                return v
            raise NumericError(f"kernel: {e.name!r} is used before it is computed")
        if e.is_Add:
            v = self._lower_add(e)
        elif e.is_Mul:
            v = self._lower_mul(e)
        elif e.is_Pow:
            v = self._lower_pow(e)
        elif isinstance(e, sp.Heaviside):  # kinked: real-only, np.heaviside(u, H0)
            h0 = e.args[1] if len(e.args) > 1 else sp.S.Half
            v = self._op("heaviside", self._lower(e.args[0]), float(h0))
        elif isinstance(e, (sp.Max, sp.Min)):
            kind = "maximum" if isinstance(e, sp.Max) else "minimum"
            ops = [self._lower(a) for a in e.args]
            v = ops[0]
            for o in ops[1:]:
                v = self._op(kind, v, o)
        else:
            kind, extra = self._function(e)
            v = self._op(kind, self._lower(e.args[0]), extra=extra)
            if kind == "sech2" and isinstance(v, int):  # a scratch buffer, dead after the call
                op, dsts, srcs, extra = self._ops[-1]
                tmp = self._new(self._vals[v].dims, self._vals[v].col, "temp")
                self._ops[-1] = (op, (dsts[0], tmp), srcs, extra)
        self._memo[e] = v
        return v

    def _function(self, e) -> tuple:
        """(operation kind, extra) of a function application ``f(u)``: the accurate
        complements, an activation's fast path (:data:`numeric._activations.FAST_PATHS`),
        an elementary function, or any other registered activation (by its numpy)."""
        cls = type(e)
        if len(e.args) != 1:
            raise NumericError(f"kernel: cannot evaluate {e} ({cls.__name__}): "
                               f"{len(e.args)} arguments")
        if cls is SigmoidC or cls is Sech2:
            return ("sigmoid_c" if cls is SigmoidC else "sech2"), None
        fp = fast_path(e)
        if fp is not None:
            return fp.kernel, None
        if cls in ELEMENTARY:
            return ELEMENTARY[cls], None
        act = activation(e)
        if act is None:
            raise NumericError(f"kernel: cannot evaluate {e} ({cls.__name__}): neither a "
                               "registered activation (derivations.functions."
                               "define_activation) nor an elementary function "
                               f"{sorted(f.__name__ for f in ELEMENTARY)}")
        k = next((k for k, g in enumerate(self._generic) if g.act is act), None)
        if k is None:
            k = len(self._generic)
            self._generic.append(Generic(act))
        return "act", k

    def _op(self, kind, *srcs, extra=None):
        arrays = [self._vals[s] for s in srcs if isinstance(s, int)]
        if not arrays:  # constants only: fold
            a = srcs[0]
            b = srcs[1] if len(srcs) > 1 else None
            f = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
                 "div": lambda: a / b, "neg": lambda: -a, "pow": lambda: a ** b,
                 "tanh": lambda: math.tanh(a), "sigmoid": lambda: 1 / (1 + math.exp(-a)),
                 "sigmoid_c": lambda: 1 / (1 + math.exp(a)),
                 "sech2": lambda: 1 / math.cosh(a) ** 2, "sqrt": lambda: math.sqrt(a),
                 "heaviside": lambda: np.heaviside(a, b), "maximum": lambda: max(a, b),
                 "minimum": lambda: min(a, b),
                 "act": lambda: self._generic[extra].act.numpy(np.float64(a)),
                 **{n: (lambda n=n: getattr(np, n)(a)) for n in ELEMENTARY.values()}}.get(kind)
            if f is None:
                raise NumericError(f"kernel: {kind} of a constant")
            return float(f())
        full = [v for v in arrays if not v.col]
        # a scalar is a (1, 1) column: the result takes the shape of a vector operand
        ref = max(full or arrays, key=lambda v: v.dims != (SCALAR_DIM,))
        dst = self._new(ref.dims, not full, "temp")
        self._ops.append((kind, (dst,), srcs, extra))
        return dst

    def _order(self, operands):
        """Constants and columns first (cheap), then full arrays."""
        def rank(o):
            return 0 if not isinstance(o[1], int) else (1 if self._vals[o[1]].col else 2)
        return sorted(operands, key=rank)

    def _lower_add(self, e):
        terms = []
        for t in e.args:
            c, rest = t.as_coeff_Mul()
            if rest == 1:
                terms.append((1, float(c)))
            elif c < 0:
                terms.append((-1, self._lower(-c * rest)))
            else:
                terms.append((1, self._lower(t)))
        terms = self._order(terms)
        start = next((k for k, (sg, _) in enumerate(terms) if sg > 0), None)
        if start is None:
            acc = self._op("neg", terms[0][1])
            rest = terms[1:]
        else:
            acc = terms[start][1]
            rest = terms[:start] + terms[start + 1:]
        for sg, o in rest:
            acc = self._op("add" if sg > 0 else "sub", acc, o)
        return acc

    def _lower_mul(self, e):
        c, rest = e.as_coeff_Mul()
        num, den = [], []
        for f in sp.Mul.make_args(rest):
            if f.is_Pow and f.exp.is_Integer and f.exp < 0:
                den.append((1, self._lower(f.base ** -f.exp)))
            else:
                num.append((1, self._lower(f)))
        if c != 1:
            num.append((1, float(c)))
        num = self._order(num)
        acc = num[0][1] if num else 1.0
        for _, o in num[1:]:
            acc = self._op("mul", acc, o)
        for _, o in self._order(den):
            acc = self._op("div", acc, o)
        return acc

    def _lower_pow(self, e):
        b, n = e.base, e.exp
        if n.is_Integer and n > 0:
            base = self._lower(b)
            acc = base
            for _ in range(int(n) - 1):
                acc = self._op("mul", acc, base)
            return acc
        if n.is_Integer:
            return self._op("div", 1.0, self._lower(b ** -n))
        if n == sp.S.Half:
            return self._op("sqrt", self._lower(b))
        if n == -sp.S.Half:
            return self._op("div", 1.0, self._op("sqrt", self._lower(b)))
        return self._op("pow", self._lower(b), float(n))

    def _bind_outputs(self):
        """Write each output directly where it is computed, else copy it at the end."""
        self.out_vals = []
        taken = set()
        for name in self.outputs:
            if name not in self._sym:
                raise NumericError(f"kernel: output {name!r} is never computed")
            v = self._sym[name]
            if (isinstance(v, int) and self._vals[v].kind == "temp" and v not in taken
                    and not self._vals[v].col):  # a column stays a column for later readers
                self._vals[v].kind = "output"
                taken.add(v)
                self.out_vals.append(v)
                continue
            o = self._new(("?",), False, "output")
            self._ops.append(("copy", (o,), (v,), None))
            self.out_vals.append(o)

    # -- buffers and code ----------------------------------------------------------------
    def _emit(self, name):
        inputs = [self._sym[n] for n in self.inputs_spec]
        src, regs, args, self.dim_names = emit(name, self._vals, self._ops, inputs,
                                               self.out_vals, self.weights)
        return src, regs, args

    def real_only(self) -> tuple:
        """Names of the activations this kernel can evaluate on real input only (no
        analytic rewrite declared): complex step cannot run through them."""
        return tuple(g.act.name for g in self._generic if g.analytic is None)

    # -- running -------------------------------------------------------------------------
    def workspace_shapes(self, sizes: dict, B: int) -> list:
        """The shapes of the scratch buffers for batch size ``B`` (``sizes``: every
        dimension name of the kernel -> its size)."""
        sizes = {**sizes, SCALAR_DIM: 1}
        missing = [d for d in self.dim_names if d not in sizes]
        if missing:
            raise NumericError(f"kernel {self.name!r} needs the size of dimension(s) {missing}; "
                               f"got sizes for {sorted(sizes)}")
        return [(sum(sizes[d] for d in dims), 1 if col else B) for dims, col in self.temp_shapes]

    def workspace(self, sizes: dict, B: int, dtype) -> list:
        """Fresh scratch buffers for batch size ``B`` (reuse them across calls)."""
        return [np.empty(s, dtype=dtype) for s in self.workspace_shapes(sizes, B)]

    def __call__(self, args: dict, outs: list, ws: list, sizes: dict, weights=()) -> list:
        """Run: ``args`` by input name, ``outs`` (d, B) arrays, ``ws`` from :meth:`workspace`."""
        self._fn(*(1 if d == SCALAR_DIM else sizes[d] for d in self.dim_names),
                 *(args[n] for n in self.inputs_spec),
                 *weights, *outs, *ws)
        return outs


def _accurate(e):
    """``e`` with ``1 - exp(x)`` as ``-expm1(x)`` and ``log(1 + x)`` as ``log1p(x)`` (SymPy's
    own code rewrites): an activation's derivative written in its value, such as softplus'
    ``1 - exp(-y)``, keeps relative accuracy where ``y -> 0``."""
    e = sp.sympify(e)
    return optimize(e, (expm1_opt, log1p_opt)) if e.has(sp.exp, sp.log) else e


def _constant(e) -> float:
    """The value of an expression without symbols: the accurate complements by their
    formulas, every registered activation by its numpy function (innermost first)."""
    e = e.replace(lambda x: isinstance(x, (SigmoidC, Sech2)), lambda x: x.rewrite(sp.exp))
    e = e.replace(lambda x: activation(x) is not None and not x.free_symbols,
                  lambda x: sp.Float(float(activation(x).numpy(np.float64(x.args[0])))))
    return float(e.evalf())

"""The benchmark cases: inputs, correctness checks, contenders and targets (issue 3, "Speed").

A case builds its inputs, checks every contender on a small instance against the complex-step
reference (and, after timing, against the engine's output at the timed size), times the
contenders side by side and turns the medians into :class:`Row` s with a target each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _reference as ref
from . import peers
from ._timing import measure

GRU_SHAPES = ((256, 256), (1024, 64), (64, 512))
GRU_SHAPES_QUICK = ((128, 64),)


@dataclass(frozen=True)
class Row:
    """One line of the table: ``ratio`` of two medians against ``target`` (``op`` '<=' or '>=')."""

    case: str
    dtype: str
    numeric_s: float | None
    peer: str
    peer_s: float | None
    ratio_name: str
    ratio: float | None
    op: str
    target: float
    note: str = ""
    spread: float | None = None

    @property
    def status(self) -> str:
        if self.note:
            return self.note
        if self.op == "info":
            return "(info)"
        ok = self.ratio <= self.target if self.op == "<=" else self.ratio >= self.target
        return "PASS" if ok else "MISS"


def _row(case, dtype, t, peer, label, ratio_name, op, target) -> Row:
    """The row comparing ``t['numeric']`` with ``t[peer]`` (shown as ``label``)."""
    num, other = t["numeric"].median, t[peer].median
    ratio = num / other if ratio_name.startswith("numeric/") else other / num
    return Row(case, dtype, num, label, other, ratio_name, ratio, op, target,
               spread=max(t["numeric"].spread, t[peer].spread))


class CheckError(AssertionError):
    """A contender computed different numbers from the reference: its timing would be void."""


def _check(name: str, got, want, dtype) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise CheckError(f"{name}: shape {got.shape}, reference {want.shape}")
    rtol, atol = (1e-9, 1e-11) if dtype == np.float64 else (2e-4, 2e-5)
    scale = max(1.0, float(np.max(np.abs(want))))
    err = np.abs(got - want)
    bad = err > atol * scale + rtol * np.abs(want)
    if not np.all(np.isfinite(got)) or np.any(bad):
        raise CheckError(f"{name}: max abs diff {float(np.max(err)):.3g} at "
                         f"{np.unravel_index(int(np.argmax(err)), err.shape)} "
                         f"(rtol {rtol}, atol {atol}*{scale:.3g})")


def _inputs(rng, B, H, I, dtype):
    x = rng.standard_normal((B, I)).astype(dtype)
    h = np.tanh(rng.standard_normal((B, H))).astype(dtype)
    c = rng.standard_normal((B, H)).astype(dtype)
    return x, h, c


def _floor(shape, dtype) -> Callable[[], object]:
    buf = np.empty(shape, dtype=dtype)
    return lambda: buf.fill(1.0)


@dataclass
class Context:
    """What every case needs: the engine (the ``numeric`` module), which peers to use,
    timing settings."""

    engine: object
    peers: dict[str, bool]
    rounds: int
    quick: bool
    missing: str = "not installed"

    def time(self, contenders):
        return measure(contenders, rounds=self.rounds, min_sample=0.005 if self.quick else 0.02)


def _torch_in(*arrays):
    import torch

    return tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in arrays)


def _jax_in(*arrays):
    import jax

    return tuple(jax.device_put(a) for a in arrays)


# --------------------------------------------------------------------------- GRU Jacobian
def gru_jacobian_rows(ctx: Context, B: int, H: int, dtype) -> list[Row]:
    eng, name, dn = ctx.engine, f"GRU J (B={B}, H={H})", np.dtype(dtype).name
    rng = np.random.default_rng(1)
    # the pre-timing check on a small instance
    small = eng.init("gru", 6, 4, convention="pytorch", seed=3, dtype=dtype)
    xs_, hs_, _ = _inputs(rng, 3, 6, 4, dtype)
    want = ref.gru_jacobian(small, xs_, hs_)
    _check("numeric.jacobian (GRU)", eng.jacobian(small, xs_, hs_), want, dtype)
    makers = {}
    if ctx.peers.get("jax"):
        makers["JAX jit(vmap(jacfwd))"] = (peers.jax_gru_jacobian, _jax_in, 4.0)
    if ctx.peers.get("torch"):
        makers["torch vmap(jacrev)"] = (peers.torch_gru_jacobian, _torch_in, 200.0)
    for label, (make, conv, _) in makers.items():
        _check(label, make(small)(*conv(xs_, hs_)), want, dtype)

    p = eng.init("gru", H, H, convention="pytorch", seed=0, dtype=dtype)
    x, h, _ = _inputs(rng, B, H, H, dtype)
    out = np.empty((B, H, H), dtype=dtype)
    contenders = {"numeric": lambda: eng.jacobian(p, x, h, out=out),
                  "floor": _floor(out.shape, dtype)}
    results = {}
    for label, (make, conv, _) in makers.items():
        fn, args = make(p), conv(x, h)
        contenders[label] = lambda fn=fn, args=args, label=label: results.__setitem__(
            label, fn(*args))
    t = ctx.time(contenders)
    for label in makers:  # the peers computed the engine's numbers at the timed size too
        _check(f"{label} at B={B}, H={H}", np.asarray(results[label]), out, dtype)
    rows = [_row(name, dn, t, "floor", "fill floor", "numeric/floor", "<=", 2.5)]
    for label, (_, _, target) in makers.items():
        rows.append(_row(name, dn, t, label, label, "peer/numeric", ">=", target))
    for label, target in (("JAX jit(vmap(jacfwd))", 4.0), ("torch vmap(jacrev)", 200.0)):
        if label not in makers:
            rows.append(Row(name, dn, t["numeric"].median, label, None, "peer/numeric", None,
                            ">=", target, note=ctx.missing))
    return rows


# --------------------------------------------------------------------------- LSTM blocks
def lstm_jacobian_rows(ctx: Context, B: int, H: int, dtype, *, full: bool) -> list[Row]:
    eng, dn = ctx.engine, np.dtype(dtype).name
    name = (f"LSTM full 2Hx2H (B={B}, H={H})" if full else f"LSTM dh'/dh (B={B}, H={H})")
    rng = np.random.default_rng(2)
    small = eng.init("lstm", 6, 4, seed=3, dtype=dtype)
    xs_, hs_, cs_ = _inputs(rng, 3, 6, 4, dtype)
    want = ref.lstm_jacobian(small, xs_, hs_, cs_, full=full)
    _check(f"numeric.jacobian (LSTM, full={full})",
           eng.jacobian(small, xs_, (hs_, cs_), full=full), want, dtype)
    if ctx.peers.get("jax"):  # a second, framework reference for the same small case
        _check("JAX jacfwd (LSTM)", peers.jax_lstm_jacobian(small, full=full)(
            *_jax_in(xs_, hs_, cs_)), want, dtype)

    p = eng.init("lstm", H, H, seed=0, dtype=dtype)
    x, h, c = _inputs(rng, B, H, H, dtype)
    n = 2 * H if full else H
    out = np.empty((B, n, n), dtype=dtype)
    t = ctx.time({"numeric": lambda: eng.jacobian(p, x, (h, c), full=full, out=out),
                  "floor": _floor(out.shape, dtype)})
    # spot-check the timed output on a few samples against the reference
    k = min(B, 2)
    _check(f"{name} (first {k} samples)", out[:k],
           ref.lstm_jacobian(p, x[:k], h[:k], c[:k], full=full), dtype)
    return [_row(name, dn, t, "floor", "fill floor", "numeric/floor", "<=", 2.5)]


# --------------------------------------------------------------------------- gradient norms
def gradient_norm_rows(ctx: Context, T: int, B: int, H: int, dtype) -> list[Row]:
    eng, dn = ctx.engine, np.dtype(dtype).name
    name = f"GRU grad norms (T={T}, B={B}, H={H})"
    rng = np.random.default_rng(3)

    def data(T, B, H, I):
        xs = rng.standard_normal((T, B, I)).astype(dtype)
        h0 = np.tanh(rng.standard_normal((B, H))).astype(dtype)
        v = rng.standard_normal((B, H)).astype(dtype)
        return xs, h0, v

    small = eng.init("gru", 5, 4, convention="pytorch", seed=3, dtype=dtype)
    sx, sh, sv = data(7, 3, 5, 4)
    want = ref.gru_gradient_log_norms(small, sx, sh, sv)
    _check("numeric.gradient_norms", eng.gradient_norms(small, sx, sh, v=sv).log_norms,
           want, dtype)
    makers = {}
    if ctx.peers.get("torch"):
        makers["torch autograd (nn.GRUCell)"] = (peers.torch_gradient_log_norms, _torch_in,
                                                 "numeric/peer", "<=", 1.0)
    if ctx.peers.get("jax"):
        makers["JAX jit(lax.scan + vjp)"] = (peers.jax_gradient_log_norms, _jax_in,
                                             "peer/numeric", ">=", 1.5)
    for label, (make, conv, *_) in makers.items():
        _check(label, make(small, sv)(*conv(sx, sh)), want, dtype)

    p = eng.init("gru", H, H, convention="pytorch", seed=0, dtype=dtype)
    xs, h0, v = data(T, B, H, H)
    results = {}
    contenders = {"numeric": lambda: results.__setitem__(
        "numeric", eng.gradient_norms(p, xs, h0, v=v).log_norms)}
    for label, (make, conv, *_) in makers.items():
        fn, args = make(p, v), conv(xs, h0)
        contenders[label] = lambda fn=fn, args=args, label=label: results.__setitem__(
            label, fn(*args))
    t = ctx.time(contenders)
    got = np.asarray(results["numeric"], dtype=np.float64)
    for label in makers:
        peer = np.asarray(results[label].detach() if hasattr(results[label], "detach")
                          else results[label], dtype=np.float64)
        # a peer without log-space accumulation underflows to -inf on long horizons:
        # compare where it is finite and its covector's entries are far from subnormal
        tiny = 0.5 * np.log(np.finfo(dtype).tiny)
        keep = np.isfinite(peer) & (peer > tiny)
        tol = 1e-7 * T if dtype == np.float64 else 2e-4 * T
        err = float(np.max(np.abs(peer[keep] - got[keep]))) if keep.any() else 0.0
        if err > tol:
            raise CheckError(f"{label} at T={T}: max abs log-norm diff {err:.3g} > {tol:.3g}")
    rows = []
    for label, (_, _, ratio_name, op, target) in makers.items():
        rows.append(_row(name, dn, t, label, label, ratio_name, op, target))
    for label, ratio_name, op, target in (
            ("torch autograd (nn.GRUCell)", "numeric/peer", "<=", 1.0),
            ("JAX jit(lax.scan + vjp)", "peer/numeric", ">=", 1.5)):
        if label not in makers:
            rows.append(Row(name, dn, t["numeric"].median, label, None, ratio_name, None, op,
                            target, note=ctx.missing))
    return rows


# --------------------------------------------------------------------------- Lyapunov spectra
#: (T, B, H, k): the full spectrum (k = None) and the leading 8, at H = 128 and 256
LYAPUNOV_CASES = ((1000, 4, 128, None), (1000, 4, 128, 8), (1000, 4, 256, None),
                  (1000, 4, 256, 8))
LYAPUNOV_CASES_QUICK = ((200, 4, 64, None), (200, 4, 64, 8))


def lyapunov_rows(ctx: Context, T: int, B: int, H: int, k, dtype) -> list[Row]:
    """GRU Lyapunov exponents: the engine (QR every m steps) against per-step QR loops in
    torch and JAX from the same initial frame. The peers are the per-step Householder
    reference: every exponent must agree to 1e-8 (float64), and for the full spectrum the
    engine's sum must equal the mean log|det J| (the sum rule) to 1e-8."""
    eng, dn = ctx.engine, np.dtype(dtype).name
    K = H if k is None else k
    name = f"GRU Lyapunov {'full' if k is None else f'k={k}'} (T={T}, B={B}, H={H})"
    rng = np.random.default_rng(4)
    p = eng.init("gru", H, H, convention="pytorch", seed=0, dtype=dtype)
    xs = rng.standard_normal((T, B, H)).astype(dtype)
    h0 = np.tanh(rng.standard_normal((B, H))).astype(dtype)
    Q0 = np.linalg.qr(np.random.default_rng(0).normal(size=(B, H, K)))[0].astype(dtype)
    makers = {}
    if ctx.peers.get("torch"):
        makers["torch loop (jacrev + linalg.qr)"] = (peers.torch_gru_lyapunov, _torch_in)
    if ctx.peers.get("jax"):
        makers["JAX jit(lax.scan + jacfwd + qr)"] = (peers.jax_gru_lyapunov, _jax_in)
    results = {}
    contenders = {"numeric": lambda: results.__setitem__(
        "numeric", eng.lyapunov(p, xs, h0, k=k, seed=0))}
    for label, (make, conv) in makers.items():
        fn, args = make(p), conv(xs, h0, Q0)
        contenders[label] = lambda fn=fn, args=args, label=label: results.__setitem__(
            label, fn(*args))
    t = ctx.time(contenders)
    got = np.asarray(results["numeric"], dtype=np.float64)
    tol = 1e-8 if dtype == np.float64 else 1e-4
    for label in makers:
        peer = results[label]
        peer = np.asarray(peer.detach() if hasattr(peer, "detach") else peer, dtype=np.float64)
        _check_exponents(label, got, peer, tol)
    if k is None:
        rule = eng.log_det_mean(p, xs, h0)
        err = float(np.max(np.abs(got.sum(axis=1) - rule)))
        if err > tol:
            raise CheckError(f"sum rule: |sum(lambda) - mean log|det J|| = {err:.3g} > {tol}")
    rows = [_row(name, dn, t, label, label, "peer/numeric", ">=", 3.0) for label in makers]
    for label in ("torch loop (jacrev + linalg.qr)", "JAX jit(lax.scan + jacfwd + qr)"):
        if label not in makers:
            rows.append(Row(name, dn, t["numeric"].median, label, None, "peer/numeric", None,
                            ">=", 3.0, note=ctx.missing))
    return rows


def _check_exponents(label, got, want, tol):
    err = float(np.max(np.abs(got - want)))
    if not np.all(np.isfinite(want)) or err > tol:
        raise CheckError(f"{label}: exponents differ from the engine's by {err:.3g} > {tol}")

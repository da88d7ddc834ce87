"""Hostile inputs to the engine's public functions (issue 9, section 2).

Every bad argument gets one NumericError whose message names the argument (and its value
or shape), raised at the call, before any work or allocation. Batch size 0 gives empty
results of the right shape and dtype, except for the checks, which refuse it.
"""

from __future__ import annotations

import dataclasses
import math
import re

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import numeric
from numeric.bounds import check_bounds, check_horizon, weight_norms

GRU = numeric.init("gru", 4, 3, seed=0)
LSTM = numeric.init("lstm", 4, 3, seed=0)
B, T = 2, 3


def _defaults(p):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(B, 3))
    xs = rng.normal(size=(T, B, 3))
    s = 0.5 * np.tanh(rng.normal(size=(B, 4)))
    state = s if len(p.cell.states) == 1 else (s, 0.3 * s)
    return {"params": p, "x": x, "state": state, "xs": xs, "state0": state, "v": state,
            "g": state}


#: public function -> (callable, positional argument names)
SPECS = {
    "step": (numeric.step, ("params", "x", "state")),
    "rollout": (numeric.rollout, ("params", "xs", "state0")),
    "jacobian": (numeric.jacobian, ("params", "x", "state")),
    "jacobian_chunks": (numeric.jacobian_chunks, ("params", "x", "state")),
    "paths": (numeric.paths, ("params", "x", "state")),
    "term_coefficients": (numeric.term_coefficients, ("params", "x", "state")),
    "jvp": (numeric.jvp, ("params", "x", "state", "v")),
    "vjp": (numeric.vjp, ("params", "x", "state", "g")),
    "gradient_norms": (numeric.gradient_norms, ("params", "xs", "state0")),
    "lyapunov": (numeric.lyapunov, ("params", "xs", "state0")),
    "log_det_mean": (numeric.log_det_mean, ("params", "xs", "state0")),
    "lyapunov_sum_rule": (numeric.lyapunov_sum_rule, ("params", "xs", "state0")),
    "singular_values": (numeric.singular_values, ("params", "x", "state")),
    "spectral_norms": (numeric.spectral_norms, ("params", "x", "state")),
    "sigma_min": (numeric.sigma_min, ("params", "x", "state")),
    "check_jacobian": (numeric.check_jacobian, ("params", "x", "state")),
    "step_jacobian": (numeric.step_jacobian, ("params", "x", "state")),
    "check_bounds": (check_bounds, ("params", "x", "state")),
    "check_horizon": (check_horizon, ("params", "xs", "state0")),
    "weight_norms": (weight_norms, ("params",)),
}
CHECKS = ("check_jacobian", "step_jacobian", "check_bounds", "check_horizon",
          "lyapunov_sum_rule")


def call(name, p=GRU, **over):
    """``name`` with good default arguments for ``p``, some replaced by ``over``."""
    fn, pos = SPECS[name]
    d = _defaults(p)
    args = [over.pop(a) if a in over else d[a] for a in pos]
    res = fn(*args, **over)
    return list(res) if name == "jacobian_chunks" else res


def raises(match, name, p=GRU, **over):
    with pytest.raises(numeric.NumericError, match=match):
        call(name, p, **over)


def test_every_good_default_call_runs():
    for name in SPECS:
        for p in (GRU, LSTM):
            call(name, p)


# -- wrong object types ------------------------------------------------------------------

BAD_PARAMS = [None, {"W_hh": np.eye(4)}, "gru", 3, np.zeros((4, 4)), numeric]


@pytest.mark.parametrize("bad", BAD_PARAMS, ids=lambda b: type(b).__name__)
@pytest.mark.parametrize("name", SPECS)
def test_params_that_are_not_params(name, bad):
    got = "None" if bad is None else rf".*\b{type(bad).__name__}\b"
    raises(rf"^params: expected numeric.Params .*got {got}", name, params=bad)


ARRAY_ARGS = sorted({(n, a) for n, (_, pos) in SPECS.items() for a in pos if a != "params"})
#: (bad value, what the message says after the argument's name)
BAD_ARRAYS = [
    (None, r" is None; expected a float32 or float64 array"),
    ("abc", r" is a 'abc' \(str\); expected"),
    ({"h": 1}, r" is a dict of length 1; expected"),
    ([[0.0, 1.0], [2.0]], r" is not array-like \(list of length 2\)"),
    (np.zeros((2, 3), dtype=np.int64), r" has dtype int64 \(shape \(2, 3\)\)"),
    (np.ones((2, 2), dtype=bool), r" has dtype bool"),
    (np.array([[1.0, "a"]], dtype=object), r" has dtype object"),
    (np.zeros((1, 2, 3, 4)), r" has shape \(1, 2, 3, 4\); expected"),
    (5.0, r" has shape \(\); expected"),
    ([1.0, 2.0], r" has shape \(2,\); expected"),
    ([[[[0.0]]]], r" has shape \(1, 1, 1(, 1)?\); expected"),
]


@pytest.mark.parametrize("bad,msg", BAD_ARRAYS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("name,arg", ARRAY_ARGS)
def test_array_arguments_of_the_wrong_type(name, arg, bad, msg):
    raises(rf"^{arg}\b{msg}", name, **{arg: bad})


def _bad_array(good, kind, seq):
    """(bad array, message after the argument's name) of ``kind`` made from ``good``."""
    shape = lambda a: re.escape(str(a.shape))  # noqa: E731
    if kind == "nan":
        bad = np.array(good)
        bad[(0,) * bad.ndim] = np.nan
        return bad, rf"\(shape {shape(bad)}\) has 1 non-finite entries"
    if kind == "inf":
        bad = np.full_like(good, -np.inf)
        return bad, rf"\(shape {shape(bad)}\) has {bad.size} non-finite entries"
    if kind == "complex":
        bad = good.astype(complex)
        return bad, rf"has complex dtype complex128 \(shape {shape(bad)}\)"
    bad = {"width": good[..., :-1], "depth": good[None],
           "batch": good[:, :1] if seq else good[:1]}[kind]
    if kind == "batch":
        return bad, rf"has batch size 1 \(shape {shape(bad)}\)"
    return bad, rf"has shape {shape(bad)}; expected"


KINDS = ("nan", "inf", "complex", "width", "depth", "batch")
# a GRU state fixes the batch size (the mismatch is then the other array's, tested there)
CONTENT_CASES = [(c, n, a, k) for c in ("gru", "lstm") for n, a in ARRAY_ARGS for k in KINDS
                 if not (c == "gru" and k == "batch" and a in ("state", "state0"))]


@pytest.mark.parametrize("cell,name,arg,kind", CONTENT_CASES)
def test_array_arguments_with_bad_shape_batch_dtype_or_values(cell, name, arg, kind):
    p = GRU if cell == "gru" else LSTM
    good = _defaults(p)[arg]
    if isinstance(good, tuple):  # LSTM state: the 'c' part is the bad one
        bad, msg = _bad_array(good[1], kind, False)
        value, label = (good[0], bad), f"{arg} 'c'"
    else:
        value, msg = _bad_array(good, kind, arg == "xs")
        label = arg
    raises(rf"^{re.escape(label)} {msg}", name, p, **{arg: value})


@pytest.mark.parametrize("name", [n for n, (_, pos) in SPECS.items() if "state" in pos
                                  or "state0" in pos])
@pytest.mark.parametrize("bad", ["hc", {"h": 0, "c": 0}, np.zeros((2, B, 4)), (np.zeros((B, 4)),),
                                 (np.zeros((B, 4)),) * 3])
def test_lstm_state_that_is_not_a_pair(name, bad):
    arg = "state0" if "state0" in SPECS[name][1] else "state"
    raises(rf"^{arg} (must be a tuple of 2 arrays \('h', 'c'\)|is a)", name, LSTM, **{arg: bad})


@pytest.mark.parametrize("name", ["step", "jacobian", "gradient_norms", "check_bounds"])
def test_single_state_cell_given_two_states(name):
    arg = "state0" if "state0" in SPECS[name][1] else "state"
    raises(rf"^{arg} is a sequence of 2 arrays; cell .* has one state", name,
           **{arg: (np.zeros((B, 4)), np.zeros((B, 4)))})


def test_values_too_large_for_float32_params_are_named():
    p = GRU.astype(np.float32)
    with pytest.raises(numeric.NumericError, match=r"^x \(shape \(2, 3\)\) has 1 entries too "
                                                   r"large for float32"):
        numeric.step(p, np.array([[1e300, 0, 0], [0, 0, 0]]), np.zeros((2, 4)))


@pytest.mark.parametrize("name", ["rollout", "gradient_norms", "lyapunov", "log_det_mean",
                                  "lyapunov_sum_rule", "check_horizon"])
def test_sequences_without_time_steps_still_raise(name):
    raises(r"^xs has no time steps \(shape \(0, 2, 3\)\)", name, xs=np.zeros((0, B, 3)))


# -- knobs -------------------------------------------------------------------------------

def _knob_cases():
    cases = []
    for name in ("jacobian", "jacobian_chunks", "singular_values", "spectral_norms",
                 "sigma_min"):
        for bad in (math.inf, math.nan, "1e9", 0, -1, True, 0.5, [1], 1j):
            cases.append((name, "max_bytes", bad, "a finite positive number of bytes"))
        for bad in ("yes", "no", 1, 0, None, np.array([True])):
            cases.append((name, "full", bad, "True or False"))
        for bad in (5, "hh", ("h",), ("h", "x"), ("h", 5), ("c", "c"), [["h"], ["h"]]):
            cases.append((name, "block", bad, None))
    for name in ("paths", "term_coefficients"):
        for bad in (5, "hh", ("h", "x"), ("c", "c")):
            cases.append((name, "block", bad, None))
    for bad in (math.nan, math.inf, "1G", 0, -5, False, 1j, None):
        cases.append(("gradient_norms", "store_bytes", bad, "a finite positive number of bytes"))
    for name in ("gradient_norms", "lyapunov", "lyapunov_sum_rule"):
        for bad in ("x", -1, 1.5, True, None, np.float64(2.0), 2**0.5):
            cases.append((name, "seed", bad, "a non-negative integer"))
    for bad in (0, -1, 1.5, "2", True, 5, np.float64(2.0)):
        cases.append(("lyapunov", "k", bad, r"(an integer >= 1|an integer in \[1, 4\])"))
    for bad in (5, "ALL", None, ("h", "h"), np.array(["all"]), "mean"):
        cases.append(("singular_values", "which", bad, r"one of \('all', 'max', 'min'\)"))
    for bad in (5, "h", "FULL", ("h",), ("h", "x"), ("c", "c"), [1, 2], 1.5, np.array(5)):
        cases.append(("check_bounds", "which", bad, None))
    for bad in ("forward", None, 5, "COMPLEX", ("complex",)):
        cases.append(("step_jacobian", "method", bad, r"one of \('auto', 'complex', 'central'\)"))
    for bad in (0, -1e-6, math.nan, math.inf, "1e-6", True, 1e-400):
        cases.append(("step_jacobian", "eps", bad, "a finite positive real number"))
    for arg in ("rtol_complex_step", "rtol_finite_diff"):
        for bad in (0, -1, math.nan, math.inf, "1e-6", True, None):
            cases.append(("check_jacobian", arg, bad, "a finite positive real number"))
    for name in ("check_bounds", "check_horizon"):
        for bad in (0, -1, math.nan, math.inf, "1e-9", True):
            cases.append((name, "rtol", bad, "a finite positive real number"))
    return cases


@pytest.mark.parametrize("name,arg,bad,msg", _knob_cases(),
                         ids=lambda v: v if isinstance(v, str) else type(v).__name__)
def test_knobs_of_the_wrong_type_or_value(name, arg, bad, msg):
    if msg is None:  # blocks: either the wrong form or an unknown block, named
        msg = r"(must be a pair of state names|None, 'full' or a pair|has no block|has blocks)"
    with pytest.raises(numeric.NumericError, match=rf"\b{arg}\b.*{msg}|{msg}.*{arg}") as e:
        call(name, **{arg: bad})
    text = str(e.value)
    assert repr(bad)[:20] in text or type(bad).__name__ in text or "block" in arg, text


def test_knob_errors_come_before_the_array_checks():
    nan = np.full((B, 3), np.nan)
    raises("^max_bytes must be", "jacobian", x=nan, max_bytes="1e9")
    raises("^seed must be", "gradient_norms", xs=np.full((T, B, 3), np.nan), seed="x")
    raises("^which must be one of", "singular_values", x=nan, which=5)
    raises("^which must be None, 'full' or a pair", "check_bounds", x=nan, which=5)
    raises(r"^k must be an integer in \[1, 8\]", "lyapunov", LSTM, xs=None, k=9)


@pytest.mark.parametrize("bad,msg", [
    ("out", r"out has str"),
    (np.zeros((B, 4, 5)), r"out has shape \(2, 4, 5\), dtype float64; expected a writeable "
                          r"\(2, 4, 4\) float64"),
    (np.zeros((B, 4, 4), dtype=np.float32), r"dtype float32"),
    (np.broadcast_to(0.0, (B, 4, 4)), r"read-only"),
    ([[[0.0] * 4] * 4] * 2, r"out has list"),
])
def test_jacobian_out_of_the_wrong_kind(bad, msg):
    raises(msg, "jacobian", out=bad)


def test_jacobian_out_overlapping_an_input_is_refused():
    buf = np.zeros(B * 4 * 4)
    out = buf.reshape(B, 4, 4)
    raises("out overlaps the memory of x or state", "jacobian", state=buf[:B * 4].reshape(B, 4),
           out=out)


def test_sum_rule_tolerance_is_checked():
    res = call("lyapunov_sum_rule")
    assert res.ok(1e-6) and isinstance(res.ok(), bool)
    with pytest.raises(numeric.NumericError, match=r"atol must be a finite .* got 'x'"):
        res.ok("x")


# -- lazy errors -------------------------------------------------------------------------

@pytest.mark.parametrize("over,msg", [
    ({"x": np.full((B, 3), np.nan)}, r"^x \(shape \(2, 3\)\) has 6 non-finite"),
    ({"max_bytes": "1e9"}, "^max_bytes must be"),
    ({"max_bytes": 4 * 4 * 8 - 1}, r"one sample of a 4x4 float64 Jacobian needs 128 bytes"),
    ({"block": ("h", "x")}, "has no block"),
    ({"full": True, "block": ("h", "h")}, "either full=True or block"),
])
def test_jacobian_chunks_validates_at_the_call_not_when_iterated(over, msg):
    d = {**_defaults(GRU), **over}
    kw = {k: v for k, v in over.items() if k not in ("x", "state")}
    with pytest.raises(numeric.NumericError, match=msg):
        numeric.jacobian_chunks(GRU, d["x"], d["state"], **kw)  # never iterated


# -- batch size 0 ------------------------------------------------------------------------

def _empty(p, args):
    """``args`` with every array's batch axis cut to length 0."""
    def cut(a, seq):
        return tuple(cut(b, seq) for b in a) if isinstance(a, tuple) else (
            a[:, :0] if seq else a[:0])
    return {k: (v if k == "params" else cut(v, k == "xs")) for k, v in args.items()}


def _leaves(res, axis=0):
    """``(array, batch axis)`` for every array of a result, in order."""
    if isinstance(res, np.ndarray):
        return [(res, axis)]
    if isinstance(res, dict):
        return [a for v in res.values() for a in _leaves(v, axis)]
    if isinstance(res, (tuple, list)):
        return [a for v in res for a in _leaves(v, axis)]
    if isinstance(res, numeric.GradientNorms):  # log_norms (T, B), v (B, H) per state
        return [(res.log_norms, 1), *_leaves(res.v)]
    if dataclasses.is_dataclass(res):  # BoundCheck and the others: (B,) arrays
        return [a for f in dataclasses.fields(res) for a in _leaves(getattr(res, f.name))]
    return []


EMPTY_FUNCS = [n for n in SPECS if n not in CHECKS and n != "weight_norms"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("name", EMPTY_FUNCS)
def test_batch_size_zero_gives_empty_results_of_the_right_shape_and_dtype(name, cell, dtype):
    p = (GRU if cell == "gru" else LSTM).astype(dtype)
    fn, pos = SPECS[name]
    full = _defaults(p)
    args = {a: full[a] for a in pos}
    empty = _empty(p, args)
    ref = fn(*args.values())
    got = fn(*empty.values())
    if name == "jacobian_chunks":  # an iterator that yields nothing
        assert list(got) == [] and len(list(ref)) == 1
        return
    ref_l = _leaves(ref, 1 if name == "rollout" else 0)
    got_l = _leaves(got, 1 if name == "rollout" else 0)
    assert len(ref_l) == len(got_l) > 0
    for (r, axis), (g, _) in zip(ref_l, got_l, strict=True):
        want = r[:, :0] if axis else r[:0]
        assert g.shape == want.shape and g.dtype == want.dtype, (g.shape, want.shape)
    # the empty batch is neutral: concatenating it to the samples changes nothing
    joined = {k: v if k == "params" else _concat(empty[k], v, k == "xs")
              for k, v in args.items()}
    for (r, _), (j, _) in zip(ref_l, _leaves(fn(*joined.values())), strict=True):
        np.testing.assert_array_equal(j, r)


def _concat(a, b, seq):
    if isinstance(a, tuple):
        return tuple(_concat(u, v, seq) for u, v in zip(a, b, strict=True))
    return np.concatenate([a, b], axis=1 if seq else 0)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_batch_size_zero_shapes_by_function(cell):
    p = GRU if cell == "gru" else LSTM
    S = len(p.cell.states)
    D = 4 * S
    e = _empty(p, _defaults(p))
    x, s, xs = e["x"], e["state"], e["xs"]
    assert numeric.jacobian(p, x, s, full=True).shape == (0, D, D)
    assert numeric.rollout(p, xs, s)[0 if S > 1 else ...].shape == (T, 0, 4)
    assert numeric.gradient_norms(p, xs, s).log_norms.shape == (T, 0)
    assert numeric.lyapunov(p, xs, s, k=2).shape == (0, 2)
    assert numeric.log_det_mean(p, xs, s).shape == (0,)
    assert numeric.singular_values(p, x, s, full=True).shape == (0, D)
    assert numeric.spectral_norms(p, x, s).shape == numeric.sigma_min(p, x, s).shape == (0,)
    assert all(v.shape == (0, 4, 4) for v in numeric.paths(p, x, s).values())
    assert all(c.shape == (0, 4) for _, cs in numeric.term_coefficients(p, x, s) for c in cs)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("name", CHECKS)
def test_checks_refuse_batch_size_zero(name, cell):
    p = GRU if cell == "gru" else LSTM
    fn, pos = SPECS[name]
    e = _empty(p, {a: _defaults(p)[a] for a in pos})
    with pytest.raises(numeric.NumericError, match=r"nothing to check: batch size 0 \(state0? "):
        fn(*e.values())


# -- memory: refused before allocating ---------------------------------------------------

AVAILABLE = 8 << 30
BIG_B, BIG_H = 20000, 2048


@pytest.fixture(scope="module")
def big():
    """An Elman cell with H = 2048 (16 MiB of float32 weights; 32 MiB as float64) and
    broadcast inputs of batch 20000: the test itself allocates nothing of the batch's size."""
    p32 = numeric.init("elman", BIG_H, 8, seed=0, dtype=np.float32)
    p64 = p32.astype(np.float64)
    for p in (p32, p64):  # compile the kernels outside the traced calls
        numeric.jacobian(p, np.zeros((1, 8)), np.zeros((1, BIG_H)))
    x = np.broadcast_to(np.float32(0.5), (BIG_B, 8))
    h = np.broadcast_to(0.1, (BIG_B, BIG_H))
    xs = np.broadcast_to(np.float32(0.5), (1000, BIG_B, 8))
    return p32, p64, x, h, xs


BIG_CALLS = {
    "jacobian": lambda p, x, h, xs: numeric.jacobian(p, x, h),
    "jacobian max_bytes": lambda p, x, h, xs: numeric.jacobian(p, x, h, max_bytes=64 << 20),
    "jacobian_chunks": lambda p, x, h, xs: numeric.jacobian_chunks(p, x, h),
    "singular_values": lambda p, x, h, xs: numeric.singular_values(p, x, h, max_bytes=2**40),
    "spectral_norms": lambda p, x, h, xs: numeric.spectral_norms(p, x, h, max_bytes=2**40),
    "paths": lambda p, x, h, xs: numeric.paths(p, x, h),
    "rollout": lambda p, x, h, xs: numeric.rollout(p, xs, h),
    "gradient_norms": lambda p, x, h, xs: numeric.gradient_norms(p, xs, h),
    "lyapunov": lambda p, x, h, xs: numeric.lyapunov(p, xs[:2], h, k=64),
    "log_det_mean": lambda p, x, h, xs: numeric.log_det_mean(p, xs[:2], h),
    "lyapunov_sum_rule": lambda p, x, h, xs: numeric.lyapunov_sum_rule(p, xs[:2], h),
    "check_bounds": lambda p, x, h, xs: check_bounds(p, x, h),
    "check_horizon": lambda p, x, h, xs: check_horizon(p, xs[:2], h),
    "check_jacobian": lambda p, x, h, xs: numeric.check_jacobian(p, x, h),
    "step_jacobian": lambda p, x, h, xs: numeric.step_jacobian(p, x, h),
}


def _peak(fn):
    """Peak bytes traced while ``fn`` raises NumericError; the error."""
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(numeric.NumericError) as e:
            fn()
        return tracemalloc.get_traced_memory()[1], e.value
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", BIG_CALLS)
def test_too_big_for_memory_refused_before_allocating(big, monkeypatch, name, dtype):
    p32, p64, x, h, xs = big
    p = p32 if dtype == "float32" else p64
    monkeypatch.setattr(numeric._validate, "available_memory", lambda: AVAILABLE)
    peak, err = _peak(lambda: BIG_CALLS[name](p, x, h, xs))
    limit = "max_bytes = 64 MiB" if "max_bytes" in name else "the 8 GiB of memory available"
    assert re.search(rf" needs [0-9.e+]+ GiB, more than {limit}; \w", str(err)), str(err)
    assert peak < (1 << 20), f"{peak} bytes allocated before the error"


def test_jacobian_message_says_what_was_asked_the_limit_and_what_to_use(big, monkeypatch):
    p32, _, x, h, _ = big
    monkeypatch.setattr(numeric._validate, "available_memory", lambda: AVAILABLE)
    for kw, limit in (({}, "the 8 GiB of memory available"),
                      ({"max_bytes": 64 << 20}, "max_bytes = 64 MiB")):
        with pytest.raises(numeric.NumericError, match=(
                rf"^a \(20000, 2048, 2048\) float32 Jacobian needs 312 GiB, more than "
                rf"{limit}; use numeric.jacobian_chunks .* or a smaller batch")):
            numeric.jacobian(p32, x, h, **kw)


@pytest.mark.parametrize("name", ["rollout", "gradient_norms", "check_horizon"])
def test_long_horizons_refused_before_allocating(monkeypatch, name):
    monkeypatch.setattr(numeric._validate, "available_memory", lambda: AVAILABLE)
    xs = np.broadcast_to(0.1, (10**9, B, 3))
    peak, err = _peak(lambda: call(name, xs=xs))
    assert re.search(r"T = 1000000000|\(1000000000, 2, 4\)|1000000000 steps", str(err)), err
    assert peak < (1 << 20)


def test_max_bytes_one_byte_short_raises_before_allocating():
    d = _defaults(GRU)
    J = numeric.jacobian(GRU, d["x"], d["state"])
    exact = J.nbytes
    np.testing.assert_array_equal(numeric.jacobian(GRU, d["x"], d["state"], max_bytes=exact), J)
    peak, err = _peak(lambda: numeric.jacobian(GRU, d["x"], d["state"], max_bytes=exact - 1))
    assert "more than max_bytes = 255 bytes" in str(err) and peak < (1 << 16)
    one = J[0].nbytes
    out = np.empty_like(J)
    numeric.jacobian(GRU, d["x"], d["state"], max_bytes=one, out=out)  # chunks of one sample
    np.testing.assert_allclose(out, J, rtol=1e-13, atol=1e-15)
    for fn in (lambda: numeric.jacobian(GRU, d["x"], d["state"], max_bytes=one - 1, out=out),
               lambda: numeric.jacobian_chunks(GRU, d["x"], d["state"], max_bytes=one - 1),
               lambda: numeric.sigma_min(GRU, d["x"], d["state"], max_bytes=one - 1)):
        peak, err = _peak(fn)
        assert "needs 128 bytes, more than max_bytes=127" in str(err) and peak < (1 << 16)


# -- unusual but valid inputs: the same results as plain arrays --------------------------

def _variants(a):
    """Valid spellings of the float64 array ``a``."""
    return {"fortran": np.asfortranarray(a), "strided": np.repeat(a, 2, axis=-1)[..., ::2],
            "big-endian": a.astype(">f8"), "float32": a.astype(np.float32),
            "read-only": np.lib.stride_tricks.as_strided(a, writeable=False),
            "list": a.tolist()}


@pytest.mark.parametrize("kind", list(_variants(np.zeros((1, 1)))))
@pytest.mark.parametrize("name", ["step", "jacobian", "jvp", "singular_values", "rollout",
                                  "gradient_norms", "check_bounds"])
def test_unusual_layouts_and_dtypes_give_the_same_results(name, kind):
    fn, pos = SPECS[name]
    d = _defaults(GRU)
    args = {a: d[a] for a in pos}
    ref = _leaves(fn(*args.values()))
    odd = {a: v if a == "params" else _variants(v)[kind] for a, v in args.items()}
    got = _leaves(fn(*odd.values()))
    tol = 1e-6 if kind == "float32" else 1e-13
    for (r, _), (g, _) in zip(ref, got, strict=True):
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol)


def test_broadcast_inputs_stay_views_and_give_the_same_results():
    p = GRU.astype(np.float32)
    x = np.broadcast_to(np.linspace(-1, 1, 3), (B, 3))           # float64, cast to float32
    h = np.broadcast_to(np.float32(0.25), (B, 4))
    np.testing.assert_array_equal(numeric.jacobian(p, x, h),
                                  numeric.jacobian(p, np.array(x), np.array(h)))
    with pytest.raises(numeric.NumericError, match=r"^state \(shape \(2, 4\)\) has 8 non-finite"):
        numeric.step(p, x, np.broadcast_to(np.float32(np.nan), (B, 4)))


def test_gradient_norms_over_ten_thousand_broadcast_steps_do_not_underflow():
    p = numeric.init("elman", 4, 3, seed=0, scale=0.3)
    xs = np.broadcast_to(0.2, (10_000, B, 3))
    res = numeric.gradient_norms(p, xs, np.zeros((B, 4)))
    ref = numeric.gradient_norms(p, np.array(xs), np.zeros((B, 4)))
    np.testing.assert_allclose(res.log_norms, ref.log_norms, rtol=1e-12)
    assert np.isfinite(res.log_norms).all() and (res.log_norms[0] < -800).all()


@pytest.mark.parametrize("dtype,scale", [(np.float64, 1e300), (np.float64, 1e-300),
                                         (np.float32, 1e30), (np.float32, 1e-30)])
def test_gradient_norms_of_huge_or_tiny_cotangents_shift_by_log_scale(dtype, scale):
    """||v|| is taken as s ||v / s||: no overflow of v * v for any finite v."""
    p = LSTM.astype(dtype)
    d = _defaults(p)
    v = tuple(np.random.default_rng(2).normal(size=(2, B, 4)))
    ref = numeric.gradient_norms(p, d["xs"], d["state0"], v).log_norms
    got = numeric.gradient_norms(p, d["xs"], d["state0"], tuple(a * scale for a in v)).log_norms
    tol = 1e-9 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(got - math.log(scale), ref, rtol=0, atol=tol)


def test_knobs_beyond_64_bits_are_refused_or_bounded_by_name():
    raises(r"^max_bytes must be a finite positive number of bytes, got 1000", "jacobian",
           max_bytes=10**400)
    raises(r"^eps must be a finite positive real number", "step_jacobian", eps=10**400)
    raises(r"^k must be an integer in \[1, 4\] .* got 1000", "lyapunov", k=10**30)
    raises(r"^seed must be a non-negative integer", "gradient_norms", seed=-(10**30))
    J = call("jacobian", max_bytes=10**30)  # a finite limit far above the need
    np.testing.assert_array_equal(J, call("jacobian"))


@given(st.integers(1, 6), st.integers(1, 5), st.sampled_from([np.float32, np.float64]),
       st.booleans(), st.lists(st.tuples(st.integers(0, 99), st.sampled_from(
           [np.nan, np.inf, -np.inf, 3e38, -3e38, 1.0])), max_size=6))
def test_non_finite_entries_are_counted_exactly(b, t, dtype, broadcast, marks):
    """The count in the message equals NumPy's, broadcast or not, even where the fast sum
    overflows on finite values (3e38 in float32)."""
    base = np.zeros((t, 1, 3) if broadcast else (t, b, 3), dtype=dtype)
    flat = base.reshape(-1)
    for k, v in marks:
        flat[k % flat.size] = v
    xs = np.broadcast_to(base, (t, b, 3))
    bad = int(np.count_nonzero(~np.isfinite(xs)))
    if bad:
        with pytest.raises(numeric.NumericError, match=rf"^xs \(shape \({t}, {b}, 3\)\) has "
                                                       rf"{bad} non-finite entries"):
            numeric.rollout(GRU, xs, np.zeros((b, 4)))
    else:
        np.testing.assert_array_equal(numeric.rollout(GRU, xs, np.zeros((b, 4))),
                                      numeric.rollout(GRU, np.array(xs, np.float64),
                                                      np.zeros((b, 4))))


@pytest.mark.parametrize("layout", ["fortran", "strided", "every-other", "transposed"])
def test_jacobian_out_of_any_writeable_layout_is_filled(layout):
    d = _defaults(LSTM)
    J = numeric.jacobian(LSTM, d["x"], d["state"], full=True)
    out = {"fortran": lambda: np.empty((B, 8, 8), order="F"),
           "strided": lambda: np.empty((B, 8, 16))[:, :, ::2],
           "every-other": lambda: np.empty((2 * B, 8, 8))[::2],
           "transposed": lambda: np.empty((8, 8, B)).transpose(2, 0, 1)}[layout]()
    assert numeric.jacobian(LSTM, d["x"], d["state"], full=True, out=out) is out
    np.testing.assert_allclose(out, J, rtol=1e-13, atol=1e-15)

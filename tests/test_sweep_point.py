"""numeric.sweep_point and its pieces, without Dask: the gate-bias offset moves the carrying
gate towards carrying (read from the derived Jacobian's carry term, reports' path), the
least-squares rate against np.polyfit, failing points, reproducibility from the point."""

from __future__ import annotations

import numpy as np
import pytest

import numeric
from numeric import NumericError, SweepSpec
from numeric.sweep_point import gate_bias_offset, least_squares_rate
from reports._fig_data import carrying_gate


@pytest.mark.parametrize("cell", ["gru", "gru:seed", "gru:cho", "lstm", "mgu", "mingru",
                                  "minlstm", "rglru", "janet", "cifg_lstm"])
def test_gate_bias_offset_moves_the_gate_towards_carrying(cell):
    """At beta = 3 the carrying gate is closer to its carrying value than at 0 and at -3,
    on every sample and unit (the gate read from the carry term of the derived Jacobian)."""
    name, _, conv = cell.partition(":")
    c = numeric.init(name, 6, 6, conv or None, seed=1)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 6))
    states = [rng.uniform(-0.5, 0.5, (5, 6)) for _ in c.cell.states]
    st = states[0] if len(states) == 1 else tuple(states)
    towards = c.cell.carrying.towards
    dist = {}
    for beta in (-3.0, 0.0, 3.0):
        _, g = carrying_gate(gate_bias_offset(c, beta), x, st)
        dist[beta] = np.abs(g - towards)
    assert (dist[3.0] < dist[0.0]).all() and (dist[0.0] < dist[-3.0]).all()


def test_gate_bias_offset_moves_one_bias_by_beta():
    p = numeric.init("gru", 4, 3, "seed", seed=0)       # seed GRU: z -> 0 carries
    q = gate_bias_offset(p, 2.5)
    changed = [n for n in p.arrays if not np.array_equal(p.arrays[n], q.arrays[n])]
    assert changed == ["b_iz"]
    np.testing.assert_array_equal(q.arrays["b_iz"], p.arrays["b_iz"] - 2.5)
    assert gate_bias_offset(p, 0.0) is p
    with pytest.raises(NumericError, match="no carrying gate"):
        gate_bias_offset(numeric.init("elman", 4, 3), 1.0)


def test_least_squares_rate_matches_polyfit():
    rng = np.random.default_rng(0)
    logn = rng.standard_normal((40, 5)).cumsum(axis=0)
    n = 40 - np.arange(40)
    ref = [np.polyfit(n, logn[:, j], 1)[0] for j in range(5)]
    np.testing.assert_allclose(least_squares_rate(logn), ref, rtol=1e-10, atol=1e-12)
    logn[3, 1], logn[5, 2] = -np.inf, np.nan
    r = least_squares_rate(logn)
    assert r[1] == -np.inf and np.isnan(r[2]) and np.isfinite(r[[0, 3, 4]]).all()


def test_point_is_reproducible_and_failures_are_recorded():
    spec = SweepSpec.from_dict({"axes": {"cell": ["elman", "gru"], "gate_bias": [0.0, 1.0],
                                         "H": [4], "T": [12]},
                                "settings": {"batch": 2, "k": 2, "bound_steps": 3}})
    point = spec.point((1, 1, 0, 0, 0, 0, 0, 0))
    a, b = numeric.sweep_point(spec, point), numeric.sweep_point(spec, dict(point))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    bad = numeric.sweep_point(spec, spec.point((0, 1, 0, 0, 0, 0, 0, 0)))
    assert set(bad) == {"failed"} and "no carrying gate" in bad["failed"]
    elman = numeric.sweep_point(spec, spec.point((0, 0, 0, 0, 0, 0, 0, 0)))
    assert np.isnan(elman["weyl_positive"]) and np.isnan(elman["saturation_1"])
    with pytest.raises(NumericError, match="point"):
        numeric.sweep_point(spec, {"cell": "gru"})
    with pytest.raises(NumericError, match="grid index"):
        spec.point((2, 0, 0, 0, 0, 0, 0, 0))

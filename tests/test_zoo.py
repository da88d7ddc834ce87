"""Every cell class of ``torchrecurrent`` against gatebound, in float64 with random parameters:

* ``numeric.step`` equals the torch module's new state (and ``numeric.output`` its output,
  for the cells whose output is not their state), 1e-12 relative;
* ``numeric.jacobian(full=True)`` equals torch autograd's Jacobian of the module's step with
  respect to its previous state, 1e-10 relative;
* the loader reads the layer wrapper and the bare state dict the same way;
* ``derivations.proof.prove`` succeeds for the cell at n = 1, 2, 3.

The classes whose torch state is not the cell's state one-to-one (``generic_test=False``:
a delayed input carried as its projection, a delay line) are compared in their family's
test file.
"""

from __future__ import annotations

import numpy as np
import pytest

import derivations as dv
import numeric as nm
from derivations.proof import prove
from numeric._zoo import SPECS

torch = pytest.importorskip("torch")
tr = pytest.importorskip("torchrecurrent")

GENERIC = sorted(s.cls for s in SPECS.values() if s.generic_test)
ZOO_CELLS = sorted({(s.cell, conv) for s in SPECS.values() for conv in dv.CELLS[s.cell]},
                   key=str)
I_, H_, B_ = 3, 4, 2
TOL_STEP, TOL_JAC = 1e-12, 1e-10


def _build(spec, seed=0):
    kwargs = dict(spec.test_kwargs)
    I = kwargs.pop("input_size", I_)
    mod = getattr(tr, spec.cls)(I, H_, dtype=torch.float64, **kwargs)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in mod.parameters():
            p.copy_(torch.rand(p.shape, generator=g, dtype=torch.float64) * 1.6 - 0.8)
            if p.dim() == 0:
                # SCRN's alpha and JANET's beta are float32 even in a float64 module
                # (nn.Parameter(torch.tensor(value))), and torch computes 1 - alpha in
                # float32: a multiple of 1/64 keeps that exact
                p.copy_(torch.round(p * 64) / 64)
    return mod, I


def _decoupled(mod):
    return isinstance(mod, (tr.base.DecoupledSingleStateCellBase,
                            tr.base.DecoupledDoubleStateCellBase))


def _split(mod, result):
    """``(output or None, state tuple)`` of a module's return value."""
    out = None
    if _decoupled(mod):
        out, result = result
    return out, (tuple(result) if isinstance(result, (tuple, list)) else (result,))


def _random_state(mod, x, seed):
    _, state0 = _split(mod, mod(x))
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(s.shape, generator=g, dtype=torch.float64) * 0.7 for s in state0)


def _call(mod, x, state):
    return mod(x, state if len(state) > 1 else state[0])


class _ExactHardsigmoid(torch.nn.Module):
    """``clamp(u/6 + 1/2, 0, 1)`` with float64 autograd. torch 2.13's CPU backward of
    ``nn.Hardsigmoid`` multiplies by float32(1/6) even in float64 (relative error 5e-9), which
    is not the derivative of the forward it runs; the Jacobian comparison uses this module,
    whose forward equals torch's to the last bits (checked) and whose backward is exact."""

    def forward(self, u):
        return torch.clamp(u / 6 + 0.5, 0.0, 1.0)


def _exact_backward(mod, x, state):
    """``mod`` with every ``nn.Hardsigmoid`` replaced by :class:`_ExactHardsigmoid`, after
    checking the forward is unchanged (1e-15)."""
    import copy

    names = [n for n, m in mod.named_modules() if type(m) is torch.nn.Hardsigmoid]
    if not names:
        return mod
    exact = copy.deepcopy(mod)
    for n in names:
        setattr(exact, n, _ExactHardsigmoid())
    a, b = _split(mod, _call(mod, x, state)), _split(exact, _call(exact, x, state))
    assert all(torch.allclose(u, v, rtol=1e-15, atol=1e-16)
               for u, v in zip(a[1], b[1], strict=True))
    return exact


def _rel(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("cls", GENERIC)
def test_step_output_and_jacobian_equal_torchrecurrent(cls):
    spec = SPECS[cls]
    mod, I = _build(spec)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B_, I, generator=g, dtype=torch.float64)
    state = _random_state(mod, x, 2)
    out, new = _split(mod, _call(mod, x, state))
    params = nm.from_torch(mod)
    assert params.cell.name == spec.cell
    assert len(params.cell.states) == len(state)
    ours = nm.step(params, x.numpy(), tuple(s.numpy() for s in state) if len(state) > 1
                   else state[0].numpy())
    ours = ours if isinstance(ours, tuple) else (ours,)
    for k, (a, b) in enumerate(zip(ours, new, strict=True)):
        assert _rel(a, b.detach().numpy()) < TOL_STEP, (cls, params.cell.states[k])
    if out is not None:
        y = nm.output(params, x.numpy(), tuple(s.numpy() for s in state) if len(state) > 1
                      else state[0].numpy())
        assert _rel(y, out.detach().numpy()) < TOL_STEP

    exact = _exact_backward(mod, x, state)

    def f(*s):
        return torch.cat(_split(exact, _call(exact, x, s))[1], dim=-1)

    J = torch.autograd.functional.jacobian(f, state)           # per state: (B, D, B, H)
    J = torch.cat([j for j in J], dim=-1)                        # (B, D, B, D)
    J = torch.stack([J[b, :, b, :] for b in range(B_)]).numpy()  # (B, D, D)
    ours = nm.jacobian(params, x.numpy(), tuple(s.numpy() for s in state) if len(state) > 1
                       else state[0].numpy(), full=True)
    assert _rel(ours, J) < TOL_JAC


@pytest.mark.parametrize("cls", GENERIC)
def test_layer_and_state_dict_read_as_the_cell(cls):
    spec = SPECS[cls]
    kwargs = dict(spec.test_kwargs)
    I = kwargs.pop("input_size", I_)
    layer = getattr(tr, spec.layer_cls)(I, H_, num_layers=2, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for k, p in enumerate(layer.parameters()):
            p.copy_(torch.linspace(-0.7, 0.9, p.numel(), dtype=torch.float64).reshape(p.shape)
                    * (-1) ** k)
    cell = layer.cells[1]
    direct = nm.from_torch(cell)
    via_layer = nm.from_torch(layer, layer=1)
    conv = direct.cell.convention
    name = spec.cell + ("" if conv is None else f":{conv}")
    scalars = {sym: float(getattr(cell, attr)) for attr, sym in spec.scalars.items()}
    via_sd = nm.from_torch(layer.state_dict(), layer=1, cell=name, scalars=scalars or None)
    for p in (via_layer, via_sd):
        assert p.cell is direct.cell
        assert set(p.arrays) == set(direct.arrays)
        for k, a in direct.arrays.items():
            np.testing.assert_array_equal(p.arrays[k], a)


@pytest.mark.parametrize("key", ZOO_CELLS, ids=[f"{n}:{c}" for n, c in ZOO_CELLS])
def test_prove_at_n_up_to_3(key):
    cell = dv.cell(*key)
    for n in (1, 2, 3):
        r = prove(cell, n)
        assert r.ok, (key, n)

r"""The cells of ``torchrecurrent`` (private): how :func:`numeric.from_torch` reads them.

Each ``*Cell`` class of torchrecurrent has one :class:`ZooSpec`, declared in the family
modules ``numeric/_zoo_<family>.py``; a layer class (``ATR``, ``coRNN``, ...) holds its
cells in ``.cells`` and layer ``l`` is read from ``cells[l]``. A class is recognized only
if the torchrecurrent module that defines it holds it under its name (a subclass or a
look-alike is refused by name).

A state dict cannot say which cell it holds: ``cell='atr'`` (or ``'indrnn:tanh'``) says
it, and the keys are found under the one prefix holding ``weight_ih`` (``cells.<l>.`` of a
layer's). A hyper-parameter that torchrecurrent keeps as a Python float (coRNN's ``dt``,
the antisymmetric cells' ``epsilon`` and ``gamma``, ...) is not in a state dict: pass it
with ``scalars={'dt': 0.1}``; a loader never guesses it. Learnable scalars (``nn.Parameter``,
FastRNN's ``alpha``, JANET's ``beta``, ...) are read from the state dict.
"""

from __future__ import annotations

import re
import sys

from ._errors import NumericError
from ._zoo_spec import Reader, ZooSpec

__all__ = ["ZooSpec", "Reader", "SPECS", "zoo_kind", "zoo_cell", "read_module",
           "read_state_dict"]


def _specs():
    from . import _zoo_bistable, _zoo_io, _zoo_lstm, _zoo_minimal, _zoo_ode
    specs = {}
    for m in (_zoo_lstm, _zoo_minimal, _zoo_ode, _zoo_bistable, _zoo_io):
        for s in m.SPECS:
            if s.cls in specs:
                raise RuntimeError(f"two specs for torchrecurrent {s.cls}")
            specs[s.cls] = s
    return specs


#: torchrecurrent ``*Cell`` class name -> its :class:`ZooSpec`
SPECS = _specs()
_BY_CELL = {s.cell: s for s in SPECS.values()}


def _identity(cls):
    key = (cls.__module__, cls.__qualname__)
    if not key[0].startswith("torchrecurrent."):
        return None
    defining = sys.modules.get(key[0])
    return key[1] if getattr(defining, key[1], None) is cls else None


def zoo_kind(mod):
    """``(spec, is_layer)`` of a torchrecurrent module, or ``None`` for another class."""
    name = _identity(type(mod))
    if name is None:
        return None
    if name in SPECS:
        return SPECS[name], False
    spec = next((s for s in SPECS.values() if s.layer_cls == name), None)
    return None if spec is None else (spec, True)


def zoo_cell(name: str):
    """The spec of built-in cell ``name`` if torchrecurrent has it, else ``None``."""
    return _BY_CELL.get(name)


def _result(spec, reader):
    if spec.check is not None:
        spec.check(reader)
    conv = spec.convention(reader) if spec.convention is not None else reader.convention
    arrays = spec.read(reader)
    unused = reader.unused_scalars
    if unused:
        raise NumericError(f"{reader.where}: scalars {unused} are not hyper-parameters "
                           f"it keeps outside its state dict "
                           f"({sorted(spec.scalars.values()) or 'it has none'})")
    return spec.cell, conv, arrays, reader.where


def read_module(mod, spec, is_layer, layer, reverse, scalars):
    """``(cell, convention, from_arrays keywords, where)`` of a torchrecurrent module."""
    where = f"torchrecurrent {type(mod).__name__}"
    if reverse:
        raise NumericError(f"a {where} has no reverse direction; got reverse=True")
    if scalars:
        raise NumericError(f"scalars= is for a state dict; a {where} module holds its own "
                           f"hyper-parameters (got scalars={scalars!r})")
    holder = None
    if is_layer:
        cells = getattr(mod, "cells", None)
        n = len(cells)
        if layer >= n:
            raise NumericError(f"{where} has layers {list(range(n))} (num_layers={n}); got "
                               f"layer={layer}")
        holder, mod = mod, cells[layer]
        if _identity(type(mod)) != spec.cls:
            raise NumericError(f"{where}: layer {layer} is a {type(mod).__name__}, not a "
                               f"{spec.cls}")
        where = f"{where} layer {layer} ({spec.cls})"
    elif layer != 0:
        raise NumericError(f"a {where} has one layer (0); got layer={layer}")
    sd = dict(mod.state_dict(keep_vars=True))
    return _result(spec, Reader(sd, where, module=mod, layer=holder))


def read_state_dict(sd, spec, convention, layer, scalars, where):
    """``(cell, convention, from_arrays keywords, where)`` of a state dict holding
    ``spec``'s cell (at ``cells.<layer>.`` if it is a layer's)."""
    keys = [k for k in sd if isinstance(k, str)]
    layered = [k[:-len("weight_ih")] for k in keys
               if re.fullmatch(rf"(?:.*\.)?cells\.{layer}\.weight_ih", k)]
    plain = [k[:-len("weight_ih")] for k in keys if k == "weight_ih" or k.endswith(".weight_ih")]
    if layered:
        found = layered
    elif layer != 0:
        raise NumericError(f"{where} has no layer {layer} (no key 'cells.{layer}.weight_ih')")
    else:
        found = plain
    if not found:
        raise NumericError(f"{where} holds no {spec.cls} parameters (no key 'weight_ih' or "
                           f"ending in '.weight_ih'); keys: {keys[:8]}")
    if len(found) > 1:
        raise NumericError(f"{where} holds {len(found)} cells (prefixes {sorted(found)}); pass "
                           "layer= or the state dict of one")
    p = found[0]
    own = {k[len(p):]: v for k, v in sd.items() if isinstance(k, str) and k.startswith(p)
           and "." not in k[len(p):]}
    return _result(spec, Reader(own, where, convention=convention, scalars=scalars))

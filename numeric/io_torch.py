r"""Parameters from PyTorch recurrent layers and from the reference implementations of
the gated linear recurrences (torch is imported only to read a file).

:func:`from_torch` reads, it never guesses:

- a **module** is read only when its class is exactly one of ``torch.nn.RNN``,
  ``RNNCell``, ``GRU``, ``GRUCell``, ``LSTM``, ``LSTMCell`` (also with
  ``torch.nn.utils.parametrize`` parametrizations such as weight norm), or one of the
  peers' classes listed in :mod:`numeric._peers` (mingru-pytorch ``minGRU``, ``minLSTM``;
  xlstm ``sLSTMCell`` and ``sLSTMLayer`` with ``backend='vanilla'``; recurrentgemma
  ``RGLRU``). The class says the cell (an ``RNN`` with ``nonlinearity='relu'`` is the
  ``elman`` cell's ``relu`` convention; an ``LSTM`` with ``proj_size > 0`` the ``lstmp``
  cell); an xlstm CUDA backend or causal convolution are refused by name. Any other
  class is refused by name, even when its parameters have the names and shapes of a known
  cell's (``torchrecurrent``'s ``ATRCell`` has ``nn.RNNCell``'s, and other equations); for
  a model that wraps known layers the error names their attribute paths (``pass
  model.rnn``).
- a **state dict**, or a file holding one (read with ``torch.load(...,
  weights_only=True)``, which never unpickles arbitrary objects), cannot say which cell or
  nonlinearity it holds: pass ``cell=`` (``'elman'``, ``'gru'``, ``'lstm'``, ``'lstmp'``
  (keys ``weight_hr_l<k>`` too), ``'mingru'``,
  ``'minlstm'``, ``'slstm_stabilized'`` or ``'rglru'``) and, for an Elman cell,
  ``nonlinearity=`` (``'tanh'``, the default, or ``'relu'``; ``cell='elman:relu'`` says
  the same). The shapes are checked against the cell; an error suggests the cell whose
  gate count matches them.

Every failure is one :class:`~numeric.NumericError` line naming the file, module or key.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

from ._errors import NumericError
from ._peers import PEER_CELLS, cell_of, peer_kind, read_module, read_state_dict
from ._peers_options import TORCH_CELLS
from ._peers_options import check_options as _check_options
from ._torch_file import load_file as _load_file
from ._torch_file import tensor_array as _array
from ._zoo import read_module as read_zoo_module
from ._zoo import read_state_dict as read_zoo_state_dict
from ._zoo import zoo_cell, zoo_kind
from .params import from_arrays, resolve_cell

__all__ = ["from_torch"]

_GATES = {"elman": 1, "gru": 3, "lstm": 4, "lstmp": 4}
_BY_GATES = {1: "elman", 3: "gru", 4: "lstm"}
_CLASSES = {"RNN": "elman", "RNNCell": "elman", "GRU": "gru", "GRUCell": "gru",
            "LSTM": "lstm", "LSTMCell": "lstm"}
_KEY = re.compile(r"(?P<prefix>(?:.*\.)?)(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                  r"(?:_l(?P<layer>[0-9]+)(?P<rev>_reverse)?)?")
_PARTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
#: the projection of an LSTM with ``proj_size > 0`` (cell ``lstmp``): (P, H)
_PROJ = "weight_hr"


def _torch():
    return sys.modules.get("torch")


def _known_class(mod):
    """The torch.nn class name of ``mod`` if from_torch knows it, else None."""
    torch = _torch()
    cls = type(mod)
    bases = [cls]
    if getattr(torch.nn.utils, "parametrize", None) is not None:
        if torch.nn.utils.parametrize.is_parametrized(mod):
            bases = list(cls.__bases__)          # ParametrizedGRU(GRU)
    for b in bases:
        if b.__name__ in _CLASSES and getattr(torch.nn, b.__name__, None) is b:
            return b.__name__
    return None


def _qualname(cls) -> str:
    mod = cls.__module__
    return cls.__qualname__ if mod in ("builtins", "__main__") else f"{mod}.{cls.__qualname__}"


# -- modules ---------------------------------------------------------------------------

def _label(mod):
    """What a submodule is, for the error naming a wrapper's known layers (or None)."""
    kind = _known_class(mod)
    if kind is not None:
        return kind
    try:
        peer = peer_kind(mod)
    except NumericError:
        return "xlstm sLSTMCell, backend='cuda': refused"
    return None if peer is None else peer[0]


def _from_peer(mod, peer, layer, reverse, cell, nonlinearity):
    label, own = peer
    if cell is not None and cell != own:
        raise NumericError(f"{{given}} contradicts the module: a {label} is cell {own!r}",
                           options={"given": ("cell", cell)})
    if nonlinearity is not None:
        raise NumericError(f"nonlinearity= applies to the Elman cell only, not a {label}")
    return read_module(mod, label, own, layer, reverse)


def _from_module(mod, layer, reverse, cell, nonlinearity):
    kind = _known_class(mod)
    cls = _qualname(type(mod))
    if kind is None:
        inner = [(n, _label(m)) for n, m in mod.named_modules() if n]
        inner = [(n, k) for n, k in inner if k is not None]
        known = ("torch.nn " + ", ".join(_CLASSES) + ", mingru-pytorch minGRU, minLSTM, "
                 "xlstm sLSTMCell, sLSTMLayer or recurrentgemma RGLRU")
        if inner:
            listed = ", ".join(f"model.{n} ({k})" for n, k in inner)
            raise NumericError(f"from_torch reads {known} modules, not {cls}; it contains "
                               f"{listed}: pass model.{inner[0][0]}")
        raise NumericError(f"from_torch reads only {known} modules, not {cls} (a class with "
                           "a known cell's parameter names need not compute its equations); "
                           "its state dict cannot be read either unless it is one of these "
                           "cells")
    proj = getattr(mod, "proj_size", 0)
    where = f"torch.nn.{kind}" + (f" with proj_size={proj}" if proj else "")
    own = "lstmp" if proj else _CLASSES[kind]
    if cell is not None and cell != own:
        raise NumericError(f"{{given}} contradicts the module: a {where} is cell {own!r}",
                           options={"given": ("cell", cell)})
    mod_nl = getattr(mod, "nonlinearity", None) if own == "elman" else None
    if mod_nl not in (None, "tanh", "relu"):
        raise NumericError(f"{where} with nonlinearity={mod_nl!r} is not supported (only "
                           "'tanh' and 'relu')")
    if nonlinearity is not None and mod_nl is not None and nonlinearity != mod_nl:
        raise NumericError(f"nonlinearity={nonlinearity!r} contradicts the module: a {where} "
                           f"with nonlinearity={mod_nl!r}")
    if nonlinearity is not None and own != "elman":
        raise NumericError(f"nonlinearity= applies to the Elman cell only, not a {where}")
    parts = _PARTS + ((_PROJ,) if proj else ())
    if kind.endswith("Cell"):
        if layer != 0:
            raise NumericError(f"a {where} has one layer (0); got layer={layer}")
        if reverse:
            raise NumericError(f"a {where} has no reverse direction; got reverse=True")
        names = {p: p for p in parts}
    else:
        n = mod.num_layers
        if layer >= n:
            raise NumericError(f"{where} has layers {list(range(n))} (num_layers={n}); got "
                               f"layer={layer}")
        if reverse and not mod.bidirectional:
            raise NumericError(f"{where} is not bidirectional; reverse=True needs "
                               "bidirectional=True")
        sfx = f"_l{layer}" + ("_reverse" if reverse else "")
        names = {p: p + sfx for p in parts}
    tensors = {p: getattr(mod, k, None) for p, k in names.items()}
    tensors = {p: (None if t is None else (names[p], t)) for p, t in tensors.items()}
    return own, mod_nl, tensors, where


# -- state dicts -----------------------------------------------------------------------

def _from_state_dict(sd, layer, reverse, where):
    groups = {}
    for key in sd:
        m = _KEY.fullmatch(key) if isinstance(key, str) else None
        if m is not None:
            lay = None if m["layer"] is None else int(m["layer"])
            groups.setdefault(m["prefix"], {})[(lay, bool(m["rev"]), m["kind"])] = key
    groups = {p: g for p, g in groups.items() if any(k[2] == "weight_hh" for k in g)}
    if not groups:
        shown = [k for k in sd][:8]
        nested = [k for k, v in sd.items() if isinstance(v, Mapping)][:3]
        hint = (f"; key {nested[0]!r} holds a dict: pass that dict" if nested else "")
        raise NumericError(f"{where} holds no recurrent weights (no key named weight_hh, "
                           f"weight_hh_l<k> or ending in .weight_hh...); keys: {shown}{hint}")
    if len(groups) > 1:
        pre = sorted(groups)
        raise NumericError(f"{where} holds the weights of {len(pre)} recurrent modules "
                           f"(prefixes {pre}); pass the state dict of one, e.g. the keys "
                           f"starting with {pre[-1]!r} with that prefix removed")
    (prefix, g), = groups.items()
    styles = {lay is None for lay, _, kind in g if kind == "weight_hh"}
    if styles == {True, False}:
        raise NumericError(f"{where} mixes cell keys ({prefix}weight_hh) and layer keys "
                           f"({prefix}weight_hh_l0); pass one module's state dict")
    if styles == {True}:
        layers, lay = [0], None
        revs = set()
    else:
        layers = sorted({lay for lay, _, kind in g if kind == "weight_hh"})
        lay = layer
        revs = {lay_ for lay_, r, kind in g if r and kind == "weight_hh"}
    if layer not in layers:
        raise NumericError(f"{where} has no layer {layer}; layers present: {layers}")
    if reverse and layer not in revs:
        raise NumericError(f"{where} has no reverse direction for layer {layer} (not a "
                           "bidirectional module); reverse=True needs one")
    tensors = {}
    for p in (*_PARTS, _PROJ):
        key = g.get((lay, reverse, p))
        tensors[p] = None if key is None else (key, sd[key])
    if tensors["weight_ih"] is None:
        raise NumericError(f"{where} has {tensors['weight_hh'][0]!r} but no matching weight_ih")
    if (tensors["bias_ih"] is None) != (tensors["bias_hh"] is None):
        have = tensors["bias_ih"] or tensors["bias_hh"]
        raise NumericError(f"{where} has {have[0]!r} but not the other bias; PyTorch layers "
                           "have both biases or neither (bias=False)")
    return tensors


def _check_projection(arrays, keys, cell, where):
    """An LSTM projection ``weight_hr`` (P, H) is read by cell ``lstmp`` only, and that cell
    needs one: refused by name otherwise, before the shapes are checked."""
    has = _PROJ in arrays
    if has and cell is None:
        raise NumericError(f"{where}: a state dict cannot say which cell it holds; its LSTM "
                           f"projection {keys[_PROJ]!r} (proj_size > 0) fits {{fit}}",
                           options={"fit": ("cell", "lstmp")})
    if has and cell != "lstmp":
        raise NumericError(f"{where} has an LSTM projection {keys[_PROJ]!r} (proj_size > 0), "
                           "which {given} does not read; pass {fit}",
                           options={"given": ("cell", cell), "fit": ("cell", "lstmp")})
    if cell == "lstmp" and not has:
        raise NumericError(f"{where}: cell='lstmp' needs the projection "
                           f"{keys['weight_hh'].replace('weight_hh', _PROJ, 1)!r} (P, H), "
                           "which is missing (an LSTM without proj_size is cell='lstm')")


def _check_projection_shapes(arrays, keys, where):
    """``weight_hh`` (4H, P) and ``weight_hr`` (P, H) of an LSTM with ``proj_size = P``."""
    w_hh, w_hr, w_ih = arrays["weight_hh"], arrays[_PROJ], arrays["weight_ih"]
    k = keys["weight_hh"]
    if w_hh.ndim != 2 or w_hh.shape[0] < 4 or w_hh.shape[0] % 4 or w_hh.shape[1] < 1:
        raise NumericError(f"{where}: {k!r} has shape {w_hh.shape}; cell='lstmp' needs "
                           "(4*H, P) with H, P >= 1")
    H, P = w_hh.shape[0] // 4, w_hh.shape[1]
    if w_hr.shape != (P, H):
        raise NumericError(f"{where}: {keys[_PROJ]!r} has shape {w_hr.shape}; {k!r} of shape "
                           f"{w_hh.shape} needs it (P, H) = ({P}, {H})")
    if w_ih.ndim != 2 or w_ih.shape[0] != 4 * H or w_ih.shape[1] < 1:
        raise NumericError(f"{where}: {keys['weight_ih']!r} has shape {w_ih.shape}; "
                           f"cell='lstmp' with H = {H} needs ({4 * H}, I) with I >= 1")
    for p in ("bias_ih", "bias_hh"):
        b = arrays.get(p)
        if b is not None and b.shape != (4 * H,):
            raise NumericError(f"{where}: {keys[p]!r} has shape {b.shape}; cell='lstmp' "
                               f"with H = {H} needs ({4 * H},)")


def _check_shapes(arrays, keys, cell, where):
    _check_projection(arrays, keys, cell, where)
    if cell == "lstmp":
        return _check_projection_shapes(arrays, keys, where)
    w_hh, w_ih = arrays["weight_hh"], arrays["weight_ih"]
    k = keys["weight_hh"]
    if w_hh.ndim != 2 or w_hh.shape[1] < 1 or w_hh.shape[0] < 1:
        raise NumericError(f"{where}: {k!r} has shape {w_hh.shape}; expected (G*H, H) with "
                           "H >= 1 (G = 1 Elman, 3 GRU, 4 LSTM)")
    H = w_hh.shape[1]
    G_found = w_hh.shape[0] / H
    if cell is None:
        guess = _BY_GATES.get(int(G_found)) if G_found.is_integer() else None
        tip = (f"pass {{fit}} ({k!r} has shape {w_hh.shape}: {int(G_found)} gate "
               f"blocks of H = {H}, as {'an' if guess == 'elman' else 'a'} {guess}'s)"
               if guess else f"pass the cell ('elman', 'gru' or 'lstm'); {k!r} has shape "
               f"{w_hh.shape}, which fits none of them")
        raise NumericError(f"{where}: a state dict cannot say which cell it holds; {tip}",
                           options={"fit": ("cell", guess)} if guess else None)
    G = _GATES[cell]
    if w_hh.shape != (G * H, H):
        fits = _BY_GATES.get(int(G_found)) if G_found in _BY_GATES else None
        raise NumericError(f"{where}: {k!r} has shape {w_hh.shape}; {{given}} needs "
                           f"({G}*H, H) = ({G * H}, {H})" + ("; the shape fits {fit}"
                                                             if fits else ""),
                           options={"given": ("cell", cell),
                                    **({"fit": ("cell", fits)} if fits else {})})
    if w_ih.ndim != 2 or w_ih.shape[0] != G * H or w_ih.shape[1] < 1:
        raise NumericError(f"{where}: {keys['weight_ih']!r} has shape {w_ih.shape}; "
                           f"{{given}} with H = {H} needs ({G * H}, I) with I >= 1",
                           options={"given": ("cell", cell)})
    for p in ("bias_ih", "bias_hh"):
        b = arrays.get(p)
        if b is not None and b.shape != (G * H,):
            raise NumericError(f"{where}: {keys[p]!r} has shape {b.shape}; cell={cell!r} "
                               f"with H = {H} needs ({G * H},)")


def from_torch(source, layer: int = 0, *, reverse: bool = False, cell: str | None = None,
               nonlinearity: str | None = None, dtype=None, scalars=None):
    r""":class:`~numeric.Params` of one layer of a PyTorch RNN, GRU or LSTM, of a peer's
    minGRU, minLSTM, sLSTM or RG-LRU module, or of any of the 41 cells of torchrecurrent.

    Parameters
    ----------
    source : torch.nn.Module, dict or path
        A ``torch.nn`` ``RNN``, ``RNNCell``, ``GRU``, ``GRUCell``, ``LSTM`` or ``LSTMCell``
        (exactly these classes; anything else, such as a model wrapping one of them, is
        refused by name and the error says which attribute to pass), a state dict (keys
        ``weight_ih_l<k>``, ..., or a cell's ``weight_ih``, ..., optionally behind one
        prefix such as ``rnn.``), or the path of a file holding a state dict, read with
        ``torch.load(path, map_location="cpu", weights_only=True)``: pickled objects other
        than tensors are never executed, so a whole model saved with ``torch.save(model)``
        is refused. Also a peer's module or state dict (see :mod:`numeric._peers` for the
        layouts and what is not modelled: minGRU's ``to_out`` readout, sLSTMLayer's group
        norm, the RG-LRU's reset at position 0), and a torchrecurrent ``*Cell`` or layer
        module (``ATRCell``, ``ATR``, ...) or state dict (see :mod:`numeric._zoo`; the
        cell of each class is listed in ``numeric._zoo.SPECS``).
    layer : int
        Which layer of a multi-layer module (default 0).
    reverse : bool
        Read the backward direction of a bidirectional module.
    cell : str, optional
        ``'elman'``, ``'gru'``, ``'lstm'``, ``'mingru'``, ``'minlstm'``,
        ``'slstm_stabilized'``, ``'rglru'`` or a torchrecurrent cell (``'atr'``,
        ``'indrnn:tanh'``, ``'taugru:delay2'``, ...).
        Required for a state dict or file, which cannot say which cell it holds; the weight
        shapes are checked against it. For a module it may be omitted (the class says it)
        and must agree with the class. The GRU is the ``pytorch`` convention
        (``'gru:pytorch'`` is accepted too); minGRU and minLSTM are convention ``g``, the
        sLSTM ``sigmoid`` (a ``':convention'`` suffix naming another is refused).
    nonlinearity : {'tanh', 'relu'}, optional
        The Elman cell's nonlinearity. A state dict cannot say it: the default is
        ``'tanh'``. For a module it must agree with the module's.
    dtype : float32 or float64, optional
        Default: float32 when every tensor is float32 (float16/bfloat16 become float32).
    scalars : dict, optional
        For a torchrecurrent state dict: the hyper-parameters torchrecurrent keeps as Python
        floats outside it (coRNN's ``{"dt": 0.1, "gamma": 1.0, "epsilon": 1.0}``); a missing
        one is an error naming it (a loader never guesses), an unknown one too.

    Returns
    -------
    numeric.Params
        The cell's parameters, split from PyTorch's packed layout: for ``G`` gate blocks of
        size ``H``, ``weight_ih`` is ``(G*H, I)``, ``weight_hh`` is ``(G*H, H)``, the biases
        ``(G*H,)`` (zero when the module has ``bias=False``). Elman (``G = 1``):

        .. math::

            h' = \tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh}).

        GRU (``G = 3``, blocks ``r, z, n``: ``weight_hh = [W_hr; W_hz; W_hn]``):

        .. math::

            r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}), \quad
            z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}),

            n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})), \quad
            h' = (1 - z) \odot n + z \odot h.

        LSTM (``G = 4``, blocks ``i, f, g, o``: ``weight_hh = [W_hi; W_hf; W_hg; W_ho]``),
        with :math:`a_k = W_{ik} x + b_{ik} + W_{hk} h + b_{hk}`:

        .. math::

            i, f, o = \sigma(a_i), \sigma(a_f), \sigma(a_o), \quad g = \tanh(a_g), \quad
            c' = f \odot c + i \odot g, \quad h' = o \odot \tanh(c').

    Raises
    ------
    NumericError
        One line naming the file, module class or key and what is wrong: a missing, empty,
        text, truncated or pickled-object file, a folder; a module class not listed above;
        ``proj_size``, an xlstm CUDA backend, ``conv1d_kernel_size > 0``; a missing ``cell=`` (the message suggests
        the cell whose gate count fits the shapes) or one contradicting the shapes or the
        class; meta-device, integer or non-finite tensors, non-tensor values; degenerate
        shapes (``H = 0``, 1-D or 3-D weights); a layer that does not exist (the layers
        present are listed); ``reverse=True`` on a unidirectional module.

    Examples
    --------
    A state dict of NumPy arrays (or tensors) with PyTorch's key names:

    >>> import numpy as np, numeric
    >>> rng = np.random.default_rng(0)
    >>> sd = {"weight_ih_l0": rng.normal(size=(12, 3)),      # (3H, I)
    ...       "weight_hh_l0": rng.normal(size=(12, 4))}      # (3H, H)
    >>> numeric.from_torch(sd, cell="gru")
    Params('gru (pytorch)', hidden_size=4, input_size=3, dtype=float64)
    >>> numeric.from_torch(sd)
    Traceback (most recent call last):
    ...
    numeric._errors.NumericError: the state dict: a state dict cannot say which cell it holds; pass cell='gru' ('weight_hh_l0' has shape (12, 4): 3 gate blocks of H = 4, as a gru's)

    A module (``torch.nn.GRU(3, 4, num_layers=2)``) needs no ``cell=``:
    ``numeric.from_torch(gru, layer=1)``.
    """
    zoo, given = _zoo_option(cell, nonlinearity, scalars), cell
    layer, reverse, cell, nonlinearity, dtype = _check_options(
        layer, reverse, None if zoo else cell, nonlinearity, dtype)
    torch = _torch()
    if torch is not None and isinstance(source, torch.nn.Module) and zoo_kind(source):
        spec, is_layer = zoo_kind(source)
        if given is not None and (zoo is None or zoo[0] is not spec):
            raise NumericError(f"{{given}} contradicts the module: a torchrecurrent "
                               f"{type(source).__name__} is cell {spec.cell!r}",
                               options={"given": ("cell", given)})
        if nonlinearity is not None:
            raise NumericError("nonlinearity= applies to torch.nn's Elman cell only; a "
                               "torchrecurrent module says its own activations")
        return _params(*read_zoo_module(source, spec, is_layer, layer, reverse, scalars), dtype)
    if zoo is not None:
        spec, conv = zoo
        if reverse:
            raise NumericError(f"a torchrecurrent {spec.cls} has no reverse direction; got "
                               "reverse=True")
        if isinstance(source, (str, os.PathLike, bytes)):
            sd, where = _load_file(source)
        elif isinstance(source, Mapping):
            sd, where = source, "the state dict"
        else:
            raise NumericError(f"cell={cell!r} reads a torchrecurrent {spec.cls} from a state "
                               f"dict or a file, got {type(source).__name__}")
        return _params(*read_zoo_state_dict(sd, spec, conv, layer, scalars, where), dtype)
    if scalars is not None:
        raise NumericError("scalars= is for the state dict of a torchrecurrent cell "
                           "(pass cell=<its cell>)")
    if isinstance(source, (str, os.PathLike, bytes)):
        sd, where = _load_file(source)
    elif torch is not None and isinstance(source, torch.nn.Module):
        peer = None if _known_class(source) else peer_kind(source)
        if peer is not None:
            return _params(*_from_peer(source, peer, layer, reverse, cell, nonlinearity), dtype)
        cell, nl, tensors, where = _from_module(source, layer, reverse, cell, nonlinearity)
        nonlinearity = nl or nonlinearity
        sd = None
    elif isinstance(source, Mapping):
        sd, where = source, "the state dict"
    else:
        raise NumericError(f"from_torch expects a torch.nn RNN/GRU/LSTM module (or one of "
                           f"the peers' modules listed in the docs), a state dict or a file "
                           f"path, got {type(source).__name__}")
    if sd is not None and cell in PEER_CELLS:
        if layer != 0 or reverse:
            raise NumericError(f"{where}: a {cell} cell has one layer (0) and one direction; "
                               f"got layer={layer}, reverse={reverse}")
        return _params(*read_state_dict(sd, cell, where), dtype)
    if sd is not None and cell is None and (found := cell_of(sd)) is not None:
        raise NumericError(f"{where}: a state dict cannot say which cell it holds; its key "
                           f"{found[1]!r} is a {found[0]} module's: pass {{fit}}",
                           options={"fit": ("cell", found[0])})
    if sd is not None:
        tensors = _from_state_dict(sd, layer, reverse, where)
    keys = {p: t[0] for p, t in tensors.items() if t is not None}
    arrays = {p: _array(t[1], t[0], where) for p, t in tensors.items() if t is not None}
    _check_shapes(arrays, keys, cell, where)
    conv = {"gru": "pytorch", "elman": nonlinearity if nonlinearity == "relu" else None}
    return _params(cell, conv.get(cell), arrays, where, dtype)


def _zoo_option(cell, nonlinearity, scalars):
    """``(spec, convention)`` if ``cell=`` names a torchrecurrent cell gatebound reads, else
    None; checks ``scalars=`` (a mapping of names to numbers, for such a state dict)."""
    if scalars is not None and not isinstance(scalars, Mapping):
        raise NumericError(f"scalars must be a dict of hyper-parameter names to numbers, got "
                           f"{type(scalars).__name__}")
    if not isinstance(cell, str):
        return None
    name, _, conv = cell.partition(":")
    spec = zoo_cell(name)
    if spec is None or name in TORCH_CELLS:
        return None
    try:
        c = resolve_cell(name, conv or None)
    except Exception as exc:
        raise NumericError(f"cell={cell!r}: {exc}") from None
    if nonlinearity is not None:
        raise NumericError(f"nonlinearity= applies to torch.nn's Elman cell only, not "
                           f"cell={cell!r}")
    return spec, c.convention


def _params(cell, convention, arrays, where, dtype):
    try:
        return from_arrays(cell, **arrays, convention=convention, dtype=dtype)
    except NumericError as exc:
        raise NumericError(f"{where}: {exc}") from None

r"""The recurrent layers of a Keras 3 model file as a :class:`~numeric.Stack`.

Reads ``.keras`` archives (a zip of ``config.json``, ``metadata.json`` and
``model.weights.h5``) and ``.weights.h5`` files with :mod:`zipfile`, :mod:`json` and
``h5py``: no TensorFlow, no Keras, nothing executed or unpickled. Each layer's arrays are
mapped by :func:`numeric.from_keras` (gate orders, the GRU's ``reset_after``).

HDF5 layout (what Keras 3 writes, one group per layer of the model's ``layers`` list,
named ``<snake_case(class)>`` then ``_1``, ``_2``... for later layers of the same class;
the ``vars`` groups' ``name`` attributes, the layers' own names, are not read)::

    layers/gru/vars                          (no datasets)
    layers/gru/cell/vars/0, 1, 2             kernel (I, G*H), recurrent_kernel (H, G*H), bias
    layers/bidirectional/forward_layer/cell/vars/0, 1, 2
    layers/bidirectional/backward_layer/cell/vars/0, 1, 2
    layers/dense/vars/0, 1                   (other layers: their own variables)

``bias`` is absent with ``use_bias=False`` (zero biases). bfloat16 variables are stored as
2-byte opaque data with a ``dtype='bfloat16'`` attribute; they and float16 ones are read in
float32.

What the config says, and what is refused (naming the file, layer and attribute):

- ``SimpleRNN`` (``activation`` tanh: cell ``elman``; relu: ``elman:relu``), ``GRU``
  (``reset_after=True``: ``gru:pytorch``, ``False``: ``gru:cho``) and ``LSTM`` with the
  sigmoid ``recurrent_activation`` and tanh ``activation``; any other activation,
  ``stateful=True`` and ``go_backwards=True`` outside a ``Bidirectional`` are refused.
  ``dropout``/``recurrent_dropout`` do nothing at inference.
- ``Bidirectional`` with ``merge_mode='concat'`` is a ``(forward, reverse)`` layer of the
  stack (features forward then backward, as :class:`numeric.Stack` concatenates); other
  merge modes are refused. With ``return_sequences=False`` Keras outputs the forward
  direction's last step and the backward direction's state after reading
  :math:`x_0`: the stack's outputs at :math:`t = T-1` and :math:`t = 0`.
- ``Sequential`` models, and ``Functional`` ones that are a single chain (each layer
  called once on output 0 of the one before; an ``initial_state`` tensor is refused).
  ``InputLayer`` is skipped; ``Dropout`` (and ``SpatialDropout1D``, ``GaussianDropout``,
  ``GaussianNoise``, ``AlphaDropout``) between recurrent layers is the identity at
  inference (``predict``), so it is skipped too; any other layer between two recurrent
  layers is refused by name, as is a recurrent layer with ``return_sequences=False`` or
  ``return_state=True`` below another. Layers before the first recurrent layer or after
  the last (``Embedding``, ``Dense`` heads) are outside the stack: allowed, and listed by
  :func:`keras_layers`; a ``Masking`` layer or ``Embedding(mask_zero=True)`` before the
  last recurrent layer is refused (masked steps carry the state). Built-in recurrent
  layers of other cells (``RNN``, ``ConvLSTM2D``...) and models or wrappers holding
  recurrent layers are refused wherever they are.
- A ``.weights.h5`` file has no config: pass ``cell=`` (one of ``'elman'``,
  ``'elman:relu'``, ``'gru'``, ``'gru:pytorch'``, ``'gru:cho'``, ``'lstm'``, for every
  recurrent layer). The shapes then prove the gate count and the GRU's ``reset_after``
  (bias (2, 3H) or (3H,)); a GRU without bias is refused unless ``cell='gru:pytorch'``
  or ``'gru:cho'`` says which. The file records neither the order of layers of different
  classes (``gru`` and ``bidirectional`` groups) nor where other layers sit: several
  recurrent layers are read only if the chained input sizes allow exactly one order and
  no other layer (but inputs and dropouts) is in the file. A ``Masking`` group is
  refused; an ``Embedding``'s ``mask_zero`` is not recorded (the stack runs every step).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

from ._errors import NumericError
from ._keras_archive import dataset, group, keys, open_keras, subgroup
from ._keras_config import IDENTITY, RECURRENT, Direction, Entry, model_entries, snake_case
from ._validate import float_dtype
from .io_keras import from_keras
from .params import from_arrays
from .stack import Stack

__all__ = ["from_keras_file", "keras_layers", "KerasLayer"]

_CELLS = ("elman", "elman:relu", "gru", "gru:pytorch", "gru:cho", "lstm")
_GATES = {"elman": 1, "gru": 3, "lstm": 4}
_KIND_OF_GROUP = {snake_case(c): k for c, k in RECURRENT.items()}
_CLASS_OF_GROUP = {snake_case(c): c for c in (*RECURRENT, "Bidirectional", "InputLayer",
                                               *IDENTITY)}
_CLASS = {k: c for c, k in RECURRENT.items()}                          # 'gru' -> 'GRU'
_GROUP = re.compile(r"(?P<base>.+?)(?:_(?P<k>[0-9]+))?")


@dataclass(frozen=True)
class KerasLayer:
    """One layer of a Keras file, as :func:`keras_layers` lists it.

    ``index`` is its position in the order the model runs (for a ``.weights.h5`` file the
    stack's order, then the other groups; ``name`` is then the HDF5 group's name); ``in_stack`` whether :func:`from_keras_file` reads it, and
    ``stack_index`` its layer of the stack; ``cells`` each direction's cell (``()`` for
    other layers, ``None`` for a ``.weights.h5`` read without ``cell=``); ``group`` its
    HDF5 group; ``note`` why it is outside the stack.
    """

    index: int
    name: str
    class_name: str | None
    in_stack: bool
    stack_index: int | None
    cells: tuple | None
    group: str | None
    note: str = ""

    def __str__(self):
        where = f"stack layer {self.stack_index}" if self.in_stack else self.note
        cells = "" if not self.cells else f" ({', '.join(self.cells)})"
        return f"[{self.index}] {self.name}: {self.class_name or '?'}{cells}, {where}"


# -- one direction's arrays -> Params ----------------------------------------------------

def _arrays(f, d: Direction, where, label):
    """(kernel, recurrent_kernel, bias or None) of one direction's ``cell/vars`` group."""
    g = group(f, f"{d.path}/vars", where)
    if g is None:
        raise NumericError(f"{where}: {label} has no weights group {d.path}/vars in the HDF5 "
                           "file (not written by Keras 3, or another model's weights)")
    have = set(keys(g, where))
    want = {"0", "1", "2"} if d.use_bias else {"0", "1"}
    if have != want:
        raise NumericError(f"{where}: {label} has variables {sorted(have)} in {d.path}/vars; "
                           f"expected {sorted(want)} (kernel, recurrent_kernel"
                           + (", bias)" if d.use_bias else ") with use_bias=False"))
    K, U = dataset(g, "0", where), dataset(g, "1", where)
    b = dataset(g, "2", where) if d.use_bias else None
    return K, U, b


def _params(K, U, b, cell, dtype, where, label):
    kind, _, conv = cell.partition(":")
    G = _GATES[kind]
    if U.ndim != 2 or U.shape[1] != G * U.shape[0]:
        fits = [c for c, g in _GATES.items() if U.ndim == 2 and U.shape[1] == g * U.shape[0]]
        raise NumericError(f"{where}: {label}: recurrent_kernel has shape {U.shape}, not "
                           f"(H, {G}*H) as a {kind}'s"
                           + (f" (it fits a {fits[0]})" if fits else ""))
    if dtype is None:                   # the weights' own (float16/bfloat16 already float32)
        dtype = np.result_type(K, U, *(() if b is None else (b,)))
    try:
        if kind == "elman" and conv == "relu":
            H = U.shape[0]
            if b is not None and b.shape != (H,):
                raise NumericError(f"bias has shape {b.shape}; expected ({H},)")
            return from_arrays("elman", weight_ih=np.asarray(K).T, weight_hh=U.T, bias_ih=b,
                               convention="relu", dtype=dtype)
        return from_keras(K, U, b, cell=kind, dtype=dtype,
                          reset_after=(conv == "pytorch") if kind == "gru" else None)
    except NumericError as exc:
        raise NumericError(f"{where}: {label}: {exc}") from None


def _check_units(d, U, where, label):
    if U.ndim == 2 and U.shape[0] != d.units:
        raise NumericError(f"{where}: {label} has units={d.units} but its recurrent_kernel "
                           f"has shape {U.shape}")


# -- .keras archives ---------------------------------------------------------------------

def _return_sequences(e: Entry) -> tuple[bool, bool]:
    cfg = e.config["layer"]["config"] if e.class_name == "Bidirectional" else e.config
    return bool(cfg.get("return_sequences", False)), bool(cfg.get("return_state", False))


def _masks(e: Entry) -> bool:
    return e.class_name == "Masking" or (e.class_name == "Embedding"
                                         and e.config.get("mask_zero") is True)


def _from_config(cfg, f, where, cell, dtype, build):
    entries = model_entries(cfg, where)
    rec = [k for k, e in enumerate(entries) if e.role == "recurrent"]
    if not rec:
        raise NumericError(f"{where} has no SimpleRNN, GRU, LSTM or Bidirectional layer: "
                           f"{[f'{e.name} ({e.class_name})' for e in entries]}")
    first, last = rec[0], rec[-1]
    listing, layers = [], []
    for k, e in enumerate(entries):
        label = f"layer {e.name!r} ({e.class_name})"
        if _masks(e) and k < last:
            raise NumericError(f"{where}: {label} masks steps before the recurrent layer "
                               f"{entries[last].name!r} (masked steps carry the state), "
                               "which the stack does not model")
        if first < k < last and e.role not in ("recurrent", "identity"):
            below = max(j for j in rec if j < k)
            above = min(j for j in rec if j > k)
            raise NumericError(f"{where}: {label} between recurrent layers "
                               f"{entries[below].name!r} and {entries[above].name!r}; only "
                               f"Dropout-like layers ({', '.join(IDENTITY)}) may be there")
        if e.role != "recurrent":
            note = {"input": "input layer", "identity": "identity at inference"}.get(
                e.role, "before the first recurrent layer" if k < first
                else "after the last recurrent layer")
            listing.append(KerasLayer(k, e.name, e.class_name, False, None, (), e.path, note))
            continue
        seq, state = _return_sequences(e)
        if k != last and not seq:
            raise NumericError(f"{where}: {label} has return_sequences=False but the "
                               f"recurrent layer {entries[min(j for j in rec if j > k)].name!r} "
                               "reads it (it would read no sequence)")
        if k != last and state:
            raise NumericError(f"{where}: {label} has return_state=True below another "
                               "recurrent layer; only a single chain of sequences is read")
        cells = tuple(d.cell for d in e.directions)
        if cell is not None:
            for c in cells:
                if c != cell and not (cell == "gru" and c.startswith("gru:")):
                    raise NumericError(f"{where}: {label} is a {c} layer but cell={cell!r} "
                                       "was passed (a .keras archive says each layer's cell: "
                                       "omit cell=)")
        dirs = []
        for side, d in zip(("forward", "backward"), e.directions, strict=False):
            dl = label if len(e.directions) == 1 else f"{label} ({side})"
            K, U, b = _arrays(f, d, where, dl)
            _check_units(d, U, where, dl)
            dirs.append(_params(K, U, b, d.cell, dtype, where, dl) if build else None)
        layers.append(tuple(dirs) if len(dirs) == 2 else dirs[0])
        listing.append(KerasLayer(k, e.name, e.class_name, True, len(layers) - 1, cells,
                                  e.path))
    return listing, layers


# -- .weights.h5 files -------------------------------------------------------------------

def _parse_cell(cell):
    if cell is None:
        return None
    if not isinstance(cell, str) or cell not in _CELLS:
        raise NumericError(f"cell={cell!r} is not a Keras cell; valid: {list(_CELLS)}")
    return cell


def _group_cell(cell, kind, K, U, b, where, label):
    """The cell one direction of a ``.weights.h5`` holds: ``cell=`` checked on the shapes."""
    if cell is None:
        return None
    want, _, conv = cell.partition(":")
    if kind is not None and kind != want:
        raise NumericError(f"{where}: {label} holds {'an' if kind == 'lstm' else 'a'} "
                           f"{_CLASS[kind]} layer but cell={cell!r} was passed")
    if want != "gru":
        return cell
    H = U.shape[0] if U.ndim == 2 else 0
    if b is None:
        if not conv:
            raise NumericError(f"{where}: {label} is a GRU without bias, whose shapes do not "
                               "say reset_after; pass cell='gru:pytorch' (reset_after=True, "
                               "the Keras default) or cell='gru:cho' (reset_after=False)")
        return cell
    shown = "pytorch" if b.shape == (2, 3 * H) else "cho" if b.shape == (3 * H,) else None
    if shown is None:
        raise NumericError(f"{where}: {label}: bias has shape {b.shape}; a Keras GRU has "
                           f"(2, {3 * H}) (reset_after=True) or ({3 * H},)")
    if conv and conv != shown:
        raise NumericError(f"{where}: {label}: bias has shape {b.shape}, so reset_after="
                           f"{shown == 'pytorch'} (gru:{shown}), but cell={cell!r} was passed")
    return f"gru:{shown}"


def _has_cells(g) -> bool:
    names = []
    g.visit(lambda n: names.append(n.rsplit("/", 1)[-1]))
    return any(n in ("cell", "forward_layer", "backward_layer") for n in names)


def _weights_only(f, where, cell, dtype, build):
    cell = _parse_cell(cell)
    top = subgroup(f, "layers", where)
    if top is None:
        raise NumericError(f"{where} has no 'layers' group: not a Keras 3 .weights.h5 file "
                           f"(top-level groups: {sorted(keys(f, where))[:8]})")
    rec, others = [], []
    for gname in keys(top, where):
        g = subgroup(top, gname, where)
        m = _GROUP.fullmatch(gname)
        base, k = m["base"], int(m["k"] or 0)
        label = f"layer group layers/{gname}"
        if base in _KIND_OF_GROUP or base == "bidirectional":
            sides = (("forward_layer", "backward_layer") if base == "bidirectional"
                     else ("",))
            dirs = []
            for side in sides:
                path = f"layers/{gname}/{side}/cell".replace("//", "/")
                vg = group(f, f"{path}/vars", where)
                if vg is None:
                    raise NumericError(f"{where}: {label} has no {path}/vars group")
                d = Direction("", "2" in keys(vg, where), 0, path)
                dl = label + (f" ({side.split('_')[0]})" if side else "")
                K, U, b = _arrays(f, d, where, dl)
                c = _group_cell(cell, _KIND_OF_GROUP.get(base), K, U, b, where, dl)
                dirs.append((dl, K, U, b, c))
            rec.append((base, k, gname, dirs))
        elif base == "masking":
            raise NumericError(f"{where}: {label} masks steps (masked steps carry the state), "
                               "which the stack does not model")
        elif _has_cells(g):
            raise NumericError(f"{where}: {label} holds recurrent cells but is not a "
                               "SimpleRNN, GRU, LSTM or Bidirectional group (a nested "
                               "model or another recurrent layer): not read")
        else:
            others.append((gname, _CLASS_OF_GROUP.get(base)))
    if not rec:
        raise NumericError(f"{where} has no SimpleRNN, GRU, LSTM or Bidirectional layer "
                           f"group: {sorted(keys(top, where))}")
    if len(rec) > 1:
        for gname, cls in others:
            if cls not in ("InputLayer", *IDENTITY):
                raise NumericError(f"{where}: layer group layers/{gname} is in "
                                   "a .weights.h5 with several recurrent layers, and the file "
                                   "does not record whether it sits between them; read the "
                                   ".keras archive (its config.json says the order)")
    order = _order(rec, where)
    listing, layers = [], []
    for s, (base, _, gname, dirs) in enumerate(order):
        ps = [_params(K, U, b, c, dtype, where, dl) if build else None
              for dl, K, U, b, c in dirs]
        layers.append(tuple(ps) if len(ps) == 2 else ps[0])
        cells = None if cell is None else tuple(c for *_, c in dirs)
        listing.append(KerasLayer(s, gname, _CLASS_OF_GROUP[base], True, s, cells,
                                  f"layers/{gname}"))
    for gname, cls in others:
        note = ("input layer" if cls == "InputLayer" else "identity at inference"
                if cls in IDENTITY else "outside the stack (position not recorded)")
        listing.append(KerasLayer(len(listing), gname, cls, False, None, (),
                                  f"layers/{gname}", note))
    return listing, layers


def _sizes(dirs):
    """(input size, output size) of a recurrent group from its kernels."""
    return dirs[0][1].shape[0], sum(U.shape[0] for _, _, U, _, _ in dirs)


def _order(rec, where):
    """The one order of the recurrent groups the file allows: each class's groups by their
    suffix (``gru``, ``gru_1``...), interleaved so that each layer reads the features the
    one below outputs; refused unless exactly one interleaving fits."""
    by_base: dict = {}
    for r in sorted(rec, key=lambda r: (r[0], r[1])):
        by_base.setdefault(r[0], []).append(r)
    seqs = list(by_base.values())
    if len(seqs) == 1:
        return seqs[0]
    found = []

    def walk(pos, chain):
        if len(found) > 1:
            return
        if all(p == len(s) for p, s in zip(pos, seqs, strict=True)):
            found.append(list(chain))
            return
        for i, s in enumerate(seqs):
            if pos[i] < len(s):
                nxt = s[pos[i]]
                if chain and _sizes(chain[-1][3])[1] != _sizes(nxt[3])[0]:
                    continue
                walk(pos[:i] + (pos[i] + 1,) + pos[i + 1:], [*chain, nxt])

    walk(tuple(0 for _ in seqs), [])
    if len(found) != 1:
        groups = ", ".join(f"layers/{r[2]}" for r in itertools.chain(*seqs))
        raise NumericError(f"{where}: the order of the recurrent groups {groups} is not "
                           "recorded in a .weights.h5 file, and their sizes allow "
                           f"{'no' if not found else 'more than one'} order; read the .keras "
                           "archive (its config.json says the order)")
    return found[0]


# -- public ------------------------------------------------------------------------------

def _read(path, cell, dtype, build):
    if dtype is not None:
        dtype = float_dtype(dtype)
    with open_keras(path) as (cfg, f, where):
        if cfg is None:
            if cell is None and build:
                raise NumericError(f"{where} is a .weights.h5 file, which has no config to say "
                                   f"which cell each layer holds; pass cell= (one of "
                                   f"{list(_CELLS)})")
            return (*_weights_only(f, where, cell, dtype, build), where)
        if cell is not None:
            _parse_cell(cell)
        return (*_from_config(cfg, f, where, cell, dtype, build), where)


def keras_layers(path, *, cell=None) -> list:
    """Every layer of a Keras 3 file, in the order the model runs, and whether
    :func:`from_keras_file` reads it into the stack.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.keras`` archive or a ``.weights.h5`` file.
    cell : str, optional
        For a ``.weights.h5`` file, as :func:`from_keras_file` (without it, ``cells`` is
        ``None``).

    Returns
    -------
    list of KerasLayer

    Raises
    ------
    NumericError
        As :func:`from_keras_file`.
    """
    listing, _, _ = _read(path, cell, None, build=False)
    return listing


def from_keras_file(path, *, cell=None, dtype=None) -> Stack:
    r"""The recurrent layers of a Keras 3 file as a :class:`~numeric.Stack`, bottom first.

    A ``SimpleRNN``, ``GRU`` or ``LSTM`` layer is one :class:`~numeric.Params`; a
    ``Bidirectional`` one a ``(forward, reverse)`` pair. ``Stack.rollout(xs).outputs``
    with ``xs`` (T, B, I) is ``model.predict`` of the model cut after its last recurrent
    layer, on ``xs`` (B, T, I) transposed.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.keras`` archive (``model.save``) or a ``.weights.h5`` file
        (``model.save_weights``); told apart by their first bytes.
    cell : str, optional
        Needed for a ``.weights.h5`` file (``'elman'``, ``'elman:relu'``, ``'gru'``,
        ``'gru:pytorch'``, ``'gru:cho'`` or ``'lstm'``, for every recurrent layer); with
        a ``.keras`` archive it may be omitted, and must agree with each layer if given.
    dtype : float32 or float64, optional
        Default: the weights' own (float16 and bfloat16 read in float32).

    Raises
    ------
    NumericError
        Naming the file, layer and attribute: see the module's list of what is refused.

    Examples
    --------
    A file written by Keras 3 (here only its HDF5 layout, built with h5py):

    >>> import os, tempfile, h5py, numpy as np, numeric
    >>> rng = np.random.default_rng(0)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "m.weights.h5")
    >>> with h5py.File(path, "w") as f:
    ...     g = f.create_group("layers/gru/cell/vars")
    ...     g["0"] = rng.normal(size=(3, 12))    # kernel (I, 3H): z, r, h blocks
    ...     g["1"] = rng.normal(size=(4, 12))    # recurrent_kernel (H, 3H)
    ...     g["2"] = rng.normal(size=(2, 12))    # bias (2, 3H): reset_after=True
    >>> s = numeric.from_keras_file(path, cell="gru")
    >>> s, s.layers[0][0].convention
    (Stack([gru], input_size=3), 'pytorch')
    >>> tmp.cleanup()
    """
    listing, layers, where = _read(path, cell, dtype, build=True)
    dtypes = sorted({str(p.dtype) for lay in layers
                     for p in (lay if isinstance(lay, tuple) else (lay,))})
    if len(dtypes) > 1:
        per = [f"{e.name}: {d.dtype}" for e, lay in zip(
            [e for e in listing if e.in_stack], layers, strict=True)
            for d in (lay if isinstance(lay, tuple) else (lay,))]
        raise NumericError(f"{where}: the recurrent layers mix dtypes {dtypes} ({per}); pass "
                           "dtype= to read them in one")
    try:
        return Stack(layers)
    except NumericError as exc:
        names = [e.name for e in listing if e.in_stack]
        raise NumericError(f"{where}: the recurrent layers {names} do not chain: "
                           f"{exc}") from None

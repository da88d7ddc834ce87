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

from ._errors import NumericError
from ._keras_archive import open_keras
from ._keras_config import IDENTITY, Entry, KerasLayer, flag, model_entries
from ._keras_weights import CELLS, arrays, check_units, params, parse_cell, weights_only
from ._validate import float_dtype
from .stack import Stack

__all__ = ["from_keras_file", "keras_layers", "KerasLayer"]


# -- .keras archives ---------------------------------------------------------------------

def _return_sequences(e: Entry, where: str, label: str) -> tuple[bool, bool]:
    cfg = e.config["layer"]["config"] if e.class_name == "Bidirectional" else e.config
    return (flag(cfg, "return_sequences", False, where, label),
            flag(cfg, "return_state", False, where, label))


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
        seq, state = _return_sequences(e, where, label)
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
            K, U, b = arrays(f, d, where, dl)
            check_units(d, U, where, dl)
            dirs.append(params(K, U, b, d.cell, dtype, where, dl) if build else None)
        layers.append(tuple(dirs) if len(dirs) == 2 else dirs[0])
        listing.append(KerasLayer(k, e.name, e.class_name, True, len(layers) - 1, cells,
                                  e.path))
    return listing, layers


# -- public ------------------------------------------------------------------------------

def _read(path, cell, dtype, build):
    cell = parse_cell(cell)                          # the options first, then the file
    if dtype is not None:
        dtype = float_dtype(dtype)
    with open_keras(path) as (cfg, f, where):
        if cfg is None:
            if cell is None and build:
                raise NumericError(f"{where} is a .weights.h5 file, which has no config to say "
                                   f"which cell each layer holds; pass cell= (one of "
                                   f"{list(CELLS)})")
            return (*weights_only(f, where, cell, dtype, build), where)
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

    Examples
    --------
    A ``.weights.h5`` of a bidirectional GRU and a Dense head (the layout Keras 3 writes,
    built with h5py; a ``.keras`` archive also lists its ``InputLayer`` and every layer's
    own name):

    >>> import os, tempfile, h5py, numpy as np, numeric
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "m.weights.h5")
    >>> with h5py.File(path, "w") as f:
    ...     for side in ("forward_layer", "backward_layer"):
    ...         g = f.create_group(f"layers/bidirectional/{side}/cell/vars")
    ...         g["0"], g["1"] = np.ones((3, 6)), np.ones((2, 6))   # I = 3, H = 2
    ...     f["layers/dense/vars/0"], f["layers/dense/vars/1"] = np.ones((4, 1)), np.ones(1)
    >>> for layer in numeric.keras_layers(path, cell="gru:cho"):
    ...     print(layer)
    [0] bidirectional: Bidirectional (gru:cho, gru:cho), stack layer 0
    [1] dense: ?, outside the stack (position not recorded)
    >>> tmp.cleanup()
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

"""The layers of a Keras 3 model config (``config.json``), checked (private).

Parses JSON only: a ``Sequential`` model's ``layers`` in order, or a ``Functional``
model's single chain (each layer reading exactly one tensor, output 0 of the layer
before, and read by exactly one layer), and for each layer the HDF5 group Keras 3 saves
its variables under: ``layers/<snake_case(class)>[_k]``, ``k`` counting earlier layers of
the same class (Keras' own ``_save_container_state`` rule; a ``Sequential`` model's
leading ``InputLayer`` is not among its layers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._errors import NumericError

__all__ = ["Entry", "Direction", "KerasLayer", "flag", "model_entries", "snake_case", "RECURRENT", "IDENTITY"]

RECURRENT = {"SimpleRNN": "elman", "GRU": "gru", "LSTM": "lstm"}
#: layers that are the identity at inference (``training=False``, what ``predict`` runs)
IDENTITY = ("Dropout", "SpatialDropout1D", "GaussianDropout", "GaussianNoise", "AlphaDropout")
#: built-in recurrent layers whose cells gatebound does not read (refused wherever they are)
_UNREAD = ("RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "StackedRNNCells",
           "SimpleRNNCell", "GRUCell", "LSTMCell")
_MODELS = ("Sequential", "Functional", "Model")


@dataclass(frozen=True)
class Direction:
    """One direction of a recurrent layer: its cell (``'gru:pytorch'``...), bias, units."""

    cell: str
    use_bias: bool
    units: int
    path: str


@dataclass
class Entry:
    """One layer of the model: name, class, config, HDF5 group path, role
    (``'input'``, ``'recurrent'``, ``'identity'``, ``'other'``) and, if recurrent, its
    directions (one, or forward and backward)."""

    name: str
    class_name: str
    config: dict
    path: str
    role: str
    directions: tuple = ()


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


def snake_case(name: str) -> str:
    """Keras' ``naming.to_snake_case``: the group name of a class's first layer.

    >>> snake_case("SimpleRNN"), snake_case("Bidirectional"), snake_case("GRU")
    ('simple_rnn', 'bidirectional', 'gru')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _label(name, cls):
    return f"layer {name!r} ({cls})"


def _activation(value):
    """An activation as its Keras name ('tanh'), or None for anything else (a callable)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("config"), str) and \
            str(value.get("module", "")).startswith("keras"):
        return value["config"]
    return None


def flag(cfg, key, default, where, label):
    v = cfg.get(key, default)
    if not isinstance(v, bool):
        raise NumericError(f"{where}: {label} has {key}={v!r}; expected true or false")
    return v


def _direction(cfg, cls, where, label, path, *, backward=False) -> Direction:
    """The cell of one SimpleRNN/GRU/LSTM config, refusing what the cells do not model."""
    if not isinstance(cfg, dict):
        raise NumericError(f"{where}: {label} has no config object")
    kind = RECURRENT[cls]
    act = _activation(cfg.get("activation", "tanh"))
    allowed = ("tanh", "relu") if kind == "elman" else ("tanh",)
    if act not in allowed:
        raise NumericError(f"{where}: {label} has activation={cfg.get('activation')!r}; only "
                           f"{' or '.join(map(repr, allowed))} is modelled")
    if kind != "elman":
        ract = _activation(cfg.get("recurrent_activation", "sigmoid"))
        if ract != "sigmoid":
            raise NumericError(f"{where}: {label} has recurrent_activation="
                               f"{cfg.get('recurrent_activation')!r}; only 'sigmoid' is "
                               "modelled")
    if flag(cfg, "stateful", False, where, label):
        raise NumericError(f"{where}: {label} has stateful=True (its state carries over "
                           "between batches); only zero initial states are read")
    if flag(cfg, "go_backwards", False, where, label) != backward:
        raise NumericError(f"{where}: {label} has go_backwards={not backward}"
                           + ("; a layer that reads the sequence backwards is read only "
                              "inside a Bidirectional wrapper" if not backward else
                              "; a Bidirectional's backward layer must read backwards"))
    use_bias = flag(cfg, "use_bias", True, where, label)
    units = cfg.get("units")
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise NumericError(f"{where}: {label} has units={units!r}; expected a positive integer")
    if kind == "gru":
        conv = "pytorch" if flag(cfg, "reset_after", True, where, label) else "cho"
        cell = f"gru:{conv}"
    elif kind == "elman":
        cell = "elman:relu" if act == "relu" else "elman"
    else:
        cell = "lstm"
    return Direction(cell, use_bias, units, path)


def _layer_config(layer, where, what):
    if not isinstance(layer, dict) or not isinstance(layer.get("class_name"), str) or \
            not isinstance(layer.get("config"), dict):
        raise NumericError(f"{where}: {what} is not a layer config (an object with "
                           "class_name and config)")
    cfg = layer["config"]
    name = cfg.get("name", layer.get("name"))
    if not isinstance(name, str):
        raise NumericError(f"{where}: {what} ({layer['class_name']}) has no name")
    return layer["class_name"], cfg, name


def _nested_recurrent(obj):
    """The class name of a recurrent layer nested anywhere in ``obj`` (a config), or None."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            c = o.get("class_name")
            if isinstance(c, str) and (c in RECURRENT or c == "Bidirectional" or c in _UNREAD):
                return c
            stack.extend(o.values())
        elif isinstance(o, list):
            stack.extend(o)
    return None


def _entry(layer, path, where, what) -> Entry:
    cls, cfg, name = _layer_config(layer, where, what)
    label = _label(name, cls)
    if cls in RECURRENT:
        return Entry(name, cls, cfg, path, "recurrent",
                     (_direction(cfg, cls, where, label, f"{path}/cell"),))
    if cls == "Bidirectional":
        mode = cfg.get("merge_mode", "concat")
        if mode != "concat":
            raise NumericError(f"{where}: {label} has merge_mode={mode!r}; only 'concat' "
                               "(forward then backward features, as numeric.Stack) is read")
        dirs = []
        for key, side, backward in (("layer", "forward_layer", False),
                                    ("backward_layer", "backward_layer", True)):
            inner = cfg.get(key)
            if inner is None and backward:
                inner = cfg.get("layer")        # Keras builds the backward copy itself
                if isinstance(inner, dict):
                    inner = {**inner, "config": {**inner.get("config", {}),
                                                 "go_backwards": True}}
            icls, icfg, iname = _layer_config(inner, where, f"{label}'s {key}")
            if icls not in RECURRENT:
                raise NumericError(f"{where}: {label} wraps {_label(iname, icls)}; only "
                                   f"{', '.join(RECURRENT)} are read")
            d = _direction(icfg, icls, where, f"{label}'s {side} {_label(iname, icls)}",
                           f"{path}/{side}/cell", backward=backward)
            if flag(icfg, "return_sequences", False, where, label) != \
                    flag(cfg["layer"]["config"], "return_sequences", False, where, label):
                raise NumericError(f"{where}: {label}: its forward and backward layers "
                                   "disagree on return_sequences")
            dirs.append(d)
        return Entry(name, cls, cfg, path, "recurrent", tuple(dirs))
    if cls == "InputLayer":
        return Entry(name, cls, cfg, path, "input")
    if cls in _UNREAD:
        raise NumericError(f"{where}: {label} is a recurrent layer whose cell is not read "
                           f"(only {', '.join(RECURRENT)} and Bidirectional wrappers of "
                           "them)")
    inner = _nested_recurrent(cfg)
    if inner is not None:
        raise NumericError(f"{where}: {label} holds a {inner} layer inside it, which is not "
                           "read (nested models and wrappers other than Bidirectional)")
    return Entry(name, cls, cfg, path, "identity" if cls in IDENTITY else "other")


def _paths(layers, skip_first_input):
    """Keras' HDF5 group for each layer config (None for a Sequential's leading input)."""
    used: dict = {}
    out = []
    for k, layer in enumerate(layers):
        cls = layer.get("class_name") if isinstance(layer, dict) else None
        if k == 0 and skip_first_input and cls == "InputLayer":
            out.append(None)
            continue
        base = snake_case(cls) if isinstance(cls, str) else "?"
        n = used.get(base, -1) + 1
        used[base] = n
        out.append(f"layers/{base}" + (f"_{n}" if n else ""))
    return out


def _tensors(obj, found):
    """Every ``__keras_tensor__``'s keras_history in ``obj`` (args/kwargs of a call)."""
    if isinstance(obj, dict):
        if obj.get("class_name") == "__keras_tensor__":
            found.append(obj.get("config", {}).get("keras_history"))
            return found
        for v in obj.values():
            _tensors(v, found)
    elif isinstance(obj, list):
        for v in obj:
            _tensors(v, found)
    return found


def _endpoints(value, what, where):
    """``[name, node, tensor]`` or ``[[name, node, tensor]]`` -> the one layer name."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        value = [value]
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], list) \
            or len(value[0]) != 3 or not isinstance(value[0][0], str):
        raise NumericError(f"{where}: the model has {what}={value!r}; only a single chain "
                           "of layers (one input, one output) is read")
    name, node, tensor = value[0]
    if node != 0 or tensor != 0:
        raise NumericError(f"{where}: the model's {what} is output {tensor} of call {node} of "
                           f"layer {name!r}; only a single chain is read")
    return name


def _chain(layers, entries, cfg, where):
    """The Functional model's layers from input to output, checking it is one chain."""
    by_name = {}
    for e in entries:
        if e.name in by_name:
            raise NumericError(f"{where}: two layers are named {e.name!r}")
        by_name[e.name] = e
    first = _endpoints(cfg.get("input_layers"), "input_layers", where)
    last = _endpoints(cfg.get("output_layers"), "output_layers", where)
    parent, readers = {}, {}
    for layer, e in zip(layers, entries, strict=True):
        nodes = layer.get("inbound_nodes", [])
        if e.role == "input":
            if nodes:
                raise NumericError(f"{where}: {_label(e.name, e.class_name)} is called on "
                                   "tensors; only a single chain is read")
            continue
        label = _label(e.name, e.class_name)
        if not isinstance(nodes, list) or len(nodes) != 1 or not isinstance(nodes[0], dict):
            n = len(nodes) if isinstance(nodes, list) else nodes
            raise NumericError(f"{where}: {label} is called {n} times (inbound_nodes); only "
                               "a single chain, each layer called once, is read")
        hist = _tensors(nodes[0], [])
        if len(hist) != 1:
            raise NumericError(f"{where}: {label} reads {len(hist)} tensors "
                               f"({[h[0] if isinstance(h, list) and h else h for h in hist]}"
                               "; an initial_state or a mask counts); only a single chain, "
                               "each layer reading one tensor, is read")
        h = hist[0]
        if not (isinstance(h, list) and len(h) == 3 and h[0] in by_name):
            raise NumericError(f"{where}: {label} reads a tensor from {h!r}, which is not a "
                               "layer of the model")
        if h[1] != 0 or h[2] != 0:
            raise NumericError(f"{where}: {label} reads output {h[2]} of call {h[1]} of layer "
                               f"{h[0]!r}; only output 0 (the sequence or last output, not a "
                               "returned state) of a single chain is read")
        parent[e.name] = h[0]
        readers.setdefault(h[0], []).append(e.name)
    for name, rs in readers.items():
        if len(rs) > 1:
            raise NumericError(f"{where}: layer {name!r} is read by {len(rs)} layers {rs}; "
                               "only a single chain is read")
    order = [last]
    while order[-1] != first:
        if order[-1] not in parent:
            raise NumericError(f"{where}: layer {order[-1]!r} does not lead back to the input "
                               f"{first!r}; only a single chain is read")
        order.append(parent[order[-1]])
    if len(order) != len(entries):
        extra = sorted(set(by_name) - set(order))
        raise NumericError(f"{where}: layers {extra} are not on the chain from {first!r} to "
                           f"{last!r}; only a single chain is read")
    return [by_name[n] for n in reversed(order)]


def model_entries(cfg: dict, where: str) -> list:
    """The model's layers in the order they run, as :class:`Entry` (checked)."""
    cls = cfg.get("class_name")
    inner = cfg.get("config")
    if cls not in _MODELS or not isinstance(inner, dict):
        raise NumericError(f"{where}: config.json describes a {cls!r}; only Sequential and "
                           "Functional models are read")
    layers = inner.get("layers")
    if not isinstance(layers, list) or not layers:
        raise NumericError(f"{where}: the {cls} model's config has no layers list")
    sequential = cls == "Sequential"
    paths = _paths(layers, sequential)
    entries = [_entry(layer, path, where, f"layer {k} of config.json")
               for k, (layer, path) in enumerate(zip(layers, paths, strict=True))]
    if sequential:
        return entries
    return _chain(layers, entries, inner, where)

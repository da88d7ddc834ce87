"""One Keras layer's arrays as :class:`~numeric.Params`, and the layers of a
``.weights.h5`` file, which has no config (private; see :mod:`numeric.io_keras_file`)."""

from __future__ import annotations

import itertools
import re

import numpy as np

from ._errors import NumericError
from ._keras_archive import dataset, group, keys, subgroup
from ._keras_config import IDENTITY, RECURRENT, Direction, KerasLayer, snake_case
from .io_keras import from_keras
from .params import from_arrays

__all__ = ["CELLS", "arrays", "params", "check_units", "parse_cell", "weights_only"]

CELLS = ("elman", "elman:relu", "gru", "gru:pytorch", "gru:cho", "lstm")
_GATES = {"elman": 1, "gru": 3, "lstm": 4}
_KIND_OF_GROUP = {snake_case(c): k for c, k in RECURRENT.items()}
_CLASS_OF_GROUP = {snake_case(c): c for c in (*RECURRENT, "Bidirectional", "InputLayer",
                                               *IDENTITY)}
_CLASS = {k: c for c, k in RECURRENT.items()}                          # 'gru' -> 'GRU'
_GROUP = re.compile(r"(?P<base>.+?)(?:_(?P<k>[0-9]+))?")


# -- one direction's arrays -> Params ----------------------------------------------------

def arrays(f, d: Direction, where, label):
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


def params(K, U, b, cell, dtype, where, label):
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


def check_units(d, U, where, label):
    if U.ndim == 2 and U.shape[0] != d.units:
        raise NumericError(f"{where}: {label} has units={d.units} but its recurrent_kernel "
                           f"has shape {U.shape}")


# -- .weights.h5 files -------------------------------------------------------------------

def parse_cell(cell):
    if cell is None:
        return None
    if not isinstance(cell, str) or cell not in CELLS:
        raise NumericError(f"cell={cell!r} is not a Keras cell; valid: {list(CELLS)}")
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


def weights_only(f, where, cell, dtype, build):
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
                K, U, b = arrays(f, d, where, dl)
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
        ps = [params(K, U, b, c, dtype, where, dl) if build else None
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



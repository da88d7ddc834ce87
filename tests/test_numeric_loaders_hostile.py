"""Hostile inputs to the parameter loaders: each is one NumericError naming the file or
argument, raised before anything is written (issue 9, sections 2 and 3)."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numeric


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _good_npz(folder):
    p = numeric.init("gru", 3, 2, seed=0)
    return numeric.save(p, folder / "good.npz"), p


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _huge_member() -> bytes:
    """An .npz whose member claims (10**12,) float64 but holds 16 bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        hdr = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            hdr, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
        zf.writestr("W.npy", hdr.getvalue() + b"\0" * 16)
    return buf.getvalue()


def _zip_with(name, data=b"hello") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def _gru_arrays(**override):
    p = numeric.init("gru", 3, 2, seed=0)
    arrays = {"__cell__": np.array("gru"), "__convention__": np.array("pytorch"), **p.arrays}
    arrays.update(override)
    return {k: v for k, v in arrays.items() if v is not None}


# -- numeric.load ----------------------------------------------------------------------
def _load_cases():
    return {
        "empty file": (lambda d: _write(d / "w.npz", b""), r"w\.npz.*empty"),
        "text file": (lambda d: _write(d / "w.npz", b"hello world\n"), r"w\.npz.*not a zip"),
        "pickle file": (lambda d: _write(d / "w.npz", pickle.dumps({"a": 1})),
                        r"w\.npz.*not a zip"),
        "truncated npz": (lambda d: _write(d / "w.npz", _npz_bytes(**_gru_arrays())[:700]),
                          r"w\.npz.*(truncated|corrupt)"),
        "truncated at half": (lambda d: _write(d / "w.npz",
                                               _npz_bytes(**_gru_arrays())[:1500]),
                              r"w\.npz.*(truncated|corrupt)"),
        "npy file": (lambda d: (np.save(d / "w.npy", np.zeros(3)), d / "w.npy")[1],
                     r"w\.npy.*single \.npy array"),
        "npy renamed npz": (lambda d: (np.save(d / "w.npy", np.zeros(3)),
                                       os.replace(d / "w.npy", d / "w.npz"), d / "w.npz")[2],
                            r"w\.npz.*single \.npy array"),
        "directory": (lambda d: (d / "w.npz").mkdir() or d / "w.npz", r"w\.npz.*folder"),
        "missing file": (lambda d: d / "w.npz", r"w\.npz.*does not exist"),
        "fifo": (lambda d: os.mkfifo(d / "w.npz") or d / "w.npz", r"w\.npz.*not a regular"),
        "object array": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(__cell__=np.array([{"x": 1}], dtype=object)))),
            r"w\.npz.*__cell__.*never unpickled"),
        "object parameter": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(W_hz=np.array([None, 1], dtype=object)))),
            r"w\.npz.*W_hz.*never unpickled"),
        "no metadata": (lambda d: _write(d / "w.npz", _npz_bytes(a=np.zeros(3))),
                        r"w\.npz.*missing \['__cell__', '__convention__'\]"),
        "no convention": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(__convention__=None))), r"w\.npz.*missing \['__convention__'\]"),
        "cell is a float": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(__cell__=np.array(1.0)))), r"w\.npz.*__cell__.*0-d string"),
        "cell is a vector": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(__cell__=np.array(["gru", "gru"])))), r"w\.npz.*__cell__.*\(2,\)"),
        "convention bytes": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(__convention__=np.array(b"pytorch")))),
            r"w\.npz.*__convention__.*0-d string"),
        "unknown cell": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(__cell__=np.array("nope")))), r"w\.npz.*'nope'.*cell="),
        "unknown convention": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(__convention__=np.array("bogus")))), r"w\.npz.*'bogus'"),
        "missing parameter": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(W_hz=None))), r"w\.npz.*missing \['W_hz'\]"),
        "extra parameter": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(W_extra=np.zeros((3, 3))))), r"w\.npz.*unknown \['W_extra'\]"),
        "integer parameter": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(W_hz=np.zeros((3, 3), dtype=np.int64)))), r"w\.npz.*W_hz.*int64"),
        "nan parameter": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(b_hz=np.full(3, np.nan)))), r"w\.npz.*b_hz.*non-finite"),
        "wrong shape": (lambda d: _write(d / "w.npz", _npz_bytes(
            **_gru_arrays(W_hz=np.zeros((4, 3))))), r"w\.npz.*W_hz"),
        "huge claimed member": (lambda d: _write(d / "w.npz", _huge_member()),
                                r"w\.npz.*W\.npy.*claims.*truncated"),
        "zip of a text file": (lambda d: _write(d / "w.npz", _zip_with("notes.txt")),
                               r"w\.npz.*notes\.txt.*not a \.npy"),
        "zip of a bad npy": (lambda d: _write(d / "w.npz", _zip_with("W.npy", b"garbage")),
                             r"w\.npz"),
        "empty zip": (lambda d: _write(d / "w.npz", _npz_bytes()), r"w\.npz.*missing"),
    }


LOAD_CASES = _load_cases()


@pytest.mark.parametrize("case", sorted(LOAD_CASES))
def test_load_refuses_bad_files(tmp_path, case):
    make, match = LOAD_CASES[case]
    path = make(tmp_path)
    before = _files(tmp_path)
    with pytest.raises(numeric.NumericError, match=match) as info:
        numeric.load(path)
    assert "\n" not in str(info.value)
    assert _files(tmp_path) == before


@pytest.mark.parametrize("bad, match", [
    (None, r"path must be a str or os\.PathLike, got None"),
    (3, r"path must be a str or os\.PathLike, got 3"),
    (b"w.npz", r"path must be a str or os\.PathLike, got b'w\.npz'"),
    ("", r"path '' is not a valid file name"),
    ("a\0b.npz", r"path 'a\\x00b\.npz' is not a valid file name"),
])
def test_load_refuses_bad_path_types(bad, match):
    with pytest.raises(numeric.NumericError, match=match):
        numeric.load(bad)


def test_load_refuses_bad_options_before_reading(tmp_path):
    path, _ = _good_npz(tmp_path)
    with pytest.raises(numeric.NumericError, match="dtype must be float32 or float64"):
        numeric.load(path, dtype="nonsense")
    with pytest.raises(numeric.NumericError, match=r"cell=5"):
        numeric.load(path, cell=5)
    with pytest.raises(numeric.NumericError, match=r"good\.npz.*holds cell 'gru'.*not 'lstm'"):
        numeric.load(path, cell="lstm")
    with pytest.raises(numeric.NumericError, match="dtype must be"):
        numeric.load(tmp_path / "missing.npz", dtype=np.int32)   # options first


@given(data=st.binary(max_size=400))
def test_load_random_bytes_is_one_numeric_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "w.npz"
    path.write_bytes(data)
    with pytest.raises(numeric.NumericError, match=r"w\.npz"):
        numeric.load(path)


@given(cut=st.integers(0, 10**6), flip=st.integers(0, 10**6), byte=st.integers(0, 255))
def test_load_damaged_archive_is_numeric_error_or_same_params(tmp_path_factory, cut, flip,
                                                              byte):
    """A valid file truncated and with one byte changed: either a NumericError naming the
    file, or (a byte of padding or an array value changed) parameters of the same cell."""
    folder = tmp_path_factory.mktemp("dmg")
    path, p = _good_npz(folder)
    data = bytearray(Path(path).read_bytes())
    data[flip % len(data)] = byte
    data = bytes(data[:len(data) - cut % 64])
    Path(path).write_bytes(data)
    try:
        q = numeric.load(path)
    except numeric.NumericError as exc:
        assert "good.npz" in str(exc) and "\n" not in str(exc)
    else:
        assert q.cell is p.cell and q.hidden_size == p.hidden_size


# -- numeric.save ----------------------------------------------------------------------
def _save_targets():
    def under_file(d):
        (d / "file.txt").write_text("x")
        return d / "file.txt" / "x.npz", r"file\.txt.*is a file, not a folder"

    def deep_under_file(d):
        (d / "file.txt").write_text("x")
        return d / "file.txt" / "a" / "x.npz", r"file\.txt.*is a file, not a folder"

    def onto_dir(d):
        (d / "x.npz").mkdir()
        return d / "x.npz", r"x\.npz.*existing folder"

    def dangling_link(d):
        os.symlink(d / "nowhere", d / "x.npz")
        return d / "x.npz", r"x\.npz.*not a regular file"

    return {
        "missing folder": lambda d: (d / "nodir" / "x.npz", r"nodir.*does not exist"),
        "under a regular file": under_file,
        "deep under a regular file": deep_under_file,
        "onto a folder": onto_dir,
        "dangling symlink": dangling_link,
        "in /proc": lambda d: ("/proc/gb-test.npz", r"'/proc/gb-test\.npz'.*cannot create"),
    }


SAVE_TARGETS = _save_targets()


@pytest.mark.parametrize("case", sorted(SAVE_TARGETS))
def test_save_refuses_bad_targets_naming_the_target(tmp_path, case):
    target, match = SAVE_TARGETS[case](tmp_path)
    before = _files(tmp_path)
    with pytest.raises(numeric.NumericError, match=match) as info:
        numeric.save(numeric.init("elman", 2, 2), target)
    assert ".tmp-" not in str(info.value) and "\n" not in str(info.value)
    assert _files(tmp_path) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_save_into_unwritable_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(numeric.NumericError, match=r"ro/x\.npz.*cannot create"):
            numeric.save(numeric.init("elman", 2, 2), ro / "x.npz")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize("params, path, match", [
    (None, "x.npz", "save expects numeric.Params, got NoneType"),
    ({"W_hh": np.eye(2)}, "x.npz", "save expects numeric.Params, got dict"),
    ("gru", "x.npz", "save expects numeric.Params, got str"),
    (numeric.init("elman", 2, 2), None, r"path must be a str or os\.PathLike, got None"),
    (numeric.init("elman", 2, 2), 7, r"path must be a str or os\.PathLike, got 7"),
    (numeric.init("elman", 2, 2), b"x.npz", r"path must be .*got b'x\.npz'"),
    (numeric.init("elman", 2, 2), "", r"path '' is not a valid file name"),
    (numeric.init("elman", 2, 2), "x\0.npz", r"not a valid file name"),
])
def test_save_refuses_bad_arguments(tmp_path, monkeypatch, params, path, match):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(numeric.NumericError, match=match):
        numeric.save(params, path)
    assert _files(tmp_path) == []


def test_save_failure_while_writing_keeps_the_old_file(tmp_path, monkeypatch):
    path, p = _good_npz(tmp_path)
    old = Path(path).read_bytes()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", boom)
    with pytest.raises(numeric.NumericError, match=r"good\.npz.*No space left") as info:
        numeric.save(numeric.init("lstm", 2, 2), path)
    assert ".tmp-" not in str(info.value)
    assert Path(path).read_bytes() == old and _files(tmp_path) == ["good.npz"]


# -- numeric.from_keras ----------------------------------------------------------------
def _keras(cell="gru", H=3, I_=2, bias=True, reset_after=True):
    rng = np.random.default_rng(0)
    G = {"gru": 3, "lstm": 4, "elman": 1}[cell]
    b = None
    if bias:
        b = rng.normal(size=(2, 3 * H) if cell == "gru" and reset_after else (G * H,))
    return rng.normal(size=(I_, G * H)), rng.normal(size=(H, G * H)), b


KERAS_CASES = [
    # (kwargs changes, regex)
    (dict(cell="GRU"), r"unknown Keras cell 'GRU'"),
    (dict(cell=None), r"unknown Keras cell None"),
    (dict(cell=["gru"]), r"unknown Keras cell \['gru'\]"),
    (dict(reset_after="no"), r"reset_after must be True or False, got 'no' \(str\)"),
    (dict(reset_after=1), r"reset_after must be True or False, got 1 \(int\)"),
    (dict(reset_after=0.0), r"reset_after must be True or False, got 0\.0"),
    (dict(reset_after=np.int64(1)), r"reset_after must be True or False"),
    (dict(reset_after="False"), r"reset_after must be True or False, got 'False'"),
    (dict(cell="lstm", reset_after=True), r"reset_after=True means nothing for a Keras lstm"),
    (dict(cell="lstm", reset_after=False), r"reset_after=False means nothing.*lstm"),
    (dict(cell="elman", reset_after=True), r"reset_after=True means nothing.*elman"),
    (dict(kernel="abc"), r"^kernel (is|has).*(str|<U3)"),
    (dict(kernel=[[1, 2], [3]]), r"kernel is not array-like"),
    (dict(kernel=np.zeros((2, 9), dtype=np.int64)), r"kernel has dtype int64"),
    (dict(kernel=np.full((2, 9), np.nan)), r"kernel \(shape \(2, 9\)\) has 18 non-finite"),
    (dict(kernel=np.zeros((2, 9), dtype=complex)), r"kernel has complex dtype"),
    (dict(kernel=np.zeros((0, 9))), r"kernel has shape \(0, 9\).*I >= 1"),
    (dict(kernel=np.zeros(9)), r"kernel has shape \(9,\)"),
    (dict(kernel=np.zeros((2, 12))), r"kernel has shape \(2, 12\); expected \(I, 9\)"),
    (dict(recurrent_kernel=np.zeros((0, 0)), kernel=np.zeros((2, 0))),
     r"recurrent_kernel has shape \(0, 0\).*H >= 1"),
    (dict(recurrent_kernel=np.zeros((3, 3))), r"recurrent_kernel has shape \(3, 3\); expected"),
    (dict(recurrent_kernel=np.zeros(9)), r"recurrent_kernel has shape \(9,\)"),
    (dict(recurrent_kernel=np.zeros((1, 3, 9))), r"recurrent_kernel has shape \(1, 3, 9\)"),
    (dict(recurrent_kernel=np.full((3, 9), np.inf)), r"recurrent_kernel .* non-finite"),
    (dict(bias=np.zeros(9)), r"bias has shape \(9,\); expected \(2, 9\).*reset_after=True"),
    (dict(bias=np.zeros((2, 9)), reset_after=False),
     r"bias has shape \(2, 9\); expected \(9,\).*reset_after=False"),
    (dict(bias="b"), r"^bias (is|has).*(str|<U1)"),
    (dict(bias=np.full((2, 9), np.nan)), r"bias .* non-finite"),
    (dict(dtype="nonsense"), r"dtype must be float32 or float64, got 'nonsense'"),
    (dict(dtype=np.int32), r"dtype must be float32 or float64"),
]


@pytest.mark.parametrize("changes, match", KERAS_CASES,
                         ids=[f"keras-{i}" for i in range(len(KERAS_CASES))])
def test_from_keras_refuses_bad_input(changes, match):
    kw = dict(cell="gru")
    cell = changes.get("cell") if changes.get("cell") in ("gru", "lstm", "elman") else "gru"
    kernel, rk, bias = _keras(cell)
    kw.update({"kernel": kernel, "recurrent_kernel": rk, "bias": bias, **changes})
    with pytest.raises(numeric.NumericError, match=match):
        numeric.from_keras(kw.pop("kernel"), kw.pop("recurrent_kernel"), kw.pop("bias"), **kw)


def test_from_keras_reset_after_defaults_and_booleans():
    k, rk, b = _keras("gru")
    assert numeric.from_keras(k, rk, b).convention == "pytorch"               # Keras default
    assert numeric.from_keras(k, rk, b, reset_after=None).convention == "pytorch"
    assert numeric.from_keras(k, rk, b, reset_after=np.bool_(True)).convention == "pytorch"
    k, rk, b = _keras("gru", reset_after=False)
    assert numeric.from_keras(k, rk, b, reset_after=np.bool_(False)).convention == "cho"
    # use_bias=False: both settings fit the shapes, so the caller's setting is taken as given
    assert numeric.from_keras(k, rk, None, reset_after=False).convention == "cho"
    assert numeric.from_keras(k, rk, None, reset_after=True).convention == "pytorch"
    k, rk, b = _keras("lstm")
    assert numeric.from_keras(k, rk, b, cell="lstm", reset_after=None).hidden_size == 3


# -- numeric.from_torch ----------------------------------------------------------------
class _Evil:
    """Unpickling this would create the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _torch_file_cases():
    def saved(obj):
        def make(d, torch):
            torch.save(obj(torch) if callable(obj) else obj, d / "w.pt")
            return d / "w.pt"
        return make

    def gru_sd(torch):
        torch.manual_seed(0)
        return torch.nn.GRU(2, 3).state_dict()

    def truncated(d, torch):
        torch.save(gru_sd(torch), d / "full.pt")
        data = (d / "full.pt").read_bytes()
        (d / "full.pt").unlink()
        return _write(d / "w.pt", data[: len(data) // 2])

    def legacy_truncated(d, torch):
        torch.save(gru_sd(torch), d / "full.pt", _use_new_zipfile_serialization=False)
        data = (d / "full.pt").read_bytes()
        (d / "full.pt").unlink()
        return _write(d / "w.pt", data[: len(data) // 2])

    def evil_pickle(d, torch):
        return _write(d / "w.pt", pickle.dumps(_Evil(d / "MARKER")))

    def evil_in_zip(d, torch):
        # torch's own container format with a malicious object inside
        torch.save({"weight_hh_l0": _Evil(d / "MARKER")}, d / "w.pt")
        return d / "w.pt"

    def meta(torch):
        return torch.nn.GRU(2, 3, device="meta").state_dict()

    return {
        "empty file": (lambda d, t: _write(d / "w.pt", b""), r"w\.pt.*empty"),
        "text file": (lambda d, t: _write(d / "w.pt", b"hello world\n"),
                      r"w\.pt.*not a file written by torch\.save"),
        "truncated zip": (truncated, r"w\.pt.*truncated or corrupt"),
        "truncated legacy": (legacy_truncated, r"w\.pt"),
        "malicious pickle": (evil_pickle, r"w\.pt.*never unpickled"),
        "malicious object in a torch file": (evil_in_zip, r"w\.pt.*never unpickled"),
        "whole module": (saved(lambda torch: torch.nn.GRU(2, 3)),
                         r"w\.pt.*torch\.nn\.modules\.rnn\.GRU.*state_dict\(\)"),
        "directory": (lambda d, t: (d / "w.pt").mkdir() or d / "w.pt", r"w\.pt.*folder"),
        "missing file": (lambda d, t: d / "w.pt", r"w\.pt.*does not exist"),
        "fifo": (lambda d, t: os.mkfifo(d / "w.pt") or d / "w.pt", r"w\.pt.*not a regular"),
        "meta tensors": (saved(meta), r"w\.pt.*weight_\w+_l0.*meta-device"),
        "integer tensors": (saved(lambda torch: {k: v.long() for k, v in gru_sd(torch).items()}),
                            r"w\.pt.*'weight_\w+_l0' has dtype torch\.int64"),
        "bool tensors": (saved(lambda torch: {k: v > 0 for k, v in gru_sd(torch).items()}),
                         r"w\.pt.*torch\.bool"),
        "complex tensors": (saved(lambda torch: {k: v.to(torch.complex64)
                                                 for k, v in gru_sd(torch).items()}),
                            r"w\.pt.*complex64"),
        "nan tensor": (saved(lambda torch: {**gru_sd(torch),
                                            "weight_hh_l0": torch.full((9, 3), float("nan"))}),
                       r"w\.pt.*'weight_hh_l0'.*non-finite"),
        "non-tensor value": (saved({"weight_ih_l0": [[1.0, 2.0]] * 9,
                                    "weight_hh_l0": [[0.0] * 3] * 9}),
                             r"w\.pt.*'weight_\w+_l0' holds a list, not a tensor"),
        "a bare tensor": (saved(lambda torch: torch.zeros(3)), r"w\.pt' holds a Tensor"),
        "a list": (saved([1, 2]), r"w\.pt' holds a list, not a state dict"),
        "unrelated dict": (saved({"a": 1}), r"w\.pt' holds no recurrent weights.*\['a'\]"),
        "checkpoint": (saved(lambda torch: {"epoch": 3, "model": gru_sd(torch)}),
                       r"w\.pt' holds no recurrent weights.*key 'model' holds a dict"),
        "no cell given": (saved(gru_sd), r"w\.pt.*cannot say which cell.*pass cell='gru'"),
        "degenerate (0, 0)": (saved(lambda torch: {"weight_ih_l0": torch.zeros(0, 2),
                                                   "weight_hh_l0": torch.zeros(0, 0)}),
                              r"w\.pt.*'weight_hh_l0' has shape \(0, 0\)"),
    }


TORCH_FILE_CASES = _torch_file_cases()


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(TORCH_FILE_CASES))
def test_from_torch_refuses_bad_files(tmp_path, torch, case):
    make, match = TORCH_FILE_CASES[case]
    path = make(tmp_path, torch)
    before = _files(tmp_path)
    for p in (path, str(path)):
        with pytest.raises(numeric.NumericError, match=match) as info:
            numeric.from_torch(p)
        assert "\n" not in str(info.value) and len(str(info.value)) < 400
    assert _files(tmp_path) == before
    assert not (tmp_path / "MARKER").exists()


@pytest.mark.torch
def test_malicious_pickle_never_runs_even_with_cell(tmp_path, torch):
    _write(tmp_path / "w.pt", pickle.dumps(_Evil(tmp_path / "MARKER")))
    for cell in ("gru", "lstm", "elman"):
        with pytest.raises(numeric.NumericError, match="never unpickled"):
            numeric.from_torch(tmp_path / "w.pt", cell=cell)
    assert not (tmp_path / "MARKER").exists()
    # the same payload is live: plain pickle does run it (so the test can see a failure)
    pickle.loads((tmp_path / "w.pt").read_bytes()).close()
    assert (tmp_path / "MARKER").exists()


def _atr_like(torch):
    class ATRCell(torch.nn.Module):
        """Has nn.RNNCell's parameter names and shapes, and other equations."""

        def __init__(self, i, h):
            super().__init__()
            self.weight_ih = torch.nn.Parameter(torch.randn(h, i))
            self.weight_hh = torch.nn.Parameter(torch.randn(h, h))
            self.bias_ih = torch.nn.Parameter(torch.zeros(h))
            self.bias_hh = torch.nn.Parameter(torch.zeros(h))

    return ATRCell(2, 3)


def _wrapper(torch, inner):
    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Linear(2, 2)
            self.rnn = inner
            self.head = torch.nn.Linear(3, 1)

    return Model()


def _sd(torch, G=3, H=3, I_=2, prefix="", **override):
    torch.manual_seed(0)
    sd = {f"{prefix}weight_ih_l0": torch.randn(G * H, I_),
          f"{prefix}weight_hh_l0": torch.randn(G * H, H),
          f"{prefix}bias_ih_l0": torch.randn(G * H), f"{prefix}bias_hh_l0": torch.randn(G * H)}
    sd.update(override)
    return {k: v for k, v in sd.items() if v is not None}


# (source maker, kwargs, regex): every row is a NumericError naming the argument/class/key
OBJECT_CASES = {
    "wrapper holding a GRU": (lambda t: _wrapper(t, t.nn.GRU(2, 3)), {},
                              r"not .*Model; it contains model\.rnn \(GRU\): pass model\.rnn"),
    "wrapper holding a relu RNN": (lambda t: _wrapper(t, t.nn.RNN(2, 3, nonlinearity="relu")),
                                   {}, r"Model; it contains model\.rnn \(RNN\)"),
    "ATRCell-like class": (_atr_like, {}, r"not .*ATRCell.*need not compute its equations"),
    "ATRCell-like with cell=": (_atr_like, {"cell": "elman"}, r"not .*ATRCell"),
    "a Linear": (lambda t: t.nn.Linear(2, 3), {}, r"not torch\.nn\.modules\.linear\.Linear"),
    "subclass of GRU": (lambda t: type("MyGRU", (t.nn.GRU,), {})(2, 3), {}, r"not .*MyGRU"),
    "RNN relu asked as tanh": (lambda t: t.nn.RNN(2, 3, nonlinearity="relu"),
                               {"nonlinearity": "tanh"},
                               r"nonlinearity='tanh' contradicts the module: a torch\.nn\.RNN "
                               r"with nonlinearity='relu'"),
    "LSTM proj_size asked as lstm": (lambda t: t.nn.LSTM(2, 4, proj_size=2), {"cell": "lstm"},
                                     r"cell='lstm' contradicts the module: a torch\.nn\.LSTM "
                                     r"with proj_size=2 is cell 'lstmp'"),
    "cell contradicts class": (lambda t: t.nn.GRU(2, 3), {"cell": "lstm"},
                               r"cell='lstm' contradicts the module: a torch\.nn\.GRU is "
                               r"cell 'gru'"),
    "nonlinearity on a GRU": (lambda t: t.nn.GRUCell(2, 3), {"nonlinearity": "tanh"},
                              r"nonlinearity= applies to the Elman cell only"),
    "layer beyond num_layers": (lambda t: t.nn.LSTM(2, 3, num_layers=2), {"layer": 2},
                                r"torch\.nn\.LSTM has layers \[0, 1\].*layer=2"),
    "layer of a cell": (lambda t: t.nn.GRUCell(2, 3), {"layer": 1},
                        r"torch\.nn\.GRUCell has one layer \(0\); got layer=1"),
    "reverse unidirectional": (lambda t: t.nn.GRU(2, 3), {"reverse": True},
                               r"torch\.nn\.GRU is not bidirectional; reverse=True"),
    "reverse of a cell": (lambda t: t.nn.RNNCell(2, 3), {"reverse": True},
                          r"RNNCell has no reverse direction"),
    "meta-device module": (lambda t: t.nn.GRU(2, 3, device="meta"), {},
                           r"torch\.nn\.GRU: 'weight_ih_l0' is a meta-device tensor"),
    "integer module": (lambda t: _int_gru(t), {},
                       r"torch\.nn\.GRU: 'weight_ih_l0' has dtype torch\.int32"),
    "nan in module": (lambda t: _nan_gru(t), {}, r"GRU: 'weight_hh_l0'.*non-finite"),
    # state dicts
    "sd without cell": (lambda t: _sd(t), {}, r"the state dict: a state dict cannot say which "
                        r"cell it holds; pass cell='gru'"),
    "sd lstm without cell": (lambda t: _sd(t, G=4), {}, r"pass cell='lstm'"),
    "sd elman without cell": (lambda t: _sd(t, G=1), {}, r"pass cell='elman'"),
    "sd 2 gates without cell": (lambda t: _sd(t, G=2), {}, r"\(6, 3\), which fits none"),
    "sd wrong cell": (lambda t: _sd(t), {"cell": "lstm"},
                      r"'weight_hh_l0' has shape \(9, 3\); cell='lstm' needs \(4\*H, H\) = "
                      r"\(12, 3\); the shape fits cell='gru'"),
    "sd (0, 0)": (lambda t: _sd(t, weight_hh_l0=t.zeros(0, 0)), {"cell": "gru"},
                  r"'weight_hh_l0' has shape \(0, 0\); expected \(G\*H, H\) with H >= 1"),
    "sd (6, 0)": (lambda t: _sd(t, weight_hh_l0=t.zeros(6, 0)), {"cell": "gru"},
                  r"'weight_hh_l0' has shape \(6, 0\)"),
    "sd (0, 0) without cell": (lambda t: _sd(t, weight_hh_l0=t.zeros(0, 0)), {},
                               r"'weight_hh_l0' has shape \(0, 0\)"),
    "sd 1-D weight_hh": (lambda t: _sd(t, weight_hh_l0=t.zeros(9)), {"cell": "gru"},
                         r"'weight_hh_l0' has shape \(9,\)"),
    "sd 3-D weight_hh": (lambda t: _sd(t, weight_hh_l0=t.zeros(1, 9, 3)), {"cell": "gru"},
                         r"'weight_hh_l0' has shape \(1, 9, 3\)"),
    "sd weight_ih rows": (lambda t: _sd(t, weight_ih_l0=t.zeros(6, 2)), {"cell": "gru"},
                          r"'weight_ih_l0' has shape \(6, 2\); cell='gru' with H = 3 needs "
                          r"\(9, I\)"),
    "sd weight_ih I = 0": (lambda t: _sd(t, weight_ih_l0=t.zeros(9, 0)), {"cell": "gru"},
                           r"'weight_ih_l0' has shape \(9, 0\)"),
    "sd bias shape": (lambda t: _sd(t, bias_hh_l0=t.zeros(8)), {"cell": "gru"},
                      r"'bias_hh_l0' has shape \(8,\); cell='gru' with H = 3 needs \(9,\)"),
    "sd one bias only": (lambda t: _sd(t, bias_hh_l0=None), {"cell": "gru"},
                         r"has 'bias_ih_l0' but not the other bias"),
    "sd no weight_ih": (lambda t: _sd(t, weight_ih_l0=None), {"cell": "gru"},
                        r"has 'weight_hh_l0' but no matching weight_ih"),
    "sd two modules": (lambda t: {**_sd(t, prefix="enc."), **_sd(t, prefix="dec.")},
                       {"cell": "gru"}, r"holds the weights of 2 recurrent modules \(prefixes "
                       r"\['dec\.', 'enc\.'\]\)"),
    "sd layer missing": (lambda t: _sd(t), {"cell": "gru", "layer": 3},
                         r"the state dict has no layer 3; layers present: \[0\]"),
    "sd reverse missing": (lambda t: _sd(t), {"cell": "gru", "reverse": True},
                           r"no reverse direction for layer 0"),
    "sd projections": (lambda t: _sd(t, G=4, weight_hr_l0=t.zeros(2, 3)), {"cell": "lstm"},
                       r"the state dict has an LSTM projection 'weight_hr_l0' \(proj_size > "
                       r"0\), which cell='lstm' does not read; pass cell='lstmp'"),
    "sd projections on a gru": (lambda t: _sd(t, weight_hr_l0=t.zeros(2, 3)), {"cell": "gru"},
                                r"LSTM projection 'weight_hr_l0'.*cell='gru' does not read"),
    "sd projections without cell": (lambda t: _sd(t, G=4, weight_hr_l0=t.zeros(2, 3)), {},
                                    r"cannot say which cell it holds; its LSTM projection "
                                    r"'weight_hr_l0' \(proj_size > 0\) fits cell='lstmp'"),
    "sd lstmp without projection": (lambda t: _sd(t, G=4), {"cell": "lstmp"},
                                    r"cell='lstmp' needs the projection 'weight_hr_l0' \(P, H\), "
                                    r"which is missing"),
    "sd lstmp weight_hr shape": (lambda t: _sd(t, G=4, H=3, weight_hh_l0=t.zeros(12, 2),
                                               weight_hr_l0=t.zeros(2, 2)), {"cell": "lstmp"},
                                 r"'weight_hr_l0' has shape \(2, 2\); 'weight_hh_l0' of shape "
                                 r"\(12, 2\) needs it \(P, H\) = \(2, 3\)"),
    "sd lstmp weight_hr 1-D": (lambda t: _sd(t, G=4, H=3, weight_hh_l0=t.zeros(12, 2),
                                             weight_hr_l0=t.zeros(6)), {"cell": "lstmp"},
                               r"'weight_hr_l0' has shape \(6,\); .*needs it \(P, H\)"),
    "sd lstmp weight_hh rows": (lambda t: _sd(t, G=4, H=3, weight_hh_l0=t.zeros(10, 2),
                                              weight_hr_l0=t.zeros(2, 3)), {"cell": "lstmp"},
                                r"'weight_hh_l0' has shape \(10, 2\); cell='lstmp' needs "
                                r"\(4\*H, P\)"),
    "sd lstmp reverse projection shape": (
        lambda t: {**_sd(t, G=4, H=3, weight_hh_l0=t.zeros(12, 2), weight_hr_l0=t.zeros(2, 3)),
                   **{k + "_reverse": v for k, v in _sd(
                       t, G=4, H=3, weight_hh_l0=t.zeros(12, 2),
                       weight_hr_l0=t.zeros(3, 2)).items()}},
        {"cell": "lstmp", "reverse": True},
        r"'weight_hr_l0_reverse' has shape \(3, 2\); 'weight_hh_l0_reverse' .*\(2, 3\)"),
    "sd mixed styles": (lambda t: {**_sd(t), "weight_hh": t.zeros(9, 3)}, {"cell": "gru"},
                        r"mixes cell keys"),
    "sd meta": (lambda t: _sd(t, weight_hh_l0=t.zeros(9, 3, device="meta")), {"cell": "gru"},
                r"'weight_hh_l0' is a meta-device tensor"),
    "sd sparse": (lambda t: _sd(t, weight_hh_l0=t.zeros(9, 3).to_sparse()), {"cell": "gru"},
                  r"'weight_hh_l0' is a torch\.sparse_coo tensor"),
    "sd int ndarray": (lambda t: _sd(t, weight_hh_l0=np.zeros((9, 3), dtype=int)),
                       {"cell": "gru"}, r"'weight_hh_l0' has dtype int64"),
    "sd string value": (lambda t: _sd(t, weight_hh_l0="w"), {"cell": "gru"},
                        r"'weight_hh_l0' holds a str, not a tensor"),
    "sd inf": (lambda t: _sd(t, bias_ih_l0=t.full((9,), float("inf"))), {"cell": "gru"},
               r"'bias_ih_l0'.*non-finite"),
    "sd empty": (lambda t: {}, {"cell": "gru"}, r"the state dict holds no recurrent weights"),
    # options
    "layer -1": (lambda t: t.nn.GRU(2, 3), {"layer": -1}, r"layer must be an integer >= 0"),
    "layer '0'": (lambda t: t.nn.GRU(2, 3), {"layer": "0"}, r"layer must be an integer >= 0, "
                  r"got '0' \(str\)"),
    "layer True": (lambda t: t.nn.GRU(2, 3), {"layer": True}, r"layer must be an integer"),
    "layer 1.0": (lambda t: t.nn.GRU(2, 3), {"layer": 1.0}, r"layer must be an integer"),
    "reverse 'yes'": (lambda t: t.nn.GRU(2, 3), {"reverse": "yes"},
                      r"reverse must be True or False, got 'yes'"),
    "reverse 1": (lambda t: t.nn.GRU(2, 3), {"reverse": 1}, r"reverse must be True or False"),
    "cell 'cho'": (lambda t: _sd(t), {"cell": "cho"}, r"cell must be one of \['elman', 'gru', "
                   r"'lstm', 'lstmp', 'mingru'.*got 'cho'"),
    "cell 'GRU'": (lambda t: _sd(t), {"cell": "GRU"}, r"cell must be one of.*'GRU'"),
    "cell 3": (lambda t: _sd(t), {"cell": 3}, r"cell must be one of.*got 3"),
    "cell 'gru:cho'": (lambda t: _sd(t), {"cell": "gru:cho"},
                       r"cell='gru:cho': PyTorch's GRU is the 'pytorch' convention"),
    "nonlinearity sigmoid": (lambda t: _sd(t, G=1), {"cell": "elman",
                                                     "nonlinearity": "sigmoid"},
                             r"nonlinearity must be 'tanh'.*got 'sigmoid'"),
    "nonlinearity array": (lambda t: _sd(t, G=1), {"cell": "elman",
                                                   "nonlinearity": np.array(["tanh"])},
                           r"nonlinearity must be 'tanh'"),
    "path with NUL": (lambda t: "w\0.pt", {"cell": "gru"}, r"'w\\x00\.pt': embedded null"),
    "empty path": (lambda t: "", {"cell": "gru"}, r"PyTorch file '' does not exist"),
    "nonlinearity with lstm": (lambda t: _sd(t, G=4), {"cell": "lstm", "nonlinearity": "tanh"},
                               r"nonlinearity= applies to the Elman cell only, not "
                               r"cell='lstm'"),
    "dtype nonsense": (lambda t: t.nn.GRU(2, 3), {"dtype": "nonsense"},
                       r"dtype must be float32 or float64, got 'nonsense'"),
    "dtype int": (lambda t: t.nn.GRU(2, 3), {"dtype": np.int32}, r"dtype must be float32"),
    # sources
    "None": (lambda t: None, {}, r"from_torch expects .* got NoneType"),
    "int": (lambda t: 3, {}, r"from_torch expects .* got int"),
    "list of tensors": (lambda t: [t.zeros(3)], {}, r"from_torch expects .* got list"),
    "optimizer": (lambda t: t.optim.SGD(t.nn.GRU(2, 3).parameters(), lr=0.1), {},
                  r"from_torch expects .* got SGD"),
    "bytes path": (lambda t: b"w.pt", {}, r"path must be a str .*b'w\.pt'"),
}


def _int_gru(torch):
    g = torch.nn.GRU(2, 3)
    g.weight_ih_l0 = torch.nn.Parameter(torch.zeros(9, 2, dtype=torch.int32),
                                        requires_grad=False)
    return g


def _nan_gru(torch):
    g = torch.nn.GRU(2, 3)
    with torch.no_grad():
        g.weight_hh_l0[0, 0] = float("nan")
    return g


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(OBJECT_CASES))
def test_from_torch_refuses_bad_objects_and_options(tmp_path, monkeypatch, torch, case):
    make, kwargs, match = OBJECT_CASES[case]
    monkeypatch.chdir(tmp_path)
    source = make(torch)
    with pytest.raises(numeric.NumericError, match=match) as info:
        numeric.from_torch(source, **kwargs)
    assert "\n" not in str(info.value)
    assert _files(tmp_path) == []


def test_load_unreadable_file_names_it(tmp_path, monkeypatch):
    path, _ = _good_npz(tmp_path)

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(zipfile, "ZipFile", denied)
    with pytest.raises(numeric.NumericError, match=r"good\.npz.*Permission denied"):
        numeric.load(path)
    with pytest.raises(numeric.NumericError, match=r"x\.npz.*Not a directory"):
        numeric.load(tmp_path / "good.npz" / "x.npz")


@pytest.mark.torch
def test_from_torch_unreadable_file_names_it(tmp_path, monkeypatch, torch):
    torch.save(torch.nn.GRU(2, 3).state_dict(), tmp_path / "w.pt")

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(torch, "load", denied)
    with pytest.raises(numeric.NumericError, match=r"w\.pt': Permission denied$"):
        numeric.from_torch(tmp_path / "w.pt", cell="gru")
    with pytest.raises(numeric.NumericError, match=r"x\.pt': Not a directory$"):
        numeric.from_torch(tmp_path / "w.pt" / "x.pt", cell="gru")


def test_load_reads_what_numpy_writes(tmp_path):
    """Compressed archives, Fortran order and big-endian arrays are read like np.load."""
    arrays = _gru_arrays()
    arrays["W_hz"] = np.asfortranarray(arrays["W_hz"])
    arrays["b_hz"] = arrays["b_hz"].astype(">f8")
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    p = numeric.load(tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz") as ref:
        for k in p.arrays:
            np.testing.assert_array_equal(p.arrays[k], ref[k])


@pytest.mark.torch
@given(cut=st.integers(0, 10**6), flip=st.integers(0, 10**6), byte=st.integers(0, 255),
       legacy=st.booleans())
def test_from_torch_damaged_file_is_numeric_error_or_same_cell(tmp_path_factory, cut, flip,
                                                               byte, legacy):
    """A valid .pt truncated and with one byte changed: a NumericError naming the file in
    one line, or (a byte of tensor data or padding changed) a GRU of the same size."""
    torch = pytest.importorskip("torch")
    path = tmp_path_factory.mktemp("pt") / "w.pt"
    torch.save(torch.nn.GRU(2, 3).state_dict(), path, _use_new_zipfile_serialization=not legacy)
    data = bytearray(path.read_bytes())
    data[flip % len(data)] = byte
    path.write_bytes(bytes(data[:len(data) - cut % 200]))
    try:
        p = numeric.from_torch(path, cell="gru")
    except numeric.NumericError as exc:
        assert "w.pt" in str(exc) and "\n" not in str(exc)
    else:
        assert (p.hidden_size, p.input_size) == (3, 2)

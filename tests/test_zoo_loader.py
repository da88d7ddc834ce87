"""``numeric.from_torch`` on torchrecurrent's modules and state dicts: what it refuses, by name.

The per-class comparisons (step and Jacobian against torch) are in ``tests/test_zoo.py``;
here the dispatcher: a look-alike class, a layer that does not exist, a reverse direction,
``cell=`` contradicting the module, a state dict that holds several cells or none,
``scalars=`` for a module, missing or unknown hyper-parameters of a state dict. Every
error is one ``NumericError`` whose message names the offending value; nothing is read.
"""

from __future__ import annotations

import numpy as np
import pytest

import numeric as nm
from numeric import NumericError

torch = pytest.importorskip("torch")
tr = pytest.importorskip("torchrecurrent")
pytestmark = pytest.mark.torch


def _mgu(**kw):
    return tr.MGUCell(3, 4, dtype=torch.float64, **kw)


def test_a_subclass_of_a_known_class_is_refused_by_name():
    class MyMGU(tr.MGUCell):
        pass

    with pytest.raises(NumericError, match="MyMGU"):
        nm.from_torch(MyMGU(3, 4))


def test_a_layer_reads_each_cell_and_refuses_a_missing_layer():
    layer = tr.MGU(3, 4, num_layers=2, dtype=torch.float64)
    p0, p1 = nm.from_torch(layer, layer=0), nm.from_torch(layer, layer=1)
    assert (p0.input_size, p1.input_size) == (3, 4)
    np.testing.assert_array_equal(p1.arrays["W_hf"],
                                  layer.cells[1].weight_hh.detach().numpy()[:4])
    with pytest.raises(NumericError, match=r"layers \[0, 1\].*layer=2"):
        nm.from_torch(layer, layer=2)
    with pytest.raises(NumericError, match="reverse"):
        nm.from_torch(layer, reverse=True)
    with pytest.raises(NumericError, match="one layer"):
        nm.from_torch(_mgu(), layer=1)


def test_cell_option_must_agree_with_the_module():
    nm.from_torch(_mgu(), cell="mgu")
    with pytest.raises(NumericError, match="cell='gru'"):
        nm.from_torch(_mgu(), cell="gru")
    with pytest.raises(NumericError, match="nonlinearity"):
        nm.from_torch(_mgu(), nonlinearity="relu")


def test_an_activation_the_cell_does_not_model_is_refused_by_name():
    with pytest.raises(NumericError, match=r"act=.relu"):
        nm.from_torch(_mgu(nonlinearity="relu"))
    with pytest.raises(NumericError, match=r"gate_act=.hard_sigmoid"):
        nm.from_torch(_mgu(gate_nonlinearity="hard_sigmoid"))


def test_state_dicts_need_cell_and_one_prefix():
    sd = _mgu().state_dict()
    p = nm.from_torch(sd, cell="mgu")
    np.testing.assert_array_equal(p.weight_ih, sd["weight_ih"].numpy())
    nested = {f"rnn.{k}": v for k, v in sd.items()}
    assert nm.from_torch(nested, cell="mgu").hidden_size == 4
    two = {**{f"a.{k}": v for k, v in sd.items()}, **{f"b.{k}": v for k, v in sd.items()}}
    with pytest.raises(NumericError, match=r"2 cells.*'a\.'.*'b\.'"):
        nm.from_torch(two, cell="mgu")
    with pytest.raises(NumericError, match="no .*parameters"):
        nm.from_torch({"other.weight": torch.zeros(2, 2)}, cell="mgu")
    with pytest.raises(NumericError, match="no layer 1"):
        nm.from_torch(sd, cell="mgu", layer=1)
    with pytest.raises(NumericError, match="state dict or a file"):
        nm.from_torch(42, cell="mgu")


def test_scalars_option_is_checked():
    sd = _mgu().state_dict()
    with pytest.raises(NumericError, match=r"scalars \['dt'\]"):
        nm.from_torch(sd, cell="mgu", scalars={"dt": 0.1})
    with pytest.raises(NumericError, match="scalars must be a dict"):
        nm.from_torch(sd, cell="mgu", scalars=[("dt", 0.1)])
    with pytest.raises(NumericError, match="scalars= is for a state dict"):
        nm.from_torch(_mgu(), scalars={"dt": 0.1})
    with pytest.raises(NumericError, match="scalars= is for the state dict"):
        nm.from_torch(torch.nn.GRU(3, 4), scalars={"dt": 0.1})


def test_bad_tensors_are_named():
    sd = dict(_mgu().state_dict())
    sd["weight_hh"] = torch.full((8, 4), float("nan"), dtype=torch.float64)
    with pytest.raises(NumericError, match="weight_hh"):
        nm.from_torch(sd, cell="mgu")
    sd["weight_hh"] = torch.zeros(8, 4, dtype=torch.int64)
    with pytest.raises(NumericError, match="weight_hh.*int64"):
        nm.from_torch(sd, cell="mgu")
    sd["weight_hh"] = torch.zeros(7, 4, dtype=torch.float64)
    with pytest.raises(NumericError, match="weight_hh"):
        nm.from_torch(sd, cell="mgu")


def test_cli_analyze_reads_a_torchrecurrent_state_dict(tmp_path, capsys):
    from reports.cli import main

    path = tmp_path / "mgu.pt"
    torch.save(tr.MGU(3, 4, num_layers=2).state_dict(), path)
    out = tmp_path / "a"
    assert main(["analyze", str(path), "--cell", "mgu", "--layer", "1", "--out", str(out),
                 "--steps", "20", "--batch", "2"]) == 0
    assert (out / "gradient_norms.pdf").exists()
    capsys.readouterr()
    for bad, says in ((["--scalar", "dt"], "NAME=VALUE"), (["--scalar", "dt=nan"], "finite"),
                      (["--scalar", "dt=0.1"], "scalars ['dt']")):
        assert main(["analyze", str(path), "--cell", "mgu", "--out", str(tmp_path / "b"),
                     "--steps", "20", *bad]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and says in err, err

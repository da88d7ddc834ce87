"""torchrecurrent's cells of the family ``io`` (read by :mod:`numeric._zoo`): one spec per class.

The strongly-typed cells (``TGRUCell``, ``TLSTMCell``) carry the previous input
:math:`x_{t-1}`; gatebound carries its projections :math:`V x_{t-1}` (hidden size) instead,
so their torch state is not the cell's state one-to-one (``generic_test=False``; mapped in
``tests/test_zoo_io.py``): torch's ``(h, x_prev)`` is the cell's ``(h, p_z, p_f, p_o)`` with
``p_* = x_prev @ V_*.T`` (``V`` the blocks of ``weight_hh``).

The tauGRU's delay is known to the ``tauGRU`` layer only (``delay=d``, the convention
``delay<d>``): a bare ``tauGRUCell`` module is refused (pass its layer, or its state dict with
``cell='taugru:delay<d>'``); a state dict read with ``cell='taugru'`` is the default
convention ``delay1``, the layer's default delay.

>>> [s.cls for s in SPECS]
['TGRUCell', 'TLSTMCell', 'tauGRUCell', 'IntersectionRNNCell', 'MCLSTMCell']
"""

from derivations.cells.taugru import TAUGRU_DELAYS

from ._errors import NumericError
from ._zoo_spec import ZooSpec, activations, packed

__all__ = ["SPECS"]

_DELAY_OF = {d: conv for conv, d in TAUGRU_DELAYS.items()}


def _taugru_convention(r):
    """The tauGRU's convention: its layer's delay; a bare cell module cannot say it."""
    if r.module is None:
        return r.convention
    if r.layer is None:
        raise NumericError(
            f"{r.where} does not know its delay (the tauGRU layer holds it, as delay=d): "
            "pass the tauGRU layer, or the cell's state dict with cell='taugru:delay<d>' "
            f"(d in {sorted(_DELAY_OF)})")
    delay = getattr(r.layer, "delay", None)
    if delay not in _DELAY_OF:
        r.refuse("delay", delay, sorted(_DELAY_OF))
    return _DELAY_OF[delay]


SPECS = (
    # T-GRU: W (weight_ih), V (weight_hh, on x_{t-1}) in blocks z, f, o; x_{t-1} carried as V x
    ZooSpec("TGRUCell", "tgru", packed(),
            check=activations(gate_act="sigmoid", out_act="tanh"), generic_test=False),
    # T-LSTM: as the T-GRU, with the cell state c and the output h = c * o
    ZooSpec("TLSTMCell", "tlstm", packed(),
            check=activations(gate_act="sigmoid", out_act="tanh"), generic_test=False),
    # tau-GRU: blocks u, z, g, a; the delay line h_d1..h_dd is part of the state
    ZooSpec("tauGRUCell", "taugru", packed(), convention=_taugru_convention,
            check=activations(act="tanh", gate_act="sigmoid"), generic_test=False),
    # +RNN: blocks y_in, h_in, g_y, g_h; the output y is not the state h; I = H
    ZooSpec("IntersectionRNNCell", "intersection_rnn", packed(),
            check=activations(depth_act="relu", recurrent_act="tanh", gate_act="sigmoid"),
            test_kwargs={"input_size": 4}),
    # MC-LSTM: blocks f, i, o, m, n; state (v, c), output h
    ZooSpec("MCLSTMCell", "mclstm", packed(),
            check=activations(gate_act="sigmoid", cell_act="tanh")),
)

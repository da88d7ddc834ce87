"""torchrecurrent's cells of the family ``lstm`` (read by :mod:`numeric._zoo`): one spec per class.

LSTM variants: OriginalLSTM (no forget gate), PeepholeLSTM, MultiplicativeLSTM, ResLSTM,
WMCLSTM, RAN, SCRN, JANET. Every cell keeps torchrecurrent's packed arrays (its layout names
them: ``weight_ph``, ``weight_mh``, ``weight_proj``, ``weight_ch``, ...), so the loader
passes them unchanged. SCRN's ``alpha`` and JANET's ``beta`` are learnable scalars
(``nn.Parameter``): a state dict holds them, and no class of the family keeps a
hyper-parameter outside it. The activation options (PeepholeLSTM's and ResLSTM's
``nonlinearity``, ``gate_nonlinearity``) are refused unless tanh and sigmoid.

>>> from numeric._zoo_lstm import SPECS
>>> [s.cls for s in SPECS][:3]
['OriginalLSTMCell', 'PeepholeLSTMCell', 'MultiplicativeLSTMCell']
>>> {s.cell for s in SPECS if s.scalars}
set()
"""

from ._zoo_spec import ZooSpec, activations, packed

__all__ = ["SPECS"]

_PAIR = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_TANH = activations(act="tanh", gate_act="sigmoid")


def _with_scalar(name, keys=_PAIR):
    """``packed(*keys)`` plus the learnable scalar ``name`` (in the state dict)."""
    read_packed = packed(*keys)

    def read(r):
        out = read_packed(r)
        out[name] = r.scalar(name)
        return out
    return read


SPECS = (
    # OriginalLSTM: chunks i, c, o; no forget gate, no activation option
    ZooSpec("OriginalLSTMCell", "original_lstm", packed()),
    # PeepholeLSTM: chunks i, f, c, o; weight_ph = p_i, p_f, p_o (p_o reads the new c)
    ZooSpec("PeepholeLSTMCell", "peephole_lstm", packed(*_PAIR, "weight_ph"), check=_TANH),
    # MultiplicativeLSTM: weight_ih m, i, f, h_hat, o; weight_hh W_mh; weight_mh i, f, h_hat, o
    ZooSpec("MultiplicativeLSTMCell", "multiplicative_lstm",
            packed(*_PAIR, "weight_mh", "bias_mh")),
    # ResLSTM: peepholes, projection W_p (H x H), residual W_r (H x I)
    ZooSpec("ResLSTMCell", "reslstm",
            packed(*_PAIR, "weight_ph", "weight_proj", "weight_res"), check=_TANH),
    # WMCLSTM: working memory weight_mh = W_ci, W_cf, W_co, bias_mh alike
    ZooSpec("WMCLSTMCell", "wmclstm", packed(*_PAIR, "weight_mh", "bias_mh")),
    # RAN: weight_ih content, i, f; weight_hh, bias_ih, bias_hh i, f
    ZooSpec("RANCell", "ran", packed()),
    # SCRN: [B; A], [R; U], [P; V]; alpha a learnable scalar
    ZooSpec("SCRNCell", "scrn",
            _with_scalar("alpha", (*_PAIR, "weight_ch", "bias_ch"))),
    # JANET: chunks f, c; beta a learnable scalar; h = c, both states returned
    ZooSpec("JANETCell", "janet", _with_scalar("beta")),
)

"""Hand-derived global bounds and saturation constants of the ``ode`` family (IndRNN,
FastRNN, FastGRNN, coRNN, UnICORNN, LEM, the antisymmetric RNNs), from the equations in their
cell files' docstrings."""

from tests._hand import ninf

HAND_GLOBAL = {
    # h' = tanh(W x + u h + b): J = D(u (1 - h'^2)), sup |1 - h'^2| = 1
    ("indrnn", "tanh"): {("h", "h"): ninf("u")},
}
HAND_K: dict = {}

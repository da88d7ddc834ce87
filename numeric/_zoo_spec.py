"""The declarations :mod:`numeric._zoo` reads torchrecurrent's cells with (private): one
:class:`ZooSpec` per class, a :class:`Reader` of its parameters, and building blocks."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._errors import NumericError
from ._torch_file import tensor_array

__all__ = ["ZooSpec", "Reader", "ACTIVATIONS", "packed", "activations"]

#: torch.nn activation class name -> the name torchrecurrent's ``resolve_activation`` takes
ACTIVATIONS = {"Identity": "identity", "Tanh": "tanh", "ReLU": "relu", "Sigmoid": "sigmoid",
               "Softplus": "softplus", "Hardsigmoid": "hard_sigmoid", "GELU": "gelu",
               "SiLU": "silu", "ELU": "elu", "LeakyReLU": "leaky_relu"}


@dataclass(frozen=True)
class ZooSpec:
    """How one torchrecurrent cell class is read.

    ``read(reader)`` returns :func:`numeric.from_arrays` keywords (arrays by symbol name or
    packed layout key, scalars by name); ``convention(reader)`` the cell's convention (from
    the module's activations, or ``reader.convention`` for a state dict); ``check(reader)``
    raises for an option the cell does not model (``reader.refuse``). ``scalars`` lists the
    hyper-parameters torchrecurrent keeps as Python floats (attribute name -> symbol name).
    ``test_kwargs`` are constructor keywords the generic tests build the class with (e.g.
    ``input_size == hidden_size``); ``generic_test=False`` when the torch state is not the
    cell's state one-to-one (a family test compares it instead).
    """

    cls: str
    cell: str
    read: Callable
    convention: Callable | None = None
    check: Callable | None = None
    scalars: dict = field(default_factory=dict)
    test_kwargs: dict = field(default_factory=dict)
    generic_test: bool = True

    @property
    def layer_cls(self) -> str:
        return self.cls[:-len("Cell")]


class Reader:
    """The parameters of one torchrecurrent cell: from its module or from a state dict.

    ``module`` is the cell module (``None`` for a state dict), ``layer`` the layer module
    that holds it (or ``None``); ``sd`` the cell's own state dict (keys without prefix).
    """

    def __init__(self, sd, where, *, module=None, layer=None, convention=None, scalars=None):
        self.sd, self.where, self.module, self.layer = sd, where, module, layer
        self.convention = convention
        self._scalars = dict(scalars or {})
        self._used: set = set()

    # -- arrays ------------------------------------------------------------------------
    def array(self, key: str, ndim: int | None = None) -> np.ndarray:
        """The array under ``key`` (finite float32/float64); NumericError naming the key."""
        if key not in self.sd:
            raise NumericError(f"{self.where} has no {key!r}; keys: {sorted(self.sd)[:12]}")
        arr = tensor_array(self.sd[key], key, self.where)
        if ndim is not None and (arr.ndim != ndim or 0 in arr.shape):
            raise NumericError(f"{self.where}: {key!r} has shape {arr.shape}; expected a "
                               f"non-empty {ndim}-D array")
        return arr

    def chunks(self, key: str, n: int, ndim: int | None = None) -> list:
        """``array(key)`` split into ``n`` equal blocks along axis 0 (torch's ``chunk``)."""
        arr = self.array(key, ndim)
        if arr.ndim == 0 or arr.shape[0] % n:
            raise NumericError(f"{self.where}: {key!r} has shape {arr.shape}; its first axis "
                               f"must hold {n} equal blocks")
        return np.split(arr, n)

    # -- hyper-parameters --------------------------------------------------------------
    @property
    def unused_scalars(self) -> list:
        """The ``scalars=`` names no :meth:`scalar` call read (a typo, or a learnable one)."""
        return sorted(set(self._scalars) - self._used)

    def scalar(self, name: str, symbol: str | None = None) -> float:
        """Hyper-parameter ``name``: a module's attribute (a float or a one-element
        tensor), a state dict's entry (a learnable scalar), or ``scalars=``'s value under
        ``symbol`` (default ``name``) for a state dict. Never a default."""
        symbol = symbol or name
        if self.module is not None:
            value = getattr(self.module, name, None)
            if value is None:
                raise NumericError(f"{self.where} has no attribute {name!r}")
            return self._number(value, name)
        if name in self.sd:
            return self._number(self.sd[name], name)
        if symbol in self._scalars:
            self._used.add(symbol)
            return self._number(self._scalars[symbol], f"scalars[{symbol!r}]")
        raise NumericError(f"{self.where} cannot say the hyper-parameter {name!r} (torchrecurrent "
                           f"keeps it outside the state dict): pass scalars={{{symbol!r}: "
                           "value}")

    def _number(self, value, name):
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise NumericError(f"{self.where}: {name!r} has shape {tuple(value.shape)}; "
                                   "expected one number")
            value = tensor_array(value.reshape(()), name, self.where)
        try:
            out = float(np.asarray(value, dtype=float).reshape(()))
        except (TypeError, ValueError):
            raise NumericError(f"{self.where}: {name!r} is {value!r} "
                               f"({type(value).__name__}); expected a number") from None
        if not np.isfinite(out):
            raise NumericError(f"{self.where}: {name!r} is {out}; expected a finite number")
        return out

    def activation(self, attr: str) -> str | None:
        """The name of the module's activation ``attr`` (``'tanh'``, ``'relu'``, ...);
        ``None`` for a state dict (which cannot say it)."""
        if self.module is None:
            return None
        act = getattr(self.module, attr, None)
        name = ACTIVATIONS.get(type(act).__name__)
        torch = sys.modules.get("torch")
        if name is None or getattr(torch.nn, type(act).__name__, None) is not type(act):
            raise NumericError(f"{self.where}: {attr} is a {type(act).__name__}, which no "
                               "cell models")
        if name == "softplus" and (act.beta != 1 or act.threshold != 20):
            raise NumericError(f"{self.where}: {attr} is Softplus(beta={act.beta}, "
                               f"threshold={act.threshold}); only beta=1 is modelled")
        if name == "leaky_relu":
            name = f"leaky_relu({act.negative_slope})"
        return name

    def refuse(self, option: str, value, accepted) -> None:
        """Raise: ``option=value`` is not modelled (``accepted`` are)."""
        raise NumericError(f"{self.where} with {option}={value!r} is not supported: the cell "
                           f"models {option} in {list(accepted)}")

    def require(self, option: str, value, accepted) -> None:
        """:meth:`refuse` unless ``value`` is in ``accepted`` (``None``, a state dict's
        unknown value, passes)."""
        if value is not None and value not in accepted:
            self.refuse(option, value, accepted)


# -- building blocks for the family modules --------------------------------------------

def packed(*keys):
    """A ``read`` that passes torchrecurrent's packed arrays ``keys`` (default
    ``weight_ih weight_hh bias_ih bias_hh``) to the cell's layout unchanged."""
    keys = keys or ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return lambda r: {k: r.array(k) for k in keys}


def activations(**expected):
    """A ``check`` that refuses an activation attribute other than the modelled one(s):
    ``activations(act="tanh", gate_act="sigmoid")`` (a tuple accepts several)."""
    def check(r):
        for attr, ok in expected.items():
            ok = (ok,) if isinstance(ok, str) else tuple(ok)
            r.require(attr, r.activation(attr), ok)
    return check

"""The autodiff peers: the same cells written in PyTorch and JAX, differentiated by each framework.

Every peer takes the engine's parameters in PyTorch's packed layout (``weight_ih`` (G*H, I),
``weight_hh`` (G*H, H), ``bias_ih``, ``bias_hh``; gate order GRU r, z, n; LSTM i, f, g, o) and
computes, for the GRU (``pytorch`` convention),

.. math::

    r = \\sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}),\\quad
    z = \\sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}),\\\\
    n = \\tanh(W_{in} x + b_{in} + r \\odot (W_{hn} h + b_{hn})),\\quad
    h' = (1 - z) \\odot n + z \\odot h,

and for the LSTM :math:`c' = f \\odot c + i \\odot g`, :math:`h' = o \\odot \\tanh(c')`.
The frameworks are imported lazily; :func:`available` says which are installed.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from ._env import THREADS

__all__ = ["available", "versions", "jax_gru_jacobian", "torch_gru_jacobian",
           "jax_gradient_log_norms", "torch_gradient_log_norms", "jax_lstm_jacobian",
           "jax_gru_lyapunov", "torch_gru_lyapunov"]


def available() -> dict[str, bool]:
    """``{'torch': bool, 'jax': bool}``: which peers are installed."""
    return {name: importlib.util.find_spec(name) is not None for name in ("torch", "jax")}


def _torch():
    import torch

    torch.set_num_threads(THREADS)
    return torch


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def versions() -> dict[str, str]:
    """Installed peer versions (importing them)."""
    out = {}
    have = available()
    if have["torch"]:
        out["torch"] = _torch().__version__ + f" ({_torch().get_num_threads()} threads)"
    if have["jax"]:
        jax = _jax()
        out["jax"] = jax.__version__ + f" ({jax.devices()[0].platform})"
    return out


def _arrays(params):
    return (np.asarray(params.weight_ih), np.asarray(params.weight_hh),
            np.asarray(params.bias_ih), np.asarray(params.bias_hh))


# --------------------------------------------------------------------------- JAX
def _jax_gru(w_ih, w_hh, b_ih, b_hh, x, h):
    jnp = _jax().numpy
    H = h.shape[-1]
    gi = x @ w_ih.T + b_ih
    gh = h @ w_hh.T + b_hh
    r = _jax().nn.sigmoid(gi[..., :H] + gh[..., :H])
    z = _jax().nn.sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
    n = jnp.tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
    return (1 - z) * n + z * h


def _jax_lstm(w_ih, w_hh, b_ih, b_hh, x, h, c):
    jax = _jax()
    H = h.shape[-1]
    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i, f = jax.nn.sigmoid(a[..., :H]), jax.nn.sigmoid(a[..., H:2 * H])
    g, o = jax.numpy.tanh(a[..., 2 * H:3 * H]), jax.nn.sigmoid(a[..., 3 * H:])
    c_next = f * c + i * g
    return o * jax.numpy.tanh(c_next), c_next


def jax_gru_jacobian(params):
    """``fn(x, h) -> (B, H, H)``: ``jax.jit(jax.vmap(jax.jacfwd(cell)))``, blocked until ready."""
    jax = _jax()
    w = tuple(jax.device_put(a) for a in _arrays(params))
    jac = jax.jit(jax.vmap(jax.jacfwd(_jax_gru, argnums=5), in_axes=(None,) * 4 + (0, 0)))

    def fn(x, h):
        return jac(*w, x, h).block_until_ready()

    return fn


def jax_lstm_jacobian(params, *, full: bool):
    """``fn(x, h, c)``: dh'/dh with c fixed (B, H, H), or the (h, c) state Jacobian (B, 2H, 2H)."""
    jax = _jax()
    jnp = jax.numpy
    w = tuple(jax.device_put(a) for a in _arrays(params))

    def cell_h(h, x, c):
        return _jax_lstm(*w, x, h, c)[0]

    def cell_state(s, x):
        H = s.shape[-1] // 2
        return jnp.concatenate(_jax_lstm(*w, x, s[:H], s[H:]))

    if full:
        jac = jax.jit(jax.vmap(jax.jacfwd(cell_state)))
        return lambda x, h, c: jac(jnp.concatenate([h, c], axis=-1), x).block_until_ready()
    jac = jax.jit(jax.vmap(jax.jacfwd(cell_h)))
    return lambda x, h, c: jac(h, x, c).block_until_ready()


def jax_gradient_log_norms(params, v):
    """``fn(xs, h0) -> (T, B)``: log||v^T dh_T/dh_t||, t = 0..T-1, by a jitted ``lax.scan`` + ``vjp``.

    A forward scan stores the states; a reverse scan pulls the covector back one step at a time
    with ``jax.vjp`` of the cell, renormalising it and accumulating the log of its norm (the
    same log-space accumulation as the engine, so long horizons do not underflow).
    """
    jax = _jax()
    jnp, lax = jax.numpy, jax.lax
    w = tuple(jax.device_put(a) for a in _arrays(params))
    v = jax.device_put(np.asarray(v))

    def step(h, x):
        return _jax_gru(*w, x, h)

    def run(xs, h0):
        _, hs = lax.scan(lambda h, x: (step(h, x), h), h0, xs)  # hs[t] = h_t, t < T

        def back(carry, inp):
            g, logscale = carry
            x, h = inp
            _, pull = jax.vjp(lambda hh: step(hh, x), h)
            g = pull(g)[0]
            norm = jnp.linalg.norm(g, axis=-1)
            logscale = logscale + jnp.log(norm)
            return (g / norm[:, None], logscale), logscale

        norm0 = jnp.linalg.norm(v, axis=-1)
        init = (v / norm0[:, None], jnp.log(norm0))
        _, logs = lax.scan(back, init, (xs, hs), reverse=True)
        return logs

    jrun = jax.jit(run)
    return lambda xs, h0: jrun(xs, h0).block_until_ready()


def jax_gru_lyapunov(params):
    """``fn(xs, h0, Q0) -> (B, k)``: Lyapunov exponents by the per-step QR method, a jitted
    ``lax.scan`` over the steps of ``vmap(jacfwd(cell))`` times the frames and
    ``jnp.linalg.qr`` (Householder), :math:`\\lambda_i = \\frac1T \\sum_t \\log|R_{ii}|`.
    """
    jax = _jax()
    jnp, lax = jax.numpy, jax.lax
    w = tuple(jax.device_put(a) for a in _arrays(params))
    jac = jax.vmap(jax.jacfwd(lambda h, x: _jax_gru(*w, x, h)))

    def run(xs, h0, Q0):
        def step(carry, x):
            h, Q, acc = carry
            Q, R = jnp.linalg.qr(jac(h, x) @ Q)
            acc = acc + jnp.log(jnp.abs(jnp.diagonal(R, axis1=1, axis2=2)))
            return (_jax_gru(*w, x, h), Q, acc), None

        (_, _, acc), _ = lax.scan(step, (h0, Q0, jnp.zeros(Q0.shape[::2], Q0.dtype)), xs)
        return -jnp.sort(-acc / xs.shape[0], axis=1)

    jrun = jax.jit(run)
    return lambda xs, h0, Q0: jrun(xs, h0, Q0).block_until_ready()


# --------------------------------------------------------------------------- PyTorch
def _torch_gru_module(params):
    torch = _torch()
    w_ih, w_hh, b_ih, b_hh = _arrays(params)
    H, I = w_hh.shape[1], w_ih.shape[1]
    dtype = torch.float64 if w_hh.dtype == np.float64 else torch.float32
    cell = torch.nn.GRUCell(I, H, dtype=dtype)
    with torch.no_grad():
        for name, a in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
                           (w_ih, w_hh, b_ih, b_hh), strict=True):
            getattr(cell, name).copy_(torch.tensor(a))
    cell.requires_grad_(False)
    return cell


def torch_gru_jacobian(params):
    """``fn(x, h) -> (B, H, H)``: ``torch.func.vmap(torch.func.jacrev(cell))`` on ``nn.GRUCell``."""
    torch = _torch()
    cell = _torch_gru_module(params)
    jac = torch.func.vmap(torch.func.jacrev(lambda x, h: cell(x, h), argnums=1))

    def fn(x, h):
        with torch.no_grad():
            return jac(x, h)

    return fn


def torch_gradient_log_norms(params, v):
    """``fn(xs, h0) -> (T, B)``: log||v^T dh_T/dh_t|| by autograd backward through ``nn.GRUCell``.

    The forward pass keeps every state h_0..h_{T-1} in the graph; one ``torch.autograd.grad``
    of :math:`\\sum v \\odot h_T` with respect to all of them returns every covector at once.
    Weights do not require gradients, so autograd does only the state chain.
    """
    torch = _torch()
    cell = _torch_gru_module(params)
    v = torch.from_numpy(np.asarray(v))

    def fn(xs, h0):
        h = h0.detach().requires_grad_(True)
        hs = []
        for t in range(xs.shape[0]):
            hs.append(h)
            h = cell(xs[t], h)
        grads = torch.autograd.grad((h * v).sum(), hs)
        # the norm in float64: a float32 sum of squares underflows long before the covector does
        return torch.log(torch.linalg.vector_norm(torch.stack(grads), dim=-1,
                                                  dtype=torch.float64))

    return fn


def torch_gru_lyapunov(params):
    """``fn(xs, h0, Q0) -> (B, k)``: the per-step QR method as a plain torch loop:
    ``torch.func.vmap(torch.func.jacrev(nn.GRUCell))`` times the frames, then
    ``torch.linalg.qr`` (Householder, LAPACK) every step."""
    torch = _torch()
    cell = _torch_gru_module(params)
    jac = torch.func.vmap(torch.func.jacrev(lambda x, h: cell(x, h), argnums=1))

    def fn(xs, h0, Q0):
        with torch.no_grad():
            h, Q = h0, Q0
            acc = torch.zeros(Q0.shape[0], Q0.shape[2], dtype=torch.float64)
            for t in range(xs.shape[0]):
                Q, R = torch.linalg.qr(torch.bmm(jac(xs[t], h), Q))
                acc += torch.log(torch.abs(torch.diagonal(R, dim1=1, dim2=2)))
                h = cell(xs[t], h)
            return -torch.sort(-acc / xs.shape[0], dim=1).values

    return fn

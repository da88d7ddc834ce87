r"""Hand-written GRU (pytorch convention) kernels: what NumPy + OpenBLAS can reach here.

Not part of the engine: a measured reference for suggestions to ``numeric/``
(``run.py --prototype`` adds its rows). The Jacobian is

.. math::

    J = \operatorname{diag}(z) + \operatorname{diag}(z(1-z)(h-n)) W_{hz}
      + \operatorname{diag}((1-z)(1-n^2) r) W_{hn}
      + \operatorname{diag}((1-z)(1-n^2) r (1-r) (W_{hn} h + b_{hn})) W_{hr},

written row block by row block: ``J[:, i, :] = A_i S_i`` with :math:`A_i` (B, 4) the
coefficients of row ``i`` and :math:`S_i` (4, H) row ``i`` of W_hr, W_hz, W_hn and e_i,
as one batched ``np.matmul`` over ``i`` into the preallocated output, in batch chunks whose
GEMM output (``chunk_bytes``, 32 KiB) stays in L1/L2 while OpenBLAS zeroes and then
accumulates it (measured 10-20% faster than one call over the whole batch); the whole pipeline
(gate GEMMs, coefficients, row-block GEMMs) runs per batch half on two threads with
OpenBLAS pinned to one thread. The gradient-norm chain is

.. math::

    g_t = g_{t+1} \odot z_t + [g_{t+1} \odot a^r_t,\; g_{t+1} \odot a^z_t,\;
          g_{t+1} \odot a^n_t]\, W_{hh},

one GEMM per step with the packed ``weight_hh`` (rows r, z, n), renormalised every step
with the log of the norm accumulated.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

_POOL: dict = {}


def _blas():
    """The OpenBLAS controller (set_num_threads is a direct C call) or None."""
    if "blas" not in _POOL:
        try:
            from threadpoolctl import ThreadpoolController

            libs = ThreadpoolController().select(user_api="blas").lib_controllers
            _POOL["blas"] = libs[0] if libs else None
        except ImportError:
            _POOL["blas"] = None
        _POOL["pool"] = ThreadPoolExecutor(2, thread_name_prefix="proto")
    return _POOL["blas"], _POOL["pool"]


def _sigmoid(u, out=None):
    """:math:`1 / (1 + e^{-u})`; NumPy's float64 ``exp`` is about twice as fast as its ``tanh``
    here, and ``exp(-u) = inf`` for ``u < -709`` gives the correct 0 (overflow not reported)."""
    out = np.negative(u, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


class GRUJacobian:
    """``fn(x, h, out)``: (B, H, H) dh'/dh; scratch buffers reused between calls."""

    def __init__(self, params, chunk_bytes=1 << 15, threads=2):
        self.threads = threads
        self.w_ih = np.asarray(params.weight_ih)
        self.w_hh = np.asarray(params.weight_hh)
        self.b_ih = np.asarray(params.bias_ih)[:, None]
        self.b_hh = np.asarray(params.bias_hh)[:, None]
        H = self.w_hh.shape[1]
        self.H = H
        W = self.w_hh
        # row i of W_hr, W_hz, W_hn and e_i: S[i] is (4, H)
        self.S = np.ascontiguousarray(np.stack(
            [W[:H], W[H:2 * H], W[2 * H:], np.eye(H, dtype=W.dtype)], axis=1))
        self.chunk_bytes = chunk_bytes

    def coefficients(self, x, h):
        """A (H, 4, B): per row i and sample, the coefficients of W_hr, W_hz, W_hn, e_i."""
        H = self.H
        hT = h.T
        gi = self.w_ih @ x.T
        gi += self.b_ih
        gh = self.w_hh @ hT
        gh += self.b_hh
        r = _sigmoid(np.add(gi[:H], gh[:H]))
        z = _sigmoid(np.add(gi[H:2 * H], gh[H:2 * H]))
        ghn = gh[2 * H:]
        n = np.multiply(r, ghn)
        n += gi[2 * H:]
        np.tanh(n, out=n)
        A = np.empty((H, 4, h.shape[0]), dtype=h.dtype)
        a_r, a_z, a_n = A[:, 0], A[:, 1], A[:, 2]
        # a_n = (1 - z)(1 - n^2) r
        np.multiply(n, n, out=a_n)
        np.subtract(1, a_n, out=a_n)
        a_z[...] = 1 - z
        a_n *= a_z
        a_n *= r
        # a_r = a_n (1 - r) ghn
        np.subtract(1, r, out=a_r)
        a_r *= ghn
        a_r *= a_n
        # a_z = z (1 - z)(h - n)
        a_z *= z
        a_z *= np.subtract(hT, n, out=n)
        A[:, 3] = z
        return A

    def _fill(self, x, h, ot, bc):
        A = self.coefficients(x, h).transpose(0, 2, 1)  # (H, b, 4): Fortran-order (b, 4)
        for b0 in range(0, A.shape[1], bc):
            np.matmul(A[:, b0:b0 + bc], self.S, out=ot[:, b0:b0 + bc])

    def __call__(self, x, h, out):
        ot = out.transpose(1, 0, 2)  # (H, B, H): row block i of every sample
        B, H = out.shape[0], self.H
        bc = max(1, self.chunk_bytes // (H * out.itemsize))
        blas, pool = _blas()
        if blas is None or B < 2 or self.threads == 1:
            self._fill(x, h, ot, bc)
            return out
        # the whole pipeline (gate GEMMs, coefficients, row-block GEMMs) per batch half
        m = B // 2
        before = blas.get_num_threads()
        blas.set_num_threads(1)
        try:
            futs = [pool.submit(self._fill, x[lo:hi], h[lo:hi], ot[:, lo:hi], bc)
                    for lo, hi in ((0, m), (m, B))]
            for f in futs:
                f.result()
        finally:
            blas.set_num_threads(before)
        return out


def gru_gradient_log_norms(params, xs, h0, v, threads=2):
    """(T, B) log||v^T dh_T/dh_t||, t = 0..T-1, by the one-GEMM-per-step VJP chain.

    With two threads, each batch half runs its whole recurrence on its own thread (the
    samples are independent), OpenBLAS pinned to one thread: no per-step synchronisation.
    """
    blas, pool = _blas()
    B = h0.shape[0]
    if threads == 1 or blas is None or B < 2:
        return _gru_norms(params, xs, h0, v)
    m = B // 2
    before = blas.get_num_threads()
    blas.set_num_threads(1)
    try:
        futs = [pool.submit(_gru_norms, params, xs[:, lo:hi], h0[lo:hi], v[lo:hi])
                for lo, hi in ((0, m), (m, B))]
        return np.concatenate([f.result() for f in futs], axis=1)
    finally:
        blas.set_num_threads(before)


def _workspace(key, make):
    """Scratch arrays cached by ``key`` (shape, dtype, which batch slice); at most 2 kept."""
    ws = _POOL.setdefault("ws", {})
    if key not in ws:
        if len(ws) >= 2:
            ws.clear()
        ws[key] = make()
    return ws[key]


def _gru_norms(params, xs, h0, v):
    w_ih, w_hh = np.asarray(params.weight_ih), np.asarray(params.weight_hh)
    b_ih, b_hh = np.asarray(params.bias_ih), np.asarray(params.bias_hh)
    T, B, _ = xs.shape
    H = w_hh.shape[1]
    dt = h0.dtype
    # the coefficient store and scratch are reused between calls (measured: no significant
    # difference from fresh arrays; first touch costs ~0.3 us per 4 KiB page here)
    gi_all, C, Z, gh, n, r = _workspace(
        (T, B, H, dt.str, xs.ctypes.data),
        lambda: tuple(np.empty(s, dtype=dt) for s in
                      ((T, B, 3 * H), (T, B, 3 * H), (T, B, H), (B, 3 * H), (B, H), (B, H))))
    np.matmul(xs, w_ih.T, out=gi_all)
    gi_all += b_ih
    h = np.array(h0)
    for t in range(T):
        gi = gi_all[t]
        np.matmul(h, w_hh.T, out=gh)
        gh += b_hh
        gi[:, :2 * H] += gh[:, :2 * H]
        _sigmoid(gi[:, :H], out=r)
        z = _sigmoid(gi[:, H:2 * H], out=Z[t])
        ghn = gh[:, 2 * H:]
        np.multiply(r, ghn, out=n)
        n += gi[:, 2 * H:]
        np.tanh(n, out=n)
        a_r, a_z, a_n = C[t, :, :H], C[t, :, H:2 * H], C[t, :, 2 * H:]
        np.multiply(n, n, out=a_n)
        np.subtract(1, a_n, out=a_n)
        np.subtract(1, z, out=a_z)
        a_n *= a_z
        a_n *= r
        np.subtract(1, r, out=a_r)
        a_r *= ghn
        a_r *= a_n
        a_z *= z
        np.subtract(h, n, out=h)  # h - n; h is rebuilt below
        a_z *= h
        # h' = (1 - z) n + z h = n + z (h - n)
        h *= z
        h += n
    out = np.empty((T, B), dtype=dt)
    g = np.array(v)
    norm = np.linalg.norm(g, axis=1)
    logs = np.log(norm)
    g /= norm[:, None]
    U, tmp = gh, n  # forward scratch, free now
    for t in range(T - 1, -1, -1):
        np.multiply(C[t].reshape(B, 3, H), g[:, None, :], out=U.reshape(B, 3, H))
        g *= Z[t]
        g += np.matmul(U, w_hh, out=tmp)
        norm = np.sqrt(np.einsum("bi,bi->b", g, g))
        logs += np.log(norm)
        out[t] = logs
        g /= norm[:, None]
    return out

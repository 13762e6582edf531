# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Soft LDPC decoding of many frames at once: gr-fec's sum-product decoder (``awgn_bp``), vectorised.

:func:`decode` runs the algorithm of gr-fec's ``ldpc_decoder`` (gr-fec/lib/awgn_bp.cc, GNU Radio
3.10) on a (frames, n) array of soft bits with NumPy: likelihood ratios exp(s/(2σ²)) per bit (s > 0
leans to a 1; the quotient in single, the exponential in double precision as there), a flooding
schedule of check then variable updates in the likelihood-ratio domain with gr-fec's operations in
gr-fec's order (double precision), a decision and a syndrome check after each iteration, each frame
stopping at its first codeword (or at once where its hard decisions are one) and after
``max_iterations`` otherwise. Every frame is decoded on its own; only the loop over frames is
replaced by array operations over the frames still decoding.

The code is read from an alist file (the format of gr-fec's ``/usr/share/gnuradio/fec/ldpc``).
Codewords are laid out as gr-fec's parity-check-matrix encoder writes them (``ldpc_H_matrix``:
parity bits, then the k information bits last), which is where gr-fec's decoder reads them back.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

from .checks import require_int_range
from ..errors import InputError


@dataclass(frozen=True)
class LdpcCode:
    """Parity-check structure of an (n, k) LDPC code from an alist file.

    ``check_vars`` (m, d_c): the variables of each check in the file's order, padded with n;
    ``var_edges`` (n, d_v): for each variable, the flat index check·d_c + slot of its edges in the
    order of the file's variable lists, padded with m·d_c."""
    path: str
    n: int
    m: int
    check_vars: np.ndarray
    var_edges: np.ndarray

    @property
    def k(self) -> int:
        """Information bits per frame (n − m: the alist files of gr-fec have full-rank H)."""
        return self.n - self.m

    @property
    def info_positions(self) -> np.ndarray:
        """Codeword positions of the k information bits (last, as gr-fec's ldpc_H_matrix encodes)."""
        return np.arange(self.m, self.n)

    @functools.cached_property
    def parity_matrix(self) -> np.ndarray:
        """(m, k) uint8 P with parity bits = P·s mod 2 for information bits s: H = [H_p | H_s] with
        H_p the first m columns gives P = H_p⁻¹·H_s over GF(2) (H_p must be invertible)."""
        h = np.zeros((self.m, self.n + 1), np.uint8)
        rows = np.repeat(np.arange(self.m), self.check_vars.shape[1])
        h[rows, self.check_vars.ravel()] = 1
        augmented = np.ascontiguousarray(h[:, :self.n])       # [H_p | H_s] → [I | P]
        for col in range(self.m):                             # Gauss-Jordan elimination over GF(2)
            pivots = np.flatnonzero(augmented[col:, col]) + col
            if not len(pivots):
                raise InputError(f"ldpc {self.path!r}: the first {self.m} columns of H are singular, "
                                 "so the last k bits cannot be the information bits")
            augmented[[col, pivots[0]]] = augmented[[pivots[0], col]]
            others = np.flatnonzero(augmented[:, col])
            others = others[others != col]
            augmented[others] ^= augmented[col]
        return np.ascontiguousarray(augmented[:, self.m:])

    def encode(self, info: np.ndarray) -> np.ndarray:
        """(frames, k) information bits 0/1 → (frames, n) uint8 codewords [parity bits, information
        bits], the codewords gr-fec's ``ldpc_par_mtrx_encoder`` writes for this H."""
        info = np.asarray(info)
        if info.ndim != 2 or info.shape[1] != self.k:
            raise InputError(f"information bits must be (frames, {self.k}), got {info.shape}")
        bits = (info != 0).astype(np.uint8)
        parity = (bits.astype(np.float32) @ self.parity_matrix.T.astype(np.float32)).astype(np.int64) & 1
        return np.concatenate([parity.astype(np.uint8), bits], axis=1)

    def syndrome_ok(self, bits: np.ndarray) -> np.ndarray:
        """(frames, n) hard bits 0/1 → (frames,) True where every parity check holds."""
        padded = np.concatenate([bits, np.zeros((bits.shape[0], 1), bits.dtype)], axis=1)
        return ~(np.bitwise_xor.reduce(padded[:, self.check_vars], axis=2).astype(bool).any(axis=1))


def read_alist(path: str) -> LdpcCode:
    """The :class:`LdpcCode` of an alist file (n m / max column and row weights / column weights /
    row weights / n variable lines / m check lines, 1-based indices, 0 padding); in a process that
    keeps its loads (:func:`semcom.memo.keep_loads`) the same object while the file is unchanged."""
    from ..memo import kept
    if not os.path.isfile(path):
        raise InputError(f"ldpc {path!r}: no such alist file")
    return kept(("alist", os.path.realpath(path)), [path], lambda: _parse_alist(path))


def _parse_alist(path: str) -> LdpcCode:
    try:
        with open(path, encoding="ascii") as f:
            lines = [[int(x) for x in line.split()] for line in f if line.strip()]
        n, m = lines[0][:2]
        col_weights, row_weights = lines[2][:n], lines[3][:m]
        var_lists = [row[:w] for row, w in zip(lines[4:4 + n], col_weights)]
        check_lists = [row[:w] for row, w in zip(lines[4 + n:4 + n + m], row_weights)]
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise InputError(f"ldpc {path!r}: not an alist file ({exc})") from None
    if len(var_lists) != n or len(check_lists) != m or not 0 < m < n:
        raise InputError(f"ldpc {path!r}: expected {n} variable and {m} check lines with 0 < m < n")
    d_c, d_v = max(row_weights), max(col_weights)
    check_vars = np.full((m, d_c), n, np.int64)
    slot = {}
    for c, variables in enumerate(check_lists):
        for s, v in enumerate(variables):
            if not 1 <= v <= n:
                raise InputError(f"ldpc {path!r}: check {c + 1} names variable {v}, outside 1..{n}")
            check_vars[c, s] = v - 1
            slot[(c, v - 1)] = c * d_c + s
    var_edges = np.full((n, d_v), m * d_c, np.int64)
    for v, checks in enumerate(var_lists):
        for j, c in enumerate(checks):
            if (c - 1, v) not in slot:
                raise InputError(f"ldpc {path!r}: variable {v + 1} lists check {c}, which does not list it")
            var_edges[v, j] = slot[(c - 1, v)]
    if len(slot) != sum(col_weights):
        raise InputError(f"ldpc {path!r}: the check lists hold edges the variable lists do not")
    return LdpcCode(path, n, m, check_vars, var_edges)


def check_decoder(sigma: float, max_iterations: int) -> int:
    """Raise InputError unless σ is a finite number > 0 and ``max_iterations`` an integer >= 0
    (returned as int)."""
    try:
        value = float(sigma)
    except (TypeError, ValueError):
        value = float("nan")
    if not (np.isfinite(value) and value > 0):
        raise InputError(f"sigma must be a finite number > 0, got {sigma!r}")
    return require_int_range("max_iterations", max_iterations, 0)


def decode(code: LdpcCode, soft: np.ndarray, sigma: float = np.sqrt(2.0), max_iterations: int = 50,
           chunk: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Sum-product decoding as gr-fec's ``ldpc_decoder(alist, sigma, max_iterations)`` does it.

    ``soft`` (frames, n) float32 soft bits (> 0: a 1 bit, as gr-digital's soft decisions) → (decoded
    (frames, n) uint8 codeword estimates, iterations (frames,) int: 0 where the hard decisions were
    a codeword, ``max_iterations`` also where decoding failed). Frames go ``chunk`` at a time (the
    arrays of a chunk stay in the processor's caches)."""
    max_iterations = check_decoder(sigma, max_iterations)
    soft = np.asarray(soft, np.float32)
    if soft.ndim != 2 or soft.shape[1] != code.n:
        raise InputError(f"soft bits must be (frames, {code.n}) for {os.path.basename(code.path)}, got {soft.shape}")
    decoded = (soft > 0).astype(np.uint8)                   # gr-fec: rx = −s, estimate 1 where rx < 0
    iterations = np.zeros(len(soft), np.int64)
    todo = np.flatnonzero(~code.syndrome_ok(decoded))
    if max_iterations == 0 or not len(todo):
        return decoded, iterations
    scale = np.float32(2) * np.float32(sigma) * np.float32(sigma)
    for first in range(0, len(todo), chunk):
        rows = todo[first:first + chunk]
        ratio = np.exp((soft[rows] / scale).astype(np.float64))      # float quotient, double exp
        decoded[rows], iterations[rows] = _spa(code, ratio, max_iterations)
    return decoded, iterations


def _spa(code: LdpcCode, ratio: np.ndarray, max_iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """awgn_bp::decode after its first syndrome check, for frames (f, n) of likelihood ratios. The
    arrays hold the frames last ((edges, f): a gather moves whole rows), and shrink to the frames
    still decoding after each iteration in which some finished."""
    f, n = ratio.shape
    m, d_c = code.check_vars.shape
    edges = m * d_c
    padding = code.check_vars == n                           # slots of checks shorter than d_c
    totals = np.zeros((n + 1, f))                            # variable n (padding) stays 0
    totals[:n] = ratio.T
    ratio = totals[:n].copy()
    q = totals[code.check_vars]                              # Q on the edges, check-major (m, d_c, f)
    r_flat = np.ones((edges + 1, f))                         # R on the edges + a row of 1 for short variables
    out = np.zeros((f, n), np.uint8)
    iterations = np.full(f, max_iterations, np.int64)
    live = np.arange(f)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for iteration in range(1, max_iterations + 1):
            t = np.add(1.0, q)                               # update_chks: t = 2/(1+Q) − 1 (1 on padding)
            np.divide(2.0, t, out=t)
            t -= 1.0
            product = t[:, 0] * t[:, 1] if d_c > 1 else t[:, 0].copy()
            for s in range(2, d_c):
                product *= t[:, s]
            extrinsic = np.divide(product[:, None], t, out=t)
            r = r_flat[:edges].reshape(m, d_c, len(live))
            np.subtract(1.0, extrinsic, out=r)              # R = (1 − x)/(1 + x)
            extrinsic += 1.0
            r /= extrinsic
            r_var = r_flat[code.var_edges]                   # update_vars, (n, d_v, f)
            total = totals[:n]
            np.multiply(ratio, r_var[:, 0], out=total)
            for j in range(1, r_var.shape[1]):
                total *= r_var[:, j]
            on_edges = totals[code.check_vars]               # each edge's variable total, (m, d_c, f)
            ones = on_edges > 1.0                            # decision, on the edges: the syndrome
            parity = ones[:, 0].copy()
            for s in range(1, d_c):
                parity ^= ones[:, s]
            done = ~parity.any(axis=0) if iteration < max_iterations else np.ones(len(live), bool)
            if done.any():
                out[live[done]] = (total[:, done] > 1.0).T
                iterations[live[done]] = iteration
                keep = ~done
                if not keep.any():
                    break
                live, ratio, totals = live[keep], ratio[:, keep], totals[:, keep]
                on_edges, r = on_edges[:, :, keep], r[:, :, keep]
                r_flat = np.ones((edges + 1, len(live)))
            q = np.divide(on_edges, r, out=on_edges)         # Q = total / R of the same edge
            if padding.any():
                q[padding] = 0.0
    return out, iterations

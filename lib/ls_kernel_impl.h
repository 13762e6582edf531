/* -*- c++ -*- */
/*
 * Copyright 2026 gr-semcom authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The LS kernel's loops, compiled once per instruction set (ls_kernel_generic.cc,
 * ls_kernel_avx2.cc) inside namespace SEMCOM_ISA; ls_kernel.cc picks one at run time.
 *
 * Complex samples are read as interleaved floats a = [re, im, re, im, ...]. For complex
 * vectors a, b and jb = i·b = [-b_im, b_re, ...]:  sum a·conj(b) = (sum_f a_f b_f) + i (sum_f a_f jb_f),
 * so every accumulation is a plain float multiply-add that the compiler vectorises in chunks of 8.
 */
#include <cmath>
#include <gnuradio/semcom/ls_kernel.h>
#include <limits>

namespace gr
{
namespace semcom
{
namespace SEMCOM_ISA
{

using cf = std::complex<float>;
using cd = std::complex<double>;
constexpr size_t chunk = 8; // floats per vector accumulator

//! Solves H G = C for H (M x K), G Hermitian positive definite (K x K), by Cholesky in double.
//! Returns false (H untouched) when G is numerically singular.
template <int K, int M> bool solve_right(const cd (&g)[K][K], const cd (&c)[M][K], cd (&h)[M][K])
{
    cd l[K][K] = {};
    double trace = 0.0;
    for (int j = 0; j < K; ++j)
        trace += g[j][j].real();
    const double tol = 1e-12 * trace;
    for (int j = 0; j < K; ++j) {
        double d = g[j][j].real();
        for (int p = 0; p < j; ++p)
            d -= std::norm(l[j][p]);
        if (!(d > tol))
            return false;
        l[j][j] = std::sqrt(d);
        for (int i = j + 1; i < K; ++i) {
            cd s = g[i][j];
            for (int p = 0; p < j; ++p)
                s -= l[i][p] * std::conj(l[j][p]);
            l[i][j] = s / l[j][j].real();
        }
    }
    // H^H = G^-1 C^H: column m of C^H is conj(c[m]); solve L w = b, then L^H z = w.
    for (int m = 0; m < M; ++m) {
        cd w[K], z[K];
        for (int i = 0; i < K; ++i) {
            cd s = std::conj(c[m][i]);
            for (int p = 0; p < i; ++p)
                s -= l[i][p] * w[p];
            w[i] = s / l[i][i].real();
        }
        for (int i = K - 1; i >= 0; --i) {
            cd s = w[i];
            for (int p = i + 1; p < K; ++p)
                s -= std::conj(l[p][i]) * z[p];
            z[i] = s / l[i][i].real();
        }
        for (int k = 0; k < K; ++k)
            h[m][k] = std::conj(z[k]);
    }
    return true;
}

//! One pass over a pilot step: g = X X^H (K x K) and c = Y X^H (M x K).
template <int K, int M> void correlate(const float* x, const float* y, size_t n, cd (&g)[K][K], cd (&c)[M][K])
{
    float gr_[K][K][chunk] = {}, gi_[K][K][chunk] = {};
    float cr_[M][K][chunk] = {}, ci_[M][K][chunk] = {};
    const size_t nf = 2 * n, whole = nf - nf % chunk;
    for (size_t i = 0; i < whole; i += chunk) {
        float xs[K][chunk], xj[K][chunk];
        for (int k = 0; k < K; ++k)
            for (size_t f = 0; f < chunk; f += 2) {
                xs[k][f] = x[k * nf + i + f];
                xs[k][f + 1] = x[k * nf + i + f + 1];
                xj[k][f] = -x[k * nf + i + f + 1];
                xj[k][f + 1] = x[k * nf + i + f];
            }
        for (int k = 0; k < K; ++k)
            for (int j = k; j < K; ++j)
                for (size_t f = 0; f < chunk; ++f) {
                    gr_[k][j][f] += xs[k][f] * xs[j][f];
                    gi_[k][j][f] += xs[k][f] * xj[j][f];
                }
        for (int m = 0; m < M; ++m)
            for (int k = 0; k < K; ++k)
                for (size_t f = 0; f < chunk; ++f) {
                    const float ym = y[m * nf + i + f];
                    cr_[m][k][f] += ym * xs[k][f];
                    ci_[m][k][f] += ym * xj[k][f];
                }
    }
    for (size_t i = whole; i < nf; i += 2) { // tail: fewer than 4 complex samples
        for (int k = 0; k < K; ++k)
            for (int j = k; j < K; ++j) {
                const float *a = x + k * nf + i, *b = x + j * nf + i;
                gr_[k][j][0] += a[0] * b[0] + a[1] * b[1];
                gi_[k][j][0] += a[1] * b[0] - a[0] * b[1];
            }
        for (int m = 0; m < M; ++m)
            for (int k = 0; k < K; ++k) {
                const float *a = y + m * nf + i, *b = x + k * nf + i;
                cr_[m][k][0] += a[0] * b[0] + a[1] * b[1];
                ci_[m][k][0] += a[1] * b[0] - a[0] * b[1];
            }
    }
    auto total = [](const float(&v)[chunk]) {
        double s = 0.0;
        for (size_t f = 0; f < chunk; ++f)
            s += v[f];
        return s;
    };
    for (int k = 0; k < K; ++k)
        for (int j = k; j < K; ++j) {
            g[k][j] = cd(total(gr_[k][j]), total(gi_[k][j]));
            g[j][k] = std::conj(g[k][j]);
        }
    for (int m = 0; m < M; ++m)
        for (int k = 0; k < K; ++k)
            c[m][k] = cd(total(cr_[m][k]), total(ci_[m][k]));
}

//! r = |Y - H X|^2 for one step, second pass over data that is still in cache.
template <int K, int M> float residual_of(const float* x, const float* y, size_t n, const cd (&h)[M][K])
{
    const size_t nf = 2 * n, whole = nf - nf % chunk;
    float acc[chunk] = {};
    for (int m = 0; m < M; ++m) {
        float hr[K], hi[K];
        for (int k = 0; k < K; ++k) {
            hr[k] = static_cast<float>(h[m][k].real());
            hi[k] = static_cast<float>(h[m][k].imag());
        }
        for (size_t i = 0; i < whole; i += chunk) {
            float e[chunk];
            for (size_t f = 0; f < chunk; ++f)
                e[f] = y[m * nf + i + f];
            for (int k = 0; k < K; ++k)
                for (size_t f = 0; f < chunk; f += 2) { // e -= h·x = hr·x + hi·(i x)
                    const float xr = x[k * nf + i + f], xi = x[k * nf + i + f + 1];
                    e[f] -= hr[k] * xr - hi[k] * xi;
                    e[f + 1] -= hr[k] * xi + hi[k] * xr;
                }
            for (size_t f = 0; f < chunk; ++f)
                acc[f] += e[f] * e[f];
        }
        for (size_t i = whole; i < nf; i += 2) {
            float er = y[m * nf + i], ei = y[m * nf + i + 1];
            for (int k = 0; k < K; ++k) {
                const float xr = x[k * nf + i], xi = x[k * nf + i + 1];
                er -= hr[k] * xr - hi[k] * xi;
                ei -= hr[k] * xi + hi[k] * xr;
            }
            acc[0] += er * er + ei * ei;
        }
    }
    float total = 0.0f;
    for (size_t f = 0; f < chunk; ++f)
        total += acc[f];
    return total;
}

template <int K, int M>
void run(const cf* pilots, const cf* received, const ls_dims& dims, const ls_outputs& out, size_t first_group,
         size_t end_group)
{
    const size_t n = dims.length;
    const bool shared = dims.pilot_steps != dims.steps;
    for (size_t gi = first_group; gi < end_group; ++gi) {
        cd g_sum[K][K] = {}, c_sum[M][K] = {};
        float best = std::numeric_limits<float>::infinity();
        int64_t best_t = 0;
        for (size_t s = 0; s < dims.group; ++s) {
            const size_t t = gi * dims.group + s;
            const float* x = reinterpret_cast<const float*>(pilots + (shared ? s : t) * K * n);
            const float* y = reinterpret_cast<const float*>(received + t * M * n);
            cd g[K][K], c[M][K], h[M][K] = {};
            correlate<K, M>(x, y, n, g, c);
            for (int k = 0; k < K; ++k)
                for (int j = 0; j < K; ++j)
                    g_sum[k][j] += g[k][j];
            for (int m = 0; m < M; ++m)
                for (int k = 0; k < K; ++k)
                    c_sum[m][k] += c[m][k];
            float r = std::numeric_limits<float>::infinity();
            if (solve_right<K, M>(g, c, h))
                r = residual_of<K, M>(x, y, n, h);
            for (int m = 0; m < M; ++m)
                for (int k = 0; k < K; ++k)
                    out.h_steps[(t * M + m) * K + k] = cf(h[m][k]);
            out.residual[t] = r;
            if (r < best) {
                best = r;
                best_t = static_cast<int64_t>(s);
            }
        }
        cd hj[M][K] = {};
        solve_right<K, M>(g_sum, c_sum, hj);
        for (int k = 0; k < K; ++k)
            for (int j = 0; j < K; ++j)
                out.gram[(gi * K + k) * K + j] = g_sum[k][j];
        for (int m = 0; m < M; ++m)
            for (int k = 0; k < K; ++k) {
                out.cross[(gi * M + m) * K + k] = c_sum[m][k];
                out.h_joint[(gi * M + m) * K + k] = cf(hj[m][k]);
            }
        out.t_min[gi] = best_t;
    }
}

//! Runs groups [first_group, end_group) for the (K, M) of `dims` (checked: 1 <= K <= M <= 4).
void dispatch(const cf* pilots, const cf* received, const ls_dims& dims, const ls_outputs& out,
              size_t first_group, size_t end_group)
{
#define SEMCOM_LS_CASE(K, M)                                                                                 \
    if (dims.users == K && dims.antennas == M)                                                               \
        return run<K, M>(pilots, received, dims, out, first_group, end_group);
    SEMCOM_LS_CASE(1, 1)
    SEMCOM_LS_CASE(1, 2)
    SEMCOM_LS_CASE(1, 3)
    SEMCOM_LS_CASE(1, 4)
    SEMCOM_LS_CASE(2, 2)
    SEMCOM_LS_CASE(2, 3)
    SEMCOM_LS_CASE(2, 4)
    SEMCOM_LS_CASE(3, 3)
    SEMCOM_LS_CASE(3, 4)
    SEMCOM_LS_CASE(4, 4)
#undef SEMCOM_LS_CASE
}

} // namespace SEMCOM_ISA
} // namespace semcom
} // namespace gr

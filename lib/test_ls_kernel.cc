/* -*- c++ -*- */
/*
 * Copyright 2026 gr-semcom authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Checks ls_per_timestep against a textbook double-precision LS (Gauss-Jordan inverse of
 * X X^H) on random inputs of every supported (K, M), with shared and per-step pilots.
 */
#include <cmath>
#include <cstdio>
#include <gnuradio/semcom/ls_kernel.h>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

using cf = std::complex<float>;
using cd = std::complex<double>;
using gr::semcom::ls_dims;

namespace
{

int failures = 0;

void expect(bool ok, const char* what, const ls_dims& d)
{
    if (!ok) {
        ++failures;
        std::printf("FAIL %s (K=%zu M=%zu L=%zu T=%zu group=%zu)\n", what, d.users, d.antennas, d.length,
                    d.steps, d.group);
    }
}

// inverse of a small complex matrix by Gauss-Jordan with partial pivoting
std::vector<cd> inverse(std::vector<cd> a, size_t n)
{
    std::vector<cd> inv(n * n, 0.0);
    for (size_t i = 0; i < n; ++i)
        inv[i * n + i] = 1.0;
    for (size_t c = 0; c < n; ++c) {
        size_t p = c;
        for (size_t r = c + 1; r < n; ++r)
            if (std::abs(a[r * n + c]) > std::abs(a[p * n + c]))
                p = r;
        for (size_t j = 0; j < n; ++j) {
            std::swap(a[c * n + j], a[p * n + j]);
            std::swap(inv[c * n + j], inv[p * n + j]);
        }
        const cd piv = a[c * n + c];
        for (size_t j = 0; j < n; ++j) {
            a[c * n + j] /= piv;
            inv[c * n + j] /= piv;
        }
        for (size_t r = 0; r < n; ++r) {
            if (r == c)
                continue;
            const cd f = a[r * n + c];
            for (size_t j = 0; j < n; ++j) {
                a[r * n + j] -= f * a[c * n + j];
                inv[r * n + j] -= f * inv[c * n + j];
            }
        }
    }
    return inv;
}

// H = C G^-1 for M x K C and K x K G
std::vector<cd> solve(const std::vector<cd>& c, const std::vector<cd>& g, size_t M, size_t K)
{
    const auto gi = inverse(g, K);
    std::vector<cd> h(M * K, 0.0);
    for (size_t m = 0; m < M; ++m)
        for (size_t k = 0; k < K; ++k)
            for (size_t j = 0; j < K; ++j)
                h[m * K + k] += c[m * K + j] * gi[j * K + k];
    return h;
}

bool close(cd a, cd b, double scale, double rtol = 1e-5)
{
    return std::abs(a - b) <= rtol * scale;
}

void check_case(size_t K, size_t M, size_t L, size_t group, size_t groups, bool shared, std::mt19937& rng)
{
    std::normal_distribution<float> n01(0.0f, 1.0f);
    const size_t T = group * groups;
    ls_dims d{T, shared ? group : T, K, M, L, group};
    std::vector<cf> x(d.pilot_steps * K * L), y(T * M * L);
    for (auto& v : x)
        v = cf(n01(rng), n01(rng));
    for (auto& v : y)
        v = cf(n01(rng), n01(rng));
    std::vector<cf> h(T * M * K), hj(groups * M * K);
    std::vector<float> r(T);
    std::vector<int64_t> tmin(groups);
    std::vector<cd> gram(groups * K * K), cross(groups * M * K);
    gr::semcom::ls_per_timestep(x.data(), y.data(), d,
                                {h.data(), r.data(), tmin.data(), gram.data(), cross.data(), hj.data()});

    for (size_t gi = 0; gi < groups; ++gi) {
        std::vector<cd> gsum(K * K, 0.0), csum(M * K, 0.0);
        double best = std::numeric_limits<double>::infinity();
        size_t best_s = 0;
        for (size_t s = 0; s < group; ++s) {
            const size_t t = gi * group + s;
            const cf* xt = x.data() + (shared ? s : t) * K * L;
            const cf* yt = y.data() + t * M * L;
            std::vector<cd> g(K * K, 0.0), c(M * K, 0.0);
            for (size_t k = 0; k < K; ++k)
                for (size_t j = 0; j < K; ++j)
                    for (size_t l = 0; l < L; ++l)
                        g[k * K + j] += cd(xt[k * L + l]) * std::conj(cd(xt[j * L + l]));
            for (size_t m = 0; m < M; ++m)
                for (size_t k = 0; k < K; ++k)
                    for (size_t l = 0; l < L; ++l)
                        c[m * K + k] += cd(yt[m * L + l]) * std::conj(cd(xt[k * L + l]));
            const auto href = solve(c, g, M, K);
            double hnorm = 0.0, res = 0.0;
            for (auto v : href)
                hnorm = std::max(hnorm, std::abs(v));
            for (size_t i = 0; i < M * K; ++i)
                expect(close(cd(h[t * M * K + i]), href[i], hnorm), "per-step H", d);
            for (size_t m = 0; m < M; ++m)
                for (size_t l = 0; l < L; ++l) {
                    cd e = yt[m * L + l];
                    for (size_t k = 0; k < K; ++k)
                        e -= href[m * K + k] * cd(xt[k * L + l]);
                    res += std::norm(e);
                }
            expect(std::abs(r[t] - res) <= 1e-5 * res + 1e-6, "residual", d);
            if (res < best) {
                best = res;
                best_s = s;
            }
            for (size_t i = 0; i < K * K; ++i)
                gsum[i] += g[i];
            for (size_t i = 0; i < M * K; ++i)
                csum[i] += c[i];
        }
        expect(static_cast<size_t>(tmin[gi]) == best_s, "t_min", d);
        const auto hjref = solve(csum, gsum, M, K);
        double hnorm = 0.0;
        for (auto v : hjref)
            hnorm = std::max(hnorm, std::abs(v));
        for (size_t i = 0; i < M * K; ++i)
            expect(close(cd(hj[gi * M * K + i]), hjref[i], hnorm), "joint H", d);
        for (size_t i = 0; i < K * K; ++i)
            expect(close(gram[gi * K * K + i], gsum[i], std::abs(gsum[0])), "gram", d);
    }
}

} // namespace

int main()
{
    std::mt19937 rng(2026);
    int cases = 0;
    for (size_t K = 1; K <= 4; ++K)
        for (size_t M = K; M <= 4; ++M)
            for (size_t L : {2 * K, size_t(7), size_t(64)})
                for (bool shared : {false, true}) {
                    check_case(K, M, std::max(L, K), 5, 3, shared, rng);
                    ++cases;
                }
    // a batch large enough to be split over threads
    check_case(2, 2, 64, 10, 2000, true, rng);
    ++cases;

    // a singular step (all-zero pilots) gives H = 0 and r = +inf, never NaN
    {
        ls_dims d{2, 2, 2, 2, 4, 2};
        std::vector<cf> x(2 * 2 * 4, cf(0.0f)), y(2 * 2 * 4, cf(1.0f, -1.0f));
        for (size_t l = 0; l < 4; ++l) { // step 1 has independent rows
            x[(1 * 2 + 0) * 4 + l] = cf(l % 2 ? 1.0f : -1.0f);
            x[(1 * 2 + 1) * 4 + l] = cf(l < 2 ? 1.0f : -1.0f);
        }
        std::vector<cf> h(2 * 2 * 2), hj(2 * 2);
        std::vector<float> r(2);
        std::vector<int64_t> tmin(1);
        std::vector<cd> gram(4), cross(4);
        gr::semcom::ls_per_timestep(x.data(), y.data(), d,
                                    {h.data(), r.data(), tmin.data(), gram.data(), cross.data(), hj.data()});
        expect(std::isinf(r[0]) && std::abs(h[0]) == 0.0f, "singular step flagged", d);
        expect(std::isfinite(r[1]) && tmin[0] == 1, "regular step chosen", d);
        ++cases;
    }

    // inconsistent sizes are rejected with std::invalid_argument
    for (const ls_dims& bad : {ls_dims{4, 4, 2, 1, 8, 2},    // M < K
                               ls_dims{4, 4, 3, 3, 2, 2},    // L < K
                               ls_dims{5, 5, 1, 1, 8, 2},    // T not multiple of group
                               ls_dims{4, 3, 1, 1, 8, 2},    // pilot steps neither T nor group
                               ls_dims{4, 4, 5, 5, 8, 2}}) { // K > 4
        bool threw = false;
        try {
            gr::semcom::check_ls_dims(bad);
        } catch (const std::invalid_argument&) {
            threw = true;
        }
        expect(threw, "invalid sizes rejected", bad);
        ++cases;
    }
    std::printf("ls_kernel (%s build): %d cases, %d failed checks\n", gr::semcom::ls_kernel_isa(), cases,
                failures);
    return failures ? 1 : 0;
}

/* -*- c++ -*- */
/*
 * Copyright 2026 gr-semcom authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <gnuradio/semcom/ls_kernel.h>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace gr
{
namespace semcom
{

using cf = std::complex<float>;
using kernel_fn = void (*)(const cf*, const cf*, const ls_dims&, const ls_outputs&, size_t, size_t);

// The same loops built for two instruction sets (ls_kernel_impl.h).
namespace generic
{
void dispatch(const cf*, const cf*, const ls_dims&, const ls_outputs&, size_t, size_t);
}
#ifdef SEMCOM_HAVE_AVX2_BUILD
namespace avx2
{
void dispatch(const cf*, const cf*, const ls_dims&, const ls_outputs&, size_t, size_t);
}
#endif

namespace
{
//! AVX2+FMA where the processor has it, unless SEMCOM_LS_KERNEL=generic asks for the portable build.
bool use_avx2()
{
#ifdef SEMCOM_HAVE_AVX2_BUILD
    const char* wanted = std::getenv("SEMCOM_LS_KERNEL");
    if (wanted && std::strcmp(wanted, "generic") == 0)
        return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}
const bool avx2_chosen = use_avx2();
kernel_fn pick_kernel()
{
#ifdef SEMCOM_HAVE_AVX2_BUILD
    if (avx2_chosen)
        return &avx2::dispatch;
#endif
    return &generic::dispatch;
}
const kernel_fn kernel = pick_kernel();
//! Complex samples per thread below which one thread is faster (thread start costs ~20 µs).
constexpr size_t min_work_per_thread = 1 << 20;
} // namespace

const char* ls_kernel_isa()
{
    return avx2_chosen ? "avx2" : "generic";
}

void check_ls_dims(const ls_dims& d)
{
    auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
    if (d.users < 1 || d.users > 4)
        fail("users K must be in 1..4, got " + std::to_string(d.users));
    if (d.antennas < d.users || d.antennas > 4)
        fail("antennas M must be in K..4 (K = " + std::to_string(d.users) + "), got " +
             std::to_string(d.antennas));
    if (d.length < d.users)
        fail("pilot length L must be >= K = " + std::to_string(d.users) + ", got " +
             std::to_string(d.length));
    if (d.group < 1 || d.steps % d.group != 0)
        fail("steps T = " + std::to_string(d.steps) +
             " is not a multiple of group = " + std::to_string(d.group));
    if (d.pilot_steps != d.steps && d.pilot_steps != d.group)
        fail("pilot steps must equal T = " + std::to_string(d.steps) +
             " or group = " + std::to_string(d.group) + ", got " + std::to_string(d.pilot_steps));
}

void ls_per_timestep(const cf* pilots, const cf* received, const ls_dims& dims, const ls_outputs& out)
{
    check_ls_dims(dims);
    // Large batches are split over the cores by groups (each group's outputs are its own).
    const size_t groups = dims.steps / dims.group;
    const size_t work = dims.steps * dims.length * (dims.users + dims.antennas);
    const size_t threads = std::max<size_t>(
        1, std::min<size_t>({std::thread::hardware_concurrency(), groups, work / min_work_per_thread}));
    std::vector<std::thread> pool;
    for (size_t i = 1; i < threads; ++i)
        pool.emplace_back(kernel, pilots, received, std::cref(dims), std::cref(out), groups * i / threads,
                          groups * (i + 1) / threads);
    kernel(pilots, received, dims, out, 0, groups / threads);
    for (auto& thread : pool)
        thread.join();
}

} // namespace semcom
} // namespace gr

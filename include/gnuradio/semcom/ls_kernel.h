/* -*- c++ -*- */
/*
 * Copyright 2026 gr-semcom authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_SEMCOM_LS_KERNEL_H
#define INCLUDED_SEMCOM_LS_KERNEL_H

#include <complex>
#include <cstddef>
#include <cstdint>
#include <gnuradio/semcom/api.h>

namespace gr
{
namespace semcom
{

/*! Sizes of a batched per-timestep LS problem (all arrays row-major, C order). */
struct ls_dims {
    size_t steps;       //!< T: pilot time steps in the batch
    size_t pilot_steps; //!< rows of the pilot array: T, or `group` (one group shared by all)
    size_t users;       //!< K transmit users, 1..4
    size_t antennas;    //!< M receive antennas, K..4
    size_t length;      //!< L pilot symbols per step, >= K
    size_t group;       //!< steps per group (one burst's preamble); divides T
};

/*! Where ls_per_timestep writes its results (caller-owned, row-major, G = T / group). */
struct ls_outputs {
    std::complex<float>* h_steps; //!< (T, M, K): H_t per step
    float* residual;              //!< (T): r_t, +inf for a step with singular X_t X_t^H
    int64_t* t_min;               //!< (G): argmin of r_t inside each group
    std::complex<double>* gram;   //!< (G, K, K): sum of X_t X_t^H over the group
    std::complex<double>* cross;  //!< (G, M, K): sum of Y_t X_t^H over the group
    std::complex<float>* h_joint; //!< (G, M, K): cross gram^-1
};

/*! Per-timestep least squares (paper eq. 5-6) over a batch of pilot steps.
 *
 * Inputs: pilots X (pilot_steps, K, L) and received Y (T, M, L), complex float.
 * For every step t: H_t = Y_t X_t^H (X_t X_t^H)^-1 (M x K) and r_t = |Y_t - H_t X_t|^2.
 * For every group g of `group` consecutive steps: t_min[g] (argmin of r_t inside the group,
 * eq. 6), gram[g] = sum_t X_t X_t^H (K x K), cross[g] = sum_t Y_t X_t^H (M x K) and the joint
 * solution h_joint[g] = cross[g] gram[g]^-1.
 * A step whose X_t X_t^H is singular gets H_t = 0 and r_t = +inf (so it is never t_min).
 * Large batches are split over the cores by groups. Throws std::invalid_argument on
 * inconsistent sizes.
 */
SEMCOM_API void ls_per_timestep(const std::complex<float>* pilots, const std::complex<float>* received,
                                const ls_dims& dims, const ls_outputs& out);

/*! The instruction set of the kernel in use: "avx2" (AVX2 + FMA, chosen where the processor has
 * them) or "generic"; the environment variable SEMCOM_LS_KERNEL=generic forces the generic build. */
SEMCOM_API const char* ls_kernel_isa();

/*! Throws std::invalid_argument naming the first inconsistent size in `dims`. */
SEMCOM_API void check_ls_dims(const ls_dims& dims);

} // namespace semcom
} // namespace gr

#endif /* INCLUDED_SEMCOM_LS_KERNEL_H */

/* -*- c++ -*- */
/*
 * Copyright 2026 gr-semcom authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hand-written binding of include/gnuradio/semcom/ls_kernel.h (gr_modtool bind does not work on
 * Debian 12). NumPy arrays in, NumPy arrays out; the GIL is released while the kernel runs.
 */
#include <gnuradio/semcom/ls_kernel.h>
#include <pybind11/complex.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <string>

namespace py = pybind11;

namespace
{

using cf = std::complex<float>;
using cd = std::complex<double>;
using carray = py::array_t<cf, py::array::c_style | py::array::forcecast>;

py::tuple ls_per_timestep(const carray& pilots, const carray& received, size_t group)
{
    if (pilots.ndim() != 3)
        throw py::value_error("pilots must have shape (T, K, L), got " + std::to_string(pilots.ndim()) +
                              " dimensions");
    if (received.ndim() != 3)
        throw py::value_error("received must have shape (T, M, L), got " + std::to_string(received.ndim()) +
                              " dimensions");
    if (pilots.shape(2) != received.shape(2))
        throw py::value_error("pilots and received must have the same L, got " +
                              std::to_string(pilots.shape(2)) + " and " + std::to_string(received.shape(2)));
    gr::semcom::ls_dims dims{};
    dims.steps = received.shape(0);
    dims.pilot_steps = pilots.shape(0);
    dims.users = pilots.shape(1);
    dims.antennas = received.shape(1);
    dims.length = received.shape(2);
    dims.group = group;
    gr::semcom::check_ls_dims(dims);

    const auto T = static_cast<py::ssize_t>(dims.steps);
    const auto M = static_cast<py::ssize_t>(dims.antennas);
    const auto K = static_cast<py::ssize_t>(dims.users);
    const auto G = static_cast<py::ssize_t>(dims.steps / dims.group);
    py::array_t<cf> h_steps({T, M, K});
    py::array_t<float> residual(T);
    py::array_t<int64_t> t_min(G);
    py::array_t<cd> gram({G, K, K});
    py::array_t<cd> cross({G, M, K});
    py::array_t<cf> h_joint({G, M, K});
    {
        py::gil_scoped_release release;
        gr::semcom::ls_per_timestep(pilots.data(), received.data(), dims,
                                    {h_steps.mutable_data(), residual.mutable_data(), t_min.mutable_data(),
                                     gram.mutable_data(), cross.mutable_data(), h_joint.mutable_data()});
    }
    return py::make_tuple(h_steps, residual, t_min, gram, cross, h_joint);
}

} // namespace

void bind_ls_kernel(py::module& m)
{
    m.def("ls_per_timestep", &ls_per_timestep, py::arg("pilots"), py::arg("received"), py::arg("group"),
          R"doc(Per-timestep least squares (paper eq. 5-6), batched.

pilots: complex64 (T or group, K, L); received: complex64 (T, M, L); group: steps per burst.
Returns (h_steps (T, M, K), residual (T,), t_min (G,), gram (G, K, K), cross (G, M, K),
h_joint (G, M, K)) with G = T / group. Raises ValueError on inconsistent shapes.)doc");
    m.def("ls_kernel_isa", &gr::semcom::ls_kernel_isa,
          "The kernel build in use: 'avx2' or 'generic' (SEMCOM_LS_KERNEL=generic forces it).");
}

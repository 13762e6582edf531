/* -*- c++ -*- */
/*
 * Copyright 2026 gr-semcom authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_ls_kernel(py::module& m);

PYBIND11_MODULE(semcom_python, m)
{
    m.doc() = "C++ kernels of gr-semcom";
    // std::invalid_argument from the kernel arrives in Python as ValueError (pybind11 default).
    bind_ls_kernel(m);
}

/* Copyright 2026 gr-semcom authors. SPDX-License-Identifier: GPL-3.0-or-later */
/* Compiled with -mavx2 -mfma; only called when the CPU has both (see ls_kernel.cc). */
#define SEMCOM_ISA avx2
#include "ls_kernel_impl.h"

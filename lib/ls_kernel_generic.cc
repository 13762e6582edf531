/* Copyright 2026 gr-semcom authors. SPDX-License-Identifier: GPL-3.0-or-later */
#define SEMCOM_ISA generic
#include "ls_kernel_impl.h"
